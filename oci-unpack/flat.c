/* --flat: the layers applied one over the other into a plain BUNDLE/rootfs,
 * whiteouts as real deletions (for filesystems or kernels without overlay,
 * and umoci-like use), with files owned by ids mapped through --uid-map and
 * --gid-map for a user-namespaced container, or rootless as umoci --rootless
 * (see extract.c). */
#include "unpack.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "util.h"

int unpack_flat(const struct unpack_opts *o, struct unpack_image *im, const char *bundle,
		struct oci_err **err)
{
	_cleanup_free_ char *rootfs = oci_path_join(bundle, "rootfs");
	if (mkdir(rootfs, 0755) < 0)
		return oci_err_sys(err, "creating '%s'", rootfs);
	_cleanup_close_ int rootfd = open(rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "opening '%s'", rootfs);
	uint32_t uid = 0, gid = 0;
	if (unpack_idmap_apply(o->uid_map, o->n_uid_map, 0, &uid) == 0 &&
	    unpack_idmap_apply(o->gid_map, o->n_gid_map, 0, &gid) == 0 &&
	    fchown(rootfd, uid, gid) < 0 && geteuid() == 0)
		return oci_err_sys(err, "chown '%s'", rootfs);

	for (size_t i = 0; i < im->n_layers; i++) {
		const struct oci_descriptor *d = &im->manifest.layers[i];
		_cleanup_free_ char *what = xasprintf("layer %s", d->digest.str);
		oci_debug("extracting layer %s (flat)", d->digest.str);
		_cleanup_close_ int blobfd = -1;
		int r = oci_layout_blob_open(im->layout, &d->digest, &blobfd, err);
		if (r < 0)
			return r;
		struct unpack_extract_opts xo = {
			.flat = true,
			.rootless = o->rootless,
			.userns = o->userns,
			.uid_map = o->uid_map,
			.n_uid_map = o->n_uid_map,
			.gid_map = o->gid_map,
			.n_gid_map = o->n_gid_map,
			.what = what,
			.blob_size = d->size,
		};
		r = unpack_extract(blobfd, &d->digest, &im->config.diff_ids[i], rootfd, &xo, err);
		if (r < 0)
			return r;
	}
	return 0;
}
