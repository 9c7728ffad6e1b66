#!/usr/bin/env bats
# oci-fetch blob transfers that go wrong: a connection dropped mid-blob is
# resumed with Range, 503s are retried with backoff, a server that ignores
# Range is handled, a corrupt blob is refused and nothing is stored, and a
# pull killed with SIGKILL is finished by a rerun.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_push_fixture test/layered "$OCI_TEST_FIXTURES/layered" >/dev/null
}

teardown_file() {
	registry_stop
}

teardown() {
	proxy_stop PROXY
	proxy_stop PROXY2
	registry_stop BAD
	[ -z "${PULL_PID:-}" ] || kill -9 "$PULL_PID" 2>/dev/null || true
	common_teardown
}

@test "a connection dropped mid-blob is resumed with Range from where it stopped" {
	proxy_start PROXY "$REGISTRY" --drop 2 --drop-after 300000
	run --separate-stderr oci-fetch -q --jobs 1 --retry-delay 10ms pull "$PROXY/test/layered" "oci:$T/r:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	validate_layout "$T/r"
	# two drops happened, and after each one the blob was asked again with
	# Range from where it stopped (answered 206)
	[ "$(grep -c '"action": "drop"' "$PROXY_LOG")" = 2 ] || fail "$(cat "$PROXY_LOG")"
	/usr/bin/python3 - "$PROXY_LOG" <<'EOP' || fail "$(cat "$PROXY_LOG")"
import json, sys
log = [json.loads(l) for l in open(sys.argv[1])]
for i, e in enumerate(log):
    if e["action"] != "drop":
        continue
    start = int(e["range"][6:-1]) if e["range"] else 0
    want = "bytes=%d-" % (start + e["sent"])
    if not any(f["path"] == e["path"] and f["range"] == want and f["status"] == 206
               for f in log[i + 1:]):
        sys.exit("no resume %s for %s" % (want, e["path"]))
EOP
}

@test "503s are retried with backoff; --retry-times 0 fails naming the status and digest" {
	proxy_start PROXY "$REGISTRY" --fail 2
	run --separate-stderr oci-fetch -q --jobs 1 --retry-delay 10ms pull "$PROXY/test/layered" "oci:$T/r:t"
	assert_status 0
	validate_layout "$T/r"
	[ "$(grep -c '"action": "fail"' "$PROXY_LOG")" = 2 ]

	proxy_start PROXY2 "$REGISTRY" --fail 100
	run oci-fetch -q --retry-times 0 pull "$PROXY2/test/layered" "oci:$T/r2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 503"
	assert_output_contains "sha256:"
	assert_output_contains "$PROXY2/test/layered"
}

@test "a server that ignores Range: the blob starts over and still verifies" {
	proxy_start PROXY "$REGISTRY" --drop 1 --drop-after 200000 --ignore-range
	run --separate-stderr oci-fetch -q --jobs 1 --retry-delay 10ms pull "$PROXY/test/layered" "oci:$T/r:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	validate_layout "$T/r"
}

@test "drops with no retries left keep the partial blob; a rerun resumes it" {
	proxy_start PROXY "$REGISTRY" --drop 100 --drop-after 1000000
	run oci-fetch -q --retry-times 0 --jobs 1 pull "$PROXY/test/layered" "oci:$T/r:t"
	assert_status 1
	assert_one_line
	# the blob that was cut is there under its partial name only
	local partial hex
	partial=$(cd "$T/r/blobs/sha256" && ls .partial-* | head -1)
	[ -n "$partial" ] || fail "no partial blob: $(ls -la "$T/r/blobs/sha256")"
	hex=${partial#.partial-}
	[ "$(stat -c %s "$T/r/blobs/sha256/$partial")" = 1000000 ]
	[ ! -e "$T/r/blobs/sha256/$hex" ]
	[ "$(jq '.manifests | length' "$T/r/index.json")" = 0 ]
	proxy_start PROXY2 "$REGISTRY"
	run --separate-stderr oci-fetch -q pull "$PROXY2/test/layered" "oci:$T/r:t"
	assert_status 0
	validate_layout "$T/r"
	grep "sha256:$hex" "$PROXY2_LOG" | grep -q '"range": "bytes=1000000-"' || fail "$(cat "$PROXY2_LOG")"
}

@test "a corrupt blob in the registry: digest mismatch names the digest, nothing is stored" {
	registry_start --prefix BAD
	registry_push_fixture --prefix BAD test/layered "$OCI_TEST_FIXTURES/layered" >/dev/null
	local big f
	big=$(big_layer_digest)
	f=$BAD_DIR/data/docker/registry/v2/blobs/sha256/${big:7:2}/${big#sha256:}/data
	[ -f "$f" ]
	# same size, one byte changed in the middle
	printf 'X' | dd of="$f" bs=1 seek=4000000 conv=notrunc status=none
	run oci-fetch -q pull "$BAD/test/layered" "oci:$T/c:t"
	assert_status 1
	assert_one_line
	assert_output_contains "digest mismatch"
	assert_output_contains "$big"
	[ ! -e "$T/c/blobs/sha256/${big#sha256:}" ]
	[ ! -e "$T/c/blobs/sha256/.partial-${big#sha256:}" ]
	[ "$(jq '.manifests | length' "$T/c/index.json")" = 0 ]
}

@test "kill -9 during a pull, then a rerun completes and leaves a valid layout" {
	proxy_start PROXY "$REGISTRY" --rate 2000000
	oci-fetch -q pull "$PROXY/test/layered" "oci:$T/k:t" >/dev/null 2>&1 &
	PULL_PID=$!
	local big i
	big=$(big_layer_digest)
	for i in $(seq 100); do
		[ -s "$T/k/blobs/sha256/.partial-${big#sha256:}" ] && break
		sleep 0.05
	done
	sleep 0.5
	kill -9 "$PULL_PID"
	wait "$PULL_PID" 2>/dev/null || true
	PULL_PID=
	[ -s "$T/k/blobs/sha256/.partial-${big#sha256:}" ] || fail "no partial blob after the kill"
	[ ! -e "$T/k/blobs/sha256/${big#sha256:}" ]
	# what is there still reads as a layout (no name yet)
	vjson image-spec/image-index-schema.json "$T/k/index.json"
	proxy_start PROXY2 "$REGISTRY"
	run --separate-stderr oci-fetch -q pull "$PROXY2/test/layered" "oci:$T/k:t"
	[ "$status" = 0 ] || fail "rerun failed ($status): $stderr"
	[ "$output" = "$(fixture_digest layered)" ]
	validate_layout "$T/k"
	grep "$big" "$PROXY2_LOG" | grep -q '"range": "bytes=' || fail "not resumed: $(cat "$PROXY2_LOG")"
	skopeo inspect "oci:$T/k:t" >/dev/null
}

@test "blobs redirected to another host: followed, and credentials are not sent there" {
	proxy_start PROXY2 "$REGISTRY"
	# the registry side wants Basic credentials; its blobs live on "localhost"
	proxy_start PROXY "$REGISTRY" --require-basic u:p --redirect-blobs "localhost:${PROXY2##*:}"
	run --separate-stderr oci-fetch -q --creds u:p pull "$PROXY/test/layered" "oci:$T/rd:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	validate_layout "$T/rd"
	grep -q '"action": "redirect"' "$PROXY_LOG" || fail "no redirect: $(cat "$PROXY_LOG")"
	grep -q '"path": "/v2/test/layered/blobs/' "$PROXY2_LOG" || fail "blobs not fetched from the other host"
	! grep '/blobs/' "$PROXY2_LOG" | grep -q '"auth": true' || fail "Authorization sent to the other host: $(cat "$PROXY2_LOG")"
	# while the registry itself got them
	grep '/manifests/' "$PROXY_LOG" | grep -q '"auth": true'
}

@test "a manifest whose mediaType disagrees with its Content-Type is refused" {
	proxy_start PROXY "$REGISTRY" --manifest-content-type application/vnd.docker.distribution.manifest.v2+json
	run oci-fetch -q pull "$PROXY/test/layered" "oci:$T/ct:t"
	assert_status 1
	assert_one_line
	assert_output_contains "does not match Content-Type"
	assert_output_contains "$PROXY/test/layered"
	[ "$(jq '.manifests | length' "$T/ct/index.json")" = 0 ]
}

@test "two pulls of the same image into one layout at once both succeed" {
	proxy_start PROXY "$REGISTRY" --rate 8000000
	oci-fetch -q pull "$PROXY/test/layered" "oci:$T/cc:one" >"$T/out1" 2>"$T/err1" &
	local p1=$!
	oci-fetch -q pull "$PROXY/test/layered" "oci:$T/cc:two" >"$T/out2" 2>"$T/err2" &
	local p2=$!
	local s1=0 s2=0
	wait "$p1" || s1=$?
	wait "$p2" || s2=$?
	[ "$s1" = 0 ] || fail "first: $(cat "$T/err1")"
	[ "$s2" = 0 ] || fail "second: $(cat "$T/err2")"
	[ "$(cat "$T/out1")" = "$(fixture_digest layered)" ]
	[ "$(cat "$T/out2")" = "$(fixture_digest layered)" ]
	validate_layout "$T/cc"
	[ "$(jq '.manifests | length' "$T/cc/index.json")" = 2 ]
	run find "$T/cc" -name '.partial-*'
	[ -z "$output" ] || fail "left: $output"
}

@test "429 with Retry-After: the wait it asks for is honoured" {
	proxy_start PROXY "$REGISTRY" --fail 1 --fail-status 429
	local t0 t1
	t0=$(date +%s%N)
	run --separate-stderr oci-fetch -q --jobs 1 --retry-delay 10ms pull "$PROXY/test/layered" "oci:$T/ra:t"
	t1=$(date +%s%N)
	assert_status 0
	validate_layout "$T/ra"
	grep -q '"status": 429' "$PROXY_LOG"
	[ $(( (t1 - t0) / 1000000 )) -ge 1000 ] || fail "did not wait: $(( (t1 - t0) / 1000000 )) ms"
}

@test "a complete partial blob is verified and kept without a request; a bad one is fetched again" {
	local big other
	big=$(big_layer_digest)
	# a layout as a killed pull leaves it: the big layer complete but not renamed
	mkdir -p "$T/cp/blobs/sha256"
	echo '{"imageLayoutVersion":"1.0.0"}' >"$T/cp/oci-layout"
	echo '{"schemaVersion":2,"manifests":[]}' >"$T/cp/index.json"
	cp "$OCI_TEST_FIXTURES/layered/blobs/sha256/${big#sha256:}" "$T/cp/blobs/sha256/.partial-${big#sha256:}"
	# and another layer complete but corrupt
	other=$(jq -r '.layers[0].digest' "$OCI_TEST_FIXTURES/layered/blobs/sha256/$(fixture_digest layered | cut -d: -f2)")
	[ "$other" != "$big" ]
	cp "$OCI_TEST_FIXTURES/layered/blobs/sha256/${other#sha256:}" "$T/cp/blobs/sha256/.partial-${other#sha256:}"
	printf 'X' | dd of="$T/cp/blobs/sha256/.partial-${other#sha256:}" bs=1 seek=100 conv=notrunc status=none
	proxy_start PROXY "$REGISTRY"
	run --separate-stderr oci-fetch -q pull "$PROXY/test/layered" "oci:$T/cp:t"
	assert_status 0
	validate_layout "$T/cp"
	! grep -q "$big" "$PROXY_LOG" || fail "the complete blob was fetched: $(grep "$big" "$PROXY_LOG")"
	grep "$other" "$PROXY_LOG" | grep -q '"range": null' || fail "the bad blob was not fetched whole: $(cat "$PROXY_LOG")"
}
