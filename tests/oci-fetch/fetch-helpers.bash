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
