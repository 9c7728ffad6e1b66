/* Image manifests and indexes (OCI image-spec manifest.md, image-index.md;
 * Docker image manifest v2 schema 2 and manifest list), parsed from the
 * bytes as received. */
#include "manifest.h"

#include <inttypes.h>
#include <string.h>
#include <strings.h>

#include "json.h"
#include "sbuf.h"
#include "util.h"

#define DOCKER_MT_SCHEMA1 "application/vnd.docker.distribution.manifest.v1+json"
#define DOCKER_MT_SCHEMA1_SIGNED "application/vnd.docker.distribution.manifest.v1+prettyjws"
#define MANIFEST_MAX (4u << 20) /* the distribution spec's limit */
#define MAX_DEPTH 8

bool oci_media_type_is_index(const char *mt)
{
	return mt && (streq(mt, OCI_MT_INDEX) || streq(mt, DOCKER_MT_LIST));
}

bool oci_media_type_is_manifest(const char *mt)
{
	return mt && (streq(mt, OCI_MT_MANIFEST) || streq(mt, DOCKER_MT_MANIFEST));
}

bool oci_media_type_is_layer(const char *mt)
{
	return mt && (startswith(mt, "application/vnd.oci.image.layer.") ||
		      startswith(mt, "application/vnd.docker.image.rootfs."));
}

/* The media type a Content-Type header names, without parameters; NULL for
 * none or for generic types that say nothing about the document. */
static char *content_type_mt(const char *ct)
{
	if (!ct)
		return NULL;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, ";");
	while (n && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (!n)
		return NULL;
	char *mt = xstrndup(ct, n);
	for (char *p = mt; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	if (streq(mt, "application/json") || streq(mt, "application/octet-stream") ||
	    streq(mt, "text/plain")) {
		free(mt);
		return NULL;
	}
	return mt;
}

/* Loads the document and decides its media type from the body, the
 * Content-Type, or (with neither) its shape. */
static int load_doc(const char *buf, size_t len, const char *content_type, const char *name,
		    json_t **ret, char **ret_mt, struct oci_err **err)
{
	json_auto_t *doc = NULL;
	int r = oci_json_load_buf(buf, len, name, &doc, err);
	if (r < 0)
		return r;
	r = oci_json_expect(doc, JSON_OBJECT, "", err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	const char *body_mt = NULL;
	r = oci_json_opt_str(doc, "", "mediaType", &body_mt, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	_cleanup_free_ char *ct = content_type_mt(content_type);
	if (body_mt && ct && strcasecmp(body_mt, ct) != 0)
		return oci_err_set(
		    err, EINVAL,
		    "%s: mediaType '%s' in the body does not match the Content-Type '%s'", name,
		    body_mt, ct);
	char *mt = NULL;
	if (body_mt)
		mt = xstrdup(body_mt);
	else if (ct)
		mt = TAKE_PTR(ct);
	else if (json_object_get(doc, "manifests"))
		mt = xstrdup(OCI_MT_INDEX);
	else if (json_object_get(doc, "config"))
		mt = xstrdup(OCI_MT_MANIFEST);
	else
		mt = xstrdup("");
	int64_t sv = 0;
	if (streq(mt, DOCKER_MT_SCHEMA1) || streq(mt, DOCKER_MT_SCHEMA1_SIGNED) ||
	    (oci_json_opt_int(doc, "", "schemaVersion", &sv, NULL) > 0 && sv == 1)) {
		free(mt);
		return oci_err_set(err, ENOTSUP,
				   "%s: Docker image manifest schema 1 is not supported (ask the "
				   "registry for schema 2 or OCI)",
				   name);
	}
	r = oci_json_get_int(doc, "", "schemaVersion", &sv, err);
	if (r < 0) {
		free(mt);
		return oci_err_wrap(err, "%s", name);
	}
	if (sv != 2) {
		free(mt);
		return oci_err_set(err, EINVAL, "%s: schemaVersion: %" PRId64 " is not 2", name,
				   sv);
	}
	*ret = TAKE_PTR(doc);
	*ret_mt = mt;
	return 0;
}

static int parse_descriptors(json_t *doc, const char *key, const char *name,
			     struct oci_descriptor **ret, size_t *ret_n, struct oci_err **err)
{
	json_t *arr = NULL;
	int r = oci_json_get_arr(doc, "", key, &arr, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	size_t n = json_array_size(arr);
	struct oci_descriptor *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = oci_json_path_index(key, i);
		r = oci_descriptor_from_json(json_array_get(arr, i), p, &v[i], err);
		if (r < 0) {
			oci_descriptors_free(v, i);
			return oci_err_wrap(err, "%s", name);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int oci_manifest_parse(const char *buf, size_t len, const char *content_type, const char *name,
		       struct oci_manifest *ret, struct oci_err **err)
{
	if (!name)
		name = "manifest";
	json_auto_t *doc = NULL;
	_cleanup_free_ char *mt = NULL;
	int r = load_doc(buf, len, content_type, name, &doc, &mt, err);
	if (r < 0)
		return r;
	if (oci_media_type_is_index(mt))
		return oci_err_set(err, EINVAL,
				   "%s: is an image index ('%s'), not an image manifest", name, mt);
	if (!oci_media_type_is_manifest(mt))
		return oci_err_set(err, ENOTSUP, "%s: unsupported manifest media type '%s'", name,
				   mt);
	struct oci_manifest m = {0};
	json_t *cfg = NULL;
	r = oci_json_get_obj(doc, "", "config", &cfg, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	r = oci_descriptor_from_json(cfg, "config", &m.config, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	r = parse_descriptors(doc, "layers", name, &m.layers, &m.n_layers, err);
	if (r < 0) {
		oci_descriptor_release(&m.config);
		return r;
	}
	json_t *ann = NULL;
	_cleanup_strv_ char **ann_kv = NULL; /* only to check the values are strings */
	r = oci_json_opt_obj(doc, "", "annotations", &ann, err);
	if (r >= 0)
		r = oci_json_opt_str_map(doc, "", "annotations", &ann_kv, err);
	if (r < 0) {
		oci_manifest_release(&m);
		return oci_err_wrap(err, "%s", name);
	}
	m.annotations = ann ? json_incref(ann) : NULL;
	m.media_type = TAKE_PTR(mt);
	*ret = m;
	return 0;
}

void oci_manifest_release(struct oci_manifest *m)
{
	if (!m)
		return;
	free(m->media_type);
	oci_descriptor_release(&m->config);
	oci_descriptors_free(m->layers, m->n_layers);
	json_decref(m->annotations);
	memset(m, 0, sizeof(*m));
}

static int parse_platform(json_t *obj, const char *path, struct oci_platform *ret,
			  struct oci_err **err)
{
	const char *os = NULL, *arch = NULL, *variant = NULL, *osv = NULL;
	int r;
	if ((r = oci_json_get_str(obj, path, "architecture", &arch, err)) < 0 ||
	    (r = oci_json_get_str(obj, path, "os", &os, err)) < 0 ||
	    (r = oci_json_opt_str(obj, path, "variant", &variant, err)) < 0 ||
	    (r = oci_json_opt_str(obj, path, "os.version", &osv, err)) < 0)
		return r;
	ret->os = xstrdup(os);
	ret->arch = xstrdup(arch);
	ret->variant = variant && *variant ? xstrdup(variant) : NULL;
	ret->os_version = osv && *osv ? xstrdup(osv) : NULL;
	return 0;
}

int oci_index_parse(const char *buf, size_t len, const char *content_type, const char *name,
		    struct oci_index *ret, struct oci_err **err)
{
	if (!name)
		name = "index";
	json_auto_t *doc = NULL;
	_cleanup_free_ char *mt = NULL;
	int r = load_doc(buf, len, content_type, name, &doc, &mt, err);
	if (r < 0)
		return r;
	if (oci_media_type_is_manifest(mt))
		return oci_err_set(err, EINVAL,
				   "%s: is an image manifest ('%s'), not an image index", name, mt);
	if (!oci_media_type_is_index(mt))
		return oci_err_set(err, ENOTSUP, "%s: unsupported index media type '%s'", name, mt);
	json_t *arr = NULL;
	r = oci_json_get_arr(doc, "", "manifests", &arr, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	struct oci_index x = {0};
	size_t n = json_array_size(arr);
	x.manifests = xcalloc(n + 1, sizeof(*x.manifests));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		_cleanup_free_ char *p = oci_json_path_index("manifests", i);
		r = oci_descriptor_from_json(e, p, &x.manifests[i].desc, err);
		x.n_manifests = i;
		if (r >= 0) {
			x.n_manifests = i + 1;
			json_t *pl = NULL;
			r = oci_json_opt_obj(e, p, "platform", &pl, err);
			if (r > 0) {
				_cleanup_free_ char *pp = oci_json_path_key(p, "platform");
				r = parse_platform(pl, pp, &x.manifests[i].platform, err);
				x.manifests[i].has_platform = r >= 0;
			}
		}
		if (r < 0) {
			oci_index_release(&x);
			return oci_err_wrap(err, "%s", name);
		}
	}
	x.n_manifests = n;
	x.media_type = TAKE_PTR(mt);
	*ret = x;
	return 0;
}

void oci_index_release(struct oci_index *x)
{
	if (!x)
		return;
	free(x->media_type);
	for (size_t i = 0; i < x->n_manifests; i++) {
		oci_descriptor_release(&x->manifests[i].desc);
		oci_platform_release(&x->manifests[i].platform);
	}
	free(x->manifests);
	memset(x, 0, sizeof(*x));
}

int oci_index_select(const struct oci_index *x, const struct oci_platform *platform,
		     const struct oci_index_entry **ret, struct oci_err **err)
{
	_cleanup_platform_ struct oci_platform host = {0};
	if (!platform) {
		oci_platform_host(&host);
		platform = &host;
	}
	bool any_platform = false;
	for (size_t i = 0; i < x->n_manifests; i++) {
		const struct oci_index_entry *e = &x->manifests[i];
		if (!e->has_platform)
			continue;
		any_platform = true;
		if (oci_platform_match(platform, &e->platform)) {
			*ret = e;
			return 0;
		}
	}
	/* An index that says nothing about platforms: its first manifest. */
	if (!any_platform) {
		for (size_t i = 0; i < x->n_manifests; i++) {
			if (oci_media_type_is_manifest(x->manifests[i].desc.media_type) ||
			    oci_media_type_is_index(x->manifests[i].desc.media_type)) {
				*ret = &x->manifests[i];
				return 0;
			}
		}
	}
	_cleanup_free_ char *want = oci_platform_string(platform);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; i < x->n_manifests; i++) {
		if (!x->manifests[i].has_platform)
			continue;
		_cleanup_free_ char *s = oci_platform_string(&x->manifests[i].platform);
		if (sb.len)
			sbuf_addstr(&sb, ", ");
		sbuf_addstr(&sb, s);
	}
	return oci_err_set(err, ENOENT, "no manifest for platform '%s' (available: %s)", want,
			   sb.len ? sb.buf : "none");
}

int oci_layout_load_manifest(struct oci_layout *l, const struct oci_descriptor *desc,
			     const struct oci_platform *platform, struct oci_manifest *ret,
			     struct oci_descriptor *ret_desc, struct oci_err **err)
{
	_cleanup_descriptor_ struct oci_descriptor cur = {0};
	oci_descriptor_copy(&cur, desc);
	for (int depth = 0;; depth++) {
		if (depth > MAX_DEPTH)
			return oci_err_set(err, ELOOP, "%s: indexes nested more than %d deep",
					   desc->digest.str, MAX_DEPTH);
		_cleanup_free_ char *buf = NULL;
		size_t len = 0;
		int r = oci_layout_blob_read(l, &cur.digest, MANIFEST_MAX, &buf, &len, err);
		if (r < 0)
			return r;
		if ((int64_t)len != cur.size)
			return oci_err_set(err, EINVAL,
					   "blob %s has %zu bytes, its descriptor says %" PRId64,
					   cur.digest.str, len, cur.size);
		_cleanup_free_ char *name = xasprintf("manifest %s", cur.digest.str);
		if (oci_media_type_is_index(cur.media_type)) {
			struct oci_index x = {0};
			r = oci_index_parse(buf, len, cur.media_type, name, &x, err);
			if (r < 0)
				return r;
			const struct oci_index_entry *e = NULL;
			r = oci_index_select(&x, platform, &e, err);
			if (r < 0) {
				oci_index_release(&x);
				return oci_err_wrap(err, "index %s", cur.digest.str);
			}
			if (!oci_layout_has_blob(l, &e->desc.digest)) {
				/* an index copied without its manifests (skopeo's and
				 * oci-fetch's --multi-arch index-only) */
				_cleanup_free_ char *pl = e->has_platform
							      ? oci_platform_string(&e->platform)
							      : NULL;
				r = oci_err_set(err, ENOENT,
						"index %s: the manifest %s%s%s%s is not in '%s' (the index was copied without it, e.g. by --multi-arch index-only: pull that platform)",
						cur.digest.str, e->desc.digest.str,
						pl ? " for platform '" : "", pl ? pl : "", pl ? "'" : "",
						l->path);
				oci_index_release(&x);
				return r;
			}
			struct oci_descriptor next = {0};
			oci_descriptor_copy(&next, &e->desc);
			oci_index_release(&x);
			oci_descriptor_release(&cur);
			cur = next;
			continue;
		}
		if (!oci_media_type_is_manifest(cur.media_type))
			return oci_err_set(
			    err, ENOTSUP,
			    "%s: media type '%s' is neither an image manifest nor an index",
			    cur.digest.str, cur.media_type ? cur.media_type : "");
		r = oci_manifest_parse(buf, len, cur.media_type, name, ret, err);
		if (r < 0)
			return r;
		if (ret_desc) {
			*ret_desc = cur;
			memset(&cur, 0, sizeof(cur));
		}
		return 0;
	}
}
