# Local image registries for the end-to-end tests (Debian's docker-registry,
# distribution 2.8), plain HTTP or HTTPS with htpasswd basic auth.
#
#   load ../lib/common
#   load ../lib/registry
#   setup_file()    { registry_start; registry_push_fixture tiny "$OCI_TEST_FIXTURES/tiny"; }
#   teardown_file() { registry_stop; }
#
# registry_start [--tls-htpasswd] [--prefix P]
#     Starts a registry on 127.0.0.1 with a free port and waits until GET /v2/
#     answers. P (default REGISTRY) names the variables it exports, so several
#     registries can run at once (e.g. --prefix MIRROR for a second one):
#       P           host:port, e.g. 127.0.0.1:41234 (what goes in an image name)
#       P_URL       http://host:port or https://host:port
#       P_SCHEME    http or https
#       P_PID       process id (the `timeout` wrapper; it ends the registry when killed)
#       P_AUTH      none or htpasswd (token with --token, below)
#       P_DIR       its private folder (config.yml, data/, registry.log, certs);
#                   removed by registry_stop
#       P_LOG       the registry's log file
#       P_CA        (TLS) the CA certificate that signed the server certificate
#       P_CERT_DIR  (TLS) a certs.d-style folder holding ca.crt (skopeo --cert-dir,
#                   containers-certs.d, docker certs.d)
#       P_USER      (TLS) user name accepted by htpasswd auth: "tester"
#       P_PASS      (TLS) its password: "s3cr3t:p@ss" (a colon and an @ on purpose)
#     Without --tls-htpasswd, P_CA, P_CERT_DIR, P_USER and P_PASS are empty.
#     The registry dies by itself after REGISTRY_MAX_SECONDS (default 1800)
#     in case a test run is killed before registry_stop.
# registry_start --token [--token-expires SECONDS] [--prefix P]
#     HTTPS registry with token auth (distribution spec/auth/token.md): GET /v2/
#     answers 401 with WWW-Authenticate: Bearer realm="P_TOKEN_URL",
#     service="oci-tools-test-registry"; tests/fixtures/token-server.py (HTTPS,
#     same CA) issues RS256 JWTs. User P_USER/P_PASS gets the actions asked for;
#     anonymous requests get pull on repositories named public/..., nothing else;
#     wrong credentials 401. POST /token takes grant_type=password or
#     grant_type=refresh_token (refresh_token=P_REFRESH_TOKEN). Exports too:
#       P_AUTH           none, htpasswd or token
#       P_TOKEN_URL      the realm, https://127.0.0.1:PORT/token
#       P_TOKEN_LOG      one JSON line per token request: method, path, query
#                        (scope, service, account), user, grant_type, status
#       P_TOKEN_PID      the token server's process
#       P_REFRESH_TOKEN  a refresh (identity) token the server accepts
#     Tokens last --token-expires seconds (default 300).
# registry_start --proxy-of U [--prefix P]
#     A pull-through cache (distribution's proxy mode) of the already started
#     registry U (e.g. --proxy-of REGISTRY --prefix MIRROR): plain HTTP itself,
#     it fetches from U_URL with U's credentials and trusts U_CA. Read-only.
#     U must be plain HTTP or --token: distribution's proxy cannot answer a
#     Basic challenge, so an htpasswd upstream is refused.
# registry_stop [P]
#     Stops that registry (waits until its process is gone) and removes P_DIR.
#     Safe to call twice or when it never started: call it from teardown/teardown_file.
# registry_push_fixture [--prefix P] NAME[:TAG] SOURCE [extra skopeo copy flags]
#     Pushes with skopeo copy --all to P/NAME:TAG (TAG default latest) and prints
#     the pushed manifest digest. SOURCE is an OCI layout folder with an optional
#     :REF (default latest), a skopeo dir: folder (e.g. docker-schema2.dir), or
#     any transport:reference skopeo knows. Digests are preserved
#     (--preserve-digests) unless the extra flags contain --format (e.g.
#     --format v2s2 converts to Docker schema2, which changes the digest).
# registry_push_layout [--prefix P] NAME[:TAG] LAYOUT[:REF]
#     Pushes an OCI layout's image exactly as stored, with curl (no skopeo), and
#     prints its digest: for what skopeo cannot read from a layout, such as
#     docker-schema2/ and docker-list/ (Docker media types). Uploads every blob
#     of the layout, then the child manifests of an index by digest, then the
#     manifest or index under TAG.
# registry_write_auth [--prefix P] FILE
#     Writes a Docker-style config.json (auths entry with base64 user:pass) for P.
#
# Call these directly, not under bats' `run` (its subshell would lose the
# exported variables).
#
# Debian packages: docker-registry, skopeo, openssl, apache2-utils (htpasswd),
# curl, python3.

_registry_alive() {
	local pid=$1 state
	[ -n "$pid" ] && [ -r "/proc/$pid/stat" ] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)
	[ -n "$state" ] && [ "$state" != Z ]
}

_registry_free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _registry_tls DIR: a CA, a server certificate for 127.0.0.1 and localhost,
# and an htpasswd file (bcrypt), all in DIR.
_registry_tls() {
	local d=$1
	mkdir -p "$d/certs.d" || return 1
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/ca.key" -out "$d/ca.crt" -days 2 -subj "/CN=oci-tools test CA" \
		-addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1 || return 1
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-keyout "$d/server.key" -out "$d/server.csr" -subj "/CN=localhost" >/dev/null 2>&1 ||
		return 1
	printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=CA:FALSE" \
		"keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" >"$d/server.ext"
	openssl x509 -req -in "$d/server.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" \
		-CAcreateserial -days 2 -extfile "$d/server.ext" -out "$d/server.crt" >/dev/null 2>&1 ||
		return 1
	cp "$d/ca.crt" "$d/certs.d/ca.crt" || return 1
	htpasswd -Bbc "$d/htpasswd" tester 's3cr3t:p@ss' >/dev/null 2>&1
}

# _registry_token_server P DIR EXPIRES: the token signing certificate, the
# users and refresh token files, and token-server.py on a free port.
_registry_token_server() {
	local p=$1 d=$2 expires=$3 tport tpid code here
	here=$(cd "$(dirname "${BASH_SOURCE[0]}")/../fixtures" && pwd)
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$d/token.key" -out "$d/token.crt" \
		-days 2 -subj "/CN=oci-tools test token issuer" >/dev/null 2>&1 || return 1
	echo 'tester:s3cr3t:p@ss' >"$d/users"
	echo "refresh-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')" >"$d/refresh_token"
	echo "$expires" >"$d/expires"
	for _ in 1 2 3 4 5; do
		tport=$(_registry_free_port) || return 1
		timeout "${REGISTRY_MAX_SECONDS:-1800}" /usr/bin/python3 "$here/token-server.py" "$d" \
			"$tport" </dev/null >>"$d/token-server.log" 2>&1 3>&- &
		tpid=$!
		export "${p}_TOKEN_PID=$tpid"
		for _ in $(seq 200); do
			_registry_alive "$tpid" || break
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$d/ca.crt" \
				"https://127.0.0.1:$tport/token?service=probe") || true
			if [ "$code" = 200 ]; then
				: >"$d/token.log"
				export "${p}_TOKEN_URL=https://127.0.0.1:$tport/token" \
					"${p}_TOKEN_LOG=$d/token.log" "${p}_REFRESH_TOKEN=$(cat "$d/refresh_token")"
				return 0
			fi
			sleep 0.05
		done
		kill "$tpid" 2>/dev/null || true
		wait "$tpid" 2>/dev/null || true
		grep -q "Address already in use" "$d/token-server.log" || break
	done
	echo "registry_start: the token server did not come up; its log:" >&2
	sed 's/^/  /' "$d/token-server.log" >&2
	return 1
}

registry_start() {
	local tls=0 token=0 expires=300 p=REGISTRY dir port cfg scheme url code pid upstream=
	while [ $# -gt 0 ]; do
		case $1 in
		--tls-htpasswd) tls=1 ;;
		--token) tls=1 token=1 ;;
		--token-expires) expires=$2; shift ;;
		--proxy-of) upstream=$2; shift ;;
		--prefix) p=$2; shift ;;
		*) echo "registry_start: unknown argument '$1'" >&2; return 2 ;;
		esac
		shift
	done
	if [ -n "$upstream" ]; then
		local uurlv=${upstream}_URL uauthv=${upstream}_AUTH
		if [ -z "${!uurlv:-}" ]; then
			echo "registry_start: --proxy-of '$upstream': that registry is not started" >&2
			return 1
		fi
		if [ "${!uauthv}" = htpasswd ]; then
			echo "registry_start: --proxy-of '$upstream': a proxy cannot use basic auth upstream" >&2
			return 1
		fi
	fi
	dir=$(mktemp -d "${TMPDIR:-/tmp}/oci-registry.XXXXXX") || return 1
	mkdir -p "$dir/data"
	scheme=http
	if [ $tls = 1 ]; then
		scheme=https
		if ! _registry_tls "$dir"; then
			echo "registry_start: could not make certificates in '$dir'" >&2
			rm -rf "$dir"
			return 1
		fi
	fi
	export "${p}_DIR=$dir"
	if [ $token = 1 ] && ! _registry_token_server "$p" "$dir" "$expires"; then
		registry_stop "$p"
		return 1
	fi
	local tokv=${p}_TOKEN_URL
	for _ in 1 2 3 4 5; do
		port=$(_registry_free_port) || { rm -rf "$dir"; return 1; }
		cfg=$dir/config.yml
		{
			echo "version: 0.1"
			echo "log:"
			echo "  level: info"
			echo "  accesslog:"
			echo "    disabled: false"
			echo "storage:"
			echo "  filesystem:"
			echo "    rootdirectory: $dir/data"
			echo "  delete:"
			echo "    enabled: true"
			echo "  maintenance:"
			echo "    uploadpurging:"
			echo "      enabled: false"
			echo "http:"
			echo "  addr: 127.0.0.1:$port"
			echo "  secret: oci-tools-test-secret"
			if [ -n "$upstream" ]; then
				local uurl=${upstream}_URL uuser=${upstream}_USER upass=${upstream}_PASS
				echo "proxy:"
				echo "  remoteurl: ${!uurl}"
				if [ -n "${!uuser:-}" ]; then
					echo "  username: ${!uuser}"
					echo "  password: '${!upass}'"
				fi
			fi
			if [ $tls = 1 ]; then
				echo "  tls:"
				echo "    certificate: $dir/server.crt"
				echo "    key: $dir/server.key"
				echo "auth:"
			fi
			if [ $token = 1 ]; then
				echo "  token:"
				echo "    realm: ${!tokv}"
				echo "    service: oci-tools-test-registry"
				echo "    issuer: oci-tools-test-issuer"
				echo "    rootcertbundle: $dir/token.crt"
			elif [ $tls = 1 ]; then
				echo "  htpasswd:"
				echo "    realm: oci-tools-test"
				echo "    path: $dir/htpasswd"
			fi
		} >"$cfg"
		# docker-registry reads REGISTRY_* variables as configuration (ours
		# included): start it without any. fd 3 closed: bats waits for
		# whatever holds its output open.
		local unset_env=() v uca
		for v in "${!REGISTRY_@}"; do unset_env+=(-u "$v"); done
		# a pull-through cache trusts its upstream's CA (Go reads SSL_CERT_FILE)
		if [ -n "$upstream" ]; then
			uca=${upstream}_CA
			[ -n "${!uca:-}" ] && unset_env+=("SSL_CERT_FILE=${!uca}")
		fi
		env "${unset_env[@]}" timeout "${REGISTRY_MAX_SECONDS:-1800}" /usr/bin/docker-registry serve "$cfg" \
			</dev/null >>"$dir/registry.log" 2>&1 3>&- &
		pid=$!
		echo "$pid" >"$dir/pid"
		# known at once, so that registry_stop in a teardown finds it even
		# if what follows fails
		export "${p}_PID=$pid" "${p}_DIR=$dir"
		url=$scheme://127.0.0.1:$port
		local cacert=()
		if [ $tls = 1 ]; then cacert=(--cacert "$dir/ca.crt"); fi
		for _ in $(seq 200); do
			_registry_alive "$pid" || break
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
				"${cacert[@]}" "$url/v2/" 2>/dev/null) || true
			case $code in 200 | 401)
				export "$p=127.0.0.1:$port" "${p}_URL=$url" "${p}_SCHEME=$scheme" \
					"${p}_PID=$pid" "${p}_DIR=$dir" "${p}_LOG=$dir/registry.log"
				local auth=none
				[ $tls = 1 ] && auth=htpasswd
				[ $token = 1 ] && auth=token
				export "${p}_AUTH=$auth"
				if [ $tls = 1 ]; then
					export "${p}_CA=$dir/ca.crt" "${p}_CERT_DIR=$dir/certs.d" \
						"${p}_USER=tester" "${p}_PASS=s3cr3t:p@ss"
				else
					export "${p}_CA=" "${p}_CERT_DIR=" "${p}_USER=" "${p}_PASS="
				fi
				return 0 ;;
			esac
			sleep 0.05
		done
		# Not up: a port taken meanwhile is retried, anything else is fatal.
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		if ! grep -q "address already in use" "$dir/registry.log"; then
			break
		fi
	done
	echo "registry_start: docker-registry did not come up; its log:" >&2
	sed 's/^/  /' "$dir/registry.log" >&2
	registry_stop "$p"
	return 1
}

# _registry_kill PID: TERM, wait up to 5 s, then KILL (with its children).
_registry_kill() {
	local pid=$1
	[ -n "$pid" ] || return 0
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 100); do
		_registry_alive "$pid" || break
		sleep 0.05
	done
	if _registry_alive "$pid"; then
		pkill -KILL -P "$pid" 2>/dev/null || true
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

registry_stop() {
	local p=${1:-REGISTRY} pidv tpidv dirv dir
	pidv=${p}_PID tpidv=${p}_TOKEN_PID dirv=${p}_DIR
	_registry_kill "${!pidv:-}"
	_registry_kill "${!tpidv:-}"
	dir=${!dirv:-}
	case $dir in
	*/oci-registry.*) rm -rf "$dir" ;;
	esac
	unset "$p" "${p}_URL" "${p}_SCHEME" "${p}_PID" "${p}_DIR" "${p}_LOG" "${p}_AUTH" \
		"${p}_CA" "${p}_CERT_DIR" "${p}_USER" "${p}_PASS" \
		"${p}_TOKEN_PID" "${p}_TOKEN_URL" "${p}_TOKEN_LOG" "${p}_REFRESH_TOKEN"
	return 0
}

registry_push_fixture() {
	local p=REGISTRY name src reg tls cert user pass digestfile rc
	if [ "${1:-}" = --prefix ]; then p=$2; shift 2; fi
	if [ $# -lt 2 ]; then
		echo "usage: registry_push_fixture [--prefix P] NAME[:TAG] SOURCE [skopeo flags]" >&2
		return 2
	fi
	name=$1 src=$2
	shift 2
	reg=${!p:-}
	if [ -z "$reg" ]; then
		echo "registry_push_fixture: registry '$p' is not started" >&2
		return 1
	fi
	case $name in *:*) ;; *) name=$name:latest ;; esac
	case $src in
	oci:* | dir:* | docker://* | oci-archive:* | docker-archive:*) ;;
	*)
		if [ -f "${src%:*}/oci-layout" ] && [ "${src%:*}" != "$src" ]; then
			src=oci:$src
		elif [ -f "$src/oci-layout" ]; then
			src=oci:$src:latest
		elif [ -f "$src/manifest.json" ]; then
			src=dir:$src
		else
			echo "registry_push_fixture: '$src' is not an OCI layout or a dir: image" >&2
			return 1
		fi ;;
	esac
	tls=${p}_SCHEME cert=${p}_CERT_DIR user=${p}_USER pass=${p}_PASS
	local flags=(--all)
	case " $* " in *" --format"*) ;; *) flags+=(--preserve-digests) ;; esac
	if [ "${!tls}" = https ]; then
		flags+=(--dest-cert-dir "${!cert}" --dest-creds "${!user}:${!pass}")
	else
		flags+=(--dest-tls-verify=false)
	fi
	digestfile=$(mktemp) || return 1
	rc=0
	skopeo copy -q "${flags[@]}" --digestfile "$digestfile" "$@" "$src" "docker://$reg/$name" >&2 ||
		rc=$?
	if [ $rc = 0 ]; then cat "$digestfile"; echo; fi
	rm -f "$digestfile"
	return $rc
}

# _registry_curl P ARGS...: curl to registry P with its CA and credentials.
# With token auth, the bearer token of _REG_BEARER (see _registry_bearer).
_registry_curl() {
	local p=$1 scheme ca user pass auth
	shift
	scheme=${p}_SCHEME ca=${p}_CA user=${p}_USER pass=${p}_PASS auth=${p}_AUTH
	if [ "${!auth:-}" = token ]; then
		curl -s --cacert "${!ca}" -H "Authorization: Bearer ${_REG_BEARER:-}" "$@"
	elif [ "${!scheme}" = https ]; then
		curl -s --cacert "${!ca}" -u "${!user}:${!pass}" "$@"
	else
		curl -s "$@"
	fi
}

# _registry_put_manifest P NAME REF FILE MEDIATYPE
_registry_put_manifest() {
	local p=$1 name=$2 ref=$3 file=$4 mt=$5 urlv=${1}_URL code
	code=$(_registry_curl "$p" -o /dev/null -w '%{http_code}' -X PUT \
		-H "Content-Type: $mt" --data-binary "@$file" \
		"${!urlv}/v2/$name/manifests/$ref") || true
	if [ "$code" != 201 ]; then
		echo "registry_push_layout: PUT manifest $ref of '$name': HTTP $code" >&2
		return 1
	fi
}

# _registry_bearer P SCOPE: prints a token for SCOPE from P's token server,
# asked with P's user and password.
_registry_bearer() {
	local p=$1 scope=$2 ca=${1}_CA user=${1}_USER pass=${1}_PASS tok=${1}_TOKEN_URL
	curl -sf --cacert "${!ca}" -u "${!user}:${!pass}" -G \
		--data-urlencode "service=oci-tools-test-registry" --data-urlencode "scope=$scope" \
		"${!tok}" | jq -r .token
}

registry_push_layout() {
	local p=REGISTRY name tag src dir ref urlv blob hex code loc desc mt digest child cmt
	if [ "${1:-}" = --prefix ]; then p=$2; shift 2; fi
	if [ $# -ne 2 ]; then
		echo "usage: registry_push_layout [--prefix P] NAME[:TAG] LAYOUT[:REF]" >&2
		return 2
	fi
	urlv=${p}_URL
	if [ -z "${!urlv:-}" ]; then
		echo "registry_push_layout: registry '$p' is not started" >&2
		return 1
	fi
	name=${1%%:*} tag=latest
	case $1 in *:*) tag=${1#*:} ;; esac
	src=$2 dir=$2 ref=latest
	if [ ! -f "$dir/oci-layout" ] && [ -f "${src%:*}/oci-layout" ]; then
		dir=${src%:*} ref=${src##*:}
	fi
	if [ ! -f "$dir/index.json" ]; then
		echo "registry_push_layout: '$src' is not an OCI layout" >&2
		return 1
	fi
	desc=$(jq -c --arg r "$ref" \
		'[.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $r)][0] // empty' \
		"$dir/index.json")
	if [ -z "$desc" ]; then
		echo "registry_push_layout: no image '$ref' in '$dir'" >&2
		return 1
	fi
	local authv=${p}_AUTH _REG_BEARER=
	if [ "${!authv}" = token ]; then
		_REG_BEARER=$(_registry_bearer "$p" "repository:$name:pull,push") || return 1
	fi
	# every blob of the layout, monolithic upload (POST, then PUT ?digest=)
	for blob in "$dir"/blobs/sha256/*; do
		hex=${blob##*/}
		code=$(_registry_curl "$p" -o /dev/null -w '%{http_code}' -I \
			"${!urlv}/v2/$name/blobs/sha256:$hex") || true
		[ "$code" = 200 ] && continue
		loc=$(_registry_curl "$p" -o /dev/null -w '%header{location}' -X POST \
			"${!urlv}/v2/$name/blobs/uploads/") || true
		case $loc in
		"") echo "registry_push_layout: no upload location for '$name'" >&2; return 1 ;;
		/*) loc=${!urlv}$loc ;;
		esac
		case $loc in *\?*) loc="$loc&" ;; *) loc="$loc?" ;; esac
		code=$(_registry_curl "$p" -o /dev/null -w '%{http_code}' -X PUT \
			-H "Content-Type: application/octet-stream" --data-binary "@$blob" \
			"${loc}digest=sha256:$hex") || true
		if [ "$code" != 201 ]; then
			echo "registry_push_layout: upload of sha256:$hex: HTTP $code" >&2
			return 1
		fi
	done
	mt=$(jq -r .mediaType <<<"$desc")
	digest=$(jq -r .digest <<<"$desc")
	case $mt in
	*index* | *manifest.list*)
		jq -r '.manifests[] | .digest + " " + .mediaType' "$dir/blobs/sha256/${digest#sha256:}" |
			while read -r child cmt; do
				_registry_put_manifest "$p" "$name" "$child" \
					"$dir/blobs/sha256/${child#sha256:}" "$cmt" || exit 1
			done || return 1 ;;
	esac
	_registry_put_manifest "$p" "$name" "$tag" "$dir/blobs/sha256/${digest#sha256:}" "$mt" ||
		return 1
	echo "$digest"
}

registry_write_auth() {
	local p=REGISTRY reg user pass
	if [ "${1:-}" = --prefix ]; then p=$2; shift 2; fi
	reg=${!p} user=${p}_USER pass=${p}_PASS
	mkdir -p "$(dirname "$1")" &&
		printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$reg" \
			"$(printf '%s:%s' "${!user}" "${!pass}" | base64 -w0)" >"$1"
}
