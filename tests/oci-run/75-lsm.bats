#!/usr/bin/env bats
# oci-run: AppArmor profiles and SELinux labels. Where the host has neither
# module, asking for one is a one-line error and leaves nothing behind; the
# writing of the labels themselves is unit-tested (tests/unit/oci-run/test-lsm).
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	CG=$(jq -r .linux.cgroupsPath "$T/b/config.json")
}

teardown() {
	cleanup_containers
	common_teardown
}

apparmor_on() { [ "$(cat /sys/module/apparmor/parameters/enabled 2>/dev/null)" = Y ]; }
selinux_on() { [ "$(stat -f -c %T /sys/fs/selinux 2>/dev/null)" = selinux ]; }

# nothing of c1: no state folder, no cgroup, no process running the bundle
assert_nothing_left() {
	[ ! -e "$T/state/c1" ] || fail "state folder left: $(ls -la "$T/state/c1")"
	local d
	for d in /sys/fs/cgroup/*"$CG" /sys/fs/cgroup/unified"$CG"; do
		[ ! -d "$d" ] || fail "cgroup left: $d"
	done
	! pgrep -f "$T/b" >/dev/null || fail "a process is left: $(pgrep -af "$T/b")"
}

@test "features reports apparmor and selinux as this host has them" {
	run oci-run features
	assert_status 0
	aa=$(jq -r .linux.apparmor.enabled <<<"$output")
	se=$(jq -r .linux.selinux.enabled <<<"$output")
	if apparmor_on; then [ "$aa" = true ] || fail "apparmor: $aa"; else [ "$aa" = false ] || fail "apparmor: $aa"; fi
	if selinux_on; then [ "$se" = true ] || fail "selinux: $se"; else [ "$se" = false ] || fail "selinux: $se"; fi
}

@test "process.apparmorProfile without AppArmor: a clear error, exit 1, nothing left" {
	apparmor_on && skip "AppArmor is enabled on this host"
	bundle_config "$T/b" '.process.apparmorProfile = "oci-test-profile"'
	bundle_args "$T/b" true
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "oci-run: error:"
	assert_output_contains "process.apparmorProfile: 'oci-test-profile'"
	assert_output_contains "AppArmor is not enabled"
	assert_nothing_left
	# create as well
	run "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "AppArmor is not enabled"
	assert_nothing_left
}

@test "process.selinuxLabel without SELinux: a clear error, exit 1, nothing left" {
	selinux_on && skip "SELinux is enabled on this host"
	bundle_config "$T/b" '.process.selinuxLabel = "system_u:system_r:container_t:s0"'
	bundle_args "$T/b" true
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "process.selinuxLabel: 'system_u:system_r:container_t:s0'"
	assert_output_contains "SELinux is not enabled"
	assert_nothing_left
}

@test "linux.mountLabel without SELinux: a clear error, exit 1, nothing left" {
	selinux_on && skip "SELinux is enabled on this host"
	bundle_config "$T/b" '.linux.mountLabel = "system_u:object_r:container_file_t:s0"'
	bundle_args "$T/b" true
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.mountLabel:"
	assert_output_contains "SELinux is not enabled"
	assert_nothing_left
}

@test "empty apparmorProfile and selinuxLabel ask for nothing" {
	bundle_config "$T/b" '.process.apparmorProfile = "" | .process.selinuxLabel = "" | .linux.mountLabel = ""'
	run_in "$T/b" echo fine
	assert_status 0
	[ "$output" = fine ] || fail "$output"
}

@test "exec --process with an apparmorProfile without AppArmor: a clear error, the container runs on" {
	apparmor_on && skip "AppArmor is enabled on this host"
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	jq '.process | .args = ["true"] | .apparmorProfile = "oci-test-profile"' "$T/b/config.json" >"$T/p.json"
	run "${R[@]}" exec --process "$T/p.json" c1
	assert_status 1
	assert_one_line
	assert_output_contains "AppArmor is not enabled"
	run "${R[@]}" state c1
	assert_status 0
	[ "$(jq -r .status <<<"$output")" = running ] || fail "$output"
}
