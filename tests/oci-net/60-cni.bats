#!/usr/bin/env bats
# CNI plugin mode, driven as the spec says: CNI_* variables and the network
# configuration on stdin, the result on stdout.
load net

conf() { # VERSION [EXTRA-JSON]
	printf '{"cniVersion":"%s","name":"cnit","type":"oci-net","bridge":"ocicnit0","isGateway":true,"ipMasq":true,"ipam":{"type":"host-local","ranges":[[{"subnet":"10.231.70.0/24"}]]}%s}' "$1" "${2:-}"
}

@test "CNI 1.0: ADD, CHECK, DEL (twice) and the result format" {
	mkns a
	CONF=$(conf 1.0.0 ',"runtimeConfig":{"mac":"02:42:0a:e7:46:02","portMappings":[{"hostPort":18970,"containerPort":80,"protocol":"tcp"}]}')
	run cni ADD a c1
	assert_status 0
	echo "$output" >"$T/res.json"
	[ "$(jq -r .cniVersion "$T/res.json")" = 1.0.0 ]
	[ "$(jq -r '.ips[0].address' "$T/res.json")" = 10.231.70.2/24 ]
	[ "$(jq -r '.ips[0].gateway' "$T/res.json")" = 10.231.70.1 ]
	[ "$(jq -r '.ips[0] | has("version")' "$T/res.json")" = false ]
	idx=$(jq -r '.ips[0].interface' "$T/res.json")
	[ "$(jq -r ".interfaces[$idx].name" "$T/res.json")" = eth0 ]
	[ "$(jq -r ".interfaces[$idx].sandbox" "$T/res.json")" = "/run/netns/$NSP-a" ]
	[ "$(jq -r ".interfaces[$idx].mac" "$T/res.json")" = 02:42:0a:e7:46:02 ]
	[ "$(jq -r '.routes[0].dst' "$T/res.json")" = 0.0.0.0/0 ]
	[ "$(jq -r '.interfaces[0].name' "$T/res.json")" = ocicnit0 ]
	run nsx a ip -o -4 addr show dev eth0
	assert_output_contains 10.231.70.2/24
	nft list table inet oci_net | grep -q 18970
	CONF=$(conf 1.0.0 ",\"prevResult\":$(cat "$T/res.json")")
	run cni CHECK a c1
	assert_status 0
	run cni DEL a c1
	assert_status 0
	[ -z "$output" ] || fail "DEL printed: $output"
	run nsx a ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 left"
	run cni DEL a c1
	assert_status 0
	run cni CHECK a c1
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 3 ]
	oci-net rm cnit
	drop_test_net
	assert_host_restored
}

@test "CNI 0.4.0 results carry ip versions; 0.3.1 cannot CHECK" {
	mkns a
	CONF=$(conf 0.4.0)
	run cni ADD a c2
	assert_status 0
	[ "$(echo "$output" | jq -r '.ips[0].version')" = 4 ]
	[ "$(echo "$output" | jq -r .cniVersion)" = 0.4.0 ]
	CONF=$(conf 0.3.1 ',"prevResult":{"cniVersion":"0.3.1","ips":[]}')
	run cni CHECK a c2
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 1 ]
	CONF=$(conf 0.4.0)
	run cni DEL a c2
	assert_status 0
	oci-net rm cnit
	drop_test_net
	assert_host_restored
}

@test "CNI VERSION, STATUS and errors" {
	CONF='{"cniVersion":"1.1.0"}'
	run cni VERSION
	assert_status 0
	[ "$(echo "$output" | jq -r .cniVersion)" = 1.1.0 ]
	echo "$output" | jq -e '.supportedVersions | index("0.4.0") and index("1.0.0") and index("1.1.0")'
	CONF=$(conf 1.1.0)
	run cni STATUS
	assert_status 0
	CONF=$(conf 9.9.9)
	run cni ADD a c3
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 1 ]
	CONF='{"cniVersion":"1.0.0",'
	run cni ADD a c3
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 6 ]
	CONF=$(conf 1.0.0)
	run cni ADD "" c3
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 4 ]
	run cni ADD a ""
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 4 ]
	run cni FROB a c3
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 4 ]
	CONF=$(conf 1.0.0)
	run cni GC
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 1 ]
}

@test "CNI 1.1 GC keeps the valid attachments and removes the rest" {
	mkns a
	mkns b
	CONF=$(conf 1.1.0)
	run cni ADD a keep1
	assert_status 0
	run cni ADD b drop1
	assert_status 0
	CONF=$(conf 1.1.0 ',"cni.dev/valid-attachments":[{"containerID":"keep1","ifname":"eth0"}]')
	run cni GC
	assert_status 0
	run oci-net inspect cnit
	[ "$(echo "$output" | jq -r '[.[0].endpoints[].container] | join(",")')" = keep1 ] || fail "$output"
	run nsx b ip link show eth0
	[ "$status" -ne 0 ] || fail "drop1's interface left"
	run nsx a ip link show eth0
	assert_status 0
	oci-net rm -f cnit
	drop_test_net
	assert_host_restored
}

@test "CNI IPAM delegation: Debian's host-local and static plugins pick the address" {
	[ -x /usr/lib/cni/host-local ] && [ -x /usr/lib/cni/static ] ||
		skip "containernetworking-plugins is not installed"
	mkns a
	mkns b
	CONF='{"cniVersion":"1.0.0","name":"cnid","type":"oci-net","ipam":{"type":"host-local","dataDir":"'"$T"'/hl","ranges":[[{"subnet":"10.231.72.0/24","rangeStart":"10.231.72.50"}]]}}'
	run env CNI_PATH=/usr/lib/cni bash -c 'printf "%s" "$0" | CNI_COMMAND=ADD CNI_NETNS=/run/netns/'"$NSP"'-a CNI_CONTAINERID=d1 CNI_IFNAME=eth0 oci-net' "$CONF"
	assert_status 0
	[ "$(echo "$output" | jq -r '.ips[0].address')" = 10.231.72.50/24 ] || fail "$output"
	[ -e "$T/hl/cnid/10.231.72.50" ] || fail "host-local holds no lease"
	run nsx a ip -o -4 addr show dev eth0
	assert_output_contains 10.231.72.50/24
	run env CNI_PATH=/usr/lib/cni bash -c 'printf "%s" "$0" | CNI_COMMAND=DEL CNI_NETNS=/run/netns/'"$NSP"'-a CNI_CONTAINERID=d1 CNI_IFNAME=eth0 oci-net' "$CONF"
	assert_status 0
	[ ! -e "$T/hl/cnid/10.231.72.50" ] || fail "host-local lease left"
	oci-net rm cnid
	CONF='{"cniVersion":"1.0.0","name":"cnis","type":"oci-net","ipam":{"type":"static","addresses":[{"address":"10.231.73.9/24","gateway":"10.231.73.1"}]}}'
	run env CNI_PATH=/usr/lib/cni bash -c 'printf "%s" "$0" | CNI_COMMAND=ADD CNI_NETNS=/run/netns/'"$NSP"'-b CNI_CONTAINERID=s1 CNI_IFNAME=net1 oci-net' "$CONF"
	assert_status 0
	[ "$(echo "$output" | jq -r '.ips[0].address')" = 10.231.73.9/24 ] || fail "$output"
	run nsx b ip -o -4 addr show dev net1
	assert_output_contains 10.231.73.9/24
	CONF='{"cniVersion":"1.0.0","name":"cnix","type":"oci-net","ipam":{"type":"no-such-ipam"}}'
	run env CNI_PATH=/usr/lib/cni bash -c 'printf "%s" "$0" | CNI_COMMAND=ADD CNI_NETNS=/run/netns/'"$NSP"'-b CNI_CONTAINERID=x1 CNI_IFNAME=eth0 oci-net' "$CONF"
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 7 ]
	oci-net rm -f cnis
	drop_test_net
	assert_host_restored
}

@test "CNI dual-stack ranges give IPv4 and IPv6 addresses" {
	mkns a
	CONF='{"cniVersion":"1.0.0","name":"cni6","type":"oci-net","ipam":{"type":"host-local","ranges":[[{"subnet":"10.231.74.0/24"}],[{"subnet":"fd00:231:74::/64"}]]}}'
	run cni ADD a v6
	assert_status 0
	echo "$output" | jq -e '[.ips[].address] == ["10.231.74.2/24", "fd00:231:74::2/64"]' || fail "$output"
	run nsx a ip -o -6 addr show dev eth0 scope global
	assert_output_contains fd00:231:74::2/64
	run cni DEL a v6
	assert_status 0
	oci-net rm cni6
	drop_test_net
	assert_host_restored
}

@test "CNI bridge options: ipMasq, hairpinMode, portIsolation, macspoofchk, mtu" {
	mkns a
	CONF='{"cniVersion":"1.0.0","name":"cnio","type":"oci-net","mtu":1400,"ipMasq":false,"hairpinMode":false,"portIsolation":true,"macspoofchk":true,"ipam":{"type":"oci-net","subnet":"10.231.75.0/24"}}'
	run cni ADD a o1
	assert_status 0
	run oci-net inspect cnio
	echo "$output" | jq -e '.[0] | .masquerade == false and .hairpin == false and .isolatePorts and .macSpoofCheck and .mtu == 1400 and .internal == false' || fail "$output"
	run nsx a cat /sys/class/net/eth0/mtu
	[ "$output" = 1400 ]
	run nft list table bridge oci_net_mac
	assert_status 0
	run cni DEL a o1
	assert_status 0
	oci-net rm cnio
	drop_test_net
	assert_host_restored
}

@test "CNI ipam.routes, isDefaultGateway, and the ipRanges and dns capabilities" {
	mkns a
	mkns b
	CONF='{"cniVersion":"1.0.0","name":"cnir","type":"oci-net","ipam":{"type":"host-local","ranges":[[{"subnet":"10.231.79.0/24"}]],"routes":[{"dst":"10.99.0.0/16"}]},"runtimeConfig":{"dns":{"servers":["10.231.79.1"],"searches":["svc.test"]}}}'
	run cni ADD a r1
	assert_status 0
	echo "$output" | jq -e '.routes == [{"dst":"10.99.0.0/16","gw":"10.231.79.1"}]' || fail "$output"
	echo "$output" | jq -e '.dns.nameservers == ["10.231.79.1"] and .dns.search == ["svc.test"]' || fail "$output"
	run nsx a ip route
	assert_output_contains "10.99.0.0/16 via 10.231.79.1"
	[[ "$output" != *default* ]] || fail "default route without isDefaultGateway: $output"
	run cni DEL a r1
	oci-net rm cnir
	# ipRanges picks the subnet; isDefaultGateway adds the default route to ipam.routes.
	CONF='{"cniVersion":"1.0.0","name":"cnir2","type":"oci-net","isDefaultGateway":true,"capabilities":{"ipRanges":true},"ipam":{"type":"host-local","routes":[{"dst":"10.98.0.0/16"}]},"runtimeConfig":{"ipRanges":[[{"subnet":"10.231.81.0/24","gateway":"10.231.81.254"}]]}}'
	run cni ADD b r2
	assert_status 0
	[ "$(echo "$output" | jq -r '.ips[0].address')" = 10.231.81.1/24 ] || fail "$output"
	run nsx b ip route
	assert_output_contains "default via 10.231.81.254"
	assert_output_contains "10.98.0.0/16 via 10.231.81.254"
	run cni DEL b r2
	oci-net rm cnir2
	drop_test_net
	assert_host_restored
}

@test "CNI bandwidth capability: token buckets on both ends of the veth" {
	command -v tc >/dev/null || skip "tc (iproute2) is not installed"
	mkns a
	CONF='{"cniVersion":"1.0.0","name":"cnib","type":"oci-net","capabilities":{"bandwidth":true},"ipam":{"type":"oci-net","subnet":"10.231.82.0/24"},"runtimeConfig":{"bandwidth":{"ingressRate":8000000,"ingressBurst":160000,"egressRate":4000000,"egressBurst":80000}}}'
	run cni ADD a b1
	assert_status 0
	veth=$(oci-net inspect cnib | jq -r '.[0].endpoints[0].hostIfname')
	run tc qdisc show dev "$veth"
	assert_output_contains "tbf"
	assert_output_contains "rate 8Mbit"
	run nsx a tc qdisc show dev eth0
	assert_output_contains "tbf"
	assert_output_contains "rate 4Mbit"
	run cni DEL a b1
	assert_status 0
	oci-net rm cnib
	drop_test_net
	assert_host_restored
}
