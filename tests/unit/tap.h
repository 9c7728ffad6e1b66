/* A minimal TAP producer for C unit tests (header only).
 *   plan(n) or done_testing(); ok(cond, fmt, ...); is_int(got, want, name);
 *   is_str(got, want, name); skip(reason, fmt, ...); diag(fmt, ...).
 * exit_status() returns 1 when any test failed. */
#ifndef OCI_TAP_H
#define OCI_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline void diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void diag(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	fputs("\n", stdout);
	va_end(ap);
	fflush(stdout);
}

static inline void plan(int n)
{
	printf("1..%d\n", n);
	fflush(stdout);
}

static inline int ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

#define is_int(got, want, ...)                                                        \
	({                                                                            \
		long long g_ = (long long)(got), w_ = (long long)(want);              \
		int r_ = ok(g_ == w_, __VA_ARGS__);                                   \
		if (!r_)                                                              \
			diag("  got: %lld, expected: %lld", g_, w_);                  \
		r_;                                                                   \
	})

#define is_str(got, want, ...)                                                        \
	({                                                                            \
		const char *g_ = (got), *w_ = (want);                                 \
		int r_ = ok((!g_ && !w_) || (g_ && w_ && strcmp(g_, w_) == 0),        \
			    __VA_ARGS__);                                             \
		if (!r_)                                                              \
			diag("  got: '%s', expected: '%s'", g_ ? g_ : "(null)",       \
			     w_ ? w_ : "(null)");                                     \
		r_;                                                                   \
	})

static inline void skip(const char *reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void skip(const char *reason, const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("ok %d - ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" # SKIP %s\n", reason);
	fflush(stdout);
}

static inline void done_testing(void)
{
	printf("1..%d\n", tap_n);
	fflush(stdout);
}

static inline int exit_status(void)
{
	return tap_failed ? 1 : 0;
}

#endif
