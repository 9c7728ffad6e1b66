#!/usr/bin/env bats
# oci-fetch push: from oci:DIR:TAG and from the store, monolithic and chunked
# uploads, existing blobs skipped, cross-repository mounts, indexes; round
# trips both ways with skopeo keep every digest.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
}

teardown_file() {
	registry_stop
}

@test "push oci:DIR:TAG, then skopeo copies it back with the same digests" {
	run --separate-stderr oci-fetch -q push "oci:$OCI_TEST_FIXTURES/layered:latest" "$REGISTRY/pushed/layered:v1"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	[ "$(skopeo_digest pushed/layered:v1)" = "$(fixture_digest layered)" ]
	skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$REGISTRY/pushed/layered:v1" "oci:$T/back:x"
	[ "$(jq -r '.manifests[0].digest' "$T/back/index.json")" = "$(fixture_digest layered)" ]
	diff <(cd "$T/back/blobs/sha256" && ls | sort) <(cd "$OCI_TEST_FIXTURES/layered/blobs/sha256" && ls | sort)
	# a second push finds every blob already there (HEAD) and uploads nothing
	local before after
	before=$(grep -c 'POST /v2/pushed/layered/blobs/uploads/' "$REGISTRY_LOG" || true)
	run --separate-stderr oci-fetch -q push "oci:$OCI_TEST_FIXTURES/layered:latest" "$REGISTRY/pushed/layered:v1"
	assert_status 0
	after=$(grep -c 'POST /v2/pushed/layered/blobs/uploads/' "$REGISTRY_LOG" || true)
	[ "$before" = "$after" ] || fail "uploads started again: $before -> $after"
}

@test "skopeo pushes, we pull into the store, we push from the store to another repository by mount" {
	registry_push_fixture src/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	oci-fetch -q pull "$REGISTRY/src/tiny" >/dev/null
	run --separate-stderr oci-fetch -v push "$REGISTRY/src/tiny" "$REGISTRY/dst/tiny:copy"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	# blobs came by cross-repository mount, not by upload
	grep -q "POST /v2/dst/tiny/blobs/uploads/?from=src%2Ftiny&mount=sha256\|POST /v2/dst/tiny/blobs/uploads/?mount=sha256:[0-9a-f]*&from=src/tiny" "$REGISTRY_LOG" ||
		fail "no mount request: $(grep dst/tiny "$REGISTRY_LOG")"
	! grep -q "PUT /v2/dst/tiny/blobs/uploads/" "$REGISTRY_LOG" || fail "a blob was uploaded"
	[ "$(skopeo_digest dst/tiny:copy)" = "$(fixture_digest tiny)" ]
	skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$REGISTRY/dst/tiny:copy" "oci:$T/c:x"
}

@test "chunked uploads (--chunk-size) give the same blobs" {
	run --separate-stderr oci-fetch --chunk-size 1048576 push "oci:$OCI_TEST_FIXTURES/layered:latest" "$REGISTRY/chunked/layered:1"
	assert_status 0
	# progress lines on stderr (not a terminal), the digest alone on stdout
	[[ $stderr == *"blob "*": pushed"* ]] || fail "stderr: $stderr"
	assert_one_line
	grep -q "PATCH /v2/chunked/layered/blobs/uploads/" "$REGISTRY_LOG" || fail "no PATCH"
	[ "$(grep -c "PATCH /v2/chunked/layered/blobs/uploads/" "$REGISTRY_LOG")" -gt 8 ]
	skopeo copy -q --preserve-digests --src-tls-verify=false "docker://$REGISTRY/chunked/layered:1" "oci:$T/c:x"
	[ "$(jq -r '.manifests[0].digest' "$T/c/index.json")" = "$(fixture_digest layered)" ]
	cmp "$T/c/blobs/sha256/$(big_layer_digest | cut -d: -f2)" \
		"$OCI_TEST_FIXTURES/layered/blobs/sha256/$(big_layer_digest | cut -d: -f2)"
}

@test "an index with every platform is pushed children first and keeps its digest" {
	oci-fetch -q --all-platforms push "oci:$OCI_TEST_FIXTURES/multiarch:latest" "$REGISTRY/multi/img:all" >/dev/null
	[ "$(skopeo_digest multi/img:all)" = "$(fixture_digest multiarch)" ]
	run skopeo inspect --tls-verify=false --override-arch arm64 --override-variant v8 "docker://$REGISTRY/multi/img:all"
	assert_status 0
	[ "$(jq -r .Architecture <<<"$output")" = arm64 ]
}

@test "push errors: unknown image in the store, unknown name in a layout, registry down" {
	run oci-fetch push "nothing/here:1" "$REGISTRY/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "nothing/here"
	run oci-fetch push "oci:$OCI_TEST_FIXTURES/tiny:nope" "$REGISTRY/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "nope"
	run oci-fetch --retry-times 0 push "oci:$OCI_TEST_FIXTURES/tiny:latest" "127.0.0.1:1/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "127.0.0.1:1"
}

@test "push to a registry that needs credentials: 401 names the status; --creds works" {
	registry_start --tls-htpasswd --prefix SEC
	run oci-fetch --cert-dir "$SEC_CERT_DIR" push "oci:$OCI_TEST_FIXTURES/tiny:latest" "$SEC/p/tiny:1"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
	assert_output_contains "$SEC"
	run --separate-stderr oci-fetch -q --cert-dir "$SEC_CERT_DIR" --creds "$SEC_USER:$SEC_PASS" push "oci:$OCI_TEST_FIXTURES/tiny:latest" "$SEC/p/tiny:1"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	registry_stop SEC
}

@test "bearer-token registry: push asks for pull,push scope" {
	token_registry_start --user tu --password tp
	run --separate-stderr oci-fetch -q --creds tu:tp push "oci:$OCI_TEST_FIXTURES/tiny:latest" "$TREG/team/tiny:1"
	local st=$status out=$output
	grep -q '"scope": \["repository:team/tiny:pull,push"\]' "$TOKEN_LOG" || { token_registry_stop; fail "$(cat "$TOKEN_LOG")"; }
	token_registry_stop
	[ "$st" = 0 ] || fail "status $st"
	[ "$out" = "$(fixture_digest tiny)" ]
}

@test "copy: registry to registry (through a temporary layout), and to/from local images" {
	registry_push_fixture src/multi "$OCI_TEST_FIXTURES/multiarch" >/dev/null
	run --separate-stderr oci-fetch -q --all-platforms copy "docker://$REGISTRY/src/multi" "docker://$REGISTRY/copied/multi:all"
	assert_status 0
	[ "$output" = "$(fixture_digest multiarch)" ]
	[ "$(skopeo_digest copied/multi:all)" = "$(fixture_digest multiarch)" ]
	# one platform, as skopeo copy without --all: the platform's manifest
	run --separate-stderr oci-fetch -q copy "$REGISTRY/src/multi" "$REGISTRY/copied/multi:host"
	assert_status 0
	[ "$(skopeo_digest copied/multi:host)" = "$(fixture_digest tiny)" ]
	run --separate-stderr oci-fetch -q copy "$REGISTRY/copied/multi:host" "oci:$T/c:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$T/c/index.json")" = "$(fixture_digest tiny)" ]
	run --separate-stderr oci-fetch -q copy "oci:$T/c:x" "$REGISTRY/copied/back:1"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	run oci-fetch copy "oci:$T/c:x" "oci:$T/d:y"
	assert_status 1
	assert_output_contains "one side must be a registry"
	[ -z "$(ls /tmp | grep '^oci-fetch-copy\.')" ] || fail "temporary layouts left in /tmp"
}
