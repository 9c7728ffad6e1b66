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

@test "connect and disconnect an oci-run container by its ID (--runtime-root)" {
	command -v oci-run >/dev/null || skip "oci-run is not built"
	mkdir -p "$T/b/rootfs/bin"
	cp /bin/busybox "$T/b/rootfs/bin/"
	for c in sh sleep; do ln -s busybox "$T/b/rootfs/bin/$c"; done
	(cd "$T/b" && oci-run spec)
	jq '.process.args = ["sleep", "600"] | .process.terminal = false' "$T/b/config.json" >"$T/b/c.json"
	mv "$T/b/c.json" "$T/b/config.json"
	# Detached: the container must not hold the test's output open.
	timeout 30 oci-run --root "$T/state" run -d --bundle "$T/b" idc1 </dev/null >/dev/null 2>"$T/run.err" 3>&- ||
		fail "oci-run run -d: $(cat "$T/run.err")"
	pid=$(oci-run --root "$T/state" state idc1 | jq -r .pid)
	bg_pid "$pid"
	oci-net create hc --subnet 10.231.87.0/24 --no-dns >/dev/null
	run oci-net --runtime-root "$T/state" connect hc idc1
	assert_status 0
	[ "$output" = 10.231.87.2 ] || fail "$output"
	run nsenter -t "$pid" -n ip -o -4 addr show dev eth0
	assert_output_contains "10.231.87.2/24"
	run oci-net --runtime-root "$T/state" connect hc nosuchctr
	assert_status 1
	assert_one_line
	assert_output_contains "oci-net: error: oci-run state: container 'nosuchctr' does not exist"
	run oci-net disconnect hc idc1
	assert_status 0
	run nsenter -t "$pid" -n ip link show eth0
	[ "$status" -ne 0 ] || fail "eth0 left"
	oci-run --root "$T/state" kill idc1 KILL || true
	for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	oci-run --root "$T/state" delete --force idc1 || true
	oci-net rm hc
	drop_test_net
	assert_host_restored
}

@test "connect by an ID oci-run does not know: one line with oci-run's cause" {
	command -v oci-run >/dev/null || skip "oci-run is not built"
	mkdir -p "$T/state"
	oci-net create hu --subnet 10.231.88.0/24 --no-dns >/dev/null
	# oci-run's own error line used to come above oci-net's.
	run oci-net --runtime-root "$T/state" connect hu nosuchctr
	assert_status 1
	assert_one_line
	[ "$output" = "oci-net: error: oci-run state: container 'nosuchctr' does not exist" ] ||
		fail "output: $output"
	# Without --runtime-root: oci-run's default root, the same one line.
	run oci-net connect hu "nosuchctr$$"
	assert_status 1
	assert_one_line
	assert_output_contains "container 'nosuchctr$$' does not exist"
	# A state folder oci-run cannot use: its cause still comes in one line.
	run oci-net --runtime-root "$BATS_TEST_FILENAME" connect hu nosuchctr
	assert_status 1
	assert_one_line
	assert_output_matches "^oci-net: error: (container 'nosuchctr': )?oci-run state: "
	run oci-net inspect hu
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "endpoint left: $output"
	oci-net rm hu
	assert_host_restored
}
