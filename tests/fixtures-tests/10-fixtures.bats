#!/usr/bin/env bats
# The test images of tests/fixtures/build.sh: valid OCI layouts (schemas,
# digests, diff_ids), reproducible, cached, readable by skopeo and umoci, and
# the .expected trees equal to what umoci unpacks.
load ../lib/common

FX=$OCI_TEST_TOP/tests/fixtures

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
}

# xattrs_ok DIR: the file system of DIR keeps user.* extended attributes.
xattrs_ok() {
	/usr/bin/python3 -c 'import os, sys
p = os.path.join(sys.argv[1], ".xattr-probe")
open(p, "w").close()
try:
    os.setxattr(p, "user.probe", b"1")
finally:
    os.unlink(p)' "$1" 2>/dev/null
}

# unpack_and_list IMAGE: umoci-unpacks IMAGE:latest into $T/bundle and
# writes tree-list.py's listing to $T/got and the expected one to $T/want.
unpack_and_list() {
	local img=$1 opts=()
	if [ "$(id -u)" != 0 ]; then
		umoci unpack --rootless --image "$OCI_TEST_FIXTURES/$img:latest" "$T/bundle" >/dev/null
		opts+=(--no-owner)
	else
		umoci unpack --image "$OCI_TEST_FIXTURES/$img:latest" "$T/bundle" >/dev/null
	fi
	xattrs_ok "$T" || opts+=(--no-xattrs)
	"$FX/tree-list.py" "${opts[@]}" "$T/bundle/rootfs" >"$T/got"
	"$FX/tree-list.py" "${opts[@]}" --expected "$OCI_TEST_FIXTURES/$img.expected" >"$T/want"
}

@test "build.sh without OUTDIR is a usage error" {
	run "$FX/build.sh"
	assert_status 2
	assert_output_contains "usage:"
}

@test "every fixture layout is there with ref 'latest'" {
	local d
	for d in tiny layered multiarch docker-schema2 zstd docker-list special; do
		[ -f "$OCI_TEST_FIXTURES/$d/oci-layout" ] || fail "no $d/oci-layout"
		run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' \
			"$OCI_TEST_FIXTURES/$d/index.json"
		assert_status 0
		[ "$output" = latest ] || fail "$d: ref names '$output'"
	done
	[ -f "$OCI_TEST_FIXTURES/docker-schema2.dir/manifest.json" ]
	[ -s "$OCI_TEST_FIXTURES/tiny.expected" ]
	[ -s "$OCI_TEST_FIXTURES/layered.expected" ]
	[ -s "$OCI_TEST_FIXTURES/zstd.expected" ]
	[ -s "$OCI_TEST_FIXTURES/special.expected" ]
	run jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]]|join(" ")' \
		"$OCI_TEST_FIXTURES/evil/index.json"
	[ "$output" = "dotdot absolute symlink-same-layer symlink-next-layer hardlink-out whiteout-through-symlink whiteout-dotdot" ] ||
		fail "evil refs: $output"
	run jq -r '[.manifests[].annotations["org.opencontainers.image.ref.name"]]|join(" ")' \
		"$OCI_TEST_FIXTURES/all/index.json"
	[ "$output" = "tiny layered multiarch tiny-again" ]
}

@test "every document validates against the image-spec schemas, every blob against its digest" {
	local d kind path n=0 schema
	local -A docs=()
	for d in tiny layered multiarch docker-schema2 all zstd docker-list special evil artifact; do
		run "$FX/walk-layout.py" "$OCI_TEST_FIXTURES/$d"
		assert_status 0
		[ "$(grep -c . <<<"$output")" -ge 4 ] || fail "$d: only $output"
		while read -r kind path; do
			[ "$kind" = blob ] && continue
			docs[$kind]+="$path "
			n=$((n + 1))
		done <<<"$output"
	done
	# tests/lib/validate-json.py (validate_json) cannot follow the "id" URLs
	# of the image-spec schemas offline; validate-schema.py can, and takes
	# many documents at once.
	for kind in layout index manifest config; do
		case $kind in
		layout) schema=image-layout-schema.json ;;
		index) schema=image-index-schema.json ;;
		manifest) schema=image-manifest-schema.json ;;
		config) schema=config-schema.json ;;
		esac
		# shellcheck disable=SC2086
		"$FX/validate-schema.py" "$SPECS/image-spec/$schema" ${docs[$kind]} ||
			fail "an invalid $kind (above)"
	done
	# tiny 4, layered 4, multiarch 7, docker-schema2 4, all 13, zstd 4,
	# docker-list 7, special 4, evil 2 + 7 * 2, artifact 7
	[ "$n" = 70 ] || fail "$n documents checked, not 70"
}

@test "validate-schema.py rejects a bad manifest" {
	jq '.layers[0].size = "big"' "$OCI_TEST_FIXTURES/tiny/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/tiny/index.json")" >"$T/m.json"
	run "$FX/validate-schema.py" "$SPECS/image-spec/image-manifest-schema.json" "$T/m.json"
	assert_status 1
	assert_output_contains "layers/0/size"
}

@test "walk-layout.py catches a corrupt blob" {
	cp -r "$OCI_TEST_FIXTURES/tiny" "$T/tiny"
	local cfg
	cfg=$(jq -r '.config.digest' "$T/tiny/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$T/tiny/index.json")")
	chmod u+w "$T/tiny/blobs/sha256/${cfg#sha256:}"
	sed -i 's/amd64\|arm64/ARCH0/' "$T/tiny/blobs/sha256/${cfg#sha256:}"
	run "$FX/walk-layout.py" "$T/tiny"
	assert_status 1
	assert_output_contains "does not match its digest"
}

@test "media types: gzip and uncompressed layers, Docker schema2, the multiarch index" {
	local m
	m=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/layered/index.json")
	run jq -r '[.layers[].mediaType]|join(" ")' "$m"
	[ "$output" = "application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar application/vnd.oci.image.layer.v1.tar+gzip application/vnd.oci.image.layer.v1.tar+gzip" ] ||
		fail "layered layers: $output"
	m=$OCI_TEST_FIXTURES/docker-schema2/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/docker-schema2/index.json")
	run jq -r '[.mediaType, .config.mediaType, .layers[0].mediaType]|join(" ")' "$m"
	[ "$output" = "application/vnd.docker.distribution.manifest.v2+json application/vnd.docker.container.image.v1+json application/vnd.docker.image.rootfs.diff.tar.gzip" ] ||
		fail "docker-schema2: $output"
	cmp "$m" "$OCI_TEST_FIXTURES/docker-schema2.dir/manifest.json"
	m=$OCI_TEST_FIXTURES/multiarch/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/multiarch/index.json")
	run jq -r '[.manifests[].platform|.os+"/"+.architecture+(if .variant then "/"+.variant else "" end)]|join(" ")' "$m"
	case $(uname -m) in
	x86_64) [ "$output" = "linux/amd64 linux/arm64/v8" ] || fail "multiarch platforms: $output" ;;
	esac
	# the host entry is the tiny image itself
	run jq -r '.manifests[0].digest' "$m"
	[ "$output" = "$(jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/tiny/index.json")" ]
}

@test "layer tars are readable by GNU tar, with SCHILY.xattr records and the expected entries" {
	local m l2 l3
	m=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/layered/index.json")
	l2=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(jq -r '.layers[1].digest[7:]' "$m")
	l3=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(jq -r '.layers[2].digest[7:]' "$m")
	TZ=UTC run tar -tvzf "$l2"
	assert_status 0
	assert_output_matches "^-rwsr-xr-x 0/0 .* opt/app/setuid-bin$"
	assert_output_matches "^hrw-r--r-- 0/0 .* opt/app/hlink-to-hello link to opt/app/hello.txt$"
	assert_output_matches "^lrwxrwxrwx 0/0 .* opt/app/rel-link -> hello.txt$"
	assert_output_matches "^-rw-r----- 1000/1000 .* home/app/owned.txt$"
	assert_output_matches "^drwxrwxrwt 0/0 .* shared/$"
	assert_output_matches "^-rw-r--r-- 0/0 +8388608 2024-01-01 00:00 opt/app/big.bin$"
	grep -aq "SCHILY.xattr.user.oci-test=fixture" <(gzip -dc "$l2") || fail "no SCHILY.xattr record"
	# GNU tar restores the xattr from that record
	if xattrs_ok "$T"; then
		mkdir "$T/x"
		tar --xattrs --xattrs-include='user.*' -xzf "$l2" -C "$T/x" opt/app/xattr.txt
		run /usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.oci-test").decode())' "$T/x/opt/app/xattr.txt"
		[ "$output" = fixture ] || fail "xattr after GNU tar: $output"
	fi
	# the uncompressed layer: "./" names, whiteouts and the opaque marker
	[ "$(head -c2 "$l3" | od -An -tx1 | tr -d ' ')" != 1f8b ] || fail "layer 3 is gzip"
	run tar -tf "$l3"
	assert_status 0
	assert_output_contains "./opt/app/.wh.deleted-later.txt"
	assert_output_contains "./opt/app/.wh.olddir"
	assert_output_contains "./opt/app/opaque/.wh..wh..opq"
	assert_output_contains "./usr/bin/.wh.wget"
	[ "$(printf '%s\n' "$output" | head -1)" = "./" ] || fail "first entry is not ./"
}

@test "two builds are byte-identical; a second build is skipped by the stamp" {
	FIXTURES_FORCE=1 "$FX/build.sh" "$T/a" >/dev/null
	diff -r "$T/a" "$OCI_TEST_FIXTURES" || fail "rebuild differs from $OCI_TEST_FIXTURES"
	local before after
	before=$(stat -c %i "$T/a/tiny/index.json")
	"$FX/build.sh" "$T/a" >/dev/null
	after=$(stat -c %i "$T/a/tiny/index.json")
	[ "$before" = "$after" ] || fail "cached build rewrote the layouts"
	# a different epoch changes the digests (so the epoch is really used)
	SOURCE_DATE_EPOCH=1600000000 "$FX/build.sh" "$T/a" >/dev/null
	[ "$(jq -r '.manifests[0].digest' "$T/a/tiny/index.json")" != \
		"$(jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/tiny/index.json")" ]
	run ls "$T"
	[[ $output != *a.tmp.* && $output != *a.old.* ]] || fail "left temporary folders: $output"
}

@test "skopeo inspects the layouts and the dir: copy" {
	local d
	for d in tiny layered multiarch; do
		run skopeo inspect "oci:$OCI_TEST_FIXTURES/$d:latest"
		assert_status 0
	done
	run skopeo inspect --config "oci:$OCI_TEST_FIXTURES/layered:latest"
	assert_status 0
	[ "$(jq -r '.config.User' <<<"$output")" = app ]
	[ "$(jq -r '.config.StopSignal' <<<"$output")" = SIGQUIT ]
	[ "$(jq -c '.config.Entrypoint+.config.Cmd' <<<"$output")" = '["/bin/echo","layered:","hello","world"]' ]
	[ "$(jq -r '.config.ExposedPorts|keys|join(" ")' <<<"$output")" = "5353/udp 8080/tcp" ]
	run skopeo inspect "oci:$OCI_TEST_FIXTURES/all:layered"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/layered/index.json")" ]
	run skopeo inspect --raw "dir:$OCI_TEST_FIXTURES/docker-schema2.dir"
	assert_status 0
	[ "$(jq -r .mediaType <<<"$output")" = application/vnd.docker.distribution.manifest.v2+json ]
}

@test "umoci unpacks tiny to tiny.expected, and its busybox runs" {
	unpack_and_list tiny
	diff "$T/want" "$T/got"
	[ "$(id -u)" = 0 ] || skip "chroot needs root"
	run chroot "$T/bundle/rootfs" /bin/sh -c 'echo hi; id -u app; ls /bin/sh'
	assert_status 0
	[ "$output" = "hi
1000
/bin/sh" ] || fail "busybox in the rootfs said: $output"
}

@test "umoci unpacks layered to layered.expected; a changed tree does not compare equal" {
	unpack_and_list layered
	diff "$T/want" "$T/got"
	grep -q "^/opt/app/hlink-to-hello	f	0644	.*	19 [0-9a-f]* 2	-$" "$T/want"
	grep -q "^/opt/app/setuid-bin	f	4755	" "$T/want"
	grep -q "^/shared	d	1777	" "$T/want"
	grep -q "^/opt/app/deleted-later.txt	" "$T/want" && fail "deleted-later.txt listed"
	grep -q "^/usr/bin/wget	" "$T/want" && fail "/usr/bin/wget listed"
	[ "$(grep -c "^/opt/app/opaque/" "$T/want")" = 1 ]
	rm "$T/bundle/rootfs/opt/app/empty"
	"$FX/tree-list.py" "$T/bundle/rootfs" >"$T/got2"
	"$FX/tree-list.py" --expected "$OCI_TEST_FIXTURES/layered.expected" >"$T/want2"
	run diff "$T/want2" "$T/got2"
	assert_status 1
	assert_output_contains "/opt/app/empty"
}

@test "tree-list.py: bad option is a usage error" {
	run "$FX/tree-list.py" --bogus "$T"
	assert_status 2
	assert_output_contains "unknown option"
}

@test "zstd layers decompress with zstd to their diff_ids and hold the marker" {
	local m l
	m=$OCI_TEST_FIXTURES/zstd/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/zstd/index.json")
	run jq -r '[.layers[].mediaType]|unique|join(" ")' "$m"
	[ "$output" = application/vnd.oci.image.layer.v1.tar+zstd ]
	l=$OCI_TEST_FIXTURES/zstd/blobs/sha256/$(jq -r '.layers[1].digest[7:]' "$m")
	[ "$(head -c4 "$l" | od -An -tx1 | tr -d ' ')" = 28b52ffd ] || fail "not zstd"
	run bash -c "zstd -dc '$l' | tar -tf -"
	assert_output_contains etc/zstd-marker
	grep -q "^/etc/zstd-marker	f	" "$OCI_TEST_FIXTURES/zstd.expected"
}

@test "docker-list: a Docker manifest list of two schema2 manifests" {
	local l
	l=$OCI_TEST_FIXTURES/docker-list/blobs/sha256/$(jq -r '.manifests[0].digest[7:]' "$OCI_TEST_FIXTURES/docker-list/index.json")
	[ "$(jq -r .mediaType "$l")" = application/vnd.docker.distribution.manifest.list.v2+json ]
	[ "$(jq -r '.manifests[0].mediaType' "$OCI_TEST_FIXTURES/docker-list/index.json")" = \
		application/vnd.docker.distribution.manifest.list.v2+json ]
	run jq -r '[.manifests[].mediaType]|unique|join(" ")' "$l"
	[ "$output" = application/vnd.docker.distribution.manifest.v2+json ]
	# the host entry is the docker-schema2 image
	[ "$(jq -r '.manifests[0].digest' "$l")" = "$(jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/docker-schema2/index.json")" ]
}

@test "umoci unpacks special (devices, fifo) to special.expected" {
	[ "$(id -u)" = 0 ] || skip "device nodes need root"
	unpack_and_list special
	diff "$T/want" "$T/got"
	grep -q "^/dev/null	c	0666	0:0	1:3	-$" "$T/want"
	grep -q "^/run/fifo	p	0600	" "$T/want"
}

@test "evil images: umoci keeps every one inside the root or refuses it" {
	local canary=/tmp/oci-evil-canary ref
	[ ! -e "$canary" ] || fail "$canary exists before the test"
	mkdir -p "$canary"
	echo "must survive" >"$canary/victim"
	for ref in $(jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$OCI_TEST_FIXTURES/evil/index.json"); do
		rm -rf "$T/b"
		umoci unpack --image "$OCI_TEST_FIXTURES/evil:$ref" "$T/b" >/dev/null 2>&1 || true
		run ls -A "$canary"
		[ "$output" = victim ] || { rm -rf "$canary"; fail "$ref: canary holds '$output'"; }
		grep -q "must survive" "$canary/victim" || { rm -rf "$canary"; fail "$ref: victim changed"; }
	done
	rm -rf "$canary"
	# the tricks are really in the tars
	run bash -c "for b in '$OCI_TEST_FIXTURES'/evil/blobs/sha256/*; do gzip -dc \"\$b\" 2>/dev/null | tar -tvf - 2>/dev/null; done"
	assert_output_contains "../../../../../../../../../../../../tmp/oci-evil-canary/dotdot.txt"
	assert_output_contains "/tmp/oci-evil-canary/absolute.txt"
	assert_output_contains "esc -> /tmp/oci-evil-canary"
	assert_output_contains "esc/.wh.victim"
	assert_output_contains "hl link to "
	# (GNU tar shows the link target without its ../; the raw bytes have them)
	run /usr/bin/python3 -c 'import glob, tarfile, sys
for b in glob.glob(sys.argv[1] + "/evil/blobs/sha256/*"):
    try:
        with tarfile.open(b) as t:
            for m in t:
                if m.islnk():
                    print(m.name, m.linkname)
    except tarfile.ReadError:
        pass' "$OCI_TEST_FIXTURES"
	[ "$output" = "hl ../../../../../../../../../../../../tmp/oci-evil-canary/victim" ] || fail "$output"
}

@test "broken: each ref has exactly its defect, other-arch is valid" {
	local ref want
	while read -r ref want; do
		run "$FX/walk-layout.py" "$OCI_TEST_FIXTURES/broken" "$ref"
		assert_status 1
		assert_output_contains "$want"
	done <<'LIST'
bad-digest does not match its digest
bad-size descriptor says
missing-blob No such file
bad-diffid is not diff_id
diffid-count 1 layers but 0 diff_ids
mediatype-mismatch mediaType application/vnd.oci.image.index.v1+json, descriptor says
unknown-layer-type unknown media type application/vnd.example.unknown
bad-json not JSON
missing-manifest No such file
truncated-gzip bad gzip
LIST
	run jq -r '.manifests|length' "$OCI_TEST_FIXTURES/broken/index.json"
	[ "$output" = 11 ]
	run "$FX/walk-layout.py" "$OCI_TEST_FIXTURES/broken" other-arch
	assert_status 0
	local host_arch
	host_arch=$(skopeo inspect --config "oci:$OCI_TEST_FIXTURES/tiny:latest" | jq -r .architecture)
	run skopeo inspect --config "oci:$OCI_TEST_FIXTURES/broken:other-arch"
	assert_status 0
	[ "$(jq -r .architecture <<<"$output")" != "$host_arch" ] || fail "other-arch is $host_arch"
	run "$FX/walk-layout.py" "$OCI_TEST_FIXTURES/broken" no-such-ref
	assert_status 1
	assert_output_contains "no image 'no-such-ref'"
}

@test "artifact: empty config, text layer, subject = tiny, referrers fallback tag" {
	local a=$OCI_TEST_FIXTURES/artifact m tiny_digest
	tiny_digest=$(jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/tiny/index.json")
	m=$a/blobs/sha256/$(jq -r '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]=="latest").digest[7:]' "$a/index.json")
	[ "$(jq -r .artifactType "$m")" = application/vnd.oci-tools.test.note ]
	[ "$(jq -r .config.mediaType "$m")" = application/vnd.oci.empty.v1+json ]
	[ "$(jq -r .config.data "$m" | base64 -d)" = "{}" ]
	[ "$(jq -r .subject.digest "$m")" = "$tiny_digest" ]
	[ "$(jq -r '.layers[0].mediaType' "$m")" = text/plain ]
	run jq -r --arg r "sha256-${tiny_digest#sha256:}" '.manifests[]|select(.annotations["org.opencontainers.image.ref.name"]==$r).mediaType' "$a/index.json"
	[ "$output" = application/vnd.oci.image.index.v1+json ]
}
