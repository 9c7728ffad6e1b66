/* oci-net: container networks (bridge, veth, IPAM, NAT, published ports,
 * DNS), an OCI hook and a CNI plugin. The modules share these types.
 *
 * Store layout (below STORE/networks/):
 *   .lock                 one lock for every change to networks
 *   host.json             host sysctls as they were before oci-net changed them
 *   NAME/network.json     the definition
 *   NAME/endpoints/ID.json one attachment of a network namespace
 *   NAME/hosts            names of the endpoints, for the DNS server
 *   NAME/dns.pid          the network's DNS server */
#ifndef OCI_NET_H
#define OCI_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

#define NET_DEFAULT_NAME "bridge"
#define NET_DEFAULT_SUBNET "172.17.0.0/16"
#define NET_DEFAULT_BRIDGE "oci0"
#define NET_NFT_TABLE "oci_net"

/* ---- numbers (ipam.c) ---- */
/* A decimal number in [min, max] written plainly: ASCII digits only, no
 * sign, blank, hex prefix or leading zero ("0" alone is fine), as Go's
 * netip.ParsePrefix wants its prefix length. Every number oci-net reads
 * from text goes through it. -EINVAL for a malformed one, -ERANGE when out
 * of range; *ret is set only on success. */
int net_parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/* ---- addresses (ipam.c) ---- */
struct net_cidr {
	int family; /* AF_INET or AF_INET6; 0: unset */
	unsigned char addr[16];
	int prefix;
};

/* "10.1.2.3/24", "fd00::/64"; with require_prefix false a bare address gets /32 or /128. */
int net_cidr_parse(const char *s, bool require_prefix, struct net_cidr *ret, struct oci_err **err);
int net_ip_parse(const char *s, struct net_cidr *ret, struct oci_err **err);
/* "10.1.2.3/24" (with_prefix) or "10.1.2.3"; caller frees. */
char *net_cidr_str(const struct net_cidr *c, bool with_prefix);
/* The network address of c (host bits cleared). */
void net_cidr_network(const struct net_cidr *c, struct net_cidr *ret);
bool net_cidr_contains(const struct net_cidr *net, const struct net_cidr *ip);
bool net_cidr_overlaps(const struct net_cidr *a, const struct net_cidr *b);
bool net_ip_equal(const struct net_cidr *a, const struct net_cidr *b);
/* The n-th address of the subnet (n = 1: first host). */
int net_cidr_nth(const struct net_cidr *subnet, uint64_t n, struct net_cidr *ret);

/* Picks the lowest free host address of subnet above the gateway that is not
 * the network or broadcast address and not in used[0..n_used). */
int net_ipam_alloc(const struct net_cidr *subnet, const struct net_cidr *gateway,
		   const struct net_cidr *used, size_t n_used, struct net_cidr *ret,
		   struct oci_err **err);
/* Checks a requested address: inside subnet, not network/broadcast/gateway, not used. */
int net_ipam_check(const struct net_cidr *subnet, const struct net_cidr *gateway,
		   const struct net_cidr *used, size_t n_used, const struct net_cidr *want,
		   struct oci_err **err);

/* ---- published ports (portmap.c) ---- */
struct net_port {
	struct net_cidr host_ip; /* family 0: every host address */
	uint16_t host_port;
	uint16_t container_port;
	int proto; /* IPPROTO_TCP or IPPROTO_UDP */
};

/* Extra matches of the portmap plugin (conditionsV4, conditionsV6): iptables
 * match arguments ("-s", "10.0.0.0/8", "!", "-i", "eth0") turned into an
 * nftables expression for family (AF_INET or AF_INET6). Understood: -s/-d
 * (--source/--destination, --src/--dst), -p (tcp, udp, sctp, icmp,
 * icmpv6), --sport/--dport (N or N:M, after -p tcp|udp|sctp), -i/-o
 * (--in-interface/--out-interface, a trailing '+' as wildcard), '!' before
 * any of them, and -m tcp|udp|sctp (no-op). Anything else is refused with
 * one line naming the option. *ret gets the expression (caller frees; ""
 * for no arguments). */
int net_port_cond_nft(char *const *args, int family, char **ret, struct oci_err **err);

/* "[HOST_IP:]HOST_PORT:CONTAINER_PORT[/tcp|udp]" ("[::1]:80:80" for IPv6). */
int net_port_parse(const char *s, struct net_port *ret, struct oci_err **err);
/* Back to the same text form; caller frees. */
char *net_port_str(const struct net_port *p);
const char *net_proto_name(int proto);

/* ---- VLANs (vlan.c; applied by link.c) ---- */
struct net_vlan {
	unsigned vid;        /* access VLAN: the port's PVID, untagged (0: none) */
	uint16_t *trunk;     /* tagged VLANs (trunk port), sorted, unique */
	size_t n_trunk;
	bool drop_default;   /* preserveDefaultVlan false: VLAN 1 leaves the port */
};
void net_vlan_release(struct net_vlan *v);
void net_vlan_copy(struct net_vlan *dst, const struct net_vlan *src);
struct json_t;
/* The bridge plugin's "vlan" (0 to 4094), "vlanTrunk" ([{"id"} or
 * {"minID", "maxID"}], 1 to 4094) and "preserveDefaultVlan" (default true)
 * of a CNI configuration; vlan and vlanTrunk exclude each other. */
int net_vlan_from_cni(struct json_t *conf, struct net_vlan *ret, struct oci_err **err);
/* The same keys for the endpoint file; net_vlan_from_cni reads them back. */
void net_vlan_to_json(const struct net_vlan *v, struct json_t *j);

/* ---- network definitions (network.c) ---- */
struct net_network {
	char *name;
	char *id;
	char *bridge;
	struct net_cidr subnet;
	struct net_cidr gateway;
	bool ipv6;
	struct net_cidr subnet6;
	struct net_cidr gateway6;
	bool internal;
	bool dns; /* run a DNS server on the gateway */
	bool masquerade;     /* outbound NAT (default true) */
	bool hairpin;        /* bridge ports in hairpin mode (default true) */
	bool isolate_ports;  /* endpoints cannot reach each other (bridge port isolation) */
	bool mac_spoof_check; /* drop frames from an endpoint with another source MAC */
	unsigned mtu;
	unsigned vlan;       /* VLAN of the gateway and default of endpoints (0: none) */
	char **dns_upstreams; /* "IP" or "IP:PORT"; NULL: the host's resolv.conf */
	char **routes;        /* destinations routed via the gateway; NULL: the default route */
	char *created;
};

struct net_create_opts {
	const char *subnet;
	const char *gateway;
	const char *subnet6;
	const char *gateway6;
	const char *bridge;
	bool internal;
	bool ipv6;
	bool no_dns;
	bool no_masquerade;
	bool no_hairpin;
	bool isolate_ports;
	bool mac_spoof_check;
	unsigned mtu;
	unsigned vlan;
	char **dns_upstreams;
	char **routes;
};

struct net_ctx {
	char *store;        /* the store root */
	char *dir;          /* STORE/networks */
	char *default_subnet; /* subnet of the default network "bridge" */
	int lock_fd;
};

int net_ctx_init(struct net_ctx *ctx, const char *store_opt, const char *default_subnet,
		 struct oci_err **err);
void net_ctx_release(struct net_ctx *ctx);
/* Takes the networks lock (waits). */
int net_ctx_lock(struct net_ctx *ctx, struct oci_err **err);
void net_ctx_unlock(struct net_ctx *ctx);

bool net_name_valid(const char *name);
void net_network_free(struct net_network *n);
DEFINE_CLEANUP(struct net_network *, net_network_free)
char *net_network_dir(struct net_ctx *ctx, const char *name);
/* -ENOENT (with an error naming the network) when there is none. */
int net_network_load(struct net_ctx *ctx, const char *name, struct net_network **ret,
		     struct oci_err **err);
int net_network_save(struct net_ctx *ctx, const struct net_network *n, struct oci_err **err);
/* Builds a new definition (checks the options and overlaps with the others). */
int net_network_new(struct net_ctx *ctx, const char *name, const struct net_create_opts *o,
		    struct net_network **ret, struct oci_err **err);
/* Names of every network, sorted. */
int net_network_list(struct net_ctx *ctx, char ***ret, struct oci_err **err);
/* The JSON of a definition (for inspect and the file). */
struct json_t;
struct json_t *net_network_to_json(const struct net_network *n);
int net_network_from_json(struct json_t *j, const char *file, struct net_network **ret,
			  struct oci_err **err);
/* Loads NAME, creating the default network "bridge" when it is missing. */
int net_network_get(struct net_ctx *ctx, const char *name, bool create_default,
		    struct net_network **ret, struct oci_err **err);

/* ---- endpoints (endpoint.c) ---- */
struct net_endpoint {
	char *id;        /* file name: the container ID, or "ns-DEV-INO" */
	char *container; /* container ID, or NULL */
	char *name;      /* DNS name, or NULL */
	char **aliases;
	char **dns;      /* its own upstream resolvers (connect --dns) */
	char *netns;     /* the path given at connect */
	uint64_t ns_dev, ns_ino;
	char *ifname;      /* inside the namespace */
	char *host_ifname; /* the host end of the veth pair */
	int host_ifindex;
	char *mac;
	struct net_cidr ip;  /* with the subnet's prefix */
	struct net_cidr ip6; /* family 0 without IPv6 */
	struct net_port *ports;
	size_t n_ports;
	struct net_bandwidth {
		uint64_t ingress_rate, ingress_burst; /* bits/s, bits: into the container */
		uint64_t egress_rate, egress_burst;   /* out of it */
	} bw;
	struct net_vlan vlan; /* of the host end's bridge port */
	bool masq_all;        /* published ports: masquerade every source (portmap masqAll) */
	char **cond4, **cond6; /* published ports: iptables-style extra matches (conditionsV4/V6) */
	char *created;
};

void net_endpoint_free(struct net_endpoint *e);
DEFINE_CLEANUP(struct net_endpoint *, net_endpoint_free)
void net_endpoints_free(struct net_endpoint **v);
DEFINE_CLEANUP(struct net_endpoint **, net_endpoints_free)
/* Every endpoint of a network (NULL-terminated, sorted by ID). */
int net_endpoints_load(struct net_ctx *ctx, const char *network, struct net_endpoint ***ret,
		       struct oci_err **err);
int net_endpoint_save(struct net_ctx *ctx, const char *network, const struct net_endpoint *e,
		      struct oci_err **err);
int net_endpoint_remove(struct net_ctx *ctx, const char *network, const char *id,
			struct oci_err **err);
struct json_t *net_endpoint_to_json(const struct net_endpoint *e);

/* ---- namespaces (netns.c) ---- */
struct net_target {
	const char *container; /* container ID (hook, CNI) */
	const char *netns;     /* path */
	pid_t pid;
	const char *runtime_root; /* oci-run --root, to look a container ID up */
};
/* Opens the network namespace of a target; *ret_path gets a printable path. */
int net_netns_open(const struct net_target *t, int *ret_fd, char **ret_path, uint64_t *ret_dev,
		   uint64_t *ret_ino, struct oci_err **err);
/* The pid of a container of oci-run ('oci-run state ID'). */
int net_container_pid(const char *id, const char *runtime_root, pid_t *ret, struct oci_err **err);
/* Runs fn(arg, err) in a thread that has joined the namespace nsfd. */
int net_in_netns(int nsfd, int (*fn)(void *arg, struct oci_err **err), void *arg,
		 struct oci_err **err);

/* ---- links (link.c): libnl-route ---- */
struct nl_sock;
int net_nl_open(struct nl_sock **ret, struct oci_err **err);
/* Creates the bridge (when missing), sets its addresses, MTU and up. */
int net_link_bridge_ensure(struct nl_sock *sk, const struct net_network *n, struct oci_err **err);
int net_link_delete(struct nl_sock *sk, const char *ifname, struct oci_err **err);
/* Returns the ifindex of ifname, 0 when there is no such link. */
int net_link_index(struct nl_sock *sk, const char *ifname, struct oci_err **err);
/* Creates a veth pair: host_ifname on the bridge (up), peer ifname in nsfd.
 * *ret_mac gets the MAC of the inside end. */
int net_link_veth_create(struct nl_sock *sk, const struct net_network *n, const char *host_ifname,
			 int nsfd, const char *ifname, const char *mac, int *ret_host_index,
			 struct oci_err **err);
/* Inside the namespace (run through net_in_netns): lo up, ifname up with the
 * addresses and routes of the endpoint. */
struct net_inside {
	const struct net_network *n;
	const struct net_endpoint *e;
	char *mac; /* out */
	bool check_only; /* CHECK: verify instead of configure */
	bool pick_ifname; /* choose the first free ethN into e->ifname */
	char *picked;     /* out */
};
int net_link_configure_inside(void *arg, struct oci_err **err);
/* Turns VLAN filtering on for a bridge (IFLA_BR_VLAN_FILTERING). */
int net_link_bridge_vlan_filtering(struct nl_sock *sk, const char *bridge, struct oci_err **err);
/* Puts the VLANs of v on the bridge port ifindex (self: the bridge device's
 * own port): the access VLAN as PVID untagged, the trunk VLANs tagged, and
 * VLAN 1 removed when v->drop_default. */
int net_link_port_vlans(struct nl_sock *sk, int ifindex, bool self, const struct net_vlan *v,
			struct oci_err **err);
/* The PVID of bridge port ifindex (0: none), or -errno. */
int net_link_port_pvid(struct nl_sock *sk, int ifindex, struct oci_err **err);
/* A token bucket (tbf) as the root qdisc of ifindex: rate in bits/s, burst in bits. */
int net_link_tbf(struct nl_sock *sk, int ifindex, uint64_t rate, uint64_t burst,
		 struct oci_err **err);
/* Inside a namespace: loopback up (for --network none). */
int net_link_lo_up(struct oci_err **err);
int net_link_lo_up_arg(void *arg, struct oci_err **err);
/* ifindex of a host link (0: none, <0: error), with its own socket. */
int net_link_index_quiet(const char *ifname);
/* Whether an address of the host overlaps subnet; *ret_desc says which. */
int net_host_addr_conflict(const struct net_cidr *subnet, char **ret_desc);

/* ---- host settings and firewall (firewall.c) ---- */
/* Rebuilds the nftables table of every network and endpoint and the host
 * sysctls (forwarding is turned on while a non-internal network exists and
 * restored to its saved value after the last one). */
int net_firewall_sync(struct net_ctx *ctx, struct oci_err **err);
/* The nft script for the current state (for tests and --dry-run). */
int net_firewall_script(struct net_ctx *ctx, char **ret, struct oci_err **err);
/* In the container's namespace: 127.0.0.11:53 forwarded to the DNS server. */
int net_firewall_inside_dns(void *arg, struct oci_err **err);
int net_sysctl_write(const char *path, const char *value, struct oci_err **err);
int net_sysctl_read(const char *path, char **ret, struct oci_err **err);

/* ---- operations (attach.c) ---- */
struct net_connect_opts {
	struct net_target target;
	const char *ip;
	const char *ip6;
	char **aliases;
	struct net_port *ports;
	size_t n_ports;
	const char *name;
	const char *ifname;
	const char *etc_dir; /* write resolv.conf, hosts, hostname there */
	const char *etc_root; /* or into ROOT/etc, resolved inside ROOT */
	const char *id;      /* endpoint ID (default: container ID or ns-DEV-INO) */
	char **dns;          /* upstream resolvers of this container ("IP[:PORT]") */
	const char *mac;     /* MAC address of the inside interface */
	struct net_bandwidth bw; /* rate limits (CNI bandwidth capability) */
	const struct net_vlan *vlan; /* bridge port VLANs; NULL: the network's VLAN */
	bool masq_all;       /* published ports: masquerade every source */
	char **cond4, **cond6; /* published ports: extra matches (see net_port_cond_nft) */
};
int net_connect(struct net_ctx *ctx, const char *network, const struct net_connect_opts *o,
		struct net_endpoint **ret, struct oci_err **err);
/* missing_ok: a missing endpoint is no error (CNI DEL, poststop). */
int net_disconnect(struct net_ctx *ctx, const char *network, const struct net_target *t,
		   const char *ifname, bool missing_ok, struct oci_err **err);
int net_remove(struct net_ctx *ctx, const char *network, bool force, struct oci_err **err);
/* Removes endpoints whose veth is gone (their namespace died), in one network
 * or all (network NULL); also stops idle DNS servers. *ret_removed counts them. */
int net_gc(struct net_ctx *ctx, const char *network, int *ret_removed, struct oci_err **err);
/* Removes every endpoint of network not listed in keep ("CONTAINERID/IFNAME"). */
int net_gc_keep(struct net_ctx *ctx, const char *network, char **keep, struct oci_err **err);
/* Endpoint of a target on a network, or NULL. */
int net_endpoint_find(struct net_ctx *ctx, const char *network, const struct net_target *t,
		      const char *ifname, struct net_endpoint **ret, struct oci_err **err);

/* ---- DNS (dns.c) ---- */
/* Writes NAME/hosts from the endpoints and tells the server to reload, or
 * starts the server when it is not running and start is true. */
int net_dns_update(struct net_ctx *ctx, const struct net_network *n, bool start,
		   struct oci_err **err);
int net_dns_stop(struct net_ctx *ctx, const char *network, struct oci_err **err);
/* "IP", "IP:PORT" or "[IPV6]:PORT". */
bool net_upstream_valid(const char *u);
/* The server itself (the hidden command "dns-serve"): listens on listen
 * (IP, port 53 unless listen_port), answers names from hosts_file and
 * forwards the rest; writes a byte to ready_fd once it listens. */
struct net_dns_serve_opts {
	char **listen; /* addresses (IPv4 and IPv6) */
	int listen_port;
	const char *hosts_file;
	const char *pid_file;
	char **upstreams;
	const char *domain; /* names are also answered with this suffix */
	int ready_fd;
};
int net_dns_serve(const struct net_dns_serve_opts *o, struct oci_err **err);
/* Encodes an answer for one query (exposed for unit tests). */
int net_dns_parse_question(const unsigned char *msg, size_t len, char *name, size_t name_size,
			   uint16_t *ret_type, size_t *ret_end);
/* The IPv4 address of a reverse name "D.C.B.A.in-addr.arpa" (lowercase,
 * four plain decimal labels of 0 to 255): ret gets A.B.C.D. -EINVAL for any
 * other name. */
int net_dns_ptr_parse(const char *name, unsigned char ret[4]);

/* ---- OCI hook and CNI (hook.c, cni.c) ---- */
struct net_hook_opts {
	const char *stage; /* createRuntime, poststop, ... */
	const char *network;
	bool write_etc; /* resolv.conf, hosts, hostname into the bundle's rootfs/etc */
	struct net_connect_opts connect;
};
int net_hook_run(struct net_ctx *ctx, const struct net_hook_opts *o, int in_fd,
		 struct oci_err **err);

/* CNI: reads the config from in_fd, the CNI_* variables through getenv_fn;
 * writes the result or the error JSON to out_fd; returns the exit status. */
int net_cni_main(const char *store_opt, char *(*getenv_fn)(const char *), int in_fd, int out_fd);

/* A CNI runtime over a .conflist (cnirun.c). */
struct net_cnirun_opts {
	const char *conflist;
	const char *command; /* ADD DEL CHECK GC STATUS */
	const char *container;
	const char *netns;
	const char *ifname;
	const char *cni_path;
	const char *args;             /* CNI_ARGS */
	struct json_t *runtime_config; /* capability arguments */
	struct json_t *valid;          /* GC: cni.dev/valid-attachments */
	const char *store;             /* OCI_ROOT for the plugins (default: the context's) */
};
int net_cnirun(struct net_ctx *ctx, const struct net_cnirun_opts *o, char **ret_result,
	       struct oci_err **err);

/* Small helpers (network.c). */
char *net_now_rfc3339(void);
char *net_random_hex(size_t n);
int net_mkdir_p(const char *path, mode_t mode, struct oci_err **err);
int net_write_atomic(const char *path, const char *data, size_t len, struct oci_err **err);

#endif
