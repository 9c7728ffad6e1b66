/* Sigstore signatures: payload parsing, signedIdentity matching, keys
 * (ECDSA, RSA, Ed25519 made here with OpenSSL), accepting one signature,
 * and the sigstoreSigned requirement of a policy. No network. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "fetch.h"
#include "sigstore.h"
#include "tap.h"
#include "util.h"

static const char *D1 = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* ---- payloads ---- */
static void payload_case(const char *json, int want, const char *in_msg)
{
	struct fetch_sigstore_payload p = { 0 };
	struct oci_err *err = NULL;
	int r = fetch_sigstore_payload_parse(json, strlen(json), &p, &err);
	if (want == 0)
		ok(r == 0, "payload accepted: %s%s%s", json, err ? ": " : "", err ? err->msg : "");
	else
		ok(r == want && err && strstr(err->msg, in_msg), "payload refused with '%s': %s (%s)",
		   in_msg, json, err ? err->msg : "accepted");
	fetch_sigstore_payload_release(&p);
	oci_err_free(err);
}

static void test_payloads(void)
{
	char *good = xasprintf(
		"{\"critical\":{\"identity\":{\"docker-reference\":\"example.com/a/b:1\"},"
		"\"image\":{\"docker-manifest-digest\":\"%s\"},"
		"\"type\":\"cosign container image signature\"},\"optional\":null}", D1);
	struct fetch_sigstore_payload p = { 0 };
	struct oci_err *err = NULL;
	ok(fetch_sigstore_payload_parse(good, strlen(good), &p, &err) == 0, "cosign's payload parses");
	is_str(p.digest.str, D1, "docker-manifest-digest");
	is_str(p.docker_reference, "example.com/a/b:1", "docker-reference");
	ok(!p.creator && !p.has_timestamp, "no optional fields");
	fetch_sigstore_payload_release(&p);
	free(good);

	struct oci_digest d;
	ok(oci_digest_parse(D1, &d, &err) == 0, "digest");
	char *made = fetch_sigstore_payload_make(&d, "localhost:5000/x:latest", 1700000000);
	ok(fetch_sigstore_payload_parse(made, strlen(made), &p, &err) == 0, "our payload parses back");
	is_str(p.docker_reference, "localhost:5000/x:latest", "its identity");
	ok(p.has_timestamp && p.timestamp == 1700000000, "its timestamp");
	ok(p.creator && startswith(p.creator, "oci-fetch "), "its creator");
	ok(strstr(made, "\"type\":\"cosign container image signature\"") != NULL, "its type: %s", made);
	fetch_sigstore_payload_release(&p);
	free(made);

#define CRIT(extra)                                                                        \
	"{\"critical\":{\"identity\":{\"docker-reference\":\"a/b\"},"                       \
	"\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"}," \
	"\"type\":\"cosign container image signature\"" extra "}"
	payload_case(CRIT("") ",\"optional\":{\"creator\":\"x\",\"timestamp\":5,\"other\":[1]}}", 0, NULL);
	payload_case(CRIT("") "}", -EINVAL, "key 'optional' is missing");
	payload_case(CRIT("") ",\"optional\":null,\"extra\":1}", -EINVAL, "unexpected key 'extra'");
	payload_case(CRIT(",\"x\":1") ",\"optional\":null}", -EINVAL, "payload.critical: unexpected key 'x'");
	payload_case(CRIT("") ",\"optional\":{\"timestamp\":1.5}}", -EINVAL, "timestamp: expected an integer");
	payload_case(CRIT("") ",\"optional\":{\"creator\":7}}", -EINVAL, "creator: expected a string");
	payload_case(CRIT("") ",\"optional\":[]}", -EINVAL, "optional: expected an object or null");
	payload_case(CRIT("") ",\"optional\":null,\"optional\":null}", -EINVAL, "duplicate");
	payload_case("{\"critical\":{\"identity\":{\"docker-reference\":\"a/b\"},"
		     "\"image\":{\"docker-manifest-digest\":\"sha256:0123\"},"
		     "\"type\":\"cosign container image signature\"},\"optional\":null}",
		     -EINVAL, "docker-manifest-digest");
	payload_case("{\"critical\":{\"identity\":{\"docker-reference\":\"a/b\"},"
		     "\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
		     "\"type\":\"atomic container signature\"},\"optional\":null}",
		     -EINVAL, "unrecognized signature type");
	payload_case("{\"critical\":{\"identity\":{\"docker-reference\":5},"
		     "\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
		     "\"type\":\"cosign container image signature\"},\"optional\":null}",
		     -EINVAL, "docker-reference: expected a string");
	payload_case("{\"critical\":{\"identity\":{\"docker-reference\":\"a\",\"x\":1},"
		     "\"image\":{\"docker-manifest-digest\":\"sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\"},"
		     "\"type\":\"cosign container image signature\"},\"optional\":null}",
		     -EINVAL, "identity: unexpected key 'x'");
	payload_case("[]", -EINVAL, "payload: expected an object");
	payload_case("{\"critical\":", -EINVAL, "invalid payload");
	oci_err_free(err);
}

/* ---- base64 ---- */
static void test_base64(void)
{
	char *out = NULL;
	size_t n = 0;
	ok(fetch_base64_decode_strict("aGVsbG8=", &out, &n) == 0 && n == 5 && !memcmp(out, "hello", 5),
	   "base64 with padding");
	free(out);
	ok(fetch_base64_decode_strict("aGVs\nbG8h", &out, &n) == 0 && n == 6 && !memcmp(out, "hello!", 6),
	   "base64 with a newline");
	free(out);
	ok(fetch_base64_decode_strict("", &out, &n) == 0 && n == 0, "empty base64");
	free(out);
	ok(fetch_base64_decode_strict("aGVsbG8", &out, &n) == -EINVAL, "missing padding refused");
	ok(fetch_base64_decode_strict("aGVsbG8=aGVs", &out, &n) == -EINVAL, "data after padding refused");
	ok(fetch_base64_decode_strict("aGV sbG8=", &out, &n) == -EINVAL, "a blank refused");
	ok(fetch_base64_decode_strict("a=Vs", &out, &n) == -EINVAL, "padding inside refused");
	ok(fetch_base64_decode_strict("aG-_", &out, &n) == -EINVAL, "URL alphabet refused");
}

/* ---- identities ---- */
static void id_case(const char *idjson, const char *image, const char *signed_ref, bool want)
{
	json_error_t je;
	json_t *j = idjson ? json_loads(idjson, 0, &je) : NULL;
	struct fetch_signed_identity id = { 0 };
	struct oci_err *err = NULL;
	struct oci_ref ref = { 0 };
	if (fetch_signed_identity_parse(j, "signedIdentity", &id, &err) < 0 ||
	    oci_ref_parse(image, &ref, &err) < 0) {
		ok(0, "%s: %s", idjson ? idjson : "(default)", err->msg);
		oci_err_free(err);
		json_decref(j);
		return;
	}
	bool got = fetch_signed_identity_match(&id, &ref, signed_ref);
	ok(got == want, "%s: image %s, signature for %s: %s", idjson ? idjson : "(default)", image,
	   signed_ref, want ? "accepted" : "refused");
	fetch_signed_identity_release(&id);
	oci_ref_release(&ref);
	json_decref(j);
}

static void id_bad(const char *idjson, const char *in_msg)
{
	json_error_t je;
	json_t *j = json_loads(idjson, 0, &je);
	struct fetch_signed_identity id = { 0 };
	struct oci_err *err = NULL;
	int r = fetch_signed_identity_parse(j, "x.signedIdentity", &id, &err);
	ok(r == -EINVAL && err && strstr(err->msg, in_msg), "%s refused with '%s' (%s)", idjson,
	   in_msg, err ? err->msg : "accepted");
	fetch_signed_identity_release(&id);
	oci_err_free(err);
	json_decref(j);
}

static void test_identities(void)
{
	const char *D = "@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	char *by_digest = xasprintf("example.com/ns/app%s", D);
	char *other_by_digest = xasprintf("example.com/ns/other%s", D);
	/* matchRepoDigestOrExact, the default */
	id_case(NULL, "example.com/ns/app:1", "example.com/ns/app:1", true);
	id_case(NULL, "example.com/ns/app:1", "example.com/ns/app:2", false);
	id_case(NULL, "example.com/ns/app:1", "example.com/ns/app", false); /* cosign's (repository only) */
	id_case(NULL, "example.com/ns/app", "example.com/ns/app:latest", true); /* latest is added */
	id_case(NULL, "busybox", "docker.io/library/busybox:latest", true);   /* normalized */
	id_case(NULL, "docker.io/library/busybox:1", "busybox:1", true);
	id_case(NULL, "docker.io/library/busybox:1", "index.docker.io/library/busybox:1", true);
	id_case(NULL, by_digest, "example.com/ns/app:whatever", true);
	id_case(NULL, by_digest, "example.com/ns/app", false);
	id_case(NULL, by_digest, other_by_digest, false);
	id_case(NULL, "example.com/ns/app:1", "not a reference", false);
	id_case("{\"type\":\"matchRepoDigestOrExact\"}", "example.com/ns/app:1", "example.com/ns/app:1", true);
	/* matchExact */
	id_case("{\"type\":\"matchExact\"}", "example.com/ns/app:1", "example.com/ns/app:1", true);
	id_case("{\"type\":\"matchExact\"}", by_digest, "example.com/ns/app:1", false);
	id_case("{\"type\":\"matchExact\"}", by_digest, by_digest, true);
	id_case("{\"type\":\"matchExact\"}", "example.com/ns/app:1", "example.com/ns/app", false);
	/* matchRepository */
	id_case("{\"type\":\"matchRepository\"}", "example.com/ns/app:1", "example.com/ns/app", true);
	id_case("{\"type\":\"matchRepository\"}", "example.com/ns/app:1", "example.com/ns/app:7", true);
	id_case("{\"type\":\"matchRepository\"}", "example.com/ns/app:1", "example.com/ns/app2", false);
	id_case("{\"type\":\"matchRepository\"}", "example.com/ns/app:1", "other.com/ns/app", false);
	/* exactReference: the image's own name does not matter */
	const char *er = "{\"type\":\"exactReference\",\"dockerReference\":\"vendor.example/p:2\"}";
	id_case(er, "mirror.local/p:2", "vendor.example/p:2", true);
	id_case(er, "mirror.local/p:2", "vendor.example/p:3", false);
	id_case(er, "mirror.local/p:2", "vendor.example/p", false);
	/* exactRepository */
	const char *erp = "{\"type\":\"exactRepository\",\"dockerRepository\":\"vendor.example/p\"}";
	id_case(erp, "mirror.local/p:2", "vendor.example/p", true);
	id_case(erp, "mirror.local/p:2", "vendor.example/p:9", true);
	id_case(erp, "mirror.local/p:2", "vendor.example/q:2", false);
	/* remapIdentity */
	const char *rm = "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.local:5000/vendor\","
			 "\"signedPrefix\":\"vendor.example\"}";
	id_case(rm, "mirror.local:5000/vendor/pa/img:1", "vendor.example/pa/img:1", true);
	id_case(rm, "mirror.local:5000/vendor/pa/img:1", "vendor.example/pa/img:2", false);
	id_case(rm, "mirror.local:5000/vendor/pa/img:1", "mirror.local:5000/vendor/pa/img:1", false);
	/* a name that only starts with the prefix's characters is not remapped */
	id_case(rm, "mirror.local:5000/vendorx/img:1", "mirror.local:5000/vendorx/img:1", true);
	id_case(rm, "mirror.local:5000/vendorx/img:1", "vendor.examplex/img:1", false);
	id_case(rm, "mirror.local:5000/vendor:1", "vendor.example/library/x:1", false);
	const char *rmr = "{\"type\":\"remapIdentity\",\"prefix\":\"mirror.local/a/b\","
			  "\"signedPrefix\":\"docker.io/library/busybox\"}";
	id_case(rmr, "mirror.local/a/b:1", "busybox:1", true);
	id_case(rmr, "mirror.local/a/b:1", "busybox:2", false);

	id_bad("{\"type\":\"nope\"}", "unknown signedIdentity type 'nope'");
	id_bad("{}", "\"type\" is missing");
	id_bad("[]", "expected an object");
	id_bad("{\"type\":\"matchExact\",\"dockerReference\":\"a:1\"}", "unexpected key 'dockerReference'");
	id_bad("{\"type\":\"exactReference\"}", "key 'dockerReference' is missing");
	id_bad("{\"type\":\"exactReference\",\"dockerReference\":\"a/b\"}", "neither a tag nor a digest");
	id_bad("{\"type\":\"exactReference\",\"dockerReference\":\"A B\"}", "invalid reference");
	id_bad("{\"type\":\"exactRepository\",\"dockerRepository\":\"a/UPPER\"}", "invalid repository");
	/* as containers/image: a one-word prefix is a host name */
	id_bad("{\"type\":\"remapIdentity\",\"prefix\":\"-x-\",\"signedPrefix\":\"docker.io\"}",
	       "prefix: '-x-' is not");
	id_bad("{\"type\":\"remapIdentity\",\"prefix\":\"a.example/x:1\",\"signedPrefix\":\"docker.io\"}",
	       "prefix: 'a.example/x:1' is not");
	id_bad("{\"type\":\"remapIdentity\",\"prefix\":\"a.example\",\"signedPrefix\":\"\"}",
	       "signedPrefix: '' is not");
	id_bad("{\"type\":\"remapIdentity\",\"prefix\":\"a.example\"}", "key 'signedPrefix' is missing");
	free(by_digest);
	free(other_by_digest);
}

/* ---- keys and signatures ---- */
static char *pem_of(EVP_PKEY *k, bool private, const char *structure)
{
	BIO *b = BIO_new(BIO_s_mem());
	if (structure) {
		OSSL_ENCODER_CTX *e = OSSL_ENCODER_CTX_new_for_pkey(k, EVP_PKEY_PUBLIC_KEY, "PEM",
								    structure, NULL);
		OSSL_ENCODER_to_bio(e, b);
		OSSL_ENCODER_CTX_free(e);
	} else if (private) {
		PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	} else {
		PEM_write_bio_PUBKEY(b, k);
	}
	char *data = NULL;
	long n = BIO_get_mem_data(b, &data);
	char *s = xstrndup(data, (size_t)n);
	BIO_free(b);
	return s;
}

static char *b64_of(const char *s)
{
	return fetch_base64_encode(s, strlen(s));
}

struct keypair {
	const char *name;
	EVP_PKEY *pkey;
	struct fetch_key *pub, *priv;
	char *pub_pem;
};

static void make_pair(struct keypair *kp, const char *name, EVP_PKEY *k)
{
	struct oci_err *err = NULL;
	kp->name = name;
	kp->pkey = k;
	kp->pub_pem = pem_of(k, false, NULL);
	char *priv = pem_of(k, true, NULL);
	ok(fetch_key_parse_public(kp->pub_pem, strlen(kp->pub_pem), "pub", &kp->pub, &err) == 0,
	   "%s public key parses", name);
	ok(fetch_key_parse_private(priv, strlen(priv), "priv", &kp->priv, &err) == 0,
	   "%s private key parses", name);
	is_str(fetch_key_type(kp->pub), name, "%s key type", name);
	free(priv);
	oci_err_free(err);
}

static void release_pair(struct keypair *kp)
{
	fetch_key_free(kp->pub);
	fetch_key_free(kp->priv);
	EVP_PKEY_free(kp->pkey);
	free(kp->pub_pem);
}

static void test_keys(struct keypair *kp, size_t n)
{
	const char *msg = "the payload";
	for (size_t i = 0; i < n; i++) {
		unsigned char *sig = NULL;
		size_t sl = 0;
		struct oci_err *err = NULL;
		ok(fetch_key_sign(kp[i].priv, msg, strlen(msg), &sig, &sl, &err) == 0, "%s signs",
		   kp[i].name);
		ok(fetch_key_verify(kp[i].pub, msg, strlen(msg), sig, sl), "%s verifies its signature",
		   kp[i].name);
		ok(!fetch_key_verify(kp[i].pub, "the paylaod", 11, sig, sl),
		   "%s refuses another message", kp[i].name);
		ok(!fetch_key_verify(kp[(i + 1) % n].pub, msg, strlen(msg), sig, sl),
		   "%s's signature refused by the %s key", kp[i].name, kp[(i + 1) % n].name);
		sig[sl / 2] ^= 1;
		ok(!fetch_key_verify(kp[i].pub, msg, strlen(msg), sig, sl), "%s: a flipped bit refused",
		   kp[i].name);
		ok(!fetch_key_verify(kp[i].pub, msg, strlen(msg), sig, 0), "%s: empty signature refused",
		   kp[i].name);
		free(sig);
	}
	/* an RSA key as "RSA PUBLIC KEY" (PKCS#1), as sigstore also reads it */
	char *pkcs1 = pem_of(kp[1].pkey, false, "type-specific");
	struct fetch_key *k = NULL;
	struct oci_err *err = NULL;
	ok(strstr(pkcs1, "BEGIN RSA PUBLIC KEY") && fetch_key_parse_public(pkcs1, strlen(pkcs1), "k", &k, &err) == 0,
	   "RSA PUBLIC KEY parses");
	unsigned char *sig = NULL;
	size_t sl = 0;
	fetch_key_sign(kp[1].priv, msg, strlen(msg), &sig, &sl, &err);
	ok(k && fetch_key_verify(k, msg, strlen(msg), sig, sl), "and verifies");
	free(sig);
	fetch_key_free(k);
	free(pkcs1);
	/* leading text before the PEM block is skipped, as Go's pem.Decode does */
	char *prefixed = xasprintf("comment\n%s", kp[0].pub_pem);
	ok(fetch_key_parse_public(prefixed, strlen(prefixed), "k", &k, &err) == 0, "text before PEM");
	fetch_key_free(k);
	free(prefixed);

	k = NULL;
	int r = fetch_key_parse_public("nothing", 7, "key 'x'", &k, &err);
	ok(r == -EINVAL && strstr(err->msg, "key 'x': no PEM public key found"), "not PEM: %s", err->msg);
	oci_err_clear(&err);
	char *priv = pem_of(kp[0].pkey, true, NULL);
	r = fetch_key_parse_public(priv, strlen(priv), "key 'x'", &k, &err);
	ok(r == -EINVAL && strstr(err->msg, "'PRIVATE KEY' is not a public key"), "private as public: %s",
	   err->msg);
	oci_err_clear(&err);
	r = fetch_key_parse_private(kp[0].pub_pem, strlen(kp[0].pub_pem), "key 'x'", &k, &err);
	ok(r == -EINVAL && strstr(err->msg, "no PEM private key found"), "public as private: %s", err->msg);
	oci_err_clear(&err);
	free(priv);
	/* an encrypted key is refused, without asking for a passphrase */
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PKCS8PrivateKey(b, kp[0].pkey, EVP_aes_256_cbc(), NULL, 0, NULL, (void *)"pass");
	char *data = NULL;
	long dn = BIO_get_mem_data(b, &data);
	r = fetch_key_parse_private(data, (size_t)dn, "key 'x'", &k, &err);
	ok(r == -ENOTSUP && strstr(err->msg, "encrypted"), "encrypted key: %s", err ? err->msg : "");
	oci_err_clear(&err);
	BIO_free(b);
	const char *cosign = "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnt9fQ==\n"
			     "-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n";
	r = fetch_key_parse_private(cosign, strlen(cosign), "key 'x'", &k, &err);
	ok(r == -ENOTSUP && strstr(err->msg, "cosign's encrypted key format"), "cosign key: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	/* DSA is no sigstore key type */
	EVP_PKEY *dsa = NULL;
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
	EVP_PKEY_keygen_init(pc);
	EVP_PKEY_keygen(pc, &dsa);
	EVP_PKEY_CTX_free(pc);
	char *xp = pem_of(dsa, false, NULL);
	r = fetch_key_parse_public(xp, strlen(xp), "key 'x'", &k, &err);
	ok(r == -ENOTSUP && strstr(err->msg, "unsupported public key type"), "X25519: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	free(xp);
	EVP_PKEY_free(dsa);
}

/* ---- one signature against a requirement ---- */
static char *sign_b64(const struct fetch_key *k, const char *payload)
{
	unsigned char *sig = NULL;
	size_t sl = 0;
	struct oci_err *err = NULL;
	if (fetch_key_sign(k, payload, strlen(payload), &sig, &sl, &err) < 0) {
		oci_err_free(err);
		return xstrdup("");
	}
	char *b = fetch_base64_encode(sig, sl);
	free(sig);
	return b;
}

static void accept_case(const struct fetch_sigstore_req *req, const char *image, const char *manifest,
			const char *payload, const char *b64, int want, const char *in_msg,
			const char *what)
{
	struct oci_ref ref = { 0 };
	struct oci_err *err = NULL;
	oci_ref_parse(image, &ref, &err);
	int r = fetch_sigstore_accept(req, &ref, manifest, strlen(manifest), payload, strlen(payload),
				      b64, &err);
	if (want == 0)
		ok(r == 0, "%s: accepted%s%s", what, err ? ": " : "", err ? err->msg : "");
	else
		ok(r == want && err && strstr(err->msg, in_msg), "%s: refused with '%s' (%s)", what,
		   in_msg, err ? err->msg : "accepted");
	oci_err_free(err);
	oci_ref_release(&ref);
}

static void test_accept(struct keypair *kp)
{
	const char *manifest = "{\"schemaVersion\":2,\"layers\":[]}";
	struct oci_digest md, other;
	oci_digest_buf(OCI_DIGEST_SHA256, manifest, strlen(manifest), &md);
	oci_digest_buf(OCI_DIGEST_SHA256, "x", 1, &other);
	struct fetch_sigstore_req req = { 0 };
	req.keys = xcalloc(2, sizeof(*req.keys));
	struct oci_err *err = NULL;
	fetch_key_parse_public(kp[0].pub_pem, strlen(kp[0].pub_pem), "k", &req.keys[0], &err);
	req.n_keys = 1;
	req.identity.type = FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT;
	const char *img = "localhost:5000/app:1";

	char *pl = fetch_sigstore_payload_make(&md, "localhost:5000/app:1", 1);
	char *sig = sign_b64(kp[0].priv, pl);
	accept_case(&req, img, manifest, pl, sig, 0, NULL, "a good signature");
	accept_case(&req, img, manifest, pl, NULL, -EBADMSG, "missing dev.cosignproject.cosign/signature annotation",
		    "no annotation");
	accept_case(&req, img, manifest, pl, "***", -EBADMSG, "not base64", "bad base64");
	char *sig1 = sign_b64(kp[1].priv, pl);
	accept_case(&req, img, manifest, pl, sig1, -EKEYREJECTED, "cryptographic signature verification failed",
		    "another key");
	/* the other key in keyPaths accepts it */
	fetch_key_parse_public(kp[1].pub_pem, strlen(kp[1].pub_pem), "k", &req.keys[1], &err);
	req.n_keys = 2;
	accept_case(&req, img, manifest, pl, sig1, 0, NULL, "a second key of the requirement");
	req.n_keys = 1;
	/* the payload changed after signing */
	char *tampered = xstrdup(pl);
	char *t = strstr(tampered, "app:1");
	t[4] = '2';
	accept_case(&req, img, manifest, tampered, sig, -EKEYREJECTED, "cryptographic signature verification failed",
		    "a tampered payload");
	/* a signature of another manifest */
	char *pl_other = fetch_sigstore_payload_make(&other, "localhost:5000/app:1", 1);
	char *sig_other = sign_b64(kp[0].priv, pl_other);
	accept_case(&req, img, manifest, pl_other, sig_other, -EKEYREJECTED, "does not match the manifest",
		    "another digest");
	/* a signature naming another repository */
	char *pl_repo = fetch_sigstore_payload_make(&md, "localhost:5000/other:1", 1);
	char *sig_repo = sign_b64(kp[0].priv, pl_repo);
	accept_case(&req, img, manifest, pl_repo, sig_repo, -EKEYREJECTED,
		    "signature for identity 'localhost:5000/other:1' is not accepted (matchRepoDigestOrExact)",
		    "another repository");
	/* a valid signature over something that is no payload */
	char *sig_junk = sign_b64(kp[0].priv, "{}");
	accept_case(&req, img, manifest, "{}", sig_junk, -EINVAL, "invalid signature: payload", "no payload");
	/* a sha512 docker-manifest-digest is checked with sha512 */
	struct oci_digest m512;
	oci_digest_buf(OCI_DIGEST_SHA512, manifest, strlen(manifest), &m512);
	char *pl512 = fetch_sigstore_payload_make(&m512, "localhost:5000/app:1", 1);
	char *sig512 = sign_b64(kp[0].priv, pl512);
	accept_case(&req, img, manifest, pl512, sig512, 0, NULL, "a sha512 digest");
	free(pl512);
	free(sig512);
	free(pl);
	free(sig);
	free(sig1);
	free(tampered);
	free(pl_other);
	free(sig_other);
	free(pl_repo);
	free(sig_repo);
	free(sig_junk);
	req.n_keys = 2;
	fetch_sigstore_req_release(&req);
	oci_err_free(err);
}

/* ---- the policy's requirement ---- */
static int eval(const char *policy_json, const char *image, struct fetch_policy **ret,
		struct oci_err **err)
{
	json_error_t je;
	json_t *p = json_loads(policy_json, 0, &je);
	if (!p) {
		diag("bad test policy: %s: %s", je.text, policy_json);
		return -999;
	}
	struct oci_ref ref = { 0 };
	oci_ref_parse(image, &ref, err);
	int r = fetch_policy_eval_json(p, "p.json", &ref, ret, err);
	oci_ref_release(&ref);
	json_decref(p);
	return r;
}

static void policy_case(const char *req_json, int want, const char *in_msg)
{
	char *pj = xasprintf("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":"
			     "{\"example.com/ns\":[%s]}}}", req_json);
	struct fetch_policy *p = NULL;
	struct oci_err *err = NULL;
	int r = eval(pj, "example.com/ns/app:1", &p, &err);
	if (want == 0)
		ok(r == 0 && p && p->n_reqs >= 1, "accepted: %s%s%s", req_json, err ? ": " : "",
		   err ? err->msg : "");
	else
		ok(r == want && err && strstr(err->msg, in_msg), "refused with '%s': %s (%s)", in_msg,
		   req_json, err ? err->msg : "accepted");
	fetch_policy_free(p);
	oci_err_free(err);
	free(pj);
}

static void test_policy(struct keypair *kp, const char *tmpdir)
{
	char *b64 = b64_of(kp[0].pub_pem);
	char *b64b = b64_of(kp[2].pub_pem);
	char *path = xasprintf("%s/k.pub", tmpdir);
	FILE *f = fopen(path, "w");
	fputs(kp[1].pub_pem, f);
	fclose(f);
	char *s;

	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\"}", b64);
	policy_case(s, 0, NULL);
	free(s);
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\",\"signedIdentity\":{\"type\":\"matchRepository\"}}", path);
	policy_case(s, 0, NULL);
	free(s);
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyPaths\":[\"%s\",\"%s\"]}", path, path);
	policy_case(s, 0, NULL);
	free(s);
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyDatas\":[\"%s\",\"%s\"]}", b64, b64b);
	policy_case(s, 0, NULL);
	free(s);

	/* what it holds */
	s = xasprintf("{\"default\":[{\"type\":\"insecureAcceptAnything\"}],\"transports\":{\"docker\":"
		      "{\"example.com/ns/app\":[{\"type\":\"insecureAcceptAnything\"},"
		      "{\"type\":\"sigstoreSigned\",\"keyDatas\":[\"%s\",\"%s\"]},"
		      "{\"type\":\"sigstoreSigned\",\"keyPath\":\"%s\",\"signedIdentity\":{\"type\":\"exactRepository\",\"dockerRepository\":\"vendor.example/x\"}}]}}}",
		      b64, b64b, path);
	struct fetch_policy *p = NULL;
	struct oci_err *err = NULL;
	ok(eval(s, "example.com/ns/app:1", &p, &err) == 0 && p, "policy with two requirements");
	if (p) {
		is_int((int)p->n_reqs, 2, "two sigstoreSigned requirements");
		is_int((int)p->reqs[0].n_keys, 2, "two keys in the first");
		ok(p->reqs[0].identity.type == FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT, "default identity");
		ok(p->reqs[1].identity.type == FETCH_ID_EXACT_REPOSITORY &&
		   streq(p->reqs[1].identity.value, "vendor.example/x"), "exactRepository");
		is_str(p->where, "transports.docker.\"example.com/ns/app\"", "scope");
		is_str(p->image, "example.com/ns/app:1", "image");
	}
	fetch_policy_free(p);
	p = NULL;
	ok(eval(s, "example.com/ns/other:1", &p, &err) == 0 && !p, "nothing to verify elsewhere");
	free(s);

	policy_case("{\"type\":\"sigstoreSigned\"}", -EINVAL, "needs exactly one of keyPath, keyPaths");
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\",\"keyPath\":\"%s\"}", b64, path);
	policy_case(s, -EINVAL, "needs exactly one of");
	free(s);
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\",\"keyType\":\"x\"}", b64);
	policy_case(s, -EINVAL, "transports.docker.\"example.com/ns\"[0]: unknown key 'keyType' in sigstoreSigned");
	free(s);
	policy_case("{\"type\":\"sigstoreSigned\",\"keyPath\":\"/nonexistent/k.pub\"}", -ENOENT,
		    "policy 'p.json': transports.docker.\"example.com/ns\"[0].keyPath: key '/nonexistent/k.pub'");
	policy_case("{\"type\":\"sigstoreSigned\",\"keyData\":\"bm90IGEga2V5\"}", -EINVAL,
		    "keyData: no PEM public key found");
	policy_case("{\"type\":\"sigstoreSigned\",\"keyData\":\"%%%\"}", -EINVAL,
		    "keyData: expected base64 of a PEM public key");
	policy_case("{\"type\":\"sigstoreSigned\",\"keyPaths\":[]}", -EINVAL, "keyPaths: expected a non-empty array");
	policy_case("{\"type\":\"sigstoreSigned\",\"keyDatas\":\"x\"}", -EINVAL, "keyDatas: expected a non-empty array");
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\",\"signedIdentity\":{\"type\":\"bogus\"}}", b64);
	policy_case(s, -EINVAL, "[0].signedIdentity: unknown signedIdentity type 'bogus'");
	free(s);
	policy_case("{\"type\":\"sigstoreSigned\",\"fulcio\":{\"caPath\":\"/x\",\"oidcIssuer\":\"i\",\"subjectEmail\":\"e\"},\"rekorPublicKeyPath\":\"/r\"}",
		    -ENOTSUP, "requires sigstoreSigned with fulcio for 'example.com/ns/app:1': oci-fetch verifies sigstore signatures with public keys only");
	policy_case("{\"type\":\"sigstoreSigned\",\"pki\":{}}", -ENOTSUP, "with pki");
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\",\"rekorPublicKeyData\":\"%s\"}", b64, b64);
	policy_case(s, -ENOTSUP, "requires sigstoreSigned with rekorPublicKeyData for 'example.com/ns/app:1': oci-fetch does not verify Rekor");
	free(s);
	policy_case("{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}", -ENOTSUP,
		    "requires 'signedBy' for 'example.com/ns/app:1': oci-fetch does not verify GPG");
	policy_case("{\"type\":\"signedBaseLayer\"}", -EINVAL, "unknown requirement type 'signedBaseLayer'");
	/* wildcard domains, after the host, before the transport's "" */
	s = xasprintf("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
		      "\"*.example.com\":[{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\"}],"
		      "\"*.b.example.com:5000\":[{\"type\":\"insecureAcceptAnything\"}],"
		      "\"b.example.com\":[{\"type\":\"insecureAcceptAnything\"}],"
		      "\"\":[{\"type\":\"insecureAcceptAnything\"}]}}}", b64);
	p = NULL;
	ok(eval(s, "a.b.example.com/x:1", &p, &err) == 0 && p && streq(p->where, "transports.docker.\"*.example.com\""),
	   "*.example.com applies to a.b.example.com (%s)", p ? p->where : err ? err->msg : "none");
	fetch_policy_free(p);
	p = NULL;
	ok(eval(s, "a.b.example.com:5000/x:1", &p, &err) == 0 && !p, "*.b.example.com:5000 applies with the port");
	ok(eval(s, "b.example.com/x:1", &p, &err) == 0 && !p, "the host itself wins over a wildcard");
	ok(eval(s, "example.com/x:1", &p, &err) == 0 && !p, "*.example.com is not example.com");
	ok(eval(s, "other.org/x:1", &p, &err) == 0 && !p, "others get the transport's \"\"");
	free(s);
	/* reject after a signature requirement still rejects */
	s = xasprintf("{\"type\":\"sigstoreSigned\",\"keyData\":\"%s\"},{\"type\":\"reject\"}", b64);
	policy_case(s, -EACCES, "is rejected by policy 'p.json'");
	free(s);
	oci_err_free(err);
	unlink(path);
	free(path);
	free(b64);
	free(b64b);
}

int main(void)
{
	test_payloads();
	test_base64();
	test_identities();

	struct keypair kp[3] = { 0 };
	make_pair(&kp[0], "ECDSA", EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"));
	make_pair(&kp[1], "RSA", EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048));
	make_pair(&kp[2], "Ed25519", EVP_PKEY_Q_keygen(NULL, NULL, "ED25519"));
	test_keys(kp, 3);
	test_accept(kp);
	char tmpl[] = "/tmp/oci-test-sigstore-XXXXXX";
	if (ok(mkdtemp(tmpl) != NULL, "temporary folder")) {
		test_policy(kp, tmpl);
		rmdir(tmpl);
	}
	for (size_t i = 0; i < 3; i++)
		release_pair(&kp[i]);
	done_testing();
	return exit_status();
}
