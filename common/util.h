/* Allocation that cannot fail (it aborts on out-of-memory), and small helpers. */
#ifndef OCI_UTIL_H
#define OCI_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

static inline bool streq(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

static inline bool startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool endswith(const char *s, const char *suffix);

/* NULL-terminated string vectors. */
size_t oci_strv_len(char *const *v);
/* Appends a copy of s; *v may be NULL. */
void oci_strv_push(char ***v, const char *s);
char **oci_strv_dup(char *const *v);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Parses a whole decimal number into [min, max]: digits, with a leading '-'
 * only when min is negative (no blanks, '+' or hex); returns 0 or
 * -EINVAL/-ERANGE. */
int oci_parse_int64(const char *s, long long min, long long max, long long *ret);

#endif
