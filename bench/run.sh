#!/usr/bin/env bash
# bench/run.sh: oci-run against crun and runc, same bundle, same run.
#
#   run:    `RUNTIME run` of /bin/true (create + start + wait + delete)
#   cycle:  `create`, `start`, `delete --force` of /bin/true
#   limits: `run` of /bin/true with linux.resources memory.limit (64 MiB) and
#           pids.limit (64): the cost of setting up those controllers
#   exec:   `exec ID /bin/true` in a running container (sleep 600), each
#           runtime in a container of its own
# Each N times (default 100) per runtime, the runtimes taking turns in
# rounds; prints the median and p95 in ms
# and the ratios oci-run/crun and oci-run/runc (below 1: oci-run is faster).
# Memory: the peak RSS of one `run` (GNU time %M, the largest process of
# the tree), and the memory each created-but-not-started container holds
# (Pss of its init from smaps_rollup, M containers at once, default 20;
# runc#3973 is about this number).
#
# The bundle is `oci-run spec` (runc's defaults plus Docker's default seccomp
# profile, which every runtime compiles; oci-run keeps compiled filters in
# ROOT/.seccomp-cache, the others compile each time) with /bin/true.
#
# crun cannot run on this host's hybrid cgroups while the cgroup2 mount at
# /sys/fs/cgroup/unified is visible: its loop runs inside
# `unshare -m --propagation private` with that mount removed (the unshare
# happens once, outside the timed part).
#
# Usage: bench/run.sh   (env: N M OCI_RUN CRUN RUNC SECCOMP=0|1)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
N=${N:-100}
M=${M:-20}
OCI_RUN=${OCI_RUN:-$top/bin/oci-run}
CRUN=${CRUN:-$(command -v crun || true)}
RUNC=${RUNC:-$(command -v runc || true)}
[ -x "$OCI_RUN" ] || { echo "bench/run.sh: build $OCI_RUN first (make bin/oci-run)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/run.sh: run as root" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-bench-run.XXXXXX")
chmod 755 "$work"
cleanup() {
	for rt in oci-run crun runc; do
		[ -d "$work/state-$rt" ] || continue
		for id in $(ls "$work/state-$rt" 2>/dev/null); do
			case $rt in
			oci-run) "$OCI_RUN" --root "$work/state-$rt" delete --force "$id" ;;
			runc) "$RUNC" --root "$work/state-$rt" delete --force "$id" ;;
			crun) crun_wrap --root "$work/state-$rt" delete --force "$id" ;;
			esac >/dev/null 2>&1 || true
		done
	done
	rm -rf "$work"
}
trap cleanup EXIT

crun_wrap() {
	unshare -m --propagation private sh -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec "$0" "$@"' "$CRUN" "$@"
}

# The bundle: busybox-static, /bin/true, no terminal.
b=$work/bundle
mkdir -p "$b/rootfs/bin" "$b/rootfs/proc" "$b/rootfs/sys" "$b/rootfs/dev" "$b/rootfs/tmp"
cp /bin/busybox "$b/rootfs/bin/busybox"
ln -s busybox "$b/rootfs/bin/true"
ln -s busybox "$b/rootfs/bin/sleep"
ln -s busybox "$b/rootfs/bin/sh"
(cd "$b" && "$OCI_RUN" spec)
# crun 1.8.1 refuses ociVersion 1.2.0 ("unknown version specified"): 1.0.2-dev
# is what runc 1.1 writes and all three accept.
# SECCOMP=0 drops the seccomp profile (the runc spec defaults alone).
jq --arg sc "${SECCOMP:-1}" '.ociVersion = "1.0.2-dev" | .process.terminal = false | .process.args = ["/bin/true"]
	| if $sc == "0" then del(.linux.seccomp) else . end' \
	"$b/config.json" >"$b/c.json"
mv "$b/c.json" "$b/config.json"
jq '.process.args = ["/bin/sleep", "600"]' "$b/config.json" >"$work/sleep.json"
# the limits and exec bundles: the same rootfs (read-only), other configs
mkdir -p "$work/bundle-limits" "$work/bundle-sleep"
jq --arg r "$b/rootfs" '.root.path = $r
	| .linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 64' \
	"$b/config.json" >"$work/bundle-limits/config.json"
jq --arg r "$b/rootfs" '.root.path = $r' "$work/sleep.json" >"$work/bundle-sleep/config.json"
set +e

# The timed loops, run by bash (for crun inside the unshared namespace).
# Prints one duration in ms per line.
loop_script='
rt=$1 mode=$2 n=$3 b=$4 root=$5 first=$6
shift 6
for i in $(seq "$first" $((first + n - 1))); do
	s=$EPOCHREALTIME
	if [ "$mode" = run ] || [ "$mode" = limits ]; then
		"$rt" --root "$root" run --bundle "$b" "${mode:0:1}$i" </dev/null >/dev/null 2>"$root.err" ||
			{ echo "$rt $mode failed: $(cat "$root.err")" >&2; exit 1; }
	elif [ "$mode" = exec ]; then
		# b is the id of the running container here
		"$rt" --root "$root" exec "$b" /bin/true </dev/null >/dev/null 2>"$root.err" ||
			{ echo "$rt exec failed: $(cat "$root.err")" >&2; exit 1; }
	else
		"$rt" --root "$root" create --bundle "$b" "c$i" </dev/null >/dev/null 2>"$root.err" &&
		"$rt" --root "$root" start "c$i" </dev/null >/dev/null 2>>"$root.err" &&
		"$rt" --root "$root" delete --force "c$i" </dev/null >/dev/null 2>>"$root.err" ||
			{ echo "$rt create/start/delete failed: $(cat "$root.err")" >&2; exit 1; }
	fi
	e=$EPOCHREALTIME
	echo "$(( (${e/./} - ${s/./}) ))"
done
'

timed() { # timed RUNTIME-NAME MODE COUNT FIRST -> durations (us), one a line
	local name=$1 mode=$2 n=$3 first=$4 root=$work/state-$1 b=$b
	mkdir -p "$root"
	case $mode in
	limits) b=$work/bundle-limits ;;
	exec) b=sleeper ;;
	esac
	case $name in
	oci-run) bash -c "$loop_script" _ "$OCI_RUN" "$mode" "$n" "$b" "$root" "$first" ;;
	runc) bash -c "$loop_script" _ "$RUNC" "$mode" "$n" "$b" "$root" "$first" ;;
	crun) unshare -m --propagation private bash -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec bash -c "$0" "$@"' \
		"$loop_script" _ "$CRUN" "$mode" "$n" "$b" "$root" "$first" ;;
	esac
}

stat_of() { # stat_of FILE -> "median p95" in ms
	sort -n "$1" | awk '{v[NR] = $1} END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		p = v[int(NR * 0.95 + 0.999)]
		printf "%.2f %.2f\n", m / 1000, p / 1000}'
}

runtimes=(oci-run)
[ -n "$CRUN" ] && runtimes+=(crun)
[ -n "$RUNC" ] && runtimes+=(runc)
echo "bench/run.sh: N=$N, runtimes: ${runtimes[*]} ($("$OCI_RUN" --version | head -1);" \
	"$([ -n "$CRUN" ] && "$CRUN" --version | head -1);" \
	"$([ -n "$RUNC" ] && "$RUNC" --version | head -1))" >&2

declare -A med p95
# The runtimes take turns in ROUNDS rounds (default 10) of N/ROUNDS each, so
# that a change of load on the machine falls on all of them alike.
ROUNDS=${ROUNDS:-10}
per=$(( (N + ROUNDS - 1) / ROUNDS ))
# the container each runtime execs into
for rt in "${runtimes[@]}"; do
	root=$work/state-$rt
	mkdir -p "$root"
	case $rt in
	oci-run) "$OCI_RUN" --root "$root" run -d --bundle "$work/bundle-sleep" sleeper ;;
	runc) "$RUNC" --root "$root" run -d --bundle "$work/bundle-sleep" sleeper ;;
	crun) crun_wrap --root "$root" run -d --bundle "$work/bundle-sleep" sleeper ;;
	esac </dev/null >/dev/null 2>"$work/sleeper.err" ||
		{ echo "bench/run.sh: $rt run -d: $(cat "$work/sleeper.err")" >&2; exit 1; }
done
modes=(run cycle limits exec)
for mode in "${modes[@]}"; do
	for round in $(seq 0 $((ROUNDS - 1))); do
		for rt in "${runtimes[@]}"; do
			timed "$rt" "$mode" "$per" $((round * per + 1)) >>"$work/$rt.$mode"
		done
	done
	for rt in "${runtimes[@]}"; do
		read -r m p < <(stat_of "$work/$rt.$mode")
		med[$rt.$mode]=$m
		p95[$rt.$mode]=$p
		printf '%-8s %-6s median %8s ms   p95 %8s ms\n' "$rt" "$mode" "$m" "$p"
	done
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", a / b}'; }
for mode in "${modes[@]}"; do
	case $mode in
	run) label="run latency" ;;
	cycle) label="create+start+delete latency" ;;
	limits) label="run latency with memory+pids limits" ;;
	exec) label="exec latency" ;;
	esac
	for other in crun runc; do
		[ -n "${med[$other.$mode]:-}" ] || continue
		echo "oci-run/$other $label median ratio: $(ratio "${med[oci-run.$mode]}" "${med[$other.$mode]}")"
		echo "oci-run/$other $label p95 ratio: $(ratio "${p95[oci-run.$mode]}" "${p95[$other.$mode]}")"
	done
done

# Peak RSS of one `run` (median of 10), KiB.
peak() {
	local name=$1 i
	for i in $(seq 10); do
		case $name in
		oci-run) /usr/bin/time -f %M "$OCI_RUN" --root "$work/state-$name" run --bundle "$b" "m$i" ;;
		runc) /usr/bin/time -f %M "$RUNC" --root "$work/state-$name" run --bundle "$b" "m$i" ;;
		crun) unshare -m --propagation private sh -c \
			'umount /sys/fs/cgroup/unified 2>/dev/null; exec /usr/bin/time -f %M "$0" "$@"' \
			"$CRUN" --root "$work/state-$name" run --bundle "$b" "m$i" ;;
		esac </dev/null 2>&1 >/dev/null | tail -1
	done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}
for rt in "${runtimes[@]}"; do
	echo "$rt peak RSS of one run: $(peak "$rt") KiB"
done

# Memory held by M created (not started) containers: Pss of each init.
cp "$b/config.json" "$work/true.json"
cp "$work/sleep.json" "$b/config.json"
held_script='
rt=$1 m=$2 b=$3 root=$4 total=0
for i in $(seq "$m"); do
	"$rt" --root "$root" create --bundle "$b" "h$i" </dev/null >/dev/null 2>"$root.err" ||
		{ echo "$rt create failed: $(cat "$root.err")" >&2; exit 1; }
done
for i in $(seq "$m"); do
	pid=$("$rt" --root "$root" state "h$i" | jq -r .pid)
	kb=$(awk "/^Pss:/ {print \$2}" "/proc/$pid/smaps_rollup")
	total=$((total + kb))
done
for i in $(seq "$m"); do
	"$rt" --root "$root" delete --force "h$i" >/dev/null 2>&1
done
echo $((total / m))
'
held() {
	local name=$1 root=$work/state-held-$1
	mkdir -p "$root"
	case $name in
	oci-run) bash -c "$held_script" _ "$OCI_RUN" "$M" "$b" "$root" ;;
	runc) bash -c "$held_script" _ "$RUNC" "$M" "$b" "$root" ;;
	crun) unshare -m --propagation private bash -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec bash -c "$0" "$@"' \
		"$held_script" _ "$CRUN" "$M" "$b" "$root" ;;
	esac
}
for rt in "${runtimes[@]}"; do
	echo "$rt memory held per created container (Pss of the init, $M at once): $(held "$rt") KiB"
done
cp "$work/true.json" "$b/config.json"
