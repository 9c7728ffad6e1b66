#!/usr/bin/env bats
# --flat (a plain rootfs, whiteouts as deletions, id maps), and the results
# of both modes compared file by file with umoci's unpack of the same image.
load ../lib/common
load unpack-helpers

setup() { common_setup; }
teardown() { unpack_teardown; }

# mtimes of a tree (the root itself left out: in overlay mode it is the
# bundle's upper directory, which the container owns), one "PATH MTIME" a line
mtimes() {
	(cd "$1" && find . -mindepth 1 -printf '%p %T@\n' | sort)
}

@test "flat: tiny and layered match the expected listings" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/t" --flat
	tree_diff "$T/t/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b" --flat
	tree_diff "$T/b/rootfs" "$OCI_TEST_FIXTURES/layered.expected"
	! mountpoint -q "$T/b/rootfs"
	[ ! -e "$T/b/upper" ]
	# no layer store is used
	[ ! -e "$OCI_ROOT/layers" ] || [ -z "$(ls "$OCI_ROOT/layers")" ]
	r=$T/b/rootfs
	# no whiteout files or overlay markers remain
	[ -z "$(find "$r" -name '.wh.*')" ]
	[ -z "$(find "$r" -type c)" ]
	[ "$(stat -c %i "$r/opt/app/hello.txt")" = "$(stat -c %i "$r/opt/app/hlink-to-hello")" ]
	[ "$(stat -c %a "$r/opt/app/setuid-bin")" = 4755 ]
	[ "$(xattr_get user.oci-test "$r/opt/app/xattr.txt")" = fixture ]
	[ "$(stat -c %Y "$r/opt/app/big.bin")" = 1704067200 ]
	validate_json runtime-spec/config-schema.json "$T/b/config.json"
	[ "$(jq -c .process.user "$T/b/config.json")" = '{"gid":1000,"uid":1000}' ]
}

@test "flat: --uid-map/--gid-map own the files by the mapped ids" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b" --flat \
		--uid-map 0:100000:65536 --gid-map 0:200000:65536
	r=$T/b/rootfs
	[ "$(stat -c %u:%g "$r")" = "100000:200000" ]
	[ "$(stat -c %u:%g "$r/bin/busybox")" = "100000:200000" ]
	[ "$(stat -c %u:%g "$r/home/app/owned.txt")" = "101000:201000" ]
	[ "$(stat -c %u:%g "$r/opt/app/rel-link")" = "100000:200000" ]
	# setuid survives the chown
	[ "$(stat -c %a "$r/opt/app/setuid-bin")" = 4755 ]
	# an id outside the map is an error naming it
	run oci-unpack --flat --uid-map 0:100000:1 --gid-map 0:200000:65536 \
		"oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b2"
	assert_status 1
	assert_one_line
	assert_output_contains "uid 1000 is not in the uid map"
	[ ! -e "$T/b2" ]
	run oci-unpack --flat --uid-map 0 "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b3"
	assert_status 2
	assert_output_contains "CONTAINER:HOST[:SIZE]"
	# umoci's CONTAINER:HOST is a map of one id
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b4" --flat --uid-map 0:100000 \
		--uid-map 1000:101000 --gid-map 0:200000 --gid-map 1000:201000
	[ "$(stat -c %u:%g "$T/b4/rootfs/bin/busybox")" = "100000:200000" ]
	[ "$(stat -c %u:%g "$T/b4/rootfs/home/app")" = "101000:201000" ]
	# and config.json gets the user namespace with the maps (as umoci)
	[ "$(jq -c '.linux.uidMappings' "$T/b4/config.json")" = '[{"containerID":0,"hostID":100000,"size":1},{"containerID":1000,"hostID":101000,"size":1}]' ]
	jq -e '.linux.namespaces | map(.type) | index("user")' "$T/b4/config.json" >/dev/null
}

@test "whiteouts: flat and overlay results equal umoci unpack, file by file" {
	command -v umoci >/dev/null || skip "umoci is not installed"
	umoci unpack --image "$OCI_TEST_FIXTURES/layered:latest" "$T/umoci" >/dev/null 2>&1 ||
		fail "umoci unpack failed"
	/usr/bin/python3 "$TREE_LIST" "$T/umoci/rootfs" >"$T/umoci.list"
	mtimes "$T/umoci/rootfs" >"$T/umoci.mtimes"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/flat" --flat
	tree_diff "$T/flat/rootfs" "$T/umoci.list"
	mtimes "$T/flat/rootfs" >"$T/flat.mtimes"
	diff -u "$T/umoci.mtimes" "$T/flat.mtimes"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/ovl"
	tree_diff "$T/ovl/rootfs" "$T/umoci.list"
	mtimes "$T/ovl/rootfs" >"$T/ovl.mtimes"
	diff -u "$T/umoci.mtimes" "$T/ovl.mtimes"
	# both give runc's process the same config (umoci differs on purpose in
	# its own annotations and in terminal/readonly, which we set to false)
	for k in .process.args .process.cwd .process.user .process.env; do
		[ "$(jq -c "$k" "$T/flat/config.json")" = "$(jq -c "$k" "$T/ovl/config.json")" ]
	done
	[ "$(jq -c .process.args "$T/umoci/config.json")" = "$(jq -c .process.args "$T/ovl/config.json")" ]
	[ "$(jq -c .process.cwd "$T/umoci/config.json")" = "$(jq -c .process.cwd "$T/ovl/config.json")" ]
	[ "$(jq -c '.process.user|{uid,gid}' "$T/umoci/config.json")" = "$(jq -c '.process.user|{uid,gid}' "$T/ovl/config.json")" ]
}

@test "flat: runc runs a flat bundle" {
	command -v runc >/dev/null || skip "runc is not installed"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b" --flat
	id=oci-unpack-flat-$$
	run runc --root "$T/runc" run -b "$T/b" "$id"
	runc --root "$T/runc" delete -f "$id" 2>/dev/null || true
	assert_status 0
	[ "$output" = "layered: hello world" ]
}

@test "flat, rootless: an unprivileged user unpacks layered (owners are its own, devices skipped)" {
	command -v setpriv >/dev/null || skip "setpriv (util-linux) is not installed"
	chmod 755 "$T"
	mkdir -p "$T/rl"
	cp "$OCI_TEST_BIN/oci-unpack" "$T/rl/"
	cp -a "$OCI_TEST_FIXTURES/layered" "$T/rl/img"
	/usr/bin/python3 "$OCI_TEST_TOP/tests/fixtures/hostile/mkhostile.py" "$T/rl/hostile" "$T/sentinel"
	chown -R 65534:65534 "$T/rl"
	as_nobody() {
		setpriv --reuid=65534 --regid=65534 --clear-groups \
			env HOME="$T/rl" OCI_ROOT="$T/rl/store" "$T/rl/oci-unpack" "$@"
	}
	run as_nobody --flat "oci:$T/rl/img:latest" "$T/rl/b"
	assert_status 0
	# the owners are in user.rootlesscontainers (70-rootless.bats checks them)
	/usr/bin/python3 "$TREE_LIST" --no-owner --no-xattrs "$T/rl/b/rootfs" >"$T/got"
	/usr/bin/python3 "$TREE_LIST" --no-owner --no-xattrs --expected "$OCI_TEST_FIXTURES/layered.expected" >"$T/exp"
	diff -u "$T/exp" "$T/got"
	[ "$(stat -c %u "$T/rl/b/rootfs/home/app/owned.txt")" = 65534 ]
	run as_nobody --flat "oci:$T/rl/hostile/devices:latest" "$T/rl/d"
	assert_status 0
	[ -p "$T/rl/d/rootfs/dev/evil-fifo" ]
	[ ! -e "$T/rl/d/rootfs/dev/evil-null" ]
	# overlay mode too: the runtime mounts it (70-rootless.bats runs it)
	run as_nobody "oci:$T/rl/img:latest" "$T/rl/o"
	assert_status 0
	[ "$(jq -r '.mounts[0].type' "$T/rl/o/config.json")" = overlay ]
}
