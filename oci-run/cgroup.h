/* cgroups: where the container's limits are applied (issue 6, part 2).
 * create calls run_cgroup_apply() with the init's pid before the hooks;
 * delete calls run_cgroup_destroy(). The driver (v1, v2, hybrid) is found
 * at run time; --systemd-cgroup needs systemd as PID 1.
 *
 * The container's cgroup is s->cgroups_path ("/a/b" below each hierarchy's
 * root, "a/b" below the caller's own cgroup, "slice:prefix:name" with
 * --systemd-cgroup), or "/oci-run/ID" when absent. */
#ifndef OCI_RUN_CGROUP_H
#define OCI_RUN_CGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "err.h"
#include "resources.h"
#include "spec.h"

int run_cgroup_apply(const struct run_spec *s, const char *id, pid_t pid, bool systemd,
		     struct oci_err **err);
int run_cgroup_destroy(const struct run_spec *s, const char *id, bool systemd,
		       struct oci_err **err);

/* The cgroupfs driver's fast join, for a single-threaded init started after
 * this call: creates the cgroup and applies its limits like
 * run_cgroup_apply() but puts nobody in it; returns the v1 `tasks` files
 * (the init writes "0" into each: moving oneself skips the kernel's global
 * threadgroup lock and its RCU grace period, which writing a pid into
 * cgroup.procs pays) and an fd of the unified directory for
 * clone3(CLONE_INTO_CGROUP) (-1: none). Returns 1 without doing anything
 * when this does not apply (systemd driver, not root): then use
 * run_cgroup_apply(). */
int run_cgroup_prepare(const struct run_spec *s, const char *id, bool systemd,
		       char ***ret_tasks, int *ret_v2_fd, struct oci_err **err);

/* The same as run_cgroup_apply() with the resources given (NULL: none). */
int run_cgroup_create(const char *cgroups_path, const char *id, pid_t pid, bool systemd,
		      const struct run_resources *res, struct oci_err **err);
int run_cgroup_remove(const char *cgroups_path, const char *id, bool systemd,
		      struct oci_err **err);

/* `update`: writes the fields set in res (the others stay as they are). */
int run_cgroup_update(const struct run_spec *s, const char *id, bool systemd,
		      const struct run_resources *res, struct oci_err **err);
/* `pause` / `resume`: returns once every process is frozen (or thawed). */
int run_cgroup_freeze(const struct run_spec *s, const char *id, bool systemd, bool freeze,
		      struct oci_err **err);
/* Whether the container's cgroup is frozen (state reports "paused"); false
 * when the cgroup does not exist. */
int run_cgroup_is_frozen(const struct run_spec *s, const char *id, bool systemd, bool *ret,
			 struct oci_err **err);
/* Sends sig to every process of the container (kill --all; delete --force). */
int run_cgroup_kill(const struct run_spec *s, const char *id, bool systemd, int sig,
		    struct oci_err **err);
/* Moves pid into the container's cgroup (exec). */
int run_cgroup_join(const struct run_spec *s, const char *id, bool systemd, pid_t pid,
		    struct oci_err **err);
/* `ps`: every pid in the cgroup and below, sorted. */
int run_cgroup_pids(const struct run_spec *s, const char *id, bool systemd, pid_t **ret,
		    size_t *ret_n, struct oci_err **err);

struct run_cgroup_stats {
	bool has_memory;
	uint64_t memory_usage, memory_max_usage, memory_limit, memory_failcnt;
	bool has_swap;
	uint64_t swap_usage, swap_limit;
	bool has_cpu;
	uint64_t cpu_total_ns, cpu_user_ns, cpu_kernel_ns;
	bool has_pids;
	uint64_t pids_current, pids_limit; /* limit 0: unlimited */
};
/* `events --stats`: memory, cpu and pids of the container. */
int run_cgroup_stats(const struct run_spec *s, const char *id, bool systemd,
		     struct run_cgroup_stats *ret, struct oci_err **err);
/* The "data" object of runc's stats event: {"cpu":{"usage":{"total":N,
 * "kernel":N,"user":N}},"memory":{"usage":{"usage":N,"max":N,"limit":N,
 * "failcnt":N},"swap":{...}},"pids":{"current":N,"limit":N}}. */
json_t *run_cgroup_stats_json(const struct run_cgroup_stats *st);

/* For `features`: which drivers this host can use. */
void run_cgroup_features(bool *ret_v1, bool *ret_v2, bool *ret_systemd);

/* The cgroup path below the hierarchies' roots ("/oci-run/ID"), as
 * /proc/PID/cgroup shows it. Caller frees. */
int run_cgroup_path(const struct run_spec *s, const char *id, bool systemd, char **ret,
		    struct oci_err **err);

#endif
