# Shared by the oci-fetch bats files: load after ../lib/common and ../lib/registry.

# validate_json of tests/lib/common.bash resolves the image-spec schemas'
# $refs over the network; the fixtures' validator serves them offline.
vjson() {
	/usr/bin/python3 "$OCI_TEST_TOP/tests/fixtures/validate-schema.py" "$SPECS/$1" "$2"
}

fixture_digest() {
	jq -r '.manifests[0].digest' "$OCI_TEST_FIXTURES/$1/index.json"
}

# skopeo_digest REPO[:TAG] [skopeo flags]: digest of the manifest as served
skopeo_digest() {
	local r=$1
	shift
	skopeo inspect --tls-verify=false "$@" --raw "docker://$REGISTRY/$r" | sha256sum | sed 's/^/sha256:/; s/ .*//'
}

# validate_layout DIR: schemas of oci-layout, index.json, each named
# manifest or index; every blob hashes to its name; nothing partial left.
validate_layout() {
	local dir=$1 d mt f
	vjson image-spec/image-layout-schema.json "$dir/oci-layout" || return 1
	vjson image-spec/image-index-schema.json "$dir/index.json" || return 1
	for d in $(jq -r '.manifests[].digest' "$dir/index.json"); do
		f=$dir/blobs/sha256/${d#sha256:}
		[ -f "$f" ] || fail "blob $d named in index.json is missing" || return 1
		mt=$(jq -r .mediaType "$f")
		case $mt in
		*index* | *list*) vjson image-spec/image-index-schema.json "$f" || return 1 ;;
		*) vjson image-spec/image-manifest-schema.json "$f" || return 1 ;;
		esac
	done
	for f in "$dir"/blobs/sha256/*; do
		[ "$(sha256sum <"$f" | cut -d' ' -f1)" = "$(basename "$f")" ] ||
			fail "blob $f does not match its name" || return 1
	done
}

_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

_wait_http() { # URL CODE...
	local url=$1 code i
	shift
	for i in $(seq 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url" 2>/dev/null) || true
		for c in "$@"; do [ "$code" = "$c" ] && return 0; done
		sleep 0.05
	done
	return 1
}

# token_registry_start [token-server flags]: a docker-registry over plain
# http on 127.0.0.1 whose auth is distribution's bearer token flow, served by
# tests/lib/token-server.py. Exports TREG (host:port), TREG_DIR, TREG_LOG,
# TOKEN_LOG (the token server's requests, one JSON line each).
token_registry_start() {
	local dir port tport
	dir=$(mktemp -d "${TMPDIR:-/tmp}/oci-token-registry.XXXXXX") || return 1
	export TREG_DIR=$dir
	timeout 1200 /usr/bin/python3 "$OCI_TEST_TOP/tests/lib/token-server.py" "$dir" "$@" \
		</dev/null >"$dir/token.out" 2>&1 3>&- &
	echo $! >"$dir/token.pid"
	for i in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ] || { cat "$dir/token.out" >&2; return 1; }
	tport=$(cat "$dir/port")
	port=$(_free_port)
	mkdir -p "$dir/data"
	cat >"$dir/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: oci-tools-test-secret
auth:
  token:
    realm: http://127.0.0.1:$tport/token
    service: oci-test-registry
    issuer: oci-tools-test-issuer
    rootcertbundle: $dir/token.crt
EOC
	local unset_env=() v
	for v in "${!REGISTRY_@}"; do unset_env+=(-u "$v"); done
	env "${unset_env[@]}" timeout 1200 /usr/bin/docker-registry serve "$dir/config.yml" \
		</dev/null >"$dir/registry.log" 2>&1 3>&- &
	echo $! >"$dir/registry.pid"
	export TREG=127.0.0.1:$port TREG_LOG=$dir/registry.log TOKEN_LOG=$dir/requests.log
	_wait_http "http://$TREG/v2/" 401 || { cat "$dir/registry.log" >&2; return 1; }
}

token_registry_stop() {
	local dir=${TREG_DIR:-} f pid
	[ -n "$dir" ] || return 0
	for f in registry.pid token.pid; do
		if [ -s "$dir/$f" ]; then
			pid=$(cat "$dir/$f")
			kill "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
		fi
	done
	case $dir in */oci-token-registry.*) rm -rf "$dir" ;; esac
	unset TREG TREG_DIR TREG_LOG TOKEN_LOG
}

# proxy_start VAR UPSTREAM [drop-proxy flags]: starts tests/lib/drop-proxy.py
# in front of UPSTREAM; exports VAR=127.0.0.1:port, VAR_DIR and VAR_LOG.
proxy_start() {
	local var=$1 up=$2 dir i
	shift 2
	dir=$(mktemp -d "${TMPDIR:-/tmp}/oci-drop-proxy.XXXXXX") || return 1
	timeout 1200 /usr/bin/python3 "$OCI_TEST_TOP/tests/lib/drop-proxy.py" "$up" "$dir" "$@" \
		</dev/null >"$dir/out" 2>&1 3>&- &
	echo $! >"$dir/pid"
	export "${var}_DIR=$dir"
	for i in $(seq 200); do [ -s "$dir/port" ] && break; sleep 0.05; done
	[ -s "$dir/port" ] || { cat "$dir/out" >&2; return 1; }
	export "$var=127.0.0.1:$(cat "$dir/port")" "${var}_LOG=$dir/proxy.log"
}

proxy_stop() {
	local var=$1 dirv dir pid
	dirv=${var}_DIR
	dir=${!dirv:-}
	[ -n "$dir" ] || return 0
	if [ -s "$dir/pid" ]; then
		pid=$(cat "$dir/pid")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	case $dir in */oci-drop-proxy.*) rm -rf "$dir" ;; esac
	unset "$var" "${var}_DIR" "${var}_LOG"
}

# big_layer_digest: the largest layer of the layered fixture (8 MiB of noise)
big_layer_digest() {
	local m
	m=$(fixture_digest layered)
	jq -r '.layers | max_by(.size) | .digest' "$OCI_TEST_FIXTURES/layered/blobs/sha256/${m#sha256:}"
}

# mtls_registry_start: a docker-registry over HTTPS that requires a client
# certificate (http.tls.clientcas). Exports MTLS (host:port), MTLS_DIR,
# MTLS_LOG and MTLS_CERT_DIR (ca.crt, client.cert, client.key) and
# MTLS_CA_ONLY (ca.crt alone).
mtls_registry_start() {
	local d port
	d=$(mktemp -d "${TMPDIR:-/tmp}/oci-mtls-registry.XXXXXX") || return 1
	export MTLS_DIR=$d
	_registry_tls "$d" || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/client.key" -out "$d/client.csr" -subj "/CN=oci-fetch test client" >/dev/null 2>&1 || return 1
	printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature" \
		"extendedKeyUsage=clientAuth" >"$d/client.ext"
	openssl x509 -req -in "$d/client.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
		-days 2 -extfile "$d/client.ext" -out "$d/client.crt" >/dev/null 2>&1 || return 1
	mkdir -p "$d/with-client" "$d/ca-only"
	cp "$d/ca.crt" "$d/with-client/ca.crt"
	cp "$d/client.crt" "$d/with-client/client.cert"
	cp "$d/client.key" "$d/with-client/client.key"
	cp "$d/ca.crt" "$d/ca-only/ca.crt"
	port=$(_free_port)
	mkdir -p "$d/data"
	cat >"$d/config.yml" <<EOC
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $d/data
http:
  addr: 127.0.0.1:$port
  secret: oci-tools-test-secret
  tls:
    certificate: $d/server.crt
    key: $d/server.key
    clientcas:
      - $d/ca.crt
EOC
	local unset_env=() v
	for v in "${!REGISTRY_@}"; do unset_env+=(-u "$v"); done
	env "${unset_env[@]}" timeout 1200 /usr/bin/docker-registry serve "$d/config.yml" \
		</dev/null >"$d/registry.log" 2>&1 3>&- &
	echo $! >"$d/registry.pid"
	export MTLS=127.0.0.1:$port MTLS_LOG=$d/registry.log MTLS_CERT_DIR=$d/with-client MTLS_CA_ONLY=$d/ca-only
	local i code
	for i in $(seq 200); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$d/ca.crt" \
			--cert "$d/client.crt" --key "$d/client.key" "https://$MTLS/v2/" 2>/dev/null) || true
		[ "$code" = 200 ] && return 0
		sleep 0.05
	done
	cat "$d/registry.log" >&2
	return 1
}

mtls_registry_stop() {
	local d=${MTLS_DIR:-} pid
	[ -n "$d" ] || return 0
	if [ -s "$d/registry.pid" ]; then
		pid=$(cat "$d/registry.pid")
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	case $d in */oci-mtls-registry.*) rm -rf "$d" ;; esac
	unset MTLS MTLS_DIR MTLS_LOG MTLS_CERT_DIR MTLS_CA_ONLY
}
