#!/usr/bin/env bats
# oci-run pause/resume, ps, events --stats, update: through the cgroup.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	bundle_args "$T/b" sh -c 'sleep 60 & i=0; while :; do i=$((i+1)); echo $i >/tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.05; done'
	bundle_config "$T/b" '.root.readonly = false'
}

teardown() {
	cleanup_containers
	common_teardown
}

@test "pause freezes every process, state says paused, resume thaws" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	sleep 0.3
	run "${R[@]}" pause c1
	assert_status 0
	[ "$("${R[@]}" state c1 | jq -r .status)" = paused ]
	a=$(cat "$T/b/rootfs/tmp/count"); sleep 0.4; b=$(cat "$T/b/rootfs/tmp/count")
	[ "$a" = "$b" ] || fail "counter moved while paused: $a -> $b"
	run "${R[@]}" list
	assert_output_matches "c1 +[0-9]+ +paused"
	run "${R[@]}" pause c1
	assert_status 1
	assert_output_contains "it is paused"
	run "${R[@]}" resume c1
	assert_status 0
	sleep 0.4
	c=$(cat "$T/b/rootfs/tmp/count")
	[ "$c" -gt "$b" ] || fail "counter did not move after resume: $b -> $c"
	[ "$("${R[@]}" state c1 | jq -r .status)" = running ]
}

@test "delete --force of a paused container" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	pid=$("${R[@]}" state c1 | jq -r .pid)
	"${R[@]}" pause c1
	run "${R[@]}" delete --force c1
	assert_status 0
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "ps lists the container's processes, as a table and JSON" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	sleep 0.3
	run "${R[@]}" ps --format json c1
	assert_status 0
	n=$(jq length <<<"$output")
	[ "$n" -ge 2 ] || fail "$output"
	pid=$("${R[@]}" state c1 | jq -r .pid)
	jq -e --argjson p "$pid" 'index($p) != null' <<<"$output" >/dev/null
	run "${R[@]}" ps c1
	assert_status 0
	assert_output_matches "^PID +CMD"
	assert_output_contains "sleep 60"
}

@test "events --stats prints one stats line with memory, cpu and pids" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" events --stats c1
	assert_status 0
	assert_one_line
	[ "$(jq -r .type <<<"$output")" = stats ]
	[ "$(jq -r .id <<<"$output")" = c1 ]
	jq -e '.data.pids.current >= 2 and .data.memory.usage.usage > 0 and .data.cpu.usage.total > 0' <<<"$output" >/dev/null ||
		fail "$output"
}

@test "update changes memory and pids limits of a running container" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" update --memory 64m --pids-limit 30 c1
	assert_status 0
	cg=$(jq -r .linux.cgroupsPath "$T/b/config.json")
	[ "$(cat /sys/fs/cgroup/memory$cg/memory.limit_in_bytes)" = 67108864 ]
	[ "$(cat /sys/fs/cgroup/pids$cg/pids.max)" = 30 ]
	echo '{"pids": {"limit": 40}}' >"$T/res.json"
	run "${R[@]}" update --resources "$T/res.json" c1
	assert_status 0
	[ "$(cat /sys/fs/cgroup/pids$cg/pids.max)" = 40 ]
	run "${R[@]}" update --memory lots c1
	assert_status 1
	assert_output_contains "--memory"
	run "${R[@]}" update c1
	assert_status 2
}
