#!/usr/bin/env bats
# connect and disconnect: bridge, veth, addresses, routes, MTU, loopback.
load net

@test "two namespaces on one network reach each other; disconnect and rm restore the host" {
	mkns a
	mkns b
	run oci-net create t1 --subnet 10.231.20.0/24 --mtu 1400
	assert_status 0
	run oci-net connect t1 --netns "/run/netns/$NSP-a"
	assert_status 0
	[ "$output" = 10.231.20.2 ] || fail "a got $output"
	run oci-net connect t1 --netns "/run/netns/$NSP-b" --format json
	assert_status 0
	[ "$(echo "$output" | jq -r .ip)" = 10.231.20.3/24 ]
	[ "$(echo "$output" | jq -r .ifname)" = eth0 ]
	# Inside: eth0 with the address and MTU, loopback up, default route via the gateway.
	run nsx a ip -o -4 addr show dev eth0
	assert_output_contains "10.231.20.2/24"
	run nsx a cat /sys/class/net/eth0/mtu
	[ "$output" = 1400 ]
	run nsx a ip -o link show lo
	assert_output_contains "UP"
	run nsx a ip route show default
	assert_output_contains "default via 10.231.20.1 dev eth0"
	run nsx a busybox ping -c 1 -W 2 10.231.20.3
	assert_status 0
	run nsx b busybox ping -c 1 -W 2 10.231.20.1
	assert_status 0
	# The host end is on the bridge.
	br=$(oci-net inspect t1 | jq -r '.[0].bridge')
	veth=$(oci-net inspect t1 | jq -r '.[0].endpoints[] | select(.ip == "10.231.20.2/24") | .hostIfname')
	run ip -o link show "$veth"
	assert_output_contains "master $br"
	run oci-net disconnect t1 --netns "/run/netns/$NSP-a"
	assert_status 0
	run ip link show "$veth"
	[ "$status" -ne 0 ] || fail "veth $veth is still there"
	run nsx a ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 is still in the namespace"
	run oci-net disconnect t1 --netns "/run/netns/$NSP-a"
	assert_status 1
	assert_output_contains "is not connected"
	run oci-net disconnect t1 --netns "/run/netns/$NSP-b"
	assert_status 0
	run oci-net rm t1
	assert_status 0
	drop_test_net
	assert_host_restored
}

@test "--ip, used addresses, a second connect and --pid" {
	mkns a
	mkns b
	oci-net create t2 --subnet 10.231.21.0/24 >/dev/null
	run oci-net connect t2 --netns "/run/netns/$NSP-a" --ip 10.231.21.77
	assert_status 0
	[ "$output" = 10.231.21.77 ]
	run oci-net connect t2 --netns "/run/netns/$NSP-b" --ip 10.231.21.77
	assert_status 1
	assert_one_line
	assert_output_contains "already in use"
	run oci-net connect t2 --netns "/run/netns/$NSP-b" --ip 10.231.21.1
	assert_status 1
	assert_output_contains "gateway"
	run oci-net connect t2 --netns "/run/netns/$NSP-b" --ip 10.231.22.5
	assert_status 1
	assert_output_contains "not a host address"
	run oci-net connect t2 --netns "/run/netns/$NSP-a"
	assert_status 1
	assert_output_contains "already connected"
	run oci-net connect t2 --netns "/run/netns/$NSP-b" --mac-address 03:00:00:00:00:01
	assert_status 1
	assert_output_contains "not a unicast MAC address"
	run oci-net connect t2 --netns "/run/netns/$NSP-b" --mac-address 02:42:0a:e7:15:09 --format json
	assert_status 0
	[ "$(echo "$output" | jq -r .mac)" = 02:42:0a:e7:15:09 ] || fail "$output"
	[ "$(nsx b cat /sys/class/net/eth0/address)" = 02:42:0a:e7:15:09 ]
	oci-net disconnect t2 --netns "/run/netns/$NSP-b"
	# A process's namespace by pid.
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run oci-net connect t2 --pid "$pid"
	assert_status 0
	[ "$output" = 10.231.21.2 ]
	run nsenter -t "$pid" -n busybox ping -c 1 -W 2 10.231.21.77
	assert_status 0
	run oci-net disconnect t2 --pid "$pid"
	assert_status 0
	run oci-net rm t2
	assert_status 1
	assert_output_contains "1 connected endpoint"
	run oci-net rm -f t2
	assert_status 0
	drop_test_net
	assert_host_restored
}

@test "a namespace on two networks gets eth0 and eth1; networks are isolated" {
	mkns a
	mkns b
	mkns c
	oci-net create n1 --subnet 10.231.23.0/24 >/dev/null
	oci-net create n2 --subnet 10.231.24.0/24 >/dev/null
	oci-net connect n1 --netns "/run/netns/$NSP-a" >/dev/null
	oci-net connect n2 --netns "/run/netns/$NSP-a" >/dev/null
	oci-net connect n1 --netns "/run/netns/$NSP-b" >/dev/null
	oci-net connect n2 --netns "/run/netns/$NSP-c" >/dev/null
	run nsx a ip -o -4 addr show dev eth1
	assert_output_contains "10.231.24.2/24"
	run nsx b busybox ping -c 1 -W 2 10.231.23.2
	assert_status 0
	run nsx c busybox ping -c 1 -W 2 10.231.24.2
	assert_status 0
	# b (n1 only) cannot reach c (n2 only) through the host.
	nsx b ip route add 10.231.24.0/24 via 10.231.23.1
	run nsx b busybox ping -c 1 -W 1 10.231.24.3
	[ "$status" -ne 0 ] || fail "n1 reached n2"
	oci-net rm -f n1 n2
	drop_test_net
	assert_host_restored
}

@test "--network none brings up loopback only; host does nothing" {
	mkns a
	run oci-net connect none --netns "/run/netns/$NSP-a"
	assert_status 0
	run nsx a ip -o link show lo
	assert_output_contains "UP"
	run nsx a ip -o link
	[ "$(echo "$output" | wc -l)" = 1 ] || fail "links: $output"
	run oci-net connect host --netns "/run/netns/$NSP-a"
	assert_status 0
	run oci-net ls -q
	[ -z "$output" ]
	drop_test_net
	assert_host_restored
}

@test "IPv6: both families inside, ping over IPv6" {
	mkns a
	mkns b
	oci-net create t6 --subnet 10.231.25.0/24 --ipv6 --subnet6 fd00:231:25::/64 >/dev/null
	run oci-net connect t6 --netns "/run/netns/$NSP-a" --format json
	assert_status 0
	[ "$(echo "$output" | jq -r .ip6)" = fd00:231:25::2/64 ]
	oci-net connect t6 --netns "/run/netns/$NSP-b" >/dev/null
	run nsx b busybox ping -6 -c 1 -W 2 fd00:231:25::2
	assert_status 0
	run nsx a ip -6 route show default
	assert_output_contains "via fd00:231:25::1"
	oci-net rm -f t6
	drop_test_net
	assert_host_restored
}
