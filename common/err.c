#include "err.h"

#include <stdarg.h>
#include <string.h>

#include "util.h"

static int err_setv(struct oci_err **err, int code, const char *suffix,
		    const char *fmt, va_list ap)
{
	if (code <= 0)
		code = EIO;
	if (!err)
		return -code;
	char *msg = xvasprintf(fmt, ap);
	if (suffix) {
		char *full = xasprintf("%s: %s", msg, suffix);
		free(msg);
		msg = full;
	}
	if (*err) {
		/* An error is set once; a second one is a bug in the caller, but
		 * keep the first (it is the cause) and drop this one. */
		free(msg);
		return -(*err)->code;
	}
	struct oci_err *e = xmalloc(sizeof(*e));
	e->code = code;
	e->msg = msg;
	*err = e;
	return -code;
}

int oci_err_set(struct oci_err **err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = err_setv(err, code, NULL, fmt, ap);
	va_end(ap);
	return r;
}

int oci_err_sys(struct oci_err **err, const char *fmt, ...)
{
	int code = errno ? errno : EIO;
	va_list ap;
	va_start(ap, fmt);
	int r = err_setv(err, code, strerror(code), fmt, ap);
	va_end(ap);
	return r;
}

int oci_err_wrap(struct oci_err **err, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return -EIO;
	if (!*err) {
		va_start(ap, fmt);
		int r = err_setv(err, EIO, NULL, fmt, ap);
		va_end(ap);
		return r;
	}
	va_start(ap, fmt);
	char *ctx = xvasprintf(fmt, ap);
	va_end(ap);
	char *msg = xasprintf("%s: %s", ctx, (*err)->msg);
	free(ctx);
	free((*err)->msg);
	(*err)->msg = msg;
	return -(*err)->code;
}

void oci_err_free(struct oci_err *e)
{
	if (!e)
		return;
	free(e->msg);
	free(e);
}

void oci_err_clear(struct oci_err **err)
{
	if (!err)
		return;
	oci_err_free(*err);
	*err = NULL;
}
