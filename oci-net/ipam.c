/* Addresses and subnets, and picking a free address in a subnet. The leases
 * themselves are the endpoint records (endpoint.c); callers hold the networks
 * lock while they pick and save, so concurrent connects never share one. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "util.h"

static int addr_len(int family)
{
	return family == AF_INET ? 4 : 16;
}

int net_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret)
{
	if (!s || !*s)
		return -EINVAL;
	if (s[0] == '0' && s[1])
		return -EINVAL;
	uint64_t v = 0;
	bool over = false;
	for (const char *p = s; *p; p++) {
		if (*p < '0' || *p > '9')
			return -EINVAL;
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			over = true;
		else
			v = v * 10 + d;
	}
	if (over || v < min || v > max)
		return -ERANGE;
	*ret = v;
	return 0;
}

int net_ip_parse(const char *s, struct net_cidr *ret, struct oci_err **err)
{
	return net_cidr_parse(s, false, ret, err);
}

int net_cidr_parse(const char *s, bool require_prefix, struct net_cidr *ret, struct oci_err **err)
{
	struct net_cidr c = { 0 };
	const char *slash = strchr(s, '/');
	_cleanup_free_ char *host = slash ? xstrndup(s, (size_t)(slash - s)) : xstrdup(s);

	if (inet_pton(AF_INET, host, c.addr) == 1)
		c.family = AF_INET;
	else if (inet_pton(AF_INET6, host, c.addr) == 1)
		c.family = AF_INET6;
	else
		return oci_err_set(err, EINVAL, "'%s' is not an IP address%s", s,
				   require_prefix ? " with a prefix length" : "");
	int max = addr_len(c.family) * 8;
	if (slash) {
		uint64_t p;
		if (net_parse_uint(slash + 1, 0, (uint64_t)max, &p) < 0)
			return oci_err_set(err, EINVAL,
					   "'%s': prefix length '%s' is not a number from 0 to %d", s,
					   slash + 1, max);
		c.prefix = (int)p;
	} else if (require_prefix) {
		return oci_err_set(err, EINVAL, "'%s': missing prefix length (like 10.0.0.0/24)",
				   s);
	} else {
		c.prefix = max;
	}
	*ret = c;
	return 0;
}

char *net_cidr_str(const struct net_cidr *c, bool with_prefix)
{
	char buf[INET6_ADDRSTRLEN];
	if (!c->family || !inet_ntop(c->family, c->addr, buf, sizeof(buf)))
		return xstrdup("");
	if (with_prefix)
		return xasprintf("%s/%d", buf, c->prefix);
	return xstrdup(buf);
}

void net_cidr_network(const struct net_cidr *c, struct net_cidr *ret)
{
	struct net_cidr r = *c;
	int len = addr_len(c->family);
	for (int i = 0; i < len; i++) {
		int bits = c->prefix - i * 8;
		unsigned char mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (unsigned char)(0xff << (8 - bits));
		r.addr[i] &= mask;
	}
	*ret = r;
}

bool net_ip_equal(const struct net_cidr *a, const struct net_cidr *b)
{
	return a->family == b->family && memcmp(a->addr, b->addr, (size_t)addr_len(a->family)) == 0;
}

bool net_cidr_contains(const struct net_cidr *net, const struct net_cidr *ip)
{
	if (net->family != ip->family)
		return false;
	struct net_cidr a = *net, b = *ip;
	b.prefix = net->prefix;
	net_cidr_network(&a, &a);
	net_cidr_network(&b, &b);
	return net_ip_equal(&a, &b);
}

bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b)
{
	if (a->family != b->family)
		return false;
	int p = a->prefix < b->prefix ? a->prefix : b->prefix;
	struct net_cidr x = *a, y = *b;
	x.prefix = y.prefix = p;
	net_cidr_network(&x, &x);
	net_cidr_network(&y, &y);
	return net_ip_equal(&x, &y);
}

/* Adds n to the low 64 bits of the address (with carry into the rest). */
static void addr_add(unsigned char *addr, int len, uint64_t n)
{
	for (int i = len - 1; i >= 0 && n; i--) {
		uint64_t v = addr[i] + (n & 0xff);
		addr[i] = (unsigned char)v;
		n = (n >> 8) + (v >> 8);
	}
}

/* Number of host addresses (2^(bits-prefix)), saturated at 2^63. */
static uint64_t subnet_size(const struct net_cidr *s)
{
	int host_bits = addr_len(s->family) * 8 - s->prefix;
	if (host_bits >= 63)
		return (uint64_t)1 << 63;
	return (uint64_t)1 << host_bits;
}

int net_cidr_nth(const struct net_cidr *subnet, uint64_t n, struct net_cidr *ret)
{
	if (n >= subnet_size(subnet))
		return -ERANGE;
	struct net_cidr r;
	net_cidr_network(subnet, &r);
	addr_add(r.addr, addr_len(r.family), n);
	*ret = r;
	return 0;
}

/* Whether ip is usable as a host address of subnet. */
static bool is_host_addr(const struct net_cidr *subnet, const struct net_cidr *ip)
{
	struct net_cidr first, last;
	uint64_t size = subnet_size(subnet);
	if (!net_cidr_contains(subnet, ip))
		return false;
	if (net_cidr_nth(subnet, 0, &first) == 0 && net_ip_equal(&first, ip))
		return false;
	/* IPv4 broadcast; for IPv6 skip the all-ones address as well. */
	if (size > 2 && size < ((uint64_t)1 << 63) && net_cidr_nth(subnet, size - 1, &last) == 0 &&
	    net_ip_equal(&last, ip))
		return false;
	return true;
}

static bool in_used(const struct net_cidr *ip, const struct net_cidr *used, size_t n_used)
{
	for (size_t i = 0; i < n_used; i++)
		if (net_ip_equal(ip, &used[i]))
			return true;
	return false;
}

int net_ipam_check(const struct net_cidr *subnet, const struct net_cidr *gateway,
		   const struct net_cidr *used, size_t n_used, const struct net_cidr *want,
		   struct oci_err **err)
{
	_cleanup_free_ char *w = net_cidr_str(want, false);
	_cleanup_free_ char *s = net_cidr_str(subnet, true);
	if (!is_host_addr(subnet, want))
		return oci_err_set(err, EINVAL, "address %s is not a host address of subnet %s", w,
				   s);
	if (gateway && gateway->family && net_ip_equal(gateway, want))
		return oci_err_set(err, EADDRINUSE, "address %s is the gateway of %s", w, s);
	if (in_used(want, used, n_used))
		return oci_err_set(err, EADDRINUSE, "address %s is already in use", w);
	return 0;
}

int net_ipam_alloc(const struct net_cidr *subnet, const struct net_cidr *gateway,
		   const struct net_cidr *used, size_t n_used, struct net_cidr *ret,
		   struct oci_err **err)
{
	uint64_t size = subnet_size(subnet);
	/* Bound the search: a subnet holds at most n_used + a gateway + 2 taken. */
	uint64_t limit = size;
	if (limit > n_used + 4)
		limit = n_used + 4;
	for (uint64_t i = 1; i < size && i <= limit + 1; i++) {
		struct net_cidr c;
		if (net_cidr_nth(subnet, i, &c) < 0)
			break;
		c.prefix = subnet->prefix;
		if (!is_host_addr(subnet, &c))
			continue;
		if (gateway && gateway->family && net_ip_equal(gateway, &c))
			continue;
		if (in_used(&c, used, n_used))
			continue;
		*ret = c;
		return 0;
	}
	_cleanup_free_ char *s = net_cidr_str(subnet, true);
	return oci_err_set(err, ENOSPC, "no free address left in subnet %s", s);
}
