#!/usr/bin/env bats
# oci-unpack diff BUNDLE: the upper directory as an OCI layer tar.
load ../lib/common
load unpack-helpers

setup() { common_setup; }
teardown() { unpack_teardown; }

change_tree() {
	r=$1
	echo new >"$r/opt/app/newfile"
	ln "$r/opt/app/newfile" "$r/opt/app/newlink"
	rm "$r/opt/app/hello.txt"
	rm -rf "$r/opt/app/typechange"
	mkdir "$r/opt/app/typechange"
	echo inside >"$r/opt/app/typechange/y"
	mkdir -p "$r/etc/newdir"
	ln -s /somewhere "$r/etc/newdir/sl"
	chmod 0600 "$r/etc/hostname"
	chown 1000:1000 "$r/etc/os-release"
	mkfifo "$r/etc/newdir/fifo"
	rm -rf "$r/usr/sbin"
}

@test "diff: changes as whiteouts, opaque dirs, files, hardlinks, symlinks" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	change_tree "$T/b/rootfs"
	run oci-unpack diff -o "$T/d.tar" "$T/b"
	assert_status 0
	[ -z "$output" ]
	tar tvf "$T/d.tar" >"$T/list"
	grep -q ' opt/app/.wh.hello.txt$' "$T/list"
	grep -q ' usr/.wh.sbin$' "$T/list"
	grep -q ' opt/app/typechange/.wh..wh..opq$' "$T/list"
	grep -q '^h.* opt/app/newlink link to opt/app/newfile$' "$T/list"
	grep -q '^l.* etc/newdir/sl -> /somewhere$' "$T/list"
	grep -q '^p.* etc/newdir/fifo$' "$T/list"
	grep -q '^-rw------- 0/0 .* etc/hostname$' "$T/list"
	grep -q '^-rw-r--r-- 1000/1000 .* etc/os-release$' "$T/list"
	! grep -q 'bin/busybox' "$T/list"
	# stdout gives the same bytes (entries are sorted)
	oci-unpack diff "$T/b" >"$T/d2.tar"
	cmp "$T/d.tar" "$T/d2.tar"
}

@test "diff: the image plus the diff layer unpacks to the changed tree" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	change_tree "$T/b/rootfs"
	oci-unpack diff -o "$T/d.tar" "$T/b"
	# (overlay still counts 2 links for hlink-to-hello, whose other name was
	# removed in the upper layer: the lower inode's count; leave it out)
	ex="--exclude /opt/app/hlink-to-hello"
	/usr/bin/python3 "$TREE_LIST" $ex "$T/b/rootfs" >"$T/changed.list"
	cp -a "$OCI_TEST_FIXTURES/layered" "$T/img"
	"$OCI_TEST_TOP/tests/oci-unpack/add-layer.sh" "$T/img" "$T/d.tar"
	for mode in "" --flat; do
		rm -rf "$T/b2"
		unpack_ok "oci:$T/img:latest" "$T/b2" $mode
		/usr/bin/python3 "$TREE_LIST" $ex "$T/b2/rootfs" >"$T/got.list"
		diff -u "$T/changed.list" "$T/got.list"
		if [ "$mode" = --flat ]; then
			[ "$(stat -c %h "$T/b2/rootfs/opt/app/hlink-to-hello")" = 1 ]
		fi
		oci-unpack rm "$T/b2"
	done
}

@test "diff: errors" {
	run oci-unpack diff "$T/nothere"
	assert_status 1
	assert_one_line
	assert_output_contains "$T/nothere"
	run oci-unpack diff
	assert_status 2
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/f" --flat
	run oci-unpack diff -o "$T/x.tar" "$T/f"
	assert_status 1
	assert_output_contains "no upper directory"
	[ ! -e "$T/x.tar" ]
}
