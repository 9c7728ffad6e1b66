#!/usr/bin/env bats
# Hand-made hostile layers (tests/fixtures/hostile/mkhostile.py): each is
# rejected, or contained in its root; a sentinel directory outside every
# root, and the host's /etc/passwd, stay untouched.
load ../lib/common
load unpack-helpers

setup() {
	common_setup
	S=$T/sentinel
	mkdir -p "$S"
	echo original >"$S/target"
	touch -d @1600000000 "$S/target" "$S"
	/usr/bin/python3 "$OCI_TEST_TOP/tests/fixtures/hostile/mkhostile.py" "$T/hostile" "$S"
	snapshot >"$T/sentinel.before"
}
teardown() { unpack_teardown; }

snapshot() {
	find "$S" -printf '%p %y %s %n %i %T@\n' | sort
	sha256sum "$S/target" /etc/passwd
}

# check_case CASE MODE...: unpacks; then the sentinel must be unchanged, and
# a failure must be a one-line error that leaves no bundle and no
# incomplete layer behind.
check_case() {
	local c=$1
	shift
	run oci-unpack "$@" "oci:$T/hostile/$c:latest" "$T/b-$c"
	snapshot >"$T/sentinel.after"
	diff -u "$T/sentinel.before" "$T/sentinel.after" || fail "$c: the sentinel changed"
	if [ "$status" -ne 0 ]; then
		assert_status 1
		assert_one_line
		assert_output_contains "oci-unpack: error: "
		[ ! -e "$T/b-$c" ] || fail "$c: a failed unpack left its bundle"
	fi
	for d in "$OCI_ROOT"/layers/*/; do
		case $d in */l/ | */bundles/ | *"/*/") continue ;; esac
		[ -e "$d/complete" ] || fail "$c: incomplete layer left: $d"
	done
}

@test "hostile: ../ entries are contained in the root" {
	for mode in "" --flat; do
		check_case dotdot $mode
		assert_status 0
		[ -f "$T/b-dotdot/rootfs$S/evil-dotdot" ] || fail "expected inside the root"
		oci-unpack rm "$T/b-dotdot"
	done
}

@test "hostile: absolute paths are contained in the root" {
	for mode in "" --flat; do
		check_case absolute $mode
		assert_status 0
		[ -f "$T/b-absolute/rootfs$S/evil-absolute" ]
		oci-unpack rm "$T/b-absolute"
	done
}

@test "hostile: a file written through a symlink pointing out never leaves the root" {
	for c in symlink-abs symlink-rel symlink-swap; do
		for mode in "" --flat; do
			check_case $c $mode
			if [ "$status" -eq 0 ]; then
				oci-unpack rm "$T/b-$c"
			fi
		done
	done
}

@test "hostile: hardlinks to /etc/passwd and out of the root are refused" {
	for c in hardlink-passwd hardlink-out; do
		for mode in "" --flat; do
			check_case $c $mode
			assert_status 1
			assert_output_contains "hardlink"
		done
	done
	[ "$(stat -c %h "$S/target")" = 1 ]
}

@test "hostile: a symlink loop fails cleanly" {
	for mode in "" --flat; do
		check_case symlink-loop $mode
		assert_status 1
	done
}

@test "hostile: device nodes are created inside the root only" {
	for mode in "" --flat; do
		check_case devices $mode
		assert_status 0
		r=$T/b-devices/rootfs/dev
		[ "$(stat -c '%F %t:%T' "$r/evil-null")" = "character special file 1:3" ]
		[ "$(stat -c '%F %t:%T' "$r/evil-sda")" = "block special file 8:0" ]
		[ -p "$r/evil-fifo" ]
		oci-unpack rm "$T/b-devices"
	done
}

@test "hostile: a huge path is refused with a clear error" {
	for mode in "" --flat; do
		check_case huge-path $mode
		assert_status 1
		assert_output_contains "too long"
	done
}

@test "a layer whose content does not match its diff_id is rejected and leaves nothing" {
	for mode in "" --flat; do
		check_case bad-diffid $mode
		assert_status 1
		assert_output_contains "diff_id"
		assert_output_contains "sha256:0000000000"
	done
	# no layer directory at all (only lock files may stay)
	[ -z "$(find "$OCI_ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name l ! -name bundles)" ]
	[ -z "$(find "$OCI_ROOT/layers/l" -mindepth 1)" ]
}

@test "a corrupted blob (digest mismatch) is rejected and leaves nothing" {
	cp -a "$OCI_TEST_FIXTURES/tiny" "$T/img"
	blob=$(layer_blob "$T/img" 0)
	chmod u+w "$blob"
	printf 'X' | dd of="$blob" bs=1 seek=100 conv=notrunc 2>/dev/null
	run oci-unpack "oci:$T/img:latest" "$T/b"
	assert_status 1
	assert_one_line
	[ ! -e "$T/b" ]
	[ -z "$(find "$OCI_ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name l ! -name bundles)" ]
}
