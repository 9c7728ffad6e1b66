/* Finding the image to unpack: a reference in the store's images/ layout
 * (by its full normalized ref.name) or oci:DIR[:REF]; its manifest for
 * this host's platform, its config, and its layers' chain IDs. */
#include "unpack.h"

#include <string.h>

#include "image_name.h"
#include "platform.h"
#include "store.h"
#include "util.h"

#define CONFIG_MAX (8 * 1024 * 1024)

void unpack_image_release(struct unpack_image *im)
{
	oci_layout_free(im->layout);
	free(im->name);
	oci_manifest_release(&im->manifest);
	oci_descriptor_release(&im->manifest_desc);
	oci_image_config_release(&im->config);
	free(im->chain_ids);
	memset(im, 0, sizeof(*im));
}

/* Without a ref in oci:DIR, a layout with a single image is unambiguous. */
static int resolve_only(struct oci_layout *l, const char *dir, struct oci_descriptor *ret,
			struct oci_err **err)
{
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	int r = oci_layout_list(l, &v, &n, err);
	if (r < 0)
		return r;
	if (n != 1) {
		oci_descriptors_free(v, n);
		return oci_err_set(err, EINVAL,
				   "'%s' holds %zu images: name one with oci:%s:REF", dir, n, dir);
	}
	oci_descriptor_copy(ret, &v[0]);
	oci_descriptors_free(v, n);
	return 0;
}

int unpack_image_open(const char *store, const char *image, struct unpack_image *ret,
		      struct oci_err **err)
{
	_cleanup_image_name_ struct oci_image_name n = { 0 };
	int r = oci_image_name_parse(image, &n, err);
	if (r < 0)
		return r;
	struct unpack_image im = { 0 };
	struct oci_descriptor desc = { 0 };
	if (n.transport == OCI_TRANSPORT_OCI) {
		r = oci_layout_open(n.path, false, &im.layout, err);
		if (r < 0)
			return r;
		if (n.layout_ref)
			r = oci_layout_resolve(im.layout, n.layout_ref, &desc, err);
		else
			r = resolve_only(im.layout, n.path, &desc, err);
		im.name = oci_image_name_string(&n);
	} else if (n.transport == OCI_TRANSPORT_REGISTRY) {
		_cleanup_free_ char *images = oci_store_images_dir(store);
		_cleanup_free_ char *ref = oci_image_name_string(&n);
		r = oci_layout_open(images, false, &im.layout, err);
		if (r < 0) {
			unpack_image_release(&im);
			return oci_err_wrap(err, "image '%s' is not in the store (run oci-fetch)",
					    ref);
		}
		r = oci_layout_resolve(im.layout, ref, &desc, err);
		im.name = TAKE_PTR(ref);
	} else {
		return oci_err_set(err, EINVAL, "'%s': oci-archive images cannot be unpacked: "
				   "extract the archive and use oci:DIR", image);
	}
	if (r < 0) {
		unpack_image_release(&im);
		return r;
	}

	_cleanup_platform_ struct oci_platform host = { 0 };
	oci_platform_host(&host);
	r = oci_layout_load_manifest(im.layout, &desc, &host, &im.manifest, &im.manifest_desc,
				     err);
	oci_descriptor_release(&desc);
	if (r < 0) {
		unpack_image_release(&im);
		return oci_err_wrap(err, "image '%s'", image);
	}

	_cleanup_free_ char *cbuf = NULL;
	size_t clen = 0;
	r = oci_layout_blob_read(im.layout, &im.manifest.config.digest, CONFIG_MAX, &cbuf, &clen,
				 err);
	if (r < 0) {
		unpack_image_release(&im);
		return oci_err_wrap(err, "image '%s': config", image);
	}
	_cleanup_free_ char *cname = xasprintf("config %s", im.manifest.config.digest.str);
	r = oci_image_config_parse(cbuf, clen, cname, &im.config, err);
	if (r < 0) {
		unpack_image_release(&im);
		return oci_err_wrap(err, "image '%s'", image);
	}
	if (im.config.os && im.config.arch) {
		_cleanup_platform_ struct oci_platform want = { .os = xstrdup(im.config.os),
								.arch = xstrdup(im.config.arch) };
		oci_platform_normalize(&want);
		if (!streq(want.os, host.os) || !streq(want.arch, host.arch)) {
			_cleanup_free_ char *hs = oci_platform_string(&host);
			int e = oci_err_set(err, ENOEXEC,
					    "image '%s' is for %s/%s, not for this host (%s)", image,
					    want.os, want.arch, hs);
			unpack_image_release(&im);
			return e;
		}
	}
	if (im.config.n_diff_ids != im.manifest.n_layers) {
		unpack_image_release(&im);
		return oci_err_set(err, EINVAL,
				   "image '%s': the manifest has %zu layers but the config %zu diff_ids",
				   image, im.manifest.n_layers, im.config.n_diff_ids);
	}
	for (size_t i = 0; i < im.manifest.n_layers; i++) {
		const char *mt = im.manifest.layers[i].media_type;
		if (!mt || !oci_media_type_is_layer(mt) || streq(mt, DOCKER_MT_LAYER_FOREIGN)) {
			int e = oci_err_set(err, ENOTSUP, "image '%s': layer %zu has media type '%s'",
					    image, i, mt ? mt : "");
			unpack_image_release(&im);
			return e;
		}
	}
	im.n_layers = im.manifest.n_layers;
	im.chain_ids = xcalloc(im.n_layers ? im.n_layers : 1, sizeof(*im.chain_ids));
	if (im.n_layers)
		oci_chain_ids(im.config.diff_ids, im.n_layers, im.chain_ids);
	*ret = im;
	return 0;
}
