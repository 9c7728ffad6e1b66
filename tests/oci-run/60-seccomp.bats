#!/usr/bin/env bats
# oci-run: linux.seccomp. The default profile of `oci-run spec` (Docker's
# semantics) blocks what Docker's blocks while ordinary programs run; custom
# profiles with errnoRet and argument filters; SCMP_ACT_NOTIFY with an agent
# at listenerPath; profile errors before anything is created.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	# the agent first: a process waiting on it gets ENOSYS once it is gone
	[ -z "${AGENT_PID:-}" ] || kill "$AGENT_PID" 2>/dev/null || true
	cleanup_containers
	cleanup_containers "$T/state-oci-run"
	local d
	for d in "$T/runc" "$T/state-runc"; do
		[ -d "$d" ] || continue
		runc --root "$d" delete --force r1 >/dev/null 2>&1 || true
		runc --root "$d" delete --force x-runc >/dev/null 2>&1 || true
	done
	common_teardown
}

# Copies a helper program and the libraries it needs into the rootfs.
install_helper() {
	local dir=$1 prog=$2 lib
	cp "$HELPERS/$prog" "$dir/rootfs/bin/$prog"
	for lib in $(ldd "$HELPERS/$prog" | grep -o '/[^ ]*'); do
		mkdir -p "$dir/rootfs$(dirname "$lib")"
		cp -L "$lib" "$dir/rootfs$lib"
	done
}

# probe_result NAME: the result of one probe in $output ("ok", "EPERM", ...)
probe_result() {
	printf '%s\n' "$output" | awk -v n="$1" '$1 == n { print $2 }'
}

expect_probe() {
	local got
	got=$(probe_result "$1")
	[ "$got" = "$2" ] || fail "$1: expected $2, got '${got}' in: $output"
}

@test "oci-run spec writes Docker's default seccomp profile" {
	mkdir "$T/s"
	oci-run spec --bundle "$T/s"
	validate_json runtime-spec/config-schema.json "$T/s/config.json"
	local sc
	sc=$(jq -c .linux.seccomp "$T/s/config.json")
	[ "$(jq -r .defaultAction <<<"$sc")" = SCMP_ACT_ERRNO ]
	[ "$(jq -r .defaultErrnoRet <<<"$sc")" = 1 ]
	# allowed plainly: read; never named: keyring, kexec, mount, unshare, setns
	jq -e '[.syscalls[] | select(.action == "SCMP_ACT_ALLOW" and (.args // []) == []) |
		.names[]] | index("read")' <<<"$sc" >/dev/null || fail "read not allowed"
	local n
	for n in keyctl add_key request_key kexec_load open_by_handle_at bpf mount unshare setns; do
		if jq -e --arg n "$n" '[.syscalls[].names[]] | index($n)' <<<"$sc" >/dev/null; then
			fail "the default profile names $n"
		fi
	done
	# clone only without namespace flags
	[ "$(jq -r '.syscalls[] | select(.names == ["clone"]) | .args[0].op' <<<"$sc")" = \
		SCMP_CMP_MASKED_EQ ]
}

@test "oci-run features reports seccomp" {
	"${R[@]}" features >"$T/f.json"
	validate_json runtime-spec/features-schema.json "$T/f.json"
	[ "$(jq -r .linux.seccomp.enabled "$T/f.json")" = true ]
	jq -e '.linux.seccomp.actions | index("SCMP_ACT_NOTIFY")' "$T/f.json" >/dev/null
	jq -e '.linux.seccomp.supportedFlags | index("SECCOMP_FILTER_FLAG_LOG")' "$T/f.json" >/dev/null
}

@test "with the default profile ordinary programs run, under a filter" {
	bundle_config "$T/b" '.root.readonly = false'
	run_in "$T/b" sh -c 'echo hello >/tmp/f && cat /tmp/f && ls / >/dev/null && wc -l </etc/passwd && sleep 0.01 && date >/dev/null && ps >/dev/null && grep Seccomp: /proc/self/status'
	assert_status 0
	[ "${lines[0]}" = hello ] || fail "output: $output"
	[ "${lines[1]}" = 3 ] || fail "output: $output"
	assert_output_matches 'Seccomp:[[:space:]]+2'
}

@test "the default profile blocks what Docker's blocks (and nothing blocks them without it)" {
	install_helper "$T/b" seccomp-probe
	run_in "$T/b" seccomp-probe
	assert_status 0
	local n
	for n in keyctl add_key request_key unshare_user clone_newuser kexec_load \
		open_by_handle_at bpf mount setns personality_bad; do
		expect_probe "$n" EPERM
	done
	expect_probe clone3 ENOSYS
	for n in clone personality_query getpid open socket_unix; do
		expect_probe "$n" ok
	done

	# the same container without linux.seccomp: the kernel answers instead
	bundle_config "$T/b" 'del(.linux.seccomp)'
	run_in "$T/b" seccomp-probe
	assert_status 0
	expect_probe keyctl ok
	expect_probe unshare_user ok
	expect_probe clone_newuser ok
	expect_probe personality_bad ok
	expect_probe clone3 EINVAL
}

@test "unshare -U fails inside the container with the default profile" {
	run_in "$T/b" unshare -U true
	[ "$status" -ne 0 ] || fail "unshare -U worked: $output"
	assert_output_contains "Operation not permitted"
	bundle_config "$T/b" 'del(.linux.seccomp)'
	run_in "$T/b" unshare -U true
	assert_status 0
}

@test "without noNewPrivileges the filter is loaded before capabilities are dropped" {
	bundle_config "$T/b" '.process.noNewPrivileges = false'
	bundle_config "$T/b" '.process.user = {"uid": 65534, "gid": 65534}'
	run_in "$T/b" sh -c 'id -u; grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; unshare -U true'
	[ "$status" -ne 0 ] || fail "unshare -U worked: $output"
	[ "${lines[0]}" = 65534 ] || fail "output: $output"
	assert_output_matches 'Seccomp:[[:space:]]+2'
	assert_output_matches 'NoNewPrivs:[[:space:]]+0'
	assert_output_contains "Operation not permitted"
}

@test "a custom profile: errnoRet, defaultErrnoRet and an argument filter" {
	bundle_config "$T/b" '.root.readonly = false'
	bundle_config "$T/b" '.linux.seccomp = {
		"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [
			{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 28},
			{"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 2, "value": 511, "op": "SCMP_CMP_EQ"}]},
			{"names": ["chmod"], "action": "SCMP_ACT_ERRNO",
			 "args": [{"index": 1, "value": 511, "op": "SCMP_CMP_EQ"}]},
			{"names": ["no_such_syscall"], "action": "SCMP_ACT_ERRNO"}
		]}'
	run_in "$T/b" sh -c 'mkdir /tmp/d; touch /tmp/f; chmod 600 /tmp/f && echo chmod-600-ok; chmod 777 /tmp/f || echo chmod-777-denied'
	assert_output_contains "No space left on device"
	assert_output_contains chmod-600-ok
	assert_output_contains chmod-777-denied
	assert_output_contains "Operation not permitted"
	[ ! -d "$T/b/rootfs/tmp/d" ] || fail "mkdir worked"

	# the default profile with another errno for what it denies
	make_bundle "$T/b2"
	bundle_config "$T/b2" '.linux.seccomp.defaultErrnoRet = 13'
	run_in "$T/b2" unshare -U true
	[ "$status" -ne 0 ] || fail "unshare -U worked: $output"
	assert_output_contains "Permission denied"
}

@test "SCMP_ACT_KILL_PROCESS kills the container process with SIGSYS" {
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["uname"], "action": "SCMP_ACT_KILL_PROCESS"}]}'
	run_in "$T/b" uname
	assert_status $((128 + 31))
}

@test "SCMP_ACT_NOTIFY: the agent at listenerPath gets the fd and the state, and answers" {
	[ -x "$HELPERS/seccomp-agent" ] || fail "build the helpers first (make helpers)"
	"$HELPERS/seccomp-agent" "$T/agent.sock" "$T/agent-state.json" 4242 >"$T/agent.out" 3>&- &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -S "$T/agent.sock" ] && break; sleep 0.1; done
	[ -S "$T/agent.sock" ] || fail "the agent did not start"
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p, "listenerMetadata": "meta=1",
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg p "$T/agent.sock"
	run_in "$T/b" sh -c 'echo "ppid=$PPID"'
	assert_status 0
	assert_output_contains "ppid=4242"
	wait "$AGENT_PID"
	AGENT_PID=
	local st=$T/agent-state.json
	[ "$(jq -r '.fds | join(",")' "$st")" = seccompFd ] || fail "state: $(cat "$st")"
	[ "$(jq -r .metadata "$st")" = meta=1 ]
	[ "$(jq -r .state.status "$st")" = creating ]
	[ "$(jq -r .state.id "$st")" = "c$$-$BATS_TEST_NUMBER" ]
	[ "$(jq -r .state.bundle "$st")" = "$T/b" ]
	[ "$(jq -r .pid "$st")" -gt 0 ]
}

@test "SCMP_ACT_NOTIFY with no agent listening fails create clearly" {
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p,
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg p "$T/none.sock"
	run "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "connecting to the seccomp agent at '$T/none.sock'"
	run "${R[@]}" list -q
	[ -z "$output" ] || fail "a container is left: $output"
}

@test "a bad profile fails before anything is created, naming the field" {
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ERRNO",
		"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
			{"names": ["write"], "action": "SCMP_ACT_FOO"}]}'
	run "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.seccomp.syscalls[1].action: unknown action 'SCMP_ACT_FOO'"
	run "${R[@]}" list -q
	[ -z "$output" ] || fail "a container is left: $output"

	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"syscalls": [{"names": ["read"], "action": "SCMP_ACT_ERRNO",
			"args": [{"index": 7, "value": 0, "op": "SCMP_CMP_EQ"}]}]}'
	run "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "linux.seccomp.syscalls[0].args[0].index: 7 is out of range [0, 5]"

	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_NOTIFY"}'
	run "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "SCMP_ACT_NOTIFY cannot be the default action"
}

@test "runc loads the same default profile with the same results" {
	command -v runc >/dev/null || skip "runc is not installed"
	install_helper "$T/b" seccomp-probe
	bundle_args "$T/b" seccomp-probe
	"${R[@]}" run --bundle "$T/b" c1 >"$T/ours" 2>&1 || fail "oci-run: $(cat "$T/ours")"
	runc --root "$T/runc" run --bundle "$T/b" r1 >"$T/runc.out" 2>&1 || fail "runc: $(cat "$T/runc.out")"
	runc --root "$T/runc" delete --force r1 >/dev/null 2>&1 || true
	diff -u "$T/runc.out" "$T/ours" || fail "oci-run and runc differ"
	grep -q '^keyctl EPERM$' "$T/ours" || fail "keyctl was not denied: $(cat "$T/ours")"
}

@test "the agent gets the same message fields from oci-run as from runc" {
	command -v runc >/dev/null || skip "runc is not installed"
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p, "listenerMetadata": "m",
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg p "$T/agent.sock"
	bundle_args "$T/b" sh -c 'echo "ppid=$PPID"'
	local rt
	for rt in runc oci-run; do
		rm -f "$T/agent.sock"
		"$HELPERS/seccomp-agent" "$T/agent.sock" "$T/$rt.json" 7 >/dev/null 3>&- &
		AGENT_PID=$!
		for _ in $(seq 50); do [ -S "$T/agent.sock" ] && break; sleep 0.1; done
		run timeout 30 "$rt" --root "$T/state-$rt" run --bundle "$T/b" "x-$rt"
		"$rt" --root "$T/state-$rt" delete --force "x-$rt" >/dev/null 2>&1 || true
		assert_status 0
		assert_output_contains "ppid=7"
		wait "$AGENT_PID"
		AGENT_PID=
	done
	[ "$(jq -cS 'keys' "$T/runc.json")" = "$(jq -cS 'keys' "$T/oci-run.json")" ] ||
		fail "runc: $(cat "$T/runc.json") oci-run: $(cat "$T/oci-run.json")"
	[ "$(jq -c '[.fds, .metadata, .state.status]' "$T/runc.json")" = \
		"$(jq -c '[.fds, .metadata, .state.status]' "$T/oci-run.json")" ] ||
		fail "runc: $(cat "$T/runc.json") oci-run: $(cat "$T/oci-run.json")"
}

@test "exec'd processes run under the container's filter, with or without no_new_privs" {
	install_helper "$T/b" seccomp-probe
	bundle_args "$T/b" sleep 60
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1 </dev/null || fail "run -d failed"
	run "${R[@]}" exec c1 seccomp-probe keyctl unshare_user clone_newuser getpid open
	assert_status 0
	expect_probe keyctl EPERM
	expect_probe unshare_user EPERM
	expect_probe clone_newuser EPERM
	expect_probe getpid ok
	expect_probe open ok
	run "${R[@]}" exec --no-new-privs c1 grep -E '^(Seccomp|NoNewPrivs):' /proc/self/status
	assert_status 0
	assert_output_matches 'Seccomp:[[:space:]]+2'
	assert_output_matches 'NoNewPrivs:[[:space:]]+1'
	# without no_new_privs the filter is loaded while CAP_SYS_ADMIN is held
	bundle_config "$T/b" '.process.noNewPrivileges = false'
	"${R[@]}" run -d --bundle "$T/b" c2 >/dev/null 2>&1 </dev/null || fail "run -d c2 failed"
	run "${R[@]}" exec -u 65534:65534 c2 sh -c 'grep -E "^(Seccomp|NoNewPrivs):" /proc/self/status; seccomp-probe keyctl'
	assert_status 0
	assert_output_matches 'Seccomp:[[:space:]]+2'
	assert_output_matches 'NoNewPrivs:[[:space:]]+0'
	expect_probe keyctl EPERM
}

@test "SCMP_ACT_NOTIFY for exec: the agent gets the exec'd process's fd, status running" {
	"$HELPERS/seccomp-agent" "$T/agent.sock" "$T/agent-state.json" 4242 2 >/dev/null 3>&- &
	AGENT_PID=$!
	for _ in $(seq 50); do [ -S "$T/agent.sock" ] && break; sleep 0.1; done
	[ -S "$T/agent.sock" ] || fail "the agent did not start"
	bundle_config "$T/b" '.linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW",
		"listenerPath": $p, "listenerMetadata": "exec-test",
		"syscalls": [{"names": ["getppid"], "action": "SCMP_ACT_NOTIFY"}]}' \
		--arg p "$T/agent.sock"
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	run timeout 20 "${R[@]}" exec c1 sh -c 'echo "ppid=$PPID"'
	assert_status 0
	assert_output_contains "ppid=4242"
	[ "$(jq -r .state.status "$T/agent-state.json")" = creating ]
	[ "$(jq -r .state.status "$T/agent-state.json.2")" = running ] ||
		fail "exec state: $(cat "$T/agent-state.json.2")"
	[ "$(jq -r .metadata "$T/agent-state.json.2")" = exec-test ]
	[ "$(jq -r '.fds | join(",")' "$T/agent-state.json.2")" = seccompFd ]
	"${R[@]}" delete --force c1
	# no process uses either filter any more: the agent ends
	for _ in $(seq 50); do kill -0 "$AGENT_PID" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$AGENT_PID" 2>/dev/null; then fail "the agent still waits"; fi
	wait "$AGENT_PID"
	AGENT_PID=
}
