/* common/err.c and common/sbuf.c. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "sbuf.h"
#include "tap.h"
#include "util.h"

static int fail_open(const char *name, struct oci_err **err)
{
	errno = ENOENT;
	return oci_err_sys(err, "open '%s'", name);
}

static int load_layer(const char *d, struct oci_err **err)
{
	int r = fail_open("blob", err);
	if (r < 0)
		return oci_err_wrap(err, "layer '%s'", d);
	return 0;
}

static void test_err(void)
{
	struct oci_err *err = NULL;
	is_int(oci_err_set(&err, EINVAL, "bad %s %d", "thing", 7), -EINVAL, "set returns -code");
	ok(err && err->code == EINVAL, "code kept");
	is_str(err ? err->msg : NULL, "bad thing 7", "formatted message");
	/* A second set keeps the first (the cause). */
	is_int(oci_err_set(&err, ENOSPC, "later"), -EINVAL, "second set returns the first code");
	is_str(err->msg, "bad thing 7", "first message kept");
	oci_err_clear(&err);
	ok(err == NULL, "clear sets NULL");
	oci_err_clear(&err);
	ok(err == NULL, "clear of NULL is fine");
	oci_err_clear(NULL);

	is_int(oci_err_set(&err, 0, "zero"), -EIO, "code 0 becomes EIO");
	ok(err && err->code == EIO, "EIO stored");
	oci_err_clear(&err);
	is_int(oci_err_set(&err, -3, "negative"), -EIO, "a negative code becomes EIO");
	oci_err_clear(&err);
	is_int(oci_err_set(NULL, EPERM, "nowhere"), -EPERM, "a NULL err still returns -code");

	/* Wrap chains. */
	is_int(load_layer("sha256:ab", &err), -ENOENT, "errno passed up through wrap");
	is_int(oci_err_wrap(&err, "image '%s'", "busybox"), -ENOENT, "wrap again");
	is_str(err ? err->msg : NULL,
	       "image 'busybox': layer 'sha256:ab': open 'blob': No such file or directory",
	       "wrap chain reads outer: inner: cause");
	oci_err_clear(&err);
	is_int(oci_err_wrap(&err, "a"), -EIO, "wrap with no error set");
	is_str(err ? err->msg : NULL, "a", "records the context alone");
	ok(err && err->code == EIO, "with EIO");
	oci_err_wrap(&err, "b");
	is_str(err ? err->msg : NULL, "b: a", "and wraps");
	oci_err_clear(&err);
	is_int(oci_err_wrap(NULL, "x"), -EIO, "wrap of NULL err pointer");

	errno = 0;
	is_int(oci_err_sys(&err, "stat"), -EIO, "sys with errno 0 is EIO");
	oci_err_clear(&err);
	errno = EACCES;
	oci_err_sys(&err, "open '%s'", "/x");
	is_str(err ? err->msg : NULL, "open '/x': Permission denied", "sys appends strerror");
	ok(err && err->code == EACCES, "sys keeps errno");
	oci_err_free(err);
	oci_err_free(NULL);

	/* The cleanup attribute frees an error. */
	{
		_cleanup_err_ struct oci_err *e2 = NULL;
		oci_err_set(&e2, E2BIG, "freed by the cleanup attribute");
	}
	ok(1, "cleanup attribute ran (ASan would report a leak otherwise)");
}

static void test_sbuf(void)
{
	struct sbuf sb = SBUF_INIT;
	ok(sb.buf && sb.buf[0] == '\0' && sb.len == 0, "SBUF_INIT is an empty string");
	sbuf_release(&sb);
	ok(sb.buf && sb.len == 0, "release of an unused buffer is fine");
	sbuf_addstr(&sb, "abc");
	sbuf_addch(&sb, '-');
	sbuf_add(&sb, "xyz", 2);
	is_str(sb.buf, "abc-xy", "add, addstr, addch");
	is_int(sb.len, 6, "length");
	sbuf_addf(&sb, "%d/%s", 42, "z");
	is_str(sb.buf, "abc-xy42/z", "addf");
	sbuf_truncate(&sb, 3);
	is_str(sb.buf, "abc", "truncate");
	sbuf_truncate(&sb, 100);
	is_str(sb.buf, "abc", "truncate beyond the length does nothing");
	sbuf_reset(&sb);
	ok(sb.len == 0 && sb.buf[0] == '\0', "reset");
	/* Growth across many doublings, with embedded NUL bytes. */
	for (int i = 0; i < 10000; i++)
		sbuf_add(&sb, "0123456789", 10);
	sbuf_add(&sb, "\0tail", 5);
	ok(sb.len == 100005 && sb.alloc > sb.len && sb.buf[sb.len] == '\0' &&
		   memcmp(sb.buf + 99990, "0123456789", 10) == 0 && sb.buf[100000] == '\0' &&
		   memcmp(sb.buf + 100001, "tail", 4) == 0,
	   "100005 bytes, NUL-terminated, binary-safe");
	sbuf_reset(&sb);
	_cleanup_free_ char *longs = xmalloc(5001);
	memset(longs, 'q', 5000);
	longs[5000] = '\0';
	sbuf_addf(&sb, "[%s]", longs);
	ok(sb.len == 5002 && sb.buf[0] == '[' && sb.buf[5001] == ']' && sb.buf[5002] == '\0',
	   "addf of a long string");
	size_t len = 0;
	char *d = sbuf_detach(&sb, &len);
	ok(d && len == 5002 && strlen(d) == 5002, "detach hands the buffer over");
	ok(sb.buf == oci_sbuf_empty && sb.len == 0 && sb.alloc == 0, "and re-initialises");
	free(d);
	d = sbuf_detach(&sb, &len);
	ok(d && d != oci_sbuf_empty && len == 0 && d[0] == '\0',
	   "detach of an empty buffer gives a freeable \"\"");
	free(d);
	sbuf_init(&sb);
	sbuf_grow(&sb, 1000);
	ok(sb.alloc >= 1001 && sb.len == 0 && sb.buf[0] == '\0', "grow reserves room");
	sbuf_addf(&sb, "%s", "");
	ok(sb.len == 0 && sb.buf[0] == '\0', "addf of \"\"");
	sbuf_release(&sb);
	ok(sb.buf == oci_sbuf_empty && sb.alloc == 0, "release");
	{
		_cleanup_sbuf_ struct sbuf s2 = SBUF_INIT;
		sbuf_addstr(&s2, "released by the cleanup attribute");
	}
	ok(oci_sbuf_empty[0] == '\0', "the shared empty buffer was never written");
}

int main(void)
{
	test_err();
	test_sbuf();
	done_testing();
	return exit_status();
}
