/* The nftables script built from the store: masquerade, published ports,
 * hairpin, isolation, internal networks; nothing at all when empty. */
#include <stdlib.h>
#include <sys/socket.h>

#include "fs.h"
#include "net.h"
#include "tap.h"
#include "util.h"

static void has(const char *script, const char *want, bool expect)
{
	ok((strstr(script, want) != NULL) == expect, "%s '%s'", expect ? "has" : "lacks", want);
}

int main(void)
{
	char tmpl[] = "/tmp/oci-net-fw.XXXXXX";
	const char *dir = mkdtemp(tmpl);
	struct net_ctx ctx;
	struct oci_err *err = NULL;
	char *s = NULL;
	is_int(net_ctx_init(&ctx, dir, NULL, &err), 0, "store");

	is_int(net_firewall_script(&ctx, &s, &err), 0, "script of an empty store");
	is_str(s, "table inet oci_net\ndelete table inet oci_net\n", "empty store: the table is only removed");
	free(s);

	struct net_create_opts o = { .subnet = "10.231.1.0/24", .bridge = "ocitest1" };
	struct net_network *n = NULL;
	is_int(net_network_new(&ctx, "web", &o, &n, &err), 0, "network web");
	net_network_save(&ctx, n, NULL);
	struct net_create_opts oi = { .subnet = "10.231.2.0/24", .bridge = "ocitest2", .internal = true };
	struct net_network *ni = NULL;
	is_int(net_network_new(&ctx, "db", &oi, &ni, &err), 0, "internal network db");
	net_network_save(&ctx, ni, NULL);
	struct net_create_opts ov = { .subnet = "10.231.1.128/25" };
	struct net_network *nv = NULL;
	is_int(net_network_new(&ctx, "over", &ov, &nv, &err), -EEXIST, "overlapping subnet refused");
	oci_err_clear(&err);

	is_int(net_firewall_script(&ctx, &s, &err), 0, "script without endpoints");
	has(s, "masquerade", false);
	has(s, "iifname \"ocitest2\" oifname != \"ocitest2\" drop", true);
	has(s, "oifname \"ocitest2\" iifname != \"ocitest2\" drop", true);
	free(s);

	struct net_endpoint e = { .id = (char *)"c1", .ifname = (char *)"eth0",
				  .host_ifname = (char *)"vethx" };
	net_cidr_parse("10.231.1.2/24", true, &e.ip, NULL);
	struct net_port ports[2];
	net_port_parse("8080:80", &ports[0], NULL);
	net_port_parse("127.0.0.1:5353:53/udp", &ports[1], NULL);
	e.ports = ports;
	e.n_ports = 2;
	is_int(net_endpoint_save(&ctx, "web", &e, &err), 0, "endpoint saved");
	is_int(net_firewall_script(&ctx, &s, &err), 0, "script with an endpoint");
	has(s, "ip saddr 10.231.1.0/24 oifname != \"ocitest1\" masquerade", true);
	has(s, "oifname \"ocitest1\" ct status dnat ip saddr { 10.231.1.0/24, 127.0.0.0/8 } masquerade", true);
	has(s, "meta nfproto ipv4 tcp dport 8080 dnat ip to 10.231.1.2:80", true);
	has(s, "meta nfproto ipv4 ip daddr 127.0.0.1 udp dport 5353 dnat ip to 10.231.1.2:53", true);
	has(s, "fib daddr type local jump ports", true);
	has(s, "iifname \"ocitest1\" oifname \"ocitest2\" drop", true);
	has(s, "ip6", false);
	free(s);

	/* portmap masqAll and conditionsV4 */
	char *cond[] = { "-s", "127.0.0.2", "!", "-i", "eth9", NULL };
	e.cond4 = cond;
	e.masq_all = true;
	is_int(net_endpoint_save(&ctx, "web", &e, &err), 0, "endpoint with masqAll and conditions saved");
	is_int(net_firewall_script(&ctx, &s, &err), 0, "script with conditions");
	has(s, "meta nfproto ipv4 ip saddr 127.0.0.2 iifname != \"eth9\" tcp dport 8080 dnat ip to 10.231.1.2:80", true);
	has(s, "oifname \"ocitest1\" ct status dnat ip daddr 10.231.1.2 masquerade", true);
	free(s);
	e.cond4 = NULL;
	e.masq_all = false;

	net_endpoint_remove(&ctx, "web", "c1", NULL);
	is_int(net_firewall_script(&ctx, &s, &err), 0, "script after the endpoint left");
	has(s, "8080", false);
	free(s);

	net_network_free(n);
	net_network_free(ni);
	net_ctx_release(&ctx);
	is_int(oci_rm_rf(dir, NULL), 0, "temporary store removed");
	done_testing();
	return exit_status();
}
