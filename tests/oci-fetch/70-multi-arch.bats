#!/usr/bin/env bats
# skopeo's --multi-arch system|all|index-only against a local registry with
# the multiarch fixture (linux/amd64 = tiny, linux/arm64/v8): what each mode
# stores and pushes, and what a later unpack or push says about an index
# whose platform manifests were not copied.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_push_fixture test/multi "$OCI_TEST_FIXTURES/multiarch" >/dev/null
}

teardown_file() {
	registry_stop
}

# the digest of the index entry for ARCH in the multiarch fixture
child_digest() {
	jq -r --arg a "$1" '.manifests[] | select(.platform.architecture == $a) | .digest' \
		"$OCI_TEST_FIXTURES/multiarch/blobs/sha256/$(fixture_digest multiarch | cut -d: -f2)"
}

host_arch() {
	case $(uname -m) in
	x86_64) echo amd64 ;;
	aarch64) echo arm64 ;;
	*) uname -m ;;
	esac
}

@test "--multi-arch index-only: the index alone is stored and named; no manifest or blob is fetched" {
	local before after
	before=$(grep -c 'GET /v2/test/multi/' "$REGISTRY_LOG" || true)
	run --separate-stderr oci-fetch -q --multi-arch index-only pull "$REGISTRY/test/multi" "oci:$T/io:x"
	assert_status 0
	[ "$output" = "$(fixture_digest multiarch)" ] || fail "printed '$output'"
	[ "$(jq -r '.manifests[0].digest' "$T/io/index.json")" = "$(fixture_digest multiarch)" ]
	[ "$(jq -r '.manifests[0].mediaType' "$T/io/index.json")" = application/vnd.oci.image.index.v1+json ]
	# one blob: the index, byte for byte as served
	[ "$(find "$T/io/blobs" -type f | wc -l)" = 1 ] || fail "$(find "$T/io/blobs" -type f)"
	cmp "$T/io/blobs/sha256/$(fixture_digest multiarch | cut -d: -f2)" \
		"$OCI_TEST_FIXTURES/multiarch/blobs/sha256/$(fixture_digest multiarch | cut -d: -f2)"
	after=$(grep -c 'GET /v2/test/multi/' "$REGISTRY_LOG" || true)
	# GET of the index by tag (a HEAD is not counted): one request
	[ $((after - before)) = 1 ] || fail "$((after - before)) GETs: $(grep 'GET /v2/test/multi/' "$REGISTRY_LOG" | tail -5)"
	run skopeo inspect --raw "oci:$T/io:x"
	assert_status 0
	[ "$(jq -r '.manifests | length' <<<"$output")" = 2 ]

	# the same into the store
	run --separate-stderr oci-fetch -q --multi-arch index-only pull "$REGISTRY/test/multi"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$OCI_ROOT/images/index.json")" = "$(fixture_digest multiarch)" ]
}

@test "index-only layout: unpack and push say which platform manifest is missing; --multi-arch all completes it" {
	oci-fetch -q --multi-arch index-only pull "$REGISTRY/test/multi" "oci:$T/io:x" >/dev/null
	local want
	want=$(child_digest "$(host_arch)")
	[ -n "$want" ] || skip "the multiarch fixture has no manifest for $(uname -m)"
	run oci-unpack "oci:$T/io:x" "$T/bundle"
	assert_status 1
	assert_one_line
	assert_output_contains "$want"
	assert_output_contains "for platform 'linux/$(host_arch)"
	assert_output_contains "index-only"
	[ ! -e "$T/bundle/rootfs" ]
	# pushing it as it is needs its manifests
	run oci-fetch -q push "oci:$T/io:x" "$REGISTRY/pushed/io:1"
	assert_status 1
	assert_one_line
	assert_output_contains "which is not in '$T/io'"
	assert_output_contains "--multi-arch index-only"
	run oci-fetch -q --multi-arch system push "oci:$T/io:x" "$REGISTRY/pushed/io:1"
	assert_status 1
	assert_one_line
	assert_output_contains "$want"
	assert_output_contains "is not in '$T/io'"
	# --all-platforms (= --multi-arch all) fills in the manifests and blobs
	run --separate-stderr oci-fetch -q --all-platforms pull "$REGISTRY/test/multi" "oci:$T/io:x"
	assert_status 0
	validate_layout "$T/io"
	[ -f "$T/io/blobs/sha256/${want#sha256:}" ]
}

@test "--multi-arch all is --all-platforms; system is the default; bad values are usage errors" {
	run --separate-stderr oci-fetch -q --multi-arch all pull "$REGISTRY/test/multi" "oci:$T/all:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$T/all/index.json")" = "$(fixture_digest multiarch)" ]
	validate_layout "$T/all"
	[ -f "$T/all/blobs/sha256/$(child_digest arm64 | cut -d: -f2)" ]
	[ -f "$T/all/blobs/sha256/$(child_digest amd64 | cut -d: -f2)" ]

	run --separate-stderr oci-fetch -q --multi-arch system --platform linux/arm64 pull "$REGISTRY/test/multi" "oci:$T/arm:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$T/arm/index.json")" = "$(child_digest arm64)" ]
	[ ! -f "$T/arm/blobs/sha256/$(fixture_digest multiarch | cut -d: -f2)" ]
	validate_layout "$T/arm"

	run oci-fetch --multi-arch every pull "$REGISTRY/test/multi" "oci:$T/bad:x"
	assert_status 2
	assert_output_contains "invalid value 'every' for --multi-arch"
	run oci-fetch --all-platforms --multi-arch system pull "$REGISTRY/test/multi" "oci:$T/bad:x"
	assert_status 2
	assert_output_contains "--multi-arch and --all-platforms disagree"
	run oci-fetch --multi-arch index-only pull "$REGISTRY/test/multi" "docker-archive:$T/m.tar"
	[ "$status" != 0 ]
	assert_one_line
	assert_output_contains "drop --multi-arch index-only"
	[ ! -e "$T/bad" ] && [ ! -e "$T/m.tar" ]
}

@test "push --multi-arch system pushes the platform's manifest, index-only the index alone" {
	run --separate-stderr oci-fetch -q --multi-arch system push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/sys/img:host"
	assert_status 0
	[ "$output" = "$(child_digest "$(host_arch)")" ] || fail "printed '$output'"
	[ "$(skopeo_digest sys/img:host)" = "$(child_digest "$(host_arch)")" ]
	run --separate-stderr oci-fetch -q --multi-arch system --platform linux/arm64/v8 push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/sys/img:arm"
	assert_status 0
	[ "$(skopeo_digest sys/img:arm)" = "$(child_digest arm64)" ]
	run oci-fetch -q --multi-arch system --platform linux/s390x push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/sys/img:s390x"
	assert_status 1
	assert_one_line
	assert_output_contains "s390x"

	# index-only into a repository that already has the manifests: one PUT
	oci-fetch -q --multi-arch all push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/sys/img:all" >/dev/null
	local before after
	before=$(grep -c 'PUT /v2/sys/img/' "$REGISTRY_LOG")
	run --separate-stderr oci-fetch -q --multi-arch index-only push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/sys/img:io"
	assert_status 0
	[ "$output" = "$(fixture_digest multiarch)" ]
	after=$(grep -c 'PUT /v2/sys/img/' "$REGISTRY_LOG")
	[ $((after - before)) = 1 ] || fail "$((after - before)) PUTs"
	grep -q 'PUT /v2/sys/img/manifests/io ' "$REGISTRY_LOG" || fail "no PUT of the tag io"
	[ "$(skopeo_digest sys/img:io)" = "$(fixture_digest multiarch)" ]
	# ...and into one without them: the registry refuses, one line naming it
	run oci-fetch -q --multi-arch index-only push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/fresh/img:io"
	assert_status 1
	assert_one_line
	assert_output_contains "fresh/img"
	assert_output_contains "PUT manifest io"
}

@test "copy registry to registry with --multi-arch index-only copies the index alone" {
	oci-fetch -q --multi-arch all copy "$REGISTRY/test/multi" "$REGISTRY/dst/multi:all" >/dev/null
	local before after
	before=$(grep -c 'PUT /v2/dst/multi/' "$REGISTRY_LOG")
	run --separate-stderr oci-fetch -q --multi-arch index-only copy "docker://$REGISTRY/test/multi" "docker://$REGISTRY/dst/multi:io"
	assert_status 0
	[ "$output" = "$(fixture_digest multiarch)" ]
	after=$(grep -c 'PUT /v2/dst/multi/' "$REGISTRY_LOG")
	[ $((after - before)) = 1 ] || fail "$((after - before)) PUTs"
	[ "$(skopeo_digest dst/multi:io)" = "$(fixture_digest multiarch)" ]
	# to an oci-archive: the index alone
	run --separate-stderr oci-fetch -q --multi-arch index-only copy "$REGISTRY/test/multi" "oci-archive:$T/io.tar:x"
	assert_status 0
	[ "$(tar -tf "$T/io.tar" | grep -c '^blobs/sha256/.')" = 1 ] || fail "$(tar -tf "$T/io.tar")"
}
