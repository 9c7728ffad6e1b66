/* The container lifecycle (runtime-spec "Operations"): create, start,
 * state, kill, delete, and run (create + start + wait + delete). */
#ifndef OCI_RUN_CONTAINER_H
#define OCI_RUN_CONTAINER_H

#include <stdbool.h>

#include "err.h"

struct run_global {
	const char *root; /* state directory, default /run/oci-run */
	bool systemd_cgroup;
};

struct run_create_opts {
	const char *bundle; /* default "." */
	const char *pid_file;
	const char *pidfd_socket; /* runc 1.2: a pidfd of the init is sent there */
	const char *console_socket;
	bool no_pivot;
	bool no_new_keyring;
	int preserve_fds;
	bool detach; /* run only */
	bool keep;   /* run only: do not delete after exit */
};

int run_create(const struct run_global *g, const char *id, const struct run_create_opts *o,
	       struct oci_err **err);
int run_start(const struct run_global *g, const char *id, struct oci_err **err);
/* Foreground: *ret_status is the container's exit status (128+signo when
 * killed by a signal). Detached: 0 once started. */
int run_run(const struct run_global *g, const char *id, const struct run_create_opts *o,
	    int *ret_status, struct oci_err **err);
/* The state JSON (indented). Caller frees. */
int run_state(const struct run_global *g, const char *id, char **ret_json, struct oci_err **err);
int run_kill(const struct run_global *g, const char *id, int sig, bool all, struct oci_err **err);
int run_delete(const struct run_global *g, const char *id, bool force, struct oci_err **err);
/* format: "table" or "json"; quiet: ids only. Returns the text to print. */
int run_list(const struct run_global *g, const char *format, bool quiet, char **ret,
	     struct oci_err **err);
/* Writes BUNDLE/config.json (the default spec); fails when it exists. */
int run_spec_write(const char *bundle, bool rootless, struct oci_err **err);
/* The features document (features-schema.json). Caller frees. */
char *run_features_json(void);

/* Used by exec.c (internal to oci-run). */
#include <signal.h>
#include <sys/types.h>
struct run_state;
struct run_spec;
enum run_status;
/* The bundle DIR (NULL: the current directory) as an absolute path, its
 * config.json's bytes (for the state directory's copy) and the parsed
 * config (a process is required). */
int run_load_bundle(const char *dir, char **ret_bundle, char **ret_cfg, size_t *ret_cfglen,
		    struct run_spec **ret, struct oci_err **err);
int run_load_spec_copy(int dirfd, const char *bundle, struct run_spec **ret, struct oci_err **err);
int run_pidfd_for(const struct run_state *st, struct oci_err **err);
char *run_hook_state_json(const char *id, const char *bundle, pid_t pid, enum run_status st,
			  char **annotations);
int run_wait_foreground(pid_t pid, int master, const sigset_t *mask);
/* Connects to the unix socket and sends a pidfd of pid (SCM_RIGHTS). */
int run_send_pidfd(const char *socket_path, pid_t pid, struct oci_err **err);
/* --pid-file: pid in decimal, written atomically (a relative FILE is taken
 * from the current directory). */
int run_write_pid_file(const char *file, pid_t pid, struct oci_err **err);
/* Now as RFC 3339 with nanoseconds, UTC (state.json's "created"). */
char *run_now_rfc3339(void);

#endif
