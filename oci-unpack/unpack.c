/* oci-unpack IMAGE BUNDLE: layers into the store, the overlay at
 * BUNDLE/rootfs, BUNDLE/config.json; and umount/rm of a bundle.
 *
 * A bundle made from the store holds:
 *   config.json, rootfs/ (the overlay), upper/, work/,
 *   oci-unpack.json   what was mounted: store, image, layers (chain IDs)
 * and the store keeps layers/bundles/<sha256 of the bundle path>.json so
 * that gc knows which layers bundles still use. */
#include "unpack.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "log.h"
#include "sbuf.h"
#include "store.h"
#include "util.h"

char *unpack_bundle_record_path(const char *layers_dir, const char *bundle)
{
	struct oci_digest d;
	oci_digest_buf(OCI_DIGEST_SHA256, bundle, strlen(bundle), &d);
	return xasprintf("%s/bundles/%s.json", layers_dir, oci_digest_hex(&d));
}

/* The absolute form of a path whose last component may not exist yet. */
static int abs_path(const char *p, char **ret, struct oci_err **err)
{
	char *real = realpath(p, NULL);
	if (real) {
		*ret = real;
		return 0;
	}
	if (errno != ENOENT)
		return oci_err_sys(err, "'%s'", p);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return oci_err_sys(err, "getcwd");
	_cleanup_free_ char *joined = p[0] == '/' ? xstrdup(p) : oci_path_join(cwd, p);
	*ret = oci_path_clean(joined);
	return 0;
}

/* Creates BUNDLE, or accepts an existing empty directory. */
static int bundle_prepare(const char *bundle, bool *ret_created, struct oci_err **err)
{
	*ret_created = false;
	if (mkdir(bundle, 0711) == 0) {
		*ret_created = true;
		return 0;
	}
	if (errno == ENOENT) {
		int r = oci_mkdir_p(bundle, 0711, err);
		if (r < 0)
			return r;
		*ret_created = true;
		return 0;
	}
	if (errno != EEXIST)
		return oci_err_sys(err, "creating bundle '%s'", bundle);
	_cleanup_closedir_ DIR *d = opendir(bundle);
	if (!d)
		return oci_err_sys(err, "bundle '%s'", bundle);
	struct dirent *de;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			return oci_err_set(err, EEXIST,
					   "bundle '%s' is not empty (oci-unpack rm it first)",
					   bundle);
	return 0;
}

static json_t *layers_json(const struct unpack_image *im)
{
	json_t *a = json_array();
	for (size_t i = 0; i < im->n_layers; i++)
		json_array_append_new(a, json_string(im->chain_ids[i].str));
	return a;
}

static int write_json(const char *path, json_t *v, struct oci_err **err)
{
	_cleanup_free_ char *s = oci_json_dumps(v);
	return oci_write_file_atomic(path, s, strlen(s), 0644, err);
}

/* The bundle's own files: written whole under a temporary name and renamed
 * (never seen half-written), but not fsynced: a bundle does not outlive a
 * crash of the machine anyway (its overlay mount does not), and each fsync
 * costs milliseconds on a busy disk. The store's record is fsynced. */
static int write_json_bundle(const char *path, json_t *v, struct oci_err **err)
{
	_cleanup_free_ char *s = oci_json_dumps(v);
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", path, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_err_sys(err, "creating '%s'", tmp);
	if (oci_write_all(fd, s, strlen(s)) < 0) {
		int r = oci_err_sys(err, "writing '%s'", tmp);
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = oci_err_sys(err, "renaming '%s'", tmp);
		unlink(tmp);
		return r;
	}
	return 0;
}

static json_t *idmap_json(const struct unpack_idmap *m, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(a, json_pack("[I,I,I]", (json_int_t)m[i].inside,
						   (json_int_t)m[i].outside, (json_int_t)m[i].len));
	return a;
}

static int write_records(const char *store, const char *layers_dir, const char *bundle,
			 const struct unpack_image *im, const char *mode,
			 const struct unpack_opts *o, struct oci_err **err)
{
	json_auto_t *rec = json_object();
	if (o->rootless) {
		/* rootless: the files are the caller's (or the maps' ids, made in
		 * a user namespace: rm enters it again); diff maps them back */
		json_object_set_new(rec, "rootless", json_true());
		if (o->userns)
			json_object_set_new(rec, "userns", json_true());
		json_object_set_new(rec, "uid_map", idmap_json(o->uid_map, o->n_uid_map));
		json_object_set_new(rec, "gid_map", idmap_json(o->gid_map, o->n_gid_map));
	}
	json_object_set_new(rec, "bundle", json_string(bundle));
	json_object_set_new(rec, "store", json_string(store));
	json_object_set_new(rec, "image", json_string(im->name));
	json_object_set_new(rec, "manifest", json_string(im->manifest_desc.digest.str));
	json_object_set_new(rec, "mode", json_string(mode));
	json_object_set_new(rec, "layers", layers_json(im));
	if (layers_dir) {
		_cleanup_free_ char *dir = oci_path_join(layers_dir, "bundles");
		int r = oci_mkdir_p(dir, 0700, err);
		if (r < 0)
			return r;
		_cleanup_free_ char *p = unpack_bundle_record_path(layers_dir, bundle);
		r = write_json(p, rec, err);
		if (r < 0)
			return r;
	}
	_cleanup_free_ char *p = oci_path_join(bundle, UNPACK_RECORD);
	return write_json_bundle(p, rec, err);
}

/* userdb: where /etc/passwd and /etc/group are read (NULL: the rootfs). */
static int write_config(const struct unpack_image *im, const char *bundle, const char *userdb,
			const struct unpack_bundle_opts *bo, struct oci_err **err)
{
	_cleanup_free_ char *rootfs = userdb ? xstrdup(userdb) : oci_path_join(bundle, "rootfs");
	_cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "opening '%s'", rootfs);
	json_auto_t *cfg = NULL;
	int r = unpack_bundle_config(&im->config, rootfd, bo, &cfg, err);
	if (r < 0)
		return oci_err_wrap(err, "image '%s'", im->name);
	_cleanup_free_ char *p = oci_path_join(bundle, "config.json");
	return write_json_bundle(p, cfg, err);
}

static void bundle_opts_of(const struct unpack_opts *o, struct unpack_bundle_opts *ret)
{
	*ret = (struct unpack_bundle_opts){
		.rootless = o->rootless,
		.uid_map = o->uid_map,
		.n_uid_map = o->n_uid_map,
		.gid_map = o->gid_map,
		.n_gid_map = o->n_gid_map,
	};
}

/* Copies the regular file lfd/etc/NAME into dir/etc/NAME; 1 when found,
 * 0 when the layer has no such file, -1 when it hides the lower ones
 * (a whiteout, an opaque or whited-out /etc, something else). */
static int userdb_copy(int lfd, const char *name, const char *dir, struct oci_err **err)
{
	_cleanup_free_ char *path = xasprintf("/etc/%s", name);
	struct oci_err *e2 = NULL;
	_cleanup_close_ int fd = oci_open_in_root(lfd, path, O_RDONLY | O_NOFOLLOW, 0, &e2);
	oci_err_free(e2);
	e2 = NULL;
	struct stat st;
	if (fd >= 0) {
		if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			return -1;
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		if (oci_read_fd(fd, 4 << 20, &sb) < 0)
			return oci_err_sys(err, "reading '%s' of a layer", path);
		_cleanup_free_ char *to = xasprintf("%s/etc/%s", dir, name);
		int r = oci_write_file_atomic(to, sb.buf ? sb.buf : "", sb.len, 0644, err);
		return r < 0 ? r : 1;
	}
	if (fstatat(lfd, "etc", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
		return -1;
	_cleanup_close_ int efd = openat(lfd, "etc", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
						    O_CLOEXEC);
	char v[2];
	if (efd >= 0 && fgetxattr(efd, UNPACK_OVL_OPAQUE_XATTR_USER, v, sizeof(v)) == 1 &&
	    v[0] == 'y')
		return -1;
	return 0;
}

/* Rootless overlay: nothing is mounted on the host, so the image's
 * /etc/passwd and /etc/group (for User) are read from the layers, top
 * first, as the overlay will show them, into dir/etc. */
static int userdb_from_layers(const char *layers_dir, char *const *lowers, const char *dir,
			      struct oci_err **err)
{
	_cleanup_free_ char *etc = oci_path_join(dir, "etc");
	int r = oci_mkdir_p(etc, 0755, err);
	if (r < 0)
		return r;
	static const char *const names[] = { "passwd", "group" };
	for (size_t n = 0; n < ARRAY_SIZE(names); n++) {
		for (char *const *l = lowers; *l; l++) {
			_cleanup_free_ char *lp = oci_path_join(layers_dir, *l);
			_cleanup_close_ int lfd = open(lp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (lfd < 0)
				return oci_err_sys(err, "opening '%s'", lp);
			r = userdb_copy(lfd, names[n], dir, err);
			if (r < -1)
				return r;
			if (r != 0)
				break;
		}
	}
	return 0;
}

/* Rootless overlay bundle: the layers in the caller's store (user.overlay.
 * xattrs), BUNDLE/upper and work, and config.json whose mounts[0] is the
 * overlay at "/" with userxattr, mounted by the runtime inside the
 * container's user namespace (an unprivileged user cannot mount an overlay
 * on the host; Linux >= 5.11 lets the owner of a user namespace do it). */
static int unpack_overlay_rootless(const struct unpack_opts *o, struct unpack_image *im,
				   const char *store, const char *bundle, const char *layers_dir,
				   char **links, struct oci_err **err)
{
	size_t n = im->n_layers;
	_cleanup_strv_ char **lowers = xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		lowers[i] = xstrdup(links[n - 1 - i]);
	static const char *const dirs[] = { "rootfs", "upper", "work", "empty" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		if (i == 3 && n > 0)
			break;
		_cleanup_free_ char *p = oci_path_join(bundle, dirs[i]);
		if (mkdir(p, i == 1 || i == 2 ? 0700 : 0755) < 0 && errno != EEXIST)
			return oci_err_sys(err, "creating '%s'", p);
	}
	if (n == 0)
		lowers[0] = oci_path_join(bundle, "empty");
	_cleanup_free_ char *upper = oci_path_join(bundle, "upper");
	_cleanup_free_ char *work = oci_path_join(bundle, "work");
	if (chmod(upper, 0755) < 0)
		return oci_err_sys(err, "chmod '%s'", upper);

	_cleanup_sbuf_ struct sbuf lo = SBUF_INIT;
	sbuf_addstr(&lo, "lowerdir=");
	for (char **l = lowers; *l; l++) {
		_cleanup_free_ char *p = n ? oci_path_join(layers_dir, *l) : xstrdup(*l);
		if (strpbrk(p, ",:\\"))
			return oci_err_set(err, EINVAL, "'%s': a rootless overlay cannot name a path "
					   "holding ',', ':' or '\\' (use --flat)", p);
		sbuf_addf(&lo, "%s%s", l == lowers ? "" : ":", p);
	}
	if (strpbrk(upper, ",:\\"))
		return oci_err_set(err, EINVAL, "bundle '%s': a rootless overlay cannot name a path "
				   "holding ',', ':' or '\\' (use --flat)", bundle);
	_cleanup_free_ char *up = xasprintf("upperdir=%s", upper);
	_cleanup_free_ char *wk = xasprintf("workdir=%s", work);
	/* mount(2) takes one page of options */
	if (lo.len + strlen(up) + strlen(wk) + 64 > UNPACK_MOUNT_DATA_MAX)
		return oci_err_set(err, E2BIG,
				   "image '%s': the paths of its %zu layers make the overlay's options "
				   "longer than a page (use --flat or a store with a shorter path)",
				   im->name, n);
	json_auto_t *m = json_pack("{s:s,s:s,s:s,s:[s,s,s,s,s,s]}", "destination", "/", "type",
				   "overlay", "source", "overlay", "options", lo.buf, up, wk,
				   "userxattr", "redirect_dir=nofollow", "metacopy=off");

	int r = write_records(store, layers_dir, bundle, im, "overlay", o, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *udb = oci_path_join(bundle, ".userdb");
	r = userdb_from_layers(layers_dir, lowers, udb, err);
	struct unpack_bundle_opts bo;
	bundle_opts_of(o, &bo);
	bo.root_mount = m;
	if (r >= 0)
		r = write_config(im, bundle, udb, &bo, err);
	struct oci_err *e2 = NULL;
	oci_rm_rf(udb, &e2);
	oci_err_free(e2);
	return r;
}

static int unpack_overlay(const struct unpack_opts *o, struct unpack_image *im,
			  const char *store, const char *bundle, struct oci_err **err)
{
	if (im->n_layers > UNPACK_MAX_LOWERS)
		return oci_err_set(err, E2BIG,
				   "image '%s' has %zu layers, more than the %d an overlay can stack "
				   "(use --flat)", im->name, im->n_layers, UNPACK_MAX_LOWERS);
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	_cleanup_close_ int storelock = -1;
	int r = unpack_store_lock(layers_dir, false, &storelock, err);
	if (r < 0)
		return r;
	r = unpack_store_check_kind(layers_dir, o->rootless, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **links = NULL;
	r = unpack_layers_ensure_all(layers_dir, im, o->jobs, o->rootless, &links, err);
	if (r < 0)
		return r;
	if (o->rootless)
		return unpack_overlay_rootless(o, im, store, bundle, layers_dir, links, err);

	static const char *const dirs[] = { "rootfs", "upper", "work" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = oci_path_join(bundle, dirs[i]);
		if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
			return oci_err_sys(err, "creating '%s'", p);
	}
	r = write_records(store, layers_dir, bundle, im, "overlay", o, err);
	if (r < 0)
		return r;

	/* lowerdir: top layer first; an image without layers gets an empty one */
	size_t n = im->n_layers;
	_cleanup_strv_ char **lowers = xcalloc(n + 2, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		lowers[i] = xstrdup(links[n - 1 - i]);
	if (n == 0) {
		_cleanup_free_ char *empty = oci_path_join(bundle, "empty");
		if (mkdir(empty, 0755) < 0 && errno != EEXIST)
			return oci_err_sys(err, "creating '%s'", empty);
		lowers[0] = TAKE_PTR(empty);
	}
	/* An overlay needs the upper's root to carry the image root's metadata. */
	_cleanup_free_ char *upper = oci_path_join(bundle, "upper");
	_cleanup_free_ char *work = oci_path_join(bundle, "work");
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	if (chmod(upper, 0755) < 0)
		return oci_err_sys(err, "chmod '%s'", upper);
	r = unpack_overlay_mount(layers_dir, lowers, upper, work, rootfs, err);
	if (r < 0)
		return r;
	r = write_config(im, bundle, NULL, NULL, err);
	if (r < 0) {
		struct oci_err *e2 = NULL;
		unpack_umount(rootfs, &e2);
		oci_err_free(e2);
		return r;
	}
	return 0;
}

int unpack_run(const struct unpack_opts *o_in, char **ret_bundle, struct oci_err **err)
{
	struct unpack_opts oo = *o_in;
	const struct unpack_opts *o = &oo;
	_cleanup_free_ char *store = NULL;
	int r = oci_store_path(o->store, &store, err);
	if (r < 0)
		return r;
	if (o->flat && o->rootless && geteuid() != 0 &&
	    unpack_maps_need_userns(o->uid_map, o->n_uid_map, o->gid_map, o->n_gid_map, geteuid(),
				    getegid())) {
		/* the files get the maps' ids: extracted as root of a user
		 * namespace with those maps, chowned as in the image */
		r = unpack_userns_enter(o->uid_map, o->n_uid_map, o->gid_map, o->n_gid_map, err);
		if (r < 0)
			return r;
		oo.userns = true;
	}
	struct unpack_image im = { 0 };
	r = unpack_image_open(store, o->image, &im, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *bundle = NULL;
	r = abs_path(o->bundle, &bundle, err);
	if (r < 0) {
		unpack_image_release(&im);
		return r;
	}
	bool created;
	r = bundle_prepare(bundle, &created, err);
	if (r < 0) {
		unpack_image_release(&im);
		return r;
	}
	if (o->flat) {
		struct unpack_bundle_opts bo;
		bundle_opts_of(o, &bo);
		struct unpack_opts ox = *o;
		if (o->userns) {
			/* inside, the image's ids are the namespace's */
			ox.rootless = false;
			ox.uid_map = ox.gid_map = NULL;
			ox.n_uid_map = ox.n_gid_map = 0;
		}
		r = unpack_flat(&ox, &im, bundle, err);
		if (r >= 0)
			r = write_records(store, NULL, bundle, &im, "flat", o, err);
		if (r >= 0)
			r = write_config(&im, bundle, NULL, &bo, err);
	} else {
		r = unpack_overlay(o, &im, store, bundle, err);
	}
	if (r < 0) {
		/* leave nothing half-made behind */
		struct oci_err *e2 = NULL;
		_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
		_cleanup_free_ char *rec = unpack_bundle_record_path(layers_dir, bundle);
		unlink(rec);
		if (created) {
			unpack_rm_rf(bundle, &e2);
		} else {
			_cleanup_closedir_ DIR *d = opendir(bundle);
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
					unpack_rm_rfat(dirfd(d), de->d_name, &e2), oci_err_clear(&e2);
		}
		oci_err_free(e2);
	}
	unpack_image_release(&im);
	if (r < 0)
		return r;
	*ret_bundle = TAKE_PTR(bundle);
	return 0;
}

void unpack_record_maps(json_t *a, struct unpack_idmap **ret, size_t *ret_n)
{
	size_t i;
	json_t *v;
	json_array_foreach(a, i, v) {
		json_int_t in, out, len;
		if (json_unpack(v, "[III]", &in, &out, &len) < 0 || in < 0 || out < 0 || len < 1 ||
		    in > UINT32_MAX || out > UINT32_MAX || len > UINT32_MAX)
			continue;
		*ret = xrealloc(*ret, (*ret_n + 1) * sizeof(**ret));
		(*ret)[(*ret_n)++] = (struct unpack_idmap){ (uint32_t)in, (uint32_t)out,
							    (uint32_t)len };
	}
}

/* Reads BUNDLE/oci-unpack.json (NULL when absent). */
static int read_record(const char *bundle, json_t **ret, struct oci_err **err)
{
	_cleanup_free_ char *p = oci_path_join(bundle, UNPACK_RECORD);
	if (access(p, F_OK) < 0) {
		*ret = NULL;
		return 0;
	}
	return oci_json_load_file(p, 0, ret, err);
}

int unpack_cmd_umount(const char *bundle, struct oci_err **err)
{
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	struct stat st;
	if (stat(bundle, &st) < 0)
		return oci_err_sys(err, "bundle '%s'", bundle);
	return unpack_umount(rootfs, err);
}

int unpack_cmd_rm(const char *store_opt, const char *bundle_arg, struct oci_err **err)
{
	_cleanup_free_ char *bundle = realpath(bundle_arg, NULL);
	if (!bundle)
		return oci_err_sys(err, "bundle '%s'", bundle_arg);
	json_auto_t *rec = NULL;
	int r = read_record(bundle, &rec, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *cfg = oci_path_join(bundle, "config.json");
	if (!rec && access(cfg, F_OK) < 0)
		return oci_err_set(err, EINVAL, "'%s' is not a bundle made by oci-unpack", bundle);
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	r = unpack_umount(rootfs, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *store = NULL;
	const char *rs = rec ? json_string_value(json_object_get(rec, "store")) : NULL;
	if (rs)
		store = xstrdup(rs);
	else if (oci_store_path(store_opt, &store, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	_cleanup_free_ char *recp = unpack_bundle_record_path(layers_dir, bundle);
	if (geteuid() != 0 && rec && json_is_true(json_object_get(rec, "userns"))) {
		/* its files have the maps' ids: remove them from the same user
		 * namespace */
		_cleanup_free_ struct unpack_idmap *um = NULL, *gm = NULL;
		size_t nu = 0, ng = 0;
		unpack_record_maps(json_object_get(rec, "uid_map"), &um, &nu);
		unpack_record_maps(json_object_get(rec, "gid_map"), &gm, &ng);
		r = unpack_userns_enter(um, nu, gm, ng, err);
		if (r < 0)
			return oci_err_wrap(err, "removing '%s'", bundle);
	}
	if (geteuid() != 0) {
		/* overlay leaves work/work with mode 0 (root removes it anyway) */
		_cleanup_free_ char *ww = oci_path_join(bundle, "work/work");
		(void)!chmod(ww, 0700);
	}
	r = unpack_rm_rf(bundle, err);
	if (r < 0)
		return r;
	if (unlink(recp) < 0 && errno != ENOENT)
		return oci_err_sys(err, "removing '%s'", recp);
	return 0;
}

int unpack_cmd_mount(const char *bundle_arg, struct oci_err **err)
{
	_cleanup_free_ char *bundle = realpath(bundle_arg, NULL);
	if (!bundle)
		return oci_err_sys(err, "bundle '%s'", bundle_arg);
	json_auto_t *rec = NULL;
	int r = read_record(bundle, &rec, err);
	if (r < 0)
		return r;
	const char *store = rec ? json_string_value(json_object_get(rec, "store")) : NULL;
	const char *mode = rec ? json_string_value(json_object_get(rec, "mode")) : NULL;
	json_t *layers = rec ? json_object_get(rec, "layers") : NULL;
	if (!store || !mode || !json_is_array(layers))
		return oci_err_set(err, EINVAL, "'%s' is not a bundle made by oci-unpack "
				   "(no valid %s)", bundle, UNPACK_RECORD);
	if (!streq(mode, "overlay"))
		return oci_err_set(err, EINVAL, "bundle '%s' is a flat bundle: nothing to mount",
				   bundle);
	if (json_is_true(json_object_get(rec, "rootless")))
		return oci_err_set(err, EINVAL,
				   "bundle '%s' is rootless: its overlay is mounted by the runtime in "
				   "the container's user namespace (config.json mounts[0]), not on the "
				   "host", bundle);
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	if (unpack_is_mountpoint(rootfs))
		return 0;
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	_cleanup_close_ int storelock = -1;
	r = unpack_store_lock(layers_dir, false, &storelock, err);
	if (r < 0)
		return r;
	size_t n = json_array_size(layers);
	_cleanup_strv_ char **lowers = xcalloc(n + 2, sizeof(char *));
	if (n == 0)
		lowers[0] = oci_path_join(bundle, "empty"); /* as unpack made it */
	for (size_t i = 0; i < n; i++) {
		const char *c = json_string_value(json_array_get(layers, n - 1 - i));
		const char *hex = c ? strchr(c, ':') : NULL;
		if (!hex || strlen(hex + 1) != 64 || strspn(hex + 1, "0123456789abcdef") != 64)
			return oci_err_set(err, EINVAL, "bundle '%s': invalid layer in %s", bundle,
					   UNPACK_RECORD);
		hex++;
		_cleanup_free_ char *cf = xasprintf("%s/%s/complete", layers_dir, hex);
		_cleanup_free_ char *lf = xasprintf("%s/%s/link", layers_dir, hex);
		_cleanup_free_ char *id = NULL;
		size_t len = 0;
		if (access(cf, F_OK) < 0 || oci_read_file(lf, 64, &id, &len, err) < 0) {
			oci_err_clear(err);
			return oci_err_set(err, ENOENT, "bundle '%s': layer %s is gone from the store "
					   "(removed by gc?): unpack the image again", bundle, c);
		}
		id[strcspn(id, "\n")] = '\0';
		lowers[i] = xasprintf("l/%s", id);
	}
	_cleanup_free_ char *upper = oci_path_join(bundle, "upper");
	_cleanup_free_ char *work = oci_path_join(bundle, "work");
	return unpack_overlay_mount(layers_dir, lowers, upper, work, rootfs, err);
}
