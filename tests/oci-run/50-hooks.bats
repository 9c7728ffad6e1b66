#!/usr/bin/env bats
# oci-run: lifecycle hooks: when each kind runs, the state on stdin, args,
# env, timeouts, and what a failing hook does.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	chmod 755 "$T"
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	# a hook that logs its kind, argv, env and the state it got on stdin
	cat >"$T/hook" <<HOOK
#!/bin/sh
state=\$(cat)
echo "\$1 \$(echo "\$state" | jq -c '{id, status, pid: (.pid > 0), bundle}') args=\$* env=\${HOOKVAR:-}" >>$T/hooks.log
HOOK
	chmod +x "$T/hook"
	cp "$T/hook" "$T/b/rootfs/hook"
}

teardown() {
	cleanup_containers
	common_teardown
}

hook() { # hook KIND PATH [extra jq] -> a JSON hook
	jq -nc --arg p "$2" --arg k "$1" '{path: $p, args: [$p, $k, "x"], env: ["HOOKVAR=v1", "PATH=/usr/bin:/bin"]}'
}

@test "every hook kind runs at its point of the lifecycle with the state on stdin" {
	# jq is not in the rootfs: startContainer runs inside the container
	cat >"$T/b/rootfs/hook" <<'HOOK'
#!/bin/sh
cat >/dev/null
echo "$1 inside args=$* env=${HOOKVAR:-}" >>/tmp/hooks.log
HOOK
	chmod +x "$T/b/rootfs/hook"
	bundle_config "$T/b" '.root.readonly = false | .hooks = {
		prestart: [$pre], createRuntime: [$cr], createContainer: [$cc],
		startContainer: [$sc], poststart: [$ps], poststop: [$post]}' \
		--argjson pre "$(hook prestart "$T/hook")" --argjson cr "$(hook createRuntime "$T/hook")" \
		--argjson cc "$(hook createContainer "$T/hook")" --argjson sc "$(hook startContainer /hook)" \
		--argjson ps "$(hook poststart "$T/hook")" --argjson post "$(hook poststop "$T/hook")"
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 0
	run cat "$T/hooks.log"
	[ "${#lines[@]}" = 3 ] || fail "after create: $output"
	[[ "${lines[0]}" == "prestart {\"id\":\"c1\",\"status\":\"creating\",\"pid\":true,\"bundle\":\"$T/b\"} args=prestart x env=v1" ]] || fail "${lines[0]}"
	[[ "${lines[1]}" == "createRuntime "*'"status":"creating"'* ]] || fail "${lines[1]}"
	[[ "${lines[2]}" == "createContainer "*'"status":"creating"'* ]] || fail "${lines[2]}"
	[ ! -e "$T/b/rootfs/tmp/hooks.log" ]
	"${R[@]}" start c1
	run cat "$T/hooks.log"
	[ "${#lines[@]}" = 4 ] || fail "after start: $output"
	[[ "${lines[3]}" == "poststart "*'"status":"running"'* ]] || fail "${lines[3]}"
	[ "$(cat "$T/b/rootfs/tmp/hooks.log")" = "startContainer inside args=startContainer x env=v1" ]
	"${R[@]}" kill c1 KILL
	sleep 0.3
	"${R[@]}" delete c1
	run cat "$T/hooks.log"
	[[ "${lines[4]}" == "poststop "*'"status":"stopped"'* ]] || fail "${lines[4]}"
}

@test "hooks of a kind run in order" {
	bundle_config "$T/b" '.hooks.prestart = [$a, $b]' \
		--argjson a "$(hook first "$T/hook")" --argjson b "$(hook second "$T/hook")"
	run_in "$T/b" true
	assert_status 0
	[ "$(cut -d' ' -f1 "$T/hooks.log" | tr '\n' ' ')" = "first second " ]
}

@test "a hook gets args as its whole argv, only its env, no descriptor of ours, and its stdout goes to stderr" {
	# path runs; args[0] is only the name it sees (execv's path and argv)
	local script='cat >/dev/null; tr "\0" "\n" </proc/$$/cmdline | head -n1 >"$D/argv0"
env | grep -v "^PWD=" | sort >"$D/env"; ls /proc/self/fd | tr "\n" " " >"$D/fds"; echo hook-says'
	bundle_config "$T/b" '.hooks.prestart = [{path: "/bin/sh", args: ["hook-argv0", "-c", $s],
		env: ["D=\($d)", "HOOKVAR=v1", "PATH=/usr/bin:/bin"]}]' --arg s "$script" --arg d "$T"
	bundle_args "$T/b" true
	local rc=0
	"${R[@]}" run --bundle "$T/b" c1 >"$T/out" 2>"$T/err" </dev/null 9</dev/null || rc=$?
	[ "$rc" = 0 ] || fail "status $rc: $(cat "$T/err")"
	[ "$(cat "$T/argv0")" = hook-argv0 ] || fail "argv[0]: $(cat "$T/argv0")"
	[ "$(cat "$T/env")" = "$(printf 'D=%s\nHOOKVAR=v1\nPATH=/usr/bin:/bin' "$T")" ] || fail "env: $(cat "$T/env")"
	# 3 is ls's own directory; 9 (ours) and oci-run's own must not be there
	[ "$(cat "$T/fds")" = "0 1 2 3 " ] || fail "fds: $(cat "$T/fds")"
	[ ! -s "$T/out" ] || fail "hook output on stdout: $(cat "$T/out")"
	grep -qx hook-says "$T/err" || fail "stderr: $(cat "$T/err")"
}

@test "a failing createRuntime hook fails create, names the hook and leaves nothing" {
	printf '#!/bin/sh\nexit 3\n' >"$T/bad"
	chmod +x "$T/bad"
	bundle_config "$T/b" '.hooks.createRuntime = [{"path": $p}]' --arg p "$T/bad"
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "hooks.createRuntime[0]: '$T/bad' exited with status 3"
	[ -z "$(ls "$T/state")" ] || fail "state left: $(ls "$T/state")"
	! pgrep -f -- "--root $T/state" || fail "init left running"
}

@test "a hook that does not exist fails prestart" {
	bundle_config "$T/b" '.hooks.prestart = [{"path": "/no/such/hook"}]'
	run_in "$T/b" true
	assert_status 1
	assert_one_line
	assert_output_contains "hooks.prestart[0]: '/no/such/hook': No such file or directory"
}

@test "a hook timeout kills it and fails the operation" {
	printf '#!/bin/sh\nsleep 20\n' >"$T/slow"
	chmod +x "$T/slow"
	bundle_config "$T/b" '.hooks.createContainer = [{"path": $p, "timeout": 1}]' --arg p "$T/slow"
	SECONDS=0
	run_in "$T/b" true
	assert_status 1
	assert_output_contains "timed out after 1 seconds"
	[ "$SECONDS" -lt 10 ] || fail "took $SECONDS s"
}

@test "failing poststart and poststop hooks only warn" {
	printf '#!/bin/sh\nexit 1\n' >"$T/bad"
	chmod +x "$T/bad"
	bundle_config "$T/b" '.hooks.poststart = [{"path": $p}] | .hooks.poststop = [{"path": $p}]' --arg p "$T/bad"
	run_in "$T/b" sh -c 'exit 4'
	assert_status 4
	assert_output_contains "warning"
	assert_output_contains "hooks.poststart[0]"
	assert_output_contains "hooks.poststop[0]"
}

@test "a zero timeout is a config error naming the field" {
	bundle_config "$T/b" '.hooks.poststop = [{"path": "/bin/true", "timeout": 0}]'
	run_in "$T/b" true
	assert_status 1
	assert_output_contains "hooks.poststop[0].timeout"
}
