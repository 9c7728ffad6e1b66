#!/usr/bin/env bats
# oci-run checkpoint and restore through CRIU: a counter in a container is
# checkpointed, the container is gone, restored, and counts on from where it
# was; --leave-running; a foreground restore; hooks; and the errors (no
# criu, a criu too old or failing its check, no checkpoint, an id in use,
# a failed criu restore cleaned up).
#
# The tests that run criu use scripts/criu.sh: the system's criu when its
# `criu check` passes, else CRIU 4.1.1 built once from Debian's source into
# a cache (Debian 12's 3.17 fails on kernels >= 6.13). They skip, saying
# why, when no criu can be had; the error tests run everywhere.
load ../lib/common
load ../lib/bundle

setup_file() {
	local why
	if CRIU_BIN=$("$OCI_TEST_TOP/scripts/criu.sh" 2>"$BATS_FILE_TMPDIR/criu.err"); then
		CRIU_WHY=""
	else
		CRIU_BIN=""
		CRIU_WHY=$(tail -1 "$BATS_FILE_TMPDIR/criu.err")
	fi
	export CRIU_BIN CRIU_WHY
}

setup() {
	common_setup
	make_bundle "$T/b"
	# the counter lives in the shell's memory; /tmp/n (on the host's disk,
	# not in the image) shows it
	bundle_config "$T/b" '.root.readonly = false'
	bundle_args "$T/b" sh -c 'exec </dev/null >/dev/null 2>&1; i=0
		while :; do i=$((i + 1)); echo $i >/tmp/n; sleep 0.1; done'
	R=(oci-run --root "$T/state")
}

teardown() {
	cleanup_containers
	common_teardown
}

need_criu() {
	[ -n "$CRIU_BIN" ] || skip "no criu works here: $CRIU_WHY"
	export OCI_RUN_CRIU=$CRIU_BIN
}

counter() {
	cat "$T/b/rootfs/tmp/n" 2>/dev/null || echo 0
}

# wait_counter N: until the counter is at least N (10 s at most)
wait_counter() {
	local _
	for _ in $(seq 100); do
		[ "$(counter)" -ge "$1" ] && return 0
		sleep 0.1
	done
	fail "the counter is $(counter), not >= $1"
}

state_field() {
	"${R[@]}" state "$1" | jq -r ".$2"
}

# a criu stand-in: prints VERSION for --version; `check` fails with MSG
fake_criu() {
	cat >"$T/fake-criu" <<EOF
#!/bin/sh
case "\$1" in
--version) echo "Version: $1" ;;
check) echo "Error (criu/vdso.c:381): $2" >&2; echo "Error (criu/crtools.c:260): Could not initialize kernel features detection." >&2; exit 1 ;;
*) exit 1 ;;
esac
EOF
	chmod +x "$T/fake-criu"
}

@test "checkpoint ends the container, restore goes on counting from its state" {
	need_criu
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	old_pid=$(state_field c1 pid)
	wait_counter 5
	run "${R[@]}" checkpoint --image-path "$T/img" --work-path "$T/work" c1
	assert_status 0
	[ -z "$output" ] || fail "checkpoint printed: $output"
	[ -e "$T/img/inventory.img" ] || fail "no image in $T/img: $(ls "$T/img")"
	[ -e "$T/work/dump.log" ] || fail "no dump.log in --work-path"
	# as runc: the container is gone, its processes and cgroup too
	run "${R[@]}" state c1
	assert_status 1
	assert_output_contains "container 'c1' does not exist"
	st=$(awk '{print $3}' "/proc/$old_pid/stat" 2>/dev/null || echo gone)
	[ "$st" = gone ] || [ "$st" = Z ] || fail "the init $old_pid is still there ($st)"
	cg=$(jq -r .linux.cgroupsPath "$T/b/config.json")
	[ ! -d "/sys/fs/cgroup/memory$cg" ] || fail "cgroup $cg left behind"
	last=$(counter)
	sleep 0.5
	[ "$(counter)" = "$last" ] || fail "the counter moved after checkpoint"
	[ "$last" -ge 5 ] || fail "counter $last"

	echo 0 >"$T/b/rootfs/tmp/n"
	run_file "${R[@]}" restore -d --image-path "$T/img" --work-path "$T/work" \
		--bundle "$T/b" --pid-file "$T/pid" c1
	assert_status 0
	[ "$(state_field c1 status)" = running ]
	pid=$(state_field c1 pid)
	[ "$pid" = "$(cat "$T/pid")" ] || fail "pid file $(cat "$T/pid") != state $pid"
	[ "$(state_field c1 bundle)" = "$T/b" ]
	wait_counter 1
	first=$(counter)
	# the memory came back: the next number after the last one, not 1
	[ "$first" -gt "$last" ] && [ "$first" -le $((last + 5)) ] ||
		fail "after restore the counter is $first, before checkpoint $last"
	wait_counter $((first + 2))
	# the restored init is the container's: its cgroup, ps, kill, delete
	grep -q ":memory:$cg\$" "/proc/$pid/cgroup" || fail "not in $cg: $(cat "/proc/$pid/cgroup")"
	run "${R[@]}" ps c1
	assert_status 0
	assert_output_contains "$pid"
	run "${R[@]}" kill c1 KILL
	assert_status 0
	for _ in $(seq 50); do [ "$(state_field c1 status)" = stopped ] && break; sleep 0.1; done
	[ "$(state_field c1 status)" = stopped ]
	run "${R[@]}" delete c1
	assert_status 0
	[ ! -d "/sys/fs/cgroup/memory$cg" ] || fail "cgroup $cg left after delete"
	! grep -q criu-root /proc/self/mountinfo || fail "criu-root still mounted"
}

@test "checkpoint --leave-running keeps the container; a foreground restore waits and deletes" {
	need_criu
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	wait_counter 3
	before=$(counter)
	run "${R[@]}" checkpoint --leave-running --image-path "$T/img" c1
	assert_status 0
	after=$(counter)
	[ "$(state_field c1 status)" = running ]
	wait_counter $((after + 3))
	"${R[@]}" delete --force c1
	# the default image path is ./checkpoint
	mv "$T/img" "$T/checkpoint"
	echo 0 >"$T/b/rootfs/tmp/n"
	(cd "$T" && exec "${R[@]}" restore --bundle "$T/b" c2 </dev/null >"$T/fg.out" 2>&1) &
	fg=$!
	for _ in $(seq 100); do [ "$(state_field c2 status 2>/dev/null)" = running ] && break; sleep 0.1; done
	[ "$(state_field c2 status)" = running ] || { kill "$fg"; fail "c2 not running: $(cat "$T/fg.out")"; }
	wait_counter 1
	first=$(counter)
	# the image holds the counter between before and after
	[ "$first" -gt "$before" ] && [ "$first" -le $((after + 5)) ] ||
		fail "counter $first after restore, $before..$after at checkpoint"
	"${R[@]}" kill c2 KILL
	rc=0
	wait "$fg" || rc=$?
	[ "$rc" = 137 ] || fail "foreground restore returned $rc: $(cat "$T/fg.out")"
	run "${R[@]}" state c2
	assert_status 1
	assert_output_contains "does not exist"
}

@test "an init on the host's /dev/null gets the container's (runc's reOpenDevNull), so criu can dump it" {
	need_criu
	# as conmon starts it: stdio on the host's /dev/null, kept by the shell
	bundle_args "$T/b" sh -c 'i=0; while :; do i=$((i + 1)); echo $i >/tmp/n; sleep 0.1; done'
	"${R[@]}" run -d --bundle "$T/b" c1 </dev/null >/dev/null 2>&1
	pid=$(state_field c1 pid)
	for fd in 0 1 2; do
		[ "$(readlink "/proc/$pid/fd/$fd")" = /dev/null ] || fail "fd $fd: $(readlink "/proc/$pid/fd/$fd")"
		mnt=$(awk '$1 == "mnt_id:" { print $2 }' "/proc/$pid/fdinfo/$fd")
		# the mount of the container's /dev, not the host's
		awk -v m="$mnt" '$1 == m && $5 == "/dev" { f = 1 } END { exit !f }' "/proc/$pid/mountinfo" ||
			fail "fd $fd is on mount $mnt, not the container's /dev: $(cat "/proc/$pid/mountinfo")"
	done
	wait_counter 3
	run "${R[@]}" checkpoint --image-path "$T/img" --work-path "$T/work" c1
	assert_status 0
	last=$(counter)
	run_file "${R[@]}" restore -d --image-path "$T/img" --work-path "$T/work" --bundle "$T/b" c1
	assert_status 0
	wait_counter $((last + 2))
	"${R[@]}" delete --force c1
}

@test "a bind mount and the init's stdio pipes come back, the pipes replaced by restore's" {
	need_criu
	mkdir "$T/data"
	bundle_config "$T/b" '.mounts += [{destination: "/data", type: "bind", source: $d,
		options: ["rbind", "rw"]}]' --arg d "$T/data"
	bundle_args "$T/b" sh -c 'i=0
		while :; do i=$((i + 1)); echo $i; echo $i >/data/n; sleep 0.1; done'
	# stdio on pipes, as runc's tests do (a file or the host's /dev/null
	# is outside the container's mounts: criu cannot dump it)
	"${R[@]}" run -d --bundle "$T/b" c1 < <(true) > >(exec cat >"$T/out1" 2>/dev/null) 2>&1
	for _ in $(seq 100); do [ "$(cat "$T/data/n" 2>/dev/null || echo 0)" -ge 3 ] && break; sleep 0.1; done
	run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 0
	jq -e 'length == 3 and all(.[]; startswith("pipe:"))' "$T/img/descriptors.json" >/dev/null ||
		fail "descriptors.json: $(cat "$T/img/descriptors.json")"
	last=$(cat "$T/data/n")
	"${R[@]}" restore -d --image-path "$T/img" --bundle "$T/b" c1 < <(true) \
		> >(exec cat >"$T/out2" 2>/dev/null) 2>&1
	for _ in $(seq 100); do [ "$(grep -c . "$T/out2" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
	first=$(head -1 "$T/out2")
	[ -n "$first" ] && [ "$first" -gt "$last" ] ||
		fail "restored output starts at '$first', the checkpoint was at $last"
	[ "$(cat "$T/data/n")" -gt "$last" ] || fail "/data/n did not move"
	"${R[@]}" delete --force c1
}

@test "without a cgroup namespace the bound cgroup directories come back; exec joins the restored container" {
	need_criu
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "cgroup"))'
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	wait_counter 2
	run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 0
	run_file "${R[@]}" restore -d --image-path "$T/img" --bundle "$T/b" c1
	assert_status 0
	pid=$(state_field c1 pid)
	run "${R[@]}" exec c1 cat /proc/1/cmdline
	assert_status 0
	assert_output_contains "while :"
	# on a v1 host /sys/fs/cgroup/pids is the container's own cgroup again
	if [ -d /sys/fs/cgroup/pids ] && [ ! -e /sys/fs/cgroup/cgroup.controllers ]; then
		# (pids as the container's pid namespace sees them: its init is 1)
		run "${R[@]}" exec c1 cat /sys/fs/cgroup/pids/cgroup.procs
		assert_status 0
		assert_output_matches '^1$'
		grep -q ":pids:$(jq -r .linux.cgroupsPath "$T/b/config.json")\$" "/proc/$pid/cgroup"
	fi
}

@test "restore runs the prestart and createRuntime hooks with the restored pid" {
	need_criu
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	wait_counter 2
	run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 0
	cat >"$T/hook" <<'HOOK'
#!/bin/sh
echo "$1 $(jq -r '.status + " " + (.pid|tostring) + " " + .id')" >>"$2"
HOOK
	chmod +x "$T/hook"
	bundle_config "$T/b" '.hooks = {
		prestart: [{path: $h, args: [$h, "prestart", $log]}],
		createRuntime: [{path: $h, args: [$h, "createRuntime", $log]}]}' \
		--arg h "$T/hook" --arg log "$T/hooks.log"
	run_file "${R[@]}" restore -d --image-path "$T/img" --bundle "$T/b" c1
	assert_status 0
	pid=$(state_field c1 pid)
	[ "$(cat "$T/hooks.log")" = "prestart creating $pid c1
createRuntime creating $pid c1" ] || fail "hooks: $(cat "$T/hooks.log"), pid $pid"
}

@test "a failed criu restore leaves no container, cgroup or mount behind" {
	need_criu
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	wait_counter 2
	run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 0
	rm "$T/img"/pstree.img
	run "${R[@]}" restore -d --image-path "$T/img" --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "restore of container 'c1' failed: criu restore:"
	assert_output_contains "$T/img/restore.log"
	run "${R[@]}" state c1
	assert_status 1
	cg=$(jq -r .linux.cgroupsPath "$T/b/config.json")
	[ ! -d "/sys/fs/cgroup/memory$cg" ] || fail "cgroup $cg left behind"
	! grep -q criu-root /proc/self/mountinfo || fail "criu-root still mounted"
}

@test "checkpoint --pre-dump needs memory tracking: done, or a clear error" {
	need_criu
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	wait_counter 1
	run "${R[@]}" checkpoint --pre-dump --image-path "$T/pre" c1
	if "$CRIU_BIN" check --feature mem_dirty_track >/dev/null 2>&1; then
		assert_status 0
		[ "$(state_field c1 status)" = running ]
	else
		assert_status 1
		assert_one_line
		assert_output_contains "--pre-dump: criu '$CRIU_BIN' cannot track memory changes"
		[ "$(state_field c1 status)" = running ]
	fi
}

@test "no criu: one line naming the binary, and the container goes on" {
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	OCI_RUN_CRIU=$T/no-such-criu run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 1
	assert_one_line
	assert_output_contains "criu not found: '$T/no-such-criu' (OCI_RUN_CRIU)"
	[ "$(state_field c1 status)" = running ]
	run "${R[@]}" --criu "$T/no-such-criu" checkpoint c1
	assert_status 1
	assert_output_contains "'$T/no-such-criu' (--criu)"
	# restore checks criu too, once it has an image to give it
	mkdir "$T/img2" && touch "$T/img2/inventory.img"
	OCI_RUN_CRIU=$T/no-such-criu run "${R[@]}" restore -d --image-path "$T/img2" --bundle "$T/b" c2
	assert_status 1
	assert_one_line
	assert_output_contains "criu not found"
	[ ! -e "$T/state/c2" ] || fail "c2 was created"
	# no criu in PATH either
	PATH=/nonexistent OCI_RUN_CRIU= run "$OCI_TEST_BIN/oci-run" --root "$T/state" checkpoint c1
	if [ ! -x /usr/sbin/criu ] && [ ! -x /sbin/criu ]; then
		assert_status 1
		assert_output_contains "criu not found in PATH"
	fi
}

@test "a criu too old or failing its check is named with what criu check said" {
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	fake_criu 3.10 x
	OCI_RUN_CRIU=$T/fake-criu run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 1
	assert_one_line
	assert_output_contains "criu '$T/fake-criu' is too old (3.10; 3.15 or later needed)"
	fake_criu 3.17.1 "vdso: Unexpected rt vDSO area bounds"
	OCI_RUN_CRIU=$T/fake-criu run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 1
	assert_one_line
	assert_output_contains "criu '$T/fake-criu' (3.17.1) does not work on this kernel: criu check: vdso: Unexpected rt vDSO area bounds"
	[ "$(state_field c1 status)" = running ]
	# Debian 12's criu on a kernel it does not know says the same
	if [ -x /usr/sbin/criu ] && ! /usr/sbin/criu check >/dev/null 2>&1; then
		OCI_RUN_CRIU=/usr/sbin/criu run "${R[@]}" checkpoint --image-path "$T/img" c1
		assert_status 1
		assert_one_line
		assert_output_contains "criu '/usr/sbin/criu' ("
		assert_output_contains "does not work on this kernel: criu check:"
	fi
}

@test "restore without a checkpoint, or to an id in use, fails before criu runs" {
	mkdir "$T/empty"
	run "${R[@]}" restore -d --image-path "$T/empty" --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "no checkpoint in '$T/empty' (no inventory.img)"
	run "${R[@]}" restore -d --image-path "$T/missing" --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "--image-path: '$T/missing' is not a directory"
	[ ! -e "$T/state/c1" ] || fail "c1 was created"
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	pid=$(state_field c1 pid)
	mkdir "$T/img" && touch "$T/img/inventory.img"
	run "${R[@]}" restore -d --image-path "$T/img" --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "container 'c1' already exists"
	[ "$(state_field c1 pid)" = "$pid" ] && [ "$(state_field c1 status)" = running ]
	run "${R[@]}" restore -d --image-path "$T/img" --bundle "$T/nobundle" c9
	assert_status 1
	assert_output_contains "$T/nobundle"
}

@test "checkpoint of a container that is not running, or missing, fails naming it" {
	run "${R[@]}" checkpoint nosuch
	assert_status 1
	assert_one_line
	assert_output_contains "container 'nosuch' does not exist"
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 0
	run "${R[@]}" checkpoint --image-path "$T/img" c1
	assert_status 1
	assert_one_line
	assert_output_contains "cannot checkpoint container 'c1': it is created"
}

@test "checkpoint and restore take runc's long options with one dash (containerd's -no-subreaper)" {
	mkdir "$T/empty"
	# as containerd's shim passes them; the options are taken, the empty
	# image directory is what fails
	run "${R[@]}" restore -image-path "$T/empty" -work-path "$T/w" --detach -no-subreaper \
		-bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "no checkpoint in '$T/empty' (no inventory.img)"
	run "${R[@]}" restore -d -b "$T/b" -image-path "$T/empty" c1
	assert_status 1
	assert_output_contains "no checkpoint in '$T/empty'"
	run "${R[@]}" checkpoint -leave-running -image-path "$T/img" c9
	assert_status 1
	assert_one_line
	assert_output_contains "'c9'"
	run "${R[@]}" checkpoint -no-subreaper c9
	assert_status 2
	assert_output_contains "checkpoint: unknown option '--no-subreaper'"
}

@test "checkpoint and restore: bad usage exits 2" {
	run "${R[@]}" checkpoint
	assert_status 2
	assert_output_contains "checkpoint: needs exactly one container id"
	run "${R[@]}" checkpoint --manage-cgroups-mode bogus c1
	assert_status 2
	assert_output_contains "'bogus' is not soft, full, strict or ignore"
	run "${R[@]}" checkpoint --bundle "$T/b" c1
	assert_status 2
	assert_output_contains "checkpoint: unknown option '--bundle'"
	run "${R[@]}" restore --leave-running c1
	assert_status 2
	assert_output_contains "restore: unknown option '--leave-running'"
	run "${R[@]}" restore --no-such-flag c1
	assert_status 2
	run "${R[@]}" restore -no-such-flag c1
	assert_status 2
	run "${R[@]}" checkpoint --help
	assert_status 0
	assert_output_contains "--leave-running"
}
