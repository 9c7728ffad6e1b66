/* The default runtime-spec config.json, as `runc spec` writes it: shared by
 * `oci-run spec` and oci-unpack (which fills in the image's process). */
#ifndef OCI_RUNTIME_SPEC_H
#define OCI_RUNTIME_SPEC_H

#include <stdbool.h>
#include <jansson.h>

/* The runtime-spec version oci-run implements (state, features, --version). */
#define OCI_RUNTIME_SPEC_VERSION "1.2.0"
/* The ociVersion of the config.json files the suite writes (oci-run spec,
 * oci-unpack): the oldest version that has every field they use, so that
 * any runtime takes the bundle (Debian's crun 1.8 refuses "1.2.0"). */
#define OCI_RUNTIME_SPEC_BUNDLE_VERSION "1.0.2"

/* A new config object: ociVersion, process (terminal true, args ["sh"],
 * default env and capabilities, RLIMIT_NOFILE 1024, noNewPrivileges), root
 * "rootfs" read-only, hostname "runc", the default mounts, and linux
 * (namespaces pid/network/ipc/uts/mount/cgroup, maskedPaths, readonlyPaths).
 * With rootless, as `runc spec --rootless`: a user namespace with the
 * caller's ids mapped to 0, no network namespace, /sys bind-mounted. */
json_t *oci_runtime_spec_default(bool rootless);

#endif
