#!/usr/bin/env bats
# Network options: --isolate-ports, --mac-spoof-check, --no-masquerade, --no-hairpin.
load net

@test "--isolate-ports: endpoints reach the gateway but not each other" {
	mkns a
	mkns b
	oci-net create tiso --subnet 10.231.26.0/24 --isolate-ports >/dev/null
	oci-net connect tiso --netns "/run/netns/$NSP-a" >/dev/null
	oci-net connect tiso --netns "/run/netns/$NSP-b" >/dev/null
	run nsx a busybox ping -c 1 -W 2 10.231.26.1
	assert_status 0
	run nsx a busybox ping -c 1 -W 1 10.231.26.3
	[ "$status" -ne 0 ] || fail "isolated ports reached each other"
	veth=$(oci-net inspect tiso | jq -r '.[0].endpoints[0].hostIfname')
	[ "$(cat "/sys/class/net/$veth/brport/isolated")" = 1 ]
	oci-net rm -f tiso
	drop_test_net
	assert_host_restored
}

@test "--mac-spoof-check: frames with another source MAC are dropped" {
	mkns a
	oci-net create tmac --subnet 10.231.27.0/24 --mac-spoof-check >/dev/null
	oci-net connect tmac --netns "/run/netns/$NSP-a" >/dev/null
	run nft list table bridge oci_net_mac
	assert_status 0
	run nsx a busybox ping -c 1 -W 2 10.231.27.1
	assert_status 0
	mac=$(nsx a cat /sys/class/net/eth0/address)
	nsx a ip link set eth0 address 02:11:22:33:44:55
	nsx a ip neigh flush dev eth0
	run nsx a busybox ping -c 1 -W 1 10.231.27.1
	[ "$status" -ne 0 ] || fail "spoofed MAC got through"
	nsx a ip link set eth0 address "$mac"
	run nsx a busybox ping -c 1 -W 2 10.231.27.1
	assert_status 0
	oci-net rm -f tmac
	run nft list table bridge oci_net_mac
	[ "$status" -ne 0 ] || fail "bridge table left"
	drop_test_net
	assert_host_restored
}

@test "--no-masquerade routes without NAT; --no-hairpin leaves hairpin off" {
	mkns a
	outside out 29
	mkdir -p "$T/www"
	echo "outside" >"$T/www/index.html"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	oci-net create tnm --subnet 10.231.28.0/24 --no-masquerade --no-hairpin >/dev/null
	oci-net connect tnm --netns "/run/netns/$NSP-a" >/dev/null
	veth=$(oci-net inspect tnm | jq -r '.[0].endpoints[0].hostIfname')
	[ "$(cat "/sys/class/net/$veth/brport/hairpin_mode")" = 0 ]
	run nft list table inet oci_net
	[[ "$output" != *"10.231.28.0/24 oifname != "* ]] || fail "masquerade rule: $output"
	# No NAT: the outside answers only with a route back to the subnet.
	run nsx a curl -s -m 2 http://10.231.29.2:8080/
	[ "$status" -ne 0 ] || fail "answered without a route back: NAT?"
	nsx out ip route add 10.231.28.0/24 via 10.231.29.1
	run nsx a curl -s -m 5 http://10.231.29.2:8080/
	[ "$output" = outside ] || fail "routed: '$output'"
	oci-net rm -f tnm
	drop_test_net
	assert_host_restored
}
