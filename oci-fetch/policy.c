/* Trust policy (containers-policy.json(5)) for images pulled from
 * registries: the requirements of the most specific "docker" scope (or of
 * "default") must all hold. insecureAcceptAnything passes, reject refuses;
 * sigstoreSigned with public keys (keyPath, keyPaths, keyData, keyDatas) is
 * checked once the manifests are known, before any layer is fetched (see
 * sigstore.c); signedBy (GPG) and keyless sigstore (Fulcio, Rekor, PKI)
 * refuse the image with an error that says so. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "sigstore.h"
#include "json.h"
#include "util.h"

char *fetch_policy_path(const struct fetch_opts *o)
{
	if (o->policy)
		return xstrdup(o->policy);
	const char *x = secure_getenv("XDG_CONFIG_HOME");
	const char *h = secure_getenv("HOME");
	_cleanup_free_ char *user = x && *x ? xasprintf("%s/containers/policy.json", x)
				  : h && *h ? xasprintf("%s/.config/containers/policy.json", h)
					    : NULL;
	if (user && access(user, F_OK) == 0)
		return TAKE_PTR(user);
	if (access("/etc/containers/policy.json", F_OK) == 0)
		return xstrdup("/etc/containers/policy.json");
	return NULL;
}

/* The scopes of "host/a/b:tag" from the most specific: the full reference,
 * the repository, each namespace above it, the host, the wildcard domains
 * above the host ("*.b.example.com", "*.example.com", "*.com" for
 * a.b.example.com, a port kept as containers/image keeps it), then "". */
static json_t *find_requirements(json_t *scopes, const char *full, const char *name,
				 const char **ret_scope)
{
	json_t *v;
	if ((v = json_object_get(scopes, full))) {
		*ret_scope = full;
		return v;
	}
	_cleanup_free_ char *s = xstrdup(name);
	for (;;) {
		if ((v = json_object_get(scopes, s))) {
			*ret_scope = json_object_iter_key(json_object_iter_at(scopes, s));
			return v;
		}
		char *slash = strrchr(s, '/');
		if (!slash)
			break;
		*slash = 0;
	}
	/* s is the host now */
	for (const char *dot = strchr(s, '.'); dot; dot = strchr(dot + 1, '.')) {
		_cleanup_free_ char *w = xasprintf("*%s", dot);
		if ((v = json_object_get(scopes, w))) {
			*ret_scope = json_object_iter_key(json_object_iter_at(scopes, w));
			return v;
		}
	}
	if ((v = json_object_get(scopes, ""))) {
		*ret_scope = "";
		return v;
	}
	return NULL;
}

void fetch_policy_free(struct fetch_policy *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n_reqs; i++)
		fetch_sigstore_req_release(&p->reqs[i]);
	free(p->reqs);
	free(p->file);
	free(p->where);
	free(p->image);
	oci_ref_release(&p->ref);
	free(p);
}

static int add_key(struct fetch_sigstore_req *req, const char *pem, size_t len, const char *what,
		   struct oci_err **err)
{
	struct fetch_key *k = NULL;
	if (fetch_key_parse_public(pem, len, what, &k, err) < 0)
		return -(*err)->code;
	req->keys = xrealloc(req->keys, (req->n_keys + 1) * sizeof(*req->keys));
	req->keys[req->n_keys++] = k;
	return 0;
}

static int key_from_path(struct fetch_sigstore_req *req, json_t *v, const char *path,
			 struct oci_err **err)
{
	const char *file = json_string_value(v);
	if (!file || !*file)
		return oci_err_set(err, EINVAL, "%s: expected a file name", path);
	_cleanup_free_ char *pem = NULL;
	size_t len = 0;
	if (oci_read_file(file, 1 << 20, &pem, &len, err) < 0)
		return oci_err_wrap(err, "%s: key '%s'", path, file);
	_cleanup_free_ char *what = xasprintf("%s: key '%s'", path, file);
	return add_key(req, pem, len, what, err);
}

static int key_from_data(struct fetch_sigstore_req *req, json_t *v, const char *path,
			 struct oci_err **err)
{
	const char *b64 = json_string_value(v);
	_cleanup_free_ char *pem = NULL;
	size_t len = 0;
	if (!b64 || fetch_base64_decode_strict(b64, &pem, &len) < 0)
		return oci_err_set(err, EINVAL, "%s: expected base64 of a PEM public key", path);
	return add_key(req, pem, len, path, err);
}

/* A list of keyPaths or keyDatas: a non-empty array. */
static int keys_from_array(struct fetch_sigstore_req *req, json_t *v, const char *path, bool paths,
			   struct oci_err **err)
{
	if (!json_is_array(v) || json_array_size(v) == 0)
		return oci_err_set(err, EINVAL, "%s: expected a non-empty array", path);
	size_t i;
	json_t *e;
	json_array_foreach(v, i, e) {
		_cleanup_free_ char *p = xasprintf("%s[%zu]", path, i);
		int r = paths ? key_from_path(req, e, p, err) : key_from_data(req, e, p, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_sigstore(json_t *req, const char *file, const char *where, const char *image,
			  const char *path, struct fetch_sigstore_req *ret, struct oci_err **err)
{
	static const char *const known[] = { "type", "keyPath", "keyPaths", "keyData", "keyDatas",
					     "fulcio", "pki", "rekorPublicKeyPath",
					     "rekorPublicKeyPaths", "rekorPublicKeyData",
					     "rekorPublicKeyDatas", "signedIdentity" };
	const char *k;
	json_t *v;
	json_object_foreach(req, k, v) {
		size_t i = 0;
		while (i < ARRAY_SIZE(known) && !streq(known[i], k))
			i++;
		if (i == ARRAY_SIZE(known))
			return oci_err_set(err, EINVAL, "policy '%s': %s: unknown key '%s' in sigstoreSigned",
					   file, path, k);
	}
	static const char *const sources[] = { "keyPath", "keyPaths", "keyData", "keyDatas",
					       "fulcio", "pki" };
	const char *source = NULL;
	int n = 0;
	for (size_t i = 0; i < ARRAY_SIZE(sources); i++)
		if (json_object_get(req, sources[i])) {
			source = sources[i];
			n++;
		}
	if (n != 1)
		return oci_err_set(err, EINVAL,
				   "policy '%s': %s: sigstoreSigned needs exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki",
				   file, path);
	if (streq(source, "fulcio") || streq(source, "pki"))
		return oci_err_set(err, ENOTSUP,
				   "policy '%s' (%s) requires sigstoreSigned with %s for '%s': oci-fetch verifies sigstore signatures with public keys only, not keyless (Fulcio/Rekor) or PKI signatures (use --insecure-policy to skip the policy)",
				   file, where, source, image);
	for (json_t *rk = json_object_iter(req); rk; rk = json_object_iter_next(req, rk))
		if (startswith(json_object_iter_key(rk), "rekorPublicKey"))
			return oci_err_set(err, ENOTSUP,
					   "policy '%s' (%s) requires sigstoreSigned with %s for '%s': oci-fetch does not verify Rekor transparency log entries (use --insecure-policy to skip the policy)",
					   file, where, json_object_iter_key(rk), image);
	struct fetch_sigstore_req r = { 0 };
	_cleanup_free_ char *idpath = xasprintf("%s.signedIdentity", path);
	int rc = fetch_signed_identity_parse(json_object_get(req, "signedIdentity"), idpath,
					     &r.identity, err);
	_cleanup_free_ char *kpath = xasprintf("%s.%s", path, source);
	json_t *kv = json_object_get(req, source);
	if (rc >= 0 && streq(source, "keyPath"))
		rc = key_from_path(&r, kv, kpath, err);
	else if (rc >= 0 && streq(source, "keyData"))
		rc = key_from_data(&r, kv, kpath, err);
	else if (rc >= 0)
		rc = keys_from_array(&r, kv, kpath, streq(source, "keyPaths"), err);
	if (rc < 0) {
		fetch_sigstore_req_release(&r);
		return oci_err_wrap(err, "policy '%s'", file);
	}
	*ret = r;
	return 0;
}

int fetch_policy_eval_json(json_t *policy, const char *file, const struct oci_ref *ref,
			   struct fetch_policy **ret, struct oci_err **err)
{
	_cleanup_free_ char *name = oci_ref_name(ref);
	_cleanup_free_ char *full = oci_ref_string(ref);
	const char *scope = NULL;
	json_t *reqs = NULL;
	json_t *transports = json_object_get(policy, "transports");
	json_t *docker = json_is_object(transports) ? json_object_get(transports, "docker") : NULL;
	if (json_is_object(docker))
		reqs = find_requirements(docker, full, name, &scope);
	if (!reqs) {
		reqs = json_object_get(policy, "default");
		scope = NULL;
	}
	if (!json_is_array(reqs) || json_array_size(reqs) == 0)
		return oci_err_set(err, EINVAL,
				   "policy '%s': no requirements for '%s' (a policy needs \"default\")",
				   file, full);
	_cleanup_free_ char *where = scope ? xasprintf("transports.docker.\"%s\"", scope)
					   : xstrdup("default");
	struct fetch_policy *p = xcalloc(1, sizeof(*p));
	size_t i;
	json_t *req;
	json_array_foreach(reqs, i, req) {
		const char *type = json_string_value(json_object_get(req, "type"));
		int r = 0;
		if (!type)
			r = oci_err_set(err, EINVAL, "policy '%s': a requirement without \"type\"", file);
		else if (streq(type, "insecureAcceptAnything"))
			continue;
		else if (streq(type, "reject"))
			r = oci_err_set(err, EACCES, "'%s' is rejected by policy '%s' (%s)", full, file,
					where);
		else if (streq(type, "sigstoreSigned")) {
			_cleanup_free_ char *path = xasprintf("%s[%zu]", where, i);
			p->reqs = xrealloc(p->reqs, (p->n_reqs + 1) * sizeof(*p->reqs));
			r = parse_sigstore(req, file, where, full, path, &p->reqs[p->n_reqs], err);
			if (r >= 0)
				p->n_reqs++;
		} else if (streq(type, "signedBy"))
			r = oci_err_set(err, ENOTSUP,
					"policy '%s' (%s) requires 'signedBy' for '%s': oci-fetch does not verify GPG (simple signing) signatures, only sigstoreSigned with public keys (use --insecure-policy to skip the policy)",
					file, where, full);
		else
			r = oci_err_set(err, EINVAL, "policy '%s' (%s): unknown requirement type '%s'",
					file, where, type);
		if (r < 0) {
			fetch_policy_free(p);
			return r;
		}
	}
	if (p->n_reqs == 0) {
		fetch_policy_free(p);
		*ret = NULL;
		return 0;
	}
	p->file = xstrdup(file);
	p->where = TAKE_PTR(where);
	p->image = TAKE_PTR(full);
	struct oci_err *e2 = NULL;
	if (oci_ref_parse(p->image, &p->ref, &e2) < 0) { /* a reference prints back as itself */
		int r = oci_err_set(err, EINVAL, "'%s': %s", p->image, e2->msg);
		oci_err_free(e2);
		fetch_policy_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

int fetch_policy_check_json(json_t *policy, const char *file, const struct oci_ref *ref,
			    struct oci_err **err)
{
	struct fetch_policy *p = NULL;
	int r = fetch_policy_eval_json(policy, file, ref, &p, err);
	fetch_policy_free(p);
	return r;
}

int fetch_policy_load(const struct fetch_opts *o, const struct oci_ref *ref,
		      struct fetch_policy **ret, struct oci_err **err)
{
	*ret = NULL;
	if (o->insecure_policy)
		return 0;
	_cleanup_free_ char *file = fetch_policy_path(o);
	if (!file)
		return 0; /* no policy anywhere: as containers' default, accept */
	json_auto_t *p = NULL;
	if (oci_json_load_file(file, 4 << 20, &p, err) < 0)
		return oci_err_wrap(err, "policy '%s'", file);
	if (!json_is_object(p))
		return oci_err_set(err, EINVAL, "policy '%s': expected a JSON object", file);
	return fetch_policy_eval_json(p, file, ref, ret, err);
}

int fetch_policy_check(const struct fetch_opts *o, const struct oci_ref *ref, struct oci_err **err)
{
	struct fetch_policy *p = NULL;
	int r = fetch_policy_load(o, ref, &p, err);
	fetch_policy_free(p);
	return r;
}

int fetch_policy_verify(const struct fetch_policy *p, struct fetch_registry *reg, const char *repo,
			const struct oci_digest *digest, const char *manifest, size_t len,
			struct oci_err **err)
{
	if (!p || p->n_reqs == 0)
		return 0;
	struct fetch_sig_set set = { 0 };
	if (fetch_sigstore_get(reg, repo, digest, &set, err) < 0)
		return oci_err_wrap(err, "'%s' (policy '%s' (%s)): signatures of %s", p->image, p->file,
				    p->where, digest->str);
	int r = 0;
	for (size_t i = 0; i < p->n_reqs && r >= 0; i++) {
		struct sbuf why = SBUF_INIT;
		size_t n_sigs = 0, n_other = 0;
		bool accepted = false;
		for (size_t k = 0; k < set.n && !accepted; k++) {
			const struct fetch_sig_layer *l = &set.layers[k];
			if (!l->desc.media_type || !streq(l->desc.media_type, FETCH_SIGSTORE_PAYLOAD_MT)) {
				n_other++;
				continue;
			}
			n_sigs++;
			struct oci_err *e = NULL;
			const char *b64 = fetch_sig_layer_annotation(l, FETCH_SIGSTORE_SIGNATURE_ANNOTATION);
			if (fetch_sigstore_accept(&p->reqs[i], &p->ref, manifest, len, l->data, l->len,
						  b64, &e) >= 0) {
				accepted = true;
			} else {
				sbuf_addf(&why, "%s%s", why.len ? "; " : "", e->msg);
				oci_err_free(e);
			}
		}
		if (!accepted) {
			_cleanup_free_ char *reason = NULL;
			if (n_sigs == 0 && !set.found)
				reason = xasprintf("a signature was required, but no signature exists (no %s in '%s/%s')",
						   set.tag, reg->host, repo);
			else if (n_sigs == 0)
				reason = xasprintf("a signature was required, but no signature exists (%zu other attachment%s in %s)",
						   n_other, n_other == 1 ? "" : "s", set.tag);
			else if (n_sigs == 1)
				reason = xstrdup(why.buf);
			else
				reason = xasprintf("none of the %zu signatures was accepted: %s", n_sigs,
						   why.buf);
			r = oci_err_set(err, EKEYREJECTED,
					"'%s' is rejected by policy '%s' (%s): sigstoreSigned: manifest %s: %s",
					p->image, p->file, p->where, digest->str, reason);
		}
		sbuf_release(&why);
	}
	fetch_sig_set_release(&set);
	return r;
}
