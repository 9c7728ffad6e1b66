/* The default runtime-spec config.json, as `runc spec` writes it: shared by
 * `oci-run spec` and oci-unpack (which fills in the image's process). */
#ifndef OCI_RUNTIME_SPEC_H
#define OCI_RUNTIME_SPEC_H

#include <stdbool.h>
#include <jansson.h>

#define OCI_RUNTIME_SPEC_VERSION "1.2.0"

/* A new config object: ociVersion, process (terminal true, args ["sh"],
 * default env and capabilities, RLIMIT_NOFILE 1024, noNewPrivileges), root
 * "rootfs" read-only, hostname "runc", the default mounts, and linux
 * (namespaces pid/network/ipc/uts/mount/cgroup, maskedPaths, readonlyPaths).
 * With rootless, as `runc spec --rootless`: a user namespace with the
 * caller's ids mapped to 0, no network namespace, /sys bind-mounted. */
json_t *oci_runtime_spec_default(bool rootless);

#endif
