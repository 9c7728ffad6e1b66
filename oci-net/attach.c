/* connect, disconnect, rm and gc: each runs under the networks lock and
 * leaves either the whole change or none of it. */
#include <ctype.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "fs.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

DEFINE_CLEANUP(struct nl_sock *, nl_socket_free)

static bool id_valid(const char *s)
{
	if (!*s || strlen(s) > 200 || s[0] == '.')
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_' || *p == '-' || *p == '.'))
			return false;
	return true;
}

/* "xx:xx:xx:xx:xx:xx", unicast. */
static bool mac_valid(const char *m)
{
	if (strlen(m) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2 ? m[i] != ':' : !isxdigit((unsigned char)m[i]))
			return false;
	}
	int first = (int)strtol(m, NULL, 16);
	return !(first & 1);
}

/* Whether the host end of the endpoint's veth still exists (it vanishes
 * with the namespace when the container dies). */
static bool endpoint_alive(struct nl_sock *sk, const struct net_endpoint *e)
{
	int idx = net_link_index(sk, e->host_ifname, NULL);
	if (idx < 0)
		return true; /* unknown: keep it */
	return idx > 0 && (e->host_ifindex == 0 || idx == e->host_ifindex);
}

/* resolv.conf, hosts and hostname for the endpoint, into the directory etcfd. */
static int write_etc(const struct net_network *n, const struct net_endpoint *e, int etcfd,
		     struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	_cleanup_free_ char *gw = net_cidr_str(&n->gateway, false);
	_cleanup_free_ char *ip = net_cidr_str(&e->ip, false);
	int r;
	if (n->dns) {
		sbuf_addf(&sb, "nameserver %s\n", streq(e->ifname, "eth0") ? "127.0.0.11" : gw);
		if (n->ipv6) {
			_cleanup_free_ char *gw6 = net_cidr_str(&n->gateway6, false);
			sbuf_addf(&sb, "nameserver %s\n", gw6);
		}
		sbuf_addstr(&sb, "options ndots:0\n");
	} else {
		_cleanup_fclose_ FILE *f = fopen("/etc/resolv.conf", "re");
		char line[512];
		while (f && fgets(line, sizeof(line), f))
			sbuf_addstr(&sb, line);
	}
	if ((r = oci_write_file_atomicat(etcfd, "resolv.conf", sb.buf, sb.len, 0644, err)) < 0)
		return r;
	sbuf_reset(&sb);
	sbuf_addstr(&sb, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n");
	if (e->name || e->aliases) {
		sbuf_addf(&sb, "%s\t%s", ip, e->name ? e->name : "");
		for (char **a = e->aliases; a && *a; a++)
			sbuf_addf(&sb, " %s", *a);
		sbuf_addch(&sb, '\n');
	}
	if ((r = oci_write_file_atomicat(etcfd, "hosts", sb.buf, sb.len, 0644, err)) < 0)
		return r;
	if (e->name) {
		_cleanup_free_ char *h = xasprintf("%s\n", e->name);
		if ((r = oci_write_file_atomicat(etcfd, "hostname", h, strlen(h), 0644, err)) < 0)
			return r;
	}
	return 0;
}

/* The etc directory to write into: --etc-dir as given, or ROOTFS/etc
 * resolved inside the root (symlinks in an image cannot lead out of it). */
static int open_etc(const struct net_connect_opts *o, int *ret, struct oci_err **err)
{
	if (o->etc_dir) {
		int fd = open(o->etc_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return oci_err_sys(err, "open '%s'", o->etc_dir);
		*ret = fd;
		return 0;
	}
	_cleanup_close_ int rootfd = open(o->etc_root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "open root filesystem '%s'", o->etc_root);
	int r = oci_open_in_root(rootfd, "/etc", O_RDONLY | O_DIRECTORY, 0, err);
	if (r == -ENOENT) {
		oci_err_clear(err);
		if (mkdirat(rootfd, "etc", 0755) < 0 && errno != EEXIST)
			return oci_err_sys(err, "create '%s/etc'", o->etc_root);
		r = oci_open_in_root(rootfd, "/etc", O_RDONLY | O_DIRECTORY, 0, err);
	}
	if (r < 0)
		return oci_err_wrap(err, "'%s'", o->etc_root);
	*ret = r;
	return 0;
}

static bool target_matches(const struct net_endpoint *e, const char *container, uint64_t dev,
			   uint64_t ino, const char *ifname)
{
	if (ifname && e->ifname && !streq(ifname, e->ifname))
		return false;
	if (container)
		return (e->container && streq(e->container, container)) || streq(e->id, container);
	return ino && e->ns_ino == ino && e->ns_dev == dev;
}

/* Deletes the veth and the record of one endpoint. */
static int endpoint_drop(struct net_ctx *ctx, struct nl_sock *sk, const char *network,
			 const struct net_endpoint *e, struct oci_err **err)
{
	int r = 0;
	if (endpoint_alive(sk, e))
		r = net_link_delete(sk, e->host_ifname, err);
	if (r < 0)
		return r;
	return net_endpoint_remove(ctx, network, e->id, err);
}

/* Removes the stale endpoints of one network; returns how many. */
static int gc_network(struct net_ctx *ctx, struct nl_sock *sk, const char *network,
		      struct oci_err **err)
{
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	int r = net_endpoints_load(ctx, network, &eps, err);
	int n = 0;
	if (r < 0)
		return r;
	for (struct net_endpoint **e = eps; *e; e++) {
		if (endpoint_alive(sk, *e))
			continue;
		if ((r = net_endpoint_remove(ctx, network, (*e)->id, err)) < 0)
			return r;
		n++;
	}
	return n;
}

int net_endpoint_find(struct net_ctx *ctx, const char *network, const struct net_target *t,
		      const char *ifname, struct net_endpoint **ret, struct oci_err **err)
{
	uint64_t dev = 0, ino = 0;
	if (!t->container) {
		_cleanup_close_ int fd = -1;
		int r = net_netns_open(t, &fd, NULL, &dev, &ino, err);
		if (r < 0)
			return r;
	}
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	int r = net_endpoints_load(ctx, network, &eps, err);
	if (r < 0)
		return r;
	*ret = NULL;
	for (struct net_endpoint **e = eps; *e; e++) {
		if (target_matches(*e, t->container, dev, ino, ifname)) {
			*ret = *e;
			/* Take it out of the vector. */
			for (struct net_endpoint **q = e; *q; q++)
				q[0] = q[1];
			return 1;
		}
	}
	return 0;
}

int net_connect(struct net_ctx *ctx, const char *network, const struct net_connect_opts *o,
		struct net_endpoint **ret, struct oci_err **err)
{
	int r;
	if (o->target.container && !id_valid(o->target.container))
		return oci_err_set(err, EINVAL, "'%s' is not a valid container ID", o->target.container);
	if (o->name && !net_name_valid(o->name))
		return oci_err_set(err, EINVAL, "'%s' is not a valid name", o->name);
	for (char **a = o->aliases; a && *a; a++)
		if (!net_name_valid(*a))
			return oci_err_set(err, EINVAL, "'%s' is not a valid alias", *a);
	for (char **u = o->dns; u && *u; u++)
		if (!net_upstream_valid(*u))
			return oci_err_set(err, EINVAL, "--dns '%s' is not IP[:PORT]", *u);
	if (o->mac && !mac_valid(o->mac))
		return oci_err_set(err, EINVAL, "'%s' is not a unicast MAC address (like 02:42:0a:00:00:02)",
				   o->mac);
	if (o->ifname && (strlen(o->ifname) > 15 || !net_name_valid(o->ifname)))
		return oci_err_set(err, EINVAL, "'%s' is not a valid interface name", o->ifname);

	_cleanup_close_ int nsfd = -1;
	_cleanup_free_ char *nspath = NULL;
	uint64_t dev = 0, ino = 0;
	if ((r = net_netns_open(&o->target, &nsfd, &nspath, &dev, &ino, err)) < 0)
		return r;
	if ((r = net_ctx_lock(ctx, err)) < 0)
		return r;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if ((r = net_network_get(ctx, network, true, &n, err)) < 0)
		return r;
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if ((r = net_nl_open(&sk, err)) < 0)
		return r;
	/* The endpoints of containers that died are cleaned up first. */
	int stale = gc_network(ctx, sk, network, err);
	if (stale < 0)
		return stale;

	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	if ((r = net_endpoints_load(ctx, network, &eps, err)) < 0)
		return r;
	size_t n_eps = 0, n_used6 = 0;
	for (struct net_endpoint **e = eps; *e; e++)
		n_eps++;
	_cleanup_free_ struct net_cidr *used = xcalloc(n_eps + 1, sizeof(*used));
	_cleanup_free_ struct net_cidr *used6 = xcalloc(n_eps + 1, sizeof(*used6));
	for (size_t i = 0; i < n_eps; i++) {
		const struct net_endpoint *e = eps[i];
		used[i] = e->ip;
		if (e->ip6.family)
			used6[n_used6++] = e->ip6;
		bool same_ns = e->ns_ino == ino && e->ns_dev == dev;
		if ((same_ns && (!o->ifname || !e->ifname || streq(o->ifname, e->ifname))) ||
		    (o->target.container && e->container && streq(o->target.container, e->container) &&
		     (!o->ifname || streq(o->ifname, e->ifname))))
			return oci_err_set(err, EEXIST, "'%s' is already connected to network '%s'",
					   o->target.container ? o->target.container : nspath,
					   network);
		if (o->name && e->name && streq(o->name, e->name))
			return oci_err_set(err, EEXIST, "name '%s' is already in use on network '%s'",
					   o->name, network);
	}

	_cleanup_(net_endpoint_freep) struct net_endpoint *e = xcalloc(1, sizeof(*e));
	if (o->ip) {
		if ((r = net_ip_parse(o->ip, &e->ip, err)) < 0)
			return oci_err_wrap(err, "--ip");
		if ((r = net_ipam_check(&n->subnet, &n->gateway, used, n_eps, &e->ip, err)) < 0)
			return r;
		e->ip.prefix = n->subnet.prefix;
	} else if ((r = net_ipam_alloc(&n->subnet, &n->gateway, used, n_eps, &e->ip, err)) < 0) {
		return oci_err_wrap(err, "network '%s'", network);
	}
	if (n->ipv6) {
		if (o->ip6) {
			if ((r = net_ip_parse(o->ip6, &e->ip6, err)) < 0)
				return oci_err_wrap(err, "--ip6");
			if ((r = net_ipam_check(&n->subnet6, &n->gateway6, used6, n_used6, &e->ip6,
						err)) < 0)
				return r;
			e->ip6.prefix = n->subnet6.prefix;
		} else if ((r = net_ipam_alloc(&n->subnet6, &n->gateway6, used6, n_used6, &e->ip6,
					       err)) < 0) {
			return oci_err_wrap(err, "network '%s'", network);
		}
	}
	if (o->id)
		e->id = xstrdup(o->id);
	else if (o->target.container)
		e->id = xstrdup(o->target.container);
	else
		e->id = xasprintf("ns-%" PRIu64 "-%" PRIu64, dev, ino);
	e->container = o->target.container ? xstrdup(o->target.container) : NULL;
	e->name = o->name ? xstrdup(o->name) : NULL;
	e->aliases = o->aliases ? oci_strv_dup(o->aliases) : NULL;
	e->dns = o->dns ? oci_strv_dup(o->dns) : NULL;
	e->netns = xstrdup(nspath);
	e->ns_dev = dev;
	e->ns_ino = ino;
	{
		_cleanup_free_ char *hex = net_random_hex(8);
		e->host_ifname = xasprintf("veth%s", hex);
	}
	e->created = net_now_rfc3339();
	if (o->n_ports) {
		if (n->internal)
			return oci_err_set(err, EINVAL, "network '%s' is internal: it cannot publish ports",
					   network);
		e->ports = xcalloc(o->n_ports, sizeof(*e->ports));
		memcpy(e->ports, o->ports, o->n_ports * sizeof(*e->ports));
		e->n_ports = o->n_ports;
	}
	e->masq_all = o->masq_all;
	e->cond4 = o->cond4 ? oci_strv_dup(o->cond4) : NULL;
	e->cond6 = o->cond6 ? oci_strv_dup(o->cond6) : NULL;
	{
		_cleanup_free_ char *x4 = NULL, *x6 = NULL;
		if (net_port_cond_nft(e->cond4, AF_INET, &x4, err) < 0)
			return oci_err_wrap(err, "conditionsV4");
		if (net_port_cond_nft(e->cond6, AF_INET6, &x6, err) < 0)
			return oci_err_wrap(err, "conditionsV6");
	}
	if (o->vlan)
		net_vlan_copy(&e->vlan, o->vlan);
	else
		e->vlan.vid = n->vlan;
	/* A published host port is taken once per protocol and address. */
	for (size_t i = 0; i < e->n_ports; i++) {
		for (size_t k = 0; k < n_eps; k++) {
			for (size_t j = 0; j < eps[k]->n_ports; j++) {
				const struct net_port *a = &e->ports[i], *b = &eps[k]->ports[j];
				if (a->host_port == b->host_port && a->proto == b->proto &&
				    (!a->host_ip.family || !b->host_ip.family ||
				     net_ip_equal(&a->host_ip, &b->host_ip)))
					return oci_err_set(err, EADDRINUSE,
							   "host port %u/%s is already published on network '%s'",
							   a->host_port, net_proto_name(a->proto), network);
			}
		}
	}

	if ((r = net_link_bridge_ensure(sk, n, err)) < 0)
		return r;
	/* The veth pair, the inside end named ifname (or the first free ethN). */
	for (int i = 0;; i++) {
		_cleanup_free_ char *name = o->ifname ? xstrdup(o->ifname) : xasprintf("eth%d", i);
		r = net_link_veth_create(sk, n, e->host_ifname, nsfd, name, o->mac, &e->host_ifindex,
					 err);
		if (r == -EEXIST && !o->ifname && i < 31) {
			oci_err_clear(err);
			continue;
		}
		if (r < 0)
			return r;
		e->ifname = TAKE_PTR(name);
		break;
	}
	/* From here on a failure removes the veth again. */
	e->bw = o->bw;
	struct net_inside in = { .n = n, .e = e };
	/* The bridge port's VLANs (the bridge filters VLANs from then on). */
	if (e->vlan.vid || e->vlan.n_trunk) {
		r = net_link_bridge_vlan_filtering(sk, n->bridge, err);
		if (r >= 0)
			r = net_link_port_vlans(sk, e->host_ifindex, false, &e->vlan, err);
	}
	if (r >= 0)
		r = net_in_netns(nsfd, net_link_configure_inside, &in, err);
	if (r >= 0 && e->bw.ingress_rate)
		r = net_link_tbf(sk, e->host_ifindex, e->bw.ingress_rate, e->bw.ingress_burst, err);
	e->mac = in.mac;
	/* Only the first network's server gets 127.0.0.11, as in Docker. */
	if (r >= 0 && n->dns && streq(e->ifname, "eth0"))
		r = net_in_netns(nsfd, net_firewall_inside_dns, &in, err);
	if (r >= 0) {
		_cleanup_free_ char *hp =
			xasprintf("/sys/class/net/%s/brport/hairpin_mode", e->host_ifname);
		if (n->hairpin)
			net_sysctl_write(hp, "1", NULL);
		if (n->isolate_ports) {
			_cleanup_free_ char *iso =
				xasprintf("/sys/class/net/%s/brport/isolated", e->host_ifname);
			r = net_sysctl_write(iso, "1", err);
		}
		r = net_endpoint_save(ctx, network, e, err);
	}
	if (r >= 0)
		r = net_firewall_sync(ctx, err);
	if (r >= 0 && n->dns)
		r = net_dns_update(ctx, n, true, err);
	if (r >= 0 && (o->etc_dir || o->etc_root)) {
		_cleanup_close_ int etcfd = -1;
		r = open_etc(o, &etcfd, err);
		if (r >= 0)
			r = write_etc(n, e, etcfd, err);
	}
	if (r < 0) {
		net_link_delete(sk, e->host_ifname, NULL);
		net_endpoint_remove(ctx, network, e->id, NULL);
		net_firewall_sync(ctx, NULL);
		return r;
	}
	if (ret)
		*ret = TAKE_PTR(e);
	return 0;
}

int net_disconnect(struct net_ctx *ctx, const char *network, const struct net_target *t,
		   const char *ifname, bool missing_ok, struct oci_err **err)
{
	int r;
	if ((r = net_ctx_lock(ctx, err)) < 0)
		return r;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if ((r = net_network_load(ctx, network, &n, err)) < 0) {
		if (r == -ENOENT && missing_ok) {
			oci_err_clear(err);
			return 0;
		}
		return r;
	}
	_cleanup_(net_endpoint_freep) struct net_endpoint *e = NULL;
	r = net_endpoint_find(ctx, network, t, ifname, &e, err);
	if (r < 0) {
		/* A namespace that is gone cannot be looked up: gc instead. */
		if (!missing_ok)
			return r;
		oci_err_clear(err);
		r = 0;
	}
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if ((r = net_nl_open(&sk, err)) < 0)
		return r;
	if (!e) {
		if (!missing_ok)
			return oci_err_set(err, ENOENT, "'%s' is not connected to network '%s'",
					   t->container ? t->container : t->netns ? t->netns : "pid",
					   network);
	} else if ((r = endpoint_drop(ctx, sk, network, e, err)) < 0) {
		return r;
	}
	if ((r = gc_network(ctx, sk, network, err)) < 0)
		return r;
	if ((r = net_firewall_sync(ctx, err)) < 0)
		return r;
	if (n->dns)
		return net_dns_update(ctx, n, false, err);
	return 0;
}

static int rm_dir(const char *dir, struct oci_err **err)
{
	_cleanup_free_ char *ep = xasprintf("%s/endpoints", dir);
	const char *dirs[] = { ep, dir };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		_cleanup_closedir_ DIR *d = opendir(dirs[i]);
		if (!d) {
			if (errno == ENOENT)
				continue;
			return oci_err_sys(err, "open '%s'", dirs[i]);
		}
		struct dirent *de;
		while ((de = readdir(d))) {
			if (streq(de->d_name, ".") || streq(de->d_name, ".."))
				continue;
			if (unlinkat(dirfd(d), de->d_name, 0) < 0 && errno != EISDIR && errno != ENOENT)
				return oci_err_sys(err, "remove '%s/%s'", dirs[i], de->d_name);
		}
		if (rmdir(dirs[i]) < 0 && errno != ENOENT)
			return oci_err_sys(err, "remove '%s'", dirs[i]);
	}
	return 0;
}

int net_remove(struct net_ctx *ctx, const char *network, bool force, struct oci_err **err)
{
	int r;
	if ((r = net_ctx_lock(ctx, err)) < 0)
		return r;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if ((r = net_network_load(ctx, network, &n, err)) < 0)
		return r;
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if ((r = net_nl_open(&sk, err)) < 0)
		return r;
	if ((r = gc_network(ctx, sk, network, err)) < 0)
		return r;
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	if ((r = net_endpoints_load(ctx, network, &eps, err)) < 0)
		return r;
	if (eps[0] && !force) {
		size_t cnt = 0;
		for (struct net_endpoint **e = eps; *e; e++)
			cnt++;
		return oci_err_set(err, EBUSY,
				   "network '%s' has %zu connected endpoint%s (disconnect them or use --force)",
				   network, cnt, cnt == 1 ? "" : "s");
	}
	for (struct net_endpoint **e = eps; *e; e++)
		if ((r = endpoint_drop(ctx, sk, network, *e, err)) < 0)
			return r;
	if ((r = net_dns_stop(ctx, network, err)) < 0)
		return r;
	if ((r = net_link_delete(sk, n->bridge, err)) < 0)
		return r;
	_cleanup_free_ char *dir = net_network_dir(ctx, network);
	if ((r = rm_dir(dir, err)) < 0)
		return r;
	return net_firewall_sync(ctx, err);
}

int net_gc(struct net_ctx *ctx, const char *network, int *ret_removed, struct oci_err **err)
{
	int r, total = 0;
	if ((r = net_ctx_lock(ctx, err)) < 0)
		return r;
	_cleanup_strv_ char **names = NULL;
	if (network) {
		_cleanup_(net_network_freep) struct net_network *n = NULL;
		if ((r = net_network_load(ctx, network, &n, err)) < 0)
			return r;
		oci_strv_push(&names, network);
	} else if ((r = net_network_list(ctx, &names, err)) < 0) {
		return r;
	}
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if ((r = net_nl_open(&sk, err)) < 0)
		return r;
	for (char **p = names; p && *p; p++) {
		_cleanup_(net_network_freep) struct net_network *n = NULL;
		if ((r = net_network_load(ctx, *p, &n, err)) < 0)
			return r;
		int cnt = gc_network(ctx, sk, *p, err);
		if (cnt < 0)
			return cnt;
		total += cnt;
		_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
		if ((r = net_endpoints_load(ctx, *p, &eps, err)) < 0)
			return r;
		if (n->dns && (r = net_dns_update(ctx, n, false, err)) < 0)
			return r;
		if (!eps[0] && (r = net_dns_stop(ctx, *p, err)) < 0)
			return r;
	}
	if ((r = net_firewall_sync(ctx, err)) < 0)
		return r;
	if (ret_removed)
		*ret_removed = total;
	return 0;
}

int net_gc_keep(struct net_ctx *ctx, const char *network, char **keep, struct oci_err **err)
{
	int r;
	if ((r = net_ctx_lock(ctx, err)) < 0)
		return r;
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if ((r = net_network_load(ctx, network, &n, err)) < 0) {
		if (r == -ENOENT) {
			oci_err_clear(err);
			return 0;
		}
		return r;
	}
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if ((r = net_nl_open(&sk, err)) < 0)
		return r;
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	if ((r = net_endpoints_load(ctx, network, &eps, err)) < 0)
		return r;
	for (struct net_endpoint **e = eps; *e; e++) {
		bool kept = false;
		for (char **k = keep; k && *k && !kept; k++) {
			_cleanup_free_ char *key =
				xasprintf("%s/%s", (*e)->container ? (*e)->container : "", (*e)->ifname);
			kept = streq(*k, key);
		}
		if (!kept && (r = endpoint_drop(ctx, sk, network, *e, err)) < 0)
			return r;
	}
	if ((r = net_firewall_sync(ctx, err)) < 0)
		return r;
	if (n->dns)
		return net_dns_update(ctx, n, false, err);
	return 0;
}
