#!/usr/bin/env bats
# oci-run exec: another process in a running container: its namespaces,
# cgroup, user, env, cwd, capabilities, terminal, exit status; like runc exec.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	bundle_args "$T/b" sleep 60
	bundle_config "$T/b" '.hostname = "exec-box"'
}

teardown() {
	cleanup_containers
	runc --root "$T/runc" delete --force r1 >/dev/null 2>&1 || true
	common_teardown
}

@test "exec joins the container's namespaces and cgroup; same view as runc exec" {
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	pid=$("${R[@]}" state c1 | jq -r .pid)
	check='hostname; for n in pid net ipc uts mnt cgroup; do readlink /proc/self/ns/$n; done; cut -d: -f3 /proc/self/cgroup | sort -u'
	run "${R[@]}" exec c1 sh -c "$check"
	assert_status 0
	[ "${lines[0]}" = exec-box ] || fail "$output"
	i=1
	for n in pid net ipc uts mnt cgroup; do
		[ "${lines[$i]}" = "$(readlink /proc/$pid/ns/$n)" ] || fail "$n: ${lines[$i]}"
		i=$((i + 1))
	done
	[ "${lines[7]}" = / ] || fail "cgroup: ${lines[7]}"
	mine=$(printf '%s\n' "${lines[@]:7}")
	runc --root "$T/runc" run -d --bundle "$T/b" r1 >/dev/null 2>&1
	run runc --root "$T/runc" exec r1 sh -c 'cut -d: -f3 /proc/self/cgroup | sort -u'
	[ "$mine" = "$output" ] || fail "cgroup view: oci-run $mine, runc $output"
}

@test "exec returns the process's exit status, like runc exec" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	runc --root "$T/runc" run -d --bundle "$T/b" r1 >/dev/null 2>&1
	for code in 0 3 77; do
		run "${R[@]}" exec c1 sh -c "exit $code"
		mine=$status
		run runc --root "$T/runc" exec r1 sh -c "exit $code"
		[ "$mine" = "$status" ] && [ "$mine" = "$code" ] || fail "exit $code: oci-run $mine, runc $status"
	done
	run "${R[@]}" exec c1 sh -c 'kill -KILL $$'
	assert_status 137
}

@test "exec --user --cwd --env --cap and --no-new-privs" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" exec -u 1000:1001 --cwd /tmp -e FOO=bar -e PATH=/bin c1 sh -c 'id -u; id -g; pwd; echo $FOO $PATH; grep ^CapBnd /proc/self/status'
	assert_status 0
	[ "$(echo $output)" = "1000 1001 /tmp bar /bin CapBnd: 0000000020000420" ] || fail "$output"
	run "${R[@]}" exec --cap CAP_SYS_ADMIN --no-new-privs c1 sh -c 'grep -E "^CapEff|NoNewPrivs" /proc/self/status'
	assert_output_contains "CapEff:	0000000020200420"
	assert_output_contains "NoNewPrivs:	1"
}

@test "exec --process takes a runtime-spec process document" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	jq '.process | .args = ["sh", "-c", "echo from-process-file $X; pwd"] | .env += ["X=1"] | .cwd = "/etc"' "$T/b/config.json" >"$T/process.json"
	run "${R[@]}" exec --process "$T/process.json" c1
	assert_status 0
	[ "$output" = "$(printf 'from-process-file 1\n/etc')" ] || fail "$output"
	echo '{"cwd": "/", "user": {"uid": 0, "gid": 0}}' >"$T/bad.json"
	run "${R[@]}" exec --process "$T/bad.json" c1
	assert_status 1
	assert_one_line
	assert_output_contains "$T/bad.json: process.args: required field is missing"
}

@test "exec -d writes the pid file and leaves the process running" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run_file "${R[@]}" exec -d --pid-file "$T/exec.pid" c1 sleep 41
	assert_status 0
	pid=$(cat "$T/exec.pid")
	[ "$(cat /proc/$pid/comm)" = sleep ] || fail "pid $pid is $(cat /proc/$pid/comm)"
	run "${R[@]}" kill --all c1 KILL
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "exec -t gets a terminal" {
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" exec -t c1 sh -c 'tty; [ -t 1 ] && echo out-is-tty' </dev/null
	assert_status 0
	assert_output_contains "/dev/pts/"
	assert_output_contains "out-is-tty"
}

@test "exec in a container that is not running fails, naming its state" {
	"${R[@]}" create --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" exec c1 true
	assert_status 1
	assert_one_line
	assert_output_contains "cannot exec in container 'c1': it is created"
	run "${R[@]}" exec nosuch true
	assert_status 1
	assert_output_contains "container 'nosuch' does not exist"
	run "${R[@]}" exec c1
	assert_status 2
}

@test "exec of a missing program fails clearly, in a user namespace too" {
	chmod 755 "$T"
	chown -R 100000:100000 "$T/b/rootfs"
	bundle_config "$T/b" '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]'
	"${R[@]}" run -d --bundle "$T/b" c1 >/dev/null 2>&1
	run "${R[@]}" exec c1 nosuchprog
	assert_status 1
	assert_output_contains "'nosuchprog' not found"
	run "${R[@]}" exec c1 sh -c 'id -u; cat /proc/self/uid_map'
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "$output"
	assert_output_matches "0 +100000 +65536"
}

@test "exec in a --no-pivot container sees the container's root" {
	run_file "${R[@]}" run -d --no-pivot --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" exec c1 sh -c 'ls /bin/busybox; ls / | tr "\n" " "'
	assert_status 0
	assert_output_contains /bin/busybox
	[[ "$output" != *" work "* ]] || fail "the host's root: $output"
	run "${R[@]}" exec c1 pwd
	[ "$output" = / ] || fail "$output"
}
