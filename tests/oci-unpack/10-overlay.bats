#!/usr/bin/env bats
# oci-unpack IMAGE BUNDLE through the layer store and an overlay mount.
load ../lib/common
load unpack-helpers

setup() { common_setup; }
teardown() { unpack_teardown; }

@test "cli: --help, --version, bad usage" {
	check_cli_basics oci-unpack
	run oci-unpack
	assert_status 2
	run oci-unpack only-one-arg
	assert_status 2
	assert_output_contains "missing BUNDLE"
	run oci-unpack --uid-map 0:1000:1 "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	assert_status 2
	run oci-unpack --jobs 0 "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	assert_status 2
}

@test "errors: missing image and layout name what is wrong, one line, status 1" {
	run oci-unpack "oci:$T/nolayout:latest" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "oci-unpack: error:"
	assert_output_contains "$T/nolayout"
	run oci-unpack "oci:$OCI_TEST_FIXTURES/tiny:nosuchtag" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "nosuchtag"
	[ ! -e "$T/b" ] || fail "a failed unpack left $T/b behind"
	run oci-unpack docker.io/library/notthere "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "docker.io/library/notthere:latest"
	# oci:DIR without a name: fine with one image, an error naming the choice with several
	run oci-unpack "oci:$OCI_TEST_FIXTURES/all" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_matches "holds [0-9]+ images: name one with oci:"
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny" "$T/b"
}

@test "tiny: overlay bundle, tree matches the expected listing" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	mountpoint -q "$T/b/rootfs"
	grep -F " $T/b/rootfs " /proc/self/mountinfo | grep -q " overlay "
	tree_diff "$T/b/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
	[ -f "$T/b/config.json" ]
	[ -d "$T/b/upper" ] && [ -d "$T/b/work" ]
	# the layer is in the store, complete, with a short link
	n=$(ls -d "$OCI_ROOT"/layers/*/complete | wc -l)
	[ "$n" -eq 1 ]
	link=$(cat "$OCI_ROOT"/layers/*/link)
	[ -d "$OCI_ROOT/layers/l/$link" ]
	jq -e '.layers | length == 1' "$T/b/oci-unpack.json"
}

@test "layered: overlay tree matches, whiteouts and opaque dir applied" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	tree_diff "$T/b/rootfs" "$OCI_TEST_FIXTURES/layered.expected"
	r=$T/b/rootfs
	[ ! -e "$r/opt/app/deleted-later.txt" ]
	[ ! -e "$r/opt/app/olddir" ]
	[ ! -e "$r/usr/bin/wget" ]
	[ "$(ls -A "$r/opt/app/opaque")" = "new.txt" ]
	[ "$(cat "$r/opt/app/readded.txt")" = "version 4" ]
	[ -d "$r/opt/app/typechange" ]
	# hardlink: same inode
	[ "$(stat -c %i "$r/opt/app/hello.txt")" = "$(stat -c %i "$r/opt/app/hlink-to-hello")" ]
	[ "$(stat -c %h "$r/opt/app/hello.txt")" = 2 ]
	# setuid, owner, xattr
	[ "$(stat -c %a "$r/opt/app/setuid-bin")" = 4755 ]
	[ "$(stat -c %u:%g:%a "$r/home/app/owned.txt")" = "1000:1000:640" ]
	[ "$(xattr_get user.oci-test "$r/opt/app/xattr.txt")" = fixture ]
	# mtimes (files, symlinks and directories) are the tar's
	[ "$(stat -c %Y "$r/opt/app/hello.txt")" = 1704067200 ]
	[ "$(stat -c %Y "$r/opt/app/rel-link")" = 1704067200 ]
	[ "$(stat -c %Y "$r/opt/app")" = 1704067200 ]
	[ "$(stat -c %Y "$r/bin")" = 1704067200 ]
	# whiteouts in overlay form in the store
	store_wh=$(find "$OCI_ROOT/layers" -path '*/diff/opt/app/deleted-later.txt' -type c)
	[ "$(stat -c '%F %t:%T' "$store_wh")" = "character special file 0:0" ]
	opq=$(find "$OCI_ROOT/layers" -path '*/diff/opt/app/opaque' | while read -r d; do
		xattr_get trusted.overlay.opaque "$d"; done)
	[ "$opq" = y ]
	n=$(jq '.layers | length' "$(manifest_blob "$OCI_TEST_FIXTURES/layered")")
	[ "$(ls -d "$OCI_ROOT"/layers/*/complete | wc -l)" -eq "$n" ]
	# each layer but the first has a `lower` file: the short links below it
	[ "$(ls "$OCI_ROOT"/layers/*/lower | wc -l)" -eq $((n - 1)) ]
	longest=0
	for f in "$OCI_ROOT"/layers/*/lower; do
		k=$(awk -F: '{print NF}' "$f")
		[ "$k" -gt "$longest" ] && longest=$k
		for l in $(tr ':' ' ' <"$f"); do
			[ -d "$OCI_ROOT/layers/$l" ] || fail "dangling lower $l"
		done
	done
	[ "$longest" -eq $((n - 1)) ]
}

@test "layered: config.json from the image config, valid against the runtime-spec schema" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	c=$T/b/config.json
	validate_json runtime-spec/config-schema.json "$c"
	[ "$(jq -c .process.args "$c")" = '["/bin/echo","layered:","hello","world"]' ]
	[ "$(jq -r .process.cwd "$c")" = /home/app ]
	[ "$(jq -r .process.terminal "$c")" = false ]
	[ "$(jq -r .root.readonly "$c")" = false ]
	[ "$(jq -r .root.path "$c")" = rootfs ]
	[ "$(jq -c .process.user "$c")" = '{"gid":1000,"uid":1000}' ]
	jq -e '.process.env | index("APP_MODE=test") and index("EMPTY=") and index("WITH_EQUALS=a=b")' "$c"
	jq -e '.process.env | index("HOME=/home/app")' "$c"
	a=.annotations
	[ "$(jq -r "$a[\"org.opencontainers.image.stopSignal\"]" "$c")" = SIGQUIT ]
	[ "$(jq -r "$a[\"org.opencontainers.image.exposedPorts\"]" "$c")" = "5353/udp,8080/tcp" ]
	[ "$(jq -r "$a[\"org.oci-tools.image.volumes\"]" "$c")" = /data ]
	[ "$(jq -r "$a[\"com.example.fixture\"]" "$c")" = yes ]
	[ "$(jq -r "$a[\"org.opencontainers.image.title\"]" "$c")" = layered ]
	[ "$(jq -r "$a[\"org.opencontainers.image.os\"]" "$c")" = linux ]
	# runc spec defaults are kept
	jq -e '.linux.namespaces | length >= 5' "$c"
	jq -e '.linux.maskedPaths | length > 0' "$c"
	jq -e '.mounts | map(.destination) | index("/proc")' "$c"
}

@test "tiny: config.json for an image with no User, Cmd only" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	c=$T/b/config.json
	validate_json runtime-spec/config-schema.json "$c"
	[ "$(jq -c .process.args "$c")" = '["/bin/sh"]' ]
	[ "$(jq -c .process.user "$c")" = '{"gid":0,"uid":0}' ]
	[ "$(jq -r .process.cwd "$c")" = / ]
}

@test "User resolution: names, groups, numeric ids, additionalGids, unknown user" {
	# an image with User set to each form: rewrite tiny's config
	for spec in "app" "1000" "app:0" "0:app" "nobody" "root:nogroup"; do
		rm -rf "$T/img" "$T/b"
		cp -a "$OCI_TEST_FIXTURES/tiny" "$T/img"
		"$OCI_TEST_TOP/tests/oci-unpack/set-user.sh" "$T/img" "$spec"
		unpack_ok "oci:$T/img:latest" "$T/b"
		u=$(jq -c .process.user "$T/b/config.json")
		case $spec in
		app) [ "$u" = '{"gid":1000,"uid":1000}' ] || fail "$spec: $u" ;;
		1000) [ "$u" = '{"gid":1000,"uid":1000}' ] || fail "$spec: $u" ;;
		app:0) [ "$u" = '{"gid":0,"uid":1000}' ] || fail "$spec: $u" ;;
		0:app) [ "$u" = '{"gid":1000,"uid":0}' ] || fail "$spec: $u" ;;
		nobody) [ "$u" = '{"gid":65534,"uid":65534}' ] || fail "$spec: $u" ;;
		root:nogroup) [ "$u" = '{"gid":65534,"uid":0}' ] || fail "$spec: $u" ;;
		esac
		oci-unpack rm "$T/b"
	done
	rm -rf "$T/img"
	cp -a "$OCI_TEST_FIXTURES/tiny" "$T/img"
	"$OCI_TEST_TOP/tests/oci-unpack/set-user.sh" "$T/img" "ghost"
	run oci-unpack "oci:$T/img:latest" "$T/b2"
	assert_status 1
	assert_one_line
	assert_output_contains "no user 'ghost'"
}

@test "runc runs a bundle made by oci-unpack" {
	command -v runc >/dev/null || skip "runc is not installed"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	id=oci-unpack-test-$$
	run runc --root "$T/runc" run -b "$T/b" "$id"
	runc --root "$T/runc" delete -f "$id" 2>/dev/null || true
	assert_status 0
	[ "$output" = "layered: hello world" ] || fail "got: $output"
	# the process ran as the image's user, in its workdir
	jq '.process.args = ["/bin/sh","-c","id -u; id -g; pwd; echo $APP_MODE"]' "$T/b/config.json" >"$T/c.json"
	mv "$T/c.json" "$T/b/config.json"
	run runc --root "$T/runc" run -b "$T/b" "$id"
	runc --root "$T/runc" delete -f "$id" 2>/dev/null || true
	assert_status 0
	[ "$output" = "$(printf '1000\n1000\n/home/app\ntest')" ] || fail "got: $output"
}

@test "crun runs a bundle made by oci-unpack" {
	command -v crun >/dev/null || skip "crun is not installed"
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	jq '.process.args = ["/bin/echo","hello from crun"]' "$T/b/config.json" >"$T/c.json"
	mv "$T/c.json" "$T/b/config.json"
	id=oci-unpack-crun-$$
	run unshare -m --propagation private sh -c \
		'umount /sys/fs/cgroup/unified 2>/dev/null; exec crun "$@"' crun \
		--root "$T/crun" run -b "$T/b" "$id"
	assert_status 0
	[ "$output" = "hello from crun" ] || fail "got: $output"
}

@test "a second bundle of the same image reuses the layers" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b1"
	before=$(stat -c %Y "$OCI_ROOT"/layers/*/complete | sort | tr '\n' ' ')
	run oci-unpack -vv "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b2"
	assert_status 0
	[ "$(echo "$output" | grep -c 'extracting layer')" -eq 0 ] || fail "extracted again: $output"
	after=$(stat -c %Y "$OCI_ROOT"/layers/*/complete | sort | tr '\n' ' ')
	[ "$before" = "$after" ]
	# writes in one bundle do not show in the other
	echo changed >"$T/b1/rootfs/opt/app/hello.txt"
	[ "$(cat "$T/b2/rootfs/opt/app/hello.txt")" = "hello from layered" ]
	[ -f "$T/b1/upper/opt/app/hello.txt" ]
}

@test "the bundle must be new or empty; umount and rm" {
	mkdir -p "$T/b"
	touch "$T/b/something"
	run oci-unpack "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	assert_status 1
	assert_output_contains "not empty"
	[ -e "$T/b/something" ]
	rm "$T/b/something"
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/b"
	run oci-unpack umount "$T/b"
	assert_status 0
	! mountpoint -q "$T/b/rootfs"
	[ -z "$(ls -A "$T/b/rootfs")" ]
	rec=$(ls "$OCI_ROOT"/layers/bundles/*.json)
	[ -f "$rec" ]
	run oci-unpack rm "$T/b"
	assert_status 0
	[ ! -e "$T/b" ]
	[ ! -e "$rec" ]
	run oci-unpack rm "$T/nothere"
	assert_status 1
	assert_one_line
}

@test "an image from the store by its normalized reference" {
	mkdir -p "$OCI_ROOT"
	cp -a "$OCI_TEST_FIXTURES/tiny" "$OCI_ROOT/images"
	jq '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "docker.io/library/tiny:latest"' \
		"$OCI_ROOT/images/index.json" >"$T/i.json"
	mv "$T/i.json" "$OCI_ROOT/images/index.json"
	unpack_ok tiny "$T/b"
	tree_diff "$T/b/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
	unpack_ok docker.io/library/tiny:latest "$T/b2" --store "$OCI_ROOT"
	jq -e '.image == "docker.io/library/tiny:latest"' "$T/b2/oci-unpack.json"
}

@test "multiarch index: the host's manifest is chosen; docker schema2 works" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$T/b"
	[ ! -e "$T/b/rootfs/etc/arch-marker" ]
	[ -x "$T/b/rootfs/bin/busybox" ]
	unpack_ok "oci:$OCI_TEST_FIXTURES/docker-schema2:latest" "$T/b2"
	tree_diff "$T/b2/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
}

@test "a bundle path with ',' and ':' cannot inject overlay options" {
	b="$T/x,lowerdir=$T:y"
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$b"
	tree_diff "$b/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
	echo hi >"$b/rootfs/new"
	[ -f "$b/upper/new" ]
	oci-unpack rm "$b"
	[ ! -e "$b" ]
}
