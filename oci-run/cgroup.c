/* cgroups: a placeholder until part 2 (see cgroup.h). */
#include "cgroup.h"

#include "log.h"

int run_cgroup_apply(const struct run_spec *s, const char *id, pid_t pid, bool systemd,
		     struct oci_err **err)
{
	if (s->has_resources)
		oci_debug("container '%s': linux.resources not applied (cgroups are not "
			  "implemented yet)",
			  id);
	(void)pid;
	(void)systemd;
	(void)err;
	return 0;
}

int run_cgroup_destroy(const struct run_spec *s, const char *id, bool systemd,
		       struct oci_err **err)
{
	(void)s;
	(void)id;
	(void)systemd;
	(void)err;
	return 0;
}
