#!/usr/bin/env bats
# oci-run: the rest of issue 6's management list, end to end: the systemd
# cgroup driver's error where systemd is not PID 1, `events` as a stream,
# `update` from every runc flag and from --resources -, `kill --all` and
# `ps --format json` of a container sharing the host's pid namespace.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	CG=$(jq -r .linux.cgroupsPath "$T/b/config.json")
}

teardown() {
	[ -n "${EV_PID:-}" ] && kill "$EV_PID" 2>/dev/null
	cleanup_containers
	common_teardown
}

@test "--systemd-cgroup where systemd is not PID 1: one-line error, exit 1, nothing left" {
	[ "$(cat /proc/1/comm)" = systemd ] && [ -d /run/systemd/system ] &&
		skip "systemd is PID 1 here: the driver works instead of failing"
	bundle_config "$T/b" '.linux.cgroupsPath = "system.slice:oci-test:c1"'
	bundle_args "$T/b" sleep 30
	run "${R[@]}" --systemd-cgroup run -d --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "oci-run: error:"
	assert_output_contains "systemd"
	assert_output_contains "--systemd-cgroup"
	[ ! -e "$T/state/c1" ] || fail "state folder left behind"
	local d
	for d in /sys/fs/cgroup/*/system.slice/oci-test-c1.scope /sys/fs/cgroup/*/oci-test-c1.scope; do
		[ ! -e "$d" ] || fail "cgroup left behind: $d"
	done
	run "${R[@]}" list -q
	[ -z "$output" ] || fail "listed: $output"
}

@test "events without --stats streams a stats line every interval and ends with the container" {
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	"${R[@]}" events --interval 1s c1 >"$T/ev" 2>"$T/ev.err" &
	EV_PID=$!
	sleep 2.5
	n=$(wc -l <"$T/ev")
	[ "$n" -ge 2 ] || fail "$n lines after 2.5 s: $(cat "$T/ev" "$T/ev.err")"
	while read -r l; do
		jq -e '.type == "stats" and .id == "c1" and .data.pids.current >= 1' <<<"$l" >/dev/null ||
			fail "not a stats event: $l"
	done <"$T/ev"
	"${R[@]}" kill c1 KILL
	# the stream ends by itself once the container is gone (within an interval)
	for _ in $(seq 30); do
		kill -0 "$EV_PID" 2>/dev/null || break
		sleep 0.1
	done
	! kill -0 "$EV_PID" 2>/dev/null || fail "events still running after the container died"
	wait "$EV_PID"
	rc=$?
	EV_PID=
	[ "$rc" -eq 0 ] || fail "events exited $rc: $(cat "$T/ev.err")"
}

@test "events of a stopped container: one-line error, exit 1" {
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	"${R[@]}" start c1
	for _ in $(seq 30); do
		[ "$("${R[@]}" state c1 | jq -r .status)" = stopped ] && break
		sleep 0.1
	done
	run "${R[@]}" events c1
	assert_status 1
	assert_one_line
	assert_output_contains "'c1'"
}

@test "update --resources - reads the resources from stdin" {
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" update --resources - c1 <<<'{"memory": {"limit": 41943040}, "pids": {"limit": 21}}'
	assert_status 0
	[ "$(cat /sys/fs/cgroup/memory$CG/memory.limit_in_bytes)" = 41943040 ] ||
		fail "memory: $(cat /sys/fs/cgroup/memory$CG/memory.limit_in_bytes)"
	[ "$(cat /sys/fs/cgroup/pids$CG/pids.max)" = 21 ] || fail "pids: $(cat /sys/fs/cgroup/pids$CG/pids.max)"
	# bad JSON on stdin: one line naming where
	run "${R[@]}" update --resources - c1 <<<'{"pids": {"limit": "many"}}'
	assert_status 1
	assert_one_line
	assert_output_contains "pids.limit"
	[ "$(cat /sys/fs/cgroup/pids$CG/pids.max)" = 21 ] || fail "a failed update changed pids.max"
}

@test "update from runc's cpu and memory flags" {
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" update --cpu-share 512 --cpu-period 100000 --cpu-quota 50000 \
		--cpuset-cpus 0 --memory 96m --memory-reservation 32m c1
	assert_status 0
	cpu=/sys/fs/cgroup/cpu,cpuacct$CG
	[ -d "$cpu" ] || cpu=/sys/fs/cgroup/cpu$CG
	[ "$(cat "$cpu/cpu.shares")" = 512 ] || fail "shares: $(cat "$cpu/cpu.shares")"
	[ "$(cat "$cpu/cpu.cfs_period_us")" = 100000 ] || fail "period: $(cat "$cpu/cpu.cfs_period_us")"
	[ "$(cat "$cpu/cpu.cfs_quota_us")" = 50000 ] || fail "quota: $(cat "$cpu/cpu.cfs_quota_us")"
	[ "$(cat /sys/fs/cgroup/cpuset$CG/cpuset.cpus)" = 0 ] || fail "cpus: $(cat /sys/fs/cgroup/cpuset$CG/cpuset.cpus)"
	[ "$(cat /sys/fs/cgroup/memory$CG/memory.limit_in_bytes)" = 100663296 ] || fail "memory"
	[ "$(cat /sys/fs/cgroup/memory$CG/memory.soft_limit_in_bytes)" = 33554432 ] || fail "reservation"
	run "${R[@]}" update --cpu-share many c1
	assert_status 1
	assert_output_contains "--cpu-share"
	run "${R[@]}" update --no-such-flag 1 c1
	assert_status 2
}

@test "kill --all and ps --format json of a container in the host's pid namespace" {
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "pid"))'
	bundle_args "$T/b" sh -c 'sleep 61 & sleep 62 & wait'
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	for _ in $(seq 30); do
		[ "$(wc -l </sys/fs/cgroup/pids$CG/cgroup.procs)" -ge 3 ] && break
		sleep 0.1
	done
	run "${R[@]}" ps --format json c1
	assert_status 0
	assert_one_line
	jq -e 'type == "array" and length >= 3 and all(.[]; type == "number")' <<<"$output" >/dev/null ||
		fail "ps json: $output"
	# the pids are the host's: each is in the container's cgroup
	for p in $(jq -r '.[]' <<<"$output"); do
		grep -qx "$p" /sys/fs/cgroup/pids$CG/cgroup.procs || fail "pid $p not in the cgroup"
	done
	pids=$(jq -r '.[]' <<<"$output")
	"${R[@]}" kill --all c1 KILL
	for _ in $(seq 50); do
		alive=0
		for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ "$alive" = 0 ] && break
		sleep 0.1
	done
	for p in $pids; do
		! kill -0 "$p" 2>/dev/null || fail "pid $p survived kill --all: $(cat /proc/$p/cmdline | tr '\0' ' ')"
	done
}

@test "a container runs under a 512 KiB memory limit (crun's footprint claim; runc 1.1 cannot)" {
	bundle_config "$T/b" '.linux.resources.memory.limit = 524288'
	run_in "$T/b" sh -c 'cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo ran'
	assert_status 0
	[ "${lines[0]}" = 524288 ] || fail "limit seen inside: $output"
	[ "${lines[1]}" = ran ] || fail "$output"
	# and exec into one under that limit
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" exec c1 echo exec-ok
	assert_status 0
	[ "$output" = exec-ok ] || fail "$output"
}
