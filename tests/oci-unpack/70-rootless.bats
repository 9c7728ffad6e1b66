#!/usr/bin/env bats
# oci-unpack as an unprivileged user (uid 1000, its own store under its
# XDG_DATA_HOME), as umoci --rootless: files stay the caller's with the
# image's owners in user.rootlesscontainers, devices are skipped with a
# warning, config.json has a user namespace with the maps; overlay bundles
# keep user.overlay.opaque and char 0/0 whiteouts in the store and let the
# runtime mount the overlay (userxattr) in the container's user namespace.
# Every bundle is then run by oci-run as the same user.
load ../lib/common
load ../lib/bundle
load unpack-helpers
load ../lib/subid

RUID=1000
ROOTLESS_TREE="$OCI_TEST_TOP/tests/oci-unpack/rootless-tree.py"
# /etc/subuid and /etc/subgid are edited through tests/lib/subid.bash (the
# lock tests/oci-run/96-rootless-userns.bats takes too; put back byte for byte)

setup() {
	common_setup
	chmod 755 "$T"
	# everything of the user's: home (store), runtime dir, images, bundles
	W=$T/w
	mkdir -p "$W/home" "$W/run" "$W/img"
	local i
	for i in tiny layered special; do
		cp -a "$OCI_TEST_FIXTURES/$i" "$W/img/"
	done
	chown -R "$RUID:$RUID" "$W"
	STORE=$W/home/.local/share/oci-tools
	AS_USER=(setpriv --reuid "$RUID" --regid "$RUID" --clear-groups
		env -u OCI_ROOT "HOME=$W/home" "XDG_DATA_HOME=$W/home/.local/share"
		"XDG_CONFIG_HOME=$W/home/.config" "XDG_RUNTIME_DIR=$W/run" "PATH=$PATH")
}

teardown() {
	cleanup_containers "$W/run/oci-run"
	local rc=0
	subid_restore || rc=1
	unpack_teardown
	[ $rc -eq 0 ] || fail "could not restore /etc/subuid and /etc/subgid from '$SUBID_SAVE'"
}

# expected NAME: the fixture's expected tree without its device nodes.
expected() {
	/usr/bin/python3 "$TREE_LIST" --exclude /dev/null --exclude /dev/zero \
		--exclude /dev/loop-test --expected "$OCI_TEST_FIXTURES/$1.expected"
}

# user_args BUNDLE ARG...: process.args (and root as the process user: the
# caller is the only uid mapped), config.json staying the user's.
user_args() {
	local b=$1
	shift
	bundle_args "$b" "$@"
	bundle_config "$b" '.process.user = {"uid": 0, "gid": 0}'
	chown "$RUID:$RUID" "$b/config.json"
}

@test "rootless --flat: the trees of tiny, layered and special, owners in user.rootlesscontainers as umoci writes them" {
	for i in tiny layered special; do
		run "${AS_USER[@]}" oci-unpack --flat "oci:$W/img/$i:latest" "$W/$i"
		assert_status 0
		[ "${lines[-1]}" = "$W/$i" ] || fail "$output"
		expected $i >"$T/$i.want"
		"${AS_USER[@]}" /usr/bin/python3 "$ROOTLESS_TREE" --owner "$RUID:$RUID" \
			"$W/$i/rootfs" >"$T/$i.got"
		diff -u "$T/$i.want" "$T/$i.got" || fail "$i: the tree differs"
	done
	# devices: one warning each, nothing made
	run "${AS_USER[@]}" oci-unpack --flat "oci:$W/img/special:latest" "$W/special2"
	assert_status 0
	for d in dev/null dev/zero dev/loop-test; do
		assert_output_matches "^oci-unpack: warning: layer sha256:[0-9a-f]{64}: skipping device '$d' \(rootless: device nodes cannot be created\)$"
	done
	[ -p "$W/special2/rootfs/run/fifo" ]
	[ -z "$(find "$W/special2/rootfs" -type c -o -type b)" ] || fail "a device was made"
	# byte for byte what umoci --rootless records
	"${AS_USER[@]}" umoci unpack --rootless --image "$W/img/layered:latest" "$W/umoci" 2>/dev/null
	"${AS_USER[@]}" /usr/bin/python3 "$ROOTLESS_TREE" --owner "$RUID:$RUID" \
		"$W/umoci/rootfs" >"$T/umoci.got"
	diff -u "$T/umoci.got" "$T/layered.got" || fail "umoci's tree differs"
	run /usr/bin/python3 -c 'import os, sys
print(os.getxattr(sys.argv[1], "user.rootlesscontainers").hex(),
      os.getxattr(sys.argv[2], "user.rootlesscontainers").hex())' \
		"$W/layered/rootfs/home/app/owned.txt" "$W/umoci/rootfs/home/app/owned.txt"
	[ "$output" = "08e80710e807 08e80710e807" ] || fail "$output"
}

@test "rootless: config.json has runc spec --rootless's defaults, a user namespace and the maps" {
	run "${AS_USER[@]}" oci-unpack --flat "oci:$W/img/tiny:latest" "$W/b"
	assert_status 0
	c=$W/b/config.json
	validate_json runtime-spec/config-schema.json "$c"
	[ "$(jq -c '[.linux.namespaces[].type] | sort' "$c")" = '["cgroup","ipc","mount","pid","user","uts"]' ]
	[ "$(jq -c '.linux.uidMappings, .linux.gidMappings' "$c")" = '[{"containerID":0,"hostID":1000,"size":1}]
[{"containerID":0,"hostID":1000,"size":1}]' ]
	[ "$(jq -r '.mounts[] | select(.destination == "/sys") | .source' "$c")" = /sys ]
	jq -e '[.mounts[].options[]? | select(startswith("gid="))] | length == 0' "$c" >/dev/null ||
		fail "a gid= option is left: $(jq -c .mounts "$c")"
	# umoci's container:host[:size], several ranges, kept in order (an
	# overlay bundle: the maps go to config.json only)
	run "${AS_USER[@]}" oci-unpack --uid-map 0:1000 --uid-map 1:200000:65536 \
		--gid-map 0:1000:1 --gid-map 1:300000:65536 "oci:$W/img/layered:latest" "$W/l"
	assert_status 0
	[[ "$output" != *warning* ]] || fail "$output"
	[ "$(jq -c '.linux.uidMappings' "$W/l/config.json")" = '[{"containerID":0,"hostID":1000,"size":1},{"containerID":1,"hostID":200000,"size":65536}]' ]
	[ "$(jq -c '.linux.gidMappings' "$W/l/config.json")" = '[{"containerID":0,"hostID":1000,"size":1},{"containerID":1,"hostID":300000,"size":65536}]' ]
	[ "$(jq -c '.process.user' "$W/l/config.json")" = '{"gid":1000,"uid":1000}' ]
	# the image's user outside the default maps: said, not fatal
	run "${AS_USER[@]}" oci-unpack --flat "oci:$W/img/layered:latest" "$W/l2"
	assert_status 0
	assert_output_contains "oci-unpack: warning: the image's user 1000:1000 is not in the uid and gid maps"
	# bad maps: usage errors
	for m in 0 0:1000:0 a:1:1 0:1:2:3 "0:4294967295:2"; do
		run "${AS_USER[@]}" oci-unpack --flat --uid-map "$m" "oci:$W/img/tiny:latest" "$W/bad"
		assert_status 2
		assert_output_contains "'$m'"
		[ ! -e "$W/bad" ]
	done
}

@test "rootless overlay: the caller's store keeps user.overlay.opaque and 0/0 whiteouts; seen through the overlay in a user namespace it is the image" {
	for i in tiny layered special; do
		run "${AS_USER[@]}" oci-unpack "oci:$W/img/$i:latest" "$W/$i"
		assert_status 0
		[ "${lines[-1]}" = "$W/$i" ] || fail "$output"
		# nothing mounted on the host
		! grep -qF " $W/$i/rootfs " /proc/self/mountinfo || fail "mounted on the host"
		c=$W/$i/config.json
		validate_json runtime-spec/config-schema.json "$c"
		[ "$(jq -r '.mounts[0] | .destination + " " + .type' "$c")" = "/ overlay" ]
		jq -e '.mounts[0].options | index("userxattr")' "$c" >/dev/null
		[ "$(jq -r '.mounts[0].options[] | select(startswith("upperdir="))' "$c")" = "upperdir=$W/$i/upper" ]
		# the tree, in a user namespace of the caller's where it is root
		opts=$(jq -r '.mounts[0].options | join(",")' "$c")
		expected $i >"$T/$i.want"
		"${AS_USER[@]}" unshare -Urm sh -c 'mount -t overlay overlay -o "$1" "$2" &&
			/usr/bin/python3 "$3" --owner 0:0 "$2"' sh "$opts" "$W/$i/rootfs" "$ROOTLESS_TREE" \
			>"$T/$i.got"
		diff -u "$T/$i.want" "$T/$i.got" || fail "$i: the overlay's tree differs"
	done
	[ -f "$STORE/layers/rootless" ] || fail "the store is not marked rootless"
	# the store's form: a 0/0 character device for each whiteout, user.
	# opaque, no trusted. xattr, every file the caller's
	[ "$(find "$STORE/layers" -path '*/diff/usr/bin/wget' -type c -printf '%u %Y %s\n' | head -1)" = "$(id -nu $RUID) c 0" ] ||
		fail "no whiteout device for /usr/bin/wget"
	dev=$(find "$STORE/layers" -path '*/diff/usr/bin/wget' -type c | head -1)
	[ "$(stat -c '%t:%T' "$dev")" = 0:0 ]
	found=
	for d in "$STORE"/layers/*/diff/opt/app/opaque; do
		[ "$(xattr_get user.overlay.opaque "$d")" = y ] && found=1
		[ -z "$(xattr_get trusted.overlay.opaque "$d")" ] || fail "trusted xattr in $d"
	done
	[ -n "$found" ] || fail "no user.overlay.opaque"
	[ -z "$(find "$STORE/layers" ! -user "$RUID" | head -3)" ] || fail "files not the caller's"
}

@test "rootless bundles run with oci-run as the same user: overlay and --flat, root's files are uid 0 inside" {
	for mode in overlay flat; do
		f=
		[ $mode = flat ] && f=--flat
		for i in tiny layered special; do
			b=$W/$mode-$i
			run "${AS_USER[@]}" oci-unpack $f "oci:$W/img/$i:latest" "$b"
			assert_status 0
			user_args "$b" sh -c 'id -u; stat -c "%u:%g %a %n" /bin/busybox /etc/passwd
				[ -e /opt/app ] && stat -c "%u:%g %a %n" /opt/app/setuid-bin /home/app/owned.txt
				ls /opt/app/opaque 2>/dev/null; [ -L /usr/bin/wget ] && echo has-wget
				[ -p /run/fifo ] && echo fifo; echo x >/dev/null && echo devnull
				echo made >/made; rm /bin/true; cat /proc/self/uid_map'
			run "${AS_USER[@]}" oci-run run --bundle "$b" "c-$mode-$i"
			assert_status 0
			[ "${lines[0]}" = 0 ] || fail "$mode $i: $output"
			assert_output_contains "0:0 755 /bin/busybox"
			assert_output_contains "0:0 644 /etc/passwd"
			assert_output_matches "^ +0 +$RUID +1$"
			assert_output_contains devnull
			case $i in
			layered)
				assert_output_contains "0:0 4755 /opt/app/setuid-bin"
				# the only uid mapped is the caller's: the image's 1000 is 0 too
				assert_output_contains "0:0 640 /home/app/owned.txt"
				assert_output_contains new.txt
				[[ "$output" != *has-wget* ]] || fail "$mode: the whiteout of wget is not applied"
				;;
			special)
				assert_output_contains fifo
				assert_output_contains has-wget
				;;
			esac
			if [ $i = tiny ]; then
				# the same bundle with runc --rootless's runtime
				run "${AS_USER[@]}" runc --root "$W/run/runc" run --bundle "$b" "r-$mode"
				assert_status 0
				[ "${lines[0]}" = 0 ] || fail "runc, $mode: $output"
				assert_output_contains "0:0 755 /bin/busybox"
			fi
			if [ $mode = overlay ]; then
				[ "$(stat -c %u "$b/upper/made")" = $RUID ]
				[ "$(stat -c '%F %t:%T' "$b/upper/bin/true")" = "character special file 0:0" ]
			else
				[ "$(stat -c %u "$b/rootfs/made")" = $RUID ]
				[ ! -e "$b/rootfs/bin/true" ] && [ ! -L "$b/rootfs/bin/true" ]
			fi
		done
	done
}

@test "rootless overlay: diff, mount, umount, rm and gc as the user" {
	b=$W/b
	run "${AS_USER[@]}" oci-unpack "oci:$W/img/layered:latest" "$b"
	assert_status 0
	user_args "$b" sh -c 'echo new >/opt/app/added; rm /opt/app/hello.txt; rm -r /opt/app/opaque
		mkdir /opt/app/opaque; echo n >/opt/app/opaque/only'
	run "${AS_USER[@]}" oci-run run --bundle "$b" c1
	assert_status 0
	run "${AS_USER[@]}" oci-unpack diff -o "$W/d.tar" "$b"
	assert_status 0
	run tar -tvf "$W/d.tar" --numeric-owner
	assert_output_matches " 0/0 +4 .* opt/app/added$"
	assert_output_contains "opt/app/.wh.hello.txt"
	assert_output_contains "opt/app/opaque/.wh..wh..opq"
	assert_output_contains "opt/app/opaque/only"
	[[ "$output" != *" $RUID/"* ]] || fail "the caller's uid is in the tar: $output"
	run "${AS_USER[@]}" oci-unpack mount "$b"
	assert_status 1
	assert_one_line
	assert_output_contains "is rootless: its overlay is mounted by the runtime"
	run "${AS_USER[@]}" oci-unpack umount "$b"
	assert_status 0
	run "${AS_USER[@]}" oci-unpack ls
	assert_status 0
	assert_output_contains "$b"
	run "${AS_USER[@]}" oci-unpack rm "$b"
	assert_status 0
	[ ! -e "$b" ]
	run "${AS_USER[@]}" oci-unpack -v gc
	assert_status 0
	assert_output_contains "removed 5 layers"
	[ -z "$(ls "$STORE/layers" | grep -E '^[0-9a-f]{64}$')" ] || fail "layers left: $(ls "$STORE/layers")"
}

@test "rootless: a store keeps its kind (root's trusted xattrs, or the caller's user xattrs)" {
	# a store root extracted, handed to the user: refused, naming it
	oci-unpack --store "$W/rootstore" "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/rb" >/dev/null
	oci-unpack rm "$T/rb"
	chown -R "$RUID:$RUID" "$W/rootstore"
	run "${AS_USER[@]}" oci-unpack --store "$W/rootstore" "oci:$W/img/tiny:latest" "$W/b"
	assert_status 1
	assert_one_line
	assert_output_contains "store '$W/rootstore/layers' holds layers extracted by root"
	[ ! -e "$W/b" ]
	# and root on a rootless store
	run "${AS_USER[@]}" oci-unpack "oci:$W/img/tiny:latest" "$W/b"
	assert_status 0
	run oci-unpack --store "$STORE" "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/rb2"
	assert_status 1
	assert_one_line
	assert_output_contains "holds layers extracted rootless"
	[ ! -e "$T/rb2" ]
	# --flat has no store: fine either way
	run oci-unpack --store "$STORE" --flat "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/rb3"
	assert_status 0
}

@test "rootless: root can make a rootless --flat bundle for a user (--rootless), not an overlay" {
	run oci-unpack --rootless --flat --uid-map 0:$RUID:1 --gid-map 0:$RUID:1 \
		"oci:$OCI_TEST_FIXTURES/layered:latest" "$W/rb"
	assert_status 0
	[ "$(stat -c %u:%g "$W/rb/rootfs/opt/app/hello.txt")" = "$RUID:$RUID" ]
	[ "$(stat -c %u:%g "$W/rb/rootfs/home/app/owned.txt")" = "$RUID:$RUID" ]
	[ "$(xattr_get user.rootlesscontainers "$W/rb/rootfs/home/app/owned.txt" | od -An -tx1 | tr -d ' \n')" = 08e80710e807 ]
	chown -R "$RUID:$RUID" "$W/rb"
	user_args "$W/rb" stat -c '%u %n' /opt/app/hello.txt
	run "${AS_USER[@]}" oci-run run --bundle "$W/rb" c1
	assert_status 0
	[ "$output" = "0 /opt/app/hello.txt" ] || fail "$output"
	run oci-unpack --rootless "oci:$OCI_TEST_FIXTURES/tiny:latest" "$W/rb2"
	assert_status 2
	assert_output_contains "--rootless as root needs --flat"
}

# Hostile layers (tests/fixtures/hostile/mkhostile.py and the evil fixture)
# as the user, with a sentinel the user could write to: refused, or kept
# inside the root.
@test "rootless: hostile layers stay refused or contained, and a refused one leaves nothing" {
	S=$W/sentinel
	mkdir -p "$S"
	echo original >"$S/target"
	chown -R "$RUID:$RUID" "$S"
	/usr/bin/python3 "$OCI_TEST_TOP/tests/fixtures/hostile/mkhostile.py" "$W/hostile" "$S"
	cp -a "$OCI_TEST_FIXTURES/evil" "$W/evil"
	chown -R "$RUID:$RUID" "$W/hostile" "$W/evil"
	snap() { find "$S" -printf '%p %y %s %n %i %T@\n' | sort; sha256sum "$S/target" /etc/passwd; }
	snap >"$T/before"
	for mode in "" --flat; do
		for c in dotdot absolute symlink-abs symlink-rel symlink-swap hardlink-passwd \
			hardlink-out symlink-loop devices huge-path bad-diffid; do
			run "${AS_USER[@]}" oci-unpack $mode "oci:$W/hostile/$c:latest" "$W/b-$c"
			snap >"$T/after"
			diff -u "$T/before" "$T/after" || fail "$c $mode: the sentinel changed"
			case $c in
			hardlink-* | symlink-loop | huge-path | bad-diffid)
				assert_status 1
				assert_one_line
				[ ! -e "$W/b-$c" ] || fail "$c $mode: a failed unpack left its bundle"
				;;
			dotdot | absolute | devices)
				assert_status 0
				;;
			esac
			if [ "$status" -ne 0 ]; then
				assert_status 1
				assert_one_line
				[ ! -e "$W/b-$c" ] || fail "$c $mode: a failed unpack left its bundle"
			fi
			if [ "$status" -eq 0 ]; then
				"${AS_USER[@]}" oci-unpack rm "$W/b-$c"
			fi
		done
		for ref in dotdot absolute symlink-same-layer symlink-next-layer hardlink-out \
			whiteout-through-symlink whiteout-dotdot; do
			run "${AS_USER[@]}" oci-unpack $mode "oci:$W/evil:$ref" "$W/e-$ref"
			[ ! -e "/tmp/oci-evil-canary/$ref.txt" ] ||
				fail "$ref $mode: wrote to /tmp/oci-evil-canary"
			if [ "$status" -eq 0 ]; then
				"${AS_USER[@]}" oci-unpack rm "$W/e-$ref"
			else
				assert_status 1
				assert_one_line
			fi
		done
	done
	# no incomplete layer left behind
	for d in "$STORE"/layers/*/; do
		case $d in */l/ | */bundles/) continue ;; esac
		[ -e "$d/complete" ] || fail "incomplete layer left: $d"
	done
}

@test "rootless --flat with subordinate ranges: extracted in a user namespace of the maps, the image's owners are real, the image's user runs" {
	subid_add "$RUID:200000:65536" "$RUID:300000:65536"
	maps=(--uid-map 0:$RUID:1 --uid-map 1:200000:65536 --gid-map 0:$RUID:1 --gid-map 1:300000:65536)
	run "${AS_USER[@]}" oci-unpack --flat "${maps[@]}" "oci:$W/img/layered:latest" "$W/m"
	assert_status 0
	[[ "$output" != *warning* ]] || fail "$output"
	r=$W/m/rootfs
	# host ids through the maps (container 1000 = 200000 + 999), no owner xattr
	[ "$(stat -c %u:%g "$r/bin/busybox")" = "$RUID:$RUID" ]
	[ "$(stat -c %u:%g "$r/home/app/owned.txt")" = 200999:300999 ]
	[ "$(stat -c %u:%g "$r/data")" = 200999:300999 ]
	[ -z "$(xattr_get user.rootlesscontainers "$r/home/app/owned.txt")" ]
	[ "$(stat -c %a "$r/opt/app/setuid-bin")" = 4755 ]
	[ "$(xattr_get user.oci-test "$r/opt/app/xattr.txt")" = fixture ]
	# the image's own user (app, 1000) runs and owns its files
	bundle_args "$W/m" sh -c 'id -u; stat -c "%u:%g %n" /home/app/owned.txt /bin/busybox
		echo more >>/home/app/owned.txt && echo appended; cat /proc/self/uid_map'
	chown "$RUID:$RUID" "$W/m/config.json"
	run "${AS_USER[@]}" oci-run run --bundle "$W/m" c1
	assert_status 0
	[ "${lines[0]}" = 1000 ] || fail "$output"
	assert_output_contains "1000:1000 /home/app/owned.txt"
	assert_output_contains "0:0 /bin/busybox"
	assert_output_contains appended
	assert_output_matches "^ +1 +200000 +65536$"
	# devices: skipped with a warning there too
	run "${AS_USER[@]}" oci-unpack --flat "${maps[@]}" "oci:$W/img/special:latest" "$W/s"
	assert_status 0
	assert_output_contains "skipping device 'dev/null'"
	[ -p "$W/s/rootfs/run/fifo" ]
	# rm enters the same namespace to remove files the caller does not own
	run "${AS_USER[@]}" oci-unpack rm "$W/m"
	assert_status 0
	[ ! -e "$W/m" ]
}

@test "rootless --flat with ranges the helpers refuse or cannot write: one-line errors, nothing left" {
	subid_add "$RUID:200000:10" "$RUID:300000:65536"
	run "${AS_USER[@]}" oci-unpack --flat --uid-map 0:$RUID:1 --uid-map 1:200000:65536 \
		--gid-map 0:$RUID:1 "oci:$W/img/tiny:latest" "$W/m"
	assert_status 1
	assert_one_line
	assert_output_matches "^oci-unpack: error: 'newuidmap' refused the uid map \(see /etc/subuid\): .*newuidmap"
	[ ! -e "$W/m" ]
	# no helper in PATH
	run setpriv --reuid "$RUID" --regid "$RUID" --clear-groups env -u OCI_ROOT "HOME=$W/home" \
		PATH=/nonexistent "$OCI_TEST_BIN/oci-unpack" --flat --uid-map 0:$RUID:1 \
		--uid-map 1:200000:10 "oci:$W/img/tiny:latest" "$W/m"
	assert_status 1
	assert_one_line
	assert_output_contains "mapping more than your own uid takes 'newuidmap' (package uidmap), and it is not in PATH"
	[ ! -e "$W/m" ]
	# maps that leave out the caller
	run "${AS_USER[@]}" oci-unpack --flat --uid-map 0:200000:10 "oci:$W/img/tiny:latest" "$W/m"
	assert_status 1
	assert_one_line
	assert_output_contains "the uid map must map your own uid $RUID"
}
