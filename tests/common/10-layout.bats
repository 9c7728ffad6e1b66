#!/usr/bin/env bats
# The OCI image layout store (common/layout.c) through tests/helpers/layout-tool:
# concurrent writers lose no ref, kill -9 at any point leaves a layout that
# reads and validates, gc removes exactly what nothing reaches.

load ../lib/common

setup() {
	common_setup
	export PATH="$HELPERS:$PATH"
	L="$T/layout"
	PIDS="$T/pids"
	: >"$PIDS"
}

teardown() {
	# Background writers a failed test may have left running.
	if [ -f "${PIDS:-/nonexistent}" ]; then
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$PIDS"
	fi
	common_teardown
}

# bg CMD...: starts CMD in the background and records its pid.
bg() {
	"$@" >/dev/null 2>&1 &
	echo $! >>"$PIDS"
}

# reachable_and_present DIR: prints "reachable N present N stale N" where
# reachable counts blobs that index.json reaches (through indexes and
# manifests, OCI and Docker), present counts blob files, stale the hidden
# .partial-/.tmp- files. Written independently of the C code.
count_blobs() {
	/usr/bin/python3 - "$1" <<'EOF'
import json, os, sys
d = sys.argv[1]
def path(dg):
    alg, hx = dg.split(":")
    return os.path.join(d, "blobs", alg, hx)
seen = set()
def walk(desc):
    dg = desc["digest"]
    if dg in seen:
        return
    seen.add(dg)
    mt = desc.get("mediaType", "")
    if mt.endswith("manifest.v1+json") or mt.endswith("index.v1+json") or \
       mt.endswith("manifest.v2+json") or mt.endswith("list.v2+json"):
        doc = json.load(open(path(dg)))
        for c in doc.get("manifests", []) + doc.get("layers", []):
            walk(c)
        if "config" in doc:
            walk(doc["config"])
for m in json.load(open(os.path.join(d, "index.json")))["manifests"]:
    walk(m)
present = stale = 0
for alg in os.listdir(os.path.join(d, "blobs")):
    for f in os.listdir(os.path.join(d, "blobs", alg)):
        if f.startswith(".partial-") or f.startswith(".tmp-"):
            stale += 1
        elif not f.startswith("."):
            present += 1
missing = [x for x in seen if not os.path.exists(path(x))]
print(f"reachable {len(seen)} present {present} stale {stale} missing {len(missing)}")
EOF
}

@test "layout-tool answers --help, --version and bad usage" {
	check_cli_basics layout-tool
	run layout-tool frobnicate "$L"
	assert_status 2
	assert_output_contains "unknown command 'frobnicate'"
}

@test "a new layout validates against the image-spec schemas" {
	run layout-tool init "$L"
	assert_status 0
	[ -d "$L/blobs/sha256" ] || fail "no blobs/sha256"
	validate_json image-spec/image-layout-schema.json "$L/oci-layout"
	validate_json image-spec/image-index-schema.json "$L/index.json"
	run layout-tool list "$L"
	assert_status 0
	[ -z "$output" ] || fail "new layout lists '$output'"
	run layout-tool verify "$L"
	assert_status 0
}

@test "a folder that is not a layout is named in a one-line error" {
	mkdir -p "$T/plain"
	run layout-tool list "$T/plain"
	assert_status 1
	assert_one_line
	assert_output_contains "'$T/plain' is not an OCI image layout: no oci-layout file"
	run layout-tool list "$T/missing"
	assert_status 1
	assert_output_contains "does not exist"
}

@test "add, resolve, replace and remove a ref" {
	run layout-tool add-image "$L" app:1
	assert_status 0
	d1=$output
	run layout-tool add-image "$L" app:2
	assert_status 0
	d2=$output
	[ "$(layout-tool resolve "$L" app:1)" = "$d1" ] || fail "app:1 does not resolve to $d1"
	# replace app:1 with app:2's manifest: still one entry named app:1
	size=$(stat -c %s "$L/blobs/sha256/${d2#sha256:}")
	run layout-tool set-ref "$L" app:1 "$d2" application/vnd.oci.image.manifest.v1+json "$size"
	assert_status 0
	[ "$(layout-tool resolve "$L" app:1)" = "$d2" ] || fail "app:1 was not replaced"
	[ "$(layout-tool list "$L" | grep -c '^app:1	')" -eq 1 ] || fail "app:1 listed twice"
	run layout-tool rm-ref "$L" app:1
	assert_status 0
	run layout-tool resolve "$L" app:1
	assert_status 1
	assert_one_line
	assert_output_contains "no image 'app:1' in '$L'"
	run layout-tool rm-ref "$L" app:1
	assert_status 1
	assert_output_contains "no image 'app:1'"
	validate_json image-spec/image-index-schema.json "$L/index.json"
	run layout-tool verify "$L"
	assert_status 0
}

@test "set-ref refuses a blob that is not in the layout" {
	layout-tool init "$L"
	missing=sha256:0000000000000000000000000000000000000000000000000000000000000000
	run layout-tool set-ref "$L" x "$missing" application/vnd.oci.image.manifest.v1+json 10
	assert_status 1
	assert_one_line
	assert_output_contains "blob $missing not found"
	run layout-tool set-ref "$L" x sha256:abc application/vnd.oci.image.manifest.v1+json 10
	assert_status 1
	assert_output_contains "invalid digest 'sha256:abc'"
	# a manifest whose config is missing is not tagged either
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":1},"layers":[]}' \
		"$missing" >"$T/m"
	m=$(layout-tool put-blob "$L" "$T/m")
	run layout-tool set-ref "$L" half "$m" application/vnd.oci.image.manifest.v1+json "$(stat -c %s "$T/m")"
	assert_status 1
	assert_one_line
	assert_output_contains "cannot tag 'half'"
	assert_output_contains "config: blob $missing is missing"
	run layout-tool resolve "$L" half
	assert_status 1
}

@test "24 processes adding refs at the same time lose none" {
	layout-tool init "$L"
	local pids=() i n=24
	for i in $(seq 1 $n); do
		layout-tool --chunk 512 add-image "$L" "concurrent/img:$i" >"$T/out.$i" 2>&1 &
		pids+=($!)
		echo $! >>"$PIDS"
	done
	for i in "${!pids[@]}"; do
		wait "${pids[$i]}" || fail "writer $((i + 1)) failed: $(cat "$T/out.$((i + 1))")"
	done
	run layout-tool list "$L"
	assert_status 0
	[ "$(printf '%s\n' "$output" | grep -c '^concurrent/img:')" -eq $n ] ||
		fail "expected $n refs, got: $output"
	for i in $(seq 1 $n); do
		want=$(cat "$T/out.$i")
		got=$(layout-tool resolve "$L" "concurrent/img:$i")
		[ "$got" = "$want" ] || fail "img:$i resolves to '$got', its writer stored '$want'"
	done
	validate_json image-spec/image-index-schema.json "$L/index.json"
	validate_json image-spec/image-layout-schema.json "$L/oci-layout"
	run layout-tool verify "$L"
	assert_status 0
	run count_blobs "$L"
	assert_output_contains "reachable $((3 * n)) present $((3 * n)) stale 0 missing 0"
}

@test "concurrent tagging of one name leaves exactly one entry" {
	layout-tool init "$L"
	local pids=() i
	for i in $(seq 1 12); do
		layout-tool add-image "$L" same:tag >/dev/null &
		pids+=($!)
		echo $! >>"$PIDS"
	done
	for p in "${pids[@]}"; do wait "$p" || fail "a writer failed"; done
	[ "$(layout-tool list "$L" | grep -c '^same:tag	')" -eq 1 ] ||
		fail "$(layout-tool list "$L")"
	run layout-tool gc "$L"
	assert_status 0
	assert_output_contains "removed 33 blobs"
	run count_blobs "$L"
	assert_output_contains "reachable 3 present 3 stale 0 missing 0"
}

@test "kill -9 at random points always leaves a layout that reads and validates" {
	layout-tool init "$L"
	layout-tool add-image "$L" keep:me >/dev/null
	head -c 300000 /dev/urandom >"$T/big"
	big=sha256:$(sha256sum "$T/big" | cut -d' ' -f1)
	local iter
	for iter in $(seq 1 30); do
		: >"$PIDS"
		bg layout-tool --chunk 4096 --delay-ms 1 --layer-size 200000 add-image "$L" "k/a:$iter"
		bg layout-tool --chunk 4096 --layer-size 100000 add-image "$L" "k/b:$iter"
		bg layout-tool --chunk 4096 --delay-ms 2 --digest "$big" put-blob "$L" "$T/big"
		bg layout-tool put-blob "$L" "$T/big"
		bg layout-tool rm-ref "$L" "k/a:$((iter - 1))"
		bg layout-tool add-image "$T/new.$iter" first
		if [ $((iter % 5)) -eq 3 ]; then bg layout-tool gc "$L"; fi
		sleep "0.$(printf '%02d' $((RANDOM % 30)))"
		while read -r p; do kill -9 "$p" 2>/dev/null || true; done <"$PIDS"
		while read -r p; do wait "$p" 2>/dev/null || true; done <"$PIDS"
		run layout-tool verify "$L"
		[ "$status" -eq 0 ] || fail "iteration $iter: verify failed: $output"
		/usr/bin/python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$L/index.json" ||
			fail "iteration $iter: index.json does not parse"
		validate_json image-spec/image-index-schema.json "$L/index.json" ||
			fail "iteration $iter: index.json is not valid"
		[ "$(layout-tool resolve "$L" keep:me)" != "" ] || fail "iteration $iter: lost keep:me"
		# a layout killed while being created is either not one yet or a
		# valid one, and creating it again completes it
		if [ -e "$T/new.$iter/oci-layout" ]; then
			run layout-tool verify "$T/new.$iter"
			[ "$status" -eq 0 ] || fail "iteration $iter: new layout: $output"
		fi
		run layout-tool add-image "$T/new.$iter" second
		[ "$status" -eq 0 ] || fail "iteration $iter: re-creating a layout: $output"
		run layout-tool verify "$T/new.$iter"
		[ "$status" -eq 0 ] || fail "iteration $iter: re-created layout: $output"
	done
	: >"$PIDS"
	run count_blobs "$L"
	echo "# before gc: $output" >&3
	run layout-tool gc "$L"
	assert_status 0
	run count_blobs "$L"
	echo "after gc: $output"
	[[ "$output" =~ ^reachable\ ([0-9]+)\ present\ ([0-9]+)\ stale\ 0\ missing\ 0$ ]] ||
		fail "after gc: $output"
	[ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ] || fail "gc left unreferenced blobs: $output"
	run layout-tool verify "$L"
	assert_status 0
	[ "$(find "$L" -name '.*.tmp-*' | wc -l)" -eq 0 ] || fail "temporary files left: $(find "$L")"
}

@test "an interrupted put with a known digest resumes where it stopped" {
	layout-tool init "$L"
	head -c 400000 /dev/urandom >"$T/big"
	big=sha256:$(sha256sum "$T/big" | cut -d' ' -f1)
	layout-tool --chunk 4096 --delay-ms 10 --digest "$big" put-blob "$L" "$T/big" \
		>/dev/null 2>&1 &
	pid=$!
	echo $pid >>"$PIDS"
	partial="$L/blobs/sha256/.partial-${big#sha256:}"
	for _ in $(seq 1 100); do
		[ -s "$partial" ] && [ "$(stat -c %s "$partial")" -ge 40960 ] && break
		sleep 0.05
	done
	kill -9 $pid
	wait $pid 2>/dev/null || true
	[ -s "$partial" ] || fail "no partial file after kill"
	have=$(stat -c %s "$partial")
	run layout-tool --digest "$big" put-blob "$L" "$T/big"
	assert_status 0
	assert_output_contains "resuming at $have"
	assert_output_contains "$big"
	[ ! -e "$partial" ] || fail "partial left after commit"
	layout-tool cat-blob "$L" "$big" | cmp - "$T/big"
}

@test "a digest mismatch on put leaves no blob and no partial file" {
	layout-tool init "$L"
	echo hello >"$T/f"
	wrong=sha256:$(echo other | sha256sum | cut -d' ' -f1)
	real=$(sha256sum "$T/f" | cut -d' ' -f1)
	run layout-tool --digest "$wrong" put-blob "$L" "$T/f"
	assert_status 1
	assert_output_contains "digest mismatch"
	assert_output_contains "expected $wrong, got sha256:$real"
	[ -z "$(ls -A "$L/blobs/sha256")" ] || fail "left: $(ls -A "$L/blobs/sha256")"
	run layout-tool --digest sha256:nothex put-blob "$L" "$T/f"
	assert_status 1
	assert_output_contains "invalid digest 'sha256:nothex'"
}

@test "verify names a corrupt and a missing blob" {
	run layout-tool add-image "$L" app:1
	assert_status 0
	m=${output#sha256:}
	layer=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["layers"][0]["digest"])' "$L/blobs/sha256/$m")
	f="$L/blobs/sha256/${layer#sha256:}"
	chmod u+w "$f"
	printf 'X' | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null
	run layout-tool verify "$L"
	assert_status 1
	assert_one_line
	assert_output_contains "blob $layer is corrupt"
	rm "$f"
	run layout-tool verify "$L"
	assert_status 1
	assert_output_contains "blob $layer is missing"
	assert_output_contains "layers[0]"
}

@test "gc keeps what an index or a Docker manifest list reaches" {
	layout-tool init "$L"
	run layout-tool add-image "$L" base:1
	assert_status 0
	m=$output
	msize=$(stat -c %s "$L/blobs/sha256/${m#sha256:}")
	# an OCI index over the manifest, and a Docker list over a Docker manifest
	printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"platform":{"os":"linux","architecture":"amd64"}}]}' \
		"$m" "$msize" >"$T/index"
	idx=$(layout-tool put-blob "$L" "$T/index")
	echo layer-bytes >"$T/layer"
	l=$(layout-tool put-blob "$L" "$T/layer")
	echo '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}' >"$T/cfg"
	c=$(layout-tool put-blob "$L" "$T/cfg")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.docker.image.rootfs.diff.tar.gzip","digest":"%s","size":%s}]}' \
		"$c" "$(stat -c %s "$T/cfg")" "$l" "$(stat -c %s "$T/layer")" >"$T/dm"
	dm=$(layout-tool put-blob "$L" "$T/dm")
	printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.list.v2+json","manifests":[{"mediaType":"application/vnd.docker.distribution.manifest.v2+json","digest":"%s","size":%s,"platform":{"os":"linux","architecture":"arm64"}}]}' \
		"$dm" "$(stat -c %s "$T/dm")" >"$T/dl"
	dl=$(layout-tool put-blob "$L" "$T/dl")
	layout-tool set-ref "$L" multi:1 "$idx" application/vnd.oci.image.index.v1+json "$(stat -c %s "$T/index")"
	layout-tool set-ref "$L" docker:1 "$dl" application/vnd.docker.distribution.manifest.list.v2+json "$(stat -c %s "$T/dl")"
	layout-tool rm-ref "$L" base:1
	echo orphan >"$T/orphan"
	orphan=$(layout-tool put-blob "$L" "$T/orphan")
	run layout-tool gc "$L"
	assert_status 0
	assert_output_contains "removed 1 blobs, 7 bytes"
	[ ! -e "$L/blobs/sha256/${orphan#sha256:}" ] || fail "orphan kept"
	run count_blobs "$L"
	assert_output_contains "reachable 8 present 8 stale 0 missing 0"
	run layout-tool verify "$L"
	assert_status 0
	validate_json image-spec/image-index-schema.json "$L/index.json"
}

@test "skopeo and umoci read a layout we wrote, and we verify what skopeo writes into it" {
	command -v skopeo >/dev/null || skip "skopeo is not installed"
	command -v umoci >/dev/null || skip "umoci is not installed"
	run layout-tool add-image "$L" mine:1
	assert_status 0
	d=$output
	run skopeo inspect --raw "oci:$L:mine:1"
	assert_status 0
	assert_output_contains '"schemaVersion":2'
	[ "sha256:$(skopeo inspect --raw "oci:$L:mine:1" | sha256sum | cut -d' ' -f1)" = "$d" ] ||
		fail "skopeo reads other bytes than $d"
	run umoci ls --layout "$L"
	assert_status 0
	assert_output_contains "mine:1"
	[ -d "$OCI_TEST_FIXTURES/layered" ] || skip "fixtures not built (make check builds them)"
	run skopeo copy "oci:$OCI_TEST_FIXTURES/layered:latest" "oci:$L:theirs"
	assert_status 0
	run layout-tool verify "$L"
	assert_status 0
	run layout-tool resolve "$L" theirs
	assert_status 0
	[ "$(layout-tool resolve "$L" mine:1)" = "$d" ] || fail "mine:1 lost after skopeo wrote"
	run layout-tool gc "$L"
	assert_status 0
	assert_output_contains "removed 0 blobs"
}

@test "a foreign (non-distributable) layer may be absent; a normal one may not" {
	layout-tool init "$L"
	echo '{"architecture":"amd64","os":"windows","rootfs":{"type":"layers","diff_ids":[]}}' >"$T/cfg"
	c=$(layout-tool put-blob "$L" "$T/cfg")
	absent=sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb
	for mt in application/vnd.docker.image.rootfs.foreign.diff.tar.gzip \
		application/vnd.docker.image.rootfs.diff.tar.gzip; do
		printf '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json","config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"%s","digest":"%s","size":5,"urls":["https://example.com/l"]}]}' \
			"$c" "$(stat -c %s "$T/cfg")" "$mt" "$absent" >"$T/m"
		m=$(layout-tool put-blob "$L" "$T/m")
		run layout-tool set-ref "$L" "win" "$m" application/vnd.docker.distribution.manifest.v2+json "$(stat -c %s "$T/m")"
		if [ "$mt" = application/vnd.docker.image.rootfs.foreign.diff.tar.gzip ]; then
			assert_status 0
			run layout-tool verify "$L"
			assert_status 0
		else
			assert_status 1
			assert_output_contains "layers[0]: blob $absent is missing"
		fi
	done
}
