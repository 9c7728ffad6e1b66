#!/usr/bin/env bats
# oci-run as an unprivileged user with subordinate ids (crun's "automatically
# create user namespace"): a config without a user namespace gets one with
# the caller at 0 and its /etc/subuid and /etc/subgid ranges from 1 (through
# newuidmap/newgidmap), the caller alone when it has none, and explicit
# multi-range mappings written by the helpers, with one-line errors.
#
# The tests edit the host's /etc/subuid and /etc/subgid through
# tests/lib/subid.bash (a lock, a copy, the originals put back).
load ../lib/common
load ../lib/bundle
load ../lib/subid

RUID=1000

setup() {
	common_setup
	subid_save || return 1
	chmod 755 "$T"
	OCI_RUN=$(command -v oci-run)
	UNAME=$(id -nu "$RUID")
	make_bundle "$T/b"
	rm "$T/b/config.json"
	mkdir -p "$T/xdg"
	chown -R "$RUID:$RUID" "$T/b" "$T/xdg"
	AS_USER=(setpriv --reuid "$RUID" --regid "$RUID" --clear-groups
		env "XDG_RUNTIME_DIR=$T/xdg" "HOME=$T/xdg" "PATH=$PATH")
	(cd "$T/b" && "${AS_USER[@]}" oci-run spec --rootless)
	# what crun's automatic user namespace is for: a config with none, and
	# root that may chown
	bundle_config "$T/b" '.process.terminal = false | .root.readonly = false
		| .linux.namespaces |= map(select(.type != "user"))
		| del(.linux.uidMappings, .linux.gidMappings)
		| .process.capabilities[] += ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER"]'
	chown "$RUID" "$T/b/config.json"
}

teardown() {
	cleanup_containers "$T/xdg/oci-run"
	local rc=0
	subid_restore || rc=1
	common_teardown
	[ $rc -eq 0 ] || fail "could not restore /etc/subuid and /etc/subgid from '$SUBID_SAVE'"
}

# maps_of OUTPUT-LINES: the uid_map/gid_map lines with single spaces.
squeeze() {
	tr -s ' \t' ' ' | sed 's/^ //'
}

@test "rootless without a user namespace: one is made, caller at 0, subordinate ids from 1" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$UNAME:300000:65536"
	bundle_args "$T/b" sh -c 'id -u; id -g; echo U; cat /proc/self/uid_map; echo G
		cat /proc/self/gid_map; touch /tmp/made; chown 1:1 /tmp/made
		touch /tmp/top; chown 65536:65536 /tmp/top; cat /proc/self/setgroups'
	run "${AS_USER[@]}" oci-run --debug --log "$T/xdg/log" run --bundle "$T/b" c1
	assert_status 0
	[ "${lines[0]}" = 0 ] && [ "${lines[1]}" = 0 ] || fail "$output"
	maps=$(printf '%s\n' "$output" | sed -n '/^U$/,/^allow\|^deny/p' | squeeze)
	[ "$maps" = "U
0 $RUID 1
1 200000 65536
G
0 $RUID 1
1 300000 65536
allow" ] || fail "maps: $maps"
	# chowned inside to 1 and to the last id: host ids of the ranges
	[ "$(stat -c %u:%g "$T/b/rootfs/tmp/made")" = 200000:300000 ]
	[ "$(stat -c %u:%g "$T/b/rootfs/tmp/top")" = 265535:365535 ]
	grep -q "the config has no user namespace: making one" "$T/xdg/log"
	grep -q "uid $RUID at 0 and 65536 subordinate uids of user '$UNAME' (uid $RUID) from /etc/subuid at 1 (through '/usr/bin/newuidmap')" "$T/xdg/log"
}

@test "rootless, several ranges by name and by uid: they follow one another from 1" {
	subid_set /etc/subuid "# test ranges" "$UNAME:200000:10" "nosuchuser:1:5" "$RUID:300000:20"
	subid_set /etc/subgid "$RUID:400000:5"
	bundle_args "$T/b" sh -c 'cat /proc/self/uid_map /proc/self/gid_map'
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | squeeze)" = "0 $RUID 1
1 200000 10
11 300000 20
0 $RUID 1
1 400000 5" ] || fail "$output"
}

@test "rootless without subordinate ids: the caller alone, said at --debug" {
	subid_set /etc/subuid "nosuchuser:200000:65536"
	bundle_args "$T/b" sh -c 'id -u; cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups; chown 1 /tmp 2>&1 || echo chown-failed'
	run "${AS_USER[@]}" oci-run --debug --log "$T/xdg/log" run --bundle "$T/b" c1
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "$output"
	[ "$(printf '%s\n' "$output" | grep -E '^ +[0-9]' | squeeze)" = "0 $RUID 1
0 $RUID 1" ] || fail "$output"
	assert_output_contains deny
	assert_output_contains chown-failed
	run cat "$T/xdg/log"
	assert_output_contains "no subordinate uids for user '$UNAME' (uid $RUID) in /etc/subuid: only uid $RUID is mapped"
	assert_output_contains "no subordinate gids for user '$UNAME' (uid $RUID) in /etc/subgid"
	# no error, no warning without --debug
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c2
	assert_status 0
	[[ "$output" != *oci-run:* ]] || fail "$output"
}

@test "rootless, newuidmap and newgidmap not in PATH: the caller alone, said at --debug" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$RUID:200000:65536"
	bundle_args "$T/b" cat /proc/self/uid_map /proc/self/gid_map
	run setpriv --reuid "$RUID" --regid "$RUID" --clear-groups env "XDG_RUNTIME_DIR=$T/xdg" \
		"HOME=$T/xdg" PATH=/nonexistent "$OCI_RUN" --debug run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -E '^ +[0-9]' | squeeze)" = "0 $RUID 1
0 $RUID 1" ] || fail "$output"
	assert_output_contains "has subordinate uids in /etc/subuid but 'newuidmap' is not in PATH"
	assert_output_contains "'newgidmap' is not in PATH"
}

@test "rootless, a helper that refuses the ranges oci-run chose: the caller alone, with a warning" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$RUID:200000:65536"
	mkdir "$T/fakebin"
	printf '#!/bin/sh\necho "newuidmap: not today" >&2\nexit 1\n' >"$T/fakebin/newuidmap"
	chmod 755 "$T/fakebin" "$T/fakebin/newuidmap"
	bundle_args "$T/b" cat /proc/self/uid_map /proc/self/gid_map
	run setpriv --reuid "$RUID" --regid "$RUID" --clear-groups env "XDG_RUNTIME_DIR=$T/xdg" \
		"HOME=$T/xdg" "PATH=$T/fakebin:$PATH" oci-run run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -E '^ +[0-9]' | squeeze)" = "0 $RUID 1
0 $RUID 1
1 200000 65536" ] || fail "$output"
	assert_output_contains "oci-run: warning: rootless: the subordinate uids of user '$UNAME' (uid $RUID) in /etc/subuid: '$T/fakebin/newuidmap' refused them: newuidmap: not today; mapping only uid $RUID"
}

@test "rootless with a user namespace but no mappings: the same defaults" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$RUID:200000:65536"
	bundle_config "$T/b" '.linux.namespaces += [{"type": "user"}]'
	bundle_args "$T/b" cat /proc/self/uid_map
	run "${AS_USER[@]}" oci-run --debug run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -E '^ +[0-9]' | squeeze)" = "0 $RUID 1
1 200000 65536" ] || fail "$output"
	[[ "$output" != *"making one"* ]] || fail "a second user namespace: $output"
}

@test "rootless: exec joins the user namespace that was made" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$RUID:200000:65536"
	bundle_args "$T/b" sleep 60
	"${AS_USER[@]}" oci-run create --bundle "$T/b" c1 >/dev/null 2>&1
	"${AS_USER[@]}" oci-run start c1
	run "${AS_USER[@]}" oci-run exec c1 sh -c 'id -u; cat /proc/self/uid_map'
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "$output"
	[ "$(printf '%s\n' "$output" | grep -E '^ +[0-9]' | squeeze)" = "0 $RUID 1
1 200000 65536" ] || fail "$output"
	pid=$("${AS_USER[@]}" oci-run state c1 | jq -r .pid)
	[ "$(readlink /proc/$pid/ns/user)" != "$(readlink /proc/self/ns/user)" ]
	run "${AS_USER[@]}" oci-run delete --force c1
	assert_status 0
}

@test "rootless, explicit multi-range mappings: written by newuidmap and newgidmap" {
	subid_set /etc/subuid "$UNAME:200000:65536" "$RUID:400000:100"
	subid_set /etc/subgid "$RUID:300000:65536"
	bundle_config "$T/b" '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1},
			{"containerID": 1, "hostID": 200000, "size": 1000},
			{"containerID": 5000, "hostID": 400000, "size": 100}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1},
			{"containerID": 1, "hostID": 300000, "size": 65536}]'
	bundle_args "$T/b" sh -c 'cat /proc/self/uid_map /proc/self/gid_map; touch /tmp/x; chown 5001:2 /tmp/x'
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | squeeze)" = "0 $RUID 1
1 200000 1000
5000 400000 100
0 $RUID 1
1 300000 65536" ] || fail "$output"
	[ "$(stat -c %u:%g "$T/b/rootfs/tmp/x")" = 400001:300001 ]
}

@test "rootless, explicit mappings not given in /etc/subuid: one-line error naming the file, helper and user" {
	subid_set /etc/subuid "$RUID:200000:10"
	subid_set /etc/subgid "$RUID:300000:65536"
	bundle_config "$T/b" '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1},
			{"containerID": 1, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
	bundle_args "$T/b" true
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_matches "^oci-run: error: .*linux\.uidMappings: user '$UNAME' \(uid $RUID\) may not map these uids \(see /etc/subuid\): '/usr/bin/newuidmap' refused them: .*newuidmap"
	[ ! -e "$T/xdg/oci-run/c1" ] || fail "state left behind"
	# the same for the gids
	bundle_config "$T/b" '.linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1},
			{"containerID": 1, "hostID": 500000, "size": 10}]'
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.gidMappings: user '$UNAME' (uid $RUID) may not map these gids (see /etc/subgid): '/usr/bin/newgidmap' refused them"
}

@test "rootless, explicit multi-range mappings without newuidmap in PATH: one-line error" {
	subid_set /etc/subuid "$RUID:200000:65536"
	subid_set /etc/subgid "$RUID:200000:65536"
	bundle_config "$T/b" '.linux.namespaces += [{"type": "user"}]
		| .linux.uidMappings = [{"containerID": 0, "hostID": 1000, "size": 1},
			{"containerID": 1, "hostID": 200000, "size": 65536}]
		| .linux.gidMappings = [{"containerID": 0, "hostID": 1000, "size": 1}]'
	bundle_args "$T/b" true
	run setpriv --reuid "$RUID" --regid "$RUID" --clear-groups env "XDG_RUNTIME_DIR=$T/xdg" \
		"HOME=$T/xdg" PATH=/nonexistent "$OCI_RUN" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.uidMappings: user '$UNAME' (uid $RUID) maps more than its own uid, which takes 'newuidmap' (package uidmap), and it is not in PATH"
	[ ! -e "$T/xdg/oci-run/c1" ] || fail "state left behind"
}

@test "root: no user namespace is made, and a new one needs its mappings" {
	subid_set /etc/subuid "root:200000:65536"
	bundle_args "$T/b" cat /proc/self/uid_map
	run oci-run --root "$T/state" run --bundle "$T/b" c1
	assert_status 0
	[ "$(printf '%s\n' "$output" | squeeze)" = "0 0 4294967295" ] || fail "$output"
	bundle_config "$T/b" '.linux.namespaces += [{"type": "user"}]'
	run oci-run --root "$T/state" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "config.json: linux.uidMappings: a new user namespace needs uidMappings and gidMappings"
	cleanup_containers "$T/state"
}
