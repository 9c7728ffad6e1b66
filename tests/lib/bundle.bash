# Bundles for the oci-run tests: a busybox rootfs plus config.json from
# `oci-run spec`, edited with jq. Load after ../lib/common.
#
#   make_bundle DIR            rootfs with /bin/busybox and its applets,
#                              /etc/passwd and /etc/group, default config
#                              (terminal false, args sh)
#   bundle_config DIR JQ-FILTER [jq args...]
#                              edits DIR/config.json in place
#   bundle_args DIR ARG...     sets process.args

BUSYBOX=${BUSYBOX:-/bin/busybox}

make_bundle() {
	local dir=$1
	mkdir -p "$dir/rootfs/bin" "$dir/rootfs/etc" "$dir/rootfs/proc" "$dir/rootfs/sys" \
		"$dir/rootfs/dev" "$dir/rootfs/tmp" "$dir/rootfs/root"
	cp "$BUSYBOX" "$dir/rootfs/bin/busybox"
	local a
	for a in $("$BUSYBOX" --list); do
		[ -e "$dir/rootfs/bin/$a" ] || ln -s busybox "$dir/rootfs/bin/$a"
	done
	cat >"$dir/rootfs/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/sh
PW
	cat >"$dir/rootfs/etc/group" <<'GR'
root:x:0:
daemon:x:1:
nogroup:x:65534:
GR
	chmod 1777 "$dir/rootfs/tmp"
	(cd "$dir" && oci-run spec) || return 1
	# a cgroup of its own: container ids (c1...) repeat across test files
	# that may run at the same time, and the default cgroup is /oci-run/ID
	bundle_config "$dir" '.process.terminal = false | .linux.cgroupsPath = $cg' \
		--arg cg "/oci-run-test/$(basename "${T:-/tmp/x}")-$(basename "$dir")"
}

bundle_config() {
	local dir=$1 filter=$2
	shift 2
	jq "$@" "$filter" "$dir/config.json" >"$dir/config.json.new" &&
		mv "$dir/config.json.new" "$dir/config.json"
}

bundle_args() {
	local dir=$1 a args='[]'
	shift
	for a in "$@"; do
		args=$(jq -c --arg a "$a" '. + [$a]' <<<"$args")
	done
	bundle_config "$dir" '.process.args = $a' --argjson a "$args"
}

# Runs a one-shot container in the foreground with oci-run (or RUNTIME):
# run_in BUNDLE ARG...   (sets $status and $output through bats' run)
run_in() {
	local dir=$1
	shift
	bundle_args "$dir" "$@"
	run "${RUNTIME:-oci-run}" --root "$T/state" run --bundle "$dir" "c$$-$BATS_TEST_NUMBER"
}

# Cleans up containers a test left behind under $T/state.
cleanup_containers() {
	local root=${1:-$T/state} id
	[ -d "$root" ] || return 0
	for id in $(ls "$root" 2>/dev/null); do
		oci-run --root "$root" delete --force "$id" >/dev/null 2>&1 || true
	done
	# the common parent of the tests' cgroups, once no test uses it
	rmdir /sys/fs/cgroup/*/oci-run-test 2>/dev/null || true
}

# run_file CMD...: like bats' `run`, with the output going through a file,
# for commands that leave a process holding their stdout (create, run -d):
# `run` would wait for that process to close the pipe.
run_file() {
	local rc=0
	"$@" >"$T/.run_file.out" 2>&1 </dev/null || rc=$?
	status=$rc
	output=$(cat "$T/.run_file.out")
	mapfile -t lines <"$T/.run_file.out"
}
