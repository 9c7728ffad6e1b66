/* Content digests "alg:hex" (sha256, sha512) through OpenSSL, streaming. */
#ifndef OCI_DIGEST_H
#define OCI_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

enum oci_digest_alg {
	OCI_DIGEST_SHA256 = 0,
	OCI_DIGEST_SHA512 = 1,
};

#define OCI_DIGEST_MAX_STR (7 + 1 + 128 + 1)

struct oci_digest {
	enum oci_digest_alg alg;
	char str[OCI_DIGEST_MAX_STR]; /* "sha256:<64 lowercase hex>" */
};

/* Parses and validates "alg:hex" (known algorithm, exact hex length,
 * lowercase hex only), e.g. "invalid digest 'x': ..." errors. */
int oci_digest_parse(const char *s, struct oci_digest *ret, struct oci_err **err);
const char *oci_digest_alg_name(enum oci_digest_alg alg);
/* The hex part of d->str. */
const char *oci_digest_hex(const struct oci_digest *d);
bool oci_digest_equal(const struct oci_digest *a, const struct oci_digest *b);

struct oci_hasher;
struct oci_hasher *oci_hasher_new(enum oci_digest_alg alg);
void oci_hasher_update(struct oci_hasher *h, const void *data, size_t len);
/* Finishes and writes the digest; the hasher can then only be freed. */
void oci_hasher_final(struct oci_hasher *h, struct oci_digest *ret);
/* An independent copy of the running state (to resume a partial blob). */
struct oci_hasher *oci_hasher_dup(const struct oci_hasher *h);
void oci_hasher_free(struct oci_hasher *h);
DEFINE_CLEANUP(struct oci_hasher *, oci_hasher_free)

void oci_digest_buf(enum oci_digest_alg alg, const void *data, size_t len, struct oci_digest *ret);
/* Hashes everything readable from fd (from its current offset). */
int oci_digest_fd(enum oci_digest_alg alg, int fd, struct oci_digest *ret, off_t *ret_size,
		  struct oci_err **err);
/* Compares, with the error "digest mismatch for WHAT: expected X, got Y". */
int oci_digest_verify(const struct oci_digest *expected, const struct oci_digest *got,
		      const char *what, struct oci_err **err);

#endif
