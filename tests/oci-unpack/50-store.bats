#!/usr/bin/env bats
# The layer store: ls, gc, rm; two unpacks at once; kill -9 and rerun.
load ../lib/common
load unpack-helpers

setup() { common_setup; }
teardown() {
	[ -n "${BGPID:-}" ] && kill -9 "$BGPID" 2>/dev/null
	[ -n "${FEEDPID:-}" ] && kill -9 "$FEEDPID" 2>/dev/null
	unpack_teardown
}

nlayers() { jq '.layers | length' "$(manifest_blob "$1")"; }
layer_dirs() { find "$OCI_ROOT/layers" -mindepth 1 -maxdepth 1 -type d ! -name l ! -name bundles | wc -l; }

@test "ls lists layers with sizes and users; gc keeps what bundles and images use" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/t"
	n=$(nlayers "$OCI_TEST_FIXTURES/layered")
	run oci-unpack ls
	assert_status 0
	[ "$(echo "$output" | wc -l)" -eq "$n" ]
	# the shared base layer has both bundles as users
	echo "$output" | grep -E "^sha256:[0-9a-f]{64}	[0-9]+	complete	bundle $T/b, bundle $T/t$"
	big=$(echo "$output" | awk -F'\t' '{print $2}' | sort -n | tail -1)
	[ "$big" -gt 8000000 ] || fail "largest layer is $big bytes"
	# gc with both bundles: nothing goes
	run oci-unpack -v gc
	assert_status 0
	assert_output_contains "removed 0 layers"
	[ "$(layer_dirs)" -eq "$n" ]
	# rm the layered bundle: its own layers go, the shared one stays
	oci-unpack rm "$T/b"
	run oci-unpack -v gc
	assert_status 0
	assert_output_contains "removed $((n - 1)) layers"
	[ "$(layer_dirs)" -eq 1 ]
	[ "$(ls "$OCI_ROOT/layers/l" | wc -l)" -eq 1 ]
	# the tiny bundle still works
	[ -x "$T/t/rootfs/bin/busybox" ]
	cat "$T/t/rootfs/etc/os-release" >/dev/null
}

@test "gc: a bundle deleted by hand frees its layers; a stored image keeps them" {
	mkdir -p "$OCI_ROOT"
	cp -a "$OCI_TEST_FIXTURES/tiny" "$OCI_ROOT/images"
	jq '.manifests[0].annotations["org.opencontainers.image.ref.name"] = "docker.io/library/tiny:latest"' \
		"$OCI_ROOT/images/index.json" >"$T/i.json"
	mv "$T/i.json" "$OCI_ROOT/images/index.json"
	unpack_ok tiny "$T/t"
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	umount "$T/b/rootfs"
	rm -rf "$T/b"
	oci-unpack umount "$T/t"
	rm -rf "$T/t"
	run oci-unpack ls
	echo "$output" | grep -q "image docker.io/library/tiny:latest"
	oci-unpack gc
	# the tiny layer stays for the stored image; the rest and the stale records go
	[ "$(layer_dirs)" -eq 1 ]
	[ -z "$(ls "$OCI_ROOT/layers/bundles")" ]
	unpack_ok tiny "$T/t2"
	tree_diff "$T/t2/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
}

@test "two unpacks at once that share layers extract each layer once" {
	for round in 1 2 3; do
		export OCI_ROOT=$T/store$round
		oci-unpack -vv "oci:$OCI_TEST_FIXTURES/all:layered" "$T/a$round" 2>"$T/a.err" &
		p1=$!
		oci-unpack -vv "oci:$OCI_TEST_FIXTURES/all:layered" "$T/c$round" 2>"$T/c.err" &
		p2=$!
		oci-unpack -vv "oci:$OCI_TEST_FIXTURES/all:tiny" "$T/d$round" 2>"$T/d.err" &
		p3=$!
		wait $p1 || fail "unpack 1 failed: $(cat "$T/a.err")"
		wait $p2 || fail "unpack 2 failed: $(cat "$T/c.err")"
		wait $p3 || fail "unpack 3 failed: $(cat "$T/d.err")"
		n=$(cat "$T/a.err" "$T/c.err" "$T/d.err" | grep -c 'extracting layer')
		[ "$n" -eq "$(nlayers "$OCI_TEST_FIXTURES/layered")" ] ||
			fail "round $round: $n extractions"
		tree_diff "$T/a$round/rootfs" "$OCI_TEST_FIXTURES/layered.expected"
		tree_diff "$T/c$round/rootfs" "$OCI_TEST_FIXTURES/layered.expected"
		tree_diff "$T/d$round/rootfs" "$OCI_TEST_FIXTURES/tiny.expected"
	done
}

@test "kill -9 mid-extraction leaves no layer complete; a rerun finishes" {
	cp -a "$OCI_TEST_FIXTURES/layered" "$T/img"
	# the 8 MiB layer's blob becomes a pipe that we feed half of, then stall
	big=$(ls -S "$T/img/blobs/sha256" | head -1)
	mv "$T/img/blobs/sha256/$big" "$T/big.blob"
	mkfifo "$T/img/blobs/sha256/$big"
	half=$(( $(stat -c %s "$T/big.blob") / 2 ))
	(head -c "$half" "$T/big.blob"; exec sleep 60) >"$T/img/blobs/sha256/$big" &
	FEEDPID=$!
	oci-unpack -j1 -vv "oci:$T/img:latest" "$T/b" 2>"$T/err1" &
	BGPID=$!
	# wait until the big layer is being written
	for i in $(seq 100); do
		[ -n "$(find "$OCI_ROOT/layers" -path '*/diff/opt/app/big.bin' 2>/dev/null)" ] && break
		sleep 0.1
	done
	[ -n "$(find "$OCI_ROOT/layers" -path '*/diff/opt/app/big.bin')" ] || fail "extraction did not start"
	kill -9 "$BGPID"
	wait "$BGPID" || true
	BGPID=
	kill "$FEEDPID" 2>/dev/null; wait "$FEEDPID" 2>/dev/null || true
	FEEDPID=
	partial=$(dirname "$(dirname "$(dirname "$(dirname "$(find "$OCI_ROOT/layers" -path '*/diff/opt/app/big.bin')")")")")
	[ -d "$partial" ] && [ ! -e "$partial/complete" ] || fail "no partial layer at $partial"
	run oci-unpack ls
	echo "$output" | grep -q "incomplete"
	complete_before=$(ls "$OCI_ROOT"/layers/*/complete | wc -l)
	# the rerun (with the blob back) removes the partial layer and finishes
	rm "$T/img/blobs/sha256/$big"
	mv "$T/big.blob" "$T/img/blobs/sha256/$big"
	rm -rf "$T/b"
	run oci-unpack -vv "oci:$T/img:latest" "$T/b"
	assert_status 0
	# exactly the layers that were not complete are extracted
	again=$(echo "$output" | grep -c 'extracting layer')
	[ "$again" -eq $(( $(nlayers "$T/img") - complete_before )) ] || fail "$again extractions"
	[ -e "$partial/complete" ]
	tree_diff "$T/b/rootfs" "$OCI_TEST_FIXTURES/layered.expected"
	run oci-unpack ls
	! echo "$output" | grep -q "incomplete"
}

@test "mount: a bundle mounts again after umount, with its changes; not after gc took its layers" {
	unpack_ok "oci:$OCI_TEST_FIXTURES/layered:latest" "$T/b"
	echo changed >"$T/b/rootfs/opt/app/hello.txt"
	rm "$T/b/rootfs/opt/app/empty"
	oci-unpack umount "$T/b"
	! mountpoint -q "$T/b/rootfs"
	run oci-unpack mount "$T/b"
	assert_status 0
	[ -z "$output" ]
	mountpoint -q "$T/b/rootfs"
	[ "$(cat "$T/b/rootfs/opt/app/hello.txt")" = changed ]
	[ ! -e "$T/b/rootfs/opt/app/empty" ]
	[ "$(cat "$T/b/rootfs/opt/app/readded.txt")" = "version 4" ]
	# mounting a mounted bundle is a no-op
	oci-unpack mount "$T/b"
	[ "$(grep -cF " $T/b/rootfs " /proc/self/mountinfo)" -eq 1 ]
	# a flat bundle has nothing to mount
	unpack_ok "oci:$OCI_TEST_FIXTURES/tiny:latest" "$T/f" --flat
	run oci-unpack mount "$T/f"
	assert_status 1
	assert_output_contains "flat bundle"
	# an image without layers
	/usr/bin/python3 "$BATS_TEST_DIRNAME/mkimage.py" "$T/img0" empty
	unpack_ok "oci:$T/img0:latest" "$T/e"
	oci-unpack umount "$T/e"
	oci-unpack mount "$T/e"
	mountpoint -q "$T/e/rootfs"
	# layers gone (the bundle's record was deleted by hand, then gc)
	oci-unpack umount "$T/b"
	mv "$T/b/oci-unpack.json" "$T/b.json"
	oci-unpack gc
	mv "$T/b.json" "$T/b/oci-unpack.json"
	run oci-unpack mount "$T/b"
	assert_status 1
	assert_one_line
	assert_output_contains "is gone from the store"
}
