/* Platforms "os/arch[/variant]" as in OCI image indexes, normalized as
 * containerd's platforms package does (x86_64 = amd64, aarch64 = arm64,
 * arm64 defaults to variant v8, arm to v7). */
#ifndef OCI_PLATFORM_H
#define OCI_PLATFORM_H

#include <stdbool.h>

#include "err.h"

struct oci_platform {
	char *os;
	char *arch;
	char *variant;	  /* NULL when unset */
	char *os_version; /* NULL when unset */
};

int oci_platform_parse(const char *s, struct oci_platform *ret, struct oci_err **err);
/* The platform this program runs on (uname, normalized). */
void oci_platform_host(struct oci_platform *ret);
void oci_platform_normalize(struct oci_platform *p);
/* True when HAVE can run where WANT is asked for: same os and arch, and the
 * same variant when WANT names one (a missing variant in HAVE matches the
 * default variant of its arch). */
bool oci_platform_match(const struct oci_platform *want, const struct oci_platform *have);
char *oci_platform_string(const struct oci_platform *p);
void oci_platform_release(struct oci_platform *p);
static inline void oci_platform_releasep(struct oci_platform *p)
{
	oci_platform_release(p);
}
#define _cleanup_platform_ _cleanup_(oci_platform_releasep)

#endif
