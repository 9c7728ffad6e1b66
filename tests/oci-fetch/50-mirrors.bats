#!/usr/bin/env bats
# oci-fetch mirrors from a registries.conf-style file: tried in order, the
# next one used when one is down, pull-from-mirror and blocked registries,
# insecure registries.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start --prefix MIRROR1
	registry_start --prefix MIRROR2
	registry_push_fixture --prefix MIRROR2 lib/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_push_fixture --prefix MIRROR1 lib/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
}

teardown_file() {
	registry_stop MIRROR1
	registry_stop MIRROR2
}

# The "real" registry is an address where nothing listens.
write_conf() {
	cat >"$T/registries.conf" <<EOC
# mirrors for a registry that is down
unqualified-search-registries = ["docker.io"]

[[registry]]
prefix = "127.0.0.1:9/lib"
location = "127.0.0.1:9/lib"
$1

[[registry.mirror]]
location = "${2}/lib"
insecure = true

[[registry.mirror]]
location = "${3}/lib"
insecure = true
EOC
}

@test "mirrors are tried in order; the first that answers serves the pull" {
	write_conf "" "$MIRROR1" "$MIRROR2"
	local before
	before=$(grep -c 'GET /v2/lib/tiny/manifests' "$MIRROR2_LOG" || true)
	run --separate-stderr oci-fetch -q --registries-conf "$T/registries.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	validate_layout "$T/m"
	# a mirror is told which registry it stands for (?ns=, as containerd does)
	grep -q 'GET /v2/lib/tiny/manifests/latest?ns=127.0.0.1:9 ' "$MIRROR1_LOG" || fail "$(grep manifests "$MIRROR1_LOG")"
	grep -q 'GET /v2/lib/tiny/blobs/sha256:[0-9a-f]*?ns=127.0.0.1:9 ' "$MIRROR1_LOG"
	[ "$(grep -c 'GET /v2/lib/tiny/manifests' "$MIRROR2_LOG" || true)" = "$before" ]
}

@test "a mirror that is down is skipped for the next one (two local registries, one stopped)" {
	local down
	down=127.0.0.1:$(_free_port)
	write_conf "" "$down" "$MIRROR2"
	run --separate-stderr oci-fetch -q --retry-times 0 --registries-conf "$T/registries.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	[[ $stderr == *"mirror '$down' failed"* ]] || fail "stderr: $stderr"
	grep -q 'GET /v2/lib/tiny/manifests/latest' "$MIRROR2_LOG"
}

@test "a stopped registry among the mirrors, via CONTAINERS_REGISTRIES_CONF" {
	registry_start --prefix GONE
	local gone=$GONE
	registry_stop GONE
	write_conf "" "$gone" "$MIRROR1"
	CONTAINERS_REGISTRIES_CONF=$T/registries.conf run --separate-stderr oci-fetch -q --retry-times 0 pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
}

@test "every endpoint down: the error names the registry itself" {
	write_conf "" "127.0.0.1:$(_free_port)" "127.0.0.1:$(_free_port)"
	run oci-fetch -q --retry-times 0 --registries-conf "$T/registries.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 1
	assert_output_contains "127.0.0.1:9"
	[ "$(printf '%s\n' "$output" | grep -c 'error:')" = 1 ]
}

@test "mirror-by-digest-only: a tag pull skips the mirrors, a digest pull uses them" {
	write_conf "mirror-by-digest-only = true" "$MIRROR1" "$MIRROR2"
	run oci-fetch -q --retry-times 0 --registries-conf "$T/registries.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 1
	run --separate-stderr oci-fetch -q --registries-conf "$T/registries.conf" pull "127.0.0.1:9/lib/tiny@$(fixture_digest tiny)" "oci:$T/m:t"
	assert_status 0
}

@test "a blocked registry is refused with a clear error" {
	write_conf "blocked = true" "$MIRROR1" "$MIRROR2"
	run oci-fetch -q --registries-conf "$T/registries.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 1
	assert_one_line
	assert_output_contains "blocked"
}

@test "a malformed registries.conf is an error naming the file and line" {
	printf '[[registry]]\nprefix = "x\n' >"$T/bad.conf"
	run oci-fetch -q --registries-conf "$T/bad.conf" pull 127.0.0.1:9/lib/tiny "oci:$T/m:t"
	assert_status 1
	assert_one_line
	assert_output_contains "bad.conf:2"
}
