/* Namespaces: joining by path, creating, uid/gid maps, time offsets. */
#ifndef OCI_RUN_LINUX_NS_H
#define OCI_RUN_LINUX_NS_H

#include <sys/types.h>

#include "err.h"
#include "spec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* Opens every namespace given by path (in the parent, before any setns);
 * *ret holds one fd per spec namespace (-1 for new ones). */
int run_ns_open_paths(const struct run_spec *s, int **ret, struct oci_err **err);
void run_ns_close_paths(const struct run_spec *s, int *fds);
/* Joins them: the user namespace first, the mount namespace last. */
int run_ns_join(const struct run_spec *s, const int *fds, struct oci_err **err);
/* CLONE_NEW* flags of the namespaces to create. */
int run_ns_new_flags(const struct run_spec *s);
/* Before create: a new user namespace without mappings is an error for
 * root. For an unprivileged caller (EUID not 0), as crun does: a config
 * without a user namespace gets one, and missing uidMappings/gidMappings
 * become the caller's id at 0 plus its subordinate ids of /etc/subuid and
 * /etc/subgid from 1 on (or the caller's id alone: no entry, or newuidmap
 * or newgidmap not in PATH; said at debug level); mappings of more than
 * the caller's own id need the helper in PATH, else an error. */
int run_ns_prepare_userns(struct run_spec *s, uid_t euid, gid_t egid, struct oci_err **err);
/* Writes /proc/PID/{uid,gid}_map: itself when root or when a map is the
 * caller's own id alone, else through newuidmap/newgidmap (their refusal
 * is an error naming /etc/subuid or /etc/subgid and the user, unless
 * oci-run chose the mappings: then the caller's id alone, with a warning). */
int run_ns_write_idmaps(pid_t pid, const struct run_spec *s, struct oci_err **err);
/* exec: the init lives in a user namespace the config does not name (made
 * for a rootless caller): join it too. */
void run_ns_adopt_userns(struct run_spec *s, pid_t init_pid);
/* Writes /proc/self/timens_offsets (after unshare(CLONE_NEWTIME)). */
int run_ns_write_time_offsets(const struct run_spec *s, struct oci_err **err);
const char *run_ns_name(int type);
/* A user namespace with these mappings, for an id-mapped mount: a helper
 * child unshares it, the maps are written, its fd is kept, the child exits. */
int run_ns_idmap_userns(const struct run_idmap *uids, size_t n_uids, const struct run_idmap *gids,
			size_t n_gids, int *ret_fd, struct oci_err **err);

#endif
