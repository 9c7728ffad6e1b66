#!/usr/bin/env bats
# OCI hook mode: createRuntime and poststop with the state JSON on stdin.
load net

state() { # ID PID
	printf '{"ociVersion":"1.2.0","id":"%s","status":"created","pid":%s,"bundle":"%s","annotations":{"org.oci-tools.net.name":"web1"}}' "$1" "$2" "$T"
}

@test "createRuntime attaches the container by pid; poststop detaches it" {
	oci-net create tk --subnet 10.231.60.0/24 --dns-upstream 10.231.60.1:5999 >/dev/null
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run sh -c "$(printf '%q ' "$(command -v oci-net)") hook createRuntime --network tk -p 18960:80 --alias www <<'EOS'
$(state ctr1 "$pid")
EOS"
	assert_status 0
	run nsenter -t "$pid" -n ip -o -4 addr show dev eth0
	assert_output_contains "10.231.60.2/24"
	run oci-net inspect tk
	[ "$(echo "$output" | jq -r '.[0].endpoints[0].container')" = ctr1 ]
	[ "$(echo "$output" | jq -r '.[0].endpoints[0].name')" = web1 ]
	[ "$(echo "$output" | jq -r '.[0].endpoints[0].ports[0]')" = 18960:80/tcp ]
	grep -q 'web1 www' "$OCI_ROOT/networks/tk/hosts"
	# Disconnect by container ID works too; poststop after that is a no-op.
	kill -9 "$pid"
	run sh -c "oci-net hook poststop --network tk <<'EOS'
$(state ctr1 "$pid")
EOS"
	assert_status 0
	run oci-net inspect tk
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "left: $output"
	run sh -c "oci-net hook poststop --network tk <<'EOS'
$(state ctr1 "$pid")
EOS"
	assert_status 0
	oci-net rm tk
	drop_test_net
	assert_host_restored
}

@test "hook: bad state and stages fail clearly" {
	run sh -c "echo '{' | oci-net hook createRuntime --network tk"
	assert_status 1
	assert_one_line
	assert_output_contains "invalid JSON"
	run sh -c "echo '{\"id\":\"x\"}' | oci-net hook createRuntime --network bridge"
	assert_status 1
	assert_output_contains "pid"
	run sh -c "echo '{\"id\":\"x\",\"pid\":1}' | oci-net hook startContainer"
	assert_status 1
	assert_output_contains "not supported"
	run oci-net hook
	assert_status 2
}

@test "hook with --network none brings up loopback only" {
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run sh -c "echo '{\"id\":\"c2\",\"pid\":$pid}' | oci-net hook createRuntime --network none"
	assert_status 0
	run nsenter -t "$pid" -n ip -o link show lo
	assert_output_contains "UP"
	drop_test_net
	assert_host_restored
}

@test "hook --etc writes resolv.conf, hosts and hostname into the bundle's rootfs, never through its symlinks" {
	mkdir -p "$T/rootfs/etc"
	echo '{"ociVersion":"1.2.0","root":{"path":"rootfs"}}' >"$T/config.json"
	echo "host-file" >"$T/victim"
	ln -s "$T/victim" "$T/rootfs/etc/resolv.conf"
	oci-net create te --subnet 10.231.61.0/24 --dns-upstream 10.231.61.1:5999 >/dev/null
	unshare -n sleep 600 &
	pid=$!
	bg_pid $pid
	sleep 0.2
	run sh -c "oci-net hook createRuntime --network te --etc --name web1 --alias www <<'EOS'
$(state ctr3 "$pid")
EOS"
	assert_status 0
	[ "$(cat "$T/victim")" = host-file ] || fail "wrote through the symlink"
	[ ! -L "$T/rootfs/etc/resolv.conf" ] || fail "resolv.conf is still a symlink"
	run cat "$T/rootfs/etc/resolv.conf"
	assert_output_contains "nameserver 127.0.0.11"
	run cat "$T/rootfs/etc/hosts"
	assert_output_contains "10.231.61.2	web1 www"
	[ "$(cat "$T/rootfs/etc/hostname")" = web1 ]
	oci-net rm -f te
	drop_test_net
	assert_host_restored
}
