#!/usr/bin/env bash
# bench/unpack.sh: oci-unpack against `umoci unpack`, same image, same run,
# everything on a tmpfs (so the disk does not decide).
#
# The image is synthesized: LAYERS gzip layers (default 6), about SIZE_MB MiB
# uncompressed in all (default 150): per layer, many small text-like files
# (1-32 KiB), a few larger ones, some incompressible data, directories,
# symlinks and a hardlink, and in the upper layers some whiteouts.
#   cold: an empty store, every layer extracted; oci-unpack (overlay) and
#         oci-unpack --flat against umoci unpack (which also writes its mtree
#         manifest) and umoci raw unpack (rootfs only)
#   warm: a second bundle of the same image (oci-unpack: layers already in
#         the store, only the mount and config.json)
# Each case runs RUNS times (default 3); the best time is reported, and the
# ratio umoci/oci-unpack (above 1: oci-unpack is faster).
#
# Usage: bench/unpack.sh   (env: SIZE_MB LAYERS RUNS OCI_UNPACK)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
SIZE_MB=${SIZE_MB:-150}
LAYERS=${LAYERS:-6}
RUNS=${RUNS:-3}
OCI_UNPACK=${OCI_UNPACK:-$top/bin/oci-unpack}
[ -x "$OCI_UNPACK" ] || { echo "bench/unpack.sh: build $OCI_UNPACK first (make bin/oci-unpack)" >&2; exit 1; }
command -v umoci >/dev/null || { echo "bench/unpack.sh: umoci is not installed" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "bench/unpack.sh: run as root (overlay mounts, tmpfs)" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/oci-bench-unpack.XXXXXX")
mount -t tmpfs -o size=4g tmpfs "$work"
cleanup() {
	{ grep -F " $work/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r |
		while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
	umount "$work" 2>/dev/null || umount -l "$work"
	rmdir "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

echo "building a ~${SIZE_MB} MiB image in ${LAYERS} layers..." >&2
/usr/bin/python3 - "$work/image" "$SIZE_MB" "$LAYERS" <<'PY'
import gzip, hashlib, io, json, os, platform, random, sys, tarfile
out, size_mb, layers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out + "/blobs/sha256")
rnd = random.Random(1)
words = [("".join(rnd.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rnd.randint(2, 10)))).encode()
         for _ in range(5000)]
def text(n):
    parts, size = [], 0
    while size < n:
        w = words[rnd.randrange(len(words))]
        parts.append(w)
        size += len(w) + 1
    return b" ".join(parts)[:n]
def put(data):
    d = hashlib.sha256(data).hexdigest()
    with open(f"{out}/blobs/sha256/{d}", "wb") as f:
        f.write(data)
    return "sha256:" + d
def add(t, name, data=None, kind="f", target=None, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.mtime, ti.mode = 1704067200, mode
    if kind == "d":
        ti.type, ti.mode = tarfile.DIRTYPE, 0o755
    elif kind == "l":
        ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, target, 0o777
    elif kind == "h":
        ti.type, ti.linkname = tarfile.LNKTYPE, target
    if data is not None:
        ti.size = len(data)
    t.addfile(ti, io.BytesIO(data) if data is not None else None)
descs, diff_ids = [], []
per = size_mb * 1024 * 1024 // layers
for i in range(layers):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as t:
        size, n = 0, 0
        add(t, "usr", kind="d")
        add(t, f"usr/l{i}", kind="d")
        if i > 0:
            add(t, f"usr/l{i-1}", kind="d")
            for k in range(0, 50):
                add(t, f"usr/l{i-1}/d0/.wh.f{k}", b"")
        big = os.urandom(per // 5)              # incompressible
        add(t, f"usr/l{i}/blob.bin", big)
        size += len(big)
        for k in range(3):                       # larger text files
            d = text(per // 20)
            add(t, f"usr/l{i}/large{k}.txt", d)
            size += len(d)
        while size < per:                        # many small files
            dn = f"usr/l{i}/d{n // 100}"
            if n % 100 == 0:
                add(t, dn, kind="d")
            d = text(rnd.randint(1024, 32768))
            add(t, f"{dn}/f{n % 100}", d)
            if n % 50 == 0:
                add(t, f"{dn}/link{n % 100}", kind="l", target=f"f{n % 100}")
            size += len(d)
            n += 1
        add(t, f"usr/l{i}/hard", kind="h", target=f"usr/l{i}/large0.txt")
    tar = raw.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(tar).hexdigest())
    gz = gzip.compress(tar, compresslevel=6, mtime=0)
    descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                  "digest": put(gz), "size": len(gz)})
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
config = json.dumps({"architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
                     "config": {"Cmd": ["/bin/sh"]},
                     "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                             "digest": put(config), "size": len(config)},
                  "layers": descs}).encode()
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "digest": put(man), "size": len(man),
                      "annotations": {"org.opencontainers.image.ref.name": "latest"}}]}
with open(out + "/index.json", "w") as f:
    json.dump(idx, f)
with open(out + "/oci-layout", "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
PY
img=$work/image
csize=$(du -sm "$img" | cut -f1)
echo "image: $(du -sh --apparent-size "$img" | cut -f1) compressed in $LAYERS layers" >&2

now() { date +%s%N; }
# best TIME_NS of RUNS runs of: prepare (untimed), command (timed), cleanup (untimed)
best=
measure() {
	local prep=$1 clean=$2
	shift 2
	best=
	for _ in $(seq "$RUNS"); do
		eval "$prep"
		local t0 t1
		t0=$(now)
		"$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
		t1=$(now)
		eval "$clean"
		local d=$(( t1 - t0 ))
		if [ -z "$best" ] || [ "$d" -lt "$best" ]; then best=$d; fi
	done
}
ms() { awk -v n="$1" 'BEGIN { printf "%.1f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
umount_all() {
	{ grep -F " $work/" /proc/self/mountinfo || true; } | awk '{print $5}' | sort -r |
		while read -r m; do umount "$m"; done
}

# cold: a fresh store for each run
measure 'umount_all; rm -rf "$work/store" "$work/b"' 'umount_all; rm -rf "$work/b"' \
	"$OCI_UNPACK" --store "$work/store" "oci:$img:latest" "$work/b"
cold=$best
measure 'rm -rf "$work/f"' 'rm -rf "$work/f"' \
	"$OCI_UNPACK" --flat --store "$work/store" "oci:$img:latest" "$work/f"
flat=$best
measure 'rm -rf "$work/u"' 'rm -rf "$work/u"' umoci unpack --image "$img:latest" "$work/u"
umoci=$best
measure 'rm -rf "$work/r"' 'rm -rf "$work/r"' umoci raw unpack --image "$img:latest" "$work/r"
umoci_raw=$best

# warm: the store has the layers; a second bundle
umount_all; rm -rf "$work/store" "$work/b"
"$OCI_UNPACK" --store "$work/store" "oci:$img:latest" "$work/b" >/dev/null
measure 'rm -rf "$work/b2"' 'umount "$work/b2/rootfs"; rm -rf "$work/b2"' \
	"$OCI_UNPACK" --store "$work/store" "oci:$img:latest" "$work/b2"
warm=$best
# the trees agree (flat and overlay against umoci)
(cd "$work/b/rootfs" && find . | sort) >"$work/ours.list"
"$OCI_UNPACK" --flat --store "$work/store" "oci:$img:latest" "$work/f" >/dev/null
umoci raw unpack --image "$img:latest" "$work/r" >/dev/null 2>&1
(cd "$work/f/rootfs" && find . | sort) >"$work/flat.list"
(cd "$work/r" && find . | sort) >"$work/umoci.list"
cmp -s "$work/ours.list" "$work/umoci.list" && cmp -s "$work/flat.list" "$work/umoci.list" ||
	echo "warning: the trees differ from umoci's" >&2

echo "oci-unpack vs umoci: ${SIZE_MB} MiB, ${LAYERS} layers, ${csize} MiB compressed, tmpfs, best of ${RUNS}"
printf '%-34s %10s %10s %8s\n' case oci-unpack umoci ratio
printf '%-34s %8s ms %8s ms %8s\n' "cold (overlay) vs umoci unpack" "$(ms "$cold")" "$(ms "$umoci")" "$(ratio "$umoci" "$cold")"
printf '%-34s %8s ms %8s ms %8s\n' "cold (overlay) vs umoci raw unpack" "$(ms "$cold")" "$(ms "$umoci_raw")" "$(ratio "$umoci_raw" "$cold")"
printf '%-34s %8s ms %8s ms %8s\n' "cold --flat vs umoci raw unpack" "$(ms "$flat")" "$(ms "$umoci_raw")" "$(ratio "$umoci_raw" "$flat")"
printf '%-34s %8s ms %8s ms %8s\n' "warm (second bundle) vs umoci unpack" "$(ms "$warm")" "$(ms "$umoci")" "$(ratio "$umoci" "$warm")"
