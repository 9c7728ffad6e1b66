#!/usr/bin/env bats
# oci-fetch pull over plain http from a local docker-registry: the store and
# oci:DIR:TAG, digests equal skopeo's, layouts that validate, platforms from
# an index, Docker schema2, warm re-pulls, errors that say what is wrong.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_push_fixture test/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_push_fixture test/layered:v1 "$OCI_TEST_FIXTURES/layered" >/dev/null
	registry_push_fixture test/multi "$OCI_TEST_FIXTURES/multiarch" >/dev/null
	registry_push_fixture test/schema2 "$OCI_TEST_FIXTURES/docker-schema2.dir" >/dev/null
}

teardown_file() {
	registry_stop
}

@test "pull tiny into the store: digest on stdout equals skopeo's, ref.name is the full reference" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/tiny"
	assert_status 0
	[ "$output" = "$(skopeo_digest test/tiny)" ] || fail "got '$output'"
	[ "$output" = "$(fixture_digest tiny)" ]
	local idx=$OCI_ROOT/images/index.json
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$idx")" = "$REGISTRY/test/tiny:latest" ]
	[ "$(jq -r '.manifests[0].digest' "$idx")" = "$output" ]
	validate_layout "$OCI_ROOT/images"
	skopeo inspect "oci:$OCI_ROOT/images:$REGISTRY/test/tiny:latest" >/dev/null
	# the stored blobs are the registry's, byte for byte
	cmp "$OCI_ROOT/images/blobs/sha256/$(fixture_digest tiny | cut -d: -f2)" \
		"$OCI_TEST_FIXTURES/tiny/blobs/sha256/$(fixture_digest tiny | cut -d: -f2)"
}

@test "pull layered into oci:DIR:TAG; the layout validates and skopeo reads it" {
	run --separate-stderr oci-fetch --jobs 3 pull "$REGISTRY/test/layered:v1" "oci:$T/lay:mytag"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	[ "$output" = "$(skopeo_digest test/layered:v1)" ]
	validate_layout "$T/lay"
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$T/lay/index.json")" = mytag ]
	run skopeo inspect "oci:$T/lay:mytag"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(fixture_digest layered)" ]
	local d
	d=$(fixture_digest layered)
	[ "$(jq -r '.Layers | length' <<<"$output")" = "$(jq '.layers | length' "$T/lay/blobs/sha256/${d#sha256:}")" ]
	# nothing temporary or partial is left behind
	run find "$T/lay" -name '.partial-*' -o -name '.tmp*'
	[ -z "$output" ] || fail "left: $output"
	# umoci can unpack it
	umoci unpack --rootless --image "$T/lay:mytag" "$T/bundle" >/dev/null 2>&1 ||
		umoci unpack --image "$T/lay:mytag" "$T/bundle" >/dev/null
	[ -s "$T/bundle/rootfs/opt/app/big.bin" ]
}

@test "a warm re-pull downloads no blob" {
	oci-fetch -q pull "$REGISTRY/test/layered:v1" "oci:$T/w" >/dev/null
	local before after
	before=$(grep -c 'GET /v2/test/layered/blobs/' "$REGISTRY_LOG")
	local t0 t1 best=999999
	for i in 1 2 3; do
		t0=$(date +%s%N)
		oci-fetch -q pull "$REGISTRY/test/layered:v1" "oci:$T/w" >/dev/null
		t1=$(date +%s%N)
		ms=$(( (t1 - t0) / 1000000 ))
		[ "$ms" -lt "$best" ] && best=$ms
	done
	after=$(grep -c 'GET /v2/test/layered/blobs/' "$REGISTRY_LOG")
	[ "$before" = "$after" ] || fail "warm re-pull fetched blobs ($before -> $after)"
	# (how fast it is belongs to bench/fetch.sh, not to a test)
	echo "# warm re-pull: best of 3 = ${best} ms" >&3
}

@test "multi-platform index: --platform picks one, --all-platforms keeps the index" {
	local host_digest arm_digest idx
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/multi" "oci:$T/one:x"
	assert_status 0
	[ "$output" = "$(fixture_digest multiarch)" ] || fail "printed $output"
	# the host platform's manifest is what the name points to
	[ "$(jq -r '.manifests[0].digest' "$T/one/index.json")" = "$(fixture_digest tiny)" ]
	validate_layout "$T/one"

	run --separate-stderr oci-fetch -q --platform linux/arm64 pull "$REGISTRY/test/multi" "oci:$T/arm:x"
	assert_status 0
	arm_digest=$(jq -r '.manifests[0].digest' "$T/arm/index.json")
	[ "$arm_digest" != "$(fixture_digest tiny)" ]
	[ "$(jq -r '.manifests[0].platform.architecture' "$T/arm/index.json")" = arm64 ]
	cfg=$(jq -r .config.digest "$T/arm/blobs/sha256/${arm_digest#sha256:}")
	[ "$(jq -r .architecture "$T/arm/blobs/sha256/${cfg#sha256:}")" = arm64 ]

	run --separate-stderr oci-fetch -q --all-platforms pull "$REGISTRY/test/multi" "oci:$T/all:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$T/all/index.json")" = "$(fixture_digest multiarch)" ]
	[ "$(jq -r '.manifests[0].mediaType' "$T/all/index.json")" = application/vnd.oci.image.index.v1+json ]
	validate_layout "$T/all"
	run skopeo inspect --raw "oci:$T/all:x"
	assert_status 0
	[ "$(jq -r '.manifests | length' <<<"$output")" = 2 ]

	run oci-fetch -q --platform linux/s390x pull "$REGISTRY/test/multi" "oci:$T/none:x"
	assert_status 1
	assert_one_line
	assert_output_contains "s390x"
	assert_output_contains "arm64"
}

@test "Docker schema2 is stored with its media types and digest unchanged" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/schema2" "oci:$T/s2:latest"
	assert_status 0
	[ "$output" = "$(skopeo_digest test/schema2)" ]
	[ "$(jq -r '.manifests[0].mediaType' "$T/s2/index.json")" = application/vnd.docker.distribution.manifest.v2+json ]
	local m=$T/s2/blobs/sha256/${output#sha256:}
	[ "$(jq -r .config.mediaType "$m")" = application/vnd.docker.container.image.v1+json ]
	cmp "$m" "$OCI_TEST_FIXTURES/docker-schema2.dir/manifest.json"
}

@test "pull by digest, and a digest that does not match is refused" {
	local d
	d=$(fixture_digest tiny)
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/tiny@$d" "oci:$T/bd:t"
	assert_status 0
	[ "$output" = "$d" ]
	run oci-fetch -q pull "$REGISTRY/test/tiny@sha256:$(printf '0%.0s' $(seq 64))" "oci:$T/bd2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 404"
}

@test "inspect prints digest, platforms, config and layers without downloading layers" {
	local before after
	before=$(grep -c 'GET /v2/test/multi/blobs/' "$REGISTRY_LOG" || true)
	run --separate-stderr oci-fetch inspect "$REGISTRY/test/multi"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest multiarch)" ]
	[ "$(jq -r '.platforms | length' <<<"$output")" = 2 ]
	[ "$(jq -r '.platforms[1].architecture' <<<"$output")" = arm64 ]
	[ "$(jq -r '.layers | length' <<<"$output")" = 1 ]
	[ "$(jq -r '.layers[0].size' <<<"$output")" -gt 100000 ]
	[ "$(jq -r .architecture <<<"$output")" = amd64 ]
	after=$(grep -c 'GET /v2/test/multi/blobs/' "$REGISTRY_LOG" || true)
	# only the config blob was read
	[ $((after - before)) -eq 1 ] || fail "inspect read $((after - before)) blobs"
}

@test "tags lists a repository's tags (text and json)" {
	run --separate-stderr oci-fetch tags "$REGISTRY/test/layered"
	assert_status 0
	[ "$output" = v1 ]
	run --separate-stderr oci-fetch --format json tags "$REGISTRY/test/layered"
	assert_status 0
	[ "$(jq -c .tags <<<"$output")" = '["v1"]' ]
	run oci-fetch tags "$REGISTRY/no/such"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 404"
	assert_output_contains "no/such"
}

@test "unknown tag and unknown repository: one line naming HTTP 404, registry and reference" {
	run oci-fetch pull "$REGISTRY/test/tiny:nope" "oci:$T/x"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 404"
	assert_output_contains "MANIFEST_UNKNOWN"
	assert_output_contains "$REGISTRY/test/tiny:nope"
	run oci-fetch pull "$REGISTRY/does/not-exist" "oci:$T/x"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 404"
	assert_output_contains "does/not-exist"
	# nothing was named in the layout
	[ ! -e "$T/x/index.json" ] || [ "$(jq '.manifests | length' "$T/x/index.json")" = 0 ]
}

@test "non-TTY progress: rate lines on stderr, nothing but the digest on stdout" {
	run --separate-stderr oci-fetch pull "$REGISTRY/test/layered:v1" "oci:$T/p"
	assert_status 0
	assert_one_line
	[[ $stderr == *"blob "*": done"* ]] || fail "stderr: $stderr"
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/tiny" "oci:$T/q"
	[ -z "$stderr" ] || fail "-q printed: $stderr"
}

@test "Docker manifest list (schema2): platform pick and --all-platforms keep Docker media types" {
	registry_push_fixture test/dlist "$OCI_TEST_FIXTURES/multiarch" --format v2s2 >/dev/null
	local top
	top=$(skopeo_digest test/dlist)
	run --separate-stderr oci-fetch -q --all-platforms pull "$REGISTRY/test/dlist" "oci:$T/dl:x"
	assert_status 0
	[ "$output" = "$top" ]
	[ "$(jq -r '.manifests[0].mediaType' "$T/dl/index.json")" = application/vnd.docker.distribution.manifest.list.v2+json ]
	validate_layout "$T/dl"
	run --separate-stderr oci-fetch -q --platform linux/arm64/v8 pull "$REGISTRY/test/dlist" "oci:$T/dl2:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].mediaType' "$T/dl2/index.json")" = application/vnd.docker.distribution.manifest.v2+json ]
	[ "$(jq -r '.manifests[0].platform.architecture' "$T/dl2/index.json")" = arm64 ]
}

@test "inspect --raw and --config print the documents byte for byte" {
	oci-fetch inspect --raw "$REGISTRY/test/multi" >"$T/raw"
	[ "sha256:$(sha256sum <"$T/raw" | cut -d' ' -f1)" = "$(fixture_digest multiarch)" ]
	cmp "$T/raw" "$OCI_TEST_FIXTURES/multiarch/blobs/sha256/$(fixture_digest multiarch | cut -d: -f2)"
	oci-fetch inspect --config --platform linux/arm64 "$REGISTRY/test/multi" >"$T/cfg"
	[ "$(jq -r .architecture "$T/cfg")" = arm64 ]
	local m c
	m=$(jq -r '.manifests[] | select(.platform.architecture == "arm64") | .digest' "$T/raw")
	c=$(jq -r .config.digest "$OCI_TEST_FIXTURES/multiarch/blobs/sha256/${m#sha256:}")
	[ "sha256:$(sha256sum <"$T/cfg" | cut -d' ' -f1)" = "$c" ]
}

@test "loopback registries fall back to plain http, except with --tls-verify=true" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/tiny" "oci:$T/h:t"
	assert_status 0
	run oci-fetch -q --retry-times 0 --tls-verify=true pull "$REGISTRY/test/tiny" "oci:$T/h2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "not reachable over https"
}

@test "trust policy: reject and signature requirements refuse the pull; --insecure-policy skips it" {
	printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"%s/test/tiny":[{"type":"reject"}],"%s/test/layered":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"/nonexistent"}]}}}\n' \
		"$REGISTRY" "$REGISTRY" >"$T/policy.json"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/test/tiny" "oci:$T/p:t"
	assert_status 1
	assert_one_line
	assert_output_contains "rejected by policy"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/test/layered:v1" "oci:$T/p:t"
	assert_status 1
	assert_one_line
	assert_output_contains "signedBy"
	# nothing was contacted or written for them
	[ ! -e "$T/p" ]
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" --insecure-policy pull "$REGISTRY/test/tiny" "oci:$T/p:t"
	assert_status 0
	# the user's policy file is found by itself
	mkdir -p "$XDG_CONFIG_HOME/containers"
	cp "$T/policy.json" "$XDG_CONFIG_HOME/containers/policy.json"
	run oci-fetch -q pull "$REGISTRY/test/tiny" "oci:$T/p2:t"
	assert_status 1
	assert_output_contains "rejected by policy"
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/multi" "oci:$T/p3:t"
	assert_status 0
}

@test "--store DIR wins over OCI_ROOT; push takes the name back from that store" {
	run --separate-stderr oci-fetch -q --store "$T/other" pull "$REGISTRY/test/tiny"
	assert_status 0
	[ -f "$T/other/images/index.json" ]
	[ ! -e "$OCI_ROOT/images/index.json" ]
	run --separate-stderr oci-fetch -q --store "$T/other" push "$REGISTRY/test/tiny" "$REGISTRY/test/tiny-again:1"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
}
