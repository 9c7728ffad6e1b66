#!/usr/bin/env bats
# oci-fetch destinations and sources besides oci:DIR (oci-archive:, dir:),
# JSON results, platform overrides, tag list paging, progress on a terminal.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_push_fixture test/layered "$OCI_TEST_FIXTURES/layered" >/dev/null
	registry_push_fixture test/multi "$OCI_TEST_FIXTURES/multiarch" >/dev/null
	for t in a b c d e; do
		registry_push_fixture "test/tiny:$t" "$OCI_TEST_FIXTURES/tiny" >/dev/null
	done
}

teardown_file() {
	registry_stop
}

@test "pull into oci-archive:FILE:TAG; skopeo reads the archive; nothing temporary is left" {
	mkdir "$T/out"
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "oci-archive:$T/out/img.tar:v2"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	run skopeo inspect "oci-archive:$T/out/img.tar:v2"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(ls -A "$T/out")" = img.tar ] || fail "left: $(ls -A "$T/out")"
	tar -tf "$T/out/img.tar" | grep -qx 'index.json'
	mkdir "$T/x" && tar -xf "$T/out/img.tar" -C "$T/x"
	validate_layout "$T/x"
}

@test "push from an oci-archive made by skopeo" {
	skopeo copy -q --preserve-digests "oci:$OCI_TEST_FIXTURES/tiny:latest" "oci-archive:$T/sk.tar:t1"
	run --separate-stderr oci-fetch -q push "oci-archive:$T/sk.tar:t1" "$REGISTRY/fromarchive/tiny:1"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	[ "$(skopeo_digest fromarchive/tiny:1)" = "$(fixture_digest tiny)" ]
	run oci-fetch -q push "oci-archive:$T/missing.tar" "$REGISTRY/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "missing.tar"
}

@test "pull into dir:DIR (skopeo's dir format); skopeo copies it on unchanged" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "dir:$T/d"
	assert_status 0
	[ -f "$T/d/manifest.json" ] && [ -f "$T/d/version" ]
	[ "sha256:$(sha256sum <"$T/d/manifest.json" | cut -d' ' -f1)" = "$(fixture_digest layered)" ]
	skopeo copy -q --preserve-digests "dir:$T/d" "oci:$T/o:x"
	[ "$(jq -r '.manifests[0].digest' "$T/o/index.json")" = "$(fixture_digest layered)" ]
	# no leftover temporary layout beside it
	[ -z "$(ls -A "$T" | grep '^\.oci-fetch')" ]
}

@test "--format json for pull and push" {
	run --separate-stderr oci-fetch -q --format json pull "$REGISTRY/test/layered" "oci:$T/j:v"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(jq -r .reference <<<"$output")" = "$REGISTRY/test/layered:latest" ]
	[ "$(jq -r .name <<<"$output")" = v ]
	run --separate-stderr oci-fetch -q --format json push "oci:$T/j:v" "$REGISTRY/json/layered:1"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(jq -r .blobsPushed <<<"$output")" -ge 1 ]
}

@test "--override-arch/--override-variant pick from an index like --platform" {
	run --separate-stderr oci-fetch -q --override-arch arm64 --override-variant v8 pull "$REGISTRY/test/multi" "oci:$T/a:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].platform.architecture' "$T/a/index.json")" = arm64 ]
	run --separate-stderr oci-fetch --override-arch arm64 inspect "$REGISTRY/test/multi"
	assert_status 0
	[ "$(jq -r .architecture <<<"$output")" = arm64 ]
	# a bad --platform is bad usage
	run oci-fetch --platform 'linux/' pull "$REGISTRY/test/multi" "oci:$T/b:x"
	assert_status 2
	assert_one_line
	assert_output_contains "--platform"
}

@test "tags follows Link pages" {
	# docker-registry 2.8 ignores n=: the proxy pages as the spec says
	proxy_start PROXY "$REGISTRY" --paginate-tags
	run --separate-stderr oci-fetch --page-size 2 tags "$PROXY/test/tiny"
	local st=$status out=$output
	local pages
	pages=$(grep -c '"action": "paginate"' "$PROXY_LOG")
	proxy_stop PROXY
	[ "$st" = 0 ] || fail "status $st"
	[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "a b c d e " ] || fail "got: $out"
	[ "$pages" = 3 ] || fail "$pages pages"
}

@test "progress bars when stderr is a terminal, rate lines otherwise" {
	run script -qefc "oci-fetch pull $REGISTRY/test/layered oci:$T/p:x" /dev/null
	assert_status 0
	[[ $output == *"] "*"MiB"* ]] || fail "no bar: $output"
	[[ $output == *$'\033['* ]] || fail "no cursor movement: $output"
	run --separate-stderr oci-fetch --progress=plain pull "$REGISTRY/test/layered" "oci:$T/p2:x"
	assert_status 0
	[[ $stderr != *$'\033['* ]] || fail "escape codes in plain progress"
	[[ $stderr == *"done"* ]]
}

@test "pull into docker-archive:FILE:NAME:TAG; skopeo reads it with the same layers and config" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "docker-archive:$T/d.tar:example/layered:v9"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	tar -xOf "$T/d.tar" manifest.json >"$T/dm.json"
	[ "$(jq -r '.[0].RepoTags[0]' "$T/dm.json")" = example/layered:v9 ]
	local m cfg
	m=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(fixture_digest layered | cut -d: -f2)
	cfg=$(jq -r .config.digest "$m")
	[ "$(jq -r '.[0].Config' "$T/dm.json")" = "${cfg#sha256:}.json" ]
	[ "$(jq '.[0].Layers | length' "$T/dm.json")" = "$(jq '.layers | length' "$m")" ]
	run skopeo inspect "docker-archive:$T/d.tar"
	assert_status 0
	[ "$(jq '.Layers | length' <<<"$output")" = "$(jq '.layers | length' "$m")" ]
	# the config and every layer are in the archive byte for byte
	[ "sha256:$(tar -xOf "$T/d.tar" "${cfg#sha256:}.json" | sha256sum | cut -d' ' -f1)" = "$cfg" ]
	local l
	for l in $(jq -r '.layers[].digest' "$m"); do
		[ "sha256:$(tar -xOf "$T/d.tar" "${l#sha256:}.tar" | sha256sum | cut -d' ' -f1)" = "$l" ] || fail "layer $l"
	done
	# and skopeo can copy it on
	skopeo copy -q "docker-archive:$T/d.tar" "oci:$T/fromdocker:x"
	# conflicting options are bad usage
	run oci-fetch -q --all-platforms pull "$REGISTRY/test/multi" "docker-archive:$T/m.tar"
	assert_status 2
	assert_output_contains "one platform"
}
