/* The host side: one nftables table (inet oci_net) rebuilt from the store
 * in a single atomic transaction on every change (so a crash or kill -9
 * never leaves a half-applied rule set, and gc is a rebuild), and the
 * forwarding sysctls, saved in host.json before the first change and put
 * back when the last network that needed them is gone. */
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "exec.h"
#include "json.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

#define SYSCTL_FWD4 "/proc/sys/net/ipv4/ip_forward"
#define SYSCTL_FWD6 "/proc/sys/net/ipv6/conf/all/forwarding"

int net_sysctl_read(const char *path, char **ret, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	char buf[64];
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", path);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return oci_err_sys(err, "read '%s'", path);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	*ret = xstrdup(buf);
	return 0;
}

int net_sysctl_write(const char *path, const char *value, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", path);
	size_t len = strlen(value);
	if (write(fd, value, len) != (ssize_t)len)
		return oci_err_sys(err, "write '%s'", path);
	return 0;
}

struct fw_state {
	struct net_network **nets;
	struct net_endpoint ***eps; /* per network */
	size_t n;
	bool mac_table;       /* the bridge table exists (marker file .mac-table) */
	bool mac_table_after; /* and will after this script */
};

static void fw_state_release(struct fw_state *s)
{
	for (size_t i = 0; i < s->n; i++) {
		net_network_free(s->nets[i]);
		net_endpoints_free(s->eps[i]);
	}
	free(s->nets);
	free(s->eps);
}

static int fw_state_load(struct net_ctx *ctx, struct fw_state *s, struct oci_err **err)
{
	_cleanup_strv_ char **names = NULL;
	int r = net_network_list(ctx, &names, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *marker = xasprintf("%s/.mac-table", ctx->dir);
	s->mac_table = access(marker, F_OK) == 0;
	size_t n = oci_strv_len(names);
	s->nets = xcalloc(n + 1, sizeof(*s->nets));
	s->eps = xcalloc(n + 1, sizeof(*s->eps));
	for (size_t i = 0; i < n; i++) {
		struct net_network *net = NULL;
		struct net_endpoint **eps = NULL;
		if ((r = net_network_load(ctx, names[i], &net, err)) < 0)
			return r;
		if ((r = net_endpoints_load(ctx, names[i], &eps, err)) < 0) {
			net_network_free(net);
			return r;
		}
		s->nets[s->n] = net;
		s->eps[s->n] = eps;
		s->n++;
	}
	return 0;
}

static int add_ports(struct sbuf *sb, struct sbuf *post, const struct net_network *n,
		     struct net_endpoint **eps, struct oci_err **err)
{
	for (struct net_endpoint **e = eps; *e; e++) {
		if (!(*e)->n_ports)
			continue;
		/* conditionsV4/V6 (checked at connect) go in front of each rule. */
		_cleanup_free_ char *c4 = NULL, *c6 = NULL;
		if (net_port_cond_nft((*e)->cond4, AF_INET, &c4, err) < 0 ||
		    net_port_cond_nft((*e)->cond6, AF_INET6, &c6, err) < 0)
			return oci_err_wrap(err, "endpoint '%s'", (*e)->id);
		for (size_t i = 0; i < (*e)->n_ports; i++) {
			const struct net_port *p = &(*e)->ports[i];
			const char *proto = net_proto_name(p->proto);
			_cleanup_free_ char *hip = net_cidr_str(&p->host_ip, false);
			bool v6host = p->host_ip.family == AF_INET6;
			if (!v6host) {
				_cleanup_free_ char *cip = net_cidr_str(&(*e)->ip, false);
				sbuf_addf(sb, "\t\tmeta nfproto ipv4 ");
				if (*c4)
					sbuf_addf(sb, "%s ", c4);
				if (p->host_ip.family == AF_INET)
					sbuf_addf(sb, "ip daddr %s ", hip);
				sbuf_addf(sb, "%s dport %u dnat ip to %s:%u\n", proto, p->host_port,
					  cip, p->container_port);
			}
			if ((*e)->ip6.family && (v6host || !p->host_ip.family)) {
				_cleanup_free_ char *cip6 = net_cidr_str(&(*e)->ip6, false);
				sbuf_addf(sb, "\t\tmeta nfproto ipv6 ");
				if (*c6)
					sbuf_addf(sb, "%s ", c6);
				if (v6host)
					sbuf_addf(sb, "ip6 daddr %s ", hip);
				sbuf_addf(sb, "%s dport %u dnat ip6 to [%s]:%u\n", proto, p->host_port,
					  cip6, p->container_port);
			}
		}
		/* masqAll: whatever reaches a published port of it comes from the gateway. */
		if ((*e)->masq_all) {
			_cleanup_free_ char *cip = net_cidr_str(&(*e)->ip, false);
			sbuf_addf(post, "\t\toifname \"%s\" ct status dnat ip daddr %s masquerade\n",
				  n->bridge, cip);
			if ((*e)->ip6.family) {
				_cleanup_free_ char *cip6 = net_cidr_str(&(*e)->ip6, false);
				sbuf_addf(post,
					  "\t\toifname \"%s\" ct status dnat ip6 daddr %s masquerade\n",
					  n->bridge, cip6);
			}
		}
	}
	return 0;
}

static int script_from(struct fw_state *s, char **ret, struct oci_err **err)
{
	struct sbuf ports = SBUF_INIT, post = SBUF_INIT, fwd = SBUF_INIT;
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	bool any = false;

	for (size_t i = 0; i < s->n; i++) {
		const struct net_network *n = s->nets[i];
		bool has_eps = s->eps[i][0] != NULL;
		if (n->internal) {
			/* No way out, and no way in, but between its own members. */
			sbuf_addf(&fwd, "\t\tiifname \"%s\" oifname != \"%s\" drop\n", n->bridge,
				  n->bridge);
			sbuf_addf(&fwd, "\t\toifname \"%s\" iifname != \"%s\" drop\n", n->bridge,
				  n->bridge);
			any = true;
			continue;
		}
		if (!has_eps)
			continue;
		any = true;
		_cleanup_free_ char *sub = net_cidr_str(&n->subnet, true);
		if (n->masquerade)
			sbuf_addf(&post, "\t\tip saddr %s oifname != \"%s\" masquerade\n", sub,
				  n->bridge);
		/* Hairpin and the host's loopback reaching a published port. */
		sbuf_addf(&post,
			  "\t\toifname \"%s\" ct status dnat ip saddr { %s, 127.0.0.0/8 } masquerade\n",
			  n->bridge, sub);
		if (n->ipv6) {
			_cleanup_free_ char *sub6 = net_cidr_str(&n->subnet6, true);
			if (n->masquerade)
				sbuf_addf(&post, "\t\tip6 saddr %s oifname != \"%s\" masquerade\n",
					  sub6, n->bridge);
			sbuf_addf(&post,
				  "\t\toifname \"%s\" ct status dnat ip6 saddr { %s, ::1 } masquerade\n",
				  n->bridge, sub6);
		}
		/* Networks are isolated from each other. */
		for (size_t k = 0; k < s->n; k++) {
			if (k != i)
				sbuf_addf(&fwd, "\t\tiifname \"%s\" oifname \"%s\" drop\n", n->bridge,
					  s->nets[k]->bridge);
		}
		if (add_ports(&ports, &post, n, s->eps[i], err) < 0) {
			sbuf_release(&ports);
			sbuf_release(&post);
			sbuf_release(&fwd);
			return -EINVAL;
		}
	}
	/* MAC spoof checks: a bridge-family table of their own. */
	struct sbuf mac = SBUF_INIT;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->nets[i]->mac_spoof_check)
			continue;
		for (struct net_endpoint **e = s->eps[i]; *e; e++)
			if ((*e)->mac)
				sbuf_addf(&mac, "\t\tiifname \"%s\" ether saddr != %s drop\n",
					  (*e)->host_ifname, (*e)->mac);
	}
	/* Only touched when needed or made before (kernels may lack the bridge family). */
	if (mac.len || s->mac_table)
		sbuf_addf(&sb, "table bridge %s_mac\ndelete table bridge %s_mac\n", NET_NFT_TABLE,
			  NET_NFT_TABLE);
	s->mac_table_after = mac.len > 0;
	if (mac.len)
		sbuf_addf(&sb,
			  "table bridge %s_mac {\n\tchain prerouting {\n"
			  "\t\ttype filter hook prerouting priority -300; policy accept;\n%s\t}\n}\n",
			  NET_NFT_TABLE, mac.buf);
	sbuf_release(&mac);
	sbuf_addf(&sb, "table inet %s\ndelete table inet %s\n", NET_NFT_TABLE, NET_NFT_TABLE);
	if (any) {
		sbuf_addf(&sb, "table inet %s {\n", NET_NFT_TABLE);
		sbuf_addf(&sb, "\tchain ports {\n%s\t}\n", ports.buf);
		sbuf_addstr(&sb, "\tchain prerouting {\n"
				 "\t\ttype nat hook prerouting priority dstnat; policy accept;\n"
				 "\t\tfib daddr type local jump ports\n\t}\n");
		sbuf_addstr(&sb, "\tchain output {\n"
				 "\t\ttype nat hook output priority -100; policy accept;\n"
				 "\t\tfib daddr type local jump ports\n\t}\n");
		sbuf_addf(&sb,
			  "\tchain postrouting {\n"
			  "\t\ttype nat hook postrouting priority srcnat; policy accept;\n%s\t}\n",
			  post.buf);
		sbuf_addf(&sb,
			  "\tchain forward {\n"
			  "\t\ttype filter hook forward priority filter; policy accept;\n%s\t}\n",
			  fwd.buf);
		sbuf_addstr(&sb, "}\n");
	}
	sbuf_release(&ports);
	sbuf_release(&post);
	sbuf_release(&fwd);
	*ret = sbuf_detach(&sb, NULL);
	return 0;
}

int net_firewall_script(struct net_ctx *ctx, char **ret, struct oci_err **err)
{
	struct fw_state s = { 0 };
	int r = fw_state_load(ctx, &s, err);
	if (r >= 0)
		r = script_from(&s, ret, err);
	fw_state_release(&s);
	return r;
}

static int nft_apply(const char *script, struct oci_err **err)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return oci_err_set(err, ENOMEM, "nftables context");
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	int r = nft_run_cmd_from_buffer(nft, script);
	if (r != 0) {
		_cleanup_free_ char *msg = xstrdup(nft_ctx_get_error_buffer(nft));
		nft_ctx_free(nft);
		/* One line: the first line of nft's message. */
		msg[strcspn(msg, "\n")] = '\0';
		return oci_err_set(err, EIO, "nftables: %s", msg);
	}
	nft_ctx_free(nft);
	return 0;
}

/* Runs an nft command and returns its output (NULL when it fails). */
static char *nft_query(const char *cmd)
{
	struct nft_ctx *nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!nft)
		return NULL;
	nft_ctx_buffer_output(nft);
	nft_ctx_buffer_error(nft);
	char *out = NULL;
	if (nft_run_cmd_from_buffer(nft, cmd) == 0)
		out = xstrdup(nft_ctx_get_output_buffer(nft));
	nft_ctx_free(nft);
	return out;
}

/* ---- the iptables fallback (IPv4 only): chains OCI-NET-* filled by
 * iptables-restore --noflush, jumped to from the built-in chains. ---- */

/* Runs argv (found in /usr/sbin, /sbin or PATH) with input on stdin;
 * *ret_status gets its exit status and *ret_msg the first line of stderr. */
static int run_input(char *const argv[], const char *input, int *ret_status, char **ret_msg,
		     struct oci_err **err)
{
	struct oci_exec x = { .argv = argv, .search = "/usr/sbin:/sbin", .in = input,
			      .in_len = input ? strlen(input) : 0, .out_mode = OCI_EXEC_NULL,
			      .err_mode = OCI_EXEC_CAPTURE, .max_capture = 4096 };
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = oci_exec_run(&x, &res, err);
	if (r == -ENOENT || (r == 0 && res.status == 127)) {
		oci_err_clear(err);
		return oci_err_set(err, ENOENT, "cannot run '%s'", argv[0]);
	}
	if (r < 0)
		return r;
	res.errout[strcspn(res.errout, "\n")] = '\0';
	*ret_msg = TAKE_PTR(res.errout);
	*ret_status = res.status;
	return 0;
}

static int ipt(const char *const *args, const char *input, bool check, struct oci_err **err)
{
	char *argv[16];
	size_t n = 0;
	for (; args[n] && n < ARRAY_SIZE(argv) - 1; n++)
		argv[n] = (char *)args[n];
	argv[n] = NULL;
	int status = 0;
	_cleanup_free_ char *msg = NULL;
	int r = run_input(argv, input, &status, &msg, err);
	if (r < 0)
		return r;
	if (status != 0 && !check)
		return oci_err_set(err, EIO, "%s: %s", argv[0], *msg ? msg : "failed");
	return status == 0 ? 0 : 1;
}

struct ipt_jump {
	const char *table, *chain, *match, *target;
};
static const struct ipt_jump ipt_jumps[] = {
	{ "nat", "PREROUTING", "addrtype", "OCI-NET-PORTS" },
	{ "nat", "OUTPUT", "addrtype", "OCI-NET-PORTS" },
	{ "nat", "POSTROUTING", NULL, "OCI-NET-POST" },
	{ "filter", "FORWARD", NULL, "OCI-NET-FWD" },
};

static int ipt_jump(const struct ipt_jump *j, const char *op, bool check, struct oci_err **err)
{
	const char *a[16] = { "iptables", "-w", "-t", j->table, op, j->chain };
	size_t n = 6;
	if (j->match) {
		a[n++] = "-m";
		a[n++] = "addrtype";
		a[n++] = "--dst-type";
		a[n++] = "LOCAL";
	}
	a[n++] = "-j";
	a[n++] = j->target;
	a[n] = NULL;
	return ipt(a, NULL, check, err);
}

static int ipt_apply(struct fw_state *s, struct oci_err **err)
{
	struct sbuf nat = SBUF_INIT, filt = SBUF_INIT, accept = SBUF_INIT;
	bool any = false;
	for (size_t i = 0; i < s->n; i++) {
		const struct net_network *n = s->nets[i];
		if (n->internal) {
			sbuf_addf(&filt, "-A OCI-NET-FWD -i %s ! -o %s -j DROP\n", n->bridge, n->bridge);
			sbuf_addf(&filt, "-A OCI-NET-FWD -o %s ! -i %s -j DROP\n", n->bridge, n->bridge);
			any = true;
			continue;
		}
		if (!s->eps[i][0])
			continue;
		any = true;
		_cleanup_free_ char *sub = net_cidr_str(&n->subnet, true);
		sbuf_addf(&nat, "-A OCI-NET-POST -s %s ! -o %s -j MASQUERADE\n", sub, n->bridge);
		sbuf_addf(&nat, "-A OCI-NET-POST -o %s -s %s -m conntrack --ctstate DNAT -j MASQUERADE\n",
			  n->bridge, sub);
		sbuf_addf(&nat,
			  "-A OCI-NET-POST -o %s -s 127.0.0.0/8 -m conntrack --ctstate DNAT -j MASQUERADE\n",
			  n->bridge);
		for (size_t k = 0; k < s->n; k++)
			if (k != i)
				sbuf_addf(&filt, "-A OCI-NET-FWD -i %s -o %s -j DROP\n", n->bridge,
					  s->nets[k]->bridge);
		/* Past a FORWARD policy of DROP (as Docker leaves it). */
		sbuf_addf(&accept, "-A OCI-NET-FWD -i %s -j ACCEPT\n-A OCI-NET-FWD -o %s -j ACCEPT\n",
			  n->bridge, n->bridge);
		for (struct net_endpoint **e = s->eps[i]; *e; e++) {
			_cleanup_free_ char *cip = net_cidr_str(&(*e)->ip, false);
			/* conditionsV4 are iptables matches already (checked at connect). */
			_cleanup_sbuf_ struct sbuf cond = SBUF_INIT;
			for (char **c = (*e)->cond4; c && *c; c++)
				sbuf_addf(&cond, " %s", *c);
			if ((*e)->masq_all && (*e)->n_ports)
				sbuf_addf(&nat,
					  "-A OCI-NET-POST -o %s -d %s -m conntrack --ctstate DNAT -j MASQUERADE\n",
					  n->bridge, cip);
			for (size_t p = 0; p < (*e)->n_ports; p++) {
				const struct net_port *pt = &(*e)->ports[p];
				if (pt->host_ip.family == AF_INET6)
					continue;
				sbuf_addf(&nat, "-A OCI-NET-PORTS%s -p %s", cond.buf,
					  net_proto_name(pt->proto));
				if (pt->host_ip.family) {
					_cleanup_free_ char *h = net_cidr_str(&pt->host_ip, false);
					sbuf_addf(&nat, " -d %s", h);
				}
				sbuf_addf(&nat, " --dport %u -j DNAT --to-destination %s:%u\n",
					  pt->host_port, cip, pt->container_port);
			}
		}
	}
	int r = 0;
	if (any) {
		_cleanup_sbuf_ struct sbuf in = SBUF_INIT;
		sbuf_addf(&in, "*nat\n:OCI-NET-PORTS - [0:0]\n:OCI-NET-POST - [0:0]\n%sCOMMIT\n", nat.buf);
		sbuf_addf(&in, "*filter\n:OCI-NET-FWD - [0:0]\n%s%sCOMMIT\n", filt.buf, accept.buf);
		const char *a[] = { "iptables-restore", "-w", "--noflush", NULL };
		r = ipt(a, in.buf, false, err);
		for (size_t i = 0; r >= 0 && i < ARRAY_SIZE(ipt_jumps); i++) {
			r = ipt_jump(&ipt_jumps[i], "-C", true, err);
			if (r == 1)
				r = ipt_jump(&ipt_jumps[i], "-I", false, err);
		}
	} else {
		/* Nothing left: take the jumps and chains away (missing ones are fine). */
		for (size_t i = 0; i < ARRAY_SIZE(ipt_jumps); i++)
			while (ipt_jump(&ipt_jumps[i], "-D", true, NULL) == 0)
				;
		const char *chains[][2] = { { "nat", "OCI-NET-PORTS" }, { "nat", "OCI-NET-POST" },
					    { "filter", "OCI-NET-FWD" } };
		for (size_t i = 0; i < ARRAY_SIZE(chains); i++) {
			const char *f[] = { "iptables", "-w", "-t", chains[i][0], "-F", chains[i][1], NULL };
			const char *x[] = { "iptables", "-w", "-t", chains[i][0], "-X", chains[i][1], NULL };
			ipt(f, NULL, true, NULL);
			ipt(x, NULL, true, NULL);
		}
	}
	sbuf_release(&nat);
	sbuf_release(&filt);
	sbuf_release(&accept);
	return r;
}

/* With nftables in charge, a host whose iptables FORWARD chain drops by
 * default (Docker sets that policy) would still drop the networks' traffic:
 * then a chain OCI-NET-ACCEPT, jumped to first from FORWARD, accepts what
 * comes from or goes to the bridges (isolation and internal networks stay
 * enforced by our own table, whose drops win). The marker .ipt-accept
 * remembers that the chain exists. */
static int forward_compat(struct net_ctx *ctx, struct fw_state *s, struct oci_err **err)
{
	_cleanup_free_ char *marker = xasprintf("%s/.ipt-accept", ctx->dir);
	bool made = access(marker, F_OK) == 0;
	struct sbuf rules = SBUF_INIT;
	for (size_t i = 0; i < s->n; i++)
		if (!s->nets[i]->internal && s->eps[i][0])
			sbuf_addf(&rules, "-A OCI-NET-ACCEPT -i %s -j ACCEPT\n-A OCI-NET-ACCEPT -o %s -j ACCEPT\n",
				  s->nets[i]->bridge, s->nets[i]->bridge);
	int r = 0;
	if (rules.len) {
		_cleanup_free_ char *fwd = made ? NULL : nft_query("list chain ip filter FORWARD");
		if (made || (fwd && strstr(fwd, "policy drop"))) {
			_cleanup_sbuf_ struct sbuf in = SBUF_INIT;
			sbuf_addf(&in, "*filter\n:OCI-NET-ACCEPT - [0:0]\n%sCOMMIT\n", rules.buf);
			const char *a[] = { "iptables-restore", "-w", "--noflush", NULL };
			struct ipt_jump j = { "filter", "FORWARD", NULL, "OCI-NET-ACCEPT" };
			r = ipt(a, in.buf, false, err);
			if (r >= 0 && (r = ipt_jump(&j, "-C", true, err)) == 1)
				r = ipt_jump(&j, "-I", false, err);
			if (r >= 0 && !made)
				r = net_write_atomic(marker, "", 0, err);
		}
	} else if (made) {
		struct ipt_jump j = { "filter", "FORWARD", NULL, "OCI-NET-ACCEPT" };
		while (ipt_jump(&j, "-D", true, NULL) == 0)
			;
		const char *f[] = { "iptables", "-w", "-F", "OCI-NET-ACCEPT", NULL };
		const char *x[] = { "iptables", "-w", "-X", "OCI-NET-ACCEPT", NULL };
		ipt(f, NULL, true, NULL);
		ipt(x, NULL, true, NULL);
		unlink(marker);
	}
	sbuf_release(&rules);
	return r;
}

/* Inside a container's namespace (run through net_in_netns): Docker's
 * embedded resolver address 127.0.0.11 leads to the network's DNS server. */
int net_firewall_inside_dns(void *arg, struct oci_err **err)
{
	const struct net_inside *in = arg;
	_cleanup_free_ char *gw = net_cidr_str(&in->n->gateway, false);
	_cleanup_free_ char *ip = net_cidr_str(&in->e->ip, false);
	_cleanup_free_ char *script = xasprintf(
		"table ip oci_dns\ndelete table ip oci_dns\n"
		"table ip oci_dns {\n"
		"\tchain output {\n\t\ttype nat hook output priority -100; policy accept;\n"
		"\t\tip daddr 127.0.0.11 udp dport 53 dnat to %s:53\n"
		"\t\tip daddr 127.0.0.11 tcp dport 53 dnat to %s:53\n\t}\n"
		"\tchain postrouting {\n\t\ttype nat hook postrouting priority srcnat; policy accept;\n"
		"\t\tip saddr 127.0.0.0/8 ip daddr %s oifname \"%s\" snat to %s\n\t}\n}\n",
		gw, gw, gw, in->e->ifname, ip);
	int r = nft_apply(script, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *p = xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", in->e->ifname);
	return net_sysctl_write(p, "1", err);
}

/* host.json: {"ipv4Forward": "0", "ipv6Forward": "0"}; a key is present
 * while oci-net holds the sysctl changed. */
static int sysctl_hold(struct net_ctx *ctx, json_t *saved, const char *key, const char *path,
		       bool need, bool *changed, struct oci_err **err)
{
	json_t *v = json_object_get(saved, key);
	int r;
	if (need) {
		_cleanup_free_ char *cur = NULL;
		if ((r = net_sysctl_read(path, &cur, err)) < 0)
			return r;
		if (streq(cur, "1"))
			return 0;
		if (!v) {
			json_object_set_new(saved, key, json_string(cur));
			*changed = true;
		}
		return net_sysctl_write(path, "1", err);
	}
	if (v && json_is_string(v)) {
		if ((r = net_sysctl_write(path, json_string_value(v), err)) < 0)
			return r;
		json_object_del(saved, key);
		*changed = true;
	}
	(void)ctx;
	return 0;
}

static int sysctls_sync(struct net_ctx *ctx, struct fw_state *s, struct oci_err **err)
{
	bool need4 = false, need6 = false, changed = false;
	for (size_t i = 0; i < s->n; i++) {
		if (s->nets[i]->internal)
			continue;
		need4 = true;
		if (s->nets[i]->ipv6)
			need6 = true;
	}
	_cleanup_free_ char *file = xasprintf("%s/host.json", ctx->dir);
	json_auto_t *saved = NULL;
	if (access(file, F_OK) == 0) {
		int r = oci_json_load_file(file, 0, &saved, err);
		if (r < 0)
			return r;
	}
	if (!saved || !json_is_object(saved)) {
		json_decref(saved);
		saved = json_object();
	}
	int r = sysctl_hold(ctx, saved, "ipv4Forward", SYSCTL_FWD4, need4, &changed, err);
	if (r >= 0)
		r = sysctl_hold(ctx, saved, "ipv6Forward", SYSCTL_FWD6, need6, &changed, err);
	if (changed) {
		if (json_object_size(saved) == 0) {
			unlink(file);
		} else {
			_cleanup_free_ char *txt = oci_json_dumps(saved);
			int w = net_write_atomic(file, txt, strlen(txt), err);
			if (r >= 0)
				r = w;
		}
	}
	/* route_localnet lets the host's 127.0.0.1 reach published ports. */
	for (size_t i = 0; i < s->n; i++) {
		if (s->nets[i]->internal || !s->eps[i][0])
			continue;
		_cleanup_free_ char *p =
			xasprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", s->nets[i]->bridge);
		if (access(p, F_OK) == 0)
			net_sysctl_write(p, "1", NULL);
	}
	return r;
}

int net_firewall_sync(struct net_ctx *ctx, struct oci_err **err)
{
	struct fw_state s = { 0 };
	_cleanup_free_ char *script = NULL;
	int r = fw_state_load(ctx, &s, err);
	if (r >= 0)
		r = script_from(&s, &script, err);
	/* OCI_NET_FIREWALL=iptables forces the fallback; it is also used when
	 * nftables is not there at all. */
	const char *fw = secure_getenv("OCI_NET_FIREWALL");
	bool use_ipt = fw && streq(fw, "iptables");
	if (r >= 0 && !use_ipt) {
		r = nft_apply(script, err);
		if (r < 0 && err && *err && !fw &&
		    (strstr((*err)->msg, "not supported") || strstr((*err)->msg, "Protocol"))) {
			oci_err_clear(err);
			use_ipt = true;
		}
	}
	if (r >= 0 && use_ipt)
		r = ipt_apply(&s, err);
	if (r >= 0 && !use_ipt)
		r = forward_compat(ctx, &s, err);
	if (r >= 0 && !use_ipt && s.mac_table != s.mac_table_after) {
		_cleanup_free_ char *marker = xasprintf("%s/.mac-table", ctx->dir);
		if (s.mac_table_after)
			r = net_write_atomic(marker, "", 0, err);
		else
			unlink(marker);
	}
	if (r >= 0)
		r = sysctls_sync(ctx, &s, err);
	fw_state_release(&s);
	return r;
}
