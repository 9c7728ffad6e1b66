/* oci-net: the command line. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "log.h"
#include "net.h"
#include "util.h"

#define PROG "oci-net"

static const char usage_text[] =
	"Usage: oci-net [--store DIR] [--runtime-root DIR] [--default-subnet CIDR] [-v]\n"
	"              COMMAND [ARGS]\n"
	"\n"
	"Container networks: a bridge, veth pairs, addresses, NAT, published ports\n"
	"and name resolution.\n"
	"\n"
	"Commands:\n"
	"  create NAME [--subnet CIDR] [--gateway IP] [--internal] [--ipv6 --subnet6 CIDR\n"
	"         [--gateway6 IP]] [--bridge IFNAME] [--mtu N] [--dns-upstream IP[:PORT]]...\n"
	"         [--no-dns] [--no-masquerade] [--no-hairpin] [--isolate-ports]\n"
	"         [--mac-spoof-check] [--vlan N]  define a network; prints its ID\n"
	"  rm [-f|--force] NAME...                remove networks (with --force also\n"
	"                                         their endpoints)\n"
	"  ls [-q|--quiet] [--format json]        list networks\n"
	"  inspect NAME...                        networks and endpoints as JSON\n"
	"  connect NAME (CONTAINER_ID | --pid PID | --netns PATH) [--ip IP] [--ip6 IP]\n"
	"         [--alias NAME]... [-p [HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]]...\n"
	"         [--name NAME] [--ifname IFNAME] [--mac-address MAC] [--dns IP[:PORT]]...\n"
	"         [--etc-dir DIR] [--vlan N]\n"
	"         [--format json]\n"
	"                                         attach a namespace; prints its address\n"
	"  disconnect NAME (CONTAINER_ID | --pid PID | --netns PATH)\n"
	"  gc [NAME]                              clean up after dead containers\n"
	"  cni (add|del|check|gc|status) CONFLIST [--netns PATH] [--container ID]\n"
	"         [--ifname IFNAME] [--cni-path DIRS] [--args K=V;...]\n"
	"         [--runtime-config JSON] [--valid ID/IFNAME]...\n"
	"                                         run the plugins of a CNI .conflist\n"
	"  hook STAGE [--network NAME] [--etc] [connect options]\n"
	"                                         OCI hook (createRuntime, poststop):\n"
	"                                         reads the state JSON on stdin\n"
	"\n"
	"NAME may be 'none' (loopback only), 'host' (the host's namespace: nothing to do),\n"
	"'bridge' (the default network, created on first use) or a created network.\n"
	"With CNI_COMMAND set, oci-net is a CNI plugin (spec 1.1; 1.0 and 0.4 configs).\n"
	"\n"
	"Options:\n"
	"  --store DIR            the store (default: $OCI_ROOT, /var/lib/oci-tools)\n"
	"  --runtime-root DIR     oci-run's state folder (its --root), to find containers\n"
	"  --default-subnet CIDR  subnet of the default network 'bridge'\n"
	"                         (default: $OCI_NET_DEFAULT_SUBNET, 172.17.0.0/16)\n"
	"  -v, --verbose          more messages (repeatable)\n"
	"  -h, --help             this help\n"
	"  -V, --version          the version\n";

struct cli {
	const char *store;
	const char *runtime_root;
	const char *default_subnet;
	struct net_ctx ctx;
	int argc;
	char **argv;
};

static void __attribute__((noreturn)) die_usage(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));
static void die_usage(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *m = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: error: %s (see 'oci-net --help')\n", PROG, m);
	free(m);
	exit(2);
}

static int fail(struct oci_err *err)
{
	oci_error("%s", err ? err->msg : "unknown error");
	oci_err_free(err);
	return 1;
}

static int ctx_open(struct cli *c, struct oci_err **err)
{
	return net_ctx_init(&c->ctx, c->store, c->default_subnet, err);
}

/* Options of connect, hook and disconnect. */
enum {
	OPT_IP = 1000,
	OPT_IP6,
	OPT_ALIAS,
	OPT_NAME,
	OPT_IFNAME,
	OPT_ETC,
	OPT_PID,
	OPT_NETNS,
	OPT_FORMAT,
	OPT_NETWORK,
	OPT_SUBNET,
	OPT_GATEWAY,
	OPT_SUBNET6,
	OPT_GATEWAY6,
	OPT_INTERNAL,
	OPT_IPV6,
	OPT_BRIDGE,
	OPT_MTU,
	OPT_UPSTREAM,
	OPT_NODNS,
	OPT_LISTEN,
	OPT_PORT,
	OPT_HOSTS,
	OPT_PIDFILE,
	OPT_DOMAIN,
	OPT_READY,
	OPT_CONTAINER,
	OPT_CNIPATH,
	OPT_ARGS,
	OPT_RCONF,
	OPT_VALID,
	OPT_NOMASQ,
	OPT_NOHAIRPIN,
	OPT_ISOLATE,
	OPT_MACSPOOF,
	OPT_WRITE_ETC,
	OPT_DNS,
	OPT_MAC,
	OPT_VLAN,
};

struct conn_args {
	struct net_connect_opts o;
	const char *network;
	const char *format;
	bool write_etc;
	char **aliases;
	char **dns;
	struct net_port *ports;
	size_t n_ports;
	struct net_vlan vlan;
};

static void conn_args_release(struct conn_args *a)
{
	oci_strv_free(a->aliases);
	oci_strv_free(a->dns);
	free(a->ports);
}

static void parse_pid(const char *s, pid_t *ret)
{
	uint64_t v;
	if (net_parse_uint(s, 1, 1 << 22, &v) < 0)
		die_usage("--pid '%s' is not a process ID", s);
	*ret = (pid_t)v;
}

/* Parses connect-style options from argv (argv[0] is the command). */
static void parse_conn(int argc, char **argv, bool want_network, struct conn_args *a, bool hook)
{
	static const struct option lopts[] = {
		{ "ip", required_argument, NULL, OPT_IP },
		{ "ip6", required_argument, NULL, OPT_IP6 },
		{ "alias", required_argument, NULL, OPT_ALIAS },
		{ "publish", required_argument, NULL, 'p' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "ifname", required_argument, NULL, OPT_IFNAME },
		{ "etc-dir", required_argument, NULL, OPT_ETC },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "network", required_argument, NULL, OPT_NETWORK },
		{ "etc", no_argument, NULL, OPT_WRITE_ETC },
		{ "dns", required_argument, NULL, OPT_DNS },
		{ "mac-address", required_argument, NULL, OPT_MAC },
		{ "vlan", required_argument, NULL, OPT_VLAN },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int ch;
	optind = 0;
	while ((ch = getopt_long(argc, argv, "p:h", lopts, NULL)) != -1) {
		switch (ch) {
		case OPT_IP: a->o.ip = optarg; break;
		case OPT_IP6: a->o.ip6 = optarg; break;
		case OPT_ALIAS: oci_strv_push(&a->aliases, optarg); break;
		case 'p': {
			struct net_port p;
			_cleanup_err_ struct oci_err *err = NULL;
			if (net_port_parse(optarg, &p, &err) < 0)
				die_usage("%s", err->msg);
			a->ports = xrealloc(a->ports, (a->n_ports + 1) * sizeof(*a->ports));
			a->ports[a->n_ports++] = p;
			break;
		}
		case OPT_NAME: a->o.name = optarg; break;
		case OPT_IFNAME: a->o.ifname = optarg; break;
		case OPT_ETC: a->o.etc_dir = optarg; break;
		case OPT_PID: parse_pid(optarg, &a->o.target.pid); break;
		case OPT_NETNS: a->o.target.netns = optarg; break;
		case OPT_FORMAT:
			if (!streq(optarg, "json") && !streq(optarg, "text"))
				die_usage("--format must be json or text");
			a->format = optarg;
			break;
		case OPT_NETWORK:
			if (!hook)
				die_usage("unknown option '--network'");
			a->network = optarg;
			break;
		case OPT_DNS: oci_strv_push(&a->dns, optarg); break;
		case OPT_MAC: a->o.mac = optarg; break;
		case OPT_VLAN: {
			uint64_t v;
			if (net_parse_uint(optarg, 0, 4094, &v) < 0)
				die_usage("--vlan '%s' is not a number from 0 to 4094", optarg);
			a->vlan.vid = (unsigned)v;
			a->o.vlan = &a->vlan;
			break;
		}
		case OPT_WRITE_ETC:
			if (!hook)
				die_usage("unknown option '--etc' (use --etc-dir DIR)");
			a->write_etc = true;
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option for '%s'", argv[0]);
		}
	}
	int rest = argc - optind;
	if (want_network) {
		if (rest < 1)
			die_usage("%s: missing network name", argv[0]);
		a->network = argv[optind++];
		rest--;
	}
	if (!hook) {
		if (rest > 1)
			die_usage("%s: too many arguments", argv[0]);
		if (rest == 1)
			a->o.target.container = argv[optind];
		int given = !!a->o.target.container + !!a->o.target.pid + !!a->o.target.netns;
		if (given != 1)
			die_usage("%s: give one of CONTAINER_ID, --pid PID or --netns PATH", argv[0]);
	} else if (rest > 0) {
		die_usage("%s: too many arguments", argv[0]);
	}
	a->o.aliases = a->aliases;
	a->o.dns = a->dns;
	a->o.ports = a->ports;
	a->o.n_ports = a->n_ports;
}

/* "none": loopback up; "host": nothing. */
static int lo_only(void *arg, struct oci_err **err)
{
	(void)arg;
	return net_link_lo_up(err);
}

static int special_network(const char *name, const struct net_target *t, struct oci_err **err,
			   bool *handled)
{
	*handled = true;
	if (streq(name, "host"))
		return 0;
	if (!streq(name, "none")) {
		*handled = false;
		return 0;
	}
	if (t->container && !t->netns && !t->pid)
		return 0;
	_cleanup_close_ int fd = -1;
	uint64_t dev, ino;
	int r = net_netns_open(t, &fd, NULL, &dev, &ino, err);
	if (r < 0)
		return r;
	return net_in_netns(fd, lo_only, NULL, err);
}

static void print_endpoint(const struct net_endpoint *e, const char *format)
{
	if (format && streq(format, "json")) {
		json_auto_t *j = net_endpoint_to_json(e);
		_cleanup_free_ char *s = oci_json_dumps(j);
		fputs(s, stdout);
		fputc('\n', stdout);
		return;
	}
	_cleanup_free_ char *ip = net_cidr_str(&e->ip, false);
	printf("%s\n", ip);
}

static int cmd_connect(struct cli *c)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct conn_args a = { 0 };
	parse_conn(c->argc, c->argv, true, &a, false);
	a.o.target.runtime_root = c->runtime_root;
	bool handled;
	int r = special_network(a.network, &a.o.target, &err, &handled);
	if (handled) {
		conn_args_release(&a);
		return r < 0 ? fail(TAKE_PTR(err)) : 0;
	}
	_cleanup_(net_endpoint_freep) struct net_endpoint *e = NULL;
	if ((r = ctx_open(c, &err)) >= 0)
		r = net_connect(&c->ctx, a.network, &a.o, &e, &err);
	if (r >= 0)
		print_endpoint(e, a.format);
	conn_args_release(&a);
	return r < 0 ? fail(TAKE_PTR(err)) : 0;
}

static int cmd_disconnect(struct cli *c)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct conn_args a = { 0 };
	parse_conn(c->argc, c->argv, true, &a, false);
	bool handled;
	int r = special_network(a.network, &a.o.target, &err, &handled);
	if (!handled) {
		if ((r = ctx_open(c, &err)) >= 0)
			r = net_disconnect(&c->ctx, a.network, &a.o.target, a.o.ifname, false, &err);
	}
	conn_args_release(&a);
	return r < 0 ? fail(TAKE_PTR(err)) : 0;
}

static int cmd_create(struct cli *c)
{
	static const struct option lopts[] = {
		{ "subnet", required_argument, NULL, OPT_SUBNET },
		{ "gateway", required_argument, NULL, OPT_GATEWAY },
		{ "subnet6", required_argument, NULL, OPT_SUBNET6 },
		{ "gateway6", required_argument, NULL, OPT_GATEWAY6 },
		{ "internal", no_argument, NULL, OPT_INTERNAL },
		{ "ipv6", no_argument, NULL, OPT_IPV6 },
		{ "bridge", required_argument, NULL, OPT_BRIDGE },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "dns-upstream", required_argument, NULL, OPT_UPSTREAM },
		{ "no-dns", no_argument, NULL, OPT_NODNS },
		{ "no-masquerade", no_argument, NULL, OPT_NOMASQ },
		{ "no-hairpin", no_argument, NULL, OPT_NOHAIRPIN },
		{ "isolate-ports", no_argument, NULL, OPT_ISOLATE },
		{ "mac-spoof-check", no_argument, NULL, OPT_MACSPOOF },
		{ "vlan", required_argument, NULL, OPT_VLAN },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct net_create_opts o = { 0 };
	_cleanup_strv_ char **ups = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(c->argc, c->argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case OPT_SUBNET: o.subnet = optarg; break;
		case OPT_GATEWAY: o.gateway = optarg; break;
		case OPT_SUBNET6: o.subnet6 = optarg; break;
		case OPT_GATEWAY6: o.gateway6 = optarg; break;
		case OPT_INTERNAL: o.internal = true; break;
		case OPT_IPV6: o.ipv6 = true; break;
		case OPT_BRIDGE: o.bridge = optarg; break;
		case OPT_NODNS: o.no_dns = true; break;
		case OPT_NOMASQ: o.no_masquerade = true; break;
		case OPT_NOHAIRPIN: o.no_hairpin = true; break;
		case OPT_ISOLATE: o.isolate_ports = true; break;
		case OPT_MACSPOOF: o.mac_spoof_check = true; break;
		case OPT_UPSTREAM: oci_strv_push(&ups, optarg); break;
		case OPT_MTU: {
			uint64_t v;
			if (net_parse_uint(optarg, 68, 65535, &v) < 0)
				die_usage("--mtu '%s' is not a number from 68 to 65535", optarg);
			o.mtu = (unsigned)v;
			break;
		}
		case OPT_VLAN: {
			uint64_t v;
			if (net_parse_uint(optarg, 1, 4094, &v) < 0)
				die_usage("--vlan '%s' is not a number from 1 to 4094", optarg);
			o.vlan = (unsigned)v;
			break;
		}
		case 'h': fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option for 'create'");
		}
	}
	if (c->argc - optind != 1)
		die_usage("create: expected one network name");
	const char *name = c->argv[optind];
	if (streq(name, "none") || streq(name, "host"))
		die_usage("create: '%s' is a reserved network name", name);
	o.dns_upstreams = ups;
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	int r = ctx_open(c, &err);
	if (r >= 0)
		r = net_ctx_lock(&c->ctx, &err);
	if (r >= 0) {
		_cleanup_(net_network_freep) struct net_network *old = NULL;
		if (net_network_load(&c->ctx, name, &old, NULL) == 0)
			r = oci_err_set(&err, EEXIST, "network '%s' already exists", name);
	}
	if (r >= 0)
		r = net_network_new(&c->ctx, name, &o, &n, &err);
	if (r >= 0)
		r = net_network_save(&c->ctx, n, &err);
	if (r >= 0 && n->internal)
		r = net_firewall_sync(&c->ctx, &err);
	if (r < 0)
		return fail(TAKE_PTR(err));
	printf("%s\n", n->id);
	return 0;
}

static int cmd_rm(struct cli *c)
{
	static const struct option lopts[] = {
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool force = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(c->argc, c->argv, "fh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'f': force = true; break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option for 'rm'");
		}
	}
	if (optind >= c->argc)
		die_usage("rm: missing network name");
	_cleanup_err_ struct oci_err *err = NULL;
	if (ctx_open(c, &err) < 0)
		return fail(TAKE_PTR(err));
	int status = 0;
	for (int i = optind; i < c->argc; i++) {
		if (net_remove(&c->ctx, c->argv[i], force, &err) < 0) {
			fail(TAKE_PTR(err));
			status = 1;
		}
	}
	return status;
}

static json_t *inspect_one(struct net_ctx *ctx, const char *name, struct oci_err **err)
{
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	if (net_network_load(ctx, name, &n, err) < 0 || net_endpoints_load(ctx, name, &eps, err) < 0)
		return NULL;
	json_t *j = net_network_to_json(n);
	json_t *a = json_array();
	for (struct net_endpoint **e = eps; *e; e++)
		json_array_append_new(a, net_endpoint_to_json(*e));
	json_object_set_new(j, "endpoints", a);
	return j;
}

static int cmd_ls(struct cli *c)
{
	static const struct option lopts[] = {
		{ "quiet", no_argument, NULL, 'q' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool quiet = false, json = false;
	int ch;
	optind = 0;
	while ((ch = getopt_long(c->argc, c->argv, "qh", lopts, NULL)) != -1) {
		switch (ch) {
		case 'q': quiet = true; break;
		case OPT_FORMAT:
			if (!streq(optarg, "json") && !streq(optarg, "text"))
				die_usage("--format must be json or text");
			json = streq(optarg, "json");
			break;
		case 'h': fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option for 'ls'");
		}
	}
	if (optind != c->argc)
		die_usage("ls: too many arguments");
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_strv_ char **names = NULL;
	if (ctx_open(c, &err) < 0 || net_network_list(&c->ctx, &names, &err) < 0)
		return fail(TAKE_PTR(err));
	json_auto_t *arr = json_array();
	if (!quiet && !json)
		printf("%-20s %-16s %-20s %-9s %s\n", "NAME", "BRIDGE", "SUBNET", "INTERNAL",
		       "ENDPOINTS");
	for (char **p = names; *p; p++) {
		_cleanup_(net_network_freep) struct net_network *n = NULL;
		_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
		if (net_network_load(&c->ctx, *p, &n, &err) < 0 ||
		    net_endpoints_load(&c->ctx, *p, &eps, &err) < 0)
			return fail(TAKE_PTR(err));
		size_t cnt = 0;
		for (struct net_endpoint **e = eps; *e; e++)
			cnt++;
		if (json) {
			json_t *j = net_network_to_json(n);
			json_object_set_new(j, "endpointCount", json_integer((json_int_t)cnt));
			json_array_append_new(arr, j);
		} else if (quiet) {
			printf("%s\n", n->name);
		} else {
			_cleanup_free_ char *s = net_cidr_str(&n->subnet, true);
			printf("%-20s %-16s %-20s %-9s %zu\n", n->name, n->bridge, s,
			       n->internal ? "yes" : "no", cnt);
		}
	}
	if (json) {
		_cleanup_free_ char *s = oci_json_dumps(arr);
		printf("%s\n", s);
	}
	return 0;
}

static int cmd_inspect(struct cli *c)
{
	if (c->argc < 2)
		die_usage("inspect: missing network name");
	if (c->argv[1][0] == '-') {
		if (streq(c->argv[1], "--help") || streq(c->argv[1], "-h")) {
			fputs(usage_text, stdout);
			return 0;
		}
		die_usage("inspect: unknown option '%s'", c->argv[1]);
	}
	_cleanup_err_ struct oci_err *err = NULL;
	if (ctx_open(c, &err) < 0)
		return fail(TAKE_PTR(err));
	json_auto_t *arr = json_array();
	int status = 0;
	for (int i = 1; i < c->argc; i++) {
		json_t *j = inspect_one(&c->ctx, c->argv[i], &err);
		if (!j) {
			fail(TAKE_PTR(err));
			status = 1;
			continue;
		}
		json_array_append_new(arr, j);
	}
	_cleanup_free_ char *s = oci_json_dumps(arr);
	printf("%s\n", s);
	return status;
}

static int cmd_gc(struct cli *c)
{
	if (c->argc > 2)
		die_usage("gc: too many arguments");
	if (c->argc == 2 && c->argv[1][0] == '-')
		die_usage("gc: unknown option '%s'", c->argv[1]);
	_cleanup_err_ struct oci_err *err = NULL;
	int removed = 0;
	if (ctx_open(c, &err) < 0 ||
	    net_gc(&c->ctx, c->argc == 2 ? c->argv[1] : NULL, &removed, &err) < 0)
		return fail(TAKE_PTR(err));
	oci_info("removed %d stale endpoint%s", removed, removed == 1 ? "" : "s");
	return 0;
}

static int cmd_cni(struct cli *c)
{
	static const struct option lopts[] = {
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ "ifname", required_argument, NULL, OPT_IFNAME },
		{ "cni-path", required_argument, NULL, OPT_CNIPATH },
		{ "args", required_argument, NULL, OPT_ARGS },
		{ "runtime-config", required_argument, NULL, OPT_RCONF },
		{ "valid", required_argument, NULL, OPT_VALID },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct net_cnirun_opts o = { .ifname = "eth0" };
	json_auto_t *rc = NULL;
	json_auto_t *valid = NULL;
	int ch;
	optind = 0;
	while ((ch = getopt_long(c->argc, c->argv, "h", lopts, NULL)) != -1) {
		switch (ch) {
		case OPT_NETNS: o.netns = optarg; break;
		case OPT_CONTAINER: o.container = optarg; break;
		case OPT_IFNAME: o.ifname = optarg; break;
		case OPT_CNIPATH: o.cni_path = optarg; break;
		case OPT_ARGS: o.args = optarg; break;
		case OPT_RCONF: {
			json_error_t je;
			json_decref(rc);
			rc = json_loads(optarg, JSON_REJECT_DUPLICATES, &je);
			if (!json_is_object(rc))
				die_usage("--runtime-config: expected a JSON object (%s)", je.text);
			break;
		}
		case OPT_VALID: {
			char *slash = strchr(optarg, '/');
			if (!slash || slash == optarg || !slash[1])
				die_usage("--valid '%s': expected CONTAINER_ID/IFNAME", optarg);
			if (!valid)
				valid = json_array();
			json_t *a = json_object();
			json_object_set_new(a, "containerID", json_stringn(optarg, (size_t)(slash - optarg)));
			json_object_set_new(a, "ifname", json_string(slash + 1));
			json_array_append_new(valid, a);
			break;
		}
		case 'h': fputs(usage_text, stdout); exit(0);
		default: die_usage("bad option for 'cni'");
		}
	}
	if (c->argc - optind != 2)
		die_usage("cni: expected a command (add, del, check, gc, status) and a conflist");
	static const char *const cmds[][2] = { { "add", "ADD" }, { "del", "DEL" }, { "check", "CHECK" },
					       { "gc", "GC" }, { "status", "STATUS" } };
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (streq(c->argv[optind], cmds[i][0]))
			o.command = cmds[i][1];
	if (!o.command)
		die_usage("cni: unknown command '%s'", c->argv[optind]);
	o.conflist = c->argv[optind + 1];
	bool needs = streq(o.command, "ADD") || streq(o.command, "DEL") || streq(o.command, "CHECK");
	if (needs && !o.container)
		die_usage("cni %s: --container is required", c->argv[optind]);
	if (needs && !o.netns && !streq(o.command, "DEL"))
		die_usage("cni %s: --netns is required", c->argv[optind]);
	if (!o.cni_path)
		o.cni_path = getenv("CNI_PATH") ? getenv("CNI_PATH") : "/usr/lib/cni:/opt/cni/bin";
	o.runtime_config = rc;
	o.valid = valid;
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_free_ char *res = NULL;
	if (ctx_open(c, &err) < 0 || net_cnirun(&c->ctx, &o, &res, &err) < 0)
		return fail(TAKE_PTR(err));
	if (res)
		printf("%s\n", res);
	return 0;
}

static int cmd_hook(struct cli *c)
{
	if (c->argc < 2)
		die_usage("hook: missing stage (createRuntime, poststop)");
	struct conn_args a = { 0 };
	parse_conn(c->argc - 1, c->argv + 1, false, &a, true);
	struct net_hook_opts ho = { .stage = c->argv[1], .network = a.network, .connect = a.o,
				    .write_etc = a.write_etc };
	if (!ho.network)
		ho.network = NET_DEFAULT_NAME;
	_cleanup_err_ struct oci_err *err = NULL;
	int r = ctx_open(c, &err);
	if (r >= 0)
		r = net_hook_run(&c->ctx, &ho, 0, &err);
	conn_args_release(&a);
	return r < 0 ? fail(TAKE_PTR(err)) : 0;
}

static int cmd_dns_serve(struct cli *c)
{
	static const struct option lopts[] = {
		{ "listen", required_argument, NULL, OPT_LISTEN },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "hosts", required_argument, NULL, OPT_HOSTS },
		{ "pid-file", required_argument, NULL, OPT_PIDFILE },
		{ "upstream", required_argument, NULL, OPT_UPSTREAM },
		{ "domain", required_argument, NULL, OPT_DOMAIN },
		{ "ready-fd", required_argument, NULL, OPT_READY },
		{ 0 },
	};
	struct net_dns_serve_opts o = { .ready_fd = -1 };
	_cleanup_strv_ char **ups = NULL;
	_cleanup_strv_ char **listen = NULL;
	int ch;
	uint64_t v;
	optind = 0;
	while ((ch = getopt_long(c->argc, c->argv, "+", lopts, NULL)) != -1) {
		switch (ch) {
		case OPT_LISTEN: oci_strv_push(&listen, optarg); break;
		case OPT_PORT:
			if (net_parse_uint(optarg, 1, 65535, &v) < 0)
				die_usage("--port '%s' is not a number from 1 to 65535", optarg);
			o.listen_port = (int)v;
			break;
		case OPT_HOSTS: o.hosts_file = optarg; break;
		case OPT_PIDFILE: o.pid_file = optarg; break;
		case OPT_UPSTREAM: oci_strv_push(&ups, optarg); break;
		case OPT_DOMAIN: o.domain = optarg; break;
		case OPT_READY:
			if (net_parse_uint(optarg, 0, 1 << 20, &v) < 0)
				die_usage("--ready-fd '%s' is not a file descriptor", optarg);
			o.ready_fd = (int)v;
			break;
		default: die_usage("bad option for 'dns-serve'");
		}
	}
	o.listen = listen;
	if (!o.listen || !o.hosts_file)
		die_usage("dns-serve: --listen and --hosts are required");
	o.upstreams = ups;
	_cleanup_err_ struct oci_err *err = NULL;
	if (net_dns_serve(&o, &err) < 0)
		return fail(TAKE_PTR(err));
	return 0;
}

static int cmd_firewall(struct cli *c)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_free_ char *s = NULL;
	if (ctx_open(c, &err) < 0 || net_firewall_script(&c->ctx, &s, &err) < 0)
		return fail(TAKE_PTR(err));
	fputs(s, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	oci_log_init(PROG);
	if (getenv("CNI_COMMAND"))
		return net_cni_main(getenv("OCI_ROOT"), getenv, 0, 1);
	static const struct option lopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "default-subnet", required_argument, NULL, 'S' },
		{ "runtime-root", required_argument, NULL, 'R' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ 0 },
	};
	struct cli c = { .default_subnet = getenv("OCI_NET_DEFAULT_SUBNET"), .ctx.lock_fd = -1 };
	int ch, verbose = 0;
	while ((ch = getopt_long(argc, argv, "+vhV", lopts, NULL)) != -1) {
		switch (ch) {
		case 's': c.store = optarg; break;
		case 'S': c.default_subnet = optarg; break;
		case 'R': c.runtime_root = optarg; break;
		case 'v': verbose++; break;
		case 'h': fputs(usage_text, stdout); return 0;
		case 'V': printf("%s %s\n", PROG, OCI_TOOLS_VERSION); return 0;
		default: die_usage("unknown option");
		}
	}
	oci_log_set_level(verbose >= 2 ? OCI_LOG_DEBUG : verbose ? OCI_LOG_INFO : OCI_LOG_WARN);
	if (optind >= argc)
		die_usage("missing command");
	c.argc = argc - optind;
	c.argv = argv + optind;
	const char *cmd = c.argv[0];
	static const struct {
		const char *name;
		int (*fn)(struct cli *);
	} cmds[] = {
		{ "create", cmd_create },   { "rm", cmd_rm },
		{ "ls", cmd_ls },           { "inspect", cmd_inspect },
		{ "connect", cmd_connect }, { "disconnect", cmd_disconnect },
		{ "gc", cmd_gc },           { "hook", cmd_hook },
		{ "cni", cmd_cni },
		{ "dns-serve", cmd_dns_serve }, { "firewall-script", cmd_firewall },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
		if (streq(cmds[i].name, cmd)) {
			int r = cmds[i].fn(&c);
			net_ctx_release(&c.ctx);
			return r;
		}
	}
	die_usage("unknown command '%s'", cmd);
}
