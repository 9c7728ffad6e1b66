/* Published ports: "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]". The rules
 * that publish them are written by firewall.c. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "sbuf.h"
#include "util.h"

const char *net_proto_name(int proto)
{
	return proto == IPPROTO_UDP ? "udp" : "tcp";
}

static int parse_port(const char *spec, const char *s, const char *what, uint16_t *ret,
		      struct oci_err **err)
{
	uint64_t v;
	if (net_parse_uint(s, 1, 65535, &v) < 0)
		return oci_err_set(err, EINVAL, "port '%s': %s port '%s' is not a number from 1 to 65535",
				   spec, what, s);
	*ret = (uint16_t)v;
	return 0;
}

int net_port_parse(const char *s, struct net_port *ret, struct oci_err **err)
{
	struct net_port p = { .proto = IPPROTO_TCP };
	_cleanup_free_ char *copy = xstrdup(s);
	char *rest = copy;
	int r;

	char *slash = strrchr(rest, '/');
	if (slash) {
		*slash = '\0';
		if (streq(slash + 1, "tcp"))
			p.proto = IPPROTO_TCP;
		else if (streq(slash + 1, "udp"))
			p.proto = IPPROTO_UDP;
		else
			return oci_err_set(err, EINVAL, "port '%s': protocol must be tcp or udp", s);
	}
	if (rest[0] == '[') {
		char *close = strchr(rest, ']');
		if (!close || close[1] != ':')
			return oci_err_set(err, EINVAL, "port '%s': expected [IPV6]:HOST_PORT:CONTAINER_PORT", s);
		*close = '\0';
		r = net_ip_parse(rest + 1, &p.host_ip, err);
		if (r < 0 || p.host_ip.family != AF_INET6) {
			oci_err_clear(err);
			return oci_err_set(err, EINVAL, "port '%s': '%s' is not an IPv6 address", s,
					   rest + 1);
		}
		rest = close + 2;
	}
	char *c1 = strrchr(rest, ':');
	if (!c1)
		return oci_err_set(err, EINVAL,
				   "port '%s': expected [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]", s);
	*c1 = '\0';
	const char *cport = c1 + 1;
	char *c0 = strrchr(rest, ':');
	const char *hport = rest;
	if (c0) {
		if (p.host_ip.family)
			return oci_err_set(err, EINVAL, "port '%s': too many ':'", s);
		*c0 = '\0';
		hport = c0 + 1;
		if (!*rest || net_ip_parse(rest, &p.host_ip, NULL) < 0 ||
		    p.host_ip.family != AF_INET)
			return oci_err_set(err, EINVAL, "port '%s': '%s' is not an IPv4 address", s,
					   rest);
	}
	if ((r = parse_port(s, hport, "host", &p.host_port, err)) < 0)
		return r;
	if ((r = parse_port(s, cport, "container", &p.container_port, err)) < 0)
		return r;
	*ret = p;
	return 0;
}

char *net_port_str(const struct net_port *p)
{
	if (!p->host_ip.family)
		return xasprintf("%u:%u/%s", p->host_port, p->container_port,
				 net_proto_name(p->proto));
	_cleanup_free_ char *ip = net_cidr_str(&p->host_ip, false);
	if (p->host_ip.family == AF_INET6)
		return xasprintf("[%s]:%u:%u/%s", ip, p->host_port, p->container_port,
				 net_proto_name(p->proto));
	return xasprintf("%s:%u:%u/%s", ip, p->host_port, p->container_port,
			 net_proto_name(p->proto));
}

/* ---- conditionsV4 / conditionsV6: iptables matches as nftables ---- */

static int cond_addr(const char *opt, const char *val, int family, struct sbuf *out,
		     struct oci_err **err)
{
	_cleanup_free_ char *copy = xstrdup(val);
	_cleanup_strv_ char **items = NULL;
	char *save = NULL;
	for (char *t = strtok_r(copy, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		struct net_cidr c;
		if (net_cidr_parse(t, false, &c, NULL) < 0 || c.family != family)
			return oci_err_set(err, EINVAL, "'%s %s': '%s' is not an %s address or subnet",
					   opt, val, t, family == AF_INET ? "IPv4" : "IPv6");
		net_cidr_network(&c, &c);
		bool host = c.prefix == (family == AF_INET ? 32 : 128);
		_cleanup_free_ char *s = net_cidr_str(&c, !host);
		oci_strv_push(&items, s);
	}
	size_t n = oci_strv_len(items);
	if (n == 0)
		return oci_err_set(err, EINVAL, "'%s' needs an address", opt);
	if (n == 1) {
		sbuf_addstr(out, items[0]);
		return 0;
	}
	sbuf_addstr(out, "{ ");
	for (size_t i = 0; i < n; i++)
		sbuf_addf(out, "%s%s", i ? ", " : "", items[i]);
	sbuf_addstr(out, " }");
	return 0;
}

static int cond_port(const char *opt, const char *val, struct sbuf *out, struct oci_err **err)
{
	_cleanup_free_ char *copy = xstrdup(val);
	char *colon = strchr(copy, ':');
	uint64_t lo, hi;
	if (colon)
		*colon = '\0';
	if (net_parse_uint(copy, 0, 65535, &lo) < 0 ||
	    (colon && (net_parse_uint(colon + 1, 0, 65535, &hi) < 0 || hi < lo)))
		return oci_err_set(err, EINVAL, "'%s %s': expected PORT or FIRST:LAST", opt, val);
	if (colon)
		sbuf_addf(out, "%llu-%llu", (unsigned long long)lo, (unsigned long long)hi);
	else
		sbuf_addf(out, "%llu", (unsigned long long)lo);
	return 0;
}

static int cond_ifname(const char *opt, const char *val, struct sbuf *out, struct oci_err **err)
{
	size_t len = strlen(val);
	bool ok = len > 0 && len < 16;
	for (size_t i = 0; ok && i < len; i++) {
		char ch = val[i];
		ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
		     ch == '.' || ch == '-' || ch == '_' || ch == '@' || (ch == '+' && i == len - 1);
	}
	if (!ok)
		return oci_err_set(err, EINVAL, "'%s %s': not an interface name", opt, val);
	/* iptables' trailing '+' is nftables' '*'. */
	if (val[len - 1] == '+')
		sbuf_addf(out, "\"%.*s*\"", (int)(len - 1), val);
	else
		sbuf_addf(out, "\"%s\"", val);
	return 0;
}

int net_port_cond_nft(char *const *args, int family, char **ret, struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	const char *ipx = family == AF_INET ? "ip" : "ip6";
	const char *proto = NULL; /* of the last -p, for --sport/--dport */
	bool neg = false;
	int r;
	for (size_t i = 0; args && args[i]; i++) {
		const char *opt = args[i];
		if (streq(opt, "!")) {
			if (neg)
				return oci_err_set(err, EINVAL, "'!' twice in a row");
			neg = true;
			continue;
		}
		bool is_src = streq(opt, "-s") || streq(opt, "--source") || streq(opt, "--src");
		bool is_dst = streq(opt, "-d") || streq(opt, "--destination") || streq(opt, "--dst");
		bool is_p = streq(opt, "-p") || streq(opt, "--protocol");
		bool is_sport = streq(opt, "--sport") || streq(opt, "--source-port");
		bool is_dport = streq(opt, "--dport") || streq(opt, "--destination-port");
		bool is_in = streq(opt, "-i") || streq(opt, "--in-interface");
		bool is_out = streq(opt, "-o") || streq(opt, "--out-interface");
		bool is_m = streq(opt, "-m") || streq(opt, "--match");
		if (!is_src && !is_dst && !is_p && !is_sport && !is_dport && !is_in && !is_out && !is_m)
			return oci_err_set(err, EINVAL,
					   "'%s' is not supported (only -s, -d, -p, --sport, --dport, -i, -o, -m tcp|udp|sctp and '!')",
					   opt);
		const char *val = args[i + 1];
		if (!val || streq(val, "!"))
			return oci_err_set(err, EINVAL, "'%s' needs a value", opt);
		i++;
		if (is_m) {
			if (neg)
				return oci_err_set(err, EINVAL, "'! %s' makes no sense", opt);
			if (!streq(val, "tcp") && !streq(val, "udp") && !streq(val, "sctp"))
				return oci_err_set(err, EINVAL,
						   "'-m %s' is not supported (only -m tcp, udp or sctp)", val);
			continue;
		}
		if (out.len)
			sbuf_addch(&out, ' ');
		const char *ne = neg ? "!= " : "";
		if (is_src || is_dst) {
			sbuf_addf(&out, "%s %s %s", ipx, is_src ? "saddr" : "daddr", ne);
			r = cond_addr(opt, val, family, &out, err);
		} else if (is_p) {
			const char *nft = NULL;
			if (streq(val, "tcp") || streq(val, "udp") || streq(val, "sctp"))
				nft = val;
			else if (family == AF_INET && streq(val, "icmp"))
				nft = "icmp";
			else if (family == AF_INET6 && (streq(val, "icmpv6") || streq(val, "ipv6-icmp")))
				nft = "ipv6-icmp";
			if (!nft)
				return oci_err_set(err, EINVAL,
						   "'-p %s' is not supported (tcp, udp, sctp, icmp or icmpv6)",
						   val);
			proto = neg ? NULL : nft;
			sbuf_addf(&out, "meta l4proto %s%s", ne, nft);
			r = 0;
		} else if (is_sport || is_dport) {
			if (!proto || streq(proto, "icmp") || streq(proto, "ipv6-icmp"))
				return oci_err_set(err, EINVAL, "'%s' needs '-p tcp', '-p udp' or '-p sctp' before it",
						   opt);
			sbuf_addf(&out, "%s %s %s", proto, is_sport ? "sport" : "dport", ne);
			r = cond_port(opt, val, &out, err);
		} else {
			sbuf_addf(&out, "%s %s", is_in ? "iifname" : "oifname", ne);
			r = cond_ifname(opt, val, &out, err);
		}
		if (r < 0)
			return r;
		neg = false;
	}
	if (neg)
		return oci_err_set(err, EINVAL, "'!' at the end");
	*ret = sbuf_detach(&out, NULL);
	return 0;
}
