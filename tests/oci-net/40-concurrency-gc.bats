#!/usr/bin/env bats
# Concurrent connects get distinct addresses; cleanup after kill -9.
load net

@test "concurrent connects get distinct addresses" {
	oci-net create tc --subnet 10.231.50.0/24 >/dev/null
	for i in $(seq 1 12); do mkns "c$i"; done
	for i in $(seq 1 12); do
		oci-net connect tc --netns "/run/netns/$NSP-c$i" >"$T/ip.$i" 2>"$T/err.$i" &
	done
	wait
	for i in $(seq 1 12); do
		[ -s "$T/ip.$i" ] || fail "connect $i failed: $(cat "$T/err.$i")"
	done
	run sh -c "cat '$T'/ip.* | sort | uniq -d"
	[ -z "$output" ] || fail "duplicate addresses: $output"
	[ "$(cat "$T"/ip.* | sort -u | wc -l)" = 12 ]
	run oci-net inspect tc
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 12 ]
	# Every namespace really has its own address.
	for i in $(seq 1 12); do
		run nsx "c$i" ip -o -4 addr show dev eth0
		assert_output_contains "$(cat "$T/ip.$i")/24"
	done
	for i in $(seq 1 12); do
		oci-net disconnect tc --netns "/run/netns/$NSP-c$i" &
	done
	wait
	run oci-net inspect tc
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ]
	oci-net rm tc
	drop_test_net
	assert_host_restored
}

# wait_gone LINK: the host end of a veth vanishes after its namespace dies.
wait_gone() {
	local i
	for i in $(seq 1 50); do
		ip link show "$1" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
	return 1
}

@test "after kill -9, gc removes the endpoint, its port rule and its DNS name" {
	oci-net create tg --subnet 10.231.51.0/24 --dns-upstream 10.231.51.1:5999 >/dev/null
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run oci-net connect tg --pid "$pid" --name victim -p 18951:80
	assert_status 0
	veth=$(oci-net inspect tg | jq -r '.[0].endpoints[0].hostIfname')
	grep -q victim "$OCI_ROOT/networks/tg/hosts"
	nft list table inet oci_net | grep -q 18951
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	wait_gone "$veth" || fail "veth $veth did not vanish"
	run oci-net gc
	assert_status 0
	run oci-net inspect tg
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "endpoint left: $output"
	run grep -q victim "$OCI_ROOT/networks/tg/hosts"
	[ "$status" -ne 0 ] || fail "DNS name left"
	run nft list ruleset
	[[ "$output" != *18951* ]] || fail "port rule left"
	oci-net rm tg
	drop_test_net
	assert_host_restored
}

@test "after kill -9, the next connect reuses the address" {
	mkns a
	oci-net create th --subnet 10.231.52.0/24 >/dev/null
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run oci-net connect th --pid "$pid"
	[ "$output" = 10.231.52.2 ]
	veth=$(oci-net inspect th | jq -r '.[0].endpoints[0].hostIfname')
	kill -9 "$pid"
	wait "$pid" 2>/dev/null || true
	wait_gone "$veth" || fail "veth $veth did not vanish"
	run oci-net connect th --netns "/run/netns/$NSP-a"
	assert_status 0
	[ "$output" = 10.231.52.2 ] || fail "address not reused: $output"
	run oci-net inspect th
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 1 ]
	oci-net rm -f th
	drop_test_net
	assert_host_restored
}
