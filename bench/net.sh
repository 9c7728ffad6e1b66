#!/usr/bin/env bash
# Connect + disconnect latency: oci-net against Debian's CNI plugins
# (bridge + host-local + portmap from containernetworking-plugins) in the
# same run, each attaching one network namespace with one published port.
# Prints the mean per cycle of each and the ratio (CNI / oci-net).
#
# Usage: bench/net.sh [ITERATIONS]   (default 30; needs root)
# Environment: OCI_NET (the oci-net binary; default bin/oci-net next to this
# folder), CNI_DIR (default /usr/lib/cni).
# Traffic: none. Host state (links, nftables/iptables tables, forwarding
# sysctls) is restored at the end, also on failure.
set -eu
N=${1:-30}
top=$(cd "$(dirname "$0")/.." && pwd)
OCI_NET=${OCI_NET:-$top/bin/oci-net}
CNI_DIR=${CNI_DIR:-/usr/lib/cni}
[ "$(id -u)" = 0 ] || { echo "net.sh: needs root" >&2; exit 1; }
[ -x "$OCI_NET" ] || { echo "net.sh: no oci-net at $OCI_NET (run make)" >&2; exit 1; }
for p in bridge host-local portmap; do
	[ -x "$CNI_DIR/$p" ] || { echo "net.sh: $CNI_DIR/$p missing (Debian: containernetworking-plugins)" >&2; exit 1; }
done

tmp=$(mktemp -d /tmp/oci-net-bench.XXXXXX)
ns=ocibench$$
fwd4=$(sysctl -n net.ipv4.ip_forward)
nft list tables | sort >"$tmp/tables.before"
export OCI_ROOT=$tmp/store

cleanup() {
	set +e
	"$OCI_NET" rm -f bench benchdns >/dev/null 2>&1
	ip netns del "$ns" 2>/dev/null
	ip link del ocibench0 2>/dev/null
	# Tables the CNI plugins' iptables made (iptables-nft) and that were not there before.
	nft list tables | sort | comm -13 "$tmp/tables.before" - | while read -r _ fam name; do
		nft delete table "$fam" "$name"
	done
	sysctl -qw net.ipv4.ip_forward="$fwd4"
	rm -rf "$tmp"
}
trap cleanup EXIT

ip netns add "$ns"
now() { date +%s%N; }

# oci-net: one network, connect with a published port, disconnect.
"$OCI_NET" create bench --subnet 10.231.90.0/24 --no-dns >/dev/null
"$OCI_NET" connect bench --netns "/run/netns/$ns" -p 18990:80 >/dev/null # warm-up
"$OCI_NET" disconnect bench --netns "/run/netns/$ns"
t0=$(now)
for _ in $(seq 1 "$N"); do
	"$OCI_NET" connect bench --netns "/run/netns/$ns" -p 18990:80 >/dev/null
	"$OCI_NET" disconnect bench --netns "/run/netns/$ns"
done
t1=$(now)
ours=$(( (t1 - t0) / N ))

# The same with the network's DNS server (names, 127.0.0.11 in the namespace).
"$OCI_NET" create benchdns --subnet 10.231.92.0/24 --dns-upstream 10.231.92.1:5999 >/dev/null
"$OCI_NET" connect benchdns --netns "/run/netns/$ns" --name b -p 18992:80 >/dev/null
"$OCI_NET" disconnect benchdns --netns "/run/netns/$ns"
t0=$(now)
for _ in $(seq 1 "$N"); do
	"$OCI_NET" connect benchdns --netns "/run/netns/$ns" --name b -p 18992:80 >/dev/null
	"$OCI_NET" disconnect benchdns --netns "/run/netns/$ns"
done
t1=$(now)
ours_dns=$(( (t1 - t0) / N ))
"$OCI_NET" rm -f benchdns

# CNI: bridge (with host-local IPAM) then portmap on ADD, reverse on DEL.
bridge_conf='{"cniVersion":"1.0.0","name":"ocibench","type":"bridge","bridge":"ocibench0","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","dataDir":"'"$tmp"'/cni-ipam","ranges":[[{"subnet":"10.231.91.0/24"}]]}}'
pm() { printf '{"cniVersion":"1.0.0","name":"ocibench","type":"portmap","capabilities":{"portMappings":true},"runtimeConfig":{"portMappings":[{"hostPort":18991,"containerPort":80,"protocol":"tcp"}]},"prevResult":%s}' "$1"; }
cni_cycle() {
	local res
	res=$(printf '%s' "$bridge_conf" | CNI_COMMAND=ADD CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$CNI_DIR/bridge")
	pm "$res" | CNI_COMMAND=ADD CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 \
		CNI_PATH=$CNI_DIR "$CNI_DIR/portmap" >/dev/null
	pm "$res" | CNI_COMMAND=DEL CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns CNI_IFNAME=eth0 \
		CNI_PATH=$CNI_DIR "$CNI_DIR/portmap" >/dev/null
	printf '%s' "$bridge_conf" | CNI_COMMAND=DEL CNI_CONTAINERID=bench CNI_NETNS=/run/netns/$ns \
		CNI_IFNAME=eth0 CNI_PATH=$CNI_DIR "$CNI_DIR/bridge" >/dev/null
}
cni_cycle # warm-up
t0=$(now)
for _ in $(seq 1 "$N"); do cni_cycle; done
t1=$(now)
cni=$(( (t1 - t0) / N ))

awk -v n="$N" -v ours="$ours" -v dns="$ours_dns" -v cni="$cni" 'BEGIN {
	printf "connect+disconnect, %d cycles each, one namespace, one published port\n", n
	printf "  oci-net:                        %8.2f ms/cycle\n", ours / 1e6
	printf "  oci-net with its DNS server:    %8.2f ms/cycle\n", dns / 1e6
	printf "  CNI bridge+host-local+portmap:  %8.2f ms/cycle\n", cni / 1e6
	printf "  ratio (CNI / oci-net):          %8.2fx\n", cni / ours
	printf "  ratio (CNI / oci-net with DNS): %8.2fx\n", cni / dns
}'
