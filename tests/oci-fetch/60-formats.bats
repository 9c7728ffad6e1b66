#!/usr/bin/env bats
# oci-fetch destinations and sources besides oci:DIR (oci-archive:, dir:),
# JSON results, platform overrides, tag list paging, progress on a terminal.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_push_fixture test/layered "$OCI_TEST_FIXTURES/layered" >/dev/null
	registry_push_fixture test/multi "$OCI_TEST_FIXTURES/multiarch" >/dev/null
	for t in a b c d e; do
		registry_push_fixture "test/tiny:$t" "$OCI_TEST_FIXTURES/tiny" >/dev/null
	done
}

teardown_file() {
	registry_stop
}

@test "pull into oci-archive:FILE:TAG; skopeo reads the archive; nothing temporary is left" {
	mkdir "$T/out"
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "oci-archive:$T/out/img.tar:v2"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	run skopeo inspect "oci-archive:$T/out/img.tar:v2"
	assert_status 0
	[ "$(jq -r .Digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(ls -A "$T/out")" = img.tar ] || fail "left: $(ls -A "$T/out")"
	tar -tf "$T/out/img.tar" | grep -qx 'index.json'
	mkdir "$T/x" && tar -xf "$T/out/img.tar" -C "$T/x"
	validate_layout "$T/x"
}

@test "push from an oci-archive made by skopeo" {
	skopeo copy -q --preserve-digests "oci:$OCI_TEST_FIXTURES/tiny:latest" "oci-archive:$T/sk.tar:t1"
	run --separate-stderr oci-fetch -q push "oci-archive:$T/sk.tar:t1" "$REGISTRY/fromarchive/tiny:1"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	[ "$(skopeo_digest fromarchive/tiny:1)" = "$(fixture_digest tiny)" ]
	run oci-fetch -q push "oci-archive:$T/missing.tar" "$REGISTRY/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "missing.tar"
}

@test "pull into dir:DIR (skopeo's dir format); skopeo copies it on unchanged" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "dir:$T/d"
	assert_status 0
	[ -f "$T/d/manifest.json" ] && [ -f "$T/d/version" ]
	[ "sha256:$(sha256sum <"$T/d/manifest.json" | cut -d' ' -f1)" = "$(fixture_digest layered)" ]
	skopeo copy -q --preserve-digests "dir:$T/d" "oci:$T/o:x"
	[ "$(jq -r '.manifests[0].digest' "$T/o/index.json")" = "$(fixture_digest layered)" ]
	# no leftover temporary layout beside it
	[ -z "$(ls -A "$T" | grep '^\.oci-fetch')" ]
}

@test "--format json for pull and push" {
	run --separate-stderr oci-fetch -q --format json pull "$REGISTRY/test/layered" "oci:$T/j:v"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(jq -r .reference <<<"$output")" = "$REGISTRY/test/layered:latest" ]
	[ "$(jq -r .name <<<"$output")" = v ]
	run --separate-stderr oci-fetch -q --format json push "oci:$T/j:v" "$REGISTRY/json/layered:1"
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest layered)" ]
	[ "$(jq -r .blobsPushed <<<"$output")" -ge 1 ]
}

@test "--override-arch/--override-variant pick from an index like --platform" {
	run --separate-stderr oci-fetch -q --override-arch arm64 --override-variant v8 pull "$REGISTRY/test/multi" "oci:$T/a:x"
	assert_status 0
	[ "$(jq -r '.manifests[0].platform.architecture' "$T/a/index.json")" = arm64 ]
	run --separate-stderr oci-fetch --override-arch arm64 inspect "$REGISTRY/test/multi"
	assert_status 0
	[ "$(jq -r .architecture <<<"$output")" = arm64 ]
	# a bad --platform is bad usage
	run oci-fetch --platform 'linux/' pull "$REGISTRY/test/multi" "oci:$T/b:x"
	assert_status 2
	assert_one_line
	assert_output_contains "--platform"
}

@test "tags follows Link pages" {
	# docker-registry 2.8 ignores n=: the proxy pages as the spec says
	proxy_start PROXY "$REGISTRY" --paginate-tags
	run --separate-stderr oci-fetch --page-size 2 tags "$PROXY/test/tiny"
	local st=$status out=$output
	local pages
	pages=$(grep -c '"action": "paginate"' "$PROXY_LOG")
	proxy_stop PROXY
	[ "$st" = 0 ] || fail "status $st"
	[ "$(printf '%s\n' "$out" | tr '\n' ' ')" = "a b c d e " ] || fail "got: $out"
	[ "$pages" = 3 ] || fail "$pages pages"
}

@test "progress bars when stderr is a terminal, rate lines otherwise" {
	run script -qefc "oci-fetch pull $REGISTRY/test/layered oci:$T/p:x" /dev/null
	assert_status 0
	[[ $output == *"] "*"MiB"* ]] || fail "no bar: $output"
	[[ $output == *$'\033['* ]] || fail "no cursor movement: $output"
	run --separate-stderr oci-fetch --progress=plain pull "$REGISTRY/test/layered" "oci:$T/p2:x"
	assert_status 0
	[[ $stderr != *$'\033['* ]] || fail "escape codes in plain progress"
	[[ $stderr == *"done"* ]]
}

@test "pull into docker-archive:FILE:NAME:TAG; skopeo reads it with the same layers and config" {
	run --separate-stderr oci-fetch -q pull "$REGISTRY/test/layered" "docker-archive:$T/d.tar:example/layered:v9"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	tar -xOf "$T/d.tar" manifest.json >"$T/dm.json"
	[ "$(jq -r '.[0].RepoTags[0]' "$T/dm.json")" = example/layered:v9 ]
	local m cfg
	m=$OCI_TEST_FIXTURES/layered/blobs/sha256/$(fixture_digest layered | cut -d: -f2)
	cfg=$(jq -r .config.digest "$m")
	[ "$(jq -r '.[0].Config' "$T/dm.json")" = "${cfg#sha256:}.json" ]
	[ "$(jq '.[0].Layers | length' "$T/dm.json")" = "$(jq '.layers | length' "$m")" ]
	run skopeo inspect "docker-archive:$T/d.tar"
	assert_status 0
	[ "$(jq '.Layers | length' <<<"$output")" = "$(jq '.layers | length' "$m")" ]
	# the config and every layer are in the archive byte for byte
	[ "sha256:$(tar -xOf "$T/d.tar" "${cfg#sha256:}.json" | sha256sum | cut -d' ' -f1)" = "$cfg" ]
	local l
	for l in $(jq -r '.layers[].digest' "$m"); do
		[ "sha256:$(tar -xOf "$T/d.tar" "${l#sha256:}.tar" | sha256sum | cut -d' ' -f1)" = "$l" ] || fail "layer $l"
	done
	# and skopeo can copy it on
	skopeo copy -q "docker-archive:$T/d.tar" "oci:$T/fromdocker:x"
	# conflicting options are bad usage
	run oci-fetch -q --all-platforms pull "$REGISTRY/test/multi" "docker-archive:$T/m.tar"
	assert_status 2
	assert_output_contains "one platform"
}

# make_referrer DIR SUBJECT_MANIFEST_FILE ARTIFACT_TYPE: a layout holding an
# artifact manifest whose subject is that manifest (ref "artifact"), and the
# referrers fallback index for it (ref "sha256-<hex of the subject>")
make_referrer() {
	/usr/bin/python3 - "$@" <<'EOP'
import hashlib, json, os, sys
out, subject_file, atype = sys.argv[1:4]
os.makedirs(out + "/blobs/sha256", exist_ok=True)
def put(b):
    d = hashlib.sha256(b).hexdigest()
    open(f"{out}/blobs/sha256/{d}", "wb").write(b)
    return "sha256:" + d
subj = open(subject_file, "rb").read()
empty = b"{}"
payload = b'{"sbom": "example"}\n'
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "artifactType": atype,
    "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": put(empty), "size": 2},
    "layers": [{"mediaType": "application/json", "digest": put(payload), "size": len(payload)}],
    "subject": {"mediaType": "application/vnd.oci.image.manifest.v1+json",
                "digest": "sha256:" + hashlib.sha256(subj).hexdigest(), "size": len(subj)}},
    sort_keys=True).encode()
md = put(man)
idx = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
    "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md,
                   "size": len(man), "artifactType": atype}]}, sort_keys=True).encode()
xd = put(idx)
tag = "sha256-" + hashlib.sha256(subj).hexdigest()
json.dump({"schemaVersion": 2, "manifests": [
    {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": len(man),
     "annotations": {"org.opencontainers.image.ref.name": "artifact"}},
    {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": len(idx),
     "annotations": {"org.opencontainers.image.ref.name": tag}}]}, open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
print(md)
EOP
}

@test "referrers: the sha256-<hex> tag fallback (docker-registry 2.8 has no referrers API)" {
	registry_push_fixture ref/tiny "$OCI_TEST_FIXTURES/tiny" >/dev/null
	local subj art hex
	subj=$(fixture_digest tiny)
	hex=${subj#sha256:}
	run --separate-stderr oci-fetch referrers "$REGISTRY/ref/tiny"
	assert_status 0
	[ "$(jq '.manifests | length' <<<"$output")" = 0 ] || fail "$output"
	art=$(make_referrer "$T/art" "$OCI_TEST_FIXTURES/tiny/blobs/sha256/$hex" application/vnd.example.sbom)
	oci-fetch -q push "oci:$T/art:artifact" "$REGISTRY/ref/tiny@$art" >/dev/null
	oci-fetch -q push "oci:$T/art:sha256-$hex" "$REGISTRY/ref/tiny:sha256-$hex" >/dev/null
	run --separate-stderr oci-fetch referrers "$REGISTRY/ref/tiny"
	assert_status 0
	[ "$(jq -r '.manifests[0].digest' <<<"$output")" = "$art" ] || fail "$output"
	[ "$(jq -r '.manifests[0].artifactType' <<<"$output")" = application/vnd.example.sbom ]
	grep -q "GET /v2/ref/tiny/referrers/$subj" "$REGISTRY_LOG"
	run --separate-stderr oci-fetch referrers --artifact-type application/other "$REGISTRY/ref/tiny@$subj"
	assert_status 0
	[ "$(jq '.manifests | length' <<<"$output")" = 0 ]
}

@test "push from dir: (skopeo's format), OCI and Docker schema2, digests unchanged" {
	skopeo copy -q --preserve-digests "oci:$OCI_TEST_FIXTURES/layered:latest" "dir:$T/sd"
	run --separate-stderr oci-fetch -q push "dir:$T/sd" "$REGISTRY/fromdir/layered:1"
	assert_status 0
	[ "$output" = "$(fixture_digest layered)" ]
	[ "$(skopeo_digest fromdir/layered:1)" = "$(fixture_digest layered)" ]
	local s2
	s2=sha256:$(sha256sum <"$OCI_TEST_FIXTURES/docker-schema2.dir/manifest.json" | cut -d' ' -f1)
	run --separate-stderr oci-fetch -q push "dir:$OCI_TEST_FIXTURES/docker-schema2.dir" "$REGISTRY/fromdir/s2:1"
	assert_status 0
	[ "$output" = "$s2" ]
	[ "$(skopeo_digest fromdir/s2:1)" = "$s2" ]
	# the fixture folder is left as it was
	[ -z "$(find "$OCI_TEST_FIXTURES/docker-schema2.dir" -newer "$T/sd/manifest.json")" ]
	run oci-fetch -q push "dir:$T/nothing" "$REGISTRY/x/y:1"
	assert_status 1
	assert_one_line
	assert_output_contains "nothing"
}

@test "non-TTY progress: a rate line every two seconds during a slow pull" {
	proxy_start PROXY "$REGISTRY" --rate 2000000
	run --separate-stderr oci-fetch pull "$PROXY/test/layered" "oci:$T/slow:x"
	local st=$status err=$stderr
	proxy_stop PROXY
	[ "$st" = 0 ] || fail "status $st: $err"
	printf '%s\n' "$err" | grep -Eq '^oci-fetch: [0-9.]+ [KMG]?i?B of [0-9.]+ MiB, [0-9.]+ [KMG]?i?B/s$' || fail "no rate line: $err"
	[[ $err != *$'\033['* ]] || fail "escape codes without a terminal"
}
