#!/usr/bin/env bats
# podman --runtime PATH with runc and with oci-run: the same cases must pass
# with both (see tests/lib/engines.bash). All of podman's state is in $ED:
# storage.conf (graphroot, runroot), containers.conf (tmp_dir, static_dir,
# volume_path, network config, cgroupfs, file events, ulimits within this
# machine's limits), registries.conf; containers go below the cgroup
# /$ENGINE_CGROUP (oci-engines-XXXXXX, one per run). Outside $ED podman uses
# only /run/containers/networks (netavark's, fixed for root; removed after
# when the test made it), the runtime's default state root (podman passes no
# --root) and conmon's console sockets in /tmp; the pull's blob-info cache
# goes to an overlay (engine_private_varlib).

load ../lib/common
load ../lib/engines

setup_file() {
	engine_setup_file podman
	engine_need podman conmon || return 0
	local c="$ED/conf"
	mkdir -p "$c" "$ED/networks"
	# No CAP_SYS_RESOURCE here: rlimits must stay within the hard limits
	# (podman would otherwise raise nofile and nproc to 1048576).
	local nofile nproc
	nofile=$(ulimit -Hn)
	nproc=$(ulimit -Hu)
	[ "$nofile" = unlimited ] || [ "$nofile" -gt 4096 ] && nofile=4096
	[ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
	cat >"$c/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
netns = "none"
log_driver = "k8s-file"
[network]
network_config_dir = "$ED/networks"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = "$ED/tmp"
static_dir = "$ED/root/libpod"
volume_path = "$ED/volumes"
EOF
	cat >"$c/storage.conf" <<EOF
[storage]
driver = "overlay"
graphroot = "$ED/root"
runroot = "$ED/runroot"
EOF
	echo 'unqualified-search-registries = []' >"$c/registries.conf"
	export CONTAINERS_CONF="$c/containers.conf" CONTAINERS_STORAGE_CONF="$c/storage.conf"
	export CONTAINERS_REGISTRIES_CONF="$c/registries.conf"
	# checkpoint/restore: podman checks criu's version through its RPC
	# (criu swrk) and podman, runc and oci-run all run the `criu` in PATH
	if CRIU_BIN=$("$OCI_TEST_TOP/scripts/criu.sh" 2>"$ED/criu.err"); then
		CRIU_WHY=""
	else
		CRIU_BIN=""
		CRIU_WHY=$(tail -n 1 "$ED/criu.err")
	fi
	export CRIU_BIN CRIU_WHY
	local id
	id=$(engine_private_varlib podman pull -q "oci:$OCI_TEST_FIXTURES/tiny:latest") || return 1
	podman tag "$id" "$ENGINE_IMG"
}

teardown_file() { engine_teardown_file; }
setup() {
	engine_setup
	# podman 4.3 fails when these name files that do not exist
	unset REGISTRY_AUTH_FILE DOCKER_CONFIG
}

# A case that names its container in CASE_CTR gets it removed even when it
# fails (with its checkpoint images, below the container's userdata);
# the exported archives are in $T, removed by common_teardown.
teardown() {
	if [ -n "${CASE_CTR:-}" ] && [ -n "${RT:-}" ]; then
		ET podman --runtime "$RT" rm -f -t 0 "$CASE_CTR" >/dev/null 2>&1
	fi
	common_teardown
}

# Called by engine_cleanup before the daemons are stopped and leftovers killed.
engine_stop() {
	[ -n "${CONTAINERS_CONF:-}" ] || return 0
	timeout 30 podman --runtime "$ED/rt-runc" rm -af -t 0 >/dev/null 2>&1
	timeout 30 podman --runtime "$ED/rt-oci-run" rm -af -t 0 >/dev/null 2>&1
	return 0
}

# P ARGS...: podman with the runtime under test; run and create get the cgroup parent.
P() {
	local cmd=$1
	shift
	case $cmd in
	run | create) set -- "$cmd" --pull=never --cgroup-parent "/$ENGINE_CGROUP" "$@" ;;
	*) set -- "$cmd" "$@" ;;
	esac
	ET podman --runtime "$RT" --cgroup-manager cgroupfs --events-backend file "$@"
}

case_run_echo() {
	erun P run --rm "$ENGINE_IMG" echo hi
	expect_status 0
	expect_stdout hi
	# --rm removed the container
	erun podman ps -aq
	expect_stdout ""
}

case_exit_status() {
	erun P run --rm "$ENGINE_IMG" sh -c 'exit 3'
	expect_status 3
	# killed from outside: 128+9, from `podman wait` too
	local name="pk-$RT_SLOT"
	erun P run -d --name "$name" "$ENGINE_IMG" sleep 60
	expect_status 0
	erun P kill -s KILL "$name"
	expect_status 0
	erun P wait "$name"
	expect_stdout 137
	erun P rm "$name"
	expect_status 0
	# the runtime's error reaches the user
	erun P run --rm "$ENGINE_IMG" /no/such/program
	[ "$status" -ne 0 ] || { engine_explain "a missing program must fail"; return 1; }
	expect_stderr /no/such/program
}

case_detached_exec_stop_rm() {
	local name="pd-$RT_SLOT"
	erun P run -d --name "$name" "$ENGINE_IMG" \
		sh -c 'trap "exit 7" TERM; echo started; while :; do sleep 0.1; done'
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.Pid}}' "$name"
	expect_status 0
	case $output in "running "[1-9]*) ;; *) engine_explain "not running"; return 1 ;; esac
	local pid=${output#running }
	# the container's process is in its own pid namespace, below our cgroup
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	grep -q ":memory:/$ENGINE_CGROUP/" "/proc/$pid/cgroup"

	erun P exec "$name" sh -c 'echo in-exec $$; cat /proc/1/cmdline | tr "\0" " "'
	expect_status 0
	expect_contains "in-exec "
	expect_contains "sh -c trap"
	erun P exec "$name" sh -c 'exit 4'
	expect_status 4
	erun P exec -e FOO=bar -w /bin "$name" sh -c 'echo $FOO $PWD'
	expect_status 0
	expect_stdout "bar /bin"
	erun P exec -u 1000:1000 "$name" sh -c 'id -u; id -g; grep CapEff /proc/self/status'
	expect_status 0
	expect_stdout "1000
1000
CapEff:	0000000000000000"

	erun P logs "$name"
	expect_stdout started
	# stop sends SIGTERM through the runtime's kill: the trap's status shows it came
	erun P stop -t 10 "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	expect_stdout "exited 7"
	erun P rm "$name"
	expect_status 0
	erun podman ps -aq
	expect_stdout ""
}

case_interactive_tty() {
	erun "$ENGINE_PTY" --timeout 30 --wait READY --send 'hello\r' -- \
		podman --runtime "$RT" --cgroup-manager cgroupfs --events-backend file \
		run --pull=never --cgroup-parent "/$ENGINE_CGROUP" --rm -it "$ENGINE_IMG" \
		sh -c 'tty; echo READY; read x; echo "got:$x"; exit 5'
	expect_status 5
	expect_contains /dev/pts/0
	expect_contains "got:hello"
}

case_exec_tty() {
	local name="pt-$RT_SLOT"
	erun P run -d --name "$name" "$ENGINE_IMG" sleep 60
	expect_status 0
	erun "$ENGINE_PTY" --timeout 30 --wait READY --send 'hello\r' -- \
		podman --runtime "$RT" --cgroup-manager cgroupfs --events-backend file exec -it "$name" sh -c 'tty; echo READY; read x; echo "got:$x"; exit 6'
	expect_status 6
	expect_contains /dev/pts/
	expect_contains "got:hello"
	erun P rm -f -t 0 "$name"
	expect_status 0
}

case_options() {
	mkdir -p "$T/vol"
	echo hello-from-host >"$T/vol/in.txt"
	chmod 755 "$T" "$T/vol"
	chmod 644 "$T/vol/in.txt"
	erun P run --rm --user 1000:1000 --read-only --tmpfs /scratch -v "$T/vol:/data" \
		--cap-drop ALL --pids-limit 20 --hostname h1 -e A=b -w /data "$ENGINE_IMG" sh -c '
		id -u; id -g; hostname; echo "$A"; pwd; cat /data/in.txt
		touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro
		touch /scratch/y && echo scratch-ok
		grep -E "^(CapEff|Seccomp):" /proc/self/status
		cat /sys/fs/cgroup/pids/pids.max'
	expect_status 0
	expect_stdout "1000
1000
h1
b
/data
hello-from-host
rootfs-ro
scratch-ok
CapEff:	0000000000000000
Seccomp:	2
20"
}

case_pause_restart_update() {
	local name="pp-$RT_SLOT" id pid1 pid2 fz
	erun P run -d --name "$name" --memory 64m "$ENGINE_IMG" sh -c 'while :; do sleep 0.1; done'
	expect_status 0
	id=$output
	fz="/sys/fs/cgroup/freezer/$ENGINE_CGROUP/libpod-$id/freezer.state"
	erun P pause "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}}' "$name"
	expect_stdout paused
	[ "$(cat "$fz")" = FROZEN ] || { engine_explain "$fz: $(cat "$fz")"; return 1; }
	erun P unpause "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}}' "$name"
	expect_stdout running
	[ "$(cat "$fz")" = THAWED ] || { engine_explain "$fz: $(cat "$fz")"; return 1; }

	# update: the runtime's update --resources
	erun P update --memory 48m "$name"
	expect_status 0
	local mem="/sys/fs/cgroup/memory/$ENGINE_CGROUP/libpod-$id/memory.limit_in_bytes"
	[ "$(cat "$mem")" = 50331648 ] || { engine_explain "$mem: $(cat "$mem")"; return 1; }

	# restart: the same container id is deleted and created again
	erun P inspect --format '{{.State.Pid}}' "$name"
	pid1=$output
	erun P restart -t 0 "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.Pid}}' "$name"
	expect_status 0
	pid2=${output#running }
	[ "$pid2" != "$output" ] && [ "$pid2" != "$pid1" ] || { engine_explain "not restarted"; return 1; }
	erun P exec "$name" echo after-restart
	expect_status 0
	expect_stdout after-restart
	erun P rm -f -t 0 "$name"
	expect_status 0
}

case_memory_limit() {
	erun P run --rm --memory 64m "$ENGINE_IMG" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	expect_status 0
	expect_stdout 67108864
	# and it is enforced: a 200 MiB buffer is killed by the OOM killer
	erun P run --rm --memory 64m "$ENGINE_IMG" dd if=/dev/zero of=/dev/null bs=200M count=1
	expect_status 137
}

case_memory_limit_host() {
	local name="pm-$RT_SLOT" id
	erun P run -d --name "$name" --memory 32m "$ENGINE_IMG" sleep 60
	expect_status 0
	id=$output
	local cg="/sys/fs/cgroup/memory/$ENGINE_CGROUP/libpod-$id"
	[ -d "$cg" ] || { engine_explain "no cgroup $cg"; return 1; }
	[ "$(cat "$cg/memory.limit_in_bytes")" = 33554432 ]
	erun P rm -f -t 0 "$name"
	expect_status 0
	[ ! -d "$cg" ] || { engine_explain "cgroup $cg left after rm"; return 1; }
}

# need_criu: a working criu's directory first in PATH (for podman's version
# check and for the runtime), or skip saying why there is none.
need_criu() {
	[ -n "$CRIU_BIN" ] || skip "no criu works here: $CRIU_WHY"
	PATH="$(dirname "$CRIU_BIN"):$PATH"
	export PATH
	unset OCI_RUN_CRIU
}

# counter_log NAME: the counter's log has 1..N in order (no restart from 1,
# nothing twice), N in $output.
counter_log() {
	erun P logs "$1"
	expect_status 0 || return 1
	local n
	n=$(printf '%s\n' "$output" | tail -n 1)
	[[ $n =~ ^[0-9]+$ ]] && [ "$output" = "$(seq 1 "$n")" ] ||
		{ engine_explain "the counter's log is not 1..N"; return 1; }
	output=$n
}

# wait_count NAME N: the counter's log reaches N (10 s at most).
wait_count() {
	local _
	for _ in $(seq 100); do
		counter_log "$1" 2>/dev/null && [ "$output" -ge "$2" ] && return 0
		sleep 0.1
	done
	counter_log "$1" || return 1
	engine_explain "the counter of '$1' stays at $output, below $2"
	return 1
}

case_checkpoint_restore() {
	need_criu
	local name="pc-$RT_SLOT" n1 pid1 pid2 img="$T/$name.tar.gz"
	CASE_CTR=$name
	# not a terminal: the runtime's restore gets conmon's pipes (oci-run
	# cannot restore a terminal through criu's command line)
	erun P run -d --name "$name" "$ENGINE_IMG" \
		sh -c 'i=0; while :; do i=$((i + 1)); echo $i; sleep 0.1; done'
	expect_status 0
	wait_count "$name" 5 || return 1
	erun P inspect --format '{{.State.Pid}}' "$name"
	pid1=$output

	# --leave-running: images written, the same process counts on
	erun P container checkpoint --leave-running "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.Pid}}' "$name"
	expect_stdout "running $pid1"
	counter_log "$name" || return 1
	wait_count "$name" $((output + 3)) || return 1

	# the checkpoint ends the container, keeping it in podman's list
	erun P container checkpoint "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.Checkpointed}}' "$name"
	expect_stdout "exited true"
	[ ! -e "/proc/$pid1" ] || { engine_explain "pid $pid1 still runs after checkpoint"; return 1; }
	counter_log "$name" || return 1
	n1=$output

	# restored, it counts on from its memory: the log goes on n1+1, n1+2...
	erun P container restore "$name"
	expect_status 0
	erun P inspect --format '{{.State.Status}} {{.State.Pid}}' "$name"
	expect_status 0
	case $output in "running "[1-9]*) ;; *) engine_explain "not running after restore"; return 1 ;; esac
	pid2=${output#running }
	wait_count "$name" $((n1 + 5)) || return 1
	grep -q ":memory:/$ENGINE_CGROUP/" "/proc/$pid2/cgroup" ||
		{ engine_explain "restored pid $pid2 is not below /$ENGINE_CGROUP"; return 1; }
	erun P exec "$name" echo in-restored
	expect_stdout in-restored

	# --export to a tarball, the container removed, --import makes it again
	erun P container checkpoint --export "$img" "$name"
	expect_status 0
	[ -s "$img" ] || { engine_explain "no checkpoint archive $img"; return 1; }
	counter_log "$name" || return 1
	n1=$output
	erun P rm -f "$name"
	expect_status 0
	erun P container restore --import "$img"
	expect_status 0
	erun P inspect --format '{{.State.Status}}' "$name"
	expect_stdout running
	# the archive holds the log too (1..n1 again), and the count goes on
	# after it: a fresh start would log 1 after n1
	counter_log "$name" || return 1
	[ "$output" -ge "$n1" ] || { engine_explain "the imported log ends before $n1"; return 1; }
	wait_count "$name" $((n1 + 5)) || return 1
	erun P rm -f -t 0 "$name"
	expect_status 0
	rm -f "$img"
}

@test "podman [runc]: run --rm echo hi" { engine_use runc; case_run_echo; }
@test "podman [runc]: exit status of the container" { engine_use runc; case_exit_status; }
@test "podman [runc]: run -d, exec, logs, stop, rm" { engine_use runc; case_detached_exec_stop_rm; }
@test "podman [runc]: run -it through the console socket" { engine_use runc; case_interactive_tty; }
@test "podman [runc]: exec -it through the console socket" { engine_use runc; case_exec_tty; }
@test "podman [runc]: --user --read-only --tmpfs -v --cap-drop --pids-limit --hostname -e -w" { engine_use runc; case_options; }
@test "podman [runc]: pause, unpause, update, restart" { engine_use runc; case_pause_restart_update; }
@test "podman [runc]: --memory 64m seen and enforced" { engine_use runc; case_memory_limit; }
@test "podman [runc]: --memory in the host's cgroup, removed with the container" { engine_use runc; case_memory_limit_host; }
@test "podman [runc]: container checkpoint (--leave-running), restore, --export and --import" { engine_use runc; case_checkpoint_restore; }

@test "podman [oci-run]: run --rm echo hi" { engine_use oci-run; case_run_echo; }
@test "podman [oci-run]: exit status of the container" { engine_use oci-run; case_exit_status; }
@test "podman [oci-run]: run -d, exec, logs, stop, rm" { engine_use oci-run; case_detached_exec_stop_rm; }
@test "podman [oci-run]: run -it through the console socket" { engine_use oci-run; case_interactive_tty; }
@test "podman [oci-run]: exec -it through the console socket" { engine_use oci-run; case_exec_tty; }
@test "podman [oci-run]: --user --read-only --tmpfs -v --cap-drop --pids-limit --hostname -e -w" { engine_use oci-run; case_options; }
@test "podman [oci-run]: pause, unpause, update, restart" { engine_use oci-run; case_pause_restart_update; }
@test "podman [oci-run]: --memory 64m seen and enforced" { engine_use oci-run; case_memory_limit; }
@test "podman [oci-run]: --memory in the host's cgroup, removed with the container" { engine_use oci-run; case_memory_limit_host; }
@test "podman [oci-run]: container checkpoint (--leave-running), restore, --export and --import" { engine_use oci-run; case_checkpoint_restore; }

@test "podman: the host is left as it was" {
	engine_check_host
}
