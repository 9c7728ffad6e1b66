/* Port specs: [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]. */
#include <netinet/in.h>
#include <sys/socket.h>

#include "net.h"
#include "tap.h"
#include "util.h"

static void good(const char *spec, const char *canon, int proto, int hp, int cp)
{
	struct net_port p;
	struct oci_err *err = NULL;
	int r = net_port_parse(spec, &p, &err);
	is_int(r, 0, "'%s' parses%s%s", spec, err ? ": " : "", err ? err->msg : "");
	oci_err_free(err);
	if (r < 0)
		return;
	is_int(p.proto, proto, "'%s' protocol", spec);
	is_int(p.host_port, hp, "'%s' host port", spec);
	is_int(p.container_port, cp, "'%s' container port", spec);
	char *s = net_port_str(&p);
	is_str(s, canon, "'%s' prints as '%s'", spec, canon);
	free(s);
}

static void bad(const char *spec, const char *msg)
{
	struct net_port p;
	struct oci_err *err = NULL;
	is_int(net_port_parse(spec, &p, &err), -EINVAL, "'%s' is refused", spec);
	ok(err && strstr(err->msg, msg) && strstr(err->msg, spec), "'%s': error names it: %s", spec,
	   err ? err->msg : "(none)");
	oci_err_free(err);
}

int main(void)
{
	good("8080:80", "8080:80/tcp", IPPROTO_TCP, 8080, 80);
	good("8080:80/tcp", "8080:80/tcp", IPPROTO_TCP, 8080, 80);
	good("53:53/udp", "53:53/udp", IPPROTO_UDP, 53, 53);
	good("127.0.0.1:8080:80", "127.0.0.1:8080:80/tcp", IPPROTO_TCP, 8080, 80);
	good("[::1]:8080:80/udp", "[::1]:8080:80/udp", IPPROTO_UDP, 8080, 80);
	good("65535:1", "65535:1/tcp", IPPROTO_TCP, 65535, 1);
	struct net_port p;
	net_port_parse("10.1.2.3:1:2", &p, NULL);
	is_int(p.host_ip.family, AF_INET, "host IP is IPv4");
	net_port_parse("1:2", &p, NULL);
	is_int(p.host_ip.family, 0, "no host IP: every address");
	bad("80", "expected");
	bad("0:80", "1 to 65535");
	bad("80:65536", "1 to 65535");
	bad("80:http", "container port");
	bad("80:80/sctp", "tcp or udp");
	bad("1.2.3:80:80", "not an IPv4 address");
	bad("[1.2.3.4]:80:80", "not an IPv6 address");
	bad("a:b:c:d", "IPv4");
	bad(":80", "host port");
	/* Port numbers are plain decimal (as Docker's): no sign, blank, hex or
	 * leading zero; strtol took all of these. */
	bad("+80:80", "host port '+80'");
	bad("080:80", "host port '080'");
	bad(" 80:80", "host port ' 80'");
	bad("-80:80", "host port '-80'");
	bad("0x50:80", "host port '0x50'");
	bad("80:+80", "container port '+80'");
	bad("80:080", "container port '080'");
	bad("80:00", "container port '00'");
	bad("80: 80", "container port ' 80'");
	bad("80:80 ", "container port '80 '");
	bad("80:80\t/udp", "container port");
	bad("80:1e2", "container port '1e2'");
	bad("127.0.0.1:+80:80", "host port '+80'");
	bad("[::1]:080:80", "host port '080'");
	bad("18446744073709551696:80", "1 to 65535");
	bad("80:80/ tcp", "tcp or udp");
	bad("127.0.0.01:80:80", "not an IPv4 address");
	good("10:10", "10:10/tcp", IPPROTO_TCP, 10, 10);
	done_testing();
	return exit_status();
}
