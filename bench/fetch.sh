#!/usr/bin/env bash
# bench/fetch.sh: oci-fetch pull against `skopeo copy` into an oci: layout,
# same image, same local registry, same run.
#
# The image is synthesized: LAYERS gzip layers (default 6) of about SIZE_MB
# MiB in all (default 150) of incompressible data, pushed with skopeo to a
# local docker-registry (tests/lib/registry.bash) over plain http.
#   cold: an empty destination layout, every blob downloaded
#   warm: the same pull again into the filled layout (nothing to download)
# Each case runs RUNS times (default 3); the best time is reported, and the
# ratio skopeo/oci-fetch (above 1: oci-fetch is faster).
#
# Usage: bench/fetch.sh   (env: SIZE_MB LAYERS RUNS JOBS OCI_FETCH)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-150}
LAYERS=${LAYERS:-6}
RUNS=${RUNS:-3}
JOBS=${JOBS:-6}
OCI_FETCH=${OCI_FETCH:-$top/bin/oci-fetch}
[ -x "$OCI_FETCH" ] || { echo "bench/fetch.sh: build $OCI_FETCH first (make bin/oci-fetch)" >&2; exit 1; }
command -v skopeo >/dev/null || { echo "bench/fetch.sh: skopeo is not installed" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-bench-fetch.XXXXXX")
# shellcheck source=../tests/lib/registry.bash
. "$top/tests/lib/registry.bash"
cleanup() {
	registry_stop BENCHREG
	rm -rf "$work"
}
trap cleanup EXIT

echo "building a ${SIZE_MB} MiB image in ${LAYERS} layers..." >&2
/usr/bin/python3 - "$work/image" "$SIZE_MB" "$LAYERS" <<'EOF'
import gzip, hashlib, io, json, os, sys, tarfile
out, size_mb, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out + "/blobs/sha256")
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d
descs, diff_ids = [], []
per = size_mb * 1024 * 1024 // layers
for i in range(layers):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        # a few files per layer: random bytes (incompressible) and some text
        for k in range(4):
            data = os.urandom(per // 4)
            ti = tarfile.TarInfo(f"layer{i}/file{k}.bin")
            ti.size, ti.mtime, ti.mode = len(data), 1704067200, 0o644
            t.addfile(ti, io.BytesIO(data))
    tar = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    gz = gzip.compress(tar, compresslevel=1, mtime=0)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                  "digest": put(gz), "size": len(gz)})
config = json.dumps({"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}, sort_keys=True).encode()
manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                       "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                                  "digest": put(config), "size": len(config)},
                       "layers": descs}, sort_keys=True).encode()
md = put(manifest)
json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
          "digest": md, "size": len(manifest),
          "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}, open(out + "/index.json", "w"))
json.dump({"imageLayoutVersion": "1.0.0"}, open(out + "/oci-layout", "w"))
EOF
total=$(du -sb "$work/image/blobs" | cut -f1)

registry_start --prefix BENCHREG
registry_push_fixture --prefix BENCHREG bench/big "$work/image" >/dev/null
ref=$BENCHREG/bench/big:latest

now_ns() { date +%s%N; }
# best TIME_CMD...: the best wall time in ms over RUNS runs; PREP runs before each
best_ms() {
	local prep=$1 best=
	shift
	for _ in $(seq "$RUNS"); do
		eval "$prep"
		sync
		local t0 t1 ms
		t0=$(now_ns)
		"$@" >/dev/null 2>&1 || { echo "bench/fetch.sh: failed: $*" >&2; exit 1; }
		t1=$(now_ns)
		ms=$(( (t1 - t0) / 1000000 ))
		if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi
	done
	echo "$best"
}

fetch_cold=$(best_ms 'rm -rf "$work/of"' "$OCI_FETCH" -q --jobs "$JOBS" pull "$ref" "oci:$work/of:latest")
skopeo_cold=$(best_ms 'rm -rf "$work/sk"' skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/sk:latest")
fetch_warm=$(best_ms ':' "$OCI_FETCH" -q --jobs "$JOBS" pull "$ref" "oci:$work/of:latest")
skopeo_warm=$(best_ms ':' skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/sk:latest")

# both layouts hold the same image
d1=$(jq -r '.manifests[0].digest' "$work/of/index.json")
d2=$(jq -r '.manifests[0].digest' "$work/sk/index.json")
[ "$d1" = "$d2" ] || { echo "bench/fetch.sh: digests differ: $d1 vs $d2" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) b = 1; printf "%.2f", a / b }'; }
mbps() { awk -v bytes="$total" -v ms="$1" 'BEGIN { if (ms == 0) ms = 1; printf "%.0f", bytes / 1048576 / (ms / 1000) }'; }
printf 'image: %s MiB compressed in %d layers (+config), local docker-registry over http, best of %d\n' \
	"$(( total / 1048576 ))" "$LAYERS" "$RUNS"
printf '%-6s %12s %12s %10s\n' case oci-fetch skopeo ratio
printf '%-6s %9d ms %9d ms %9sx   (%s vs %s MiB/s)\n' cold "$fetch_cold" "$skopeo_cold" \
	"$(ratio "$skopeo_cold" "$fetch_cold")" "$(mbps "$fetch_cold")" "$(mbps "$skopeo_cold")"
printf '%-6s %9d ms %9d ms %9sx\n' warm "$fetch_warm" "$skopeo_warm" "$(ratio "$skopeo_warm" "$fetch_warm")"
printf 'goals: cold ratio >= 1.5: %s; warm oci-fetch < 50 ms: %s\n' \
	"$(awk -v r="$(ratio "$skopeo_cold" "$fetch_cold")" 'BEGIN { print (r >= 1.5) ? "met" : "NOT met" }')" \
	"$([ "$fetch_warm" -lt 50 ] && echo met || echo "NOT met")"
