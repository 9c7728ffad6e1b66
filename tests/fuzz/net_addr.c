/* Fuzzes oci-net's address parsers (oci-net/ipam.c net_cidr_parse,
 * net_ip_parse; portmap.c net_port_parse) with their printed forms, and
 * the DNS question parser of the resolver (dns.c net_dns_parse_question).
 * Numbers must be written plainly (net_parse_uint): an accepted prefix
 * length, port, upstream or reverse name prints back as the same digits. */
#include <netinet/in.h>

#include "fuzz.h"
#include "net.h"

/* The bytes [b, e) are exactly the decimal form of v. */
static void same_digits(const char *b, const char *e, unsigned long long v)
{
	char want[24];
	int n = snprintf(want, sizeof(want), "%llu", v);
	if (e - b != n || memcmp(b, want, (size_t)n) != 0)
		abort();
}

/* The last c in [b, e), or NULL. */
static const char *last_in(const char *b, const char *e, char c)
{
	for (const char *p = e; p > b; p--)
		if (p[-1] == c)
			return p - 1;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char name[256];
	uint16_t type;
	size_t end;
	if (net_dns_parse_question(data, size, name, sizeof(name), &type, &end) >= 0) {
		if (end > size || strnlen(name, sizeof(name)) == sizeof(name))
			abort();
	}

	char *s = fuzz_str(data, size);
	for (int req = 0; req < 2; req++) {
		struct net_cidr c = { 0 };
		struct oci_err *err = NULL;
		int rc = net_cidr_parse(s, req, &c, &err);
		fuzz_check_err(rc, err);
		if (rc >= 0) {
			if (c.family != AF_INET && c.family != AF_INET6)
				abort();
			if (c.prefix < 0 || c.prefix > (c.family == AF_INET ? 32 : 128))
				abort();
			const char *slash = strchr(s, '/');
			if (slash)
				same_digits(slash + 1, s + strlen(s), (unsigned long long)c.prefix);
			char *back = net_cidr_str(&c, true);
			struct net_cidr again = { 0 };
			if (net_cidr_parse(back, true, &again, NULL) < 0 || again.prefix != c.prefix ||
			    !net_ip_equal(&c, &again))
				abort();
			struct net_cidr netw, nth;
			net_cidr_network(&c, &netw);
			if (!net_cidr_contains(&netw, &c) || !net_cidr_overlaps(&c, &netw))
				abort();
			(void)net_cidr_nth(&c, 1, &nth);
			(void)net_cidr_nth(&c, UINT64_MAX, &nth);
			free(back);
		}
		oci_err_free(err);
	}
	struct net_cidr ip = { 0 };
	struct oci_err *err = NULL;
	int rc = net_ip_parse(s, &ip, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	err = NULL;

	struct net_port p = { 0 };
	rc = net_port_parse(s, &p, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		if (p.proto != IPPROTO_TCP && p.proto != IPPROTO_UDP)
			abort();
		const char *end = strrchr(s, '/');
		if (!end)
			end = s + strlen(s);
		const char *c1 = last_in(s, end, ':');
		if (!c1)
			abort();
		const char *c0 = last_in(s, c1, ':');
		same_digits(c1 + 1, end, p.container_port);
		same_digits(c0 ? c0 + 1 : s, c1, p.host_port);
		char *back = net_port_str(&p);
		struct net_port again = { 0 };
		if (net_port_parse(back, &again, NULL) < 0 || again.host_port != p.host_port ||
		    again.container_port != p.container_port || again.proto != p.proto)
			abort();
		free(back);
	}
	oci_err_free(err);

	/* "IP[:PORT]": a port, when there is one, is written plainly. */
	if (net_upstream_valid(s)) {
		const char *close = s[0] == '[' ? strchr(s, ']') : NULL;
		const char *colon = close ? (close[1] == ':' ? close + 1 : NULL)
				    : (strchr(s, ':') == strrchr(s, ':') ? strchr(s, ':') : NULL);
		if (colon) {
			unsigned long long v = strtoull(colon + 1, NULL, 10);
			if (v < 1 || v > 65535)
				abort();
			same_digits(colon + 1, s + strlen(s), v);
		}
	}

	unsigned char ip4[4];
	if (net_dns_ptr_parse(s, ip4) == 0) {
		char back[32];
		snprintf(back, sizeof(back), "%u.%u.%u.%u.in-addr.arpa", ip4[3], ip4[2], ip4[1],
			 ip4[0]);
		if (strcmp(back, s) != 0)
			abort();
	}
	free(s);
	return 0;
}
