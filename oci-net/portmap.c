/* Published ports: "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]". The rules
 * that publish them are written by firewall.c. */
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
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
