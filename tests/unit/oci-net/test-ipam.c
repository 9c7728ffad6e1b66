/* CIDR parsing and address allocation. */
#include <arpa/inet.h>
#include <sys/socket.h>

#include "net.h"
#include "tap.h"
#include "util.h"

static struct net_cidr C(const char *s)
{
	struct net_cidr c = { 0 };
	if (net_cidr_parse(s, false, &c, NULL) < 0)
		diag("cannot parse %s", s);
	return c;
}

static void str_is(const struct net_cidr *c, bool prefix, const char *want, const char *name)
{
	char *s = net_cidr_str(c, prefix);
	is_str(s, want, "%s", name);
	free(s);
}

int main(void)
{
	struct net_cidr c, d;
	struct oci_err *err = NULL;

	/* Parsing. */
	is_int(net_cidr_parse("10.231.1.0/24", true, &c, NULL), 0, "parse IPv4 CIDR");
	is_int(c.family, AF_INET, "family IPv4");
	is_int(c.prefix, 24, "prefix 24");
	is_int(net_cidr_parse("fd00:1::/64", true, &c, NULL), 0, "parse IPv6 CIDR");
	is_int(c.family, AF_INET6, "family IPv6");
	is_int(net_cidr_parse("10.0.0.1", true, &c, &err), -EINVAL, "prefix required");
	ok(err && strstr(err->msg, "missing prefix length"), "error says the prefix is missing");
	oci_err_clear(&err);
	is_int(net_cidr_parse("10.0.0.1", false, &c, NULL), 0, "bare address allowed");
	is_int(c.prefix, 32, "bare IPv4 gets /32");
	is_int(net_cidr_parse("10.0.0.0/33", true, &c, &err), -EINVAL, "prefix above 32 rejected");
	ok(err && strstr(err->msg, "0 to 32"), "error names the range: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(net_cidr_parse("10.0.0.0/x", true, &c, NULL), -EINVAL, "prefix not a number");
	is_int(net_cidr_parse("10.0.0/8", true, &c, NULL), -EINVAL, "short address");
	is_int(net_cidr_parse("fd00::/129", true, &c, NULL), -EINVAL, "IPv6 prefix above 128");
	is_int(net_cidr_parse("", true, &c, NULL), -EINVAL, "empty");

	/* The prefix length is plain decimal, as Go's netip.ParsePrefix wants: no
	 * sign, blank, hex or leading zero (strtol took them). */
	static const char *const lax[] = {
		"10.0.0.1/ 8", "10.0.0.1/+8", "10.0.0.1/08", "10.0.0.1/-0", "10.0.0.1/0x8",
		"10.0.0.1/8 ", "10.0.0.1/\t8", "10.0.0.1/", "10.0.0.1/00", "fd00::/064",
		"fd00::/+64", "10.0.0.1/18446744073709551624",
	};
	for (size_t i = 0; i < ARRAY_SIZE(lax); i++) {
		is_int(net_cidr_parse(lax[i], true, &c, &err), -EINVAL, "'%s' is refused", lax[i]);
		ok(err && strstr(err->msg, lax[i]) && strstr(err->msg, "prefix length"),
		   "'%s': the error names it: %s", lax[i], err ? err->msg : "(none)");
		oci_err_clear(&err);
	}
	is_int(net_cidr_parse("10.0.0.1/08", false, &c, NULL), -EINVAL,
	       "'/08' refused also where the prefix is optional");
	is_int(net_cidr_parse("010.0.0.1/8", true, &c, NULL), -EINVAL, "leading zero in an octet");
	is_int(net_cidr_parse("10.0.0.1 /8", true, &c, NULL), -EINVAL, "blank before '/'");
	is_int(net_cidr_parse(" 10.0.0.1", false, &c, NULL), -EINVAL, "leading blank");
	is_int(net_cidr_parse("0.0.0.0/0", true, &c, NULL), 0, "'/0' is fine");
	is_int(c.prefix, 0, "prefix 0");
	is_int(net_cidr_parse("fd00::/128", true, &c, NULL), 0, "'/128' is fine");
	is_int(c.prefix, 128, "prefix 128");

	/* Printing and arithmetic. */
	c = C("10.231.1.77/24");
	str_is(&c, true, "10.231.1.77/24", "str with prefix");
	str_is(&c, false, "10.231.1.77", "str without prefix");
	net_cidr_network(&c, &d);
	str_is(&d, true, "10.231.1.0/24", "network address");
	d = C("10.231.1.0/20");
	net_cidr_network(&d, &d);
	str_is(&d, true, "10.231.0.0/20", "network of /20");
	c = C("10.231.1.0/24");
	d = C("10.231.1.200");
	ok(net_cidr_contains(&c, &d), "contains");
	d = C("10.231.2.1");
	ok(!net_cidr_contains(&c, &d), "does not contain");
	d = C("10.231.0.0/16");
	ok(net_cidr_overlaps(&c, &d), "/24 overlaps its /16");
	d = C("10.231.2.0/24");
	ok(!net_cidr_overlaps(&c, &d), "neighbours do not overlap");
	d = C("fd00::/8");
	ok(!net_cidr_overlaps(&c, &d), "families never overlap");
	is_int(net_cidr_nth(&c, 255, &d), 0, "nth 255");
	str_is(&d, false, "10.231.1.255", "255th is the broadcast");
	is_int(net_cidr_nth(&c, 256, &d), -ERANGE, "nth past the end");
	c = C("10.231.0.0/16");
	net_cidr_nth(&c, 300, &d);
	str_is(&d, false, "10.231.1.44", "nth carries into the next byte");

	/* Allocation. */
	struct net_cidr sub = C("10.231.1.0/24"), gw = C("10.231.1.1"), got;
	struct net_cidr used[4];
	is_int(net_ipam_alloc(&sub, &gw, NULL, 0, &got, NULL), 0, "alloc from empty");
	str_is(&got, true, "10.231.1.2/24", "first after the gateway, with the prefix");
	used[0] = C("10.231.1.2");
	used[1] = C("10.231.1.3");
	used[2] = C("10.231.1.5");
	net_ipam_alloc(&sub, &gw, used, 3, &got, NULL);
	str_is(&got, false, "10.231.1.4", "skips used addresses");
	used[2] = C("10.231.1.4");
	net_ipam_alloc(&sub, &gw, used, 3, &got, NULL);
	str_is(&got, false, "10.231.1.5", "next free");
	gw = C("10.231.1.254");
	net_ipam_alloc(&sub, &gw, NULL, 0, &got, NULL);
	str_is(&got, false, "10.231.1.1", "gateway elsewhere: .1 is free");
	struct net_cidr small = C("10.231.9.0/30"), sgw = C("10.231.9.1");
	used[0] = C("10.231.9.2");
	is_int(net_ipam_alloc(&small, &sgw, used, 1, &got, &err), -ENOSPC, "a full /30");
	ok(err && strstr(err->msg, "no free address"), "error: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(net_ipam_alloc(&small, &sgw, NULL, 0, &got, NULL), 0, "a /30 has one host besides the gateway");
	str_is(&got, false, "10.231.9.2", "that host");

	/* Requested addresses. */
	gw = C("10.231.1.1");
	c = C("10.231.1.0");
	is_int(net_ipam_check(&sub, &gw, NULL, 0, &c, NULL), -EINVAL, "network address refused");
	c = C("10.231.1.255");
	is_int(net_ipam_check(&sub, &gw, NULL, 0, &c, NULL), -EINVAL, "broadcast refused");
	c = C("10.231.1.1");
	is_int(net_ipam_check(&sub, &gw, NULL, 0, &c, NULL), -EADDRINUSE, "gateway refused");
	c = C("10.231.1.3");
	used[0] = C("10.231.1.3");
	is_int(net_ipam_check(&sub, &gw, used, 1, &c, &err), -EADDRINUSE, "used address refused");
	ok(err && strstr(err->msg, "already in use"), "error: %s", err ? err->msg : "");
	oci_err_clear(&err);
	c = C("10.231.2.3");
	is_int(net_ipam_check(&sub, &gw, NULL, 0, &c, NULL), -EINVAL, "outside the subnet refused");
	c = C("10.231.1.9");
	is_int(net_ipam_check(&sub, &gw, used, 1, &c, NULL), 0, "free address accepted");

	/* IPv6. */
	struct net_cidr s6 = C("fd00:231::/64"), g6 = C("fd00:231::1");
	used[0] = C("fd00:231::2");
	net_ipam_alloc(&s6, &g6, used, 1, &got, NULL);
	str_is(&got, true, "fd00:231::3/64", "IPv6 allocation");

	done_testing();
	return exit_status();
}
