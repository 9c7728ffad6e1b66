#!/usr/bin/env bats
# oci-net cni: running a .conflist (plugin chain with prevResult, capabilities,
# cniVersions, disableCheck, disableGC, the cached result for CHECK and DEL).
load net

conflist() { # EXTRA-TOP-LEVEL-JSON
	cat >"$T/n.conflist" <<EOC
{"cniVersion":"1.0.0","name":"cl","plugins":[
 {"type":"oci-net","capabilities":{"portMappings":true},"ipam":{"type":"oci-net","subnet":"10.231.77.0/24"}},
 {"type":"tuning","mtu":1300}]$1}
EOC
}

@test "cni add/check/del run the chain; tuning sees oci-net's result" {
	[ -x /usr/lib/cni/tuning ] || skip "containernetworking-plugins is not installed"
	mkns a
	conflist ''
	run oci-net cni add "$T/n.conflist" --netns "/run/netns/$NSP-a" --container k1 --cni-path /usr/lib/cni \
		--runtime-config '{"portMappings":[{"hostPort":18977,"containerPort":80,"protocol":"tcp"}],"bandwidth":{"ingressRate":1}}'
	assert_status 0
	[ "$(echo "$output" | jq -r '.ips[0].address')" = 10.231.77.2/24 ] || fail "$output"
	run nsx a cat /sys/class/net/eth0/mtu
	[ "$output" = 1300 ] || fail "tuning did not run on eth0: mtu $output"
	run nft list table inet oci_net
	assert_output_contains "tcp dport 18977"
	run oci-net cni check "$T/n.conflist" --netns "/run/netns/$NSP-a" --container k1 --cni-path /usr/lib/cni
	assert_status 0
	run oci-net cni del "$T/n.conflist" --netns "/run/netns/$NSP-a" --container k1 --cni-path /usr/lib/cni
	assert_status 0
	run nsx a ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 left"
	run oci-net cni check "$T/n.conflist" --netns "/run/netns/$NSP-a" --container k1 --cni-path /usr/lib/cni
	assert_status 1
	assert_output_contains "no cached result"
	oci-net rm cl
	drop_test_net
	assert_host_restored
}

@test "cni: cniVersions picks the highest known, disableCheck and disableGC skip, GC keeps valid ones" {
	mkns a
	mkns b
	cat >"$T/v.conflist" <<EOC
{"cniVersions":["0.4.0","1.1.0","7.0.0"],"name":"cv","disableCheck":true,"plugins":[
 {"type":"oci-net","ipam":{"type":"oci-net","subnet":"10.231.78.0/24"}}]}
EOC
	run oci-net cni add "$T/v.conflist" --netns "/run/netns/$NSP-a" --container k1 --cni-path /nonexistent
	assert_status 0
	[ "$(echo "$output" | jq -r .cniVersion)" = 1.1.0 ] || fail "$output"
	run oci-net cni add "$T/v.conflist" --netns "/run/netns/$NSP-b" --container k2 --cni-path /nonexistent
	assert_status 0
	# disableCheck: CHECK succeeds without running anything, even for unknown containers.
	run oci-net cni check "$T/v.conflist" --netns "/run/netns/$NSP-a" --container nosuch --cni-path /nonexistent
	assert_status 0
	run oci-net cni status "$T/v.conflist" --cni-path /nonexistent
	assert_status 0
	run oci-net cni gc "$T/v.conflist" --valid k1/eth0 --cni-path /nonexistent
	assert_status 0
	run oci-net inspect cv
	[ "$(echo "$output" | jq -r '[.[0].endpoints[].container] | join(",")')" = k1 ] || fail "$output"
	sed -i 's/"disableCheck":true/"disableGC":true/' "$T/v.conflist"
	run oci-net cni gc "$T/v.conflist" --cni-path /nonexistent
	assert_status 0
	run oci-net inspect cv
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 1 ] || fail "disableGC ignored: $output"
	oci-net rm -f cv
	drop_test_net
	assert_host_restored
}

@test "cni: bad conflists and missing plugins fail clearly" {
	echo '{"name":"x","cniVersion":"9.9.9","plugins":[{"type":"oci-net"}]}' >"$T/bad.conflist"
	run oci-net cni add "$T/bad.conflist" --netns /run/netns/x --container c
	assert_status 1
	assert_one_line
	assert_output_contains "no supported cniVersion"
	echo '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"no-such-plugin"}]}' >"$T/bad.conflist"
	run oci-net cni add "$T/bad.conflist" --netns /run/netns/x --container c --cni-path "$T"
	assert_status 1
	assert_output_contains "plugin 'no-such-plugin' not found"
	echo '{"name":"x","cniVersion":"1.0.0"}' >"$T/bad.conflist"
	run oci-net cni add "$T/bad.conflist" --netns /run/netns/x --container c
	assert_status 1
	assert_output_contains "plugins"
	echo '{"name":"x","cniVersion":"1.0.0","plugins":[{"type":"oci-net"}]}' >"$T/ok.conflist"
	run oci-net cni gc "$T/ok.conflist"
	assert_status 1
	assert_output_contains "needs cniVersion 1.1.0"
	run oci-net cni add "$T/ok.conflist"
	assert_status 2
	run oci-net cni frob "$T/ok.conflist"
	assert_status 2
	assert_host_restored
}
