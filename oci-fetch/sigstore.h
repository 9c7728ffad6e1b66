/* oci-fetch: sigstore signatures with public keys (sigstore.c) and the trust
 * policy's sigstoreSigned requirements (policy.c). See containers-policy.json(5)
 * and cosign's signature specification: a manifest's signatures are the
 * layers of an OCI manifest tagged "sha256-<hex>.sig" in its repository. */
#ifndef OCI_FETCH_SIGSTORE_H
#define OCI_FETCH_SIGSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "fetch.h"

#define FETCH_SIGSTORE_PAYLOAD_MT "application/vnd.dev.cosign.simplesigning.v1+json"
#define FETCH_SIGSTORE_SIGNATURE_ANNOTATION "dev.cosignproject.cosign/signature"
#define FETCH_SIGSTORE_TYPE "cosign container image signature"

/* Base64 as Go's StdEncoding decodes it: padding required, CR and LF
 * skipped, nothing else. -EINVAL when malformed. */
int fetch_base64_decode_strict(const char *s, char **ret, size_t *ret_len);

/* ---- keys (OpenSSL): ECDSA, RSA, Ed25519 ---- */
struct fetch_key;
/* The first PEM block: "PUBLIC KEY" (PKIX) or "RSA PUBLIC KEY" (PKCS#1),
 * as sigstore's UnmarshalPEMToPublicKey. what names it in messages. */
int fetch_key_parse_public(const char *pem, size_t len, const char *what, struct fetch_key **ret,
			   struct oci_err **err);
/* An unencrypted PEM private key (PKCS#8, SEC1 "EC PRIVATE KEY", PKCS#1). */
int fetch_key_parse_private(const char *pem, size_t len, const char *what,
			    struct fetch_key **ret, struct oci_err **err);
void fetch_key_free(struct fetch_key *k);
DEFINE_CLEANUP(struct fetch_key *, fetch_key_free)
/* "ECDSA", "RSA" or "Ed25519". */
const char *fetch_key_type(const struct fetch_key *k);
/* Whether SIG is K's signature of DATA: ECDSA (ASN.1 DER) and RSA PKCS#1
 * v1.5 over SHA-256 of DATA, Ed25519 over DATA. */
bool fetch_key_verify(const struct fetch_key *k, const void *data, size_t len, const void *sig,
		      size_t sig_len);
int fetch_key_sign(const struct fetch_key *k, const void *data, size_t len, unsigned char **ret,
		   size_t *ret_len, struct oci_err **err);

/* ---- simple signing payloads ---- */
struct fetch_sigstore_payload {
	struct oci_digest digest; /* critical.image.docker-manifest-digest */
	char *docker_reference;   /* critical.identity.docker-reference */
	char *creator;            /* optional.creator, or NULL */
	int64_t timestamp;        /* optional.timestamp, when has_timestamp */
	bool has_timestamp;
};
/* Parses as containers/image does: exactly "critical" and "optional" (an
 * object or null; other keys of it ignored), critical with exactly type
 * (FETCH_SIGSTORE_TYPE), image and identity, each with exactly its one key;
 * duplicate keys refused; an integer timestamp. */
int fetch_sigstore_payload_parse(const char *data, size_t len, struct fetch_sigstore_payload *ret,
				 struct oci_err **err);
void fetch_sigstore_payload_release(struct fetch_sigstore_payload *p);
/* The payload `sign` writes (compact JSON, keys sorted; caller frees). */
char *fetch_sigstore_payload_make(const struct oci_digest *d, const char *docker_reference,
				  int64_t timestamp);

/* ---- signedIdentity ---- */
enum fetch_identity_type {
	FETCH_ID_MATCH_EXACT,
	FETCH_ID_MATCH_REPO_DIGEST_OR_EXACT, /* the default */
	FETCH_ID_MATCH_REPOSITORY,
	FETCH_ID_EXACT_REFERENCE,
	FETCH_ID_EXACT_REPOSITORY,
	FETCH_ID_REMAP_IDENTITY,
};
struct fetch_signed_identity {
	enum fetch_identity_type type;
	char *value;         /* dockerReference, dockerRepository, or remapIdentity's prefix */
	char *signed_prefix; /* remapIdentity's signedPrefix */
};
/* V may be NULL (matchRepoDigestOrExact). Unknown types or keys are errors
 * naming PATH. */
int fetch_signed_identity_parse(json_t *v, const char *path, struct fetch_signed_identity *ret,
				struct oci_err **err);
void fetch_signed_identity_release(struct fetch_signed_identity *id);
const char *fetch_signed_identity_name(enum fetch_identity_type t);
/* Whether a signature claiming SIGNED_REF (its docker-reference) is
 * accepted for IMAGE (the reference pulled, normalized, tag added). */
bool fetch_signed_identity_match(const struct fetch_signed_identity *id,
				 const struct oci_ref *image, const char *signed_ref);

/* ---- one sigstoreSigned requirement ---- */
struct fetch_sigstore_req {
	struct fetch_key **keys; /* any one of them */
	size_t n_keys;
	struct fetch_signed_identity identity;
};
void fetch_sigstore_req_release(struct fetch_sigstore_req *req);
/* Accepts one signature (PAYLOAD and its base64 signature B64SIG, which may
 * be NULL) of the image IMAGE whose manifest is MANIFEST, in
 * containers/image's order: the signature (any key), the payload, its
 * digest against the manifest's bytes, its identity. 0 or -errno with the
 * reason ("cryptographic signature verification failed ...", "signature for
 * digest X does not match ...", "signature for identity 'X' is not
 * accepted ..."). */
int fetch_sigstore_accept(const struct fetch_sigstore_req *req, const struct oci_ref *image,
			  const char *manifest, size_t manifest_len, const char *payload,
			  size_t payload_len, const char *b64sig, struct oci_err **err);

/* ---- the signatures of a manifest in a registry ---- */
struct fetch_sig_layer {
	struct oci_descriptor desc; /* desc.json holds its annotations */
	char *data;                 /* the blob, verified against desc */
	size_t len;
};
struct fetch_sig_set {
	char *tag;   /* "sha256-<hex>.sig" */
	bool found;  /* the tag exists */
	struct fetch_sig_layer *layers;
	size_t n;
};
/* "sha256-<hex>.sig" (caller frees). */
char *fetch_sigstore_tag(const struct oci_digest *d);
/* GETs REPO's D.sig manifest and its layers (at most 4 MiB each); a tag
 * that does not exist gives an empty set (found false). */
int fetch_sigstore_get(struct fetch_registry *reg, const char *repo, const struct oci_digest *d,
		       struct fetch_sig_set *ret, struct oci_err **err);
void fetch_sig_set_release(struct fetch_sig_set *s);
const char *fetch_sig_layer_annotation(const struct fetch_sig_layer *l, const char *key);

/* ---- the policy of one pull (policy.c) ---- */
struct fetch_policy {
	char *file;
	char *where; /* "transports.docker.\"SCOPE\"" or "default" */
	char *image; /* the reference pulled, for messages */
	struct oci_ref ref;
	struct fetch_sigstore_req *reqs; /* each needs one accepted signature */
	size_t n_reqs;
};
void fetch_policy_free(struct fetch_policy *p);
DEFINE_CLEANUP(struct fetch_policy *, fetch_policy_free)
/* Evaluates what can be decided from the reference alone: reject,
 * signedBy and keyless sigstoreSigned refuse here; sigstoreSigned with
 * public keys (loaded here, so a bad key file fails before any download)
 * is returned in *ret for fetch_policy_verify; *ret is NULL when nothing
 * is left to check. */
int fetch_policy_eval_json(json_t *policy, const char *file, const struct oci_ref *ref,
			   struct fetch_policy **ret, struct oci_err **err);
/* The same for the policy file of o (none, or --insecure-policy: NULL). */
int fetch_policy_load(const struct fetch_opts *o, const struct oci_ref *ref,
		      struct fetch_policy **ret, struct oci_err **err);
/* Checks the signatures of one image manifest (DIGEST, the bytes MANIFEST
 * as served) in REPO of REG against every requirement of P (P may be NULL).
 * A refusal is -EKEYREJECTED, one line naming the image, the policy file,
 * its scope, the manifest and the reason; other errors (the registry) keep
 * their codes. */
int fetch_policy_verify(const struct fetch_policy *p, struct fetch_registry *reg, const char *repo,
			const struct oci_digest *digest, const char *manifest, size_t len,
			struct oci_err **err);

/* ---- oci-fetch sign ---- */
/* Signs REF's manifest (an index: it and each of its image manifests)
 * with the PEM private key KEY_FILE, claiming IDENTITY (NULL: REF itself),
 * and pushes each .sig artifact with the signatures already there plus the
 * new one. Prints the digests signed, one a line. */
int fetch_cmd_sign(const struct fetch_opts *o, const char *key_file, const char *identity,
		   const char *ref, struct sbuf *out, struct oci_err **err);

/* A local destination (oci:, oci-archive:, dir:, docker-archive:) cannot
 * be signed: -EINVAL naming the option. */
int fetch_sign_dest_check(const char *dest, struct oci_err **err);
/* push and copy --sign-by-sigstore-private-key: signs the manifest just
 * pushed to DEST (its digest is what the push printed into PUSHED), as
 * DEST (with its tag) unless IDENTITY is given. */
int fetch_sign_pushed(const struct fetch_opts *o, const char *key_file, const char *identity,
		      const char *dest, const struct sbuf *pushed, struct oci_err **err);

#endif
