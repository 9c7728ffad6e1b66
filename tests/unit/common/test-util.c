/* common/util.c: the strict decimal parser and the string helpers. */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>

#include "../tap.h"
#include "util.h"

static void test_parse_int64(void)
{
	long long v = 0;
	ok(oci_parse_int64("42", 0, 100, &v) == 0 && v == 42, "42");
	ok(oci_parse_int64("0", 0, 100, &v) == 0 && v == 0, "0");
	ok(oci_parse_int64("007", 0, 100, &v) == 0 && v == 7, "leading zeros are decimal");
	ok(oci_parse_int64("-1", -1, 100, &v) == 0 && v == -1, "-1 where min is negative");
	is_int(oci_parse_int64("-1", 0, 100, &v), -EINVAL, "a sign where min is 0: -EINVAL");
	is_int(oci_parse_int64("-0", 0, 100, &v), -EINVAL, "-0 where min is 0: -EINVAL");
	is_int(oci_parse_int64("+5", 0, 100, &v), -EINVAL, "'+5': -EINVAL");
	is_int(oci_parse_int64(" 5", 0, 100, &v), -EINVAL, "a leading blank: -EINVAL");
	is_int(oci_parse_int64("5 ", 0, 100, &v), -EINVAL, "a trailing blank: -EINVAL");
	is_int(oci_parse_int64("0x10", 0, 100, &v), -EINVAL, "hex: -EINVAL");
	is_int(oci_parse_int64("1e3", 0, 10000, &v), -EINVAL, "an exponent: -EINVAL");
	is_int(oci_parse_int64("", 0, 100, &v), -EINVAL, "empty: -EINVAL");
	is_int(oci_parse_int64(NULL, 0, 100, &v), -EINVAL, "NULL: -EINVAL");
	is_int(oci_parse_int64("101", 0, 100, &v), -ERANGE, "above max: -ERANGE");
	is_int(oci_parse_int64("-2", -1, 100, &v), -ERANGE, "below min: -ERANGE");
	is_int(oci_parse_int64("99999999999999999999", 0, LLONG_MAX, &v), -ERANGE,
	       "beyond long long: -ERANGE");
	v = 7;
	oci_parse_int64("x", 0, 100, &v);
	is_int((int)v, 7, "a failure leaves the result alone");
}

static void test_strings(void)
{
	ok(endswith("abc.slice", ".slice") && !endswith("slice", ".slice") && endswith("x", ""),
	   "endswith");
	ok(startswith("abc", "ab") && !startswith("ab", "abc"), "startswith");
	char **v = NULL;
	oci_strv_push(&v, "a");
	oci_strv_push(&v, "b");
	char **d = oci_strv_dup(v);
	ok(oci_strv_len(d) == 2 && streq(d[1], "b") && d[1] != v[1], "strv push, dup, len");
	for (size_t i = 0; v[i]; i++) {
		free(v[i]);
		free(d[i]);
	}
	free(v);
	free(d);
}

int main(void)
{
	test_parse_int64();
	test_strings();
	done_testing();
	return exit_status();
}
