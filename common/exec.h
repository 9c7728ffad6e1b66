/* Running a sibling program: found next to our own binary's real path
 * (/proc/self/exe), then in PATH. */
#ifndef OCI_EXEC_H
#define OCI_EXEC_H

#include <stddef.h>

#include "err.h"

/* The full path of program NAME ("oci-unpack"). Caller frees. */
int oci_find_sibling(const char *name, char **ret, struct oci_err **err);

/* Runs argv (argv[0] a sibling name or a path) with stdin from /dev/null
 * and stderr inherited. With ret_stdout set, captures stdout (NUL-terminated)
 * and otherwise inherits it. *ret_status gets the exit status, or 128+signo
 * when a signal killed it. Fails only when the program cannot be started. */
int oci_run_sibling(char *const argv[], char **ret_stdout, int *ret_status, struct oci_err **err);

/* Like oci_run_sibling, and an exit status other than 0 is an error
 * ("oci-unpack exited with status 1"). */
int oci_run_sibling_ok(char *const argv[], char **ret_stdout, struct oci_err **err);

#endif
