/* `oci-run exec`: runs another process in a running container, in every
 * namespace and the cgroup of its init, with the container's seccomp
 * filter and the process settings given (or the container's own). */
#ifndef OCI_RUN_EXEC_H
#define OCI_RUN_EXEC_H

#include <stdbool.h>

#include "container.h"
#include "err.h"

struct run_exec_opts {
	const char *process_file; /* --process FILE: a runtime-spec process */
	char **args;		  /* else the command (and process from config.json) */
	bool detach;
	bool tty;
	const char *console_socket;
	const char *pid_file;
	const char *pidfd_socket;
	char **env; /* --env K=V, added or replacing */
	const char *cwd;
	const char *user; /* UID[:GID] */
	char **caps;	  /* --cap: added to bounding/effective/permitted/inheritable */
	bool no_new_privs;
	int preserve_fds;
};

/* Foreground: *ret_status is the process's status (128+N for signal N). */
int run_exec(const struct run_global *g, const char *id, const struct run_exec_opts *o,
	     int *ret_status, struct oci_err **err);

#endif
