/* Fuzzes oci-net's address parsers (oci-net/ipam.c net_cidr_parse,
 * net_ip_parse; portmap.c net_port_parse) with their printed forms, and
 * the DNS question parser of the resolver (dns.c net_dns_parse_question). */
#include <netinet/in.h>

#include "fuzz.h"
#include "net.h"

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
		char *back = net_port_str(&p);
		struct net_port again = { 0 };
		if (net_port_parse(back, &again, NULL) < 0 || again.host_port != p.host_port ||
		    again.container_port != p.container_port || again.proto != p.proto)
			abort();
		free(back);
	}
	oci_err_free(err);
	free(s);
	return 0;
}
