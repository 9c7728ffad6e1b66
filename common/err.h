/* One error value for the whole suite (after crun's libcrun_error_t).
 *
 * A function that fails returns -code (a positive errno value negated) and
 * sets *err once; on success it returns >= 0 and leaves *err alone. Callers
 * either pass the error up, adding context with oci_err_wrap(), or handle it
 * and free it. Only main.c prints an error and exits. */
#ifndef OCI_ERR_H
#define OCI_ERR_H

#include "cleanup.h"

struct oci_err {
	int code;  /* positive errno value */
	char *msg; /* "context: context: cause", lowercase, no final period */
};

/* Sets *err (if err is not NULL) and returns -code. A code of 0 becomes EIO. */
int oci_err_set(struct oci_err **err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like oci_err_set() with code = errno, appending ": strerror(errno)". */
int oci_err_sys(struct oci_err **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Prefixes the message of *err with "ctx: " and returns -(*err)->code.
 * With no error set it records the context alone with EIO. */
int oci_err_wrap(struct oci_err **err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

void oci_err_free(struct oci_err *e);
DEFINE_CLEANUP(struct oci_err *, oci_err_free)
#define _cleanup_err_ _cleanup_(oci_err_freep)

/* Frees *err and sets it to NULL: for callers that handle an error. */
void oci_err_clear(struct oci_err **err);

#endif
