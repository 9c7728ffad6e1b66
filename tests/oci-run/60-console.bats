#!/usr/bin/env bats
# oci-run: process.terminal: the pty master goes to --console-socket with
# SCM_RIGHTS; the process gets the slave as its controlling terminal.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	[ -n "${RECV:-}" ] && kill "$RECV" 2>/dev/null
	cleanup_containers
	common_teardown
}

start_receiver() {
	"$BATS_TEST_DIRNAME/console-recv.py" "$T/console.sock" "$T/console.out" >"$T/recv.log" 2>&1 &
	RECV=$!
	for _ in $(seq 50); do [ -S "$T/console.sock" ] && return 0; sleep 0.1; done
	fail "console receiver did not start"
}

@test "the pty master is sent to --console-socket; the process has a terminal" {
	bundle_config "$T/b" '.process.terminal = true | .process.consoleSize = {"height": 33, "width": 101}'
	bundle_args "$T/b" sh -c 'tty; stty size; read line; echo "got $line"; ls -l /dev/console | cut -c1; [ -t 0 ] && echo stdin-is-tty'
	start_receiver
	run_file "${R[@]}" create --console-socket "$T/console.sock" --bundle "$T/b" c1
	assert_status 0
	"${R[@]}" start c1
	wait "$RECV" || true
	RECV=
	run cat "$T/console.out"
	[[ "${lines[0]}" == "fd-received /dev/pts/"*" 1" ]] || fail "$output"
	assert_output_contains "/dev/pts/0"
	assert_output_contains "33 101"
	assert_output_contains "got typed-in"
	assert_output_contains "stdin-is-tty"
}

@test "run in the foreground with a terminal and no socket relays the pty" {
	bundle_config "$T/b" '.process.terminal = true'
	bundle_args "$T/b" sh -c 'tty; echo out-through-pty; exit 5'
	run "${R[@]}" run --bundle "$T/b" c1 </dev/null
	assert_status 5
	assert_output_contains "/dev/pts/0"
	assert_output_contains "out-through-pty"
}

@test "a console socket that does not exist is named" {
	bundle_config "$T/b" '.process.terminal = true'
	run_file "${R[@]}" create --console-socket "$T/nope.sock" --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "--console-socket: connect '$T/nope.sock'"
}

@test "run in the foreground on a real terminal: relay, typed input, exit status, as runc" {
	bundle_config "$T/b" '.process.terminal = true'
	bundle_args "$T/b" sh -c 'tty; echo ready; read line; echo "got:$line"; exit 4'
	run "$OCI_TEST_TOP/tests/engines/pty-run.py" --timeout 20 --wait ready --send 'hello\r' -- \
		"${R[@]}" run --bundle "$T/b" c1
	assert_status 4
	assert_output_contains "got:hello"
	mine=$output
	run "$OCI_TEST_TOP/tests/engines/pty-run.py" --timeout 20 --wait ready --send 'hello\r' -- \
		runc --root "$T/runc" run --bundle "$T/b" r1
	assert_status 4
	[ "$mine" = "$output" ] || fail "oci-run: $mine; runc: $output"
}
