#!/usr/bin/env bats
# VLANs as the CNI bridge plugin sets them (vlan, vlanTrunk,
# preserveDefaultVlan) and oci-net create --vlan: a VLAN-filtering bridge,
# access ports (PVID, untagged) and trunk ports; namespaces on one VLAN reach
# each other, namespaces on another VLAN of the same bridge do not.
load net

vconf() { # EXTRA-JSON
	printf '{"cniVersion":"1.0.0","name":"cvl","type":"oci-net","bridge":"ocivl0","ipam":{"type":"oci-net","subnet":"10.231.90.0/24"}%s}' "$1"
}

# host_if NETWORK CONTAINER: the host end of its veth.
host_if() {
	oci-net inspect "$1" | jq -r ".[0].endpoints[] | select(.container == \"$2\") | .hostIfname"
}

# vlans DEV: "VID:flags" per VLAN of a bridge port, e.g. "10:PVID,untagged 1:untagged".
vlans() {
	bridge -j vlan show dev "$1" | jq -r '.[0].vlans[]? |
		"\(.vlan)\(if .vlanEnd then "-\(.vlanEnd)" else "" end):\((.flags // []) |
		map(if . == "Egress Untagged" then "untagged" else . end) | join(","))"' | sort -n | xargs
}

# The kernel's bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING), probed
# with a bridge in a namespace of the test's own.
vlan_filtering_supported() {
	mkns probe
	nsx probe ip link add vprobe type bridge
	nsx probe test -e /sys/class/net/vprobe/bridge/vlan_filtering
}

need_vlan() {
	vlan_filtering_supported ||
		skip "this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)"
}

@test "CNI vlan: access ports of VLAN 10 talk, a VLAN 20 port does not; preserveDefaultVlan; vlanTrunk" {
	need_vlan
	mkns a
	mkns b
	mkns c
	mkns d
	mkns e
	CONF=$(vconf ',"vlan":10')
	run cni ADD a va
	assert_status 0
	echo "$output" >"$T/va.json"
	run cni ADD b vb
	assert_status 0
	CONF=$(vconf ',"vlan":20')
	run cni ADD c vc
	assert_status 0
	CONF=$(vconf ',"vlan":10,"preserveDefaultVlan":false')
	run cni ADD d vd
	assert_status 0
	CONF=$(vconf ',"vlanTrunk":[{"id":30},{"minID":40,"maxID":42}]')
	run cni ADD e ve
	assert_status 0
	[ "$(cat /sys/class/net/ocivl0/bridge/vlan_filtering)" = 1 ] || fail "vlan_filtering is off"
	[ "$(oci-net inspect cvl | jq .[0].vlan)" = 10 ] || fail "the network's VLAN is not 10"
	run vlans "$(host_if cvl va)"
	[ "$output" = "1:untagged 10:PVID,untagged" ] || fail "va's port: $output"
	run vlans "$(host_if cvl vc)"
	[ "$output" = "1:untagged 20:PVID,untagged" ] || fail "vc's port: $output"
	run vlans "$(host_if cvl vd)"
	[ "$output" = "10:PVID,untagged" ] || fail "vd's port (no default VLAN): $output"
	run vlans "$(host_if cvl ve)"
	[ "$output" = "1:PVID,untagged 30: 40-42:" ] || fail "ve's trunk port: $output"
	# The gateway, the bridge's own port, is in the network's VLAN.
	run vlans ocivl0
	[[ "$output" == *"10:PVID,untagged"* ]] || fail "bridge port: $output"
	oci-net inspect cvl | jq -e '.[0].endpoints[] | select(.container == "vd") | .vlan == 10 and .preserveDefaultVlan == false'
	# Same VLAN: a, b and d talk to each other and to the gateway.
	run nsx a busybox ping -c 1 -W 2 10.231.90.3
	assert_status 0
	run nsx d busybox ping -c 1 -W 2 10.231.90.2
	assert_status 0
	run nsx b busybox ping -c 1 -W 2 10.231.90.1
	assert_status 0
	# Another VLAN: c reaches neither them nor the gateway.
	run nsx a busybox ping -c 1 -W 1 10.231.90.4
	[ "$status" -ne 0 ] || fail "VLAN 10 reached VLAN 20"
	run nsx c busybox ping -c 1 -W 1 10.231.90.2
	[ "$status" -ne 0 ] || fail "VLAN 20 reached VLAN 10"
	run nsx c busybox ping -c 1 -W 1 10.231.90.1
	[ "$status" -ne 0 ] || fail "VLAN 20 reached the VLAN 10 gateway"
	# The trunk port sends untagged frames in VLAN 1: not VLAN 10 either.
	run nsx e busybox ping -c 1 -W 1 10.231.90.2
	[ "$status" -ne 0 ] || fail "the trunk port's untagged frames reached VLAN 10"
	# CHECK: the access port must keep its VLAN as PVID.
	CONF=$(vconf ",\"vlan\":10,\"prevResult\":$(cat "$T/va.json")")
	run cni CHECK a va
	assert_status 0
	bridge vlan add vid 99 dev "$(host_if cvl va)" pvid untagged
	run cni CHECK a va
	assert_status 1
	assert_output_contains "has PVID 99 instead of VLAN 10"
	CONF=$(vconf ',"vlan":10')
	for x in a:va b:vb c:vc d:vd e:ve; do
		run cni DEL "${x%%:*}" "${x##*:}"
		assert_status 0
	done
	oci-net rm cvl
	drop_test_net
	assert_host_restored
}

@test "CNI vlan: bad VLAN settings fail with code 7 and change nothing" {
	mkns a
	CONF=$(vconf ',"vlan":4095')
	run cni ADD a x1
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 7 ] || fail "$output"
	[ "$(echo "$output" | jq -r .details)" = "vlan must be a number from 0 to 4094" ] || fail "$output"
	CONF=$(vconf ',"vlan":5,"vlanTrunk":[{"id":6}]')
	run cni ADD a x1
	assert_status 1
	assert_output_contains "vlan and vlanTrunk cannot be set together"
	CONF=$(vconf ',"vlanTrunk":[{"minID":9,"maxID":3}]')
	run cni ADD a x1
	assert_status 1
	assert_output_contains "vlanTrunk[0]: minID 9 is greater than maxID 3"
	run oci-net ls -q
	[ -z "$output" ] || fail "a network was made: $output"
	drop_test_net
	assert_host_restored
}

@test "oci-net create --vlan and connect --vlan: endpoints and the gateway in that VLAN, others apart" {
	need_vlan
	mkns a
	mkns b
	mkns c
	run oci-net create tv --vlan 7 --subnet 10.231.92.0/24 --bridge ocivl1
	assert_status 0
	oci-net connect tv --netns "/run/netns/$NSP-a" >/dev/null
	oci-net connect tv --netns "/run/netns/$NSP-b" >/dev/null
	run oci-net connect tv --netns "/run/netns/$NSP-c" --vlan 8 --format json
	assert_status 0
	[ "$(echo "$output" | jq .vlan)" = 8 ] || fail "$output"
	hc=$(echo "$output" | jq -r .hostIfname)
	run vlans "$hc"
	[ "$output" = "1:untagged 8:PVID,untagged" ] || fail "c's port: $output"
	run nsx c busybox ping -c 1 -W 1 10.231.92.2
	[ "$status" -ne 0 ] || fail "VLAN 8 reached VLAN 7"
	run nsx c busybox ping -c 1 -W 1 10.231.92.1
	[ "$status" -ne 0 ] || fail "VLAN 8 reached the VLAN 7 gateway"
	oci-net disconnect tv --netns "/run/netns/$NSP-c"
	[ "$(oci-net inspect tv | jq .[0].vlan)" = 7 ]
	[ "$(cat /sys/class/net/ocivl1/bridge/vlan_filtering)" = 1 ] || fail "vlan_filtering is off"
	for h in $(oci-net inspect tv | jq -r '.[0].endpoints[].hostIfname'); do
		run vlans "$h"
		[ "$output" = "1:untagged 7:PVID,untagged" ] || fail "$h: $output"
	done
	run vlans ocivl1
	[[ "$output" == *"7:PVID,untagged"* ]] || fail "bridge port: $output"
	run nsx a busybox ping -c 1 -W 2 10.231.92.3
	assert_status 0
	run nsx a busybox ping -c 1 -W 2 10.231.92.1
	assert_status 0
	for v in 0 4095 x 07 +7; do
		run oci-net create tv2 --vlan "$v"
		assert_status 2
		assert_one_line
		assert_output_contains "--vlan '$v' is not a number from 1 to 4094"
	done
	run oci-net connect tv --netns "/run/netns/$NSP-c" --vlan 4095
	assert_status 2
	assert_one_line
	assert_output_contains "--vlan '4095' is not a number from 0 to 4094"
	oci-net rm -f tv
	drop_test_net
	assert_host_restored
}

@test "vlan on a kernel without bridge VLAN filtering: one clear error, nothing left behind" {
	! vlan_filtering_supported || skip "this kernel has bridge VLAN filtering"
	mkns a
	CONF=$(vconf ',"vlan":10')
	run cni ADD a va
	assert_status 1
	[ "$(echo "$output" | jq -r .details)" = "bridge 'ocivl0': this kernel has no bridge VLAN filtering (CONFIG_BRIDGE_VLAN_FILTERING)" ] ||
		fail "$output"
	run cni DEL a va
	assert_status 0
	run ip link show ocivl0
	[ "$status" -ne 0 ] || fail "the bridge made for the failed ADD is left"
	run nsx a ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 left in the namespace"
	oci-net rm cvl
	# A network without a VLAN: the endpoint's own VLAN fails the same way, its veth goes.
	oci-net create tv --subnet 10.231.92.0/24 --bridge ocivl1 >/dev/null
	run oci-net connect tv --netns "/run/netns/$NSP-a" --vlan 8
	assert_status 1
	assert_one_line
	assert_output_contains "bridge 'ocivl1': this kernel has no bridge VLAN filtering"
	run oci-net inspect tv
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "endpoint left: $output"
	run nsx a ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 left in the namespace"
	run oci-net create tv2 --vlan 7 --subnet 10.231.93.0/24 --bridge ocivl2
	assert_status 0
	run oci-net connect tv2 --netns "/run/netns/$NSP-a"
	assert_status 1
	assert_output_contains "bridge 'ocivl2': this kernel has no bridge VLAN filtering"
	run ip link show ocivl2
	[ "$status" -ne 0 ] || fail "bridge ocivl2 left"
	oci-net rm tv tv2
	drop_test_net
	assert_host_restored
}
