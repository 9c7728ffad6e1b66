/* Sigstore signatures with public keys, as containers/image's
 * "sigstoreSigned" policy requirement reads them and as cosign stores them:
 * an OCI manifest tagged "sha256-<manifest hex>.sig" in the image's
 * repository, one layer per signature. Each layer is a JSON "simple
 * signing" payload (critical.type "cosign container image signature",
 * critical.image.docker-manifest-digest, critical.identity.docker-reference)
 * whose annotation dev.cosignproject.cosign/signature is the base64
 * signature of the payload bytes: ECDSA (DER) or RSA PKCS#1 v1.5 over their
 * SHA-256, or Ed25519 over the bytes themselves.
 *
 * Here: payload parsing (strict, as containers/image), signedIdentity
 * matching, public and private PEM keys through OpenSSL, fetching the
 * signatures of a manifest, accepting one signature, and `sign` (signing a
 * manifest and pushing the .sig artifact with the signatures already there
 * plus the new one). Fulcio/Rekor (keyless) signatures are not verified. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "fetch.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "manifest.h"
#include "sigstore.h"
#include "util.h"

DEFINE_CLEANUP(BIO *, BIO_free)
DEFINE_CLEANUP(EVP_PKEY *, EVP_PKEY_free)
DEFINE_CLEANUP(EVP_MD_CTX *, EVP_MD_CTX_free)

/* The text of the newest OpenSSL error (for messages), or "". */
static const char *ossl_reason(void)
{
	unsigned long e = ERR_peek_last_error();
	const char *s = e ? ERR_reason_error_string(e) : NULL;
	return s ? s : "";
}

/* ---- base64 (Go's StdEncoding: padded; CR and LF are skipped) ---- */

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

int fetch_base64_decode_strict(const char *s, char **ret, size_t *ret_len)
{
	struct sbuf sb = SBUF_INIT;
	int quad[4];
	size_t nq = 0;
	bool ended = false;
	for (; *s; s++) {
		if (*s == '\r' || *s == '\n')
			continue;
		if (ended)
			goto bad; /* data after the padding */
		int v = *s == '=' ? -2 : b64_value(*s);
		if (v == -1)
			goto bad;
		quad[nq++] = v;
		if (nq < 4)
			continue;
		nq = 0;
		if (quad[0] < 0 || quad[1] < 0 || (quad[2] == -2 && quad[3] != -2))
			goto bad;
		unsigned w = (unsigned)quad[0] << 18 | (unsigned)quad[1] << 12;
		sbuf_addch(&sb, (char)(w >> 16));
		if (quad[2] == -2) {
			ended = true;
			continue;
		}
		w |= (unsigned)quad[2] << 6;
		sbuf_addch(&sb, (char)((w >> 8) & 0xff));
		if (quad[3] == -2) {
			ended = true;
			continue;
		}
		w |= (unsigned)quad[3];
		sbuf_addch(&sb, (char)(w & 0xff));
	}
	if (nq != 0)
		goto bad;
	*ret = sbuf_detach(&sb, ret_len);
	return 0;
bad:
	sbuf_release(&sb);
	return -EINVAL;
}

/* ---- keys ---- */

struct fetch_key {
	EVP_PKEY *pkey;
};

void fetch_key_free(struct fetch_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

static const char *key_type_name(const EVP_PKEY *k)
{
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_EC: return "ECDSA";
	case EVP_PKEY_RSA: return "RSA";
	case EVP_PKEY_ED25519: return "Ed25519";
	default: return NULL;
	}
}

int fetch_key_parse_public(const char *pem, size_t len, const char *what, struct fetch_key **ret,
			   struct oci_err **err)
{
	_cleanup_(BIO_freep) BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b || len > INT32_MAX)
		return oci_err_set(err, ENOMEM, "%s: cannot read the key", what);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long dlen = 0;
	ERR_clear_error();
	if (!PEM_read_bio(b, &name, &header, &der, &dlen)) {
		ERR_clear_error();
		return oci_err_set(err, EINVAL, "%s: no PEM public key found", what);
	}
	const unsigned char *p = der;
	EVP_PKEY *k = NULL;
	if (streq(name, "PUBLIC KEY"))
		k = d2i_PUBKEY(NULL, &p, dlen);
	else if (streq(name, "RSA PUBLIC KEY"))
		k = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, dlen);
	int r = 0;
	if (!streq(name, "PUBLIC KEY") && !streq(name, "RSA PUBLIC KEY"))
		r = oci_err_set(err, EINVAL, "%s: a PEM '%s' is not a public key (expected 'PUBLIC KEY')",
				what, name);
	else if (!k || p != der + dlen)
		r = oci_err_set(err, EINVAL, "%s: invalid public key%s%s", what, *ossl_reason() ? ": " : "",
				ossl_reason());
	else if (!key_type_name(k))
		r = oci_err_set(err, ENOTSUP,
				"%s: unsupported public key type (ECDSA, RSA and Ed25519 keys are)", what);
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(der);
	ERR_clear_error();
	if (r < 0) {
		EVP_PKEY_free(k);
		return r;
	}
	*ret = xcalloc(1, sizeof(**ret));
	(*ret)->pkey = k;
	return 0;
}

/* Encrypted PEM keys would make OpenSSL prompt on the terminal: refuse. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(bool *)u = true;
	return -1;
}

int fetch_key_parse_private(const char *pem, size_t len, const char *what, struct fetch_key **ret,
			    struct oci_err **err)
{
	_cleanup_(BIO_freep) BIO *b = BIO_new_mem_buf(pem, (int)len);
	if (!b || len > INT32_MAX)
		return oci_err_set(err, ENOMEM, "%s: cannot read the key", what);
	bool asked = false;
	ERR_clear_error();
	EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, no_passphrase, &asked);
	if (!k) {
		int r;
		if (asked)
			r = oci_err_set(err, ENOTSUP,
					"%s: the key is encrypted (give an unencrypted PEM private key)", what);
		else if (strstr(pem, "SIGSTORE PRIVATE KEY") || strstr(pem, "COSIGN PRIVATE KEY"))
			r = oci_err_set(err, ENOTSUP,
					"%s: cosign's encrypted key format is not supported (give an unencrypted PEM private key)",
					what);
		else
			r = oci_err_set(err, EINVAL, "%s: no PEM private key found%s%s", what,
					*ossl_reason() ? ": " : "", ossl_reason());
		ERR_clear_error();
		return r;
	}
	if (!key_type_name(k)) {
		EVP_PKEY_free(k);
		return oci_err_set(err, ENOTSUP,
				   "%s: unsupported private key type (ECDSA, RSA and Ed25519 keys are)", what);
	}
	*ret = xcalloc(1, sizeof(**ret));
	(*ret)->pkey = k;
	return 0;
}

const char *fetch_key_type(const struct fetch_key *k)
{
	return key_type_name(k->pkey);
}

/* Ed25519 signs the message itself; the others its SHA-256 (sigstore's
 * LoadVerifier with crypto.SHA256). */
static int digest_ctx_init(EVP_MD_CTX *ctx, EVP_PKEY *k, bool sign)
{
	bool ed = EVP_PKEY_get_base_id(k) == EVP_PKEY_ED25519;
	const EVP_MD *md = ed ? NULL : EVP_sha256();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = sign ? EVP_DigestSignInit(ctx, &pctx, md, NULL, k)
		      : EVP_DigestVerifyInit(ctx, &pctx, md, NULL, k);
	if (ok != 1)
		return -1;
	if (EVP_PKEY_get_base_id(k) == EVP_PKEY_RSA &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1)
		return -1;
	return 0;
}

bool fetch_key_verify(const struct fetch_key *k, const void *data, size_t len, const void *sig,
		      size_t sig_len)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && digest_ctx_init(ctx, k->pkey, false) == 0 &&
		  EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	ERR_clear_error();
	return ok;
}

int fetch_key_sign(const struct fetch_key *k, const void *data, size_t len, unsigned char **ret,
		   size_t *ret_len, struct oci_err **err)
{
	_cleanup_(EVP_MD_CTX_freep) EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 0;
	if (!ctx || digest_ctx_init(ctx, k->pkey, true) < 0 ||
	    EVP_DigestSign(ctx, NULL, &n, data, len) != 1) {
		int r = oci_err_set(err, EINVAL, "signing failed: %s", ossl_reason());
		ERR_clear_error();
		return r;
	}
	unsigned char *sig = xmalloc(n ? n : 1);
	if (EVP_DigestSign(ctx, sig, &n, data, len) != 1) {
		free(sig);
		int r = oci_err_set(err, EINVAL, "signing failed: %s", ossl_reason());
		ERR_clear_error();
		return r;
	}
	*ret = sig;
	*ret_len = n;
	return 0;
}

/* ---- payloads ---- */

void fetch_sigstore_payload_release(struct fetch_sigstore_payload *p)
{
	free(p->docker_reference);
	free(p->creator);
	memset(p, 0, sizeof(*p));
}

/* An object whose keys are exactly those listed (containers/image's
 * ParanoidUnmarshalJSONObjectExactFields). */
static int exact_fields(json_t *obj, const char *path, const char *const *keys, size_t n,
			struct oci_err **err)
{
	if (!json_is_object(obj))
		return oci_err_set(err, EINVAL, "%s: expected an object", path);
	const char *k;
	json_t *v;
	json_object_foreach(obj, k, v) {
		size_t i = 0;
		while (i < n && !streq(keys[i], k))
			i++;
		if (i == n)
			return oci_err_set(err, EINVAL, "%s: unexpected key '%s'", path, k);
	}
	for (size_t i = 0; i < n; i++)
		if (!json_object_get(obj, keys[i]))
			return oci_err_set(err, EINVAL, "%s: key '%s' is missing", path, keys[i]);
	return 0;
}

static int payload_string(json_t *obj, const char *path, const char *key, const char **ret,
			  struct oci_err **err)
{
	json_t *v = json_object_get(obj, key);
	if (!json_is_string(v))
		return oci_err_set(err, EINVAL, "%s.%s: expected a string", path, key);
	*ret = json_string_value(v);
	return 0;
}

int fetch_sigstore_payload_parse(const char *data, size_t len, struct fetch_sigstore_payload *ret,
				 struct oci_err **err)
{
	json_error_t je;
	json_auto_t *j = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &je);
	if (!j)
		return oci_err_set(err, EINVAL, "invalid payload: %s (column %d)", je.text, je.column);
	static const char *const top[] = { "critical", "optional" };
	static const char *const crit[] = { "type", "image", "identity" };
	static const char *const img[] = { "docker-manifest-digest" };
	static const char *const ident[] = { "docker-reference" };
	if (exact_fields(j, "payload", top, 2, err) < 0)
		return -(*err)->code;
	struct fetch_sigstore_payload p = { 0 };
	json_t *opt = json_object_get(j, "optional");
	if (!json_is_null(opt)) {
		if (!json_is_object(opt))
			return oci_err_set(err, EINVAL, "payload.optional: expected an object or null");
		json_t *c = json_object_get(opt, "creator");
		if (c && !json_is_string(c))
			return oci_err_set(err, EINVAL, "payload.optional.creator: expected a string");
		json_t *t = json_object_get(opt, "timestamp");
		if (t) {
			double d = json_number_value(t);
			if (!json_is_number(t) || d > 9.2e18 || d < -9.2e18 || d != (double)(int64_t)d)
				return oci_err_set(err, EINVAL,
						   "payload.optional.timestamp: expected an integer");
			p.timestamp = (int64_t)d;
			p.has_timestamp = true;
		}
		if (c)
			p.creator = xstrdup(json_string_value(c));
	}
	json_t *critical = json_object_get(j, "critical");
	const char *type = NULL, *dg = NULL, *dref = NULL;
	int r = exact_fields(critical, "payload.critical", crit, 3, err);
	if (r >= 0)
		r = payload_string(critical, "payload.critical", "type", &type, err);
	if (r >= 0 && !streq(type, FETCH_SIGSTORE_TYPE))
		r = oci_err_set(err, EINVAL, "payload.critical.type: unrecognized signature type '%s'",
				type);
	json_t *image = json_object_get(critical, "image");
	json_t *identity = json_object_get(critical, "identity");
	if (r >= 0)
		r = exact_fields(image, "payload.critical.image", img, 1, err);
	if (r >= 0)
		r = payload_string(image, "payload.critical.image", "docker-manifest-digest", &dg, err);
	if (r >= 0 && oci_digest_parse(dg, &p.digest, err) < 0)
		r = oci_err_wrap(err, "payload.critical.image.docker-manifest-digest");
	if (r >= 0)
		r = exact_fields(identity, "payload.critical.identity", ident, 1, err);
	if (r >= 0)
		r = payload_string(identity, "payload.critical.identity", "docker-reference", &dref, err);
	if (r < 0) {
		fetch_sigstore_payload_release(&p);
		return r;
	}
	p.docker_reference = xstrdup(dref);
	*ret = p;
	return 0;
}

char *fetch_sigstore_payload_make(const struct oci_digest *d, const char *docker_reference,
				  int64_t timestamp)
{
	json_auto_t *j = json_pack("{s:{s:s, s:{s:s}, s:{s:s}}, s:{s:s, s:I}}", "critical", "type",
				   FETCH_SIGSTORE_TYPE, "image", "docker-manifest-digest", d->str,
				   "identity", "docker-reference", docker_reference, "optional",
				   "creator", "oci-fetch " OCI_TOOLS_VERSION, "timestamp",
				   (json_int_t)timestamp);
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
}

/* ---- signedIdentity ---- */

void fetch_signed_identity_release(struct fetch_signed_identity *id)
{
	free(id->value);
	free(id->signed_prefix);
	memset(id, 0, sizeof(*id));
}

/* Parses a reference as ParseNormalizedNamed does, telling whether it has
 * neither tag nor digest (oci_ref_parse adds ":latest" to those). */
static int parse_named(const char *s, struct oci_ref *ret, bool *ret_name_only)
{
	struct oci_err *e = NULL;
	if (oci_ref_parse_repo(s, ret, &e) >= 0) {
		*ret_name_only = true;
		return 0;
	}
	oci_err_clear(&e);
	if (oci_ref_parse(s, ret, &e) >= 0) {
		*ret_name_only = false;
		return 0;
	}
	oci_err_clear(&e);
	return -EINVAL;
}

/* host[:port] as distribution/reference's domain (a bracketed IPv6
 * address too). */
static bool is_domain(const char *s)
{
	const char *p = s;
	if (*p == '[') {
		const char *end = strchr(p, ']');
		if (!end || end == p + 1)
			return false;
		for (const char *q = p + 1; q < end; q++)
			if (!strchr("0123456789abcdefABCDEF:.", *q))
				return false;
		p = end + 1;
	} else {
		for (;;) {
			const char *start = p;
			while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			       (*p >= '0' && *p <= '9') || *p == '-')
				p++;
			if (p == start || *start == '-' || p[-1] == '-')
				return false;
			if (*p != '.')
				break;
			p++;
		}
	}
	if (*p == ':') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return false;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return *p == 0;
}

/* remapIdentity's prefix and signedPrefix: host[:port], or a repository
 * namespace or repository in the fully expanded form, without tag or digest. */
static bool valid_remap_prefix(const char *s)
{
	if (is_domain(s))
		return true;
	struct oci_ref r = { 0 };
	struct oci_err *e = NULL;
	bool ok = false;
	if (oci_ref_parse_repo(s, &r, &e) >= 0) {
		_cleanup_free_ char *n = oci_ref_name(&r);
		ok = streq(n, s);
		oci_ref_release(&r);
	}
	oci_err_clear(&e);
	return ok;
}

int fetch_signed_identity_parse(json_t *v, const char *path, struct fetch_signed_identity *ret,
				struct oci_err **err)
{
	struct fetch_signed_identity id = { .type = FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT };
	if (!v) {
		*ret = id;
		return 0;
	}
	if (!json_is_object(v))
		return oci_err_set(err, EINVAL, "%s: expected an object", path);
	const char *type = json_string_value(json_object_get(v, "type"));
	if (!type)
		return oci_err_set(err, EINVAL, "%s: \"type\" is missing", path);
	static const char *const only_type[] = { "type" };
	static const char *const exact_ref[] = { "type", "dockerReference" };
	static const char *const exact_repo[] = { "type", "dockerRepository" };
	static const char *const remap[] = { "type", "prefix", "signedPrefix" };
	int r;
	if (streq(type, "matchExact") || streq(type, "matchRepoDigestOrExact") ||
	    streq(type, "matchRepository")) {
		id.type = streq(type, "matchExact")	  ? FETCH_ID_MATCH_EXACT
			  : streq(type, "matchRepository") ? FETCH_ID_MATCH_REPOSITORY
							   : FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT;
		if ((r = exact_fields(v, path, only_type, 1, err)) < 0)
			return r;
	} else if (streq(type, "exactReference")) {
		id.type = FETCH_ID_EXACT_REFERENCE;
		if ((r = exact_fields(v, path, exact_ref, 2, err)) < 0)
			return r;
		const char *s = json_string_value(json_object_get(v, "dockerReference"));
		struct oci_ref ref = { 0 };
		bool name_only = false;
		if (!s || parse_named(s, &ref, &name_only) < 0)
			return oci_err_set(err, EINVAL, "%s.dockerReference: invalid reference '%s'", path,
					   s ? s : "(not a string)");
		oci_ref_release(&ref);
		if (name_only)
			return oci_err_set(err, EINVAL,
					   "%s.dockerReference: '%s' has neither a tag nor a digest", path, s);
		id.value = xstrdup(s);
	} else if (streq(type, "exactRepository")) {
		id.type = FETCH_ID_EXACT_REPOSITORY;
		if ((r = exact_fields(v, path, exact_repo, 2, err)) < 0)
			return r;
		const char *s = json_string_value(json_object_get(v, "dockerRepository"));
		struct oci_ref ref = { 0 };
		bool name_only = false;
		if (!s || parse_named(s, &ref, &name_only) < 0)
			return oci_err_set(err, EINVAL, "%s.dockerRepository: invalid repository '%s'",
					   path, s ? s : "(not a string)");
		oci_ref_release(&ref);
		id.value = xstrdup(s);
	} else if (streq(type, "remapIdentity")) {
		id.type = FETCH_ID_REMAP_IDENTITY;
		if ((r = exact_fields(v, path, remap, 3, err)) < 0)
			return r;
		const char *pfx = json_string_value(json_object_get(v, "prefix"));
		const char *spfx = json_string_value(json_object_get(v, "signedPrefix"));
		if (!pfx || !valid_remap_prefix(pfx))
			return oci_err_set(err, EINVAL,
					   "%s.prefix: '%s' is not a host[:port] or a repository (namespace) in its full form",
					   path, pfx ? pfx : "(not a string)");
		if (!spfx || !valid_remap_prefix(spfx))
			return oci_err_set(err, EINVAL,
					   "%s.signedPrefix: '%s' is not a host[:port] or a repository (namespace) in its full form",
					   path, spfx ? spfx : "(not a string)");
		id.value = xstrdup(pfx);
		id.signed_prefix = xstrdup(spfx);
	} else {
		return oci_err_set(err, EINVAL, "%s: unknown signedIdentity type '%s'", path, type);
	}
	*ret = id;
	return 0;
}

/* matchRepoDigestOrExact on parsed references: a tagged image needs the
 * very reference, an image by digest alone a signature of its repository. */
static bool repo_digest_or_exact(const struct oci_ref *intended, const struct oci_ref *sig,
				 bool sig_name_only)
{
	if (sig_name_only)
		return false;
	if (intended->tag) {
		_cleanup_free_ char *a = oci_ref_string(intended);
		_cleanup_free_ char *b = oci_ref_string(sig);
		return streq(a, b);
	}
	if (intended->digest) {
		_cleanup_free_ char *a = oci_ref_name(intended);
		_cleanup_free_ char *b = oci_ref_name(sig);
		return streq(a, b);
	}
	return false;
}

/* The image's name matches PREFIX at a '/' boundary (or is it). */
static bool name_has_prefix(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);
	return strncmp(name, prefix, n) == 0 && (name[n] == 0 || name[n] == '/');
}

bool fetch_signed_identity_match(const struct fetch_signed_identity *id,
				 const struct oci_ref *image, const char *signed_ref)
{
	_cleanup_ref_ struct oci_ref sig = { 0 };
	bool sig_name_only = false;
	if (parse_named(signed_ref, &sig, &sig_name_only) < 0)
		return false;
	_cleanup_free_ char *sig_str = oci_ref_string(&sig);
	_cleanup_free_ char *sig_name = oci_ref_name(&sig);
	switch (id->type) {
	case FETCH_ID_MATCH_EXACT: {
		if (sig_name_only || (!image->tag && !image->digest))
			return false;
		_cleanup_free_ char *s = oci_ref_string(image);
		return streq(s, sig_str);
	}
	case FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT:
		return repo_digest_or_exact(image, &sig, sig_name_only);
	case FETCH_ID_MATCH_REPOSITORY: {
		_cleanup_free_ char *n = oci_ref_name(image);
		return streq(n, sig_name);
	}
	case FETCH_ID_EXACT_REFERENCE: {
		_cleanup_ref_ struct oci_ref want = { 0 };
		bool want_name_only = false;
		if (sig_name_only || parse_named(id->value, &want, &want_name_only) < 0 || want_name_only)
			return false;
		_cleanup_free_ char *w = oci_ref_string(&want);
		return streq(w, sig_str);
	}
	case FETCH_ID_EXACT_REPOSITORY: {
		_cleanup_ref_ struct oci_ref want = { 0 };
		bool want_name_only = false;
		if (parse_named(id->value, &want, &want_name_only) < 0)
			return false;
		_cleanup_free_ char *w = oci_ref_name(&want);
		return streq(w, sig_name);
	}
	case FETCH_ID_REMAP_IDENTITY: {
		_cleanup_free_ char *name = oci_ref_name(image);
		if (!name_has_prefix(name, id->value))
			return repo_digest_or_exact(image, &sig, sig_name_only);
		_cleanup_free_ char *full = oci_ref_string(image);
		_cleanup_free_ char *remapped = xasprintf("%s%s", id->signed_prefix,
							  full + strlen(id->value));
		/* the result must be a reference in its canonical form (ParseNamed) */
		_cleanup_ref_ struct oci_ref re = { 0 };
		struct oci_err *e = NULL;
		if (oci_ref_parse(remapped, &re, &e) < 0) {
			oci_err_clear(&e);
			return false;
		}
		_cleanup_free_ char *canon = oci_ref_string(&re);
		if (!streq(canon, remapped))
			return false;
		return repo_digest_or_exact(&re, &sig, sig_name_only);
	}
	}
	return false;
}

/* ---- accepting one signature ---- */

void fetch_sigstore_req_release(struct fetch_sigstore_req *req)
{
	for (size_t i = 0; i < req->n_keys; i++)
		fetch_key_free(req->keys[i]);
	free(req->keys);
	fetch_signed_identity_release(&req->identity);
	memset(req, 0, sizeof(*req));
}

int fetch_sigstore_accept(const struct fetch_sigstore_req *req, const struct oci_ref *image,
			  const char *manifest, size_t manifest_len, const char *payload,
			  size_t payload_len, const char *b64sig, struct oci_err **err)
{
	if (!b64sig)
		return oci_err_set(err, EBADMSG, "missing %s annotation",
				   FETCH_SIGSTORE_SIGNATURE_ANNOTATION);
	_cleanup_free_ char *sig = NULL;
	size_t sig_len = 0;
	if (fetch_base64_decode_strict(b64sig, &sig, &sig_len) < 0)
		return oci_err_set(err, EBADMSG, "invalid signature: %s is not base64",
				   FETCH_SIGSTORE_SIGNATURE_ANNOTATION);
	bool verified = false;
	for (size_t i = 0; i < req->n_keys && !verified; i++)
		verified = fetch_key_verify(req->keys[i], payload, payload_len, sig, sig_len);
	if (!verified)
		return oci_err_set(err, EKEYREJECTED,
				   "cryptographic signature verification failed (%s)",
				   req->n_keys == 1 ? "not signed by the key" : "not signed by any of the keys");
	struct fetch_sigstore_payload p = { 0 };
	if (fetch_sigstore_payload_parse(payload, payload_len, &p, err) < 0)
		return oci_err_wrap(err, "invalid signature");
	struct oci_digest got;
	oci_digest_buf(p.digest.alg, manifest, manifest_len, &got);
	int r = 0;
	if (!oci_digest_equal(&got, &p.digest))
		r = oci_err_set(err, EKEYREJECTED, "signature for digest %s does not match the manifest (%s)",
				p.digest.str, got.str);
	else if (!fetch_signed_identity_match(&req->identity, image, p.docker_reference))
		r = oci_err_set(err, EKEYREJECTED, "signature for identity '%s' is not accepted (%s)",
				p.docker_reference, fetch_signed_identity_name(req->identity.type));
	fetch_sigstore_payload_release(&p);
	return r;
}

const char *fetch_signed_identity_name(enum fetch_identity_type t)
{
	switch (t) {
	case FETCH_ID_MATCH_EXACT: return "matchExact";
	case FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT: return "matchRepoDigestOrExact";
	case FETCH_ID_MATCH_REPOSITORY: return "matchRepository";
	case FETCH_ID_EXACT_REFERENCE: return "exactReference";
	case FETCH_ID_EXACT_REPOSITORY: return "exactRepository";
	case FETCH_ID_REMAP_IDENTITY: return "remapIdentity";
	}
	return "?";
}

/* ---- the .sig artifact in a registry ---- */

void fetch_sig_set_release(struct fetch_sig_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		oci_descriptor_release(&s->layers[i].desc);
		free(s->layers[i].data);
	}
	free(s->layers);
	free(s->tag);
	memset(s, 0, sizeof(*s));
}

char *fetch_sigstore_tag(const struct oci_digest *d)
{
	return xasprintf("%s-%s.sig", oci_digest_alg_name(d->alg), oci_digest_hex(d));
}

#define SIG_MAX_MANIFEST (4 << 20)
#define SIG_MAX_LAYER (4 << 20)
#define SIG_MAX_LAYERS 1000
#define SIG_MAX_TOTAL (64 << 20)

static int get_blob(struct fetch_registry *reg, const char *repo, const char *where,
		    struct fetch_sig_layer *l, struct oci_err **err)
{
	if (l->desc.size < 0 || l->desc.size > SIG_MAX_LAYER)
		return oci_err_set(err, EFBIG, "%s: layer %s of %" PRId64 " bytes is over the limit of %d",
				   where, l->desc.digest.str, l->desc.size, SIG_MAX_LAYER);
	_cleanup_free_ char *scope = fetch_scope(repo, false);
	_cleanup_free_ char *url = xasprintf("/v2/%s/blobs/%s%s", repo, l->desc.digest.str, reg->query);
	struct fetch_request req = { .method = "GET", .url = url, .scope = scope, .body_fd = -1 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(reg, &req, &resp, err);
	if (r >= 0 && resp.status != 200) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		r = oci_err_set(err, EIO, "%s: GET layer %s: %s from registry '%s'", where,
				l->desc.digest.str, he, reg->host);
	}
	if (r >= 0) {
		struct oci_digest got;
		oci_digest_buf(l->desc.digest.alg, resp.body.buf, resp.body.len, &got);
		if ((int64_t)resp.body.len != l->desc.size || !oci_digest_equal(&got, &l->desc.digest))
			r = oci_err_set(err, EBADMSG,
					"%s: layer %s from registry '%s' does not match its descriptor",
					where, l->desc.digest.str, reg->host);
	}
	if (r >= 0)
		l->data = sbuf_detach(&resp.body, &l->len);
	fetch_response_release(&resp);
	return r;
}

int fetch_sigstore_get(struct fetch_registry *reg, const char *repo, const struct oci_digest *d,
		       struct fetch_sig_set *ret, struct oci_err **err)
{
	struct fetch_sig_set s = { .tag = fetch_sigstore_tag(d) };
	_cleanup_free_ char *where = xasprintf("%s/%s:%s", reg->host, repo, s.tag);
	_cleanup_free_ char *scope = fetch_scope(repo, false);
	_cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s%s", repo, s.tag, reg->query);
	struct fetch_request req = { .method = "GET", .url = url, .scope = scope,
				     .accept = OCI_MT_MANIFEST, .body_fd = -1 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(reg, &req, &resp, err);
	if (r >= 0 && resp.status == 404) {
		fetch_response_release(&resp);
		*ret = s;
		return 0;
	}
	if (r >= 0 && resp.status != 200) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		r = oci_err_set(err, resp.status == 401 || resp.status == 403 ? EACCES : EIO,
				"GET %s: %s from registry '%s'", where, he, reg->host);
	}
	if (r >= 0 && resp.body.len > SIG_MAX_MANIFEST)
		r = oci_err_set(err, EFBIG, "%s: the manifest is over %d bytes", where, SIG_MAX_MANIFEST);
	json_auto_t *m = NULL;
	if (r >= 0 && oci_json_load_buf(resp.body.buf, resp.body.len, where, &m, err) < 0)
		r = -(*err)->code;
	fetch_response_release(&resp);
	if (r < 0) {
		fetch_sig_set_release(&s);
		return r;
	}
	s.found = true;
	const char *mt = json_string_value(json_object_get(m, "mediaType"));
	json_t *layers = json_object_get(m, "layers");
	if ((mt && !streq(mt, OCI_MT_MANIFEST)) || !json_is_array(layers))
		r = oci_err_set(err, EBADMSG, "%s: not an OCI image manifest with layers", where);
	else if (json_array_size(layers) > SIG_MAX_LAYERS)
		r = oci_err_set(err, EFBIG, "%s: more than %d signatures", where, SIG_MAX_LAYERS);
	if (r >= 0)
		s.layers = xcalloc(json_array_size(layers) + 1, sizeof(*s.layers));
	size_t i;
	json_t *lj;
	int64_t total = 0;
	json_array_foreach(r >= 0 ? layers : NULL, i, lj) {
		_cleanup_free_ char *path = xasprintf("%s: layers[%zu]", where, i);
		struct fetch_sig_layer *l = &s.layers[s.n];
		if (oci_descriptor_from_json(lj, path, &l->desc, err) < 0) {
			r = -(*err)->code;
			break;
		}
		s.n++;
		total += l->desc.size > 0 ? l->desc.size : 0;
		if (total > SIG_MAX_TOTAL) {
			r = oci_err_set(err, EFBIG, "%s: the signatures are over %d bytes in all", where,
					SIG_MAX_TOTAL);
			break;
		}
		if ((r = get_blob(reg, repo, where, l, err)) < 0)
			break;
	}
	if (r < 0) {
		fetch_sig_set_release(&s);
		return r;
	}
	*ret = s;
	return 0;
}

const char *fetch_sig_layer_annotation(const struct fetch_sig_layer *l, const char *key)
{
	json_t *a = l->desc.json ? json_object_get(l->desc.json, "annotations") : NULL;
	return json_string_value(json_object_get(a, key));
}

/* ---- sign ---- */

/* GETs REF's manifest (verified against REF's digest when it has one). */
static int get_top_manifest(struct fetch_registry *reg, const char *repo, const struct oci_ref *ref,
			    const char *refstr, struct sbuf *ret, struct oci_digest *ret_digest,
			    char **ret_mt, struct oci_err **err)
{
	const char *reference = ref->digest ? ref->digest : ref->tag ? ref->tag : "latest";
	_cleanup_free_ char *scope = fetch_scope(repo, false);
	_cleanup_free_ char *url = xasprintf("/v2/%s/manifests/%s%s", repo, reference, reg->query);
	struct fetch_request req = { .method = "GET", .url = url, .scope = scope,
				     .accept = FETCH_ACCEPT_MANIFEST, .body_fd = -1 };
	struct fetch_response resp = { 0 };
	int r = fetch_registry_do(reg, &req, &resp, err);
	if (r >= 0 && resp.status != 200) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		r = oci_err_set(err, resp.status == 404 ? ENOENT : EIO,
				"GET manifest %s: %s from registry '%s'%s", refstr, he, reg->host,
				resp.status == 404 ? ": manifest unknown (no such image or tag)" : "");
	}
	if (r >= 0) {
		struct oci_digest want = { 0 };
		bool by_digest = ref->digest != NULL;
		if (by_digest && oci_digest_parse(ref->digest, &want, err) < 0)
			r = -(*err)->code;
		oci_digest_buf(by_digest ? want.alg : OCI_DIGEST_SHA256, resp.body.buf, resp.body.len,
			       ret_digest);
		_cleanup_free_ char *what = xasprintf("manifest %s", refstr);
		if (r >= 0 && by_digest && oci_digest_verify(&want, ret_digest, what, err) < 0)
			r = -(*err)->code;
	}
	if (r >= 0) {
		json_auto_t *j = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
		const char *mt = j ? json_string_value(json_object_get(j, "mediaType")) : NULL;
		if (!mt && j && json_object_get(j, "manifests"))
			mt = OCI_MT_INDEX;
		*ret_mt = xstrdup(mt ? mt : OCI_MT_MANIFEST);
		sbuf_add(ret, resp.body.buf, resp.body.len);
	}
	fetch_response_release(&resp);
	return r;
}

/* Writes into a fresh layout at DIR the .sig artifact: the layers already
 * in SET (their blobs as fetched) and one more, PAYLOAD signed as B64SIG. */
static int write_sig_layout(const char *dir, const struct fetch_sig_set *set, const char *payload,
			    const char *b64sig, struct oci_err **err)
{
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	if (oci_layout_open(dir, true, &l, err) < 0)
		return -(*err)->code;
	json_auto_t *layers = json_array();
	json_auto_t *diff_ids = json_array();
	for (size_t i = 0; i < set->n; i++) {
		const struct fetch_sig_layer *sl = &set->layers[i];
		if (oci_layout_blob_put(l, sl->data, sl->len, &sl->desc.digest, NULL, err) < 0)
			return -(*err)->code;
		json_array_append_new(layers, oci_descriptor_to_json(&sl->desc));
		json_array_append_new(diff_ids, json_string(sl->desc.digest.str));
	}
	struct oci_digest pd;
	size_t plen = strlen(payload);
	if (oci_layout_blob_put(l, payload, plen, NULL, &pd, err) < 0)
		return -(*err)->code;
	json_array_append_new(layers, json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType",
						FETCH_SIGSTORE_PAYLOAD_MT, "digest", pd.str, "size",
						(json_int_t)plen, "annotations",
						FETCH_SIGSTORE_SIGNATURE_ANNOTATION, b64sig));
	json_array_append_new(diff_ids, json_string(pd.str));
	json_auto_t *config = json_pack("{s:s, s:s, s:{}, s:{s:s, s:O}}", "architecture", "", "os", "",
					"config", "rootfs", "type", "layers", "diff_ids", diff_ids);
	_cleanup_free_ char *cs = json_dumps(config, JSON_COMPACT);
	struct oci_digest cd;
	if (oci_layout_blob_put(l, cs, strlen(cs), NULL, &cd, err) < 0)
		return -(*err)->code;
	json_auto_t *m = json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2,
				   "mediaType", OCI_MT_MANIFEST, "config", "mediaType", OCI_MT_CONFIG,
				   "digest", cd.str, "size", (json_int_t)strlen(cs), "layers", layers);
	_cleanup_free_ char *ms = json_dumps(m, JSON_COMPACT);
	struct oci_descriptor d = { .media_type = (char *)OCI_MT_MANIFEST, .size = (int64_t)strlen(ms) };
	if (oci_layout_blob_put(l, ms, strlen(ms), NULL, &d.digest, err) < 0)
		return -(*err)->code;
	return oci_layout_set_ref(l, "sig", &d, err);
}

static int sign_one(const struct fetch_opts *o, struct fetch_registry *reg, const char *repo,
		    const struct oci_ref *ref, const struct fetch_key *key, const char *identity,
		    const struct oci_digest *d, struct oci_err **err)
{
	_cleanup_free_ char *payload = fetch_sigstore_payload_make(d, identity, (int64_t)time(NULL));
	_cleanup_free_ unsigned char *sig = NULL;
	size_t sig_len = 0;
	if (fetch_key_sign(key, payload, strlen(payload), &sig, &sig_len, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *b64 = fetch_base64_encode(sig, sig_len);
	struct fetch_sig_set set = { 0 };
	if (fetch_sigstore_get(reg, repo, d, &set, err) < 0)
		return oci_err_wrap(err, "existing signatures of %s", d->str);
	_cleanup_free_ char *tmp = NULL;
	int r = oci_mkdtemp("/tmp/oci-fetch-sign", &tmp, err);
	_cleanup_free_ char *dir = tmp ? xasprintf("%s/layout", tmp) : NULL;
	if (r >= 0)
		r = write_sig_layout(dir, &set, payload, b64, err);
	if (r >= 0) {
		_cleanup_free_ char *src = xasprintf("oci:%s:sig", dir);
		_cleanup_free_ char *name = oci_ref_name(ref);
		_cleanup_free_ char *dest = xasprintf("%s:%s", name, set.tag);
		struct fetch_opts po = *o;
		po.format = FETCH_FORMAT_TEXT;
		struct sbuf ignored = SBUF_INIT;
		r = fetch_cmd_push(&po, src, dest, &ignored, err);
		sbuf_release(&ignored);
		if (r >= 0)
			oci_info("signed %s (%zu signature%s in %s)", d->str, set.n + 1,
				 set.n ? "s" : "", set.tag);
	}
	if (tmp) {
		struct oci_err *e2 = NULL;
		oci_rm_rf(tmp, &e2);
		oci_err_clear(&e2);
	}
	fetch_sig_set_release(&set);
	return r;
}

int fetch_cmd_sign(const struct fetch_opts *o, const char *key_file, const char *identity,
		   const char *src, struct sbuf *out, struct oci_err **err)
{
	if (!key_file)
		return oci_err_set(err, EINVAL, "sign needs --key FILE (a PEM private key)");
	_cleanup_ref_ struct oci_ref ref = { 0 };
	const char *s = startswith(src, "docker://") ? src + 9 : src;
	if (oci_ref_parse(s, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", src);
	_cleanup_free_ char *ident = NULL;
	if (identity) {
		_cleanup_ref_ struct oci_ref iref = { 0 };
		bool name_only = false;
		if (parse_named(identity, &iref, &name_only) < 0 || name_only)
			return oci_err_set(err, EINVAL,
					   "invalid value '%s' for --sign-identity (a reference with a tag or digest)",
					   identity);
		ident = oci_ref_string(&iref);
	} else {
		ident = oci_ref_string(&ref);
	}
	_cleanup_free_ char *pem = NULL;
	size_t pem_len = 0;
	if (oci_read_file(key_file, 1 << 20, &pem, &pem_len, err) < 0)
		return oci_err_wrap(err, "key '%s'", key_file);
	_cleanup_free_ char *what = xasprintf("key '%s'", key_file);
	struct fetch_key *key = NULL;
	if (fetch_key_parse_private(pem, pem_len, what, &key, err) < 0)
		return -(*err)->code;
	OPENSSL_cleanse(pem, pem_len);

	struct fetch_endpoint *eps = NULL;
	size_t n = 0;
	int r = fetch_endpoints_for(o, &ref, false, true, &eps, &n, err);
	if (r < 0) {
		fetch_key_free(key);
		return r;
	}
	const struct fetch_endpoint *ep = &eps[n - 1];
	_cleanup_(fetch_registry_freep) struct fetch_registry *reg = NULL;
	_cleanup_free_ char *refstr = oci_ref_string(&ref);
	r = fetch_registry_open(o, ep->host, ep->insecure, &reg, err);
	if (r >= 0)
		r = fetch_registry_ping(reg, err);
	struct sbuf manifest = SBUF_INIT;
	struct oci_digest top;
	_cleanup_free_ char *mt = NULL;
	if (r >= 0)
		r = get_top_manifest(reg, ep->repo, &ref, refstr, &manifest, &top, &mt, err);
	/* an index: its image manifests too (what a pull verifies) */
	struct oci_digest *todo = NULL;
	size_t n_todo = 0;
	if (r >= 0) {
		todo = xcalloc(1, sizeof(*todo));
		todo[n_todo++] = top;
		if (oci_media_type_is_index(mt)) {
			struct oci_index x = { 0 };
			if (oci_index_parse(manifest.buf, manifest.len, mt, refstr, &x, err) < 0) {
				r = -(*err)->code;
			} else {
				todo = xrealloc(todo, (x.n_manifests + 1) * sizeof(*todo));
				for (size_t i = 0; i < x.n_manifests; i++)
					if (oci_media_type_is_manifest(x.manifests[i].desc.media_type))
						todo[n_todo++] = x.manifests[i].desc.digest;
				oci_index_release(&x);
			}
		}
	}
	for (size_t i = 0; r >= 0 && i < n_todo; i++) {
		r = sign_one(o, reg, ep->repo, &ref, key, ident, &todo[i], err);
		if (r >= 0)
			sbuf_addf(out, "%s\n", todo[i].str);
	}
	if (r < 0)
		oci_err_wrap(err, "sign %s", refstr);
	free(todo);
	sbuf_release(&manifest);
	fetch_endpoints_free(eps, n);
	fetch_key_free(key);
	return r;
}

int fetch_sign_dest_check(const char *dest, struct oci_err **err)
{
	if (startswith(dest, "oci:") || startswith(dest, "oci-archive:") || startswith(dest, "dir:") ||
	    startswith(dest, "docker-archive:"))
		return oci_err_set(err, EINVAL,
				   "--sign-by-sigstore-private-key needs a registry destination, not '%s'",
				   dest);
	return 0;
}

int fetch_sign_pushed(const struct fetch_opts *o, const char *key_file, const char *identity,
		      const char *dest, const struct sbuf *pushed, struct oci_err **err)
{
	if (fetch_sign_dest_check(dest, err) < 0)
		return -(*err)->code;
	/* the digest push printed: a line, or the "digest" of its JSON */
	_cleanup_free_ char *dstr = NULL;
	if (pushed->buf[0] == '{') {
		json_auto_t *j = json_loadb(pushed->buf, pushed->len, 0, NULL);
		const char *v = json_string_value(json_object_get(j, "digest"));
		dstr = v ? xstrdup(v) : NULL;
	} else {
		dstr = xstrndup(pushed->buf, strcspn(pushed->buf, "\n"));
	}
	struct oci_digest d;
	if (!dstr || oci_digest_parse(dstr, &d, err) < 0)
		return oci_err_wrap(err, "sign '%s': no digest from the push", dest);
	_cleanup_ref_ struct oci_ref ref = { 0 };
	const char *s = startswith(dest, "docker://") ? dest + 9 : dest;
	if (oci_ref_parse(s, &ref, err) < 0)
		return oci_err_wrap(err, "'%s'", dest);
	_cleanup_free_ char *name = oci_ref_name(&ref);
	_cleanup_free_ char *ident = identity ? xstrdup(identity) : oci_ref_string(&ref);
	_cleanup_free_ char *by_digest = xasprintf("%s@%s", name, d.str);
	struct sbuf signed_list = SBUF_INIT;
	int r = fetch_cmd_sign(o, key_file, ident, by_digest, &signed_list, err);
	sbuf_release(&signed_list);
	return r;
}
