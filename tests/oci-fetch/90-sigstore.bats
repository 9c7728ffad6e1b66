#!/usr/bin/env bats
# Trust policy sigstoreSigned with public keys: signatures stored as cosign
# does (an OCI manifest tagged sha256-<hex>.sig whose layers are simple
# signing payloads, the signature in an annotation). Producers: oci-fetch
# sign, and openssl dgst with a layout written by jq (independent of our
# code). skopeo (containers/image) verifies what oci-fetch sign writes.
# Every refusal is one line naming the image, the policy scope and the
# reason, and leaves nothing in the destination.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_start --prefix MIRROR
	export K=$BATS_FILE_TMPDIR/keys
	mkdir -p "$K"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/ec.pem" 2>/dev/null
	openssl pkey -in "$K/ec.pem" -pubout -out "$K/ec.pub"
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$K/other.pem" 2>/dev/null
	openssl pkey -in "$K/other.pem" -pubout -out "$K/other.pub"
	openssl genpkey -algorithm ED25519 -out "$K/ed.pem"
	openssl pkey -in "$K/ed.pem" -pubout -out "$K/ed.pub"
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$K/rsa.pem" 2>/dev/null
	openssl pkey -in "$K/rsa.pem" -pubout -out "$K/rsa.pub"
}

teardown_file() {
	registry_stop
	registry_stop MIRROR
}

# push_image REPO[:TAG] [FIXTURE]: pushes a fixture, prints its digest
push_image() {
	registry_push_fixture "$1" "$OCI_TEST_FIXTURES/${2:-tiny}"
}

# policy REQUIREMENT...: a policy that rejects all but $REGISTRY/sig/..., which
# needs the requirements given (JSON objects)
policy() {
	local IFS=,
	printf '{"default":[{"type":"reject"}],"transports":{"docker":{"%s/sig":[%s]}}}\n' \
		"$REGISTRY" "$*" >"$T/policy.json"
}

key_req() { # KEYFILE [SIGNED_IDENTITY_JSON]
	if [ -n "${2:-}" ]; then
		printf '{"type":"sigstoreSigned","keyPath":"%s","signedIdentity":%s}' "$1" "$2"
	else
		printf '{"type":"sigstoreSigned","keyPath":"%s"}' "$1"
	fi
}

# payload DIGEST REFERENCE: cosign's simple signing payload, as cosign writes it
payload() {
	printf '{"critical":{"identity":{"docker-reference":"%s"},"image":{"docker-manifest-digest":"%s"},"type":"cosign container image signature"},"optional":null}' "$2" "$1"
}

# put_blob DIR FILE: stores FILE as a blob of layout DIR, prints "sha256:<hex> <size>"
put_blob() {
	local h
	h=$(sha256sum <"$2" | cut -d' ' -f1)
	cp "$2" "$1/blobs/sha256/$h"
	echo "sha256:$h $(stat -c %s "$2")"
}

# sig_layout DIR PAYLOAD_FILE SIGNATURE_B64: an OCI layout whose image "sig"
# is cosign's .sig artifact with one layer, written with jq alone
sig_layout() {
	local dir=$1 pd ps cd cs md ms
	mkdir -p "$dir/blobs/sha256"
	printf '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
	read -r pd ps < <(put_blob "$dir" "$2")
	jq -cnj --arg pd "$pd" '{architecture:"",os:"",config:{},rootfs:{type:"layers",diff_ids:[$pd]}}' >"$dir/c.json"
	read -r cd cs < <(put_blob "$dir" "$dir/c.json")
	jq -cnj --arg pd "$pd" --argjson ps "$ps" --arg cd "$cd" --argjson cs "$cs" --arg sig "$3" \
		'{schemaVersion:2,mediaType:"application/vnd.oci.image.manifest.v1+json",
		  config:{mediaType:"application/vnd.oci.image.config.v1+json",digest:$cd,size:$cs},
		  layers:[{mediaType:"application/vnd.dev.cosign.simplesigning.v1+json",digest:$pd,size:$ps,
			   annotations:{"dev.cosignproject.cosign/signature":$sig}}]}' >"$dir/m.json"
	read -r md ms < <(put_blob "$dir" "$dir/m.json")
	jq -cn --arg md "$md" --argjson ms "$ms" \
		'{schemaVersion:2,manifests:[{mediaType:"application/vnd.oci.image.manifest.v1+json",digest:$md,size:$ms,
		  annotations:{"org.opencontainers.image.ref.name":"sig"}}]}' >"$dir/index.json"
	rm -f "$dir/c.json" "$dir/m.json"
}

# openssl_sign REPO DIGEST KEY PAYLOAD_FILE [PAYLOAD_STORED]: signs the payload with
# openssl dgst and pushes it as the .sig of DIGEST in REPO (PAYLOAD_STORED, when
# given, is what goes into the registry instead: a tampered payload)
openssl_sign() {
	local repo=$1 digest=$2 key=$3 pl=$4 stored=${5:-$4} sig dir
	sig=$(openssl dgst -sha256 -sign "$key" "$pl" | base64 -w0)
	dir=$(mktemp -d "$T/sig.XXXXXX")
	sig_layout "$dir" "$stored" "$sig"
	oci-fetch -q push "oci:$dir:sig" "$REGISTRY/$repo:sha256-${digest#sha256:}.sig" >/dev/null
}

# nothing_pulled DIR: the destination was not created
nothing_pulled() {
	[ ! -e "$1" ] || fail "the failed pull left $1: $(ls -A "$1")"
}

@test "oci-fetch sign, then pull with a sigstoreSigned policy: verified, the layout validates" {
	local d
	d=$(push_image sig/a:1)
	run --separate-stderr oci-fetch -q sign --key "$K/ec.pem" "$REGISTRY/sig/a:1"
	assert_status 0
	[ "$output" = "$d" ] || fail "sign printed '$output', expected $d"
	# the artifact as cosign stores it
	run --separate-stderr oci-fetch tags "$REGISTRY/sig/a"
	assert_output_contains "sha256-${d#sha256:}.sig"
	local m
	m=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/sig/a:sha256-${d#sha256:}.sig")
	[ "$(jq -r '.layers | length' <<<"$m")" = 1 ]
	[ "$(jq -r '.layers[0].mediaType' <<<"$m")" = application/vnd.dev.cosign.simplesigning.v1+json ]
	jq -e '.layers[0].annotations["dev.cosignproject.cosign/signature"] | length > 0' <<<"$m" >/dev/null
	policy "$(key_req "$K/ec.pub")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/a:1" "oci:$T/out:t"
	assert_status 0
	[ "$output" = "$d" ]
	validate_layout "$T/out"
	# into the store as well, and by digest
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/a@$d"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' "$OCI_ROOT/images/index.json")" = "$d" ]
	# the payload claims the reference signed, with its tag
	local pd
	pd=$(jq -r '.layers[0].digest' <<<"$m")
	curl -sf "$REGISTRY_URL/v2/sig/a/blobs/$pd" >"$T/payload"
	[ "$(jq -r '.critical.identity["docker-reference"]' "$T/payload")" = "$REGISTRY/sig/a:1" ]
	[ "$(jq -r '.critical.image["docker-manifest-digest"]' "$T/payload")" = "$d" ]
	[ "$(jq -r '.critical.type' "$T/payload")" = "cosign container image signature" ]
}

@test "openssl verifies the signatures oci-fetch sign writes (ECDSA, RSA, Ed25519)" {
	local d m pd kind
	d=$(push_image sig/check:1)
	for kind in ec rsa ed; do
		oci-fetch -q sign --key "$K/$kind.pem" "$REGISTRY/sig/check:1" >/dev/null
	done
	m=$(curl -sf -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
		"$REGISTRY_URL/v2/sig/check/manifests/sha256-${d#sha256:}.sig")
	[ "$(jq '.layers | length' <<<"$m")" = 3 ]
	local i=0
	for kind in ec rsa ed; do
		pd=$(jq -r ".layers[$i].digest" <<<"$m")
		curl -sf "$REGISTRY_URL/v2/sig/check/blobs/$pd" >"$T/pl.$kind"
		jq -r ".layers[$i].annotations[\"dev.cosignproject.cosign/signature\"]" <<<"$m" | base64 -d >"$T/sig.$kind"
		if [ $kind = ed ]; then
			openssl pkeyutl -verify -pubin -inkey "$K/ed.pub" -rawin -in "$T/pl.$kind" -sigfile "$T/sig.$kind" >/dev/null ||
				fail "openssl refused the Ed25519 signature"
		else
			openssl dgst -sha256 -verify "$K/$kind.pub" -signature "$T/sig.$kind" "$T/pl.$kind" >/dev/null ||
				fail "openssl refused the $kind signature"
		fi
		# and refuses it with another key
		! openssl dgst -sha256 -verify "$K/other.pub" -signature "$T/sig.$kind" "$T/pl.$kind" >/dev/null 2>&1
		[ "$(jq -r '.critical.image["docker-manifest-digest"]' "$T/pl.$kind")" = "$d" ]
		[ "$(jq -r '.critical.identity["docker-reference"]' "$T/pl.$kind")" = "$REGISTRY/sig/check:1" ]
		[ "$(jq -r '.critical.type' "$T/pl.$kind")" = "cosign container image signature" ]
		[ "$(jq -r '.optional.creator' "$T/pl.$kind")" = "oci-fetch 0.1.0" ]
		i=$((i + 1))
	done
	# the config names each layer, as cosign's does
	[ "$(curl -sf "$REGISTRY_URL/v2/sig/check/blobs/$(jq -r .config.digest <<<"$m")" | jq -c .rootfs.diff_ids)" = "$(jq -c '[.layers[].digest]' <<<"$m")" ]
}

@test "skopeo (containers/image) verifies the signature oci-fetch sign made, and refuses it with another key" {
	push_image sig/skopeo:1 >/dev/null
	oci-fetch -q sign --key "$K/ec.pem" "$REGISTRY/sig/skopeo:1" >/dev/null
	mkdir -p "$T/registries.d"
	printf 'default-docker:\n  use-sigstore-attachments: true\n' >"$T/registries.d/default.yaml"
	policy "$(key_req "$K/ec.pub")"
	run skopeo --registries.d "$T/registries.d" --policy "$T/policy.json" copy -q \
		--src-tls-verify=false "docker://$REGISTRY/sig/skopeo:1" "oci:$T/sk:t"
	case "$output" in
	*"sigstore disabled"*) skip "this skopeo is built without sigstore ($output)" ;;
	esac
	assert_status 0
	policy "$(key_req "$K/other.pub")"
	run skopeo --registries.d "$T/registries.d" --policy "$T/policy.json" copy -q \
		--src-tls-verify=false "docker://$REGISTRY/sig/skopeo:1" "oci:$T/sk2:t"
	[ "$status" -ne 0 ] || fail "skopeo accepted a signature of another key"
	assert_output_contains "cryptographic signature verification failed"
}

@test "a signature made with openssl dgst and a layout written by jq verifies (an independent producer)" {
	local d
	d=$(push_image sig/ossl:1)
	payload "$d" "$REGISTRY/sig/ossl:1" >"$T/pl"
	openssl_sign sig/ossl "$d" "$K/ec.pem" "$T/pl"
	policy "$(key_req "$K/ec.pub")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ossl:1" "oci:$T/out:t"
	assert_status 0
	[ "$output" = "$d" ]
	# RSA (PKCS#1 v1.5) too, through keyData and keyPaths
	d=$(push_image sig/ossl-rsa:1)
	payload "$d" "$REGISTRY/sig/ossl-rsa:1" >"$T/pl"
	openssl_sign sig/ossl-rsa "$d" "$K/rsa.pem" "$T/pl"
	policy "{\"type\":\"sigstoreSigned\",\"keyData\":\"$(base64 -w0 "$K/rsa.pub")\"}"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ossl-rsa:1" "oci:$T/out2:t"
	assert_status 0
	policy "{\"type\":\"sigstoreSigned\",\"keyPaths\":[\"$K/ec.pub\",\"$K/rsa.pub\"]}"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ossl-rsa:1" "oci:$T/out3:t"
	assert_status 0
}

@test "wrong key: one line naming the image, the policy scope and the reason; nothing in the destination" {
	local d
	d=$(push_image sig/wrongkey:1)
	oci-fetch -q sign --key "$K/other.pem" "$REGISTRY/sig/wrongkey:1" >/dev/null
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/wrongkey:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY/sig/wrongkey:1' is rejected by policy '$T/policy.json' (transports.docker.\"$REGISTRY/sig\")"
	assert_output_contains "manifest $d: cryptographic signature verification failed"
	nothing_pulled "$T/out"
	# the store: no image named, no blob
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/wrongkey:1"
	assert_status 1
	assert_one_line
	[ ! -e "$OCI_ROOT/images/index.json" ] || [ "$(jq '.manifests | length' "$OCI_ROOT/images/index.json")" = 0 ]
	[ -z "$(ls -A "$OCI_ROOT/images/blobs/sha256" 2>/dev/null)" ] || fail "blobs were stored"
	# other destinations too
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/wrongkey:1" "oci-archive:$T/a.tar"
	assert_status 1
	[ ! -e "$T/a.tar" ]
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/wrongkey:1" "dir:$T/dir"
	assert_status 1
	nothing_pulled "$T/dir"
	[ -z "$(ls -A "$T" | grep '^\.oci-fetch')" ] || fail "a temporary layout was left in $T"
	# an existing layout keeps what it had
	oci-fetch -q --insecure-policy pull "$REGISTRY/sig/wrongkey:1" "oci:$T/keep:old" >/dev/null
	cp "$T/keep/index.json" "$T/index.before"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/wrongkey:1" "oci:$T/keep:new"
	assert_status 1
	cmp "$T/index.before" "$T/keep/index.json"
}

@test "a signature over another manifest digest is refused" {
	local d other
	d=$(push_image sig/otherdigest:1)
	other=$(push_image sig/otherdigest:2 layered)
	payload "$other" "$REGISTRY/sig/otherdigest:1" >"$T/pl"
	openssl_sign sig/otherdigest "$d" "$K/ec.pem" "$T/pl"
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/otherdigest:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY/sig/otherdigest:1' is rejected by policy '$T/policy.json' (transports.docker.\"$REGISTRY/sig\")"
	assert_output_contains "signature for digest $other does not match the manifest ($d)"
	nothing_pulled "$T/out"
}

@test "a payload naming another repository is refused; signedIdentity decides what matches" {
	local d
	d=$(push_image sig/ident:1)
	oci-fetch -q sign --key "$K/ec.pem" --sign-identity "$REGISTRY/sig/elsewhere:1" "$REGISTRY/sig/ident:1" >/dev/null
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ident:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY/sig/ident:1' is rejected by policy '$T/policy.json' (transports.docker.\"$REGISTRY/sig\")"
	assert_output_contains "signature for identity '$REGISTRY/sig/elsewhere:1' is not accepted (matchRepoDigestOrExact)"
	nothing_pulled "$T/out"
	# exactRepository names the repository the signature claims
	policy "$(key_req "$K/ec.pub" "{\"type\":\"exactRepository\",\"dockerRepository\":\"$REGISTRY/sig/elsewhere\"}")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ident:1" "oci:$T/out:t"
	assert_status 0
	# remapIdentity: sig/ident is signed as sig/elsewhere
	policy "$(key_req "$K/ec.pub" "{\"type\":\"remapIdentity\",\"prefix\":\"$REGISTRY/sig/ident\",\"signedPrefix\":\"$REGISTRY/sig/elsewhere\"}")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/ident:1" "oci:$T/out2:t"
	assert_status 0
}

@test "cosign's signatures name the repository alone: matchRepository accepts them, the default does not" {
	local d
	d=$(push_image sig/cosign:1)
	payload "$d" "$REGISTRY/sig/cosign" >"$T/pl"
	openssl_sign sig/cosign "$d" "$K/ec.pem" "$T/pl"
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/cosign:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "signature for identity '$REGISTRY/sig/cosign' is not accepted"
	policy "$(key_req "$K/ec.pub" '{"type":"matchRepository"}')"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/cosign:1" "oci:$T/out:t"
	assert_status 0
	# by digest, matchRepoDigestOrExact needs a tag or digest in the signature
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/cosign@$d" "oci:$T/out2:t"
	assert_status 1
	assert_output_contains "is not accepted"
}

@test "a missing signature is refused" {
	local d
	d=$(push_image sig/unsigned:1)
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/unsigned:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY/sig/unsigned:1' is rejected by policy '$T/policy.json' (transports.docker.\"$REGISTRY/sig\")"
	assert_output_contains "manifest $d: a signature was required, but no signature exists (no sha256-${d#sha256:}.sig in '$REGISTRY/sig/unsigned')"
	nothing_pulled "$T/out"
	# a scope without the requirement still pulls
	printf '{"default":[{"type":"insecureAcceptAnything"}],"transports":{"docker":{"%s/sig/other":[%s]}}}\n' \
		"$REGISTRY" "$(key_req "$K/ec.pub")" >"$T/policy.json"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/unsigned:1" "oci:$T/out:t"
	assert_status 0
}

@test "a tampered payload is refused" {
	local d
	d=$(push_image sig/tamper:1)
	payload "$d" "$REGISTRY/sig/tamper:1" >"$T/pl"
	sed 's/"optional":null/"optional":{"creator":"x"}/' "$T/pl" >"$T/pl.tampered"
	! cmp -s "$T/pl" "$T/pl.tampered"
	openssl_sign sig/tamper "$d" "$K/ec.pem" "$T/pl" "$T/pl.tampered"
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/tamper:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY/sig/tamper:1' is rejected by policy '$T/policy.json' (transports.docker.\"$REGISTRY/sig\")"
	assert_output_contains "manifest $d: cryptographic signature verification failed"
	nothing_pulled "$T/out"
}

@test "several signatures: one accepted is enough; none accepted lists each reason" {
	local d
	d=$(push_image sig/many:1)
	oci-fetch -q sign --key "$K/other.pem" "$REGISTRY/sig/many:1" >/dev/null
	oci-fetch -q sign --key "$K/ed.pem" "$REGISTRY/sig/many:1" >/dev/null
	[ "$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/sig/many:sha256-${d#sha256:}.sig" | jq '.layers | length')" = 2 ]
	policy "$(key_req "$K/ed.pub")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/many:1" "oci:$T/out:t"
	assert_status 0
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/many:1" "oci:$T/out2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "none of the 2 signatures was accepted: cryptographic signature verification failed (not signed by the key); cryptographic signature verification failed"
	# two requirements must both hold
	policy "$(key_req "$K/ed.pub")" "$(key_req "$K/other.pub")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/many:1" "oci:$T/out3:t"
	assert_status 0
	policy "$(key_req "$K/ed.pub")" "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/many:1" "oci:$T/out4:t"
	assert_status 1
	nothing_pulled "$T/out4"
}

@test "an index: sign signs it and its manifests; a pull checks the manifests it takes" {
	local d
	d=$(push_image sig/multi:1 multiarch)
	run --separate-stderr oci-fetch -q sign --key "$K/ec.pem" "$REGISTRY/sig/multi:1"
	assert_status 0
	local n
	n=$(jq '[.manifests[] | select(.mediaType | test("manifest"))] | length' "$OCI_TEST_FIXTURES/multiarch/blobs/sha256/${d#sha256:}")
	[ "$(printf '%s\n' "$output" | wc -l)" = $((n + 1)) ] || fail "signed: $output"
	[ "$(printf '%s\n' "$output" | head -1)" = "$d" ]
	policy "$(key_req "$K/ec.pub")"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/multi:1" "oci:$T/out:t"
	assert_status 0
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" --multi-arch all pull "$REGISTRY/sig/multi:1" "oci:$T/all:t"
	assert_status 0
	validate_layout "$T/all"
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" --multi-arch index-only pull "$REGISTRY/sig/multi:1" "oci:$T/io:t"
	assert_status 0
	# the index signed alone (cosign without --recursive) is not enough for a platform
	d=$(push_image sig/multi-top:1 multiarch)
	payload "$d" "$REGISTRY/sig/multi-top:1" >"$T/pl"
	openssl_sign sig/multi-top "$d" "$K/ec.pem" "$T/pl"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/multi-top:1" "oci:$T/out2:t"
	assert_status 1
	assert_one_line
	assert_output_contains "no signature exists"
	nothing_pulled "$T/out2"
	run oci-fetch -q --policy "$T/policy.json" --multi-arch all pull "$REGISTRY/sig/multi-top:1" "oci:$T/out3:t"
	assert_status 1
	nothing_pulled "$T/out3"
	# the index alone is what index-only pulls: its signature is the one checked
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" --multi-arch index-only pull "$REGISTRY/sig/multi-top:1" "oci:$T/io2:t"
	assert_status 0
	[ "$output" = "$d" ]
}

@test "copy from a registry checks the policy too: an unsigned image is not copied" {
	local d
	d=$(push_image sig/tocopy:1)
	policy "$(key_req "$K/ec.pub")"
	run oci-fetch -q --policy "$T/policy.json" copy "docker://$REGISTRY/sig/tocopy:1" "docker://$REGISTRY/sig/copied:1"
	assert_status 1
	assert_one_line
	assert_output_contains "no signature exists"
	run skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/sig/copied:1"
	[ "$status" -ne 0 ] || fail "the refused image was copied"
	oci-fetch -q sign --key "$K/ec.pem" "$REGISTRY/sig/tocopy:1" >/dev/null
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" copy "docker://$REGISTRY/sig/tocopy:1" "docker://$REGISTRY/sig/copied:1"
	assert_status 0
	[ "$(skopeo_digest sig/copied:1)" = "$d" ]
}

@test "through a mirror: the signatures are read from the mirror, the identity is the registry's name" {
	local d
	# the registry itself (127.0.0.1:9) is down; the mirror holds the image
	cat >"$T/registries.conf" <<EOC
[[registry]]
prefix = "127.0.0.1:9/lib"
location = "127.0.0.1:9/lib"

[[registry.mirror]]
location = "$MIRROR/lib"
insecure = true
EOC
	printf '{"default":[{"type":"reject"}],"transports":{"docker":{"127.0.0.1:9/lib":[%s]}}}\n' \
		"$(key_req "$K/ec.pub")" >"$T/policy.json"
	d=$(registry_push_fixture --prefix MIRROR lib/mtiny "$OCI_TEST_FIXTURES/tiny")
	oci-fetch -q sign --key "$K/ec.pem" --sign-identity 127.0.0.1:9/lib/mtiny:latest "$MIRROR/lib/mtiny" >/dev/null
	run --separate-stderr oci-fetch -q --retry-times 0 --registries-conf "$T/registries.conf" --policy "$T/policy.json" \
		pull 127.0.0.1:9/lib/mtiny "oci:$T/m:t"
	assert_status 0
	[ "$output" = "$d" ]
	grep -q "GET /v2/lib/mtiny/manifests/sha256-${d#sha256:}.sig?ns=127.0.0.1:9 " "$MIRROR_LOG" ||
		fail "the signature was not read from the mirror"
	# a signature claiming the mirror's own name is not the registry's
	registry_push_fixture --prefix MIRROR lib/mname "$OCI_TEST_FIXTURES/tiny" >/dev/null
	oci-fetch -q sign --key "$K/ec.pem" "$MIRROR/lib/mname" >/dev/null
	run oci-fetch -q --retry-times 0 --registries-conf "$T/registries.conf" --policy "$T/policy.json" \
		pull 127.0.0.1:9/lib/mname "oci:$T/m2:t"
	assert_status 1
	assert_output_contains "signature for identity '$MIRROR/lib/mname:latest' is not accepted"
	nothing_pulled "$T/m2"
}

@test "keyless sigstore, Rekor and signedBy are refused in one line before any download" {
	printf '{"default":[{"type":"sigstoreSigned","fulcio":{"caPath":"/x","oidcIssuer":"https://i","subjectEmail":"a@b"},"rekorPublicKeyPath":"/r"}]}\n' >"$T/policy.json"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/none:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "requires sigstoreSigned with fulcio for '$REGISTRY/sig/none:1': oci-fetch verifies sigstore signatures with public keys only"
	printf '{"default":[{"type":"sigstoreSigned","keyPath":"%s","rekorPublicKeyPath":"%s"}]}\n' "$K/ec.pub" "$K/ec.pub" >"$T/policy.json"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/none:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "does not verify Rekor"
	printf '{"default":[{"type":"sigstoreSigned","keyPath":"%s"}]}\n' "$T/missing.pub" >"$T/policy.json"
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/none:1" "oci:$T/out:t"
	assert_status 1
	assert_one_line
	assert_output_contains "default[0].keyPath: key '$T/missing.pub'"
	nothing_pulled "$T/out"
	# nothing was asked of the registry for these
	! grep -q '/v2/sig/none/' "$REGISTRY_LOG"
}

@test "sign: usage and key errors" {
	push_image sig/signerr:1 >/dev/null
	run oci-fetch sign "$REGISTRY/sig/signerr:1"
	assert_status 2
	assert_output_contains "'sign' needs --key FILE"
	run oci-fetch --key "$K/ec.pem" sign
	assert_status 2
	run oci-fetch -q sign --key "$K/ec.pub" "$REGISTRY/sig/signerr:1"
	assert_status 1
	assert_one_line
	assert_output_contains "key '$K/ec.pub': no PEM private key found"
	openssl pkey -in "$K/ec.pem" -aes256 -passout pass:pw -out "$T/enc.pem"
	run oci-fetch -q sign --key "$T/enc.pem" "$REGISTRY/sig/signerr:1" </dev/null
	assert_status 1
	assert_one_line
	assert_output_contains "the key is encrypted"
	run oci-fetch -q sign --key "$K/ec.pem" --sign-identity "$REGISTRY/sig/x" "$REGISTRY/sig/signerr:1"
	assert_status 2
	assert_output_contains "invalid value '$REGISTRY/sig/x' for --sign-identity"
	run oci-fetch -q sign --key "$K/ec.pem" "$REGISTRY/sig/nosuch:1"
	assert_status 1
	assert_one_line
	assert_output_contains "manifest unknown"
}

@test "push and copy --sign-by-sigstore-private-key sign what they pushed (skopeo's option)" {
	policy "$(key_req "$K/ec.pub")"
	run --separate-stderr oci-fetch -q --sign-by-sigstore-private-key "$K/ec.pem" \
		push "oci:$OCI_TEST_FIXTURES/layered:latest" "$REGISTRY/sig/pushed:v1"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/pushed:v1" "oci:$T/p:t"
	assert_status 0
	# copy between registries (the source needs no policy here), JSON output
	run --separate-stderr oci-fetch -q --insecure-policy --format json --sign-by-sigstore-private-key "$K/ec.pem" \
		copy "docker://$REGISTRY/sig/pushed:v1" "docker://$REGISTRY/sig/copied-signed:v2"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
	run --separate-stderr oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/copied-signed:v2" "oci:$T/c:t"
	assert_status 0
	# the identity is the destination's tag: pulled under another tag it is refused
	run --separate-stderr oci-fetch -q --insecure-policy copy "docker://$REGISTRY/sig/copied-signed:v2" "docker://$REGISTRY/sig/copied-signed:v3"
	assert_status 0
	run oci-fetch -q --policy "$T/policy.json" pull "$REGISTRY/sig/copied-signed:v3" "oci:$T/c3:t"
	assert_status 1
	assert_output_contains "signature for identity '$REGISTRY/sig/copied-signed:v2' is not accepted"
	# a local destination cannot be signed: usage error, nothing written
	run oci-fetch -q --sign-by-sigstore-private-key "$K/ec.pem" copy "docker://$REGISTRY/sig/pushed:v1" "oci:$T/local:t"
	assert_status 2
	assert_one_line
	assert_output_contains "--sign-by-sigstore-private-key needs a registry destination, not 'oci:$T/local:t'"
	[ ! -e "$T/local" ]
}
