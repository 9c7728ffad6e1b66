# Shared setup of the oci-net tests. Every test:
# - works only in network namespaces it makes (named $NSP-*) and on private
#   10.231.x.0/24 subnets, and sends traffic only to those and to loopback;
# - records the host's links, addresses, nftables and iptables rules and
#   forwarding sysctls first, and (in teardown, even after a failure)
#   removes what it made and puts the sysctls back;
# - asserts with assert_host_restored that oci-net itself left the host as
#   it found it.
load ../lib/common

host_snapshot() {
	{
		ip -o link show | sed 's/^[0-9]*: //; s/ link\/.*//' | sort
		ip -o addr show | awk '{print $2, $3, $4}' | sort
		echo "--- nft"; nft list ruleset
		echo "--- iptables"; iptables-save 2>/dev/null | grep -v '^#' || true
		echo "--- ip6tables"; ip6tables-save 2>/dev/null | grep -v '^#' || true
		sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
	} 2>&1
}

net_setup() {
	common_setup
	[ "$(id -u)" = 0 ] || skip "oci-net tests need root (network namespaces, bridges)"
	NSP="ocn$$t${BATS_TEST_NUMBER}"
	: >"$T/pids"
	: >"$T/links"
	[ -d /etc/netns ] && : >"$T/etc-netns-existed"
	sysctl -n net.ipv4.ip_forward >"$T/fwd4"
	sysctl -n net.ipv6.conf.all.forwarding >"$T/fwd6"
	host_snapshot >"$T/host.before"
}

net_teardown() {
	local p n
	if [ -n "${T:-}" ] && [ -f "$T/pids" ]; then
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$T/pids"
		for n in $(oci-net ls -q 2>/dev/null); do oci-net rm -f "$n" >/dev/null 2>&1; done
		for n in $(ip netns list | awk '{print $1}' | grep "^$NSP-"); do ip netns del "$n"; done
		while read -r p; do ip link del "$p" 2>/dev/null || true; done <"$T/links"
		rm -rf /etc/netns/"$NSP"-*
		[ -e "$T/etc-netns-existed" ] || rmdir /etc/netns 2>/dev/null || true
		if ! grep -q 'table inet oci_net' "$T/host.before"; then
			nft delete table inet oci_net 2>/dev/null
		fi
		sysctl -qw net.ipv4.ip_forward="$(cat "$T/fwd4")"
		sysctl -qw net.ipv6.conf.all.forwarding="$(cat "$T/fwd6")"
	fi
	common_teardown
}

setup() { net_setup; }
teardown() { net_teardown; }

# mkns NAME: a fresh network namespace $NSP-NAME.
mkns() {
	ip netns add "$NSP-$1"
	mkdir -p "/etc/netns/$NSP-$1"
}

# nsx NAME CMD...: runs CMD in the namespace.
nsx() {
	local n=$1
	shift
	ip netns exec "$NSP-$n" "$@"
}

# bg_pid PID: killed in teardown.
bg_pid() { echo "$1" >>"$T/pids"; }

# outside NAME N: a namespace standing for another host, linked to the host by
# a veth pair: host 10.231.N.1/30, namespace 10.231.N.2/30.
outside() {
	local name=$1 n=$2 hl="oco$$${BATS_TEST_NUMBER}x$n"
	mkns "$name"
	echo "$hl" >>"$T/links"
	ip link add name "$hl" type veth peer name eth0 netns "$NSP-$name"
	ip addr add "10.231.$n.1/30" dev "$hl"
	ip link set "$hl" up
	nsx "$name" ip addr add "10.231.$n.2/30" dev eth0
	nsx "$name" ip link set eth0 up
	nsx "$name" ip link set lo up
}

# Removes the namespaces and links the test made (before the final check).
drop_test_net() {
	local n p
	while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$T/pids"
	: >"$T/pids"
	for n in $(ip netns list | awk '{print $1}' | grep "^$NSP-"); do ip netns del "$n"; done
	while read -r p; do ip link del "$p" 2>/dev/null || true; done <"$T/links"
	: >"$T/links"
}

# The host is as it was at the start (namespaces die asynchronously: wait a little).
assert_host_restored() {
	local i
	for i in $(seq 1 30); do
		host_snapshot >"$T/host.after"
		cmp -s "$T/host.before" "$T/host.after" && return 0
		sleep 0.1
	done
	echo "the host changed:" >&2
	diff -u "$T/host.before" "$T/host.after" >&2
	return 1
}

# start_httpd NS DIR PORT: busybox httpd in a namespace, serving DIR.
start_httpd() {
	nsx "$1" ip link set lo up
	ip netns exec "$NSP-$1" busybox httpd -f -p "$3" -h "$2" </dev/null >/dev/null 2>&1 3>&- &
	bg_pid $!
	local i
	for i in $(seq 1 50); do
		nsx "$1" bash -c "exec 3<>/dev/tcp/127.0.0.1/$3" 2>/dev/null && return 0
		sleep 0.05
	done
	return 1
}

# The iptables fallback (OCI_NET_FIREWALL=iptables) for a test file:
#   setup() { ipt_setup; }   teardown() { ...; drop_ipt_tables; net_teardown; }
ipt_setup() {
	net_setup
	command -v iptables-restore >/dev/null || skip "iptables is not installed"
	export OCI_NET_FIREWALL=iptables
	nft list tables | sort >"$T/tables.before"
}

# iptables-nft keeps its built-in tables once made; the test drops the ones it caused.
drop_ipt_tables() {
	nft list tables | sort | comm -13 "$T/tables.before" - | while read -r _ fam name; do
		nft delete table "$fam" "$name"
	done
}

# For the portmap tests: a CNI config of network "cpm" (bridge ocipm0) with
# one port mapping to 80, and (www) a CGI telling the client's address as
# the server saw it.
pconf() { # SUBNET-OCTET HOSTPORT EXTRA-JSON
	printf '{"cniVersion":"1.0.0","name":"cpm","type":"oci-net","bridge":"ocipm0","ipam":{"type":"oci-net","subnet":"10.231.%s.0/24"},"runtimeConfig":{"portMappings":[{"hostPort":%s,"containerPort":80,"protocol":"tcp"}]}%s}' "$1" "$2" "$3"
}

# cni COMMAND [NS [CONTAINERID]]: oci-net as a CNI plugin, the config from
# $CONF on stdin, CNI_IFNAME from $IFNAME (default eth0).
cni() {
	printf '%s' "$CONF" | CNI_COMMAND=$1 CNI_NETNS=${2:+/run/netns/$NSP-$2} CNI_CONTAINERID=${3:-} \
		CNI_IFNAME=${IFNAME:-eth0} CNI_PATH=/nonexistent oci-net
}

www() {
	mkdir -p "$T/www/cgi-bin"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer $REMOTE_ADDR"\n' >"$T/www/cgi-bin/peer"
	chmod +x "$T/www/cgi-bin/peer"
}
