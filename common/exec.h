/* Running other programs: a sibling found next to our own binary's real
 * path (/proc/self/exe) then in PATH, or any program, with bytes on its
 * stdin, its stdout and stderr captured, variables added to its
 * environment, and a time limit (oci_exec_run). */
#ifndef OCI_EXEC_H
#define OCI_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* The full path of program NAME ("oci-unpack"). Caller frees. */
int oci_find_sibling(const char *name, char **ret, struct oci_err **err);

/* Where a child's stdout or stderr goes. */
enum oci_exec_stream {
	OCI_EXEC_INHERIT = 0, /* our own descriptor */
	OCI_EXEC_NULL,	      /* /dev/null */
	OCI_EXEC_CAPTURE,     /* a pipe read into the result */
	OCI_EXEC_STDERR,      /* our stderr (a child's stdout kept off our data) */
};

/* One variable of the child's environment; a NULL value removes it. */
struct oci_exec_var {
	const char *name;
	const char *value;
};

struct oci_exec {
	/* argv[0]: a path (taken as it is) or a name looked up, in PATH
	 * (ours, not the child's env) last: */
	char *const *argv;
	/* When set, the program run instead of argv[0] (a path, or a name
	 * looked up as argv[0] would be), argv[0] then being only the name
	 * the program sees (execv's path and argv, as in an OCI hook). */
	const char *path;
	/* NULL: next to our own binary first (oci_find_sibling); otherwise
	 * these ':'-separated directories first ("/usr/sbin:/sbin"; "":
	 * PATH alone). */
	const char *search;
	/* Set (or with a NULL value, removed) on top of our environment, or
	 * the whole environment with clear_env. */
	const struct oci_exec_var *env;
	size_t n_env;
	bool clear_env;
	/* stdin: these bytes through a pipe, written while the outputs are
	 * read (no deadlock however large); NULL: /dev/null. A child that
	 * exits or closes its stdin before reading them all is no error,
	 * and SIGPIPE never reaches us. */
	const void *in;
	size_t in_len;
	enum oci_exec_stream out_mode, err_mode;
	/* The most a captured stream keeps (0: no limit); the rest is read
	 * and dropped, and the result says it was truncated. */
	size_t max_capture;
	/* More than 0: after this many milliseconds (counted from the start,
	 * whether or not the child has closed its pipes) the child gets
	 * SIGKILL, is reaped, and the run fails with ETIMEDOUT. 0: no limit. */
	int timeout_ms;
};

struct oci_exec_result {
	char *out; /* captured stdout, NUL-terminated, or NULL */
	size_t out_len;
	bool out_truncated;
	char *errout; /* captured stderr, NUL-terminated, or NULL */
	size_t errout_len;
	bool errout_truncated;
	int status; /* exit status, or 128+signo when a signal killed it */
	int signo;  /* that signal, or 0 */
};

void oci_exec_result_release(struct oci_exec_result *res);
#define _cleanup_exec_result_ _cleanup_(oci_exec_result_release)

/* Runs x->argv and waits for it. Every other descriptor is closed in the
 * child, whose signal mask is empty and SIGPIPE default. Fails (*ret
 * untouched) only when the program cannot be found or started ("program
 * 'x' not found in PATH", or "run '/path': Permission denied" for an exec
 * error such as EACCES or a missing interpreter), its pipes fail, or the
 * time limit passes ("run 'x': timed out after 200 ms", ETIMEDOUT); any
 * exit status or signal is a result. */
int oci_exec_run(const struct oci_exec *x, struct oci_exec_result *ret, struct oci_err **err);

/* 0 for exit status 0; else an error "NAME exited with status N" or
 * "NAME was killed by signal N (Killed)" with EIO. */
int oci_exec_status_err(const char *name, const struct oci_exec_result *res,
			struct oci_err **err);

/* Runs argv (argv[0] a sibling name or a path) with stdin from /dev/null
 * and stderr inherited. With ret_stdout set, captures stdout (NUL-terminated)
 * and otherwise inherits it. *ret_status gets the exit status, or 128+signo
 * when a signal killed it. Fails only when the program cannot be started. */
int oci_run_sibling(char *const argv[], char **ret_stdout, int *ret_status, struct oci_err **err);

/* Like oci_run_sibling, and an exit status other than 0 is an error
 * ("oci-unpack exited with status 1"). */
int oci_run_sibling_ok(char *const argv[], char **ret_stdout, struct oci_err **err);

#endif
