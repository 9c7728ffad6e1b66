#!/usr/bin/env bats
# oci-fetch auth: htpasswd over TLS (CA from --cert-dir), login/logout and
# credential files, the bearer token flow against a token server, and the
# 401 errors.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start --tls-htpasswd
	registry_push_fixture test/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	token_registry_start --user tokuser --password tokpass
	skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds tokuser:tokpass \
		"oci:$OCI_TEST_FIXTURES/layered:latest" "docker://$TREG/team/layered:1" >&2
}

teardown() {
	mtls_registry_stop
	# a token registry started by a test itself (teardown_file only knows its own)
	[ -z "${OWN_TREG:-}" ] || token_registry_stop
	# the certs.d folder one test makes for this registry's port
	[ -z "${CERTSD:-}" ] || rm -rf "$CERTSD"
	[ -z "${CERTSD_PARENT:-}" ] || rmdir "$CERTSD_PARENT" 2>/dev/null || true
	common_teardown
}

teardown_file() {
	registry_stop
	token_registry_stop
}

@test "TLS + htpasswd: --cert-dir and --creds pull; the layout validates" {
	run --separate-stderr oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" --creds "$REGISTRY_USER:$REGISTRY_PASS" \
		pull "$REGISTRY/test/tiny" "oci:$T/l:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	validate_layout "$T/l"
}

@test "TLS: the CA from /etc/containers/certs.d/HOST:PORT is used without --cert-dir" {
	CERTSD=/etc/containers/certs.d/$REGISTRY
	[ ! -e "$CERTSD" ] || skip "$CERTSD already exists on this machine"
	[ -d /etc/containers/certs.d ] || CERTSD_PARENT=/etc/containers/certs.d
	mkdir -p "$CERTSD"
	cp "$REGISTRY_CA" "$CERTSD/ca.crt"
	run --separate-stderr oci-fetch -q --creds "$REGISTRY_USER:$REGISTRY_PASS" pull "$REGISTRY/test/tiny" "oci:$T/cd:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	# a key without its certificate is a clear error
	touch "$CERTSD/client.key"
	run oci-fetch -q --creds "$REGISTRY_USER:$REGISTRY_PASS" pull "$REGISTRY/test/tiny" "oci:$T/cd2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "client.key"
}

@test "TLS client certificate (*.cert + *.key in --cert-dir) for a registry that requires one" {
	mtls_registry_start
	skopeo copy -q --preserve-digests --dest-cert-dir "$MTLS_CERT_DIR" \
		"oci:$OCI_TEST_FIXTURES/tiny:latest" "docker://$MTLS/c/tiny:1"
	run --separate-stderr oci-fetch -q --cert-dir "$MTLS_CERT_DIR" pull "$MTLS/c/tiny:1" "oci:$T/m:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	run --separate-stderr oci-fetch -q --cert-dir "$MTLS_CERT_DIR" push "oci:$T/m:t" "$MTLS/c/again:2"
	assert_status 0
	run oci-fetch -q --retry-times 0 --cert-dir "$MTLS_CA_ONLY" pull "$MTLS/c/tiny:1" "oci:$T/m2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "$MTLS"
}

@test "TLS: without the CA the certificate is refused; --tls-verify=false skips the check" {
	run oci-fetch -q --creds "$REGISTRY_USER:$REGISTRY_PASS" pull "$REGISTRY/test/tiny" "oci:$T/l:t"
	assert_status 1
	assert_one_line
	assert_output_contains "$REGISTRY"
	assert_output_contains "certificate"
	run --separate-stderr oci-fetch -q --tls-verify=false --creds "$REGISTRY_USER:$REGISTRY_PASS" pull "$REGISTRY/test/tiny" "oci:$T/l:t"
	assert_status 0
}

@test "no credentials: one line naming HTTP 401, the registry and the reference" {
	run oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/l:t"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
	assert_output_contains "$REGISTRY/test/tiny:latest"
	assert_output_contains "login"
}

@test "login checks and saves credentials; pull uses them; logout removes them" {
	run oci-fetch --cert-dir "$REGISTRY_CERT_DIR" login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"wrong"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
	[ ! -e "$REGISTRY_AUTH_FILE" ]

	run oci-fetch --cert-dir "$REGISTRY_CERT_DIR" login -u "$REGISTRY_USER" --password-stdin "$REGISTRY" <<<"$REGISTRY_PASS"
	assert_status 0
	assert_output_contains "Login Succeeded"
	# common.bash sets REGISTRY_AUTH_FILE, which login honours as skopeo does
	local f=$REGISTRY_AUTH_FILE
	[ "$(stat -c %a "$f")" = 600 ]
	[ "$(jq -r --arg r "$REGISTRY" '.auths[$r].auth' "$f" | base64 -d)" = "$REGISTRY_USER:$REGISTRY_PASS" ]
	# skopeo reads what we wrote
	skopeo inspect --cert-dir "$REGISTRY_CERT_DIR" --authfile "$f" "docker://$REGISTRY/test/tiny" >/dev/null

	run --separate-stderr oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/l:t"
	assert_status 0

	run oci-fetch logout "$REGISTRY"
	assert_status 0
	[ "$(jq -r --arg r "$REGISTRY" '.auths[$r]' "$f")" = null ]
	run oci-fetch logout "$REGISTRY"
	assert_status 1
	assert_output_contains "not logged in"
	run oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/l2:t"
	assert_status 1
	assert_output_contains "HTTP 401"
}

@test "credentials from ~/.docker/config.json and from --authfile" {
	registry_write_auth "$DOCKER_CONFIG/config.json"
	run --separate-stderr oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/a:t"
	assert_status 0
	rm "$DOCKER_CONFIG/config.json"
	registry_write_auth "$T/other.json"
	run --separate-stderr oci-fetch -q --authfile "$T/other.json" --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/b:t"
	assert_status 0
	echo '{"auths":{' >"$T/bad.json"
	run oci-fetch -q --authfile "$T/bad.json" --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/c:t"
	assert_status 1
	assert_one_line
	assert_output_contains "bad.json"
}

@test "--no-creds ignores saved credentials; --registry-token sends a bearer token" {
	registry_write_auth "$DOCKER_CONFIG/config.json"
	run oci-fetch -q --no-creds --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/n:t"
	assert_status 1
	assert_output_contains "HTTP 401"
}

@test "--registry-token: a token got elsewhere is sent as is" {
	local port tok
	port=$(cat "$TREG_DIR/port")
	tok=$(curl -sf -u tokuser:tokpass "http://127.0.0.1:$port/token?service=oci-test-registry&scope=repository:team/layered:pull" | jq -r .token)
	[ -n "$tok" ] && [ "$tok" != null ]
	local before
	before=$(wc -l <"$TOKEN_LOG")
	run --separate-stderr oci-fetch -q --registry-token "$tok" pull "$TREG/team/layered:1" "oci:$T/rt:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	# we did not ask the token server ourselves
	[ "$(wc -l <"$TOKEN_LOG")" = "$before" ]
	run oci-fetch -q --registry-token garbage pull "$TREG/team/layered:1" "oci:$T/rt2:t"
	assert_status 1
	assert_output_contains "HTTP 401"
}

@test "a docker-credential helper named in credHelpers supplies the credentials" {
	mkdir -p "$T/bin"
	cat >"$T/bin/docker-credential-fake" <<EOS
#!/bin/sh
[ "\$1" = get ] || exit 1
read -r host
[ "\$host" = "$REGISTRY" ] || { echo "credentials not found" ; exit 1; }
printf '{"ServerURL":"%s","Username":"%s","Secret":"%s"}\n' "\$host" "$REGISTRY_USER" "$REGISTRY_PASS"
EOS
	chmod +x "$T/bin/docker-credential-fake"
	mkdir -p "$DOCKER_CONFIG"
	printf '{"credHelpers":{"%s":"fake"}}\n' "$REGISTRY" >"$DOCKER_CONFIG/config.json"
	PATH=$T/bin:$PATH run --separate-stderr oci-fetch -q --cert-dir "$REGISTRY_CERT_DIR" pull "$REGISTRY/test/tiny" "oci:$T/h:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
}

@test "bearer token flow: realm, service and scope from WWW-Authenticate, Basic to the token server" {
	local before
	before=$(wc -l <"$TOKEN_LOG")
	run --separate-stderr oci-fetch -q --creds tokuser:tokpass pull "$TREG/team/layered:1" "oci:$T/tk:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	validate_layout "$T/tk"
	# the token server saw our service and pull scope, with our user
	grep -q '"scope": \["repository:team/layered:pull"\]' "$TOKEN_LOG" || fail "$(cat "$TOKEN_LOG")"
	grep -q '"service": \["oci-test-registry"\]' "$TOKEN_LOG"
	grep -q '"user": "tokuser"' "$TOKEN_LOG"
	# one token for the whole pull, not one per request
	local n
	n=$(tail -n +"$((before + 1))" "$TOKEN_LOG" | grep -c '"user": "tokuser"')
	[ "$n" -le 2 ] || fail "asked for $n tokens"
}

@test "bearer: wrong credentials give one line naming the token server's 401" {
	run oci-fetch -q --creds tokuser:nope pull "$TREG/team/layered:1" "oci:$T/tk:t"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
	assert_output_contains "$TREG"
}

@test "bearer: tags and inspect go through the token flow too" {
	run --separate-stderr oci-fetch --creds tokuser:tokpass tags "$TREG/team/layered"
	assert_status 0
	[ "$output" = 1 ]
	run --separate-stderr oci-fetch --creds tokuser:tokpass inspect "$TREG/team/layered:1"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
}

@test "login to a bearer-token registry checks the password with the token server" {
	run oci-fetch login -u tokuser --password-stdin "$TREG" <<<"bad"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
	[ ! -e "$REGISTRY_AUTH_FILE" ]
	run oci-fetch login -u tokuser --password-stdin "$TREG" <<<"tokpass"
	assert_status 0
	run --separate-stderr oci-fetch -q pull "$TREG/team/layered:1" "oci:$T/lg:t"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
}

@test "an identity token in the auth file: OAuth2 refresh_token grant (POST) to the token server" {
	# a token registry of its own: setup_file's one has no refresh token
	OWN_TREG=1
	token_registry_start --user tokuser --password tokpass --refresh-token RT-123
	skopeo copy -q --preserve-digests --dest-tls-verify=false --dest-creds tokuser:tokpass \
		"oci:$OCI_TEST_FIXTURES/tiny:latest" "docker://$TREG/team/tiny:1" >&2
	mkdir -p "$(dirname "$REGISTRY_AUTH_FILE")"
	printf '{"auths":{"%s":{"identitytoken":"RT-123"}}}\n' "$TREG" >"$REGISTRY_AUTH_FILE"
	run --separate-stderr oci-fetch -q pull "$TREG/team/tiny:1" "oci:$T/rt:t"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	grep '"method": "POST"' "$TOKEN_LOG" | grep -q '"refresh_ok": true' || fail "$(cat "$TOKEN_LOG")"
	grep '"method": "POST"' "$TOKEN_LOG" | grep -q '"grant_type": \["refresh_token"\]'
	printf '{"auths":{"%s":{"identitytoken":"wrong"}}}\n' "$TREG" >"$REGISTRY_AUTH_FILE"
	run oci-fetch -q pull "$TREG/team/tiny:1" "oci:$T/rt2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "HTTP 401"
}
