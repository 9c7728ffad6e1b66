/* conditionsV4/V6 of the portmap plugin: iptables match arguments turned
 * into nftables expressions; unsupported options are refused by name. */
#include <stdarg.h>
#include <sys/socket.h>

#include "net.h"
#include "tap.h"
#include "util.h"

#define ARGS(...) ((char *const[]){ __VA_ARGS__, NULL })

static void good(int family, char *const *args, const char *want)
{
	char *out = NULL;
	struct oci_err *err = NULL;
	int r = net_port_cond_nft(args, family, &out, &err);
	is_int(r, 0, "'%s ...' translates%s%s", args[0] ? args[0] : "", err ? ": " : "",
	       err ? err->msg : "");
	if (r == 0)
		is_str(out, want, "-> '%s'", want);
	free(out);
	oci_err_free(err);
}

static void bad(int family, char *const *args, const char *msg)
{
	char *out = NULL;
	struct oci_err *err = NULL;
	is_int(net_port_cond_nft(args, family, &out, &err), -EINVAL, "'%s ...' is refused", args[0]);
	ok(err && strstr(err->msg, msg) && !strchr(err->msg, '\n'),
	   "one line naming '%s': %s", msg, err ? err->msg : "(none)");
	free(out);
	oci_err_free(err);
}

int main(void)
{
	char *out = NULL;
	is_int(net_port_cond_nft(NULL, AF_INET, &out, NULL), 0, "no conditions");
	is_str(out, "", "no conditions: an empty expression");
	free(out);

	good(AF_INET, ARGS("-s", "127.0.0.2"), "ip saddr 127.0.0.2");
	good(AF_INET, ARGS("--source", "10.1.2.3/8"), "ip saddr 10.0.0.0/8");
	good(AF_INET, ARGS("--src", "10.1.0.0/16,192.168.1.1"), "ip saddr { 10.1.0.0/16, 192.168.1.1 }");
	good(AF_INET, ARGS("!", "-s", "1.2.3.4"), "ip saddr != 1.2.3.4");
	good(AF_INET, ARGS("-d", "192.0.2.7", "!", "--destination", "192.0.2.0/24"),
	     "ip daddr 192.0.2.7 ip daddr != 192.0.2.0/24");
	good(AF_INET6, ARGS("-s", "fd00::1"), "ip6 saddr fd00::1");
	good(AF_INET6, ARGS("--dst", "fd00:1::/64"), "ip6 daddr fd00:1::/64");
	good(AF_INET, ARGS("-p", "tcp", "--sport", "1024:65535"), "meta l4proto tcp tcp sport 1024-65535");
	good(AF_INET, ARGS("-p", "udp", "-m", "udp", "!", "--dport", "53"),
	     "meta l4proto udp udp dport != 53");
	good(AF_INET, ARGS("!", "-p", "icmp"), "meta l4proto != icmp");
	good(AF_INET6, ARGS("-p", "icmpv6"), "meta l4proto ipv6-icmp");
	good(AF_INET, ARGS("-i", "eth0", "!", "-o", "oci+"), "iifname \"eth0\" oifname != \"oci*\"");
	good(AF_INET, ARGS("--in-interface", "br-1.10"), "iifname \"br-1.10\"");

	bad(AF_INET, ARGS("-j", "ACCEPT"), "'-j' is not supported");
	bad(AF_INET, ARGS("-m", "conntrack", "--ctstate", "NEW"), "'-m conntrack' is not supported");
	bad(AF_INET, ARGS("--ctstate", "NEW"), "'--ctstate' is not supported");
	bad(AF_INET, ARGS("-s"), "'-s' needs a value");
	bad(AF_INET, ARGS("-s", "!"), "'-s' needs a value");
	bad(AF_INET, ARGS("-s", "fd00::1"), "'fd00::1' is not an IPv4 address");
	bad(AF_INET6, ARGS("-d", "10.0.0.1"), "'10.0.0.1' is not an IPv6 address");
	bad(AF_INET, ARGS("-s", "1.2.3.4 counter accept"), "is not an IPv4 address");
	bad(AF_INET, ARGS("--dport", "80"), "'--dport' needs '-p tcp'");
	bad(AF_INET, ARGS("-p", "icmp", "--dport", "80"), "'--dport' needs '-p tcp'");
	bad(AF_INET, ARGS("-p", "tcp", "--dport", "80:70"), "'--dport 80:70'");
	bad(AF_INET, ARGS("-p", "tcp", "--dport", "+80"), "'--dport +80'");
	bad(AF_INET, ARGS("-p", "gre"), "'-p gre' is not supported");
	bad(AF_INET6, ARGS("-p", "icmp"), "'-p icmp' is not supported");
	bad(AF_INET, ARGS("-i", "eth0\" accept"), "not an interface name");
	bad(AF_INET, ARGS("-i", "a+b"), "not an interface name");
	bad(AF_INET, ARGS("-i", "averyveryverylongname"), "not an interface name");
	bad(AF_INET, ARGS("!", "!", "-s", "1.2.3.4"), "'!' twice");
	bad(AF_INET, ARGS("-s", "1.2.3.4", "!"), "'!' at the end");
	bad(AF_INET, ARGS("!", "-m", "tcp"), "'! -m'");
	done_testing();
	return exit_status();
}
