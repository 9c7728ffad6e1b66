# Harness for the engine tests (tests/engines/*.bats): podman, containerd's
# ctr and Docker driving an OCI runtime, once with runc and once with oci-run.
# Load after common:
#   load ../lib/common
#   load ../lib/engines
#
# Each file keeps ALL its engine state in one folder $ED (made by
# engine_setup_file under /tmp, exported to the tests): storage, daemon
# sockets, configs, the runtime's state where the engine lets us choose it.
# engine_teardown_file stops every daemon, shim, monitor and container,
# unmounts everything below $ED, removes the cgroups and the host folders the
# engines create at fixed places (/run/containerd/s, /run/containers/networks,
# /run/docker/plugins...) when they were not there before, and removes $ED.
#
# Runtimes ("slots"):
#   runc     $OCI_ENGINE_RUNC     (default /usr/sbin/runc), the reference
#   oci-run  $OCI_ENGINE_RUNTIME  (default $OCI_TEST_BIN/oci-run), under test
# OCI_ENGINE_ONLY=runc|oci-run runs the cases of one slot only (the others
# are skipped, saying so). A test starts with `engine_use SLOT`, which sets
# RT to a logging wrapper around the slot's runtime: every call the engine
# makes is appended to $ED/calls-SLOT.log (arguments shell-quoted, exit
# status when not 0, and the runtime's --log file then). The logs are kept
# in $OCI_TEST_BUILD/engine-calls/ENGINE-SLOT.log after the run.
#
# Commands are run with erun (stdout in $output, stderr in $stderr, exit
# status in $status, a time limit); expect_status / expect_stdout /
# expect_contains explain a failure with both streams and the runtime calls
# the test made.

: "${OCI_ENGINE_RUNC:=/usr/sbin/runc}"
: "${OCI_ENGINE_RUNTIME:=$OCI_TEST_BIN/oci-run}"
: "${OCI_ENGINE_TIMEOUT:=60}"
ENGINE_IMG=localhost/oci-tiny:latest
ENGINE_PTY="$OCI_TEST_TOP/tests/engines/pty-run.py"
# The cgroup every engine puts its containers below (cgroupfs driver), also
# containerd's namespace: one per run (set by engine_setup_file), so that
# runs at the same time never clean up each other's containers.
ENGINE_CGROUP=${ENGINE_CGROUP:-}

# Host paths that engines create at fixed places whatever their config says.
# The runtimes' default state roots (/run/runc, /run/oci-run: podman passes
# no --root) are not among them: what matters there is that no container is
# left, which engine_check_runtime_state checks.
ENGINE_HOST_PATHS="/run/containerd /run/containers /run/docker /run/libpod /opt/containerd /etc/docker/key.json /var/lib/docker
 /var/lib/containerd /var/lib/containers/storage /etc/containers/networks
 /var/run/docker.sock /etc/cni/net.d/87-podman-bridge.conflist"

# engine_setup_file NAME: makes $ED, records the host's state, writes the
# runtime wrappers. Sets ENGINE_MISSING when the engine's programs are absent.
engine_setup_file() {
	ENGINE_NAME=$1
	ED=$(mktemp -d "/tmp/oci-engine-$1.XXXXXX")
	chmod 711 "$ED"
	ENGINE_CGROUP="oci-engines-${ED##*.}"
	export ED ENGINE_NAME ENGINE_CGROUP ENGINE_MISSING=""
	cd "$ED" || return 1
	engine_host_state >"$ED/host.before"
	local slot real
	for slot in runc oci-run; do
		real=$(engine_slot_binary "$slot")
		engine_write_wrapper "$ED/rt-$slot" "$real" "$ED/calls-$slot.log"
		: >"$ED/calls-$slot.log"
	done
}

# engine_setup: each test's setup: common_setup, and the engines run from $T
# (conmon writes a file "oom" into its working directory on an OOM kill).
engine_setup() {
	common_setup
	cd "$T" || return 1
}

# engine_teardown_file: everything stopped and removed, even after failures.
engine_teardown_file() {
	[ -n "${ED:-}" ] && [ -d "$ED" ] || return 0
	engine_cleanup
	local keep="$OCI_TEST_BUILD/engine-calls" slot
	for slot in runc oci-run; do
		if [ -s "$ED/calls-$slot.log" ] && mkdir -p "$keep"; then
			cp "$ED/calls-$slot.log" "$keep/$ENGINE_NAME-$slot.log" || true
		fi
	done
	if grep -qF " $ED/" /proc/self/mountinfo; then
		echo "engines: mounts left below $ED, not removing it" >&2
		return 1
	fi
	rm -rf --one-file-system "$ED"
}

engine_slot_binary() {
	case $1 in
	runc) echo "$OCI_ENGINE_RUNC" ;;
	oci-run) echo "$OCI_ENGINE_RUNTIME" ;;
	*) echo "engines: unknown runtime slot '$1'" >&2; return 1 ;;
	esac
}

# engine_write_wrapper PATH REAL LOG: a runtime that logs its argv and runs
# REAL. Not exec: the exit status is logged too. The container processes are
# not its children (the runtime's init is reparented to the engine's
# subreaper monitor), so nothing else changes for the engine.
engine_write_wrapper() {
	local q_real q_log
	q_real=$(printf '%q' "$2")
	q_log=$(printf '%q' "$3")
	cat >"$1" <<EOF
#!/bin/bash
log=$q_log
{ printf '%s' "\$(date +%T.%3N)"; printf ' %q' "\$@"; echo; } >>"\$log"
$q_real "\$@"
rc=\$?
if [ \$rc -ne 0 ]; then
	echo "    -> exit status \$rc" >>"\$log"
	prev=
	for a in "\$@"; do
		if [ "\$prev" = --log ] && [ -s "\$a" ]; then
			tail -n 5 "\$a" | sed 's/^/    log: /' >>"\$log"
		fi
		prev=\$a
	done
fi
exit \$rc
EOF
	chmod 755 "$1"
}

# engine_use SLOT: the test runs with that runtime ($RT, $RT_SLOT, $RT_REAL).
engine_use() {
	RT_SLOT=$1
	RT_REAL=$(engine_slot_binary "$1") || return 1
	RT="$ED/rt-$1"
	if [ -n "$ENGINE_MISSING" ]; then
		skip "$ENGINE_MISSING"
	fi
	if [ -n "${OCI_ENGINE_ONLY:-}" ] && [ "$OCI_ENGINE_ONLY" != "$1" ]; then
		skip "OCI_ENGINE_ONLY=$OCI_ENGINE_ONLY"
	fi
	if [ ! -x "$RT_REAL" ]; then
		skip "runtime '$RT_REAL' is not built or installed"
	fi
	printf '## %s\n' "$BATS_TEST_DESCRIPTION" >>"$ED/calls-$1.log"
}

# erun CMD...: like bats' run, stdout and stderr apart, a program within a
# time limit (a shell function sets its own, e.g. with ET).
erun() {
	local err="$T/.stderr"
	if [ "$(type -t "$1")" = function ]; then
		output=$("$@" 2>"$err") && status=0 || status=$?
	else
		output=$(ET "$@" 2>"$err") && status=0 || status=$?
	fi
	stderr=$(cat "$err")
	if [ "$status" -eq 124 ]; then
		stderr="$stderr
(timed out after ${OCI_ENGINE_TIMEOUT}s: $*)"
	fi
}

# engine_explain MESSAGE: prints what the last erun and the runtime did.
engine_explain() {
	{
		echo "$1"
		echo "--- stdout:"
		printf '%s\n' "$output"
		echo "--- stderr:"
		printf '%s\n' "${stderr:-}"
		if [ -n "${RT_SLOT:-}" ]; then
			echo "--- runtime calls of this test ($RT_SLOT = $RT_REAL):"
			awk -v m="## $BATS_TEST_DESCRIPTION" '$0 == m { on = 1; next } on' \
				"$ED/calls-$RT_SLOT.log" | tail -n 40
		fi
	} >&2
}

# ET CMD...: CMD within the time limit (exit status 124 when killed).
ET() {
	timeout -k 5 "$OCI_ENGINE_TIMEOUT" "$@"
}

expect_status() {
	[ "$status" -eq "$1" ] && return 0
	engine_explain "expected exit status $1, got $status"
	return 1
}

# expect_stdout TEXT: stdout is exactly TEXT.
expect_stdout() {
	[ "$output" = "$1" ] && return 0
	engine_explain "expected stdout '$1'"
	return 1
}

# expect_contains TEXT: stdout contains TEXT.
expect_contains() {
	case $output in *"$1"*) return 0 ;; esac
	engine_explain "expected stdout to contain '$1'"
	return 1
}

# expect_stderr TEXT: stderr contains TEXT.
expect_stderr() {
	case ${stderr:-} in *"$1"*) return 0 ;; esac
	engine_explain "expected stderr to contain '$1'"
	return 1
}

# engine_need PROG...: marks the engine missing when a program is absent.
engine_need() {
	local p
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			ENGINE_MISSING="'$p' is not installed (scripts/deps.sh installs the engines)"
			export ENGINE_MISSING
			return 1
		fi
	done
}

# engine_start_daemon NAME LOGFILE CMD...: starts CMD in the background,
# pid in $ED/NAME.pid. Its descriptors are closed so bats does not wait.
engine_start_daemon() {
	local name=$1 log=$2
	shift 2
	"$@" </dev/null >"$log" 2>&1 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- &
	echo $! >"$ED/$name.pid"
	echo "$name" >>"$ED/daemons"
}

# engine_alive PID: the process exists and is not a zombie.
engine_alive() {
	local st
	st=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# engine_stop_daemon NAME: TERM, then KILL after 10 s.
engine_stop_daemon() {
	local pid i
	pid=$(cat "$ED/$1.pid" 2>/dev/null) || return 0
	if engine_alive "$pid"; then
		kill -TERM "$pid" 2>/dev/null || true
		for i in $(seq 100); do
			engine_alive "$pid" || break
			sleep 0.1
		done
		if engine_alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
		for i in $(seq 20); do
			engine_alive "$pid" || break
			sleep 0.1
		done
	fi
	# reaps it when it is our child (teardown_file); in a test it is not
	wait "$pid" 2>/dev/null || true
	rm -f "$ED/$1.pid"
}

# engine_wait_for SECONDS CMD...: retries CMD until it succeeds.
engine_wait_for() {
	local n=$(($1 * 10))
	shift
	while [ $n -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

# engine_containerd_start DIR: a containerd with root, state, sockets and
# the opt folder in DIR; exports CTRD_SOCK.
engine_containerd_start() {
	local d=$1
	mkdir -p "$d"
	cat >"$d/config.toml" <<EOF
version = 2
root = "$d/root"
state = "$d/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.devmapper", "io.containerd.internal.v1.tracing",
  "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$d/containerd.sock"
[ttrpc]
  address = "$d/containerd.sock.ttrpc"
[debug]
  address = ""
[metrics]
  address = ""
[plugins."io.containerd.internal.v1.opt"]
  path = "$d/opt"
EOF
	CTRD_SOCK="$d/containerd.sock"
	export CTRD_SOCK
	engine_start_daemon containerd "$d/containerd.log" containerd --config "$d/config.toml"
	if ! engine_wait_for 20 ctr --address "$CTRD_SOCK" version; then
		echo "engines: containerd did not start; its log:" >&2
		tail -n 20 "$d/containerd.log" >&2
		return 1
	fi
}

# engine_host_state: what the engines could change on the host, one item a
# line, compared before and after (see the last test of each file).
engine_host_state() {
	local p c
	echo "links: $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | sed 's/@.*//' |
		grep -E '^(docker|br-|cni-podman|podman)' | sort | tr '\n' ' ')"
	echo "ip_forward: $(cat /proc/sys/net/ipv4/ip_forward)"
	if command -v iptables >/dev/null 2>&1; then
		echo "FORWARD: $(iptables -w -S FORWARD 2>&1 | head -n 1)"
		echo "docker chains: $({ iptables -w -S; iptables -w -t nat -S; } 2>/dev/null | grep -c DOCKER)"
	fi
	for p in $ENGINE_HOST_PATHS; do
		[ -e "$p" ] && echo "path: $p"
	done
	for c in /sys/fs/cgroup/*/"$ENGINE_CGROUP"; do
		[ -d "$c" ] && echo "cgroup: $c"
	done
	awk -v d="$ED" 'index($5, d) == 1 { print "mount: " $5 }' /proc/self/mountinfo
}

# engine_kill_leftovers: processes of the test still running after the
# engines were told to stop: anything in our cgroups, and monitors and shims
# (conmon, containerd-shim-runc-v2) whose command line names $ED.
engine_kill_leftovers() {
	local f pid pids=""
	for f in $(find /sys/fs/cgroup/*/"$ENGINE_CGROUP" -name cgroup.procs 2>/dev/null); do
		pids="$pids $(cat "$f" 2>/dev/null)"
	done
	for f in /proc/[0-9]*/cmdline; do
		pid=${f#/proc/}
		pid=${pid%/cmdline}
		[ "$pid" = $$ ] || [ "$pid" = "$BASHPID" ] && continue
		if tr '\0' ' ' 2>/dev/null <"$f" | grep -qF "$ED/"; then
			pids="$pids $pid"
		fi
	done
	for pid in $pids; do
		kill -KILL "$pid" 2>/dev/null
	done
	[ -n "${pids// /}" ] && sleep 0.3
	return 0
}

# engine_created_containers SLOT: "ROOT ID" for each container the engines
# asked that runtime to create (ROOT "-" when no --root was given).
engine_created_containers() {
	[ -s "$ED/calls-$1.log" ] || return 0
	python3 - "$ED/calls-$1.log" <<'EOF'
import shlex, sys
seen = set()
for line in open(sys.argv[1], errors="replace"):
    if line.startswith(("#", " ")):
        continue
    try:
        argv = shlex.split(line)[1:]
    except ValueError:
        continue
    root = "-"
    for i, a in enumerate(argv):
        if a == "--root" and i + 1 < len(argv):
            root = argv[i + 1]
    if "create" in argv and (root, argv[-1]) not in seen:
        seen.add((root, argv[-1]))
        print(root, argv[-1])
EOF
}

# engine_runtime RT ROOT ARGS...: RT with --root ROOT unless ROOT is "-".
engine_runtime() {
	local rt=$1 root=$2
	shift 2
	if [ "$root" = - ]; then
		timeout 10 "$rt" "$@"
	else
		timeout 10 "$rt" --root "$root" "$@"
	fi
}

# engine_delete_runtime_state: `delete --force` of every container the
# runtimes were asked to create and may still hold, with the engine's --root.
engine_delete_runtime_state() {
	local slot real root id
	for slot in runc oci-run; do
		real=$(engine_slot_binary "$slot")
		[ -x "$real" ] || continue
		engine_created_containers "$slot" | while read -r root id; do
			engine_runtime "$real" "$root" delete --force "$id" >/dev/null 2>&1
		done
	done
	return 0
}

# engine_check_runtime_state: after the tests removed their containers, the
# runtimes know none of those they created (`state ID` fails).
engine_check_runtime_state() {
	local slot real root id left=""
	for slot in runc oci-run; do
		real=$(engine_slot_binary "$slot")
		[ -x "$real" ] || continue
		while read -r root id; do
			if engine_runtime "$real" "$root" state "$id" >/dev/null 2>&1; then
				left="$left
  $slot (--root $root): $id"
			fi
		done < <(engine_created_containers "$slot")
	done
	if [ -n "$left" ]; then
		echo "containers the runtime still knows after the engines removed them:$left" >&2
		return 1
	fi
}

# engine_unmount_all: every mount below $ED, the deepest first.
engine_unmount_all() {
	local m
	awk -v d="$ED" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r | uniq |
		while read -r m; do
			umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
		done
	return 0
}

# engine_remove_cgroups: our cgroups in every hierarchy, the deepest first.
engine_remove_cgroups() {
	local c
	find /sys/fs/cgroup/*/ -maxdepth 1 -name "$ENGINE_CGROUP" -type d 2>/dev/null |
		while read -r c; do
			find "$c" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	return 0
}

# engine_remove_host_paths: the fixed host folders an engine made during this
# file (absent in host.before), when nothing but empty folders is left in them.
engine_remove_host_paths() {
	local p
	for p in $ENGINE_HOST_PATHS; do
		[ -e "$p" ] || continue
		grep -qxF "path: $p" "$ED/host.before" && continue
		if [ -d "$p" ]; then
			find "$p" -depth -type d -empty -delete 2>/dev/null
		elif [ "$p" = /etc/docker/key.json ]; then
			rm -f "$p"
		fi
	done
	return 0
}

# engine_cleanup: the engine's own cleanup hook (engine_stop, defined by each
# .bats file), then everything else, whatever state the tests left.
# Best effort: no errexit, no bats error trap (a process already gone is fine).
engine_cleanup() {
	(
		set +eE
		trap - ERR
		local d
		if declare -F engine_stop >/dev/null; then
			engine_stop
		fi
		if [ -f "$ED/daemons" ]; then
			for d in $(tac "$ED/daemons"); do engine_stop_daemon "$d"; done
			rm -f "$ED/daemons"
		fi
		engine_kill_leftovers
		engine_delete_runtime_state
		engine_kill_leftovers
		engine_unmount_all
		engine_remove_cgroups
		engine_remove_host_paths
	)
	return 0
}

# engine_check_host: no container is left in the runtimes' state, and after
# the cleanup the host is as engine_setup_file found it.
engine_check_host() {
	local ok=0
	engine_check_runtime_state || ok=1
	engine_cleanup
	engine_host_state >"$ED/host.after"
	# A fixed path that was there before and is gone now was not removed by
	# this file (its cleanup removes only what it made): another run's doing.
	grep '^path: ' "$ED/host.before" | while read -r _ p; do
		[ -e "$p" ] || echo "path: $p"
	done >>"$ED/host.after"
	sort -o "$ED/host.before.sorted" "$ED/host.before"
	sort -o "$ED/host.after" "$ED/host.after"
	if ! diff -u "$ED/host.before.sorted" "$ED/host.after" >"$ED/host.diff"; then
		echo "the host changed during the engine tests:" >&2
		cat "$ED/host.diff" >&2
		return 1
	fi
	return $ok
}

# engine_private_varlib CMD...: CMD in a mount namespace of its own where
# /var/lib is an overlay whose changes go to $ED/varlib: containers/image
# (podman pull, skopeo copy) writes its blob-info cache to
# /var/lib/containers/cache as root whatever the storage config says.
engine_private_varlib() {
	mkdir -p "$ED/varlib/upper" "$ED/varlib/work"
	unshare -m --propagation private sh -c '
		mount -t overlay oci-engine-varlib \
			-o "lowerdir=/var/lib,upperdir=$1/upper,workdir=$1/work" /var/lib || exit 1
		shift
		exec "$@"' sh "$ED/varlib" "$@"
}

# engine_oci_archive DIR TAR: a tar of an OCI image layout (for ctr import).
engine_oci_archive() {
	tar -C "$1" -cf "$2" .
}
