#!/usr/bin/env bats
# oci-run: create, start, state, kill, delete, run, list.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	cleanup_containers
	common_teardown
}

state_field() {
	"${R[@]}" state "$1" | jq -r ".$2"
}

@test "create holds the process until start; state goes created, running, stopped" {
	bundle_args "$T/b" sh -c 'touch /tmp/started; sleep 30'
	bundle_config "$T/b" '.root.readonly = false'
	run_file "${R[@]}" create --bundle "$T/b" --pid-file "$T/pid" c1
	assert_status 0
	[ -z "$output" ] || fail "create printed: $output"
	[ "$(state_field c1 status)" = created ]
	pid=$(state_field c1 pid)
	[ "$pid" = "$(cat "$T/pid")" ] || fail "pid file $(cat "$T/pid") != state $pid"
	kill -0 "$pid"
	"${R[@]}" state c1 >"$T/state.json"
	validate_json runtime-spec/state-schema.json "$T/state.json"
	[ "$(jq -r .bundle "$T/state.json")" = "$T/b" ]
	sleep 0.2
	[ ! -e "$T/b/rootfs/tmp/started" ] || fail "the process ran before start"
	run "${R[@]}" start c1
	assert_status 0
	[ "$(state_field c1 status)" = running ]
	for _ in $(seq 50); do [ -e "$T/b/rootfs/tmp/started" ] && break; sleep 0.1; done
	[ -e "$T/b/rootfs/tmp/started" ] || fail "the process did not run after start"
	run "${R[@]}" start c1
	assert_status 1
	assert_output_contains "running"
	"${R[@]}" kill c1 KILL
	for _ in $(seq 50); do [ "$(state_field c1 status)" = stopped ] && break; sleep 0.1; done
	[ "$(state_field c1 status)" = stopped ]
	run "${R[@]}" kill c1
	assert_status 1
	assert_output_contains "not running"
	run "${R[@]}" delete c1
	assert_status 0
	run "${R[@]}" state c1
	assert_status 1
	assert_one_line
	assert_output_contains "container 'c1' does not exist"
}

@test "the state of a container and of runc's agree on the same bundle" {
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	runc --root "$T/runc" create --bundle "$T/b" r1 >/dev/null 2>&1
	a=$("${R[@]}" state c1 | jq -c '{status, bundle, ociVersion: (.ociVersion|split(".")[0])}')
	b=$(runc --root "$T/runc" state r1 | jq -c '{status, bundle, ociVersion: (.ociVersion|split(".")[0])}')
	runc --root "$T/runc" delete --force r1
	[ "$a" = "$b" ] || fail "oci-run $a, runc $b"
}

@test "run in the foreground returns the exit status, 128+N for a signal" {
	run_in "$T/b" sh -c 'exit 7'
	assert_status 7
	# pid 1 of a pid namespace ignores signals it has no handler for
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "pid"))'
	run_in "$T/b" sh -c 'kill -TERM $$'
	assert_status 143
	run_in "$T/b" sh -c 'echo out; echo err >&2'
	assert_status 0
	assert_output_contains out
	assert_output_contains err
	# and the container is deleted afterwards
	[ -z "$(ls "$T/state")" ] || fail "left: $(ls "$T/state")"
}

@test "run returns the same status as runc" {
	for code in 0 1 42; do
		run_in "$T/b" sh -c "exit $code"
		mine=$status
		RUNTIME=runc run_in "$T/b" sh -c "exit $code"
		[ "$mine" = "$status" ] || fail "exit $code: oci-run $mine, runc $status"
	done
}

@test "run -d leaves a running container" {
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	[ "$(state_field c1 status)" = running ]
	run "${R[@]}" delete c1
	assert_status 1
	assert_output_contains "running"
	run "${R[@]}" delete --force c1
	assert_status 0
	[ ! -e "$T/state/c1" ]
}

@test "foreground run forwards SIGTERM to the container" {
	bundle_args "$T/b" sh -c 'trap "exit 9" TERM; while :; do sleep 0.1; done'
	"${R[@]}" run --bundle "$T/b" c1 >"$T/run.out" 2>&1 &
	rpid=$!
	for _ in $(seq 100); do [ "$(state_field c1 status 2>/dev/null)" = running ] && break; sleep 0.1; done
	sleep 0.3
	kill -TERM "$rpid" || fail "oci-run run is gone: $(cat "$T/run.out")"
	wait "$rpid" && st=0 || st=$?
	[ "$st" = 9 ] || fail "status $st: $(cat "$T/run.out")"
}

@test "kill accepts signal names and numbers" {
	bundle_args "$T/b" sh -c 'trap "echo usr1 >/tmp/got" USR1; trap "exit 0" TERM; while :; do sleep 0.1; done'
	bundle_config "$T/b" '.root.readonly = false'
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	sleep 0.3
	"${R[@]}" kill c1 SIGUSR1
	for _ in $(seq 30); do [ -e "$T/b/rootfs/tmp/got" ] && break; sleep 0.1; done
	[ "$(cat "$T/b/rootfs/tmp/got")" = usr1 ]
	rm "$T/b/rootfs/tmp/got"
	"${R[@]}" kill c1 10
	for _ in $(seq 30); do [ -e "$T/b/rootfs/tmp/got" ] && break; sleep 0.1; done
	[ -e "$T/b/rootfs/tmp/got" ]
	"${R[@]}" kill c1 TERM
	for _ in $(seq 50); do [ "$(state_field c1 status)" = stopped ] && break; sleep 0.1; done
	[ "$(state_field c1 status)" = stopped ]
}

@test "kill --all reaches every process of the container" {
	bundle_args "$T/b" sh -c 'trap "" TERM; sleep 100 & sleep 101 & wait; wait'
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	sleep 0.3
	pgrep -f "sleep 10[01]" >/dev/null
	"${R[@]}" kill --all c1 KILL
	for _ in $(seq 50); do pgrep -f "sleep 10[01]" >/dev/null || break; sleep 0.1; done
	! pgrep -f "sleep 10[01]" >/dev/null
}

@test "delete of a created container kills its init" {
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	pid=$(state_field c1 pid)
	run "${R[@]}" delete c1
	assert_status 0
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
	[ ! -e "$T/state/c1" ]
}

@test "state reports stopped when the pid was reused by another process" {
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	# pretend the init was another process with the same pid
	jq '.startTime = 1' "$T/state/c1/state.json" >"$T/s" && cp "$T/s" "$T/state/c1/state.json"
	[ "$(state_field c1 status)" = stopped ]
	run "${R[@]}" kill c1 KILL
	assert_status 1
	"${R[@]}" delete --force c1
}

@test "create refuses an existing id and an invalid id" {
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "container 'c1' already exists"
	run_file "${R[@]}" create --bundle "$T/b" "../x"
	assert_status 1
	assert_output_contains "invalid container id"
	[ "$(state_field c1 status)" = created ]
}

@test "list shows containers as a table, JSON and ids" {
	bundle_args "$T/b" sleep 30
	make_bundle "$T/b2"
	bundle_args "$T/b2" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	"${R[@]}" run -d --bundle "$T/b2" c2 >/dev/null 2>&1
	run "${R[@]}" list
	assert_status 0
	assert_output_matches "^ID +PID +STATUS +BUNDLE +CREATED +OWNER"
	assert_output_matches "c1 +[0-9]+ +created +$T/b "
	assert_output_matches "c2 +[0-9]+ +running"
	run "${R[@]}" list -q
	[ "$output" = "$(printf 'c1\nc2')" ]
	"${R[@]}" list --format json >"$T/l.json"
	[ "$(jq -r '.[] | .id + "=" + .status' "$T/l.json" | tr '\n' ' ')" = "c1=created c2=running " ]
	run oci-run --root "$T/empty" list --format json
	[ "$output" = "[]" ]
}

@test "start of an init that died says so" {
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	kill -KILL "$(state_field c1 pid)"
	sleep 0.2
	run "${R[@]}" start c1
	assert_status 1
	assert_one_line
	assert_output_contains "stopped"
}

@test "--preserve-fds passes fds 3.. and nothing else leaks" {
	bundle_args "$T/b" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "; cat <&3'
	echo through-fd3 >"$T/f"
	run "${R[@]}" run --preserve-fds 1 --bundle "$T/b" c1 3<"$T/f"
	assert_status 0
	# ls itself opens one more fd (4) to read the directory
	[ "$output" = "0 1 2 3 4 through-fd3" ] || fail "fds in the container: $output"
	bundle_args "$T/b" sh -c 'ls /proc/self/fd | sort -n | tr "\n" " "'
	run "${R[@]}" run --bundle "$T/b" c1 3<"$T/f" 4<"$T/f"
	# ls itself opens one fd (3) to read the directory
	[ "$output" = "0 1 2 3 " ] || fail "fds in the container: $output"
}

@test "kill --all and delete --force reach every process without a pid namespace (cgroup)" {
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "pid"))'
	bundle_args "$T/b" sh -c 'sleep 102 & sleep 103 & wait'
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	sleep 0.3
	pgrep -f "sleep 10[23]" >/dev/null
	"${R[@]}" kill --all c1 KILL
	for _ in $(seq 50); do pgrep -f "sleep 10[23]" >/dev/null || break; sleep 0.1; done
	! pgrep -f "sleep 10[23]" >/dev/null || fail "left: $(pgrep -af 'sleep 10[23]')"
	"${R[@]}" run -d --bundle "$T/b" c2 >/dev/null 2>&1
	sleep 0.3
	"${R[@]}" delete --force c2
	! pgrep -f "sleep 10[23]" >/dev/null || fail "left after delete --force: $(pgrep -af 'sleep 10[23]')"
}

@test "--pidfd-socket receives a pidfd of the init (runc 1.2)" {
	bundle_args "$T/b" sleep 30
	"$BATS_TEST_DIRNAME/console-recv.py" "$T/pidfd.sock" "$T/pidfd.out" >/dev/null 2>&1 &
	recv=$!
	for _ in $(seq 50); do [ -S "$T/pidfd.sock" ] && break; sleep 0.1; done
	run_file "${R[@]}" create --pidfd-socket "$T/pidfd.sock" --bundle "$T/b" c1
	wait "$recv" || true
	assert_status 0
	[ "$(head -1 "$T/pidfd.out")" = "fd-received pidfd 1" ] || fail "$(cat "$T/pidfd.out")"
}

@test "state while create is still running says creating, without waiting" {
	printf '#!/bin/sh\ncat >/dev/null\nsleep 3\n' >"$T/slow-hook"
	chmod +x "$T/slow-hook"
	bundle_config "$T/b" '.hooks.createRuntime = [{"path": $p}]' --arg p "$T/slow-hook"
	bundle_args "$T/b" sleep 30
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1 &
	cpid=$!
	sleep 1
	SECONDS=0
	run "${R[@]}" state c1
	assert_status 0
	[ "$(jq -r .status <<<"$output")" = creating ] || fail "$output"
	[ "$SECONDS" -lt 2 ] || fail "state waited $SECONDS s"
	wait "$cpid"
	[ "$(state_field c1 status)" = created ]
}

@test "the created init is already in its cgroup in every hierarchy, with and without a pid namespace" {
	# with a pid namespace the init joins by itself (v1 tasks, clone3
	# CLONE_INTO_CGROUP); without one the parent moves it (cgroup.procs)
	cg=$(jq -r .linux.cgroupsPath "$T/b/config.json")
	bundle_args "$T/b" sleep 30
	for ns in with without; do
		[ $ns = with ] || bundle_config "$T/b" 'del(.linux.namespaces[] | select(.type == "pid"))'
		run_file "${R[@]}" create --bundle "$T/b" "c-$ns"
		assert_status 0
		pid=$(state_field "c-$ns" pid)
		n=0
		while IFS=: read -r _ ctrl path; do
			[ "$path" = "$cg" ] || fail "$ns pid namespace: '$ctrl' cgroup is '$path', not '$cg'"
			n=$((n + 1))
		done <"/proc/$pid/cgroup"
		[ "$n" -ge 1 ] || fail "no cgroup line checked"
		"${R[@]}" delete --force "c-$ns"
		[ ! -d "/sys/fs/cgroup/pids$cg" ] && [ ! -d "/sys/fs/cgroup/unified$cg" ] ||
			fail "$ns pid namespace: cgroup left behind after delete"
	done
}
