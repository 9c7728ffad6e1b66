/* Numbers in text: the strict decimal parser every oci-net field uses
 * (net_parse_uint), and two of its users that have no test of their own:
 * DNS upstreams "IP[:PORT]" and reverse names "D.C.B.A.in-addr.arpa". */
#include <errno.h>
#include <stdint.h>

#include "net.h"
#include "tap.h"
#include "util.h"

static void num_ok(const char *s, uint64_t min, uint64_t max, uint64_t want)
{
	uint64_t v = 12345;
	int r = net_parse_uint(s, min, max, &v);
	is_int(r, 0, "'%s' parses", s);
	ok(r == 0 && v == want, "'%s' is %llu (got %llu)", s, (unsigned long long)want,
	   (unsigned long long)v);
}

/* s with its control and non-ASCII bytes as '?', for test names. */
static char *printable(const char *s)
{
	char *p = xstrdup(s ? s : "(null)");
	for (char *c = p; *c; c++)
		if ((unsigned char)*c < 0x20 || (unsigned char)*c >= 0x7f)
			*c = '?';
	return p;
}

static void num_bad(const char *s, uint64_t min, uint64_t max, int code)
{
	uint64_t v = 12345;
	char *name = printable(s);
	is_int(net_parse_uint(s, min, max, &v), code, "'%s' is refused (%s)", name,
	       code == -ERANGE ? "range" : "syntax");
	ok(v == 12345, "'%s': result untouched", name);
	free(name);
}

static void ptr_is(const char *name, const char *want)
{
	unsigned char ip[4];
	int r = net_dns_ptr_parse(name, ip);
	if (!want) {
		is_int(r, -EINVAL, "'%s' is not a reverse IPv4 name", name);
		return;
	}
	is_int(r, 0, "'%s' parses", name);
	char *got = xasprintf("%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
	is_str(r == 0 ? got : "", want, "'%s' is %s", name, want);
	free(got);
}

int main(void)
{
	num_ok("0", 0, 10, 0);
	num_ok("1", 1, 65535, 1);
	num_ok("65535", 1, 65535, 65535);
	num_ok("10", 0, UINT64_MAX, 10);
	num_ok("18446744073709551615", 0, UINT64_MAX, UINT64_MAX);
	num_bad("18446744073709551616", 0, UINT64_MAX, -ERANGE);
	num_bad("99999999999999999999999999", 0, UINT64_MAX, -ERANGE);
	num_bad("65536", 1, 65535, -ERANGE);
	num_bad("0", 1, 65535, -ERANGE);
	num_bad("67", 68, 65535, -ERANGE);
	static const char *const syntax[] = {
		"", "+1", "-1", "-0", "+0", " 1", "1 ", "\t1", "1\n", "01", "00", "007", "0x10",
		"0X10", "1e3", "1.0", "1,000", "1_000", "\xd9\xa3", "1\xc2\xa0", "abc", "0b1",
	};
	for (size_t i = 0; i < ARRAY_SIZE(syntax); i++)
		num_bad(syntax[i], 0, UINT64_MAX, -EINVAL);
	num_bad(NULL, 0, 1, -EINVAL);

	/* DNS upstreams (create --dns-upstream, connect --dns, dns-serve --listen). */
	static const char *const up_good[] = {
		"10.0.0.1", "10.0.0.1:53", "10.0.0.1:65535", "fd00::1", "[fd00::1]", "[fd00::1]:5353",
	};
	for (size_t i = 0; i < ARRAY_SIZE(up_good); i++)
		ok(net_upstream_valid(up_good[i]), "upstream '%s' is valid", up_good[i]);
	static const char *const up_bad[] = {
		"10.0.0.1:", "10.0.0.1:0", "10.0.0.1:65536", "10.0.0.1:+53", "10.0.0.1:053",
		"10.0.0.1: 53", "10.0.0.1:53x", "10.0.0.1:0x35", "10.0.0.1:-53", "[fd00::1]:",
		"[fd00::1]:053", "[fd00::1]x", "[fd00::1]53", "[fd00::1", "010.0.0.1", "dns.example",
		"",
	};
	for (size_t i = 0; i < ARRAY_SIZE(up_bad); i++)
		ok(!net_upstream_valid(up_bad[i]), "upstream '%s' is refused", up_bad[i]);

	/* Reverse names: four plain labels of 0 to 255, in reverse order. */
	ptr_is("2.0.231.10.in-addr.arpa", "10.231.0.2");
	ptr_is("0.0.0.0.in-addr.arpa", "0.0.0.0");
	ptr_is("255.255.255.255.in-addr.arpa", "255.255.255.255");
	ptr_is("+2.0.231.10.in-addr.arpa", NULL);
	ptr_is("02.0.231.10.in-addr.arpa", NULL);
	ptr_is("2.00.231.10.in-addr.arpa", NULL);
	ptr_is(" 2.0.231.10.in-addr.arpa", NULL);
	ptr_is("2.0.231.-10.in-addr.arpa", NULL);
	ptr_is("256.0.231.10.in-addr.arpa", NULL);
	ptr_is("4294967298.0.231.10.in-addr.arpa", NULL);
	ptr_is("0x2.0.231.10.in-addr.arpa", NULL);
	ptr_is("0.231.10.in-addr.arpa", NULL);
	ptr_is("1.2.0.231.10.in-addr.arpa", NULL);
	ptr_is("2..231.10.in-addr.arpa", NULL);
	ptr_is("2.0.231.10.in-addr.arpa.example", NULL);
	ptr_is("2.0.231.10in-addr.arpa", NULL);
	ptr_is(".in-addr.arpa", NULL);
	ptr_is("in-addr.arpa", NULL);
	ptr_is("web", NULL);
	done_testing();
	return exit_status();
}
