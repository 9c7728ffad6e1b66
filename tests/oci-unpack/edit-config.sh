#!/bin/sh
# edit-config.sh LAYOUT JQ-FILTER: rewrites the config of LAYOUT's first image
# through a jq filter (new config and manifest blobs, index.json updated).
set -eu
dir=$1 filter=$2
blobs=$dir/blobs/sha256
man=$(jq -r '.manifests[0].digest' "$dir/index.json" | cut -d: -f2)
cfg=$(jq -r '.config.digest' "$blobs/$man" | cut -d: -f2)
jq -c "$filter" "$blobs/$cfg" >"$dir/cfg.tmp"
ncfg=$(sha256sum "$dir/cfg.tmp" | cut -d' ' -f1)
mv "$dir/cfg.tmp" "$blobs/$ncfg"
jq -c --arg d "sha256:$ncfg" --argjson s "$(stat -c %s "$blobs/$ncfg")" \
	'.config.digest = $d | .config.size = $s' "$blobs/$man" >"$dir/man.tmp"
nman=$(sha256sum "$dir/man.tmp" | cut -d' ' -f1)
mv "$dir/man.tmp" "$blobs/$nman"
jq -c --arg d "sha256:$nman" --argjson s "$(stat -c %s "$blobs/$nman")" \
	'.manifests[0].digest = $d | .manifests[0].size = $s' "$dir/index.json" >"$dir/index.tmp"
mv "$dir/index.tmp" "$dir/index.json"
