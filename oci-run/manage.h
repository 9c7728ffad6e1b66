/* pause, resume, ps, events and update: a container through its cgroup. */
#ifndef OCI_RUN_MANAGE_H
#define OCI_RUN_MANAGE_H

#include <stdbool.h>

#include "container.h"
#include "err.h"

struct run_state;

/* A running container whose cgroup is frozen is "paused". */
int run_refine_paused(const struct run_global *g, int dirfd, struct run_state *st);
/* pause (true) or resume (false); returns once the freezer has done it. */
int run_pause(const struct run_global *g, const char *id, bool pause, struct oci_err **err);
/* The container's pids: a table (PID CMD) or a JSON array. Caller frees. */
int run_ps(const struct run_global *g, const char *id, bool json, char **ret, struct oci_err **err);
/* Prints {"type":"stats","id","data"} lines: once, or every interval s. */
int run_events(const struct run_global *g, const char *id, bool stats_once, int interval,
	       struct oci_err **err);
/* flags: "memory", "512m", "pids-limit", "10", ..., NULL (runc's update flags). */
int run_update(const struct run_global *g, const char *id, const char *resources_file, char **flags,
	       struct oci_err **err);

#endif
