/* Growable string buffer (after git's strbuf). buf is never NULL and is
 * always NUL-terminated. */
#ifndef OCI_SBUF_H
#define OCI_SBUF_H

#include <stdarg.h>
#include <stddef.h>

#include "cleanup.h"

struct sbuf {
	char *buf;
	size_t len;
	size_t alloc;
};

extern char oci_sbuf_empty[1];
#define SBUF_INIT { .buf = oci_sbuf_empty, .len = 0, .alloc = 0 }

void sbuf_init(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
void sbuf_reset(struct sbuf *sb);
/* Hands the buffer to the caller (to free()) and re-initialises sb. */
char *sbuf_detach(struct sbuf *sb, size_t *ret_len);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_addstr(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void sbuf_truncate(struct sbuf *sb, size_t len);

static inline void sbuf_releasep(struct sbuf *sb)
{
	sbuf_release(sb);
}
#define _cleanup_sbuf_ _cleanup_(sbuf_releasep)

#endif
