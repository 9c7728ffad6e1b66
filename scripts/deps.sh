#!/bin/sh
# Installs the Debian packages that building and testing oci-tools need,
# when they are missing. Elsewhere it prints what to install.
set -u
build="make gcc pkg-config libjansson-dev libssl-dev libcurl4-openssl-dev libarchive-dev
 libseccomp-dev libnl-3-dev libnl-route-3-dev libnftables-dev libyaml-dev"
tests="bats jq python3 python3-jsonschema busybox-static openssl apache2-utils skopeo umoci
 runc crun docker-registry iproute2 nftables iptables zstd procps psmisc util-linux
 containernetworking-plugins uidmap clang libclang-rt-14-dev curl dnsmasq-base
 podman containerd docker.io systemd dbus-daemon"
missing=""
for p in $build $tests; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" != 0 ]; then
	echo "deps: please install these packages (Debian names):$missing" >&2
	command -v apt-get >/dev/null 2>&1 && exit 1
	exit 0
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
# Installing an engine (docker.io, containerd) must not start its service:
# the tests start engines themselves, with their state in temporary folders,
# and a system dockerd would change the host's network.
policy=/usr/sbin/policy-rc.d
made_policy=""
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 755 "$policy" && made_policy=1
fi
apt-get update -qq >&2 || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >&2
status=$?
[ -n "$made_policy" ] && rm -f "$policy"
exit $status
