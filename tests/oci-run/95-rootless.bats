#!/usr/bin/env bats
# oci-run as an unprivileged user (rootless): `spec --rootless`, a user
# namespace with the caller mapped to root, state under $XDG_RUNTIME_DIR.
load ../lib/common
load ../lib/bundle

RUID=1000

setup() {
	common_setup
	chmod 755 "$T"
	make_bundle "$T/b"
	rm "$T/b/config.json"
	mkdir -p "$T/xdg"
	chown -R "$RUID:$RUID" "$T/b" "$T/xdg"
	AS_USER=(setpriv --reuid "$RUID" --regid "$RUID" --clear-groups
		env "XDG_RUNTIME_DIR=$T/xdg" "HOME=$T/xdg" "PATH=$PATH")
	(cd "$T/b" && "${AS_USER[@]}" oci-run spec --rootless)
	bundle_config "$T/b" '.process.terminal = false'
	chown "$RUID" "$T/b/config.json"
}

teardown() {
	cleanup_containers "$T/xdg/oci-run"
	common_teardown
}

@test "rootless: the caller is root in the container, files stay the caller's" {
	bundle_args "$T/b" sh -c 'id -u; cat /proc/self/uid_map; echo x >/tmp/made; cat /proc/self/setgroups'
	bundle_config "$T/b" '.root.readonly = false'
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "$output"
	assert_output_matches "0 +$RUID +1"
	[ "$(stat -c %u "$T/b/rootfs/tmp/made")" = "$RUID" ]
	assert_output_contains deny
	[ -d "$T/xdg/oci-run" ] || fail "state not under XDG_RUNTIME_DIR"
}

@test "rootless: create, start, exec, state, delete" {
	bundle_args "$T/b" sleep 30
	"${AS_USER[@]}" oci-run create --bundle "$T/b" c1 >/dev/null 2>&1
	run "${AS_USER[@]}" oci-run state c1
	assert_status 0
	[ "$(jq -r .status <<<"$output")" = created ]
	"${AS_USER[@]}" oci-run start c1
	run "${AS_USER[@]}" oci-run exec c1 sh -c 'id -u; hostname'
	assert_status 0
	[ "${lines[0]}" = 0 ] || fail "$output"
	run "${AS_USER[@]}" oci-run list
	assert_output_matches "c1 +[0-9]+ +running .* $RUID"
	run "${AS_USER[@]}" oci-run delete --force c1
	assert_status 0
	[ ! -e "$T/xdg/oci-run/c1" ]
}

@test "rootless: the same view as runc --rootless" {
	bundle_args "$T/b" sh -c 'id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map; ls /sys/class/net'
	run "${AS_USER[@]}" oci-run run --bundle "$T/b" c1
	assert_status 0
	mine=$output
	bundle_config "$T/b" '.ociVersion = "1.0.2-dev"'
	chown "$RUID" "$T/b/config.json"
	run "${AS_USER[@]}" runc --root "$T/xdg/runc" run --bundle "$T/b" r1
	assert_status 0
	[ "$mine" = "$output" ] || fail "oci-run: $mine; runc: $output"
}
