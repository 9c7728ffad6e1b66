#!/usr/bin/env bats
# oci-run: linux.memoryPolicy (set_mempolicy before the process starts) and
# linux.intelRdt (not done: a clear error before anything is created).
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	CG=$(jq -r .linux.cgroupsPath "$T/b/config.json")
}

teardown() {
	cleanup_containers
	common_teardown
}

@test "exec: the process runs under linux.memoryPolicy (MPOL_BIND to node 0)" {
	[ -r /proc/self/numa_maps ] || skip "no /proc/PID/numa_maps (kernel without NUMA)"
	bundle_config "$T/b" '.linux.memoryPolicy = {"mode": "MPOL_BIND", "nodes": "0"}'
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" exec c1 head -1 /proc/self/numa_maps
	assert_status 0
	assert_output_contains " bind:0 "
	# without the policy: the default
	make_bundle "$T/b2"
	bundle_args "$T/b2" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b2" c2
	assert_status 0
	run "${R[@]}" exec c2 head -1 /proc/self/numa_maps
	assert_status 0
	assert_output_contains " default "
}

@test "a bad linux.memoryPolicy: one-line error naming the field, exit 1, nothing left" {
	bundle_config "$T/b" '.linux.memoryPolicy = {"mode": "MPOL_BIND"}'
	bundle_args "$T/b" true
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.memoryPolicy.nodes: MPOL_BIND needs nodes"
	[ ! -e "$T/state/c1" ] || fail "state folder left behind"
}

@test "linux.intelRdt: one-line error, exit 1, nothing left" {
	bundle_config "$T/b" '.linux.intelRdt = {"closID": "oci-test", "l3CacheSchema": "L3:0=f"}'
	bundle_args "$T/b" sleep 30
	run "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.intelRdt:"
	[ ! -e "$T/state/c1" ] || fail "state folder left behind"
	local d
	for d in /sys/fs/cgroup/*"$CG"; do
		[ ! -d "$d" ] || fail "cgroup left behind: $d"
	done
}

@test "run: the container's process runs under linux.memoryPolicy" {
	[ -r /proc/self/numa_maps ] || skip "no /proc/PID/numa_maps (kernel without NUMA)"
	bundle_config "$T/b" '.linux.memoryPolicy = {"mode": "MPOL_INTERLEAVE", "nodes": "0"}'
	run_in "$T/b" head -1 /proc/self/numa_maps
	assert_status 0
	assert_output_contains " interleave:0 "
	bundle_config "$T/b" '.linux.memoryPolicy = {"mode": "MPOL_LOCAL"}'
	run_in "$T/b" head -1 /proc/self/numa_maps
	assert_status 0
	assert_output_contains " local "
}
