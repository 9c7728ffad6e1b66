/* checkpoint and restore through CRIU (criu(8), its command line), with
 * runc's options and behaviour: `checkpoint` dumps the init's process tree
 * with its namespaces into an image directory and, unless it is told to
 * leave it running, removes the container; `restore` makes a new container
 * from a bundle whose processes are those of the image.
 *
 * The criu binary: --criu PATH, else $OCI_RUN_CRIU, else PATH (then
 * /usr/sbin and /sbin). It must answer `criu check` on this kernel. */
#ifndef OCI_RUN_CHECKPOINT_H
#define OCI_RUN_CHECKPOINT_H

#include <stdbool.h>

#include "container.h"
#include "err.h"

struct run_criu_opts {
	const char *criu;	  /* --criu; NULL: $OCI_RUN_CRIU, then PATH */
	const char *image_path;	  /* default "checkpoint" (below the cwd) */
	const char *work_path;	  /* logs and work files; default image_path */
	const char *parent_path;  /* checkpoint: previous images (pre-dump) */
	const char *cgroups_mode; /* soft, full, strict, ignore; NULL: criu's */
	bool leave_running, pre_dump;
	bool tcp_established, ext_unix_sk, shell_job, file_locks;
	/* restore */
	const char *bundle; /* default "." */
	const char *pid_file;
	const char *console_socket;
	bool detach, no_pivot;
};

/* "soft", "full", "strict", "ignore": true. */
bool run_criu_cgroups_mode_valid(const char *mode);

int run_checkpoint(const struct run_global *g, const char *id, const struct run_criu_opts *o,
		   struct oci_err **err);
/* Foreground (no detach): waits for the restored init like `run`, returns
 * its status in *ret_status and deletes the container. */
int run_restore(const struct run_global *g, const char *id, const struct run_criu_opts *o,
		int *ret_status, struct oci_err **err);

/* The action script criu runs during a restore (an internal command):
 * at "setup-namespaces" it runs the prestart and createRuntime hooks of
 * ROOT/ID/config.json with the restored init's pid ($CRTOOLS_INIT_PID),
 * as runc does; other actions do nothing. */
int run_criu_action(const struct run_global *g, const char *id, const char *bundle,
		    struct oci_err **err);

#endif
