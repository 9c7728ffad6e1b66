/* CNI plugin mode (spec 1.1; configurations of 1.0.x, 0.4.0 and 0.3.x are
 * accepted and answered in their own result format). The network config
 * arrives on stdin, the rest in CNI_* variables; the result or an error
 * document goes to stdout.
 *
 * Plugin fields: "name" (the oci-net network), "bridge", "mtu", "ipMasq"
 * (false makes the network internal), "isGateway", "dnsServer" (run the
 * network's DNS server; default false), "ipam": {"type": "host-local" or
 * "oci-net", "subnet", "gateway", "ranges": [[{"subnet", "gateway"}]]};
 * "vlan", "vlanTrunk", "preserveDefaultVlan" (bridge plugin), "masqAll",
 * "conditionsV4", "conditionsV6" (portmap plugin);
 * runtimeConfig (capabilities): "portMappings", "ips", "aliases". */
#include <jansson.h>
#include <netlink/socket.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "exec.h"
#include "fs.h"
#include "json.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

#define CNI_VERSION "1.1.0"

enum {
	CNI_ERR_VERSION = 1,
	CNI_ERR_FIELD = 2,
	CNI_ERR_UNKNOWN_CONTAINER = 3,
	CNI_ERR_ENV = 4,
	CNI_ERR_IO = 5,
	CNI_ERR_DECODE = 6,
	CNI_ERR_CONFIG = 7,
	CNI_ERR_TRY_LATER = 11,
};

static const char *const supported[] = { "0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0", NULL };

struct cni {
	char *(*getenv_fn)(const char *);
	const char *raw; /* the configuration as received */
	int out_fd;
	const char *version; /* of the config */
	const char *command;
	const char *container;
	const char *netns;
	const char *ifname;
};

static int emit(struct cni *c, json_t *j)
{
	_cleanup_free_ char *d = oci_json_dumps(j);
	_cleanup_free_ char *s = xasprintf("%s\n", d);
	size_t len = strlen(s);
	const char *p = s;
	while (len) {
		ssize_t n = write(c->out_fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return 1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static int cni_error(struct cni *c, int code, const char *msg, const char *details)
{
	json_auto_t *j = json_object();
	json_object_set_new(j, "cniVersion", json_string(c->version ? c->version : CNI_VERSION));
	json_object_set_new(j, "code", json_integer(code));
	json_object_set_new(j, "msg", json_string(msg));
	if (details)
		json_object_set_new(j, "details", json_string(details));
	emit(c, j);
	return 1;
}

static int cni_fail(struct cni *c, int code, const char *msg, struct oci_err *err)
{
	int r = cni_error(c, code, msg, err ? err->msg : NULL);
	oci_err_free(err);
	return r;
}

static bool version_supported(const char *v)
{
	for (const char *const *p = supported; *p; p++)
		if (streq(*p, v))
			return true;
	return false;
}

static bool version_pre_040(const char *v)
{
	return startswith(v, "0.1.") || startswith(v, "0.2.") || startswith(v, "0.3.");
}

static bool version_pre_100(const char *v)
{
	return startswith(v, "0.");
}


/* The IPAM plugin to delegate to: ipam.type found in CNI_PATH. Returns 1 with
 * *ret set, 0 when the address management is ours ("oci-net", none, or
 * "host-local" when no such plugin is installed), <0 on error. */
static int ipam_plugin(struct cni *c, json_t *conf, char **ret)
{
	const char *type = json_string_value(json_object_get(json_object_get(conf, "ipam"), "type"));
	*ret = NULL;
	if (!type || streq(type, "oci-net"))
		return 0;
	if (strchr(type, '/') || type[0] == '.')
		return -EINVAL;
	const char *path = c->getenv_fn("CNI_PATH");
	_cleanup_free_ char *dirs = xstrdup(path ? path : "");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *f = xasprintf("%s/%s", d, type);
		if (access(f, X_OK) == 0) {
			*ret = TAKE_PTR(f);
			return 1;
		}
	}
	return streq(type, "host-local") ? 0 : -ENOENT;
}

/* Runs a delegated plugin with the configuration on stdin and the command
 * given (the other CNI_* variables are inherited); *ret_out gets stdout. */
static int run_plugin(struct cni *c, const char *path, const char *command, char **ret_out,
		      int *ret_status)
{
	char *argv[] = { (char *)path, NULL };
	const struct oci_exec_var env[] = { { "CNI_COMMAND", command } };
	struct oci_exec x = { .argv = argv, .env = env, .n_env = ARRAY_SIZE(env), .in = c->raw,
			      .in_len = strlen(c->raw), .out_mode = OCI_EXEC_CAPTURE,
			      .max_capture = 4u << 20 };
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	_cleanup_err_ struct oci_err *err = NULL;
	int r = oci_exec_run(&x, &res, &err);
	if (r < 0)
		return r;
	*ret_status = res.status;
	*ret_out = TAKE_PTR(res.out);
	return 0;
}

/* An IPAM plugin's error passed on as ours (or a generic one). */
static int ipam_error(struct cni *c, const char *type, const char *out, int status)
{
	json_auto_t *j = json_loads(out, 0, NULL);
	if (json_is_object(j) && json_object_get(j, "code")) {
		emit(c, j);
		return 1;
	}
	_cleanup_free_ char *d = xasprintf("IPAM plugin '%s' exited with status %d", type, status);
	return cni_error(c, CNI_ERR_IO, "IPAM failed", d);
}

/* The subnet and gateway of the config: ipam.ranges[0][0], ipam.subnet or "subnet". */
static void conf_subnet(json_t *conf, const char **subnet, const char **gateway)
{
	json_t *ipam = json_object_get(conf, "ipam");
	json_t *ranges = json_object_get(ipam, "ranges");
	json_t *r0 = json_array_get(json_array_get(ranges, 0), 0);
	*subnet = json_string_value(json_object_get(r0, "subnet"));
	*gateway = json_string_value(json_object_get(r0, "gateway"));
	if (!*subnet) {
		*subnet = json_string_value(json_object_get(ipam, "subnet"));
		*gateway = json_string_value(json_object_get(ipam, "gateway"));
	}
	if (!*subnet) {
		*subnet = json_string_value(json_object_get(conf, "subnet"));
		*gateway = json_string_value(json_object_get(conf, "gateway"));
	}
}

static int ensure_network(struct net_ctx *ctx, json_t *conf, const char *name,
			  const char *subnet_override, const char *gateway_override, unsigned vlan,
			  struct oci_err **err)
{
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	int r = net_ctx_lock(ctx, err);
	if (r < 0)
		return r;
	r = net_network_load(ctx, name, &n, err);
	if (r != -ENOENT)
		return r;
	oci_err_clear(err);
	struct net_create_opts o = { 0 };
	conf_subnet(conf, &o.subnet, &o.gateway);
	if (subnet_override) {
		o.subnet = subnet_override;
		o.gateway = gateway_override;
	}
	/* An IPv6 range set (ranges[1], host-local style) makes it dual-stack. */
	json_t *r6 = json_array_get(json_array_get(json_object_get(json_object_get(conf, "ipam"),
								    "ranges"), 1), 0);
	const char *s6 = json_string_value(json_object_get(r6, "subnet"));
	if (s6 && strchr(s6, ':') && !subnet_override) {
		o.ipv6 = true;
		o.subnet6 = s6;
		o.gateway6 = json_string_value(json_object_get(r6, "gateway"));
	}
	o.bridge = json_string_value(json_object_get(conf, "bridge"));
	json_t *masq = json_object_get(conf, "ipMasq");
	json_t *gw = json_object_get(conf, "isGateway");
	/* Without masquerade and without a gateway there is no way out. */
	o.internal = json_is_false(masq) && json_is_false(gw);
	o.no_masquerade = json_is_false(masq);
	o.no_hairpin = json_is_false(json_object_get(conf, "hairpinMode"));
	o.isolate_ports = json_is_true(json_object_get(conf, "portIsolation"));
	o.mac_spoof_check = json_is_true(json_object_get(conf, "macspoofchk"));
	/* ipam.routes (host-local): those instead of the default route, unless
	 * isDefaultGateway asks for it too. */
	json_t *iroutes = json_object_get(json_object_get(conf, "ipam"), "routes");
	_cleanup_strv_ char **routes = NULL;
	for (size_t i = 0; i < json_array_size(iroutes); i++) {
		const char *dst = json_string_value(json_object_get(json_array_get(iroutes, i), "dst"));
		if (dst)
			oci_strv_push(&routes, dst);
	}
	if (routes && json_is_true(json_object_get(conf, "isDefaultGateway"))) {
		oci_strv_push(&routes, "0.0.0.0/0");
		oci_strv_push(&routes, "::/0");
	}
	o.routes = routes;
	/* runtimeConfig.ipRanges (capability) picks the subnet of a new network. */
	json_t *ipr = json_array_get(json_array_get(
		json_object_get(json_object_get(conf, "runtimeConfig"), "ipRanges"), 0), 0);
	if (json_is_string(json_object_get(ipr, "subnet")) && !subnet_override) {
		o.subnet = json_string_value(json_object_get(ipr, "subnet"));
		o.gateway = json_string_value(json_object_get(ipr, "gateway"));
	}
	o.no_dns = !json_is_true(json_object_get(conf, "dnsServer"));
	json_int_t mtu = json_integer_value(json_object_get(conf, "mtu"));
	if (mtu > 0 && mtu <= 65535)
		o.mtu = (unsigned)mtu;
	/* vlan: the gateway (the bridge's own port) is in it too. */
	o.vlan = vlan;
	if ((r = net_network_new(ctx, name, &o, &n, err)) < 0 ||
	    (r = net_network_save(ctx, n, err)) < 0)
		return r;
	return 0;
}

static json_t *ip_json(struct cni *c, const struct net_cidr *ip, const struct net_cidr *gw,
		       int iface)
{
	json_t *j = json_object();
	char *s = net_cidr_str(ip, true);
	json_object_set_new(j, "address", json_string(s));
	free(s);
	s = net_cidr_str(gw, false);
	json_object_set_new(j, "gateway", json_string(s));
	free(s);
	json_object_set_new(j, "interface", json_integer(iface));
	if (version_pre_100(c->version))
		json_object_set_new(j, "version", json_string(ip->family == AF_INET ? "4" : "6"));
	return j;
}

static json_t *iface_json(const char *name, const char *mac, const char *sandbox)
{
	json_t *j = json_object();
	json_object_set_new(j, "name", json_string(name));
	if (mac)
		json_object_set_new(j, "mac", json_string(mac));
	if (sandbox)
		json_object_set_new(j, "sandbox", json_string(sandbox));
	return j;
}

static json_t *result_json(struct cni *c, json_t *prev, json_t *rdns, const struct net_network *n,
			   const struct net_endpoint *e)
{
	json_t *res = prev ? json_deep_copy(prev) : json_object();
	json_object_set_new(res, "cniVersion", json_string(c->version));
	json_t *ifs = json_object_get(res, "interfaces");
	if (!json_is_array(ifs)) {
		ifs = json_array();
		json_object_set_new(res, "interfaces", ifs);
	}
	json_t *ips = json_object_get(res, "ips");
	if (!json_is_array(ips)) {
		ips = json_array();
		json_object_set_new(res, "ips", ips);
	}
	json_t *routes = json_object_get(res, "routes");
	if (!json_is_array(routes)) {
		routes = json_array();
		json_object_set_new(res, "routes", routes);
	}
	size_t base = json_array_size(ifs);
	json_array_append_new(ifs, iface_json(n->bridge, NULL, NULL));
	json_array_append_new(ifs, iface_json(e->host_ifname, NULL, NULL));
	json_array_append_new(ifs, iface_json(e->ifname, e->mac, c->netns));
	json_array_append_new(ips, ip_json(c, &e->ip, &n->gateway, (int)base + 2));
	if (e->ip6.family)
		json_array_append_new(ips, ip_json(c, &e->ip6, &n->gateway6, (int)base + 2));
	if (!n->internal && n->routes) {
		for (char **p = n->routes; *p; p++) {
			bool v6 = strchr(*p, ':') != NULL;
			if (v6 && !e->ip6.family)
				continue;
			json_t *r = json_object();
			_cleanup_free_ char *gw = net_cidr_str(v6 ? &n->gateway6 : &n->gateway, false);
			json_object_set_new(r, "dst", json_string(*p));
			json_object_set_new(r, "gw", json_string(gw));
			json_array_append_new(routes, r);
		}
	} else if (!n->internal) {
		json_t *r = json_object();
		_cleanup_free_ char *gw = net_cidr_str(&n->gateway, false);
		json_object_set_new(r, "dst", json_string("0.0.0.0/0"));
		json_object_set_new(r, "gw", json_string(gw));
		json_array_append_new(routes, r);
		if (e->ip6.family) {
			_cleanup_free_ char *gw6 = net_cidr_str(&n->gateway6, false);
			r = json_object();
			json_object_set_new(r, "dst", json_string("::/0"));
			json_object_set_new(r, "gw", json_string(gw6));
			json_array_append_new(routes, r);
		}
	}
	json_t *dns = json_object_get(res, "dns");
	if (!json_is_object(dns)) {
		dns = json_object();
		json_object_set_new(res, "dns", dns);
	}
	if (n->dns) {
		_cleanup_free_ char *gw = net_cidr_str(&n->gateway, false);
		json_t *ns = json_array();
		json_array_append_new(ns, json_string(gw));
		json_object_set_new(dns, "nameservers", ns);
	}
	/* runtimeConfig.dns (capability): passed on in the result. */
	if (json_is_object(rdns)) {
		json_t *sv = json_object_get(rdns, "servers");
		if (json_is_array(sv))
			json_object_set(dns, "nameservers", sv);
		json_t *se = json_object_get(rdns, "searches");
		if (json_is_array(se))
			json_object_set(dns, "search", se);
		json_t *op = json_object_get(rdns, "options");
		if (json_is_array(op))
			json_object_set(dns, "options", op);
	}
	return res;
}

/* The value of KEY in CNI_ARGS ("K1=V1;K2=V2"), or NULL. Caller frees. */
static char *cni_arg(struct cni *c, const char *key)
{
	const char *args = c->getenv_fn("CNI_ARGS");
	if (!args)
		return NULL;
	_cleanup_free_ char *copy = xstrdup(args);
	char *save = NULL;
	size_t kl = strlen(key);
	for (char *kv = strtok_r(copy, ";", &save); kv; kv = strtok_r(NULL, ";", &save))
		if (strncmp(kv, key, kl) == 0 && kv[kl] == '=')
			return xstrdup(kv + kl + 1);
	return NULL;
}

/* runtimeConfig.portMappings: [{hostPort, containerPort, protocol, hostIP}]. */
static int parse_port_mappings(json_t *rc, struct net_port **ret, size_t *ret_n,
			       struct oci_err **err)
{
	json_t *pm = json_object_get(rc, "portMappings");
	size_t n = json_array_size(pm);
	*ret = NULL;
	*ret_n = 0;
	if (!n)
		return 0;
	_cleanup_free_ struct net_port *ports = xcalloc(n, sizeof(*ports));
	for (size_t i = 0; i < n; i++) {
		json_t *m = json_array_get(pm, i);
		json_int_t hp = json_integer_value(json_object_get(m, "hostPort"));
		json_int_t cp = json_integer_value(json_object_get(m, "containerPort"));
		const char *proto = json_string_value(json_object_get(m, "protocol"));
		const char *hip = json_string_value(json_object_get(m, "hostIP"));
		_cleanup_free_ char *spec = NULL;
		if (hip && *hip)
			spec = xasprintf(strchr(hip, ':') ? "[%s]:%lld:%lld/%s" : "%s:%lld:%lld/%s", hip,
					 (long long)hp, (long long)cp, proto ? proto : "tcp");
		else
			spec = xasprintf("%lld:%lld/%s", (long long)hp, (long long)cp,
					 proto ? proto : "tcp");
		if (net_port_parse(spec, &ports[i], err) < 0)
			return oci_err_wrap(err, "runtimeConfig.portMappings[%zu]", i);
	}
	*ret = TAKE_PTR(ports);
	*ret_n = n;
	return 0;
}

/* conditionsV4 / conditionsV6: a list of strings (iptables match arguments). */
static int parse_conditions(json_t *conf, const char *key, int family, char ***ret,
			    struct oci_err **err)
{
	json_t *a = json_object_get(conf, key);
	*ret = NULL;
	if (!a || json_is_null(a))
		return 0;
	if (!json_is_array(a))
		return oci_err_set(err, EINVAL, "%s must be a list of strings", key);
	_cleanup_strv_ char **v = NULL;
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (!json_is_string(json_array_get(a, i)))
			return oci_err_set(err, EINVAL, "%s[%zu] must be a string", key, i);
		oci_strv_push(&v, json_string_value(json_array_get(a, i)));
	}
	_cleanup_free_ char *nft = NULL;
	if (net_port_cond_nft(v, family, &nft, err) < 0)
		return oci_err_wrap(err, "%s", key);
	*ret = TAKE_PTR(v);
	return 0;
}

static int cmd_add(struct cni *c, struct net_ctx *ctx, json_t *conf, const char *name)
{
	_cleanup_err_ struct oci_err *err = NULL;
	if (!c->netns || !*c->netns)
		return cni_error(c, CNI_ERR_ENV, "CNI_NETNS is required for ADD", NULL);
	/* The bridge plugin's vlan, vlanTrunk, preserveDefaultVlan; the portmap
	 * plugin's masqAll, conditionsV4, conditionsV6. */
	_cleanup_(net_vlan_release) struct net_vlan vlan = { 0 };
	_cleanup_strv_ char **cond4 = NULL, **cond6 = NULL;
	json_t *masq_all = json_object_get(conf, "masqAll");
	if (net_vlan_from_cni(conf, &vlan, &err) < 0)
		return cni_fail(c, CNI_ERR_CONFIG, "invalid VLAN configuration", TAKE_PTR(err));
	if (parse_conditions(conf, "conditionsV4", AF_INET, &cond4, &err) < 0 ||
	    parse_conditions(conf, "conditionsV6", AF_INET6, &cond6, &err) < 0)
		return cni_fail(c, CNI_ERR_CONFIG, "invalid port mapping conditions", TAKE_PTR(err));
	if (masq_all && !json_is_boolean(masq_all))
		return cni_error(c, CNI_ERR_CONFIG, "invalid port mapping configuration",
				 "masqAll must be true or false");
	/* IPAM delegation: the plugin picks the address, we do the rest. */
	_cleanup_free_ char *ipam = NULL;
	_cleanup_free_ char *dsub = NULL, *dgw = NULL, *dip = NULL;
	int ir = ipam_plugin(c, conf, &ipam);
	const char *itype = json_string_value(json_object_get(json_object_get(conf, "ipam"), "type"));
	if (ir < 0)
		return cni_error(c, CNI_ERR_CONFIG, "IPAM plugin not found in CNI_PATH", itype);
	if (ir > 0) {
		_cleanup_free_ char *out = NULL;
		int st = 0;
		if (run_plugin(c, ipam, "ADD", &out, &st) < 0)
			return cni_error(c, CNI_ERR_IO, "cannot run the IPAM plugin", ipam);
		if (st != 0)
			return ipam_error(c, itype, out, st);
		json_auto_t *res = json_loads(out, 0, NULL);
		json_t *ip0 = json_array_get(json_object_get(res, "ips"), 0);
		const char *addr = json_string_value(json_object_get(ip0, "address"));
		const char *gw = json_string_value(json_object_get(ip0, "gateway"));
		struct net_cidr a, netw;
		if (!addr || net_cidr_parse(addr, true, &a, NULL) < 0)
			return cni_error(c, CNI_ERR_DECODE, "IPAM result has no address", out);
		net_cidr_network(&a, &netw);
		dsub = net_cidr_str(&netw, true);
		dgw = gw ? xstrdup(gw) : NULL;
		dip = net_cidr_str(&a, false);
	}
	if (ensure_network(ctx, conf, name, dsub, dgw, vlan.vid, &err) < 0)
		return cni_fail(c, CNI_ERR_CONFIG, "cannot set up the network", TAKE_PTR(err));
	json_t *rc = json_object_get(conf, "runtimeConfig");
	_cleanup_free_ struct net_port *ports = NULL;
	size_t n_ports = 0;
	if (parse_port_mappings(rc, &ports, &n_ports, &err) < 0)
		return cni_fail(c, CNI_ERR_CONFIG, "invalid port mappings", TAKE_PTR(err));
	_cleanup_free_ char *id = xasprintf("%s-%s", c->container, c->ifname);
	struct net_connect_opts o = {
		.target = { .container = c->container, .netns = c->netns },
		.ifname = c->ifname,
		.ports = ports,
		.n_ports = n_ports,
		.id = id,
		.masq_all = json_is_true(masq_all),
		.cond4 = cond4,
		.cond6 = cond6,
	};
	/* A config without VLAN keys takes the network's VLAN. */
	if (json_object_get(conf, "vlan") || json_object_get(conf, "vlanTrunk"))
		o.vlan = &vlan;
	/* runtimeConfig.ips: the first address of the network's family. */
	json_t *ips = json_object_get(rc, "ips");
	_cleanup_free_ char *want = NULL;
	if (dip) {
		o.ip = dip;
	} else if (json_array_size(ips) > 0 && json_is_string(json_array_get(ips, 0))) {
		want = xstrdup(json_string_value(json_array_get(ips, 0)));
		want[strcspn(want, "/")] = '\0';
		o.ip = want;
	}
	/* runtimeConfig.aliases: {"NETWORK": ["a", "b"]}. */
	json_t *aliases = json_object_get(json_object_get(rc, "aliases"), name);
	_cleanup_strv_ char **al = NULL;
	for (size_t i = 0; i < json_array_size(aliases); i++)
		if (json_is_string(json_array_get(aliases, i)))
			oci_strv_push(&al, json_string_value(json_array_get(aliases, i)));
	o.aliases = al;
	/* runtimeConfig.mac */
	o.mac = json_string_value(json_object_get(rc, "mac"));
	/* runtimeConfig.bandwidth (or the plugin's own fields): bits/s and bits. */
	json_t *bw = json_object_get(rc, "bandwidth");
	if (!json_is_object(bw))
		bw = conf;
	json_int_t v;
	if ((v = json_integer_value(json_object_get(bw, "ingressRate"))) > 0)
		o.bw.ingress_rate = (uint64_t)v;
	if ((v = json_integer_value(json_object_get(bw, "ingressBurst"))) > 0)
		o.bw.ingress_burst = (uint64_t)v;
	if ((v = json_integer_value(json_object_get(bw, "egressRate"))) > 0)
		o.bw.egress_rate = (uint64_t)v;
	if ((v = json_integer_value(json_object_get(bw, "egressBurst"))) > 0)
		o.bw.egress_burst = (uint64_t)v;
	/* The name, as the dnsname plugin takes it: CNI_ARGS K8S_POD_NAME (podman sets it). */
	_cleanup_free_ char *pod = cni_arg(c, "K8S_POD_NAME");
	if (pod && net_name_valid(pod))
		o.name = pod;
	_cleanup_(net_endpoint_freep) struct net_endpoint *e = NULL;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if (net_connect(ctx, name, &o, &e, &err) < 0) {
		if (ipam) {
			_cleanup_free_ char *out = NULL;
			int st;
			run_plugin(c, ipam, "DEL", &out, &st);
		}
		int code = err && err->code == EEXIST ? CNI_ERR_CONFIG : CNI_ERR_IO;
		return cni_fail(c, code, "cannot attach the container", TAKE_PTR(err));
	}
	if (net_network_load(ctx, name, &n, &err) < 0)
		return cni_fail(c, CNI_ERR_IO, "cannot read the network", TAKE_PTR(err));
	json_auto_t *res = result_json(c, json_object_get(conf, "prevResult"),
				       json_object_get(rc, "dns"), n, e);
	return emit(c, res);
}

static int cmd_del(struct cni *c, struct net_ctx *ctx, json_t *conf, const char *name)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct net_target t = { .container = c->container };
	if (net_disconnect(ctx, name, &t, c->ifname, true, &err) < 0)
		return cni_fail(c, CNI_ERR_IO, "cannot detach the container", TAKE_PTR(err));
	_cleanup_free_ char *ipam = NULL;
	if (ipam_plugin(c, conf, &ipam) > 0) {
		_cleanup_free_ char *out = NULL;
		int st = 0;
		if (run_plugin(c, ipam, "DEL", &out, &st) < 0)
			return cni_error(c, CNI_ERR_IO, "cannot run the IPAM plugin", ipam);
		if (st != 0)
			return ipam_error(c, ipam, out, st);
	}
	return 0;
}

static int cmd_check(struct cni *c, struct net_ctx *ctx, json_t *conf, const char *name)
{
	_cleanup_err_ struct oci_err *err = NULL;
	if (version_pre_040(c->version))
		return cni_error(c, CNI_ERR_VERSION, "CHECK needs cniVersion 0.4.0 or later", NULL);
	if (!json_is_object(json_object_get(conf, "prevResult")))
		return cni_error(c, CNI_ERR_CONFIG, "CHECK needs prevResult", NULL);
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if (net_network_load(ctx, name, &n, &err) < 0)
		return cni_fail(c, CNI_ERR_CONFIG, "no such network", TAKE_PTR(err));
	struct net_target t = { .container = c->container };
	_cleanup_(net_endpoint_freep) struct net_endpoint *e = NULL;
	int r = net_endpoint_find(ctx, name, &t, c->ifname, &e, &err);
	if (r < 0)
		return cni_fail(c, CNI_ERR_IO, "cannot read the endpoints", TAKE_PTR(err));
	if (!e)
		return cni_error(c, CNI_ERR_UNKNOWN_CONTAINER, "container is not attached",
				 c->container);
	int hidx = net_link_index_quiet(e->host_ifname);
	if (hidx <= 0)
		return cni_error(c, CNI_ERR_IO, "host interface is missing", e->host_ifname);
	/* An access port must still have its VLAN as PVID. */
	if (e->vlan.vid) {
		struct nl_sock *sk = NULL;
		r = net_nl_open(&sk, &err);
		if (r >= 0)
			r = net_link_port_pvid(sk, hidx, &err);
		if (sk)
			nl_socket_free(sk);
		if (r < 0)
			return cni_fail(c, CNI_ERR_IO, "cannot read the port's VLANs", TAKE_PTR(err));
		if ((unsigned)r != e->vlan.vid) {
			_cleanup_free_ char *d = xasprintf("'%s' has PVID %d instead of VLAN %u",
							   e->host_ifname, r, e->vlan.vid);
			return cni_error(c, CNI_ERR_IO, "host interface is not in its VLAN", d);
		}
	}
	struct net_target nt = { .netns = c->netns };
	_cleanup_close_ int fd = -1;
	uint64_t dev, ino;
	if (net_netns_open(&nt, &fd, NULL, &dev, &ino, &err) < 0)
		return cni_fail(c, CNI_ERR_ENV, "cannot open CNI_NETNS", TAKE_PTR(err));
	struct net_inside in = { .n = n, .e = e, .check_only = true };
	r = net_in_netns(fd, net_link_configure_inside, &in, &err);
	free(in.mac);
	if (r < 0)
		return cni_fail(c, CNI_ERR_IO, "interface check failed", TAKE_PTR(err));
	/* The address in prevResult must be ours. */
	json_t *ips = json_object_get(json_object_get(conf, "prevResult"), "ips");
	_cleanup_free_ char *mine = net_cidr_str(&e->ip, true);
	bool found = false;
	for (size_t i = 0; i < json_array_size(ips); i++) {
		const char *a = json_string_value(json_object_get(json_array_get(ips, i), "address"));
		if (a && streq(a, mine))
			found = true;
	}
	if (!found)
		return cni_error(c, CNI_ERR_CONFIG, "prevResult does not list the address", mine);
	return 0;
}

static int cmd_gc(struct cni *c, struct net_ctx *ctx, json_t *conf, const char *name)
{
	_cleanup_err_ struct oci_err *err = NULL;
	json_t *valid = json_object_get(conf, "cni.dev/valid-attachments");
	_cleanup_strv_ char **keep = NULL;
	for (size_t i = 0; i < json_array_size(valid); i++) {
		json_t *a = json_array_get(valid, i);
		const char *cid = json_string_value(json_object_get(a, "containerID"));
		const char *ifn = json_string_value(json_object_get(a, "ifname"));
		if (cid && ifn) {
			_cleanup_free_ char *k = xasprintf("%s/%s", cid, ifn);
			oci_strv_push(&keep, k);
		}
	}
	if (net_gc_keep(ctx, name, keep, &err) < 0)
		return cni_fail(c, CNI_ERR_IO, "garbage collection failed", TAKE_PTR(err));
	return 0;
}

int net_cni_main(const char *store_opt, char *(*getenv_fn)(const char *), int in_fd, int out_fd)
{
	struct cni c = { .getenv_fn = getenv_fn, .out_fd = out_fd };
	c.command = getenv_fn("CNI_COMMAND");
	c.container = getenv_fn("CNI_CONTAINERID");
	c.netns = getenv_fn("CNI_NETNS");
	c.ifname = getenv_fn("CNI_IFNAME");
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	if (oci_read_fd(in_fd, 4u << 20, &sb) < 0)
		return cni_error(&c, CNI_ERR_IO, "cannot read the network configuration", NULL);
	json_auto_t *conf = NULL;
	_cleanup_err_ struct oci_err *err = NULL;
	c.raw = sb.buf;
	if (sb.len == 0 && streq(c.command, "VERSION"))
		conf = json_object();
	else if (oci_json_load_buf(sb.buf, sb.len, "stdin", &conf, &err) < 0 || !json_is_object(conf))
		return cni_fail(&c, CNI_ERR_DECODE, "cannot decode the network configuration",
				TAKE_PTR(err));
	const char *v = json_string_value(json_object_get(conf, "cniVersion"));
	c.version = v ? v : CNI_VERSION;

	if (streq(c.command, "VERSION")) {
		json_auto_t *j = json_object();
		json_t *a = json_array();
		for (const char *const *p = supported; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, "cniVersion", json_string(version_supported(c.version) ? c.version : CNI_VERSION));
		json_object_set_new(j, "supportedVersions", a);
		return emit(&c, j);
	}
	if (!version_supported(c.version))
		return cni_error(&c, CNI_ERR_VERSION, "incompatible CNI version", c.version);
	const char *name = json_string_value(json_object_get(conf, "name"));
	if (!name || !net_name_valid(name))
		return cni_error(&c, CNI_ERR_CONFIG, "missing or invalid network name", name);
	bool needs_container = streq(c.command, "ADD") || streq(c.command, "DEL") ||
			       streq(c.command, "CHECK");
	if (needs_container) {
		if (!c.container || !*c.container)
			return cni_error(&c, CNI_ERR_ENV, "CNI_CONTAINERID is required", NULL);
		if (!c.ifname || !*c.ifname)
			return cni_error(&c, CNI_ERR_ENV, "CNI_IFNAME is required", NULL);
	}
	if (streq(c.command, "GC") || streq(c.command, "STATUS")) {
		if (version_pre_100(c.version) || streq(c.version, "1.0.0"))
			return cni_error(&c, CNI_ERR_VERSION, "GC and STATUS need cniVersion 1.1.0",
					 c.version);
	}
	const char *dd = json_string_value(json_object_get(conf, "dataDir"));
	struct net_ctx ctx;
	if (net_ctx_init(&ctx, dd ? dd : store_opt, NULL, &err) < 0)
		return cni_fail(&c, CNI_ERR_CONFIG, "cannot open the store", TAKE_PTR(err));
	int r;
	if (streq(c.command, "ADD"))
		r = cmd_add(&c, &ctx, conf, name);
	else if (streq(c.command, "DEL"))
		r = cmd_del(&c, &ctx, conf, name);
	else if (streq(c.command, "CHECK"))
		r = cmd_check(&c, &ctx, conf, name);
	else if (streq(c.command, "GC"))
		r = cmd_gc(&c, &ctx, conf, name);
	else if (streq(c.command, "STATUS"))
		r = access(ctx.store, W_OK) == 0 || errno == ENOENT
			    ? 0
			    : cni_error(&c, 50, "the store is not writable", ctx.store);
	else
		r = cni_error(&c, CNI_ERR_ENV, "unknown CNI_COMMAND", c.command);
	net_ctx_release(&ctx);
	return r;
}
