/* gc and ls of the layer store. A layer is in use when an image of the
 * store's images/ layout (its manifest for this platform) or an existing
 * bundle (a layers/bundles/ record whose bundle still has oci-unpack.json)
 * has it. gc holds the store lock exclusively, so no unpack is extracting
 * or mounting meanwhile; what it finds without `complete` is dead. */
#include "unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "log.h"
#include "platform.h"
#include "store.h"
#include "util.h"

struct user_map {
	char **keys;   /* chain id hex */
	char ***users; /* who uses it */
	size_t n;
};

static void user_map_add(struct user_map *m, const char *hex, const char *who)
{
	for (size_t i = 0; i < m->n; i++) {
		if (streq(m->keys[i], hex)) {
			for (char **u = m->users[i]; u && *u; u++)
				if (streq(*u, who))
					return;
			oci_strv_push(&m->users[i], who);
			return;
		}
	}
	m->keys = xrealloc(m->keys, (m->n + 1) * sizeof(char *));
	m->users = xrealloc(m->users, (m->n + 1) * sizeof(char **));
	m->keys[m->n] = xstrdup(hex);
	m->users[m->n] = NULL;
	oci_strv_push(&m->users[m->n], who);
	m->n++;
}

static char **user_map_get(const struct user_map *m, const char *hex)
{
	for (size_t i = 0; i < m->n; i++)
		if (streq(m->keys[i], hex))
			return m->users[i];
	return NULL;
}

static void user_map_release(struct user_map *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->keys[i]);
		oci_strv_free(m->users[i]);
	}
	free(m->keys);
	free(m->users);
}

static const char *chain_hex(const char *s)
{
	const char *c = strchr(s, ':');
	return c ? c + 1 : s;
}

/* Images of the store: each manifest's chain IDs. */
static void collect_images(const char *store, struct user_map *m)
{
	_cleanup_free_ char *images = oci_store_images_dir(store);
	struct oci_layout *l = NULL;
	struct oci_err *err = NULL;
	if (access(images, F_OK) < 0 || oci_layout_open(images, false, &l, &err) < 0) {
		oci_err_free(err);
		return;
	}
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	if (oci_layout_list(l, &v, &n, &err) < 0) {
		oci_debug("gc: %s", err->msg);
		oci_err_free(err);
		oci_layout_free(l);
		return;
	}
	_cleanup_platform_ struct oci_platform host = { 0 };
	oci_platform_host(&host);
	for (size_t i = 0; i < n; i++) {
		struct oci_manifest man = { 0 };
		struct oci_descriptor md = { 0 };
		if (oci_layout_load_manifest(l, &v[i], &host, &man, &md, &err) < 0) {
			oci_debug("gc: image %zu: %s", i, err->msg);
			oci_err_clear(&err);
			continue;
		}
		char *cbuf = NULL;
		size_t clen = 0;
		struct oci_image_config cfg = { 0 };
		if (oci_layout_blob_read(l, &man.config.digest, 8 << 20, &cbuf, &clen, &err) == 0 &&
		    oci_image_config_parse(cbuf, clen, "config", &cfg, &err) == 0) {
			size_t k = cfg.n_diff_ids;
			struct oci_digest *ch = xcalloc(k ? k : 1, sizeof(*ch));
			if (k)
				oci_chain_ids(cfg.diff_ids, k, ch);
			_cleanup_free_ char *who = xasprintf("image %s",
							     v[i].ref_name ? v[i].ref_name
									   : md.digest.str);
			for (size_t j = 0; j < k; j++)
				user_map_add(m, oci_digest_hex(&ch[j]), who);
			free(ch);
			oci_image_config_release(&cfg);
		} else {
			oci_err_clear(&err);
		}
		free(cbuf);
		oci_manifest_release(&man);
		oci_descriptor_release(&md);
	}
	oci_descriptors_free(v, n);
	oci_layout_free(l);
}

/* Bundle records; with prune, those of bundles that are gone are removed. */
static void collect_bundles(const char *layers_dir, struct user_map *m, bool prune)
{
	_cleanup_free_ char *dir = oci_path_join(layers_dir, "bundles");
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!endswith(de->d_name, ".json"))
			continue;
		_cleanup_free_ char *p = oci_path_join(dir, de->d_name);
		json_auto_t *rec = NULL;
		struct oci_err *err = NULL;
		if (oci_json_load_file(p, 0, &rec, &err) < 0) {
			oci_err_free(err);
			continue;
		}
		const char *bundle = json_string_value(json_object_get(rec, "bundle"));
		_cleanup_free_ char *mine = bundle ? oci_path_join(bundle, UNPACK_RECORD) : NULL;
		if (!mine || access(mine, F_OK) < 0) {
			if (prune)
				unlink(p);
			continue;
		}
		_cleanup_free_ char *who = xasprintf("bundle %s", bundle);
		size_t i;
		json_t *v;
		json_array_foreach(json_object_get(rec, "layers"), i, v) {
			const char *s = json_string_value(v);
			if (s)
				user_map_add(m, chain_hex(s), who);
		}
	}
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool is_hex64(const char *s)
{
	return strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64;
}

static uint64_t tree_size(int dirfd)
{
	uint64_t total = 0;
	int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return 0;
	DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		total += (uint64_t)st.st_blocks * 512;
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dfd, de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (cfd >= 0) {
				total += tree_size(cfd);
				close(cfd);
			}
		}
	}
	closedir(d);
	return total;
}

static uint64_t layer_size(int layersfd, const char *hex)
{
	_cleanup_close_ int fd = openat(layersfd, hex, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						   O_CLOEXEC);
	return fd < 0 ? 0 : tree_size(fd);
}

int unpack_gc(const char *store_opt, size_t *ret_removed, uint64_t *ret_bytes,
	      struct oci_err **err)
{
	_cleanup_free_ char *store = NULL;
	int r = oci_store_path(store_opt, &store, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	*ret_removed = 0;
	*ret_bytes = 0;
	if (access(layers_dir, F_OK) < 0)
		return 0;
	_cleanup_close_ int lock = -1;
	r = unpack_store_lock(layers_dir, true, &lock, err);
	if (r < 0)
		return r;
	struct user_map m = { 0 };
	collect_images(store, &m);
	collect_bundles(layers_dir, &m, true);

	_cleanup_close_ int layersfd = open(layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *d = opendir(layers_dir);
	if (layersfd < 0 || !d) {
		user_map_release(&m);
		return oci_err_sys(err, "reading '%s'", layers_dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		char *dot = strchr(de->d_name, '.');
		_cleanup_free_ char *hex = dot ? xstrndup(de->d_name, (size_t)(dot - de->d_name))
					       : xstrdup(de->d_name);
		if (!is_hex64(hex))
			continue;
		if (!dot && user_map_get(&m, hex)) {
			/* in use, unless a killed unpack left it incomplete */
			_cleanup_free_ char *c = xasprintf("%s/complete", hex);
			if (faccessat(layersfd, c, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
				continue;
		} else if (user_map_get(&m, hex)) {
			continue;
		}
		if (dot) {
			/* a lock file of a layer that is gone or going */
			if (streq(dot, ".lock"))
				unlinkat(layersfd, de->d_name, 0);
			continue;
		}
		*ret_bytes += layer_size(layersfd, hex);
		_cleanup_free_ char *lf = xasprintf("%s/link", hex);
		_cleanup_free_ char *id = NULL;
		size_t len;
		struct oci_err *e2 = NULL;
		if (oci_read_fileat(layersfd, lf, 64, &id, &len, &e2) == 0) {
			_cleanup_free_ char *l = xasprintf("l/%.*s", (int)strcspn(id, "\n"), id);
			unlinkat(layersfd, l, 0);
		}
		oci_err_clear(&e2);
		/* `complete` goes first: a half-removed layer is never taken as whole */
		_cleanup_free_ char *cf = xasprintf("%s/complete", hex);
		unlinkat(layersfd, cf, 0);
		r = unpack_rm_rfat(layersfd, hex, err);
		if (r < 0) {
			user_map_release(&m);
			return r;
		}
		oci_debug("removed layer sha256:%s", hex);
		(*ret_removed)++;
	}
	/* dangling short links */
	_cleanup_free_ char *ldir = oci_path_join(layers_dir, "l");
	_cleanup_close_ int lfd = open(ldir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	_cleanup_closedir_ DIR *ld = lfd >= 0 ? fdopendir(fcntl(lfd, F_DUPFD_CLOEXEC, 3)) : NULL;
	while (ld && (de = readdir(ld))) {
		struct stat st;
		if (de->d_name[0] != '.' && fstatat(lfd, de->d_name, &st, 0) < 0 && errno == ENOENT)
			unlinkat(lfd, de->d_name, 0);
	}
	user_map_release(&m);
	return 0;
}

int unpack_ls(const char *store_opt, FILE *out, struct oci_err **err)
{
	_cleanup_free_ char *store = NULL;
	int r = oci_store_path(store_opt, &store, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	_cleanup_closedir_ DIR *d = opendir(layers_dir);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return oci_err_sys(err, "reading '%s'", layers_dir);
	}
	struct user_map m = { 0 };
	collect_images(store, &m);
	collect_bundles(layers_dir, &m, false);
	_cleanup_strv_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (is_hex64(de->d_name))
			oci_strv_push(&names, de->d_name);
	if (names)
		qsort(names, oci_strv_len(names), sizeof(char *), cmp_str);
	for (char **p = names; p && *p; p++) {
		_cleanup_free_ char *cf = xasprintf("%s/%s/complete", layers_dir, *p);
		bool complete = access(cf, F_OK) == 0;
		fprintf(out, "sha256:%s\t%" PRIu64 "\t%s\t", *p, layer_size(dirfd(d), *p),
			complete ? "complete" : "incomplete");
		char **users = user_map_get(&m, *p);
		if (users)
			qsort(users, oci_strv_len(users), sizeof(char *), cmp_str);
		if (!users)
			fputs("-", out);
		for (char **u = users; u && *u; u++)
			fprintf(out, "%s%s", u == users ? "" : ", ", *u);
		fputc('\n', out);
	}
	user_map_release(&m);
	return 0;
}
