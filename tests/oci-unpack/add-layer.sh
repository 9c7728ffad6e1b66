#!/bin/sh
# add-layer.sh LAYOUT TAR: appends TAR as an uncompressed layer to the image
# "latest" of LAYOUT (new config, manifest and index.json).
set -eu
dir=$1 tar=$2
blobs=$dir/blobs/sha256
d=$(sha256sum "$tar" | cut -d' ' -f1)
cp "$tar" "$blobs/$d"
size=$(stat -c %s "$blobs/$d")
man=$(jq -r '.manifests[0].digest' "$dir/index.json" | cut -d: -f2)
cfg=$(jq -r '.config.digest' "$blobs/$man" | cut -d: -f2)
jq -c --arg d "sha256:$d" '.rootfs.diff_ids += [$d]' "$blobs/$cfg" >"$dir/cfg.tmp"
ncfg=$(sha256sum "$dir/cfg.tmp" | cut -d' ' -f1)
mv "$dir/cfg.tmp" "$blobs/$ncfg"
jq -c --arg c "sha256:$ncfg" --argjson cs "$(stat -c %s "$blobs/$ncfg")" \
	--arg d "sha256:$d" --argjson s "$size" \
	'.config.digest = $c | .config.size = $cs |
	 .layers += [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": $d, "size": $s}]' \
	"$blobs/$man" >"$dir/man.tmp"
nman=$(sha256sum "$dir/man.tmp" | cut -d' ' -f1)
mv "$dir/man.tmp" "$blobs/$nman"
jq -c --arg d "sha256:$nman" --argjson s "$(stat -c %s "$blobs/$nman")" \
	'.manifests[0].digest = $d | .manifests[0].size = $s' "$dir/index.json" >"$dir/index.tmp"
mv "$dir/index.tmp" "$dir/index.json"
