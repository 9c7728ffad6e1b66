/* push: blobs first (HEAD to skip those the registry has, cross-repository
 * mount when the image came from another repository of the same registry,
 * monolithic or chunked uploads), then manifests, children before indexes. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "image_name.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "store.h"
#include "util.h"

struct push_ctx {
	const struct fetch_opts *o;
	struct fetch_registry *reg;
	const char *repo;
	const char *mount_from; /* or NULL */
	struct oci_layout *l;
	char *scope;
	char *mount_scope;
	size_t pushed, existed, mounted;
	struct fetch_progress *pg; /* of the manifest being pushed */
	size_t pg_index;
};

static char *with_query(const char *url, const char *q)
{
	return xasprintf("%s%c%s", url, strchr(url, '?') ? '&' : '?', q);
}

static int http_fail(struct push_ctx *c, const char *what, const struct fetch_response *resp,
		     struct oci_err **err)
{
	_cleanup_free_ char *he = fetch_http_error(resp);
	long st = resp->status;
	return oci_err_set(err, st == 401 || st == 403 ? EACCES : st == 404 ? ENOENT : EIO,
			   "%s to %s/%s: %s from registry '%s'%s", what, c->reg->host, c->repo, he,
			   c->reg->host,
			   st == 401 ? " (authentication required: try oci-fetch login)" : "");
}

static int start_upload(struct push_ctx *c, const struct oci_digest *d, bool *ret_mounted,
			char **ret_location, struct oci_err **err)
{
	_cleanup_free_ char *url = NULL;
	const char *scope = c->scope;
	*ret_mounted = false;
	if (c->mount_from) {
		url = xasprintf("/v2/%s/blobs/uploads/?mount=%s&from=%s", c->repo, d->str, c->mount_from);
		scope = c->mount_scope;
	} else {
		url = xasprintf("/v2/%s/blobs/uploads/", c->repo);
	}
	struct fetch_request req = { .method = "POST", .url = url, .scope = scope, .body_fd = -1,
				     .body = "", .body_len = 0 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(c->reg, &req, &resp, err);
	if (r < 0) {
		fetch_response_release(&resp);
		return r;
	}
	if (resp.status == 201 && c->mount_from) {
		*ret_mounted = true;
		fetch_response_release(&resp);
		return 0;
	}
	if (resp.status != 202 || !resp.location) {
		r = http_fail(c, "starting an upload", &resp, err);
		fetch_response_release(&resp);
		return r;
	}
	*ret_location = TAKE_PTR(resp.location);
	fetch_response_release(&resp);
	return 0;
}

static int push_blob(struct push_ctx *c, const struct oci_descriptor *desc, struct oci_err **err)
{
	const struct oci_digest *d = &desc->digest;
	_cleanup_free_ char *head_url = xasprintf("/v2/%s/blobs/%s", c->repo, d->str);
	struct fetch_request head = { .method = "HEAD", .url = head_url, .scope = c->scope,
				      .body_fd = -1, .no_body = true };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(c->reg, &head, &resp, err);
	long st = resp.status;
	fetch_response_release(&resp);
	if (r < 0)
		return r;
	fetch_progress_start(c->pg, c->pg_index, d->str, desc->size);
	if (st == 200) {
		fetch_progress_done(c->pg, c->pg_index, "exists");
		c->existed++;
		oci_debug("blob %s: already in %s/%s", d->str, c->reg->host, c->repo);
		return 0;
	}
	_cleanup_close_ int fd = -1;
	if (oci_layout_blob_open(c->l, d, &fd, err) < 0)
		return -(*err)->code;
	struct stat sb;
	if (fstat(fd, &sb) < 0)
		return oci_err_sys(err, "blob %s", d->str);
	int64_t size = sb.st_size;

	bool mounted;
	_cleanup_free_ char *loc = NULL;
	if (start_upload(c, d, &mounted, &loc, err) < 0)
		return oci_err_wrap(err, "blob %s", d->str);
	if (mounted) {
		fetch_progress_done(c->pg, c->pg_index, "mounted");
		c->mounted++;
		oci_debug("blob %s: mounted from %s", d->str, c->mount_from);
		return 0;
	}
	int64_t chunk = c->o->chunk_size;
	if (chunk > 0 && size > chunk) {
		for (int64_t off = 0; off < size; off += chunk) {
			int64_t n = size - off < chunk ? size - off : chunk;
			if (lseek(fd, off, SEEK_SET) < 0)
				return oci_err_sys(err, "blob %s", d->str);
			_cleanup_free_ char *range = xasprintf("%lld-%lld", (long long)off,
							       (long long)(off + n - 1));
			struct fetch_request req = { .method = "PATCH", .url = loc, .scope = c->scope,
						     .content_type = "application/octet-stream",
						     .content_range = range, .body_fd = fd,
						     .body_fd_len = n };
			struct fetch_response pr = { 0 };
			r = fetch_registry_do(c->reg, &req, &pr, err);
			if (r < 0) {
				fetch_response_release(&pr);
				return oci_err_wrap(err, "blob %s", d->str);
			}
			if (pr.status != 202) {
				_cleanup_free_ char *what = xasprintf("uploading blob %s (chunk at %lld)",
								      d->str, (long long)off);
				r = http_fail(c, what, &pr, err);
				fetch_response_release(&pr);
				return r;
			}
			if (pr.location) {
				free(loc);
				loc = TAKE_PTR(pr.location);
			}
			fetch_response_release(&pr);
		}
		_cleanup_free_ char *q = xasprintf("digest=%s", d->str);
		_cleanup_free_ char *url = with_query(loc, q);
		struct fetch_request req = { .method = "PUT", .url = url, .scope = c->scope,
					     .content_type = "application/octet-stream",
					     .body = "", .body_len = 0, .body_fd = -1 };
		struct fetch_response pr = { 0 };
		r = fetch_registry_do(c->reg, &req, &pr, err);
		if (r >= 0 && pr.status != 201 && pr.status != 204)
			r = http_fail(c, "finishing the upload of a blob", &pr, err);
		fetch_response_release(&pr);
		if (r < 0)
			return oci_err_wrap(err, "blob %s", d->str);
	} else {
		if (lseek(fd, 0, SEEK_SET) < 0)
			return oci_err_sys(err, "blob %s", d->str);
		_cleanup_free_ char *q = xasprintf("digest=%s", d->str);
		_cleanup_free_ char *url = with_query(loc, q);
		struct fetch_request req = { .method = "PUT", .url = url, .scope = c->scope,
					     .content_type = "application/octet-stream",
					     .body_fd = fd, .body_fd_len = size };
		struct fetch_response pr = { 0 };
		r = fetch_registry_do(c->reg, &req, &pr, err);
		if (r >= 0 && pr.status != 201 && pr.status != 204) {
			_cleanup_free_ char *what = xasprintf("uploading blob %s", d->str);
			r = http_fail(c, what, &pr, err);
		}
		fetch_response_release(&pr);
		if (r < 0)
			return r;
	}
	c->pushed++;
	fetch_progress_update(c->pg, c->pg_index, size);
	fetch_progress_done(c->pg, c->pg_index, "pushed");
	return 0;
}

static int put_manifest(struct push_ctx *c, const char *reference, const char *media_type,
			const char *data, size_t len, struct oci_err **err)
{
	_cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s", c->repo, reference);
	struct fetch_request req = { .method = "PUT", .url = url, .scope = c->scope,
				     .content_type = media_type, .body = data, .body_len = len,
				     .body_fd = -1 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(c->reg, &req, &resp, err);
	if (r >= 0 && resp.status != 201 && resp.status != 200 && resp.status != 202) {
		_cleanup_free_ char *what = xasprintf("PUT manifest %s", reference);
		r = http_fail(c, what, &resp, err);
	}
	fetch_response_release(&resp);
	return r;
}

static char *read_media_type(const char *data, size_t len, const char *fallback)
{
	json_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *mt = j ? json_string_value(json_object_get(j, "mediaType")) : NULL;
	char *r = xstrdup(mt ? mt : fallback);
	json_decref(j);
	return r;
}

/* Pushes one image manifest: config, layers, then the manifest by digest
 * (or by TAG when tag is set). */
static int push_manifest(struct push_ctx *c, const struct oci_descriptor *desc, const char *tag,
			 struct oci_err **err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (oci_layout_blob_read(c->l, &desc->digest, 64 << 20, &data, &len, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *mt = read_media_type(data, len, desc->media_type);
	if (oci_media_type_is_index(mt)) {
		struct oci_index x;
		if (oci_index_parse(data, len, mt, desc->digest.str, &x, err) < 0)
			return -(*err)->code;
		int r = 0;
		/* --multi-arch index-only: the index alone (the registry may
		 * refuse it when it lacks the manifests) */
		bool index_only = c->o->multi_arch == FETCH_MULTI_ARCH_INDEX_ONLY;
		for (size_t i = 0; i < x.n_manifests && r >= 0 && !index_only; i++) {
			if (!oci_layout_has_blob(c->l, &x.manifests[i].desc.digest)) {
				r = oci_err_set(err, ENOENT,
						"index %s names manifest %s, which is not in '%s' (pull with --multi-arch all, or push with --multi-arch index-only or system)",
						desc->digest.str, x.manifests[i].desc.digest.str, c->l->path);
				break;
			}
			r = push_manifest(c, &x.manifests[i].desc, NULL, err);
		}
		oci_index_release(&x);
		if (r < 0)
			return r;
	} else {
		struct oci_manifest m;
		if (oci_manifest_parse(data, len, mt, desc->digest.str, &m, err) < 0)
			return -(*err)->code;
		int r = 0;
		c->pg = fetch_progress_new(c->o, m.n_layers + 1);
		for (size_t i = 0; i < m.n_layers && r >= 0; i++) {
			c->pg_index = i;
			r = push_blob(c, &m.layers[i], err);
		}
		c->pg_index = m.n_layers;
		if (r >= 0)
			r = push_blob(c, &m.config, err);
		fetch_progress_free(c->pg);
		c->pg = NULL;
		oci_manifest_release(&m);
		if (r < 0)
			return r;
	}
	return put_manifest(c, tag ? tag : desc->digest.str, mt, data, len, err);
}

static int push_from_layout(const struct fetch_opts *o, const char *src, const char *dest,
			    const struct oci_ref *refp, const char *layout_path, const char *name,
			    const char *mount_from, struct sbuf *out, struct oci_err **err);

int fetch_cmd_push(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err)
{
	_cleanup_ref_ struct oci_ref ref = { 0 };
	const char *ds = startswith(dest, "docker://") ? dest + 9 : dest;
	if (oci_ref_parse(ds, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", dest);

	_cleanup_free_ char *layout_path = NULL, *name = NULL, *mount_from = NULL;
	_cleanup_free_ char *tmpdir = NULL;
	_cleanup_image_name_ struct oci_image_name sn = { 0 };
	if (startswith(src, "dir:")) {
		if (oci_mkdtemp("/tmp/oci-fetch-dir", &tmpdir, err) < 0)
			return -(*err)->code;
		if (fetch_read_dir(src + 4, tmpdir, err) < 0) {
			struct oci_err *e2 = NULL;
			oci_rm_rf(tmpdir, &e2);
			oci_err_clear(&e2);
			return oci_err_wrap(err, "cannot push '%s'", src);
		}
		layout_path = xstrdup(tmpdir);
		name = xstrdup("latest");
	} else if (startswith(src, "oci:") || startswith(src, "oci-archive:")) {
		if (oci_image_name_parse(src, &sn, err) < 0)
			return oci_err_wrap(err, "source");
		name = sn.layout_ref ? xstrdup(sn.layout_ref) : NULL;
		if (sn.transport == OCI_TRANSPORT_OCI_ARCHIVE) {
			if (oci_mkdtemp("/tmp/oci-fetch-archive", &tmpdir, err) < 0)
				return -(*err)->code;
			if (fetch_read_oci_archive(sn.path, tmpdir, err) < 0) {
				struct oci_err *e2 = NULL;
				oci_rm_rf(tmpdir, &e2);
				oci_err_clear(&e2);
				return oci_err_wrap(err, "cannot push '%s'", src);
			}
			layout_path = xstrdup(tmpdir);
		} else {
			layout_path = xstrdup(sn.path);
		}
	} else {
		_cleanup_free_ char *store = NULL;
		if (oci_store_path(o->store, &store, err) < 0)
			return -(*err)->code;
		layout_path = oci_store_images_dir(store);
		_cleanup_ref_ struct oci_ref sref = { 0 };
		struct oci_err *e2 = NULL;
		if (oci_ref_parse(src, &sref, &e2) >= 0) {
			name = oci_ref_string(&sref);
			/* same registry, another repository: mount instead of upload */
			if (streq(sref.domain, ref.domain) && !streq(sref.path, ref.path))
				mount_from = xstrdup(sref.path);
		} else {
			name = xstrdup(src);
		}
		oci_err_clear(&e2);
	}
	int r = push_from_layout(o, src, dest, &ref, layout_path, name, mount_from, out, err);
	if (tmpdir) {
		struct oci_err *e2 = NULL;
		oci_rm_rf(tmpdir, &e2);
		oci_err_clear(&e2);
	}
	return r;
}

/* Replaces *desc (an index) by the entry of the platform to push. */
static int pick_platform(const struct fetch_opts *o, struct oci_layout *l,
			 struct oci_descriptor *desc, struct oci_err **err)
{
	_cleanup_platform_ struct oci_platform plat = { 0 };
	if (fetch_platform_get(o, &plat, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (oci_layout_blob_read(l, &desc->digest, 64 << 20, &data, &len, err) < 0)
		return -(*err)->code;
	struct oci_index x;
	_cleanup_free_ char *what = xasprintf("index %s", desc->digest.str);
	if (oci_index_parse(data, len, desc->media_type, what, &x, err) < 0)
		return -(*err)->code;
	const struct oci_index_entry *e = NULL;
	int r = oci_index_select(&x, &plat, &e, err);
	if (r >= 0 && !oci_layout_has_blob(l, &e->desc.digest)) {
		_cleanup_free_ char *ps = oci_platform_string(&plat);
		r = oci_err_set(err, ENOENT, "%s: the manifest %s for platform '%s' is not in '%s'",
				what, e->desc.digest.str, ps, l->path);
	} else if (r >= 0) {
		struct oci_descriptor next = { 0 };
		oci_descriptor_copy(&next, &e->desc);
		oci_descriptor_release(desc);
		*desc = next;
	} else {
		oci_err_wrap(err, "%s", what);
	}
	oci_index_release(&x);
	return r;
}

static int push_from_layout(const struct fetch_opts *o, const char *src, const char *dest,
			    const struct oci_ref *refp, const char *layout_path, const char *name,
			    const char *mount_from, struct sbuf *out, struct oci_err **err)
{
	const struct oci_ref ref = *refp;
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	if (oci_layout_open(layout_path, false, &l, err) < 0)
		return oci_err_wrap(err, "cannot push '%s'", src);
	struct oci_descriptor desc = { 0 };
	if (name) {
		if (oci_layout_resolve(l, name, &desc, err) < 0)
			return oci_err_wrap(err, "cannot push '%s'", src);
	} else {
		struct oci_descriptor *all = NULL;
		size_t n = 0;
		if (oci_layout_list(l, &all, &n, err) < 0)
			return -(*err)->code;
		if (n != 1) {
			oci_descriptors_free(all, n);
			return oci_err_set(err, EINVAL,
					   "'%s' holds %zu images: name one as oci:DIR:NAME", layout_path, n);
		}
		oci_descriptor_copy(&desc, &all[0]);
		oci_descriptors_free(all, n);
	}

	/* --multi-arch system: the platform's manifest instead of the index */
	if (o->multi_arch == FETCH_MULTI_ARCH_SYSTEM && oci_media_type_is_index(desc.media_type)) {
		int rs = pick_platform(o, l, &desc, err);
		if (rs < 0) {
			oci_descriptor_release(&desc);
			return oci_err_wrap(err, "cannot push '%s'", src);
		}
	}

	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	int r = fetch_endpoints_for(o, &ref, false, true, &eps, &n, err);
	if (r < 0) {
		oci_descriptor_release(&desc);
		return r;
	}
	const struct fetch_endpoint *ep = &eps[n - 1];
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	r = fetch_registry_open(o, ep->host, ep->insecure, &reg, err);
	if (r >= 0)
		r = fetch_registry_ping(reg, err);
	struct push_ctx c = { .o = o, .reg = reg, .repo = ep->repo, .l = l,
			      .mount_from = mount_from };
	c.scope = fetch_scope(ep->repo, true);
	if (mount_from)
		c.mount_scope = xasprintf("%s repository:%s:pull", c.scope, mount_from);
	if (r >= 0)
		r = push_manifest(&c, &desc, ref.digest ? NULL : ref.tag ? ref.tag : "latest", err);
	if (r >= 0 && ref.digest) {
		struct oci_digest want;
		if (oci_digest_parse(ref.digest, &want, err) < 0)
			r = -(*err)->code;
		else if (!oci_digest_equal(&want, &desc.digest))
			r = oci_err_set(err, EINVAL, "cannot push %s as %s: its digest is %s", src, dest,
					desc.digest.str);
	}
	if (r >= 0) {
		oci_info("pushed %zu blobs, %zu already there, %zu mounted", c.pushed, c.existed,
			 c.mounted);
		if (o->format == FETCH_FORMAT_JSON) {
			_cleanup_free_ char *rs = oci_ref_string(&ref);
			json_auto_t *doc = json_pack("{s:s, s:s, s:I, s:I, s:I}", "digest",
						     desc.digest.str, "reference", rs, "blobsPushed",
						     (json_int_t)c.pushed, "blobsExisting",
						     (json_int_t)c.existed, "blobsMounted",
						     (json_int_t)c.mounted);
			_cleanup_free_ char *js = oci_json_dumps(doc);
			sbuf_addstr(out, js);
		} else {
			sbuf_addf(out, "%s\n", desc.digest.str);
		}
	} else {
		_cleanup_free_ char *rs = oci_ref_string(&ref);
		oci_err_wrap(err, "push to '%s'", rs);
	}
	free(c.scope);
	free(c.mount_scope);
	oci_descriptor_release(&desc);
	fetch_endpoints_free(eps, n);
	return r;
}
