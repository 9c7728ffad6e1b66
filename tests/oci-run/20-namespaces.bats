#!/usr/bin/env bats
# oci-run: namespaces (new and joined by path), hostname, user and time
# namespaces, checked from inside the container and against runc.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	cleanup_containers
	[ -n "${NETNS:-}" ] && ip netns delete "$NETNS" 2>/dev/null
	common_teardown
}

@test "pid namespace: the process is pid 1 and sees only its own processes" {
	run_in "$T/b" sh -c 'echo pid=$$; ls /proc | grep -c "^[0-9]"'
	assert_status 0
	[ "${lines[0]}" = "pid=1" ] || fail "$output"
	# sh, ls and grep
	[ "${lines[1]}" -le 3 ] || fail "sees ${lines[1]} processes"
}

@test "every new namespace differs from the host's" {
	bundle_args "$T/b" sh -c 'for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done'
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 0
	for n in pid net ipc uts mnt cgroup; do
		host=$(readlink /proc/self/ns/$n)
		[[ "$output" != *"$host"* ]] || fail "$n namespace is the host's ($host)"
	done
	[ "${#lines[@]}" = 6 ] || fail "$output"
}

@test "without a namespace entry the host's is kept" {
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "network" and .type != "ipc"))'
	bundle_args "$T/b" sh -c 'readlink /proc/self/ns/net; readlink /proc/self/ns/ipc'
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 0
	[ "${lines[0]}" = "$(readlink /proc/self/ns/net)" ] || fail "$output"
	[ "${lines[1]}" = "$(readlink /proc/self/ns/ipc)" ] || fail "$output"
}

@test "network namespace has only lo, as with runc" {
	run_in "$T/b" sh -c 'ls /sys/class/net'
	assert_status 0
	mine=$output
	RUNTIME=runc run_in "$T/b" sh -c 'ls /sys/class/net'
	[ "$mine" = "$output" ] || fail "oci-run: $mine; runc: $output"
	[ "$mine" = lo ]
}

@test "hostname and domainname are set in the uts namespace" {
	bundle_config "$T/b" '.hostname = "box1" | .domainname = "example.test"'
	run_in "$T/b" sh -c 'hostname; cat /proc/sys/kernel/domainname'
	assert_status 0
	[ "$output" = "$(printf 'box1\nexample.test')" ] || fail "$output"
	[ "$(hostname)" != box1 ]
}

@test "a hostname without a uts namespace is refused" {
	bundle_config "$T/b" '.hostname = "box1" | .linux.namespaces |= map(select(.type != "uts"))'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "uts namespace"
}

@test "joining a network namespace by path" {
	NETNS=ocirun-test-$$
	ip netns add "$NETNS"
	ip -n "$NETNS" link set lo up
	bundle_config "$T/b" '.linux.namespaces |= map(if .type == "network" then .path = $p else . end)' \
		--arg p "/run/netns/$NETNS"
	run_in "$T/b" sh -c 'cat /sys/class/net/lo/operstate; readlink /proc/self/ns/net'
	assert_status 0
	# lo is up there (a new namespace's lo is down)
	[ "${lines[0]}" = unknown ] || fail "$output"
	[ "${lines[1]}" = "$(ip netns exec "$NETNS" readlink /proc/self/ns/net)" ] || fail "$output"
}

@test "joining the pid and ipc namespaces of another container" {
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" first
	assert_status 0
	pid=$("${R[@]}" state first | jq -r .pid)
	make_bundle "$T/b2"
	bundle_config "$T/b2" '.linux.namespaces |= map(if .type == "pid" or .type == "ipc" then .path = "/proc/\($p)/ns/\(.type)" else . end)' --arg p "$pid"
	run_in "$T/b2" sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/ipc; ps -o comm | grep -c sleep'
	assert_status 0
	[ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ] || fail "$output"
	[ "${lines[1]}" = "$(readlink /proc/$pid/ns/ipc)" ] || fail "$output"
	[ "${lines[2]}" = 1 ] || fail "does not see the other container's sleep: $output"
}

@test "a namespace path of the wrong type is refused, naming it" {
	bundle_config "$T/b" '.linux.namespaces |= map(if .type == "network" then .path = "/proc/self/ns/ipc" else . end)'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "not a network namespace"
}

userns_bundle() {
	chmod 755 "$T"
	chown -R 100000:100000 "$1/rootfs"
	bundle_config "$1" '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
}

@test "user namespace: maps written before the process runs, same as runc" {
	userns_bundle "$T/b"
	bundle_config "$T/b" '.root.readonly = false'
	run_in "$T/b" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox; touch /tmp/x && stat -c %u:%g /tmp/x'
	assert_status 0
	mine=$output
	[ "$(echo "${lines[0]}" | tr -s ' ')" = " 0 100000 65536" ] || fail "$output"
	[ "${lines[2]}" = 0 ] && [ "${lines[3]}" = 0 ] && [ "${lines[4]}" = 0:0 ] || fail "$output"
	[ "$(stat -c %u "$T/b/rootfs/tmp/x")" = 100000 ] || fail "file owned by $(stat -c %u "$T/b/rootfs/tmp/x") on the host"
	rm -f "$T/b/rootfs/tmp/x"
	RUNTIME=runc run_in "$T/b" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; stat -c %u /bin/busybox; touch /tmp/x && stat -c %u:%g /tmp/x'
	[ "$mine" = "$output" ] || fail "oci-run: $mine; runc: $output"
}

@test "user namespace: a process user is mapped and has no host privileges" {
	userns_bundle "$T/b"
	bundle_config "$T/b" '.process.user = {"uid": 1000, "gid": 1000}'
	run_in "$T/b" sh -c 'id -u; id -g; cat /proc/self/status | grep ^CapEff'
	assert_status 0
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 1000 ] || fail "$output"
	assert_output_contains "CapEff:	0000000000000000"
}

@test "user namespace without mappings is refused" {
	bundle_config "$T/b" '.linux.namespaces += [{"type":"user"}]'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "uidMappings"
}

@test "time namespace with offsets" {
	[ -e /proc/self/ns/time ] || skip "this kernel has no time namespaces"
	bundle_config "$T/b" '.linux.namespaces += [{"type":"time"}]
		| .linux.timeOffsets = {"monotonic": {"secs": 86400, "nanosecs": 0}, "boottime": {"secs": 172800, "nanosecs": 0}}'
	run_in "$T/b" sh -c 'cut -d. -f1 /proc/uptime; cat /proc/self/timens_offsets'
	assert_status 0
	host=$(cut -d. -f1 /proc/uptime)
	[ "${lines[0]}" -ge $((host + 172800 - 5)) ] || fail "uptime ${lines[0]} (host $host)"
	assert_output_matches "monotonic +86400 +0"
}

@test "cgroup namespace: the container sees its cgroup as the root" {
	run_in "$T/b" sh -c 'cat /proc/self/cgroup'
	assert_status 0
	while read -r line; do
		[ "${line##*:}" = / ] || fail "cgroup path not /: $line"
	done <<<"$output"
}
