/* The store's extracted layers, overlay2-style (as containers/storage):
 *
 *   layers/.lock            shared by unpack and rm, exclusive by gc
 *   layers/<chain>.lock     one flock per layer, held while extracting it
 *   layers/<chain>/diff/    the layer's files, whiteouts in overlay form
 *   layers/<chain>/link     the layer's short name
 *   layers/<chain>/complete written (and fsynced) only after the whole
 *                           layer was extracted, verified and synced
 *   layers/l/<short>        -> ../<chain>/diff, to keep mount options short
 *
 * A layer directory without `complete` is garbage from a killed unpack:
 * whoever takes the layer's lock next removes it and extracts again. */
#include "unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "lock.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"

#define LINK_LEN 26

int unpack_store_lock(const char *layers_dir, bool exclusive, int *ret_fd, struct oci_err **err)
{
	int r = oci_mkdir_p(layers_dir, 0700, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *p = oci_path_join(layers_dir, ".lock");
	return oci_lock_path(p, exclusive, ret_fd, err);
}

static void random_link(char out[LINK_LEN + 1])
{
	static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	unsigned char rnd[LINK_LEN];
	size_t got = 0;
	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort();
		got += (size_t)n;
	}
	for (int i = 0; i < LINK_LEN; i++)
		out[i] = chars[rnd[i] % (sizeof(chars) - 1)];
	out[LINK_LEN] = '\0';
}

/* Reads layers/<hex>/link; checks the l/ symlink and remakes it if needed. */
static int layer_link(int layersfd, const char *hex, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *lp = xasprintf("%s/link", hex);
	_cleanup_free_ char *id = NULL;
	size_t len = 0;
	int r = oci_read_fileat(layersfd, lp, 64, &id, &len, err);
	if (r < 0)
		return r;
	while (len > 0 && (id[len - 1] == '\n' || id[len - 1] == ' '))
		id[--len] = '\0';
	if (len != LINK_LEN || strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != len)
		return oci_err_set(err, EINVAL, "layer %s: invalid link file", hex);
	_cleanup_free_ char *l = xasprintf("l/%s", id);
	_cleanup_free_ char *want = xasprintf("../%s/diff", hex);
	char got[256];
	ssize_t n = readlinkat(layersfd, l, got, sizeof(got) - 1);
	if (n < 0 || (size_t)n != strlen(want) || memcmp(got, want, (size_t)n) != 0) {
		unlinkat(layersfd, l, 0);
		if (symlinkat(want, layersfd, l) < 0 && errno != EEXIST)
			return oci_err_sys(err, "layer %s: creating link '%s'", hex, l);
	}
	*ret = TAKE_PTR(l);
	return 0;
}

/* Waits until layer j is complete (another worker or process is on it). */
static int wait_complete(int layersfd, const struct unpack_image *im, size_t j,
			 const atomic_bool *abort_flag, struct oci_err **err)
{
	const char *hex = oci_digest_hex(&im->chain_ids[j]);
	_cleanup_free_ char *cf = xasprintf("%s/complete", hex);
	_cleanup_free_ char *lock = xasprintf("%s.lock", hex);
	for (;;) {
		if (faccessat(layersfd, cf, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
		if (abort_flag && atomic_load(abort_flag))
			return oci_err_set(err, ECANCELED, "layer %s was not extracted", hex);
		/* whoever extracts it holds its lock: wait for them */
		_cleanup_close_ int fd = -1;
		int r = oci_lock_pathat(layersfd, lock, false, &fd, err);
		if (r < 0)
			return r;
		if (faccessat(layersfd, cf, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return 0;
		if (!abort_flag)
			return oci_err_set(err, ENOENT, "layer %s is not extracted", hex);
		usleep(10000); /* claimed by a worker that has not locked it yet */
	}
}

static void copy_xattrs(int from, int to)
{
	char list[65536];
	ssize_t n = flistxattr(from, list, sizeof(list));
	for (char *k = list; n > 0 && k < list + n; k += strlen(k) + 1) {
		if (startswith(k, "trusted.overlay.") || startswith(k, "user.overlay."))
			continue;
		char val[65536];
		ssize_t vn = fgetxattr(from, k, val, sizeof(val));
		if (vn >= 0)
			fsetxattr(to, k, val, (size_t)vn, 0);
	}
}

/* Directories that layer i made only because it had files below them take
 * their owner, mode, xattrs and times from the nearest lower layer that has
 * them, as they would look in a flat extraction. */
static int fix_implicit_dirs(int layersfd, int difffd, const struct unpack_image *im, size_t i,
			     char **implicit, const atomic_bool *abort_flag, struct oci_err **err)
{
	size_t n = oci_strv_len(implicit), left = n;
	bool *done = xcalloc(n ? n : 1, sizeof(bool));
	int r = 0;
	for (size_t j = i; j-- > 0 && left > 0;) {
		r = wait_complete(layersfd, im, j, abort_flag, err);
		if (r < 0)
			break;
		_cleanup_free_ char *ld = xasprintf("%s/diff", oci_digest_hex(&im->chain_ids[j]));
		_cleanup_close_ int lfd = openat(layersfd, ld, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (lfd < 0) {
			r = oci_err_sys(err, "opening layer %s", ld);
			break;
		}
		for (size_t k = 0; k < n; k++) {
			if (done[k])
				continue;
			struct oci_err *e2 = NULL;
			_cleanup_close_ int src = oci_open_in_root(lfd, implicit[k],
								   O_RDONLY | O_NOFOLLOW | O_PATH, 0,
								   &e2);
			if (src < 0) {
				oci_err_free(e2);
				continue; /* not in this lower: look further down */
			}
			done[k] = true;
			left--;
			struct stat st;
			if (fstat(src, &st) < 0 || !S_ISDIR(st.st_mode))
				continue; /* a whiteout or a file: keep the defaults */
			_cleanup_close_ int sfd = oci_open_in_root(lfd, implicit[k],
								   O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
								   &e2);
			_cleanup_close_ int dfd = oci_open_in_root(difffd, implicit[k],
								   O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
								   &e2);
			oci_err_free(e2);
			if (sfd < 0 || dfd < 0)
				continue;
			if (fchown(dfd, st.st_uid, st.st_gid) < 0 ||
			    fchmod(dfd, st.st_mode & 07777) < 0) {
				r = oci_err_sys(err, "setting the metadata of '%s'", implicit[k]);
				break;
			}
			copy_xattrs(sfd, dfd);
			struct timespec ts[2] = { st.st_atim, st.st_mtim };
			futimens(dfd, ts);
		}
		if (r < 0)
			break;
	}
	free(done);
	return r;
}

static int extract_layer(int layersfd, struct unpack_image *im, size_t i, const char *hex,
			 bool rootless, const atomic_bool *abort_flag, struct oci_err **err)
{
	const struct oci_descriptor *d = &im->manifest.layers[i];
	_cleanup_free_ char *what = xasprintf("layer %s", d->digest.str);
	oci_debug("extracting layer %s (chain %s)", d->digest.str, hex);

	int r = unpack_rm_rfat(layersfd, hex, err);
	if (r < 0)
		return oci_err_wrap(err, "removing the partial layer %s", hex);
	if (mkdirat(layersfd, hex, 0700) < 0)
		return oci_err_sys(err, "creating layer %s", hex);
	_cleanup_free_ char *diff = xasprintf("%s/diff", hex);
	if (mkdirat(layersfd, diff, 0755) < 0)
		return oci_err_sys(err, "creating layer %s", hex);
	_cleanup_close_ int difffd = openat(layersfd, diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (difffd < 0)
		return oci_err_sys(err, "opening layer %s", hex);

	_cleanup_close_ int blobfd = -1;
	r = oci_layout_blob_open(im->layout, &d->digest, &blobfd, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **implicit = NULL;
	struct unpack_extract_opts o = { .flat = false, .rootless = rootless, .what = what,
					 .ret_implicit = &implicit, .blob_size = d->size };
	r = unpack_extract(blobfd, &d->digest, &im->config.diff_ids[i], difffd, &o, err);
	if (r >= 0 && implicit)
		r = fix_implicit_dirs(layersfd, difffd, im, i, implicit, abort_flag, err);
	if (r < 0) {
		struct oci_err *e2 = NULL;
		unpack_rm_rfat(layersfd, hex, &e2);
		oci_err_free(e2);
		return r;
	}

	char id[LINK_LEN + 1];
	random_link(id);
	_cleanup_free_ char *lf = xasprintf("%s/link", hex);
	r = oci_write_file_atomicat(layersfd, lf, id, LINK_LEN, 0644, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *link = NULL;
	r = layer_link(layersfd, hex, &link, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *meta = xasprintf("{\"chain_id\":\"%s\",\"diff_id\":\"%s\","
					      "\"digest\":\"%s\"}\n",
					      im->chain_ids[i].str, im->config.diff_ids[i].str,
					      d->digest.str);
	_cleanup_free_ char *mf = xasprintf("%s/layer.json", hex);
	r = oci_write_file_atomicat(layersfd, mf, meta, strlen(meta), 0644, err);
	if (r < 0)
		return r;
	/* Everything on disk before the layer is declared complete. */
	if (syncfs(difffd) < 0)
		return oci_err_sys(err, "syncing layer %s", hex);
	_cleanup_free_ char *cf = xasprintf("%s/complete", hex);
	r = oci_write_file_atomicat(layersfd, cf, "", 0, 0644, err);
	if (r < 0)
		return r;
	return 0;
}

static int layer_ensure(const char *layers_dir, struct unpack_image *im, size_t i, bool rootless,
			const atomic_bool *abort_flag, char **ret_link, struct oci_err **err)
{
	const char *hex = oci_digest_hex(&im->chain_ids[i]);
	_cleanup_close_ int layersfd = open(layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (layersfd < 0)
		return oci_err_sys(err, "opening '%s'", layers_dir);
	if (mkdirat(layersfd, "l", 0700) < 0 && errno != EEXIST)
		return oci_err_sys(err, "creating '%s/l'", layers_dir);

	_cleanup_free_ char *lock = xasprintf("%s.lock", hex);
	_cleanup_close_ int lockfd = -1;
	int r = oci_lock_pathat(layersfd, lock, true, &lockfd, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cf = xasprintf("%s/complete", hex);
	if (faccessat(layersfd, cf, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = extract_layer(layersfd, im, i, hex, rootless, abort_flag, err);
		if (r < 0)
			return r;
	}
	return layer_link(layersfd, hex, ret_link, err);
}

struct ensure_job {
	const char *layers_dir;
	struct unpack_image *im;
	bool rootless;
	char **links;
	atomic_size_t next;
	atomic_bool failed;
	pthread_mutex_t mu;
	struct oci_err *err;
};

static void *ensure_worker(void *arg)
{
	struct ensure_job *j = arg;
	for (;;) {
		size_t i = atomic_fetch_add(&j->next, 1);
		if (i >= j->im->n_layers || atomic_load(&j->failed))
			return NULL;
		struct oci_err *e = NULL;
		if (layer_ensure(j->layers_dir, j->im, i, j->rootless, &j->failed, &j->links[i], &e) <
		    0) {
			atomic_store(&j->failed, true);
			pthread_mutex_lock(&j->mu);
			if (!j->err)
				j->err = e;
			else
				oci_err_free(e);
			pthread_mutex_unlock(&j->mu);
			return NULL;
		}
	}
}

int unpack_store_check_kind(const char *layers_dir, bool rootless, struct oci_err **err)
{
	_cleanup_close_ int fd = open(layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "opening '%s'", layers_dir);
	bool marked = faccessat(fd, "rootless", F_OK, AT_SYMLINK_NOFOLLOW) == 0;
	if (marked == rootless)
		return 0;
	/* any extracted layer (a <chain>/ directory) decides the kind */
	bool has_layers = false;
	int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
	_cleanup_closedir_ DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
	if (!d) {
		if (dfd >= 0)
			close(dfd);
		return oci_err_sys(err, "reading '%s'", layers_dir);
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (strlen(de->d_name) == 64 && strspn(de->d_name, "0123456789abcdef") == 64)
			has_layers = true;
	if (marked && !has_layers && !rootless && unlinkat(fd, "rootless", 0) == 0)
		return 0;
	if (has_layers || marked)
		return oci_err_set(err, EPERM,
				   rootless ? "store '%s' holds layers extracted by root (trusted."
					      "overlay. xattrs): use a store of your own (--store)"
					    : "store '%s' holds layers extracted rootless (user.overlay. "
					      "xattrs, files owned by one user): use another --store",
				   layers_dir);
	return oci_write_file_atomicat(fd, "rootless", "", 0, 0644, err);
}

int unpack_layers_ensure_all(const char *layers_dir, struct unpack_image *im, int jobs,
			     bool rootless, char ***ret_links, struct oci_err **err)
{
	struct ensure_job j = { .layers_dir = layers_dir, .im = im, .rootless = rootless };
	j.links = xcalloc(im->n_layers + 1, sizeof(char *));
	pthread_mutex_init(&j.mu, NULL);
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, false);
	if (jobs < 1)
		jobs = 1;
	if ((size_t)jobs > im->n_layers)
		jobs = im->n_layers ? (int)im->n_layers : 1;
	pthread_t *th = xcalloc((size_t)jobs, sizeof(pthread_t));
	int started = 0;
	for (int t = 1; t < jobs; t++) {
		if (pthread_create(&th[t], NULL, ensure_worker, &j) != 0)
			break;
		started = t;
	}
	ensure_worker(&j);
	for (int t = 1; t <= started; t++)
		pthread_join(th[t], NULL);
	free(th);
	pthread_mutex_destroy(&j.mu);
	if (j.err) {
		int code = j.err->code;
		oci_strv_free(j.links);
		if (err)
			*err = j.err;
		else
			oci_err_free(j.err);
		return -code;
	}
	/* Each layer's `lower` file, as containers/storage keeps it: the
	 * short links of the layers below it, nearest first. */
	_cleanup_close_ int layersfd = open(layers_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	for (size_t i = 1; layersfd >= 0 && i < im->n_layers; i++) {
		const char *hex = oci_digest_hex(&im->chain_ids[i]);
		_cleanup_free_ char *lf = xasprintf("%s/lower", hex);
		if (faccessat(layersfd, lf, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			continue;
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		for (size_t k = i; k-- > 0;)
			sbuf_addf(&sb, "%s%s", k + 1 == i ? "" : ":", j.links[k]);
		struct oci_err *e2 = NULL;
		if (oci_write_file_atomicat(layersfd, lf, sb.buf, sb.len, 0644, &e2) < 0)
			oci_err_free(e2); /* informative only */
	}
	*ret_links = j.links;
	return 0;
}
