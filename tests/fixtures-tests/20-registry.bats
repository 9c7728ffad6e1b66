#!/usr/bin/env bats
# tests/lib/registry.bash: local docker-registry over HTTP and over HTTPS with
# htpasswd, fixtures pushed with skopeo keep their digests, and stopping
# leaves no process and no folder behind.
load ../lib/common
load ../lib/registry

OCI_MANIFEST=application/vnd.oci.image.manifest.v1+json
OCI_INDEX=application/vnd.oci.image.index.v1+json
DOCKER_MANIFEST=application/vnd.docker.distribution.manifest.v2+json

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
}

teardown() {
	registry_stop REGISTRY
	registry_stop MIRROR
	registry_stop SEC
	registry_stop TOK
	registry_stop OTHER
	common_teardown
}

layout_digest() {
	jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/$1/index.json"
}

@test "http registry: push tiny, tags/list, manifest digest equals the layout's" {
	registry_start
	[[ $REGISTRY =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "REGISTRY='$REGISTRY'"
	[ "$REGISTRY_URL" = "http://$REGISTRY" ]
	[ -z "$REGISTRY_CA" ] && [ -z "$REGISTRY_USER" ]
	run registry_push_fixture test/tiny "$OCI_TEST_FIXTURES/tiny"
	assert_status 0
	[ "$output" = "$(layout_digest tiny)" ] || fail "push printed '$output'"
	run curl -sf "$REGISTRY_URL/v2/test/tiny/tags/list"
	assert_status 0
	[ "$(jq -c . <<<"$output")" = '{"name":"test/tiny","tags":["latest"]}' ] || fail "$output"
	curl -sf -H "Accept: $OCI_MANIFEST" -D "$T/headers" -o "$T/manifest" \
		"$REGISTRY_URL/v2/test/tiny/manifests/latest"
	grep -qi "^docker-content-digest: $(layout_digest tiny)" "$T/headers" || fail "$(cat "$T/headers")"
	grep -qi "^content-type: $OCI_MANIFEST" "$T/headers"
	[ "sha256:$(sha256sum <"$T/manifest" | cut -d' ' -f1)" = "$(layout_digest tiny)" ]
	cmp "$T/manifest" "$OCI_TEST_FIXTURES/tiny/blobs/sha256/$(layout_digest tiny | cut -d: -f2)"
	# a blob comes back byte for byte
	local layer
	layer=$(jq -r '.layers[0].digest' "$T/manifest")
	curl -sfL -o "$T/layer" "$REGISTRY_URL/v2/test/tiny/blobs/$layer"
	cmp "$T/layer" "$OCI_TEST_FIXTURES/tiny/blobs/sha256/${layer#sha256:}"
}

@test "http registry: an unknown tag is 404, a plain-HTTPS client fails" {
	registry_start
	run curl -s -o /dev/null -w '%{http_code}' "$REGISTRY_URL/v2/nothing/manifests/latest"
	[ "$output" = 404 ]
	run curl -s --max-time 5 "https://$REGISTRY/v2/"
	[ "$status" -ne 0 ]
}

@test "multiarch index, Docker schema2 as is, and conversion with --format v2s2" {
	registry_start
	run registry_push_fixture multi:v1 "$OCI_TEST_FIXTURES/multiarch"
	assert_status 0
	[ "$output" = "$(layout_digest multiarch)" ]
	curl -sf -H "Accept: $OCI_INDEX" -D "$T/h1" -o "$T/index" "$REGISTRY_URL/v2/multi/manifests/v1"
	grep -qi "^content-type: $OCI_INDEX" "$T/h1"
	[ "$(jq '.manifests|length' "$T/index")" = 2 ]
	# both platform manifests are there by digest
	local d
	for d in $(jq -r '.manifests[].digest' "$T/index"); do
		curl -sf -o /dev/null -H "Accept: $OCI_MANIFEST" "$REGISTRY_URL/v2/multi/manifests/$d" ||
			fail "manifest $d missing"
	done

	run registry_push_fixture ds2 "$OCI_TEST_FIXTURES/docker-schema2.dir"
	assert_status 0
	[ "$output" = "$(layout_digest docker-schema2)" ] || fail "schema2 digest changed: $output"
	curl -sf -H "Accept: $DOCKER_MANIFEST" -D "$T/h2" -o /dev/null "$REGISTRY_URL/v2/ds2/manifests/latest"
	grep -qi "^content-type: $DOCKER_MANIFEST" "$T/h2"

	run registry_push_fixture conv "$OCI_TEST_FIXTURES/tiny" --format v2s2
	assert_status 0
	[ "$output" != "$(layout_digest tiny)" ]
	run curl -sf -H "Accept: $DOCKER_MANIFEST" "$REGISTRY_URL/v2/conv/manifests/latest"
	[ "$(jq -r .mediaType <<<"$output")" = "$DOCKER_MANIFEST" ]
}

@test "registry_push_layout: Docker manifest list and schema2 pushed byte for byte (http and TLS)" {
	registry_start
	registry_start --tls-htpasswd --prefix SEC
	local P l
	for P in REGISTRY SEC; do
		run registry_push_layout --prefix $P lists/dl:v2 "$OCI_TEST_FIXTURES/docker-list"
		assert_status 0
		[ "$output" = "$(layout_digest docker-list)" ] || fail "$P: pushed $output"
		l=$OCI_TEST_FIXTURES/docker-list/blobs/sha256/$(layout_digest docker-list | cut -d: -f2)
		_registry_curl $P -f -H "Accept: application/vnd.docker.distribution.manifest.list.v2+json" \
			-D "$T/h" -o "$T/list" "$(eval echo \$${P}_URL)/v2/lists/dl/manifests/v2"
		cmp "$T/list" "$l"
		grep -qi "^content-type: application/vnd.docker.distribution.manifest.list.v2+json" "$T/h"
		run registry_push_layout --prefix $P ds2 "$OCI_TEST_FIXTURES/docker-schema2"
		assert_status 0
		[ "$output" = "$(layout_digest docker-schema2)" ]
		run registry_push_layout --prefix $P lay:x "$OCI_TEST_FIXTURES/all:layered"
		assert_status 0
		[ "$output" = "$(layout_digest layered)" ]
	done
	# skopeo reads the list back from the http registry
	run skopeo inspect --raw --tls-verify=false "docker://$REGISTRY/lists/dl:v2"
	assert_status 0
	[ "$(jq -r '.manifests|length' <<<"$output")" = 2 ]
	run registry_push_layout x "$OCI_TEST_FIXTURES/all:nosuchref"
	assert_status 1
	assert_output_contains "no image 'nosuchref'"
}

@test "registry_push_fixture: REF of an 'all' layout, bad source, registry not started" {
	run registry_push_fixture x "$OCI_TEST_FIXTURES/tiny"
	assert_status 1
	assert_output_contains "not started"
	registry_start
	run registry_push_fixture lay "$OCI_TEST_FIXTURES/all:layered"
	assert_status 0
	[ "$output" = "$(layout_digest layered)" ]
	run registry_push_fixture x "$T"
	assert_status 1
	assert_output_contains "is not an OCI layout"
}

@test "TLS + htpasswd: 401 without credentials, 200 with them and the CA" {
	registry_start --tls-htpasswd --prefix SEC
	[ "$SEC_URL" = "https://$SEC" ]
	[ -f "$SEC_CA" ] && [ -f "$SEC_CERT_DIR/ca.crt" ]
	[ "$SEC_USER" = tester ] && [ -n "$SEC_PASS" ]
	run curl -s --cacert "$SEC_CA" -o /dev/null -w '%{http_code}' "$SEC_URL/v2/"
	[ "$output" = 401 ] || fail "unauthenticated: $output"
	run curl -s --cacert "$SEC_CA" -D - -o /dev/null "$SEC_URL/v2/"
	assert_output_matches '[Ww]ww-[Aa]uthenticate: Basic realm="oci-tools-test"'
	run curl -s --cacert "$SEC_CA" -u "$SEC_USER:wrong" -o /dev/null -w '%{http_code}' "$SEC_URL/v2/"
	[ "$output" = 401 ]
	run curl -s --cacert "$SEC_CA" -u "$SEC_USER:$SEC_PASS" -o /dev/null -w '%{http_code}' "$SEC_URL/v2/"
	[ "$output" = 200 ] || fail "authenticated: $output"
	# the certificate is for localhost too, and is not trusted without the CA
	run curl -s --cacert "$SEC_CA" -u "$SEC_USER:$SEC_PASS" -o /dev/null -w '%{http_code}' \
		"https://localhost:${SEC##*:}/v2/"
	[ "$output" = 200 ]
	run curl -s -u "$SEC_USER:$SEC_PASS" "$SEC_URL/v2/"
	[ "$status" = 60 ] || fail "curl without the CA: status $status"
}

@test "TLS + htpasswd: push with credentials, read back with an auth file" {
	registry_start --tls-htpasswd --prefix SEC
	run registry_push_fixture --prefix SEC app/tiny:1.0 "$OCI_TEST_FIXTURES/tiny"
	assert_status 0
	[ "$output" = "$(layout_digest tiny)" ]
	run curl -sf --cacert "$SEC_CA" -u "$SEC_USER:$SEC_PASS" "$SEC_URL/v2/app/tiny/tags/list"
	[ "$(jq -r '.tags[0]' <<<"$output")" = 1.0 ]
	registry_write_auth --prefix SEC "$T/auth/config.json"
	run skopeo inspect --authfile "$T/auth/config.json" --cert-dir "$SEC_CERT_DIR" \
		"docker://$SEC/app/tiny:1.0"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(layout_digest tiny)" ]
	run skopeo inspect --cert-dir "$SEC_CERT_DIR" --no-creds "docker://$SEC/app/tiny:1.0"
	[ "$status" -ne 0 ]
}

@test "two registries at once (REGISTRY and MIRROR) are independent" {
	registry_start
	registry_start --prefix MIRROR
	[ "$REGISTRY" != "$MIRROR" ]
	[ "$REGISTRY_DIR" != "$MIRROR_DIR" ]
	registry_push_fixture tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	run curl -s -o /dev/null -w '%{http_code}' -H "Accept: $OCI_MANIFEST" \
		"$MIRROR_URL/v2/tiny/manifests/latest"
	[ "$output" = 404 ]
	run curl -s -o /dev/null -w '%{http_code}' -H "Accept: $OCI_MANIFEST" \
		"$REGISTRY_URL/v2/tiny/manifests/latest"
	[ "$output" = 200 ]
	registry_stop MIRROR
	[ -z "${MIRROR:-}" ]
	run curl -s -o /dev/null -w '%{http_code}' "$REGISTRY_URL/v2/"
	[ "$output" = 200 ]
}

@test "registry_stop leaves no process and no folder, and may be called twice" {
	registry_start --tls-htpasswd
	local pid=$REGISTRY_PID dir=$REGISTRY_DIR child
	child=$(pgrep -P "$pid")
	[ -n "$child" ] || fail "no docker-registry under $pid"
	grep -q docker-registry "/proc/$child/cmdline"
	[ -d "$dir/data" ]
	registry_stop
	! _registry_alive "$pid" || fail "wrapper $pid still running"
	! _registry_alive "$child" || fail "docker-registry $child still running"
	[ ! -e "$dir" ] || fail "$dir left behind"
	[ -z "${REGISTRY_PID:-}" ]
	registry_stop
}

@test "registry_start: unknown argument is refused" {
	run registry_start --bogus
	assert_status 2
	assert_output_contains "unknown argument"
	[ -z "${REGISTRY:-}" ]
}

# token TOKEN_URL SCOPE [curl args] (TOK_CA is the CA): a bearer token from the token server.
token() {
	local url=$1 scope=$2
	shift 2
	curl -s --cacert "$TOK_CA" -G --data-urlencode "service=oci-tools-test-registry" \
		--data-urlencode "scope=$scope" "$@" "$url" | jq -r .token
}

@test "token auth: Bearer challenge, user token pulls, anonymous only public/, wrong password 401" {
	registry_start --token --token-expires 120 --prefix TOK
	[ "$TOK_AUTH" = token ]
	[[ $TOK_TOKEN_URL =~ ^https://127\.0\.0\.1:[0-9]+/token$ ]] || fail "$TOK_TOKEN_URL"
	run curl -s --cacert "$TOK_CA" -D - -o /dev/null "$TOK_URL/v2/"
	assert_output_contains "401"
	assert_output_contains "Bearer realm=\"$TOK_TOKEN_URL\",service=\"oci-tools-test-registry\""
	# basic credentials are not enough for the registry itself
	run curl -s --cacert "$TOK_CA" -u "$TOK_USER:$TOK_PASS" -o /dev/null -w '%{http_code}' "$TOK_URL/v2/"
	[ "$output" = 401 ]
	registry_push_fixture --prefix TOK app/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_push_fixture --prefix TOK public/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	local t get=(-s -o /dev/null -w '%{http_code}' --cacert "$TOK_CA" -H "Accept: $OCI_MANIFEST")
	t=$(token "$TOK_TOKEN_URL" repository:app/tiny:pull -u "$TOK_USER:$TOK_PASS")
	run curl "${get[@]}" -H "Authorization: Bearer $t" "$TOK_URL/v2/app/tiny/manifests/latest"
	[ "$output" = 200 ] || fail "user token: $output"
	# a token for one repository does not open another
	run curl "${get[@]}" -H "Authorization: Bearer $t" "$TOK_URL/v2/public/tiny/manifests/latest"
	[ "$output" = 401 ]
	t=$(token "$TOK_TOKEN_URL" repository:app/tiny:pull)
	run curl "${get[@]}" -H "Authorization: Bearer $t" "$TOK_URL/v2/app/tiny/manifests/latest"
	[ "$output" = 401 ] || fail "anonymous private: $output"
	t=$(token "$TOK_TOKEN_URL" repository:public/tiny:pull)
	run curl "${get[@]}" -H "Authorization: Bearer $t" "$TOK_URL/v2/public/tiny/manifests/latest"
	[ "$output" = 200 ] || fail "anonymous public: $output"
	run curl -s -o /dev/null -w '%{http_code}' --cacert "$TOK_CA" -u "$TOK_USER:nope" "$TOK_TOKEN_URL?service=x"
	[ "$output" = 401 ]
	run curl -s --cacert "$TOK_CA" -u "$TOK_USER:$TOK_PASS" "$TOK_TOKEN_URL?service=x"
	[ "$(jq -r .expires_in <<<"$output")" = 120 ]
	# the log has every request, with its scope
	grep -q '"scope": \["repository:public/tiny:pull"\].*"user": "", .*"status": 200' "$TOK_TOKEN_LOG"
	grep -q '"user": "?", .*"status": 401' "$TOK_TOKEN_LOG"
}

@test "token auth: OAuth2 POST with password and refresh_token; skopeo and registry_push_layout" {
	registry_start --token --prefix TOK
	run curl -s --cacert "$TOK_CA" -d grant_type=password -d username="$TOK_USER" \
		--data-urlencode "password=$TOK_PASS" -d access_type=offline -d service=oci-tools-test-registry \
		-d scope=repository:a/b:pull "$TOK_TOKEN_URL"
	[ "$(jq -r .refresh_token <<<"$output")" = "$TOK_REFRESH_TOKEN" ] || fail "$output"
	run curl -s --cacert "$TOK_CA" -d grant_type=refresh_token -d refresh_token="$TOK_REFRESH_TOKEN" \
		-d service=oci-tools-test-registry -d scope=repository:a/b:pull "$TOK_TOKEN_URL"
	[ "$(jq -r '.access_token|split(".")|length' <<<"$output")" = 3 ] || fail "$output"
	run curl -s -o /dev/null -w '%{http_code}' --cacert "$TOK_CA" -d grant_type=refresh_token \
		-d refresh_token=wrong "$TOK_TOKEN_URL"
	[ "$output" = 401 ]
	run registry_push_layout --prefix TOK lists/dl "$OCI_TEST_FIXTURES/docker-list"
	assert_status 0
	[ "$output" = "$(layout_digest docker-list)" ]
	run skopeo inspect --raw --cert-dir "$TOK_CERT_DIR" --creds "$TOK_USER:$TOK_PASS" "docker://$TOK/lists/dl"
	assert_status 0
	[ "$(jq -r .mediaType <<<"$output")" = application/vnd.docker.distribution.manifest.list.v2+json ]
	run skopeo inspect --raw --cert-dir "$TOK_CERT_DIR" --no-creds "docker://$TOK/lists/dl"
	[ "$status" -ne 0 ]
}

@test "token registry_stop ends the token server too" {
	registry_start --token --prefix TOK
	local tp=$TOK_TOKEN_PID rp=$TOK_PID dir=$TOK_DIR
	_registry_alive "$tp"
	registry_stop TOK
	! _registry_alive "$tp" || fail "token server $tp still running"
	! _registry_alive "$rp" || fail "registry $rp still running"
	[ ! -e "$dir" ]
	[ -z "${TOK_TOKEN_URL:-}" ]
}

@test "--proxy-of: a pull-through cache of an http and of a token registry" {
	registry_start
	registry_push_fixture lib/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_start --proxy-of REGISTRY --prefix MIRROR
	run curl -s -o /dev/null -w '%{http_code}' -H "Accept: $OCI_MANIFEST" "$MIRROR_URL/v2/lib/tiny/manifests/latest"
	[ "$output" = 200 ] || fail "through the http proxy: $output"
	[ -d "$MIRROR_DIR/data/docker/registry/v2/repositories/lib/tiny" ] || fail "mirror cached nothing"
	run curl -s -o /dev/null -w '%{http_code}' -H "Accept: $OCI_MANIFEST" "$MIRROR_URL/v2/lib/nothing/manifests/latest"
	[ "$output" = 404 ]
	registry_stop MIRROR
	registry_stop

	registry_start --token --prefix TOK
	registry_push_fixture --prefix TOK lib/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_start --proxy-of TOK --prefix MIRROR
	run skopeo inspect --tls-verify=false "docker://$MIRROR/lib/tiny"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(layout_digest tiny)" ]
	grep -q '"scope": \["repository:lib/tiny:pull"\].*"user": "tester"' "$TOK_TOKEN_LOG" ||
		fail "the proxy did not ask the token server as tester: $(cat "$TOK_TOKEN_LOG")"

	registry_start --tls-htpasswd --prefix SEC
	run registry_start --proxy-of SEC --prefix OTHER
	assert_status 1
	assert_output_contains "basic auth"
}
