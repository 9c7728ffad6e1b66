/* The container's process: limits, user, capabilities, cwd, environment,
 * the program to execute. Runs in the init after the rootfs is entered. */
#ifndef OCI_RUN_PROCESS_H
#define OCI_RUN_PROCESS_H

#include "err.h"
#include "spec.h"

/* rlimits and oomScoreAdj (while still privileged). */
int run_process_limits(const struct run_process *p, struct oci_err **err);
/* linux.memoryPolicy through set_mempolicy(2); nothing when absent. */
int run_process_mem_policy(const struct run_spec *s, struct oci_err **err);
/* Resolves args[0] through the PATH of process.env inside the container. */
int run_process_find_exec(const struct run_process *p, char **ret, struct oci_err **err);
/* cwd, groups, gid, uid, capabilities, noNewPrivileges, umask. */
int run_process_identity(const struct run_process *p, struct oci_err **err);
struct run_seccomp;
/* The security steps just before execve, in the one order that works for
 * the init and for exec'd processes: the LSM label, then the seccomp
 * filter (sc may be NULL; loaded through sync_fd, see
 * run_sync_seccomp_apply) while CAP_SYS_ADMIN is still there when
 * noNewPrivileges is off, the bounding set and run_process_identity, then
 * the filter as late as possible when noNewPrivileges is on. */
int run_process_secure(const struct run_process *p, const struct run_seccomp *sc, int sync_fd,
		       struct oci_err **err);
/* process.env, plus HOME from /etc/passwd (or "/") when not set. */
char **run_process_env(const struct run_process *p);

#endif
