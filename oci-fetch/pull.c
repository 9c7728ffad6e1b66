/* pull, inspect and tags: manifests (kept byte for byte as served, digests
 * verified), platform choice from indexes, blobs through transfer.c, and
 * index.json updated last so that nothing half-pulled is named. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "image_name.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "sigstore.h"
#include "store.h"
#include "util.h"

struct raw_manifest {
	char *data;
	size_t len;
	char *media_type;
	struct oci_digest digest;
};

static void raw_release(struct raw_manifest *m)
{
	free(m->data);
	free(m->media_type);
	memset(m, 0, sizeof(*m));
}

/* The mediaType field of a document, or NULL. */
static char *doc_media_type(const char *data, size_t len)
{
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *mt = j ? json_string_value(json_object_get(j, "mediaType")) : NULL;
	char *r = mt ? xstrdup(mt) : NULL;
	json_decref(j);
	return r;
}

static char *clean_content_type(const char *ct)
{
	if (!ct)
		return NULL;
	size_t n = strcspn(ct, ";");
	while (n && ct[n - 1] == ' ')
		n--;
	return xstrndup(ct, n);
}

struct pull_ctx {
	const struct fetch_opts *o;
	struct fetch_registry *reg;
	const char *repo;
	const char *refstr; /* for messages: "host/repo:tag" */
	struct oci_layout *layout; /* may be NULL (inspect) */
};

/* Gets a manifest by tag or digest. With expect (a digest) the bytes must
 * hash to it. When the layout already holds the blob that a HEAD names, it
 * is read from there (a warm re-pull costs one HEAD). */
static int get_manifest(struct pull_ctx *c, const char *reference, const struct oci_digest *expect,
			struct raw_manifest *ret, struct oci_err **err)
{
	_cleanup_free_ char *scope = fetch_scope(c->repo, false);
	_cleanup_free_ char *path = xasprintf("/v2/%s/manifests/%s%s", c->repo, reference,
					      c->reg->query);
	struct fetch_response resp = { 0 };
	int r;

	if (c->layout) {
		struct oci_digest known = { 0 };
		bool have_known = false;
		_cleanup_free_ char *ct = NULL;
		if (expect) {
			known = *expect;
			have_known = true;
		}
		if (!have_known || !oci_layout_has_blob(c->layout, &known)) {
			if (!expect) {
				struct fetch_request head = { .method = "HEAD", .url = path, .scope = scope,
							      .accept = FETCH_ACCEPT_MANIFEST, .body_fd = -1,
							      .no_body = true };
				r = fetch_registry_do(c->reg, &head, &resp, err);
				if (r < 0) {
					fetch_response_release(&resp);
					return oci_err_wrap(err, "%s", c->refstr);
				}
				if (resp.status == 200 && resp.digest) {
					struct oci_err *e2 = NULL;
					if (oci_digest_parse(resp.digest, &known, &e2) >= 0)
						have_known = true;
					oci_err_clear(&e2);
					ct = clean_content_type(resp.content_type);
				}
				fetch_response_release(&resp);
			}
		}
		if (have_known && oci_layout_has_blob(c->layout, &known)) {
			char *data = NULL;
			size_t len = 0;
			if (oci_layout_blob_read(c->layout, &known, 64 << 20, &data, &len, err) >= 0) {
				memset(ret, 0, sizeof(*ret));
				ret->data = data;
				ret->len = len;
				ret->digest = known;
				ret->media_type = doc_media_type(data, len);
				if (!ret->media_type)
					ret->media_type = ct ? TAKE_PTR(ct) : xstrdup(OCI_MT_MANIFEST);
				oci_debug("manifest %s: already in the layout", known.str);
				return 0;
			}
			oci_err_clear(err);
		}
	}

	struct fetch_request get = { .method = "GET", .url = path, .scope = scope,
				     .accept = FETCH_ACCEPT_MANIFEST, .body_fd = -1 };
	r = fetch_registry_do(c->reg, &get, &resp, err);
	if (r < 0) {
		fetch_response_release(&resp);
		return oci_err_wrap(err, "%s", c->refstr);
	}
	if (resp.status != 200) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		long st = resp.status;
		fetch_response_release(&resp);
		const char *hint = st == 404 ? ": manifest unknown (no such image or tag)"
				   : st == 401 ? ": authentication required (try oci-fetch login)"
				   : st == 403 ? ": access denied"
					       : "";
		return oci_err_set(err, st == 404 ? ENOENT : st == 401 || st == 403 ? EACCES : EIO,
				   "GET manifest %s: %s from registry '%s'%s", c->refstr, he,
				   c->reg->host, hint);
	}
	memset(ret, 0, sizeof(*ret));
	ret->len = resp.body.len;
	ret->data = sbuf_detach(&resp.body, NULL);
	oci_digest_buf(expect ? expect->alg : OCI_DIGEST_SHA256, ret->data, ret->len, &ret->digest);
	_cleanup_free_ char *ct = clean_content_type(resp.content_type);
	_cleanup_free_ char *hdr_digest = resp.digest ? xstrdup(resp.digest) : NULL;
	fetch_response_release(&resp);
	if (expect) {
		_cleanup_free_ char *what = xasprintf("manifest %s from registry '%s'", c->refstr,
						      c->reg->host);
		if (oci_digest_verify(expect, &ret->digest, what, err) < 0) {
			raw_release(ret);
			return -(*err)->code;
		}
	} else if (hdr_digest) {
		struct oci_digest hd;
		struct oci_err *e2 = NULL;
		if (oci_digest_parse(hdr_digest, &hd, &e2) >= 0 && hd.alg == ret->digest.alg &&
		    !oci_digest_equal(&hd, &ret->digest)) {
			int rr = oci_err_set(err, EBADMSG,
					     "manifest %s from registry '%s': Docker-Content-Digest %s does not match the content (%s)",
					     c->refstr, c->reg->host, hd.str, ret->digest.str);
			raw_release(ret);
			return rr;
		}
		oci_err_clear(&e2);
	}
	_cleanup_free_ char *body_mt = doc_media_type(ret->data, ret->len);
	if (body_mt && ct && !streq(ct, "application/json") && !streq(body_mt, ct)) {
		int rr = oci_err_set(err, EBADMSG,
				     "manifest %s from registry '%s': mediaType '%s' does not match Content-Type '%s'",
				     c->refstr, c->reg->host, body_mt, ct);
		raw_release(ret);
		return rr;
	}
	ret->media_type = body_mt ? TAKE_PTR(body_mt) : ct ? TAKE_PTR(ct) : xstrdup(OCI_MT_MANIFEST);
	return 0;
}

static void add_blob(struct fetch_blob **v, size_t *n, const struct oci_descriptor *d)
{
	for (size_t i = 0; i < *n; i++)
		if (oci_digest_equal(&(*v)[i].digest, &d->digest))
			return;
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[*n] = (struct fetch_blob){ .digest = d->digest, .size = d->size,
					.media_type = d->media_type };
	(*n)++;
}

struct pulled {
	struct raw_manifest top;
	bool is_index;
	struct raw_manifest *children; /* platform manifests of an index */
	size_t n_children;
	struct oci_manifest *parsed; /* one per image manifest (children, or top) */
	size_t n_parsed;
	struct oci_descriptor chosen; /* the platform entry picked (single-platform pull) */
	bool have_chosen;
	struct oci_index index;
	bool have_index;
};

static void pulled_release(struct pulled *p)
{
	raw_release(&p->top);
	for (size_t i = 0; i < p->n_children; i++)
		raw_release(&p->children[i]);
	free(p->children);
	for (size_t i = 0; i < p->n_parsed; i++)
		oci_manifest_release(&p->parsed[i]);
	free(p->parsed);
	if (p->have_chosen)
		oci_descriptor_release(&p->chosen);
	if (p->have_index)
		oci_index_release(&p->index);
	memset(p, 0, sizeof(*p));
}

static int parse_image_manifest(struct pulled *p, const struct raw_manifest *m, const char *name,
				struct oci_err **err)
{
	p->parsed = xrealloc(p->parsed, (p->n_parsed + 1) * sizeof(*p->parsed));
	if (oci_manifest_parse(m->data, m->len, m->media_type, name, &p->parsed[p->n_parsed], err) < 0)
		return -(*err)->code;
	p->n_parsed++;
	return 0;
}

/* Resolves the reference to manifests (not layers). */
static int resolve(struct pull_ctx *c, const struct oci_ref *ref, const struct oci_platform *plat,
		   enum fetch_multi_arch mode, struct pulled *p, struct oci_err **err)
{
	struct oci_digest want;
	const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
	if (ref->digest && oci_digest_parse(ref->digest, &want, err) < 0)
		return -(*err)->code;
	if (get_manifest(c, reference, ref->digest ? &want : NULL, &p->top, err) < 0)
		return -(*err)->code;
	if (oci_media_type_is_index(p->top.media_type)) {
		p->is_index = true;
		if (oci_index_parse(p->top.data, p->top.len, p->top.media_type, c->refstr, &p->index, err) < 0)
			return -(*err)->code;
		p->have_index = true;
		const struct oci_index_entry **sel = NULL;
		size_t n_sel = 0;
		_cleanup_free_ const struct oci_index_entry **selv = NULL;
		if (mode == FETCH_MULTI_ARCH_INDEX_ONLY) {
			/* the index alone: none of its manifests */
		} else if (mode == FETCH_MULTI_ARCH_ALL) {
			selv = xcalloc(p->index.n_manifests + 1, sizeof(*selv));
			for (size_t i = 0; i < p->index.n_manifests; i++)
				if (oci_media_type_is_manifest(p->index.manifests[i].desc.media_type))
					selv[n_sel++] = &p->index.manifests[i];
			sel = selv;
		} else {
			selv = xcalloc(1, sizeof(*selv));
			if (oci_index_select(&p->index, plat, &selv[0], err) < 0)
				return oci_err_wrap(err, "%s", c->refstr);
			n_sel = 1;
			sel = selv;
			oci_descriptor_copy(&p->chosen, &selv[0]->desc);
			p->have_chosen = true;
		}
		p->children = xcalloc(n_sel ? n_sel : 1, sizeof(*p->children));
		for (size_t i = 0; i < n_sel; i++) {
			const struct oci_descriptor *d = &sel[i]->desc;
			if (get_manifest(c, d->digest.str, &d->digest, &p->children[i], err) < 0)
				return -(*err)->code;
			p->n_children++;
			if (oci_media_type_is_index(p->children[i].media_type))
				return oci_err_set(err, ENOTSUP, "%s: nested index %s is not supported",
						   c->refstr, d->digest.str);
			_cleanup_free_ char *nm = xasprintf("manifest %s", d->digest.str);
			if (parse_image_manifest(p, &p->children[i], nm, err) < 0)
				return oci_err_wrap(err, "%s", c->refstr);
		}
	} else if (oci_media_type_is_manifest(p->top.media_type)) {
		if (parse_image_manifest(p, &p->top, c->refstr, err) < 0)
			return -(*err)->code;
	} else {
		return oci_err_set(err, ENOTSUP, "%s: unsupported manifest media type '%s'", c->refstr,
				   p->top.media_type);
	}
	return 0;
}

static int store_raw(struct oci_layout *l, const struct raw_manifest *m, struct oci_err **err)
{
	if (oci_layout_has_blob(l, &m->digest))
		return 0;
	return oci_layout_blob_put(l, m->data, m->len, &m->digest, NULL, err);
}

static int open_registry(const struct fetch_opts *o, const struct fetch_endpoint *ep,
			 struct fetch_registry **ret, struct oci_err **err)
{
	if (fetch_registry_open(o, ep->host, ep->insecure, ret, err) < 0)
		return -(*err)->code;
	if (ep->ns) {
		free((*ret)->query);
		(*ret)->query = xasprintf("?ns=%s", ep->ns);
	}
	if (fetch_registry_ping(*ret, err) < 0) {
		fetch_registry_free(*ret);
		*ret = NULL;
		return -(*err)->code;
	}
	return 0;
}

static int pull_one(const struct fetch_opts *o, const struct fetch_endpoint *ep,
		    const struct oci_ref *ref, const struct oci_platform *plat, struct oci_layout *l,
		    const char *ref_name, const struct fetch_policy *pol, struct oci_digest *ret_digest,
		    struct oci_err **err)
{
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	if (open_registry(o, ep, &reg, err) < 0)
		return -(*err)->code;
	const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
	_cleanup_free_ char *refstr = xasprintf("%s/%s%s%s", ep->host, ep->repo,
						ref->digest ? "@" : ":", reference);
	struct pull_ctx c = { .o = o, .reg = reg, .repo = ep->repo, .refstr = refstr, .layout = l };
	struct pulled p = { 0 };
	int r = resolve(&c, ref, plat, o->multi_arch, &p, err);
	if (r < 0) {
		pulled_release(&p);
		return r;
	}
	/* the trust policy's signatures of each manifest pulled, before any blob */
	for (size_t i = 0; pol && r >= 0 && i < (p.n_children ? p.n_children : 1); i++) {
		const struct raw_manifest *m = p.n_children ? &p.children[i] : &p.top;
		r = fetch_policy_verify(pol, reg, ep->repo, &m->digest, m->data, m->len, err);
	}
	if (r < 0) {
		pulled_release(&p);
		return r;
	}
	/* the index is what the name points to (with all or only some of its manifests) */
	bool keep_index = p.is_index && (o->multi_arch == FETCH_MULTI_ARCH_ALL ||
					 o->multi_arch == FETCH_MULTI_ARCH_INDEX_ONLY);
	_cleanup_free_ struct fetch_blob *blobs = NULL;
	size_t nb = 0;
	for (size_t i = 0; i < p.n_parsed; i++) {
		add_blob(&blobs, &nb, &p.parsed[i].config);
		for (size_t k = 0; k < p.parsed[i].n_layers; k++)
			add_blob(&blobs, &nb, &p.parsed[i].layers[k]);
	}
	_cleanup_(fetch_progress_freep) struct fetch_progress *pg = fetch_progress_new(o, nb);
	r = fetch_download_blobs(reg, ep->repo, l, blobs, nb, pg, err);
	if (r >= 0) {
		for (size_t i = 0; i < p.n_children && r >= 0; i++)
			r = store_raw(l, &p.children[i], err);
		if (r >= 0 && (!p.is_index || keep_index))
			r = store_raw(l, &p.top, err);
	}
	if (r >= 0) {
		struct oci_descriptor d = { 0 };
		if (p.is_index && !keep_index) {
			oci_descriptor_copy(&d, &p.chosen);
		} else {
			d.media_type = xstrdup(p.top.media_type);
			d.digest = p.top.digest;
			d.size = (int64_t)p.top.len;
		}
		/* a warm re-pull of an unchanged image leaves index.json alone */
		struct oci_descriptor cur = { 0 };
		struct oci_err *e2 = NULL;
		bool same = oci_layout_resolve(l, ref_name, &cur, &e2) >= 0 &&
			    oci_digest_equal(&cur.digest, &d.digest) && cur.media_type &&
			    streq(cur.media_type, d.media_type);
		oci_err_clear(&e2);
		oci_descriptor_release(&cur);
		if (!same && p.is_index && o->multi_arch == FETCH_MULTI_ARCH_INDEX_ONLY)
			r = oci_layout_set_ref_index_only(l, ref_name, &d, err);
		else if (!same)
			r = oci_layout_set_ref(l, ref_name, &d, err);
		oci_descriptor_release(&d);
	}
	if (r >= 0)
		*ret_digest = p.top.digest;
	pulled_release(&p);
	return r;
}

/* "docker://x" or a plain reference. */
static int parse_registry_ref(const char *s, struct oci_ref *ret, struct oci_err **err)
{
	if (startswith(s, "docker://"))
		s += 9;
	return oci_ref_parse(s, ret, err);
}

int fetch_platform_get(const struct fetch_opts *o, struct oci_platform *ret, struct oci_err **err)
{
	if (o->platform) {
		if (oci_platform_parse(o->platform, ret, err) < 0)
			return oci_err_wrap(err, "--platform");
	} else {
		oci_platform_host(ret);
	}
	/* skopeo's --override-os/--override-arch/--override-variant */
	if (o->override_os) {
		free(ret->os);
		ret->os = xstrdup(o->override_os);
	}
	if (o->override_arch) {
		free(ret->arch);
		ret->arch = xstrdup(o->override_arch);
		if (!o->override_variant) {
			free(ret->variant);
			ret->variant = NULL;
		}
	}
	if (o->override_variant) {
		free(ret->variant);
		ret->variant = xstrdup(o->override_variant);
	}
	if (o->override_os || o->override_arch || o->override_variant)
		oci_platform_normalize(ret);
	return 0;
}

enum dest_kind { DEST_LAYOUT, DEST_ARCHIVE, DEST_DIR, DEST_DOCKER_ARCHIVE };

static int pull_ref(const struct fetch_opts *o, const char *src, const char *dest,
		    struct sbuf *out, struct oci_err **err)
{
	_cleanup_ref_ struct oci_ref ref = { 0 };
	if (parse_registry_ref(src, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", src);
	_cleanup_platform_ struct oci_platform plat = { 0 };
	if (fetch_platform_get(o, &plat, err) < 0)
		return -(*err)->code;
	_cleanup_(fetch_policy_freep) struct fetch_policy *pol = NULL;
	if (fetch_policy_load(o, &ref, &pol, err) < 0)
		return -(*err)->code;

	enum dest_kind kind = DEST_LAYOUT;
	_cleanup_free_ char *layout_path = NULL, *ref_name = NULL, *final = NULL, *repotag = NULL;
	if (!dest) {
		_cleanup_free_ char *store = NULL;
		if (oci_store_path(o->store, &store, err) < 0)
			return -(*err)->code;
		layout_path = oci_store_images_dir(store);
		ref_name = oci_ref_string(&ref);
	} else if (startswith(dest, "docker-archive:")) {
		/* docker-archive:FILE[:NAME:TAG], split at the first ':' as skopeo does */
		const char *p = dest + strlen("docker-archive:");
		const char *colon = strchr(p, ':');
		final = colon ? xstrndup(p, (size_t)(colon - p)) : xstrdup(p);
		if (!*final)
			return oci_err_set(err, EINVAL, "destination '%s': docker-archive: needs a file", dest);
		if (o->multi_arch == FETCH_MULTI_ARCH_ALL ||
		    o->multi_arch == FETCH_MULTI_ARCH_INDEX_ONLY)
			return oci_err_set(err, EINVAL,
					   "destination '%s': a docker-archive holds one platform (drop --multi-arch %s)",
					   dest, o->multi_arch == FETCH_MULTI_ARCH_ALL ? "all" : "index-only");
		kind = DEST_DOCKER_ARCHIVE;
		ref_name = xstrdup("latest");
		repotag = colon ? xstrdup(colon + 1) : oci_ref_familiar(&ref);
	} else if (startswith(dest, "dir:")) {
		if (!dest[4])
			return oci_err_set(err, EINVAL, "destination '%s': dir: needs a folder", dest);
		kind = DEST_DIR;
		final = xstrdup(dest + 4);
		ref_name = xstrdup("latest");
	} else {
		_cleanup_image_name_ struct oci_image_name dn = { 0 };
		if (oci_image_name_parse(dest, &dn, err) < 0)
			return oci_err_wrap(err, "destination");
		if (dn.transport == OCI_TRANSPORT_REGISTRY)
			return oci_err_set(err, EINVAL,
					   "destination '%s' must be oci:DIR[:TAG], oci-archive:FILE[:TAG] or dir:DIR (or omitted for the store)",
					   dest);
		ref_name = xstrdup(dn.layout_ref ? dn.layout_ref : ref.tag ? ref.tag : "latest");
		if (dn.transport == OCI_TRANSPORT_OCI_ARCHIVE) {
			kind = DEST_ARCHIVE;
			final = xstrdup(dn.path);
		} else {
			layout_path = xstrdup(dn.path);
		}
	}
	if (kind != DEST_LAYOUT) {
		/* a temporary layout beside the destination, turned into it at the end */
		_cleanup_free_ char *parent = xstrdup(final);
		char *slash = strrchr(parent, '/');
		if (slash)
			*slash = 0;
		_cleanup_free_ char *prefix = xasprintf("%s/.oci-fetch", slash ? (*parent ? parent : "/") : ".");
		if (oci_mkdtemp(prefix, &layout_path, err) < 0)
			return oci_err_wrap(err, "destination '%s'", dest);
	}
	/* a layout this pull creates is removed again when the trust policy
	 * refused the image somewhere (other failures keep it: partial blobs
	 * resume) */
	bool created = kind == DEST_LAYOUT && dest && access(layout_path, F_OK) < 0;
	bool refused = false;
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	int r = oci_layout_open(layout_path, true, &l, err);

	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	if (r >= 0)
		r = fetch_endpoints_for(o, &ref, ref.digest != NULL, false, &eps, &n, err);
	struct oci_digest digest;
	const struct fetch_endpoint *used = NULL;
	for (size_t i = 0; r >= 0 && i < n; i++) {
		r = pull_one(o, &eps[i], &ref, &plat, l, ref_name, pol, &digest, err);
		if (r >= 0) {
			used = &eps[i];
			break;
		}
		refused = refused || (*err)->code == EKEYREJECTED;
		if (i + 1 < n) {
			oci_warn("mirror '%s' failed: %s; trying %s", eps[i].host, (*err)->msg,
				 eps[i + 1].is_mirror ? "the next mirror" : "the registry");
			oci_err_clear(err);
			r = 0;
		}
	}
	if (r >= 0 && kind == DEST_ARCHIVE)
		r = fetch_write_oci_archive(layout_path, final, err);
	else if (r >= 0 && kind == DEST_DIR)
		r = fetch_write_dir(l, ref_name, final, err);
	else if (r >= 0 && kind == DEST_DOCKER_ARCHIVE)
		r = fetch_write_docker_archive(l, ref_name, repotag, final, err);
	if (r >= 0 && o->format == FETCH_FORMAT_JSON) {
		_cleanup_free_ char *rs = oci_ref_string(&ref);
		json_auto_t *doc = json_pack("{s:s, s:s, s:s, s:s, s:s}", "digest", digest.str,
					     "reference", rs, "destination", dest ? dest : layout_path,
					     "name", ref_name, "source", used->host);
		_cleanup_free_ char *js = oci_json_dumps(doc);
		sbuf_addstr(out, js);
	} else if (r >= 0) {
		sbuf_addf(out, "%s\n", digest.str);
	}
	fetch_endpoints_free(eps, n);
	if (kind != DEST_LAYOUT || (r < 0 && created && refused)) {
		oci_layout_free(TAKE_PTR(l));
		struct oci_err *e2 = NULL;
		oci_rm_rf(layout_path, &e2);
		oci_err_clear(&e2);
	}
	return r;
}

/* Runs fn for each candidate of a short name (one, unless
 * unqualified-search-registries give several) until one works. */
static int with_short_name(const struct fetch_opts *o, const char *src,
			   int (*fn)(const struct fetch_opts *o, const char *ref, void *arg,
				     struct oci_err **err),
			   void *arg, struct oci_err **err)
{
	/* docker://NAME is Docker's NAME (as skopeo's docker transport) */
	if (startswith(src, "docker://") || !fetch_is_short_name(src))
		return fn(o, src, arg, err);
	_cleanup_(fetch_short_resolved_release) struct fetch_short_resolved res = { 0 };
	if (fetch_short_name_resolve_for(o, src, &res, err) < 0)
		return -(*err)->code;
	if (res.why == FETCH_SHORT_DOCKER)
		return fn(o, src, arg, err); /* the same, with messages naming src */
	if (res.why == FETCH_SHORT_ALIAS) {
		oci_info("short name '%s': alias '%s' (%s)", src, res.candidates[0], res.origin);
		if (fn(o, res.candidates[0], arg, err) < 0)
			return oci_err_wrap(err, "short name '%s' (alias '%s' in '%s')", src,
					    res.candidates[0], res.origin);
		return 0;
	}
	size_t n = oci_strv_len(res.candidates);
	_cleanup_sbuf_ struct sbuf why = SBUF_INIT;
	int code = ENOENT;
	for (size_t i = 0; i < n; i++) {
		oci_info("short name '%s': trying '%s' (unqualified-search-registries of '%s')", src,
			 res.candidates[i], res.origin);
		if (fn(o, res.candidates[i], arg, err) >= 0)
			return 0;
		/* a usage error is the same for every candidate */
		if ((*err)->code == EINVAL && strstr((*err)->msg, "--"))
			return -(*err)->code;
		if ((*err)->code != ENOENT)
			code = (*err)->code;
		sbuf_addf(&why, "%s%s", why.len ? "; " : "", (*err)->msg);
		oci_err_clear(err);
	}
	_cleanup_sbuf_ struct sbuf regs = SBUF_INIT;
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&regs, "%s'%.*s'", i ? ", " : "", (int)strcspn(res.candidates[i], "/"),
			  res.candidates[i]);
	return oci_err_set(err, code,
			   "short name '%s': not pulled from any of the unqualified-search-registries of '%s' (%s): %s",
			   src, res.origin, regs.buf, why.buf);
}

struct pull_arg {
	const char *dest;
	struct sbuf *out;
};

static int pull_fn(const struct fetch_opts *o, const char *ref, void *varg, struct oci_err **err)
{
	struct pull_arg *a = varg;
	return pull_ref(o, ref, a->dest, a->out, err);
}

int fetch_cmd_pull(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err)
{
	struct pull_arg a = { .dest = dest, .out = out };
	return with_short_name(o, src, pull_fn, &a, err);
}

/* ---- inspect ---- */
static json_t *desc_json(const struct oci_descriptor *d)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", d->media_type ? d->media_type : "",
			 "digest", d->digest.str, "size", (json_int_t)d->size);
}

static json_t *platform_json(const struct oci_platform *pl)
{
	json_t *j = json_pack("{s:s, s:s}", "os", pl->os ? pl->os : "", "architecture",
			      pl->arch ? pl->arch : "");
	if (pl->variant)
		json_object_set_new(j, "variant", json_string(pl->variant));
	if (pl->os_version)
		json_object_set_new(j, "os.version", json_string(pl->os_version));
	return j;
}

static int inspect_one(const struct fetch_opts *o, const struct fetch_endpoint *ep,
		       const struct oci_ref *ref, const struct oci_platform *plat, json_t **ret,
		       struct sbuf *raw, struct oci_err **err)
{
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	if (open_registry(o, ep, &reg, err) < 0)
		return -(*err)->code;
	const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
	_cleanup_free_ char *refstr = xasprintf("%s/%s%s%s", ep->host, ep->repo,
						ref->digest ? "@" : ":", reference);
	struct pull_ctx c = { .o = o, .reg = reg, .repo = ep->repo, .refstr = refstr };
	struct pulled p = { 0 };
	int r = resolve(&c, ref, plat, FETCH_MULTI_ARCH_SYSTEM, &p, err);
	if (r < 0) {
		pulled_release(&p);
		return r;
	}
	if (o->inspect_raw) {
		/* the manifest or index exactly as served (its digest is REF's) */
		sbuf_add(raw, p.top.data, p.top.len);
		pulled_release(&p);
		*ret = NULL;
		return 0;
	}
	_cleanup_free_ char *name = oci_ref_name(ref);
	json_t *out = json_pack("{s:s, s:s, s:s}", "name", name, "digest", p.top.digest.str,
				"mediaType", p.top.media_type);
	if (ref->tag)
		json_object_set_new(out, "tag", json_string(ref->tag));
	if (p.is_index) {
		json_t *pls = json_array();
		for (size_t k = 0; k < p.index.n_manifests; k++) {
			const struct oci_index_entry *e = &p.index.manifests[k];
			json_t *pe = e->has_platform ? platform_json(&e->platform) : json_object();
			json_object_set_new(pe, "digest", json_string(e->desc.digest.str));
			json_object_set_new(pe, "mediaType", json_string(e->desc.media_type));
			json_object_set_new(pe, "size", json_integer(e->desc.size));
			json_array_append_new(pls, pe);
		}
		json_object_set_new(out, "platforms", pls);
		json_object_set_new(out, "manifest", desc_json(&p.chosen));
	}
	const struct oci_manifest *m = &p.parsed[0];
	json_object_set_new(out, "config", desc_json(&m->config));
	json_t *layers = json_array();
	int64_t total = m->config.size;
	for (size_t k = 0; k < m->n_layers; k++) {
		json_array_append_new(layers, desc_json(&m->layers[k]));
		total += m->layers[k].size;
	}
	json_object_set_new(out, "layers", layers);
	json_object_set_new(out, "size", json_integer(total));
	/* the config is small: read os/arch/created from it */
	_cleanup_free_ char *scope = fetch_scope(ep->repo, false);
	_cleanup_free_ char *cpath = xasprintf("/v2/%s/blobs/%s%s", ep->repo, m->config.digest.str,
					       reg->query);
	struct fetch_request req = { .method = "GET", .url = cpath, .scope = scope, .body_fd = -1 };
	struct fetch_response resp = { 0 };
	struct oci_err *e2 = NULL;
	bool got_config = false;
	if (m->config.size < (16 << 20) && fetch_registry_do(reg, &req, &resp, &e2) >= 0 &&
	    resp.status == 200) {
		struct oci_digest got;
		oci_digest_buf(m->config.digest.alg, resp.body.buf, resp.body.len, &got);
		if (oci_digest_equal(&got, &m->config.digest)) {
			got_config = true;
			if (o->inspect_config)
				sbuf_add(raw, resp.body.buf, resp.body.len);
			json_t *cfg = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
			const char *keys[] = { "os", "architecture", "variant", "created", "author" };
			for (size_t k = 0; cfg && k < ARRAY_SIZE(keys); k++) {
				json_t *v = json_object_get(cfg, keys[k]);
				if (json_is_string(v))
					json_object_set(out, keys[k], v);
			}
			json_t *cc = cfg ? json_object_get(cfg, "config") : NULL;
			json_t *labels = cc ? json_object_get(cc, "Labels") : NULL;
			if (json_is_object(labels))
				json_object_set(out, "labels", labels);
			json_decref(cfg);
		}
	}
	if (o->inspect_config && !got_config) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		r = e2 ? oci_err_set(err, e2->code, "config %s of %s: %s", m->config.digest.str, refstr,
				     e2->msg)
		       : oci_err_set(err, EIO, "config %s of %s: %s from registry '%s'",
				     m->config.digest.str, refstr, resp.status == 200 ? "digest mismatch" : he,
				     reg->host);
	}
	oci_err_clear(&e2);
	fetch_response_release(&resp);
	pulled_release(&p);
	if (r < 0 || o->inspect_config) {
		json_decref(out);
		*ret = NULL;
		return r;
	}
	*ret = out;
	return 0;
}

static int inspect_ref(const struct fetch_opts *o, const char *src, struct sbuf *out,
		       struct oci_err **err)
{
	_cleanup_ref_ struct oci_ref ref = { 0 };
	if (parse_registry_ref(src, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", src);
	_cleanup_platform_ struct oci_platform plat = { 0 };
	if (fetch_platform_get(o, &plat, err) < 0)
		return -(*err)->code;
	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	int r = fetch_endpoints_for(o, &ref, ref.digest != NULL, false, &eps, &n, err);
	if (r < 0)
		return r;
	json_auto_t *doc = NULL;
	for (size_t i = 0; i < n; i++) {
		sbuf_reset(out);
		r = inspect_one(o, &eps[i], &ref, &plat, &doc, out, err);
		if (r >= 0)
			break;
		if (i + 1 < n) {
			oci_warn("mirror '%s' failed: %s", eps[i].host, (*err)->msg);
			oci_err_clear(err);
		}
	}
	fetch_endpoints_free(eps, n);
	if (r < 0)
		return r;
	if (!doc)
		return 0; /* --raw or --config: the bytes are in out */
	_cleanup_free_ char *s = oci_json_dumps(doc);
	sbuf_addstr(out, s);
	if (!endswith(s, "\n"))
		sbuf_addch(out, '\n');
	return 0;
}

static int inspect_fn(const struct fetch_opts *o, const char *ref, void *out,
		      struct oci_err **err)
{
	return inspect_ref(o, ref, out, err);
}

int fetch_cmd_inspect(const struct fetch_opts *o, const char *src, struct sbuf *out,
		      struct oci_err **err)
{
	return with_short_name(o, src, inspect_fn, out, err);
}

/* ---- tags ---- */
static int tags_list(const struct fetch_opts *o, const struct fetch_endpoint *ep, json_t *all,
		     struct oci_err **err)
{
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	if (open_registry(o, ep, &reg, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *scope = fetch_scope(ep->repo, false);
	_cleanup_free_ char *url = xasprintf("/v2/%s/tags/list?n=%d", ep->repo,
					     o->page_size > 0 ? o->page_size : 1000);
	for (int page = 0; url && page < 10000; page++) {
		struct fetch_request req = { .method = "GET", .url = url, .scope = scope, .body_fd = -1 };
		struct fetch_response resp = { 0 };
		if (fetch_registry_do(reg, &req, &resp, err) < 0) {
			fetch_response_release(&resp);
			return -(*err)->code;
		}
		if (resp.status != 200) {
			_cleanup_free_ char *he = fetch_http_error(&resp);
			long st = resp.status;
			fetch_response_release(&resp);
			return oci_err_set(err, st == 404 ? ENOENT : st == 401 ? EACCES : EIO,
					   "GET tags of %s/%s: %s from registry '%s'%s", ep->host,
					   ep->repo, he, ep->host,
					   st == 404 ? ": repository unknown" : "");
		}
		json_t *j = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
		json_t *tags = j ? json_object_get(j, "tags") : NULL;
		for (size_t k = 0; json_is_array(tags) && k < json_array_size(tags); k++)
			json_array_append(all, json_array_get(tags, k));
		json_decref(j);
		free(url);
		url = NULL;
		/* Link: </v2/name/tags/list?last=x&n=1000>; rel="next" */
		if (resp.link && strstr(resp.link, "rel=\"next\"")) {
			const char *a = strchr(resp.link, '<'), *b = a ? strchr(a, '>') : NULL;
			if (a && b)
				url = xstrndup(a + 1, b - a - 1);
		}
		fetch_response_release(&resp);
	}
	return 0;
}

int fetch_cmd_tags(const struct fetch_opts *o, const char *repo, struct sbuf *out,
		   struct oci_err **err)
{
	_cleanup_ref_ struct oci_ref ref = { 0 };
	const char *s = startswith(repo, "docker://") ? repo + 9 : repo;
	if (oci_ref_parse_repo(s, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", repo);
	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	int r = fetch_endpoints_for(o, &ref, false, true, &eps, &n, err);
	if (r < 0)
		return r;
	json_auto_t *all = json_array();
	r = tags_list(o, &eps[n - 1], all, err);
	fetch_endpoints_free(eps, n);
	if (r < 0)
		return r;
	if (o->format == FETCH_FORMAT_JSON) {
		_cleanup_free_ char *name = oci_ref_name(&ref);
		json_auto_t *doc = json_pack("{s:s, s:O}", "name", name, "tags", all);
		_cleanup_free_ char *js = oci_json_dumps(doc);
		sbuf_addstr(out, js);
	} else {
		for (size_t k = 0; k < json_array_size(all); k++)
			sbuf_addf(out, "%s\n", json_string_value(json_array_get(all, k)));
	}
	return 0;
}

/* ---- referrers ---- */
static int referrers_one(const struct fetch_opts *o, const struct fetch_endpoint *ep,
			 const struct oci_ref *ref, const char *artifact_type, json_t **ret,
			 struct oci_err **err)
{
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	if (open_registry(o, ep, &reg, err) < 0)
		return -(*err)->code;
	const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
	_cleanup_free_ char *refstr = xasprintf("%s/%s%s%s", ep->host, ep->repo,
						ref->digest ? "@" : ":", reference);
	_cleanup_free_ char *scope = fetch_scope(ep->repo, false);
	struct oci_digest subject;
	if (ref->digest) {
		if (oci_digest_parse(ref->digest, &subject, err) < 0)
			return -(*err)->code;
	} else {
		struct pull_ctx c = { .o = o, .reg = reg, .repo = ep->repo, .refstr = refstr };
		struct raw_manifest m = { 0 };
		if (get_manifest(&c, reference, NULL, &m, err) < 0)
			return -(*err)->code;
		subject = m.digest;
		raw_release(&m);
	}
	/* the referrers API, then the tag schema sha256-<hex> */
	_cleanup_free_ char *url = xasprintf("/v2/%s/referrers/%s%s", ep->repo, subject.str, reg->query);
	struct fetch_request req = { .method = "GET", .url = url, .scope = scope,
				     .accept = OCI_MT_INDEX, .body_fd = -1 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(reg, &req, &resp, err);
	bool api = r >= 0 && resp.status == 200;
	if (r >= 0 && !api && resp.status != 404) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		r = oci_err_set(err, EIO, "GET referrers of %s: %s from registry '%s'", refstr, he,
				reg->host);
	}
	if (r >= 0 && !api) {
		fetch_response_release(&resp);
		_cleanup_free_ char *tag_url = xasprintf("/v2/%s/manifests/%s-%s%s", ep->repo,
							 oci_digest_alg_name(subject.alg),
							 oci_digest_hex(&subject), reg->query);
		struct fetch_request treq = { .method = "GET", .url = tag_url, .scope = scope,
					      .accept = OCI_MT_INDEX, .body_fd = -1 };
		r = fetch_registry_do(reg, &treq, &resp, err);
		if (r >= 0 && resp.status != 200 && resp.status != 404) {
			_cleanup_free_ char *he = fetch_http_error(&resp);
			r = oci_err_set(err, EIO, "GET referrers tag of %s: %s from registry '%s'", refstr,
					he, reg->host);
		}
	}
	json_t *doc = NULL;
	if (r >= 0 && resp.status == 200) {
		doc = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
		if (!json_is_object(doc) || !json_is_array(json_object_get(doc, "manifests"))) {
			json_decref(doc);
			doc = NULL;
			r = oci_err_set(err, EBADMSG, "referrers of %s from registry '%s' are not an image index",
					refstr, reg->host);
		}
	}
	fetch_response_release(&resp);
	if (r < 0)
		return r;
	json_t *out = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType", OCI_MT_INDEX,
				"manifests");
	json_t *list = json_object_get(out, "manifests");
	size_t i;
	json_t *m;
	json_array_foreach(doc ? json_object_get(doc, "manifests") : NULL, i, m) {
		const char *at = json_string_value(json_object_get(m, "artifactType"));
		if (artifact_type && (!at || !streq(at, artifact_type)))
			continue;
		json_array_append(list, m);
	}
	json_decref(doc);
	*ret = out;
	return 0;
}

int fetch_cmd_referrers(const struct fetch_opts *o, const char *src, const char *artifact_type,
			struct sbuf *out, struct oci_err **err)
{
	_cleanup_ref_ struct oci_ref ref = { 0 };
	if (parse_registry_ref(src, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", src);
	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	int r = fetch_endpoints_for(o, &ref, ref.digest != NULL, false, &eps, &n, err);
	if (r < 0)
		return r;
	json_auto_t *doc = NULL;
	for (size_t i = 0; i < n; i++) {
		r = referrers_one(o, &eps[i], &ref, artifact_type, &doc, err);
		if (r >= 0)
			break;
		if (i + 1 < n) {
			oci_warn("mirror '%s' failed: %s", eps[i].host, (*err)->msg);
			oci_err_clear(err);
		}
	}
	fetch_endpoints_free(eps, n);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = oci_json_dumps(doc);
	sbuf_addstr(out, s);
	if (!endswith(s, "\n"))
		sbuf_addch(out, '\n');
	return 0;
}
