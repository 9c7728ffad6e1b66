# Helpers for the oci-unpack tests (load after ../lib/common).
TREE_LIST="$OCI_TEST_TOP/tests/fixtures/tree-list.py"

# unpack_ok IMAGE BUNDLE [OPTIONS...]: unpacks and checks the printed path.
unpack_ok() {
	local image=$1 bundle=$2
	shift 2
	run oci-unpack "$@" "$image" "$bundle"
	assert_status 0
	[ "$output" = "$(realpath -m "$bundle")" ] || fail "unexpected output: $output"
}

# tree_diff ROOT EXPECTED: compares the tree with an expected listing.
tree_diff() {
	/usr/bin/python3 "$TREE_LIST" "$1" >"$T/tree.got"
	if ! diff -u "$2" "$T/tree.got" >"$T/tree.diff"; then
		head -40 "$T/tree.diff" >&2
		return 1
	fi
}

# manifest_blob LAYOUT: path of the manifest of the layout's first image.
manifest_blob() {
	echo "$1/blobs/sha256/$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)"
}

# layer_blob LAYOUT N: path of the Nth layer blob of the layout's latest image.
layer_blob() {
	local man
	man=$(jq -r '.manifests[0].digest' "$1/index.json" | cut -d: -f2)
	echo "$1/blobs/sha256/$(jq -r ".layers[$2].digest" "$1/blobs/sha256/$man" | cut -d: -f2)"
}

# busy mounts are lazily detached by common_teardown; umount ours first.
unpack_teardown() {
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		grep -F " $T" /proc/self/mountinfo | awk '{print $5}' | sort -r |
			while read -r m; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
	fi
	common_teardown
}

# xattr_get NAME FILE: the value of an xattr (nothing when absent).
xattr_get() {
	/usr/bin/python3 -c 'import os, sys
try:
    sys.stdout.buffer.write(os.getxattr(sys.argv[2], sys.argv[1], follow_symlinks=False))
except OSError:
    pass' "$1" "$2"
}
