#!/bin/bash
# Prints the path of a criu binary that works on this kernel (`criu check`
# passes), for oci-run checkpoint/restore and their tests:
#   1. criu in PATH, /usr/sbin or /sbin, when its check passes;
#   2. else CRIU 4.1.1 built from Debian's source (trixie's orig tarball,
#      its sha256 checked against the value of Debian's criu_4.1.1-1.dsc)
#      into a cache directory, reused when present:
#      ${OCI_CRIU_CACHE:-${XDG_CACHE_HOME:-/var/cache}/oci-tools}/criu-4.1.1/criu
#      Only the criu binary is built (make criu), no docs; the build
#      packages come from apt when missing (as root).
# Debian 12's criu 3.17 fails on kernels >= 6.13 ("vdso: Unexpected rt vDSO
# area bounds"); CRIU 4.x knows the vvar_vclock area.
# OCI_CRIU_BUILD=no: use the system's or the cached criu, never build one.
# Exit 1 with a one-line reason on stderr when no criu can be had (no
# network, no compiler, the kernel lacks what criu needs).
set -u
VERSION=4.1.1
TARBALL=criu_${VERSION}.orig.tar.xz
SHA256=f80a66cb3726bb2116266d4759ce3bcbfab7abdb6b6d430bf20dd41911717afe
MIRROR=${OCI_DEBIAN_MIRROR:-http://deb.debian.org/debian}
URL=$MIRROR/pool/main/c/criu/$TARBALL
BUILD_DEPS="make gcc pkg-config xz-utils libprotobuf-c-dev protobuf-c-compiler libprotobuf-dev
 protobuf-compiler libnl-3-dev libnet1-dev libcap-dev libbsd-dev uuid-dev libgnutls28-dev
 libnftables-dev"

die() {
	echo "criu.sh: $*" >&2
	exit 1
}

works() {
	[ -x "$1" ] && "$1" check >/dev/null 2>&1
}

for c in "$(command -v criu 2>/dev/null)" /usr/sbin/criu /sbin/criu; do
	if [ -n "$c" ] && works "$c"; then
		echo "$c"
		exit 0
	fi
done

cache=${OCI_CRIU_CACHE:-${XDG_CACHE_HOME:-/var/cache}/oci-tools}/criu-$VERSION
if works "$cache/criu"; then
	echo "$cache/criu"
	exit 0
fi
if [ "${OCI_CRIU_BUILD:-yes}" = no ]; then
	why=$({ criu check || /usr/sbin/criu check; } 2>&1 | grep -m1 Error)
	die "the system's criu fails its check (${why:-no criu}) and building one is off (OCI_CRIU_BUILD=no)"
fi
mkdir -p "$cache" || die "cannot create '$cache'"
# one build at a time (test files may run side by side)
exec 9>"$cache/.lock" || die "cannot lock '$cache/.lock'"
flock 9 || die "cannot lock '$cache/.lock'"
if works "$cache/criu"; then
	echo "$cache/criu"
	exit 0
fi

missing=""
for p in $BUILD_DEPS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
if [ -n "$missing" ]; then
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 ||
		die "building criu needs these packages:$missing"
	log=$cache/apt.log
	{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
		--no-install-recommends $missing; } >"$log" 2>&1 ||
		die "apt-get install$missing failed (see '$log')"
fi

src=$cache/src
rm -rf "$src" && mkdir -p "$src" || die "cannot create '$src'"
if command -v curl >/dev/null 2>&1; then
	curl -fsS --retry 2 -o "$src/$TARBALL" "$URL" 2>"$cache/fetch.log"
else
	wget -q -O "$src/$TARBALL" "$URL" 2>"$cache/fetch.log"
fi || die "cannot download '$URL' (see '$cache/fetch.log')"
echo "$SHA256  $src/$TARBALL" | sha256sum -c --quiet - >/dev/null 2>&1 ||
	die "'$URL' does not have the sha256 of Debian's criu_$VERSION-1.dsc ($SHA256)"
tar -C "$src" -xJf "$src/$TARBALL" || die "cannot unpack '$src/$TARBALL'"
log=$cache/build.log
# CRIU's own -Werror stays: it builds clean with Debian 12's gcc
make -C "$src/criu-$VERSION" -j"$(nproc)" criu >"$log" 2>&1 ||
	die "building criu $VERSION failed (see '$log')"
install -m 0755 "$src/criu-$VERSION/criu/criu" "$cache/criu.new" &&
	mv "$cache/criu.new" "$cache/criu" || die "cannot install '$cache/criu'"
rm -rf "$src"
if ! works "$cache/criu"; then
	why=$("$cache/criu" check 2>&1 | grep -m1 Error)
	die "criu $VERSION built but 'criu check' fails on this kernel: ${why:-unknown}"
fi
echo "$cache/criu"
