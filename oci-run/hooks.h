/* Running the lifecycle hooks of config.json: the state JSON on stdin,
 * the hook's env, a timeout. */
#ifndef OCI_RUN_HOOKS_H
#define OCI_RUN_HOOKS_H

#include "err.h"
#include "spec.h"

/* Runs the hooks of one kind in order; the first that fails (non-zero exit,
 * a signal, a timeout, cannot be started) stops the run with an error
 * naming it ("hooks.prestart[0]: '/bin/x' exited with status 1"). */
int run_hooks(const struct run_hooks *h, enum run_hook_kind kind, const char *state_json,
	      struct oci_err **err);

#endif
