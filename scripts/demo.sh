#!/usr/bin/env bash
# make demo: the main job end to end, offline. Builds an image from Debian's
# busybox-static, serves it from a local registry (Debian's docker-registry on
# 127.0.0.1), pulls it with oci-fetch, unpacks it with oci-unpack, runs it with
# oci-run and prints what the container prints; then removes everything it made.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
bin=${OCI_TEST_BIN:-$top/bin}
export PATH="$bin:$PATH"

work=$(mktemp -d /tmp/oci-demo.XXXXXX)
export OCI_ROOT="$work/store" HOME="$work/home" DOCKER_CONFIG="$work/home/.docker"
export XDG_DATA_HOME="$work/home/.local/share" XDG_CONFIG_HOME="$work/home/.config"
export XDG_RUNTIME_DIR="$work/run"
mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
state="$work/oci-run-state"
id="oci-demo-$$"
bundle="$work/bundle"

# shellcheck source=../tests/lib/registry.bash
. "$top/tests/lib/registry.bash"

cleanup() {
	set +e
	oci-run --root "$state" delete --force "$id" >/dev/null 2>&1
	oci-unpack rm "$bundle" >/dev/null 2>&1
	registry_stop >/dev/null 2>&1
	grep -F " $work" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m"; done
	rm -rf "$work"
}
trap cleanup EXIT

if [ -t 2 ]; then
	step() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }
else
	step() { printf '\n== %s\n' "$*" >&2; }
fi

step "build the demo image from /bin/busybox (tests/fixtures/build.sh)"
fixtures="${OCI_TEST_FIXTURES:-$work/fixtures}"
"$top/tests/fixtures/build.sh" "$fixtures" >/dev/null

step "serve it from a local registry"
registry_start >/dev/null
ref="$REGISTRY/demo/hello:1.0"
registry_push_fixture demo/hello:1.0 "$fixtures/tiny" >/dev/null
echo "registry at $REGISTRY_URL, image $ref" >&2

step "oci-fetch pull $ref"
digest=$(oci-fetch pull "$ref")
echo "pulled $digest" >&2

step "oci-unpack $ref $bundle"
oci-unpack "$ref" "$bundle"

step "oci-run run --bundle $bundle $id"
# The image's command is /bin/sh; give the container something to say.
cfg="$bundle/config.json"
jq '.process.args = ["/bin/sh", "-c", "echo \"hello from a container: $(hostname), pid $$, user $(id -un)\"; cat /etc/os-release | head -n 1; ls /"]
    | .hostname = "demo"' "$cfg" >"$cfg.new" && mv "$cfg.new" "$cfg"
oci-run --root "$state" run --bundle "$bundle" "$id"
echo "container exited with status $?" >&2
