/* Image references, parsed and normalized exactly as Docker's
 * distribution/reference does: docker.io as the default registry, library/
 * for one-word names on it, latest as the default tag when there is neither
 * tag nor digest, host:port and localhost as registries, tag and digest
 * together, lowercase names, 255 characters at most for the repository
 * path (the domain is not counted, as in distribution/reference v0.6 and
 * later) and 128 for a tag. Case checks are ASCII-only (Go's are Unicode:
 * a non-ASCII uppercase letter gives "invalid reference format" here). */
#ifndef OCI_REF_H
#define OCI_REF_H

#include "err.h"

#define OCI_REF_DEFAULT_DOMAIN "docker.io"
#define OCI_REF_LEGACY_DOMAIN "index.docker.io"
#define OCI_REF_OFFICIAL_PREFIX "library/"
#define OCI_REF_DEFAULT_TAG "latest"
#define OCI_REF_DOCKER_HUB_HOST "registry-1.docker.io"

struct oci_ref {
	char *domain; /* "docker.io", "localhost:5000", "[::1]:5000"; "" in the one
		       * case Docker parses a name without a domain: a first
		       * component with '.' or ':' that is no valid host but a
		       * valid path component ("a_b.c/app") */
	char *path;   /* "library/alpine" */
	char *tag;    /* "3.19", or NULL when the reference has only a digest */
	char *digest; /* "sha256:...", or NULL */
};

/* Parses S and normalizes it (ParseNormalizedNamed + TagNameOnly). The
 * error messages are Docker's own, word for word, and do not quote S:
 * "invalid reference format", "invalid reference format: repository name
 * (library/Alpine) must be lowercase", "repository name must not be more
 * than 255 characters", "invalid checksum digest format", "unsupported
 * digest algorithm", "invalid repository name (<64 hex>), cannot specify
 * 64-byte hexadecimal strings". Callers add the context
 * (oci_err_wrap(err, "image '%s'", s)). All errors are EINVAL. */
int oci_ref_parse(const char *s, struct oci_ref *ret, struct oci_err **err);
/* Parses a repository name alone (no tag, no digest), for `tags REPO`. */
int oci_ref_parse_repo(const char *s, struct oci_ref *ret, struct oci_err **err);
void oci_ref_release(struct oci_ref *r);
static inline void oci_ref_releasep(struct oci_ref *r)
{
	oci_ref_release(r);
}
#define _cleanup_ref_ _cleanup_(oci_ref_releasep)

/* "docker.io/library/alpine:3.19", "...@sha256:...", "...:tag@sha256:...". */
char *oci_ref_string(const struct oci_ref *r);
/* "docker.io/library/alpine" */
char *oci_ref_name(const struct oci_ref *r);
/* Docker's short form: "alpine:3.19", "user/app:1", "localhost:5000/app:1". */
char *oci_ref_familiar(const struct oci_ref *r);
/* The registry host to contact: "registry-1.docker.io" for docker.io, else
 * the domain ("" when the reference has none, see above). */
const char *oci_ref_registry_host(const struct oci_ref *r);

#endif
