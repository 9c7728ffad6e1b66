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
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "log.h"
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

static int write_records(const char *store, const char *layers_dir, const char *bundle,
			 const struct unpack_image *im, const char *mode, struct oci_err **err)
{
	json_auto_t *rec = json_object();
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

static int write_config(const struct unpack_image *im, const char *bundle, struct oci_err **err)
{
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	_cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "opening '%s'", rootfs);
	json_auto_t *cfg = NULL;
	int r = unpack_bundle_config(&im->config, rootfd, &cfg, err);
	if (r < 0)
		return oci_err_wrap(err, "image '%s'", im->name);
	_cleanup_free_ char *p = oci_path_join(bundle, "config.json");
	return write_json_bundle(p, cfg, err);
}

static int unpack_overlay(const struct unpack_opts *o, struct unpack_image *im,
			  const char *store, const char *bundle, struct oci_err **err)
{
	if (geteuid() != 0)
		return oci_err_set(err, EPERM, "an overlay bundle needs root (the layer store keeps "
				   "whiteouts as devices and trusted xattrs): use --flat");
	if (im->n_layers > UNPACK_MAX_LOWERS)
		return oci_err_set(err, E2BIG,
				   "image '%s' has %zu layers, more than the %d an overlay can stack "
				   "(use --flat)", im->name, im->n_layers, UNPACK_MAX_LOWERS);
	_cleanup_free_ char *layers_dir = oci_store_layers_dir(store);
	_cleanup_close_ int storelock = -1;
	int r = unpack_store_lock(layers_dir, false, &storelock, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **links = NULL;
	r = unpack_layers_ensure_all(layers_dir, im, o->jobs, &links, err);
	if (r < 0)
		return r;

	static const char *const dirs[] = { "rootfs", "upper", "work" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_free_ char *p = oci_path_join(bundle, dirs[i]);
		if (mkdir(p, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST)
			return oci_err_sys(err, "creating '%s'", p);
	}
	r = write_records(store, layers_dir, bundle, im, "overlay", err);
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
	r = write_config(im, bundle, err);
	if (r < 0) {
		struct oci_err *e2 = NULL;
		unpack_umount(rootfs, &e2);
		oci_err_free(e2);
		return r;
	}
	return 0;
}

int unpack_run(const struct unpack_opts *o, char **ret_bundle, struct oci_err **err)
{
	_cleanup_free_ char *store = NULL;
	int r = oci_store_path(o->store, &store, err);
	if (r < 0)
		return r;
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
		r = unpack_flat(o, &im, bundle, err);
		if (r >= 0)
			r = write_records(store, NULL, bundle, &im, "flat", err);
		if (r >= 0)
			r = write_config(&im, bundle, err);
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
			oci_rm_rf(bundle, &e2);
		} else {
			_cleanup_closedir_ DIR *d = opendir(bundle);
			struct dirent *de;
			while (d && (de = readdir(d)))
				if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
					oci_rm_rfat(dirfd(d), de->d_name, &e2), oci_err_clear(&e2);
		}
		oci_err_free(e2);
	}
	unpack_image_release(&im);
	if (r < 0)
		return r;
	*ret_bundle = TAKE_PTR(bundle);
	return 0;
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
	r = oci_rm_rf(bundle, err);
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
