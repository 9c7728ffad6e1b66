#!/usr/bin/env bats
# oci-run: the process: args, env, cwd, user, groups, umask, rlimits,
# capabilities, noNewPrivileges, oomScoreAdj; compared with runc.
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

# same_as_runc ARG...: runs ARG in the bundle with oci-run and runc and
# compares status and output.
same_as_runc() {
	run_in "$T/b" "$@"
	local mine=$output mst=$status
	RUNTIME=runc run_in "$T/b" "$@"
	[ "$mst" = "$status" ] || fail "status: oci-run $mst, runc $status"
	[ "$mine" = "$output" ] || fail "oci-run: $mine
runc: $output"
	output=$mine
	status=$mst
}

@test "args and env reach the process, HOME comes from /etc/passwd" {
	bundle_config "$T/b" '.process.env = ["PATH=/bin", "FOO=bar baz", "EMPTY="]'
	same_as_runc sh -c 'echo "$0|$1|$FOO|$EMPTY|$HOME"; env | sort' "arg zero" "arg one"
	assert_status 0
	[ "${lines[0]}" = "arg zero|arg one|bar baz||/root" ] || fail "$output"
}

@test "user uid, gid, additionalGids and umask" {
	bundle_config "$T/b" '.process.user = {"uid": 1000, "gid": 1001, "additionalGids": [5, 1002], "umask": 63} | .root.readonly = false'
	same_as_runc sh -c 'id -u; id -g; id -G; umask; echo $HOME'
	assert_status 0
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 1001 ] || fail "$output"
	[ "${lines[2]}" = "1001 5 1002" ] || fail "groups: ${lines[2]}"
	[ "${lines[3]}" = 0077 ] || fail "umask ${lines[3]}"
	[ "${lines[4]}" = / ] || fail "HOME ${lines[4]}"
}

@test "rlimits are set, as with runc" {
	bundle_config "$T/b" '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 200, "hard": 300}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}, {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]'
	same_as_runc sh -c 'ulimit -n; ulimit -Hn; ulimit -c; grep -E "Max (processes|open files)" /proc/self/limits | tr -s " "'
	assert_status 0
	[ "${lines[0]}" = 200 ] && [ "${lines[1]}" = 300 ] && [ "${lines[2]}" = 0 ] || fail "$output"
}

@test "an unknown rlimit names the field" {
	bundle_config "$T/b" '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "process.rlimits[0].type: unknown rlimit 'RLIMIT_BOGUS'"
}

@test "the five capability sets, as runc sets them" {
	bundle_config "$T/b" '.process.capabilities = {
		"bounding": ["CAP_CHOWN", "CAP_NET_ADMIN", "CAP_KILL", "CAP_SETPCAP", "CAP_NET_RAW"],
		"effective": ["CAP_CHOWN", "CAP_KILL"],
		"permitted": ["CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"],
		"inheritable": ["CAP_KILL", "CAP_NET_RAW"],
		"ambient": ["CAP_KILL"]} | .process.user = {"uid": 1000, "gid": 1000}'
	same_as_runc sh -c 'grep ^Cap /proc/self/status'
	assert_status 0
	# as uid 1000 after execve: permitted = inheritable & ambient... = CAP_KILL
	assert_output_contains "CapBnd:	0000000000003121"
	assert_output_contains "CapAmb:	0000000000000020"
	assert_output_contains "CapInh:	0000000000002020"
}

@test "root keeps the bounding set, without capabilities nothing" {
	bundle_config "$T/b" 'del(.process.capabilities)'
	same_as_runc sh -c 'grep ^Cap /proc/self/status'
	assert_status 0
	assert_output_contains "CapEff:	0000000000000000"
	assert_output_contains "CapBnd:	0000000000000000"
}

@test "a capability missing from the set is really missing (chown fails)" {
	bundle_config "$T/b" '.root.readonly = false'
	run_in "$T/b" sh -c 'touch /tmp/f; chown 5 /tmp/f 2>&1; echo rc=$?'
	assert_output_contains "rc=1"
	bundle_config "$T/b" '.process.capabilities.bounding += ["CAP_CHOWN"] | .process.capabilities.effective += ["CAP_CHOWN"] | .process.capabilities.permitted += ["CAP_CHOWN"]'
	run_in "$T/b" sh -c 'chown 5 /tmp/f 2>&1; echo rc=$?'
	assert_output_contains "rc=0"
}

@test "noNewPrivileges and oomScoreAdj" {
	bundle_config "$T/b" '.process.noNewPrivileges = true | .process.oomScoreAdj = 500'
	same_as_runc sh -c 'grep NoNewPrivs /proc/self/status; cat /proc/self/oom_score_adj'
	assert_status 0
	assert_output_contains "NoNewPrivs:	1"
	[ "${lines[1]}" = 500 ] || fail "$output"
	bundle_config "$T/b" '.process.noNewPrivileges = false | del(.process.oomScoreAdj)'
	run_in "$T/b" sh -c 'grep NoNewPrivs /proc/self/status'
	assert_output_contains "NoNewPrivs:	0"
}

@test "an oomScoreAdj out of range names the field" {
	bundle_config "$T/b" '.process.oomScoreAdj = 5000'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "process.oomScoreAdj"
}

@test "cwd, stdin and the exit of a non-shell program" {
	bundle_config "$T/b" '.process.cwd = "/etc"'
	bundle_args "$T/b" cat passwd
	run "${R[@]}" run --bundle "$T/b" c1 </dev/null
	assert_status 0
	assert_output_contains "root:x:0:0"
	bundle_args "$T/b" cat
	run bash -c 'echo piped | "$@"' _ "${R[@]}" run --bundle "$T/b" c2
	assert_status 0
	[ "$output" = piped ]
}

@test "linux.personality LINUX32 (runc 1.1 here ignores it; runc 1.2 sets it)" {
	bundle_config "$T/b" '.linux.personality = {"domain": "LINUX32"}'
	run_in "$T/b" uname -m
	assert_status 0
	[[ "$output" == i?86 ]] || fail "$output"
	bundle_config "$T/b" '.linux.personality = {"domain": "WINDOWS"}'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "linux.personality.domain: unknown domain 'WINDOWS'"
}

@test "process.ioPriority and process.scheduler" {
	bundle_config "$T/b" '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 6}
		| .process.scheduler = {"policy": "SCHED_BATCH", "nice": 7}'
	run_in "$T/b" sh -c 'ionice -p $$; awk "{print \$19}" /proc/self/stat; grep -E "^policy" /proc/self/sched'
	assert_status 0
	assert_output_contains "best-effort: prio 6"
	[ "${lines[1]}" = 7 ] || fail "nice: $output"
	assert_output_matches "policy +: +3"
	bundle_config "$T/b" '.process.scheduler = {"policy": "SCHED_NOPE"}'
	run_in "$T/b" true
	assert_status 1
	assert_output_contains "process.scheduler.policy: unknown policy 'SCHED_NOPE'"
}

@test "a session keyring of its own, unless --no-new-keyring" {
	[ -e /proc/keys ] || skip "this kernel has no /proc/keys"
	bundle_config "$T/b" '.linux.maskedPaths -= ["/proc/keys"]'
	bundle_args "$T/b" cat /proc/keys
	run "${R[@]}" run --bundle "$T/b" kr1
	assert_status 0
	assert_output_contains "_ses.kr1"
	run "${R[@]}" run --no-new-keyring --bundle "$T/b" kr2
	assert_status 0
	[[ "$output" != *"_ses.kr2"* ]] || fail "$output"
}
