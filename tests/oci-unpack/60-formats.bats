#!/usr/bin/env bats
# Layer formats and image shapes: tar, gzip, zstd; no layers; many layers
# (more than fit in one page of overlay mount options).
load ../lib/common
load unpack-helpers

setup() { common_setup; }
teardown() { unpack_teardown; }

MKIMAGE="$BATS_TEST_DIRNAME/mkimage.py"

@test "tar, tar+gzip and tar+zstd layers, in overlay and flat mode" {
	command -v zstd >/dev/null || skip "the zstd program is not installed (to make the layer)"
	/usr/bin/python3 "$MKIMAGE" "$T/img" "tar:a/,a/one=1" "gzip:a/two=2,b/" "zstd:a/three=3,b/four=4"
	for mode in "" --flat; do
		unpack_ok "oci:$T/img:latest" "$T/b" $mode
		for f in a/one:1 a/two:2 a/three:3 b/four:4; do
			[ "$(cat "$T/b/rootfs/${f%%:*}")" = "${f##*:}" ] || fail "$f ($mode)"
		done
		oci-unpack rm "$T/b"
	done
}

@test "an image with no layers gives an empty rootfs" {
	/usr/bin/python3 "$MKIMAGE" "$T/img" empty
	unpack_ok "oci:$T/img:latest" "$T/b"
	mountpoint -q "$T/b/rootfs"
	[ -z "$(ls -A "$T/b/rootfs")" ]
	echo hi >"$T/b/rootfs/new"
	[ -f "$T/b/upper/new" ]
}

@test "300 layers: the overlay takes them all (lowerdir+ past one page of options)" {
	specs=()
	for i in $(seq 300); do specs+=("tar:f$i=$i"); done
	/usr/bin/python3 "$MKIMAGE" "$T/img" "${specs[@]}"
	unpack_ok "oci:$T/img:latest" "$T/b" -j2
	[ "$(ls "$T/b/rootfs" | wc -l)" -eq 300 ]
	[ "$(cat "$T/b/rootfs/f1")" = 1 ] && [ "$(cat "$T/b/rootfs/f300")" = 300 ]
	[ "$(ls "$OCI_ROOT/layers/l" | wc -l)" -eq 300 ]
	run oci-unpack -vv "oci:$T/img:latest" "$T/b2"
	assert_status 0
	! echo "$output" | grep -q 'extracting layer'
}

@test "a layer that is not a tar is rejected with the layer named" {
	mkdir -p "$T/img"
	/usr/bin/python3 "$MKIMAGE" "$T/img" "gzip:a=1"
	blob=$(layer_blob "$T/img" 0)
	head -c 5000 /dev/urandom | gzip >"$T/junk.gz"
	# keep the digests right, so only the content is wrong
	d=$(sha256sum "$T/junk.gz" | cut -d' ' -f1)
	u=$(gzip -dc "$T/junk.gz" | sha256sum | cut -d' ' -f1)
	old=$(basename "$blob")
	cp "$T/junk.gz" "$T/img/blobs/sha256/$d"
	man=$(manifest_blob "$T/img")
	cfg=$T/img/blobs/sha256/$(jq -r .config.digest "$man" | cut -d: -f2)
	jq -c --arg u "sha256:$u" '.rootfs.diff_ids = [$u]' "$cfg" >"$T/c.json"
	c=$(sha256sum "$T/c.json" | cut -d' ' -f1)
	cp "$T/c.json" "$T/img/blobs/sha256/$c"
	jq -c --arg d "sha256:$d" --argjson s "$(stat -c %s "$T/junk.gz")" --arg c "sha256:$c" \
		--argjson cs "$(stat -c %s "$T/c.json")" \
		'.layers[0].digest = $d | .layers[0].size = $s | .config.digest = $c | .config.size = $cs' \
		"$man" >"$T/m.json"
	m=$(sha256sum "$T/m.json" | cut -d' ' -f1)
	cp "$T/m.json" "$T/img/blobs/sha256/$m"
	jq -c --arg m "sha256:$m" --argjson s "$(stat -c %s "$T/m.json")" \
		'.manifests[0].digest = $m | .manifests[0].size = $s' "$T/img/index.json" >"$T/i.json"
	mv "$T/i.json" "$T/img/index.json"
	run oci-unpack "oci:$T/img:latest" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "layer sha256:$d"
	[ ! -e "$T/b" ]
	[ "$old" != "$d" ]
}

@test "a layer whose size differs from its descriptor is rejected" {
	/usr/bin/python3 "$MKIMAGE" "$T/img" "gzip:a=1"
	man=$(manifest_blob "$T/img")
	jq -c '.layers[0].size += 1' "$man" >"$T/m.json"
	m=$(sha256sum "$T/m.json" | cut -d' ' -f1)
	cp "$T/m.json" "$T/img/blobs/sha256/$m"
	jq -c --arg m "sha256:$m" --argjson s "$(stat -c %s "$T/m.json")" \
		'.manifests[0].digest = $m | .manifests[0].size = $s' "$T/img/index.json" >"$T/i.json"
	mv "$T/i.json" "$T/img/index.json"
	run oci-unpack "oci:$T/img:latest" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "the manifest says"
	[ ! -e "$T/b" ]
}

@test "directories a layer only implies (whiteouts, opaque, files) keep the lower layer's metadata" {
	/usr/bin/python3 "$MKIMAGE" "$T/img" "tar:a/,a/b/,a/b/c=1,a/b/d=2,x/,x/y/,x/y/old=o" \
		"tar:a/b/.wh.c" "tar:x/y/.wh..wh..opq,x/y/new=n"
	for mode in "" --flat; do
		unpack_ok "oci:$T/img:latest" "$T/b" $mode
		r=$T/b/rootfs
		[ ! -e "$r/a/b/c" ] && [ -f "$r/a/b/d" ]
		[ ! -e "$r/x/y/old" ] && [ -f "$r/x/y/new" ]
		for d in a a/b x x/y; do
			[ "$(stat -c %Y "$r/$d")" = 1704067200 ] || fail "$d ($mode): $(stat -c %Y "$r/$d")"
		done
		oci-unpack rm "$T/b"
	done
}

@test "an image for another architecture is refused, naming both" {
	cp -a "$OCI_TEST_FIXTURES/tiny" "$T/img"
	other=s390x
	"$BATS_TEST_DIRNAME/edit-config.sh" "$T/img" ".architecture = \"$other\""
	run oci-unpack "oci:$T/img:latest" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "linux/$other"
	assert_output_contains "not for this host"
	[ ! -e "$T/b" ]
}

@test "more than 500 layers: refused for an overlay before extracting anything; --flat takes them" {
	specs=()
	for i in $(seq 501); do specs+=("tar:f$i=$i"); done
	/usr/bin/python3 "$MKIMAGE" "$T/img" "${specs[@]}"
	run oci-unpack "oci:$T/img:latest" "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "501 layers"
	assert_output_contains "--flat"
	[ ! -e "$T/b" ]
	[ ! -e "$OCI_ROOT/layers" ] || [ -z "$(ls "$OCI_ROOT/layers")" ]
	unpack_ok "oci:$T/img:latest" "$T/f" --flat
	[ "$(ls "$T/f/rootfs" | wc -l)" -eq 501 ]
}

@test "Env without PATH gets the default PATH; Entrypoint alone; no Cmd" {
	cp -a "$OCI_TEST_FIXTURES/tiny" "$T/img"
	"$BATS_TEST_DIRNAME/edit-config.sh" "$T/img" \
		'.config.Env = ["A=1"] | .config.Entrypoint = ["/bin/echo", "x"] | del(.config.Cmd)'
	unpack_ok "oci:$T/img:latest" "$T/b"
	c=$T/b/config.json
	[ "$(jq -c .process.args "$c")" = '["/bin/echo","x"]' ]
	[ "$(jq -c .process.env "$c")" = '["A=1","PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","HOME=/root"]' ]
	validate_json runtime-spec/config-schema.json "$c"
}

@test "non-ASCII names (UTF-8 in PAX headers) come out byte for byte" {
	/usr/bin/python3 "$MKIMAGE" "$T/img" "tar:héllo-ü.txt=1,日本/,日本/語=2"
	for mode in "" --flat; do
		unpack_ok "oci:$T/img:latest" "$T/b" $mode
		[ "$(cat "$T/b/rootfs/héllo-ü.txt")" = 1 ]
		[ "$(cat "$T/b/rootfs/日本/語")" = 2 ]
		oci-unpack rm "$T/b"
	done
}

@test "sparse files (GNU tar --sparse, PAX) keep their holes" {
	mkdir -p "$T/src"
	truncate -s 50M "$T/src/sparse.bin"
	printf hello | dd of="$T/src/sparse.bin" bs=1 seek=20000000 conv=notrunc 2>/dev/null
	printf end | dd of="$T/src/sparse.bin" bs=1 seek=$((50 * 1024 * 1024 - 3)) conv=notrunc 2>/dev/null
	tar -C "$T/src" --sparse --format=posix -cf "$T/l.tar" sparse.bin
	/usr/bin/python3 "$MKIMAGE" "$T/img" empty
	"$BATS_TEST_DIRNAME/add-layer.sh" "$T/img" "$T/l.tar"
	for mode in "" --flat; do
		unpack_ok "oci:$T/img:latest" "$T/b" $mode
		cmp "$T/src/sparse.bin" "$T/b/rootfs/sparse.bin"
		[ "$(du -k "$T/b/rootfs/sparse.bin" | cut -f1)" -lt 1024 ]
		oci-unpack rm "$T/b"
	done
}

@test "file capabilities survive with owner and setuid (xattrs set after chown)" {
	command -v setcap >/dev/null || skip "setcap (libcap2-bin) is not installed, to make the layer"
	mkdir -p "$T/src"
	printf x >"$T/src/ping"
	chown 1000:1000 "$T/src/ping"
	chmod 4755 "$T/src/ping"
	setcap cap_net_raw+ep "$T/src/ping"
	want=$(xattr_get security.capability "$T/src/ping" | od -An -tx1)
	[ -n "$want" ]
	tar -C "$T/src" --xattrs --xattrs-include='*' --format=posix -cf "$T/l.tar" ping
	/usr/bin/python3 "$MKIMAGE" "$T/img" empty
	"$BATS_TEST_DIRNAME/add-layer.sh" "$T/img" "$T/l.tar"
	for mode in "" --flat; do
		unpack_ok "oci:$T/img:latest" "$T/b" $mode
		[ "$(stat -c '%a %u:%g' "$T/b/rootfs/ping")" = "$(stat -c '%a %u:%g' "$T/src/ping")" ]
		[ "$(xattr_get security.capability "$T/b/rootfs/ping" | od -An -tx1)" = "$want" ]
		oci-unpack rm "$T/b"
	done
}
