/* Links, addresses and routes through libnl-route: the bridge, the veth
 * pair with its inside end created straight in the container's namespace,
 * and the inside configuration (loopback, address, default route, MTU). */
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_bridge.h>
#include <linux/if_link.h>
#include <netlink/msg.h>
#include <netlink/attr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/tbf.h>
#include <netlink/route/route.h>
#include <netlink/route/tc.h>
#include <limits.h>
#include <netlink/socket.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "net.h"
#include "util.h"

DEFINE_CLEANUP(struct nl_sock *, nl_socket_free)
DEFINE_CLEANUP(struct rtnl_link *, rtnl_link_put)
DEFINE_CLEANUP(struct rtnl_addr *, rtnl_addr_put)
DEFINE_CLEANUP(struct rtnl_route *, rtnl_route_put)
DEFINE_CLEANUP(struct nl_addr *, nl_addr_put)
DEFINE_CLEANUP(struct nl_cache *, nl_cache_free)
DEFINE_CLEANUP(struct rtnl_qdisc *, rtnl_qdisc_put)


/* libnl errors as errno values, for the caller's checks. */
static int nl_errno(int nlerr)
{
	switch (-nlerr < 0 ? nlerr : -nlerr) {
	case NLE_EXIST:
		return EEXIST;
	case NLE_OBJ_NOTFOUND:
	case NLE_NODEV:
		return ENODEV;
	case NLE_PERM:
		return EPERM;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_INVAL:
		return EINVAL;
	case NLE_BUSY:
		return EBUSY;
	case NLE_AF_NOSUPPORT:
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	default:
		return EIO;
	}
}

#define NL_FAIL(err, r, ...)                                                                       \
	({                                                                                         \
		_cleanup_free_ char *m_ = xasprintf(__VA_ARGS__);                                  \
		oci_err_set(err, nl_errno(r), "%s: %s", m_, nl_geterror(r));                       \
	})

int net_link_tbf(struct nl_sock *sk, int ifindex, uint64_t rate, uint64_t burst,
		 struct oci_err **err)
{
	_cleanup_(rtnl_qdisc_putp) struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	if (!q)
		return oci_err_set(err, ENOMEM, "qdisc");
	uint64_t bytes = rate / 8, bucket = burst / 8;
	if (bytes == 0 || bytes > INT_MAX)
		return oci_err_set(err, EINVAL, "rate %llu bits/s is out of range",
				   (unsigned long long)rate);
	if (bucket < 2048)
		bucket = 2048; /* at least a full frame */
	if (bucket > INT_MAX)
		bucket = INT_MAX;
	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	int r = rtnl_tc_set_kind(TC_CAST(q), "tbf");
	if (r >= 0) {
		rtnl_qdisc_tbf_set_rate(q, (int)bytes, (int)bucket, 0);
		/* As the bandwidth plugin: a queue of 25 ms at that rate. */
		r = rtnl_qdisc_tbf_set_limit_by_latency(q, 25000);
	}
	if (r >= 0)
		r = rtnl_qdisc_add(sk, q, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0)
		return NL_FAIL(err, r, "rate limit on link %d", ifindex);
	return 0;
}

int net_nl_open(struct nl_sock **ret, struct oci_err **err)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = nl_socket_alloc();
	if (!sk)
		return oci_err_set(err, ENOMEM, "netlink socket");
	int r = nl_connect(sk, NETLINK_ROUTE);
	if (r < 0)
		return NL_FAIL(err, r, "connect to rtnetlink");
	*ret = TAKE_PTR(sk);
	return 0;
}

static struct nl_addr *to_nl_addr(const struct net_cidr *c)
{
	struct nl_addr *a = nl_addr_build(c->family, c->addr, c->family == AF_INET ? 4 : 16);
	if (a)
		nl_addr_set_prefixlen(a, c->prefix);
	return a;
}

int net_link_index(struct nl_sock *sk, const char *ifname, struct oci_err **err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, ifname, &l);
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV)
		return 0;
	if (r < 0)
		return NL_FAIL(err, r, "look up link '%s'", ifname);
	return rtnl_link_get_ifindex(l);
}

static int link_up(struct nl_sock *sk, struct rtnl_link *l, struct oci_err **err)
{
	if (rtnl_link_get_flags(l) & IFF_UP)
		return 0;
	_cleanup_(rtnl_link_putp) struct rtnl_link *ch = rtnl_link_alloc();
	rtnl_link_set_flags(ch, IFF_UP);
	int r = rtnl_link_change(sk, l, ch, 0);
	if (r < 0)
		return NL_FAIL(err, r, "set link '%s' up", rtnl_link_get_name(l));
	return 0;
}

static int addr_add(struct nl_sock *sk, int ifindex, const struct net_cidr *c,
		    struct oci_err **err)
{
	_cleanup_(rtnl_addr_putp) struct rtnl_addr *a = rtnl_addr_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *local = to_nl_addr(c);
	if (!a || !local)
		return oci_err_set(err, ENOMEM, "address");
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_family(a, c->family);
	int r = rtnl_addr_set_local(a, local);
	if (r >= 0)
		rtnl_addr_set_prefixlen(a, c->prefix);
	if (c->family == AF_INET6)
		rtnl_addr_set_flags(a, IFA_F_NODAD);
	if (r >= 0)
		r = rtnl_addr_add(sk, a, 0);
	if (r == -NLE_EXIST)
		return 0;
	if (r < 0) {
		_cleanup_free_ char *s = net_cidr_str(c, true);
		return NL_FAIL(err, r, "add address %s", s);
	}
	return 0;
}

int net_link_bridge_ensure(struct nl_sock *sk, const struct net_network *n, struct oci_err **err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	int r = rtnl_link_get_kernel(sk, 0, n->bridge, &l);
	bool created = false;
	if (r == -NLE_OBJ_NOTFOUND || r == -NLE_NODEV) {
		_cleanup_(rtnl_link_putp) struct rtnl_link *nl = rtnl_link_alloc();
		rtnl_link_set_name(nl, n->bridge);
		if ((r = rtnl_link_set_type(nl, "bridge")) < 0)
			return NL_FAIL(err, r, "bridge '%s'", n->bridge);
		if (n->mtu)
			rtnl_link_set_mtu(nl, n->mtu);
		r = rtnl_link_add(sk, nl, NLM_F_CREATE | NLM_F_EXCL);
		if (r < 0 && r != -NLE_EXIST)
			return NL_FAIL(err, r, "create bridge '%s'", n->bridge);
		if ((r = rtnl_link_get_kernel(sk, 0, n->bridge, &l)) < 0)
			return NL_FAIL(err, r, "look up bridge '%s'", n->bridge);
		created = true;
	} else if (r < 0) {
		return NL_FAIL(err, r, "look up bridge '%s'", n->bridge);
	} else if (!rtnl_link_get_type(l) || !streq(rtnl_link_get_type(l), "bridge")) {
		return oci_err_set(err, EEXIST, "link '%s' exists and is not a bridge", n->bridge);
	}
	int idx = rtnl_link_get_ifindex(l);
	if (created || !(rtnl_link_get_flags(l) & IFF_UP)) {
		if ((r = addr_add(sk, idx, &n->gateway, err)) < 0)
			return oci_err_wrap(err, "bridge '%s'", n->bridge);
		if (n->ipv6 && (r = addr_add(sk, idx, &n->gateway6, err)) < 0)
			return oci_err_wrap(err, "bridge '%s'", n->bridge);
	}
	/* A VLAN network: the gateway (the bridge's own port) is in that VLAN. */
	if (n->vlan) {
		struct net_vlan v = { .vid = n->vlan };
		if ((r = net_link_bridge_vlan_filtering(sk, n->bridge, err)) < 0 ||
		    (r = net_link_port_vlans(sk, idx, true, &v, err)) < 0) {
			/* A bridge made just now goes again. */
			if (created)
				net_link_delete(sk, n->bridge, NULL);
			return r;
		}
	}
	return link_up(sk, l, err);
}

/* RTM_NEWLINK on an existing bridge: linkinfo kind "bridge", data
 * IFLA_BR_VLAN_FILTERING 1 (libnl 3.7 has no setter for it). */
int net_link_bridge_vlan_filtering(struct nl_sock *sk, const char *bridge, struct oci_err **err)
{
	int idx = net_link_index(sk, bridge, err);
	if (idx <= 0)
		return idx < 0 ? idx : oci_err_set(err, ENODEV, "bridge '%s' is missing", bridge);
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return oci_err_set(err, ENOMEM, "netlink message");
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = idx };
	struct nlattr *info, *data;
	if (nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) < 0 ||
	    !(info = nla_nest_start(msg, IFLA_LINKINFO)) ||
	    nla_put_string(msg, IFLA_INFO_KIND, "bridge") < 0 ||
	    !(data = nla_nest_start(msg, IFLA_INFO_DATA)) ||
	    nla_put_u8(msg, IFLA_BR_VLAN_FILTERING, 1) < 0) {
		nlmsg_free(msg);
		return oci_err_set(err, ENOMEM, "netlink message");
	}
	nla_nest_end(msg, data);
	nla_nest_end(msg, info);
	int r = nl_send_sync(sk, msg);
	if (r == -NLE_OPNOTSUPP)
		return oci_err_set(err, EOPNOTSUPP,
				   "bridge '%s': this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)",
				   bridge);
	if (r < 0)
		return NL_FAIL(err, r, "turn VLAN filtering on for bridge '%s'", bridge);
	return 0;
}

/* One RTM_SETLINK (add) or RTM_DELLINK (delete) of family AF_BRIDGE for
 * port ifindex: IFLA_AF_SPEC with IFLA_BRIDGE_FLAGS (self) and the VLANs
 * from..to (a range when they differ). */
static int port_vlan(struct nl_sock *sk, int ifindex, bool self, bool del, uint16_t from,
		     uint16_t to, uint16_t flags, struct oci_err **err)
{
	struct nl_msg *msg = nlmsg_alloc_simple(del ? RTM_DELLINK : RTM_SETLINK,
						NLM_F_REQUEST | NLM_F_ACK);
	if (!msg)
		return oci_err_set(err, ENOMEM, "netlink message");
	struct ifinfomsg ifi = { .ifi_family = AF_BRIDGE, .ifi_index = ifindex };
	struct nlattr *af;
	struct bridge_vlan_info vi = { .flags = flags, .vid = from };
	bool ok = nlmsg_append(msg, &ifi, sizeof(ifi), NLMSG_ALIGNTO) >= 0 &&
		  (af = nla_nest_start(msg, IFLA_AF_SPEC)) != NULL &&
		  (!self || nla_put_u16(msg, IFLA_BRIDGE_FLAGS, BRIDGE_FLAGS_SELF) >= 0);
	if (ok && from != to) {
		vi.flags |= BRIDGE_VLAN_INFO_RANGE_BEGIN;
		ok = nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) >= 0;
		vi.flags = (uint16_t)(flags | BRIDGE_VLAN_INFO_RANGE_END);
		vi.vid = to;
	}
	if (ok)
		ok = nla_put(msg, IFLA_BRIDGE_VLAN_INFO, sizeof(vi), &vi) >= 0;
	if (!ok) {
		nlmsg_free(msg);
		return oci_err_set(err, ENOMEM, "netlink message");
	}
	nla_nest_end(msg, af);
	int r = nl_send_sync(sk, msg);
	if (r < 0 && !(del && (r == -NLE_OBJ_NOTFOUND || r == -NLE_NOADDR))) {
		if (from == to)
			return NL_FAIL(err, r, "%s VLAN %u %s link %d", del ? "remove" : "add", from,
				       del ? "from" : "on", ifindex);
		return NL_FAIL(err, r, "add VLANs %u-%u on link %d", from, to, ifindex);
	}
	return 0;
}

int net_link_port_vlans(struct nl_sock *sk, int ifindex, bool self, const struct net_vlan *v,
			struct oci_err **err)
{
	int r;
	if (v->drop_default && (r = port_vlan(sk, ifindex, self, true, 1, 1, 0, err)) < 0)
		return r;
	if (v->vid && (r = port_vlan(sk, ifindex, self, false, (uint16_t)v->vid, (uint16_t)v->vid,
				     BRIDGE_VLAN_INFO_PVID | BRIDGE_VLAN_INFO_UNTAGGED, err)) < 0)
		return r;
	/* Trunk VLANs tagged, consecutive IDs as one range. */
	for (size_t i = 0; i < v->n_trunk;) {
		size_t k = i;
		while (k + 1 < v->n_trunk && v->trunk[k + 1] == v->trunk[k] + 1)
			k++;
		if ((r = port_vlan(sk, ifindex, self, false, v->trunk[i], v->trunk[k], 0, err)) < 0)
			return r;
		i = k + 1;
	}
	return 0;
}

int net_link_port_pvid(struct nl_sock *sk, int ifindex, struct oci_err **err)
{
	/* A dump of family AF_BRIDGE carries the ports' VLANs (RTEXT_FILTER_BRVLAN). */
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	int r = rtnl_link_alloc_cache(sk, AF_BRIDGE, &cache);
	if (r < 0)
		return NL_FAIL(err, r, "list bridge ports");
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_get(cache, ifindex);
	if (!l)
		return oci_err_set(err, ENODEV, "link %d is not a bridge port", ifindex);
	if (!rtnl_link_bridge_has_vlan(l))
		return 0;
	r = rtnl_link_bridge_pvid(l);
	return r > 0 ? r : 0;
}

int net_link_delete(struct nl_sock *sk, const char *ifname, struct oci_err **err)
{
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_alloc();
	rtnl_link_set_name(l, ifname);
	int r = rtnl_link_delete(sk, l);
	if (r < 0 && r != -NLE_OBJ_NOTFOUND && r != -NLE_NODEV)
		return NL_FAIL(err, r, "delete link '%s'", ifname);
	return 0;
}

int net_link_veth_create(struct nl_sock *sk, const struct net_network *n, const char *host_ifname,
			 int nsfd, const char *ifname, const char *mac, int *ret_host_index,
			 struct oci_err **err)
{
	_cleanup_(nl_addr_putp) struct nl_addr *lladdr = NULL;
	if (mac) {
		int pr = nl_addr_parse(mac, AF_LLC, &lladdr);
		if (pr < 0 || nl_addr_get_len(lladdr) != 6)
			return oci_err_set(err, EINVAL, "'%s' is not a MAC address", mac);
	}
	int br = net_link_index(sk, n->bridge, err);
	if (br < 0)
		return br;
	if (br == 0)
		return oci_err_set(err, ENODEV, "bridge '%s' is missing", n->bridge);
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = rtnl_link_veth_alloc();
	if (!l)
		return oci_err_set(err, ENOMEM, "veth");
	rtnl_link_set_name(l, host_ifname);
	rtnl_link_set_master(l, br);
	if (n->mtu)
		rtnl_link_set_mtu(l, n->mtu);
	rtnl_link_set_flags(l, IFF_UP);
	struct rtnl_link *peer = rtnl_link_veth_get_peer(l);
	rtnl_link_set_name(peer, ifname);
	rtnl_link_set_ns_fd(peer, nsfd);
	if (lladdr)
		rtnl_link_set_addr(peer, lladdr);
	if (n->mtu)
		rtnl_link_set_mtu(peer, n->mtu);
	rtnl_link_put(peer);
	int r = rtnl_link_add(sk, l, NLM_F_CREATE | NLM_F_EXCL);
	if (r < 0)
		return NL_FAIL(err, r, "create veth pair '%s' and '%s'", host_ifname, ifname);
	r = net_link_index(sk, host_ifname, err);
	if (r <= 0)
		return r < 0 ? r : oci_err_set(err, ENODEV, "veth '%s' vanished", host_ifname);
	*ret_host_index = r;
	return 0;
}

static int route_via(struct nl_sock *sk, int ifindex, const struct net_cidr *to,
		     const struct net_cidr *gw, struct oci_err **err)
{
	_cleanup_(rtnl_route_putp) struct rtnl_route *rt = rtnl_route_alloc();
	_cleanup_(nl_addr_putp) struct nl_addr *dst = NULL;
	dst = to_nl_addr(to);
	_cleanup_(nl_addr_putp) struct nl_addr *via = NULL;
	struct net_cidr g = *gw;
	g.prefix = gw->family == AF_INET ? 32 : 128;
	via = to_nl_addr(&g);
	rtnl_route_set_family(rt, (uint8_t)gw->family);
	rtnl_route_set_dst(rt, dst);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_BOOT);
	rtnl_route_set_scope(rt, RT_SCOPE_UNIVERSE);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();
	rtnl_route_nh_set_ifindex(nh, ifindex);
	rtnl_route_nh_set_gateway(nh, via);
	rtnl_route_add_nexthop(rt, nh);
	int r = rtnl_route_add(sk, rt, NLM_F_CREATE | NLM_F_REPLACE);
	if (r < 0) {
		_cleanup_free_ char *s = net_cidr_str(gw, false);
		_cleanup_free_ char *d = net_cidr_str(to, true);
		return NL_FAIL(err, r, "add route to %s via %s", d, s);
	}
	return 0;
}

/* The network's routes (or the default route) of one family via its gateway. */
static int routes_add(struct nl_sock *sk, int ifindex, const struct net_network *n,
		      const struct net_cidr *gw, struct oci_err **err)
{
	int r;
	if (!n->routes) {
		struct net_cidr any = { .family = gw->family, .prefix = 0 };
		return route_via(sk, ifindex, &any, gw, err);
	}
	for (char **p = n->routes; *p; p++) {
		struct net_cidr to;
		if (net_cidr_parse(*p, true, &to, NULL) < 0 || to.family != gw->family)
			continue;
		if ((r = route_via(sk, ifindex, &to, gw, err)) < 0)
			return r;
	}
	return 0;
}

static int has_addr(struct nl_sock *sk, int ifindex, const struct net_cidr *c, bool *ret,
		    struct oci_err **err)
{
	_cleanup_(nl_cache_freep) struct nl_cache *cache = NULL;
	int r = rtnl_addr_alloc_cache(sk, &cache);
	if (r < 0)
		return NL_FAIL(err, r, "list addresses");
	*ret = false;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		if (rtnl_addr_get_ifindex(a) != ifindex || !l ||
		    nl_addr_get_family(l) != c->family)
			continue;
		if (memcmp(nl_addr_get_binary_addr(l), c->addr, c->family == AF_INET ? 4 : 16) == 0)
			*ret = true;
	}
	return 0;
}

int net_link_configure_inside(void *arg, struct oci_err **err)
{
	struct net_inside *in = arg;
	const struct net_endpoint *e = in->e;
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	int r = net_nl_open(&sk, err);
	if (r < 0)
		return r;
	_cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL;
	if (!in->check_only && rtnl_link_get_kernel(sk, 0, "lo", &lo) == 0 &&
	    (r = link_up(sk, lo, err)) < 0)
		return r;
	_cleanup_(rtnl_link_putp) struct rtnl_link *l = NULL;
	r = rtnl_link_get_kernel(sk, 0, e->ifname, &l);
	if (r < 0)
		return NL_FAIL(err, r, "interface '%s' in the namespace", e->ifname);
	int idx = rtnl_link_get_ifindex(l);
	struct nl_addr *mac = rtnl_link_get_addr(l);
	if (mac) {
		char buf[64];
		in->mac = xstrdup(nl_addr2str(mac, buf, sizeof(buf)));
	}
	if (in->check_only) {
		bool ok = false;
		if (!(rtnl_link_get_flags(l) & IFF_UP))
			return oci_err_set(err, ENODEV, "interface '%s' is down", e->ifname);
		if ((r = has_addr(sk, idx, &e->ip, &ok, err)) < 0)
			return r;
		if (!ok) {
			_cleanup_free_ char *s = net_cidr_str(&e->ip, true);
			return oci_err_set(err, ENOENT, "interface '%s' lacks address %s",
					   e->ifname, s);
		}
		return 0;
	}
	if ((r = addr_add(sk, idx, &e->ip, err)) < 0)
		return r;
	if (e->ip6.family && (r = addr_add(sk, idx, &e->ip6, err)) < 0)
		return r;
	if ((r = link_up(sk, l, err)) < 0)
		return r;
	if (e->bw.egress_rate && (r = net_link_tbf(sk, idx, e->bw.egress_rate, e->bw.egress_burst,
						      err)) < 0)
		return r;
	if (!in->n->internal) {
		if ((r = routes_add(sk, idx, in->n, &in->n->gateway, err)) < 0)
			return r;
		if (e->ip6.family && (r = routes_add(sk, idx, in->n, &in->n->gateway6, err)) < 0)
			return r;
	}
	return 0;
}

int net_link_lo_up(struct oci_err **err)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	_cleanup_(rtnl_link_putp) struct rtnl_link *lo = NULL;
	int r = net_nl_open(&sk, err);
	if (r < 0)
		return r;
	if ((r = rtnl_link_get_kernel(sk, 0, "lo", &lo)) < 0)
		return NL_FAIL(err, r, "look up 'lo'");
	return link_up(sk, lo, err);
}

int net_link_lo_up_arg(void *arg, struct oci_err **err)
{
	(void)arg;
	return net_link_lo_up(err);
}

int net_link_index_quiet(const char *ifname)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	if (net_nl_open(&sk, NULL) < 0)
		return -1;
	return net_link_index(sk, ifname, NULL);
}

int net_host_addr_conflict(const struct net_cidr *subnet, char **ret_desc)
{
	_cleanup_(nl_socket_freep) struct nl_sock *sk = NULL;
	_cleanup_(nl_cache_freep) struct nl_cache *addrs = NULL;
	_cleanup_(nl_cache_freep) struct nl_cache *links = NULL;
	if (net_nl_open(&sk, NULL) < 0 || rtnl_addr_alloc_cache(sk, &addrs) < 0 ||
	    rtnl_link_alloc_cache(sk, AF_UNSPEC, &links) < 0)
		return 0; /* cannot tell: no conflict known */
	for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		if (!l || nl_addr_get_family(l) != subnet->family)
			continue;
		struct net_cidr c = { .family = subnet->family, .prefix = rtnl_addr_get_prefixlen(a) };
		memcpy(c.addr, nl_addr_get_binary_addr(l), subnet->family == AF_INET ? 4 : 16);
		/* Loopback and link-local addresses do not route anywhere. */
		if ((c.family == AF_INET && c.addr[0] == 127) ||
		    (c.family == AF_INET6 && ((c.addr[0] == 0xfe && (c.addr[1] & 0xc0) == 0x80) ||
					      (memcmp(c.addr, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0))))
			continue;
		if (!net_cidr_overlaps(&c, subnet))
			continue;
		char name[IFNAMSIZ] = "";
		rtnl_link_i2name(links, rtnl_addr_get_ifindex(a), name, sizeof(name));
		_cleanup_free_ char *s = net_cidr_str(&c, true);
		*ret_desc = xasprintf("%s on '%s'", s, name);
		return 1;
	}
	return 0;
}
