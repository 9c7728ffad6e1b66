#!/usr/bin/env bats
# oci-run alone gets networking: oci-net as the createRuntime and poststop
# hooks of a bundle's config.json.
load net

@test "oci-run with oci-net hooks: the container has eth0, a route and a name; poststop cleans up" {
	command -v oci-run >/dev/null || skip "oci-run is not built"
	mkdir -p "$T/b/rootfs/bin" "$T/b/rootfs/etc"
	cp /bin/busybox "$T/b/rootfs/bin/"
	for c in sh ip cat nslookup; do ln -s busybox "$T/b/rootfs/bin/$c"; done
	(cd "$T/b" && oci-run spec)
	net=$(command -v oci-net)
	jq --arg n "$net" --arg s "$OCI_ROOT" '
		.process.args = ["sh", "-c", "ip -o -4 addr show dev eth0; ip route; cat /etc/hostname; nslookup -type=a web"] |
		.process.terminal = false |
		.hooks = {
			"createRuntime": [{"path": $n, "args": ["oci-net", "hook", "createRuntime", "--network", "hk", "--name", "web", "--etc"], "env": ["OCI_ROOT=" + $s]}],
			"poststop": [{"path": $n, "args": ["oci-net", "hook", "poststop", "--network", "hk"], "env": ["OCI_ROOT=" + $s]}]
		}' "$T/b/config.json" >"$T/b/c.json"
	mv "$T/b/c.json" "$T/b/config.json"
	oci-net create hk --subnet 10.231.86.0/24 --dns-upstream 10.231.86.1:5999 >/dev/null
	run timeout 60 oci-run --root "$T/state" run --bundle "$T/b" hk1
	assert_status 0
	assert_output_contains "inet 10.231.86.2/24"
	assert_output_contains "default via 10.231.86.1"
	assert_output_contains "Server:		127.0.0.11"
	assert_output_matches "Address:? *(1: )?10.231.86.2"
	[ "$(cat "$T/b/rootfs/etc/hostname")" = web ]
	run oci-net inspect hk
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "poststop left: $output"
	oci-net rm hk
	drop_test_net
	assert_host_restored
}
