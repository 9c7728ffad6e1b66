#!/usr/bin/python3
"""mkimage.py OUTDIR SPEC...: writes an OCI layout OUTDIR (ref "latest") with
one layer per SPEC, "COMPRESSION:NAME=CONTENT[,NAME=CONTENT...]" where
COMPRESSION is tar, gzip or zstd (zstd through the zstd program) and each
entry is a regular file (or "NAME/" for a directory). "empty" alone adds no
layer at all (an image with no layers). Config: Cmd ["/bin/true"]."""
import gzip, hashlib, io, json, os, platform, subprocess, sys, tarfile

out, specs = sys.argv[1], sys.argv[2:]
os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
MT = {"tar": "application/vnd.oci.image.layer.v1.tar",
      "gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
      "zstd": "application/vnd.oci.image.layer.v1.tar+zstd"}


def put(b):
    d = hashlib.sha256(b).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(b)
    return {"digest": "sha256:" + d, "size": len(b)}


layers, diff_ids = [], []
for spec in specs:
    if spec == "empty":
        continue
    comp, entries = spec.split(":", 1)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries.split(","):
            name, _, content = e.partition("=")
            ti = tarfile.TarInfo(name.rstrip("/"))
            ti.mtime = 1704067200
            if name.endswith("/"):
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            else:
                data = content.encode()
                ti.size, ti.mode = len(data), 0o644
                t.addfile(ti, io.BytesIO(data))
    raw = buf.getvalue()
    diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    if comp == "gzip":
        blob = gzip.compress(raw, mtime=0)
    elif comp == "zstd":
        blob = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE,
                              check=True).stdout
    else:
        blob = raw
    layers.append(dict(put(blob), mediaType=MT[comp]))
arch = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
cfg = json.dumps({"architecture": arch, "os": "linux", "config": {"Cmd": ["/bin/true"]},
                  "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": dict(put(cfg), mediaType="application/vnd.oci.image.config.v1+json"),
                  "layers": layers}).encode()
idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
       "manifests": [dict(put(man), mediaType="application/vnd.oci.image.manifest.v1+json",
                          annotations={"org.opencontainers.image.ref.name": "latest"})]}
with open(os.path.join(out, "index.json"), "w") as f:
    json.dump(idx, f)
with open(os.path.join(out, "oci-layout"), "w") as f:
    json.dump({"imageLayoutVersion": "1.0.0"}, f)
