/* The container's root filesystem, set up by its init in its own mount
 * namespace: mounts in config order (destinations resolved inside the
 * rootfs, mounted through /proc/self/fd/N of an O_PATH fd), /dev, devices,
 * pivot_root (or chroot), then masked and read-only paths. */
#ifndef OCI_RUN_ROOTFS_H
#define OCI_RUN_ROOTFS_H

#include <stdbool.h>

#include "err.h"
#include "spec.h"

struct run_rootfs_opts {
	bool no_pivot;
	bool userns;		/* in a user namespace: bind devices instead of mknod */
	bool cgroupns;		/* in a cgroup namespace: mount cgroups afresh, else bind
				 * the container's own cgroup directories as runc does */
	int console_slave;	/* -1 or a pty slave to bind on /dev/console */
	const int *idmap_trees; /* per mount: a detached id-mapped tree, or -1 */
};

/* For every idmap/ridmap mount: clones the source as a detached tree and
 * id-maps it (run in the runtime's namespaces, before the user namespace:
 * it needs privilege over the source's filesystem). *ret has n_mounts fds,
 * -1 for the other mounts; free with run_rootfs_close_trees(). */
int run_rootfs_idmap_trees(const struct run_spec *s, int **ret, struct oci_err **err);
void run_rootfs_close_trees(const struct run_spec *s, int *trees);

/* Before pivot_root: propagation, the rootfs bind, every mount, /dev. */
int run_rootfs_prepare(const struct run_spec *s, const struct run_rootfs_opts *o,
		       struct oci_err **err);
/* Enters the rootfs (pivot_root, or chroot with no_pivot); stdio on the
 * host's /dev/null is reopened on the container's (runc's reOpenDevNull). */
int run_rootfs_enter(const struct run_spec *s, const struct run_rootfs_opts *o,
		     struct oci_err **err);
/* After entering: sysctl, readonly and masked paths, read-only root,
 * rootfsPropagation. */
int run_rootfs_finalize(const struct run_spec *s, const struct run_rootfs_opts *o,
			struct oci_err **err);
/* Creates process.cwd inside the rootfs when missing (before entering). */
int run_rootfs_make_cwd(const struct run_spec *s, struct oci_err **err);

#endif
