/* cgroups: where the container's limits are applied (issue 6, part 2).
 * create calls run_cgroup_apply() with the init's pid before the hooks;
 * delete calls run_cgroup_destroy(). For now linux.resources are accepted
 * and not applied (logged at debug). */
#ifndef OCI_RUN_CGROUP_H
#define OCI_RUN_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#include "err.h"
#include "spec.h"

int run_cgroup_apply(const struct run_spec *s, const char *id, pid_t pid, bool systemd,
		     struct oci_err **err);
int run_cgroup_destroy(const struct run_spec *s, const char *id, bool systemd,
		       struct oci_err **err);

#endif
