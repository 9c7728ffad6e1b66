#!/usr/bin/env bats
# containerd's `ctr run` with the runc shim (io.containerd.runc.v2) told to
# use the runtime under test as its binary (--runc-binary), with runc and
# with oci-run: the same cases must pass with both (tests/lib/engines.bash).
# containerd runs in the background with root, state, sockets and opt in $ED;
# the namespace is also the cgroup parent (/oci-engines-test/ID).

load ../lib/common
load ../lib/engines

setup_file() {
	engine_setup_file containerd
	engine_need containerd ctr containerd-shim-runc-v2 || return 0
	# checkpoint/restore: the shim runs the runtime, which runs the `criu`
	# in containerd's PATH
	if CRIU_BIN=$("$OCI_TEST_TOP/scripts/criu.sh" 2>"$ED/criu.err"); then
		CRIU_WHY=""
		PATH="$(dirname "$CRIU_BIN"):$PATH"
		export PATH
	else
		CRIU_BIN=""
		CRIU_WHY=$(tail -n 1 "$ED/criu.err")
	fi
	export CRIU_BIN CRIU_WHY
	# containerd leaves a restore's images in $TMPDIR/ctrd-checkpoint*: in $ED
	mkdir -p "$ED/tmp"
	TMPDIR="$ED/tmp" engine_containerd_start "$ED/ctrd" || return 1
	engine_oci_archive "$OCI_TEST_FIXTURES/tiny" "$ED/tiny.tar"
	# the layout's ref name "latest" becomes localhost/oci-tiny:latest
	C images import --base-name "${ENGINE_IMG%:*}" "$ED/tiny.tar" >/dev/null || return 1
	C images check | grep -q "^$ENGINE_IMG .*complete"
}

teardown_file() { engine_teardown_file; }
setup() { engine_setup; }

# A case that names its container in CASE_CTR (and a checkpoint image in
# CASE_REF) gets them removed even when it fails.
teardown() {
	if [ -n "${CASE_CTR:-}" ]; then
		C tasks kill -s SIGKILL "$CASE_CTR" >/dev/null 2>&1
		C tasks delete -f "$CASE_CTR" >/dev/null 2>&1
		C containers delete "$CASE_CTR" >/dev/null 2>&1
	fi
	if [ -n "${CASE_REF:-}" ]; then
		C images rm "$CASE_REF" >/dev/null 2>&1
	fi
	common_teardown
}

engine_stop() {
	[ -n "${CTRD_SOCK:-}" ] && [ -S "$CTRD_SOCK" ] || return 0
	local id
	for id in $(C tasks ls -q 2>/dev/null); do
		C tasks kill -s SIGKILL "$id" >/dev/null 2>&1
		C tasks delete -f "$id" >/dev/null 2>&1
	done
	for id in $(C containers ls -q 2>/dev/null); do
		C containers delete "$id" >/dev/null 2>&1
	done
	return 0
}

# C ARGS...: ctr on our containerd, in our namespace.
C() {
	ET ctr --address "$CTRD_SOCK" -n "$ENGINE_CGROUP" "$@"
}

# R [OPTIONS] ID CMD...: ctr run of the image with the runtime under test
# (options with a value as --name=value).
R() {
	local opts=()
	while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do
		opts+=("$1")
		shift
	done
	local id=$1
	shift
	C run --runtime io.containerd.runc.v2 --runc-binary "$RT" --runc-root "$ED/runc-root" \
		--fifo-dir "$ED/fifo" "${opts[@]}" "$ENGINE_IMG" "$id" "$@"
}

# wait_stopped ID: the task has stopped (within 10 s).
wait_stopped() {
	local i
	for i in $(seq 100); do
		erun C tasks ls
		[[ $output =~ (^|$'\n')$1\ +[0-9]+\ +STOPPED ]] && return 0
		sleep 0.1
	done
	engine_explain "task '$1' did not stop"
	return 1
}

case_run_echo() {
	erun R --rm "e-$RT_SLOT" echo hi
	expect_status 0
	expect_stdout hi
	erun C containers ls -q
	expect_stdout ""
}

case_exit_status() {
	erun R --rm "x-$RT_SLOT" sh -c 'exit 3'
	expect_status 3
	# the runtime's error reaches the user (through --log FILE --log-format json)
	erun R --rm "n-$RT_SLOT" /no/such/program
	[ "$status" -ne 0 ] || { engine_explain "a missing program must fail"; return 1; }
	expect_stderr /no/such/program
	erun C containers ls -q
	expect_stdout ""
	# killed from outside: ctr reports the status when the task is deleted
	erun R -d "k-$RT_SLOT" sleep 60
	expect_status 0
	erun C tasks kill -s SIGKILL "k-$RT_SLOT"
	expect_status 0
	wait_stopped "k-$RT_SLOT"
	erun C tasks delete "k-$RT_SLOT"
	expect_status 0
	expect_stderr "exit code 137"
	erun C containers delete "k-$RT_SLOT"
	expect_status 0
}

case_detached_exec_kill_delete() {
	local id="d-$RT_SLOT"
	erun R -d "$id" sh -c 'trap "exit 7" TERM; while :; do sleep 0.1; done'
	expect_status 0
	erun C tasks ls
	expect_status 0
	[[ $output =~ $id\ +([0-9]+)\ +RUNNING ]] || { engine_explain "task not running"; return 1; }
	local pid=${BASH_REMATCH[1]}
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	grep -q ":memory:/$ENGINE_CGROUP/$id\$" "/proc/$pid/cgroup"

	erun C tasks exec --fifo-dir "$ED/fifo" --exec-id x1 "$id" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
	expect_status 0
	expect_contains "in-exec"
	expect_contains "sh -c trap"
	erun C tasks exec --fifo-dir "$ED/fifo" --exec-id x2 "$id" sh -c 'exit 4'
	expect_status 4
	erun C tasks exec --fifo-dir "$ED/fifo" --exec-id x3 --cwd /bin "$id" sh -c 'echo $PWD'
	expect_status 0
	expect_stdout /bin
	erun C tasks exec --fifo-dir "$ED/fifo" --exec-id x4 --user 1000:1000 "$id" sh -c 'id -u; id -g'
	expect_status 0
	expect_stdout "1000
1000"

	# SIGTERM through the runtime's kill: the trap's status shows it came
	erun C tasks kill "$id"
	expect_status 0
	wait_stopped "$id"
	erun C tasks delete "$id"
	expect_status 0
	expect_stderr "exit code 7"
	erun C containers delete "$id"
	expect_status 0
	[ ! -d "/sys/fs/cgroup/memory/$ENGINE_CGROUP/$id" ] ||
		{ engine_explain "cgroup left after delete"; return 1; }
}

case_ps_pause_resume() {
	local id="p-$RT_SLOT"
	erun R -d "$id" sh -c 'while :; do sleep 0.1; done'
	expect_status 0
	# task ps asks the runtime: ps --format json
	erun C tasks ps "$id"
	expect_status 0
	[ "$(printf '%s\n' "$output" | grep -c '^[0-9]')" -ge 1 ] ||
		{ engine_explain "no process listed"; return 1; }
	erun C tasks pause "$id"
	expect_status 0
	erun C tasks ls
	[[ $output =~ $id\ +[0-9]+\ +PAUSED ]] || { engine_explain "task not paused"; return 1; }
	[ "$(cat "/sys/fs/cgroup/freezer/$ENGINE_CGROUP/$id/freezer.state")" = FROZEN ]
	erun C tasks resume "$id"
	expect_status 0
	erun C tasks ls
	[[ $output =~ $id\ +[0-9]+\ +RUNNING ]] || { engine_explain "task not resumed"; return 1; }
	erun C tasks kill -s SIGKILL "$id"
	expect_status 0
	wait_stopped "$id"
	erun C tasks delete "$id"
	expect_status 0
	erun C containers delete "$id"
	expect_status 0
}

case_tty() {
	erun "$ENGINE_PTY" --timeout 30 --wait READY --send 'hello\r' -- \
		ctr --address "$CTRD_SOCK" -n "$ENGINE_CGROUP" run --runc-binary "$RT" \
		--runc-root "$ED/runc-root" --fifo-dir "$ED/fifo" --rm -t "$ENGINE_IMG" "t-$RT_SLOT" \
		sh -c 'tty; echo READY; read x; echo "got:$x"; exit 5'
	expect_status 5
	expect_contains /dev/pts/0
	expect_contains "got:hello"
}

case_options() {
	mkdir -p "$T/vol"
	echo hello-from-host >"$T/vol/in.txt"
	erun R --rm --read-only --env=A=b --cwd=/data --seccomp --cap-drop=CAP_NET_RAW \
		--mount="type=bind,src=$T/vol,dst=/data,options=rbind:ro" "opt-$RT_SLOT" sh -c '
		echo "$A"; pwd; cat /data/in.txt
		touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro
		touch /data/y 2>/dev/null && echo bind-writable || echo bind-ro
		grep -E "^(CapEff|Seccomp):" /proc/self/status'
	expect_status 0
	expect_stdout "b
/data
hello-from-host
rootfs-ro
bind-ro
CapEff:	00000000a80405fb
Seccomp:	2"
}

case_memory_limit() {
	# ctr's default spec mounts no cgroupfs inside: read the limit from the host
	local id="m-$RT_SLOT" cg
	erun R -d --memory-limit=67108864 "$id" sleep 60
	expect_status 0
	cg="/sys/fs/cgroup/memory/$ENGINE_CGROUP/$id"
	[ -f "$cg/memory.limit_in_bytes" ] || { engine_explain "no cgroup $cg"; return 1; }
	[ "$(cat "$cg/memory.limit_in_bytes")" = 67108864 ] ||
		{ engine_explain "memory.limit_in_bytes is $(cat "$cg/memory.limit_in_bytes")"; return 1; }
	erun C tasks kill -s SIGKILL "$id"
	expect_status 0
	wait_stopped "$id"
	erun C tasks delete "$id"
	expect_status 0
	erun C containers delete "$id"
	expect_status 0
	[ ! -d "$cg" ] || { engine_explain "cgroup $cg left after delete"; return 1; }
	# and it is enforced: a 200 MiB buffer is killed by the OOM killer
	erun R --rm --memory-limit=67108864 "o-$RT_SLOT" dd if=/dev/zero of=/dev/null bs=200M count=1
	expect_status 137
}

# count_log ID TOKEN: the counter's /tmp/log in the task has "TOKEN 1".."TOKEN N"
# in order (one process, never restarted), N in $output.
count_log() {
	erun C tasks exec --fifo-dir "$ED/fifo" --exec-id "l$RANDOM" "$1" cat /tmp/log
	expect_status 0 || return 1
	local n
	n=$(printf '%s\n' "$output" | tail -n 1)
	n=${n#"$2 "}
	[[ $n =~ ^[0-9]+$ ]] && [ "$output" = "$(seq -f "$2 %g" 1 "$n")" ] ||
		{ engine_explain "the counter's log is not '$2 1'..'$2 N'"; return 1; }
	output=$n
}

# wait_count ID TOKEN N: the counter reaches N (10 s at most).
wait_count() {
	local _
	for _ in $(seq 50); do
		count_log "$1" "$2" 2>/dev/null && [ "$output" -ge "$3" ] && return 0
		sleep 0.2
	done
	count_log "$1" "$2" || return 1
	engine_explain "the counter of '$1' stays at $output, below $3"
	return 1
}

case_checkpoint_restore() {
	[ -n "$CRIU_BIN" ] || skip "no criu works here: $CRIU_WHY"
	local id="c-$RT_SLOT" ref="localhost/ckpt-$RT_SLOT:1" tok n0
	CASE_CTR=$id CASE_REF=$ref
	# a random token on each line: a counter started again would differ
	erun R -d "$id" sh -c 't=$RANDOM$RANDOM; echo $t >/tmp/token; i=0
		while :; do i=$((i + 1)); echo "$t $i" >>/tmp/log; sleep 0.1; done'
	expect_status 0
	for _ in $(seq 50); do
		erun C tasks exec --fifo-dir "$ED/fifo" --exec-id t1 "$id" cat /tmp/token
		[ -n "$output" ] && break
		sleep 0.1
	done
	tok=$output
	wait_count "$id" "$tok" 5 || return 1
	n0=$output

	# a checkpoint image with the task and the rw layer; the task goes on
	erun C containers checkpoint --rw --task "$id" "$ref"
	expect_status 0
	erun C tasks ls
	[[ $output =~ $id\ +[0-9]+\ +RUNNING ]] || { engine_explain "task not running after checkpoint"; return 1; }
	erun C tasks kill -s SIGKILL "$id"
	expect_status 0
	wait_stopped "$id" || return 1
	erun C tasks delete "$id"
	expect_status 0
	erun C containers delete "$id"
	expect_status 0

	# restored from the image: the log and the counter's memory come back,
	# the count goes on after the checkpoint's last line
	erun C containers restore --rw --live "$id" "$ref"
	expect_status 0
	erun C tasks ls
	[[ $output =~ $id\ +[0-9]+\ +RUNNING ]] || { engine_explain "task not running after restore"; return 1; }
	wait_count "$id" "$tok" $((n0 + 10)) || return 1

	# the shim's other path: tasks checkpoint --exit to a directory (the
	# runtime's checkpoint without --leave-running ends the task; ctr 1.6
	# cannot restore from a directory)
	erun C tasks checkpoint --exit --image-path "$T/img" "$id"
	expect_status 0
	[ -s "$T/img/inventory.img" ] || { engine_explain "no criu images in $T/img"; return 1; }
	wait_stopped "$id" || return 1
	erun C tasks delete "$id"
	expect_status 0
	erun C containers delete "$id"
	expect_status 0
	erun C images rm "$ref"
	expect_status 0
}

@test "containerd [runc]: ctr run --rm echo hi" { engine_use runc; case_run_echo; }
@test "containerd [runc]: exit status of the task" { engine_use runc; case_exit_status; }
@test "containerd [runc]: run -d, task exec, kill, delete" { engine_use runc; case_detached_exec_kill_delete; }
@test "containerd [runc]: task ps, pause, resume" { engine_use runc; case_ps_pause_resume; }
@test "containerd [runc]: run -t through the console socket" { engine_use runc; case_tty; }
@test "containerd [runc]: --read-only --env --cwd --mount --seccomp --cap-drop" { engine_use runc; case_options; }
@test "containerd [runc]: --memory-limit in the cgroup and enforced" { engine_use runc; case_memory_limit; }
@test "containerd [runc]: containers checkpoint --task --rw, restore --live --rw, tasks checkpoint --exit" { engine_use runc; case_checkpoint_restore; }

@test "containerd [oci-run]: ctr run --rm echo hi" { engine_use oci-run; case_run_echo; }
@test "containerd [oci-run]: exit status of the task" { engine_use oci-run; case_exit_status; }
@test "containerd [oci-run]: run -d, task exec, kill, delete" { engine_use oci-run; case_detached_exec_kill_delete; }
@test "containerd [oci-run]: task ps, pause, resume" { engine_use oci-run; case_ps_pause_resume; }
@test "containerd [oci-run]: run -t through the console socket" { engine_use oci-run; case_tty; }
@test "containerd [oci-run]: --read-only --env --cwd --mount --seccomp --cap-drop" { engine_use oci-run; case_options; }
@test "containerd [oci-run]: --memory-limit in the cgroup and enforced" { engine_use oci-run; case_memory_limit; }
@test "containerd [oci-run]: containers checkpoint --task --rw, restore --live --rw, tasks checkpoint --exit" { engine_use oci-run; case_checkpoint_restore; }

@test "containerd: the host is left as it was" {
	engine_check_host
}
