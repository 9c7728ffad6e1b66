#!/usr/bin/env bash
# Builds the libFuzzer harnesses tests/fuzz/*.c with clang into build-fuzz/
# and runs each for SECONDS (default 60), one after the other.
#
# Usage: scripts/fuzz.sh [SECONDS] [NAME...]      fuzz (default: every harness)
#        scripts/fuzz.sh --build [NAME...]        only build
#        scripts/fuzz.sh --replay [NAME...]       build with plain $CC and a
#            small main() (tests/fuzz/replay.c) instead of libFuzzer, and feed
#            each file of tests/fuzz/corpus/NAME once (what 10-corpus.bats runs)
# Environment: FUZZ_OUT (default build-fuzz, or build-fuzz/replay), FUZZ_JOBS
# (libFuzzer -jobs, default none), FUZZ_ARGS (more libFuzzer options).
# tests/fuzz/NAME.dict, when present, is passed as -dict (string literals
# of the parser's source).
#
# The harnesses are compiled against the sources directly (common/*.c into
# an archive, so that a harness links only the objects it needs, and the few
# program modules listed below), not through the Makefile. A crash leaves its
# input in build-fuzz/artifacts/NAME/; the growing corpus is kept in
# build-fuzz/corpus/NAME (seeded from tests/fuzz/corpus/NAME).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

# NAME: the program modules it tests (besides common/); the program's other
# modules (not main.c) are linked from an archive as far as these need them.
declare -A MODS=(
	[ref]="" [image_name]="" [platform]="" [digest]="" [json]=""
	[manifest]="" [image_config]=""
	[fetch_auth]="oci-fetch/auth.c"
	[fetch_regconf]="oci-fetch/mirrors.c"
	[fetch_creds]="oci-fetch/credentials.c oci-fetch/policy.c"
	[fetch_sigstore]="oci-fetch/sigstore.c oci-fetch/policy.c"
	[unpack_passwd]="oci-unpack/passwd.c"
	[run_spec]="oci-run/spec.c oci-run/resources.c oci-run/seccomp.c oci-run/caps.c"
	[run_resources]="oci-run/resources.c"
	[run_seccomp]="oci-run/seccomp.c"
	[run_dbus]="oci-run/dbus.c"
	[net_addr]="oci-net/ipam.c oci-net/portmap.c oci-net/dns.c"
	[net_cni]="oci-net/cni.c oci-net/network.c"
)
declare -A PKGS=(
	[fetch]="libcurl" [unpack]="libarchive" [run]="libseccomp"
	[net]="libnl-3.0 libnl-route-3.0 libnftables"
)
ALL=(ref image_name platform digest json manifest image_config fetch_auth fetch_regconf
     fetch_creds fetch_sigstore unpack_passwd run_spec run_resources run_seccomp run_dbus
     net_addr net_cni)

mode=fuzz seconds=60
case ${1:-} in
--build) mode=build; shift ;;
--replay) mode=replay; shift ;;
[0-9]*) seconds=$1; shift ;;
esac
names=("$@")
[ ${#names[@]} -gt 0 ] || names=("${ALL[@]}")
for n in "${names[@]}"; do
	[ -n "${MODS[$n]+x}" ] || { echo "fuzz.sh: error: unknown harness '$n'" >&2; exit 2; }
done

if [ "$mode" = replay ]; then
	out=${FUZZ_OUT:-build-fuzz/replay}
	cc=${CC:-cc}
	san="-fsanitize=address,undefined -fno-sanitize-recover=undefined"
	echo 'int main(void){return 0;}' >"${TMPDIR:-/tmp}/fuzz-san-$$.c"
	if ! $cc $san -o /dev/null "${TMPDIR:-/tmp}/fuzz-san-$$.c" 2>/dev/null; then
		san=""
	fi
	rm -f "${TMPDIR:-/tmp}/fuzz-san-$$.c"
	cflags="-O0 -g $san"
	link_main=tests/fuzz/replay.c
	link_flags="$san"
else
	out=${FUZZ_OUT:-build-fuzz}
	cc=${FUZZ_CC:-clang}
	cflags="-O1 -g -fno-omit-frame-pointer -fsanitize=fuzzer-no-link,address,undefined"
	link_main=""
	link_flags="-fsanitize=fuzzer,address,undefined"
fi
cppflags="-D_GNU_SOURCE -DOCI_TOOLS_VERSION=\"0.1.0\" -Icommon -Itests/fuzz"
warn="-std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-unused-function"
common_pc="jansson libcrypto"

# obj SRC EXTRA_CFLAGS: compiles SRC into $out/obj/SRC.o when out of date
# (older than SRC or than any header of its folder or of common/).
obj() {
	local src=$1 extra=$2 o="$out/obj/${1%.c}.o" dir
	dir=$(dirname "$src")
	mkdir -p "$(dirname "$o")"
	if [ ! -e "$o" ] || [ "$src" -nt "$o" ] ||
		[ -n "$(find common "$dir" tests/fuzz/fuzz.h -maxdepth 1 -name '*.h' -newer "$o" 2>/dev/null | head -1)" ]; then
		# shellcheck disable=SC2086
		$cc $cppflags $extra $warn $cflags -c -o "$o" "$src"
	fi
	printf '%s\n' "$o"
}

# stale TARGET FILE...: TARGET is missing or older than one of the files.
stale() {
	local t=$1 f
	shift
	[ -e "$t" ] || return 0
	for f in "$@"; do
		[ "$f" -nt "$t" ] && return 0
	done
	return 1
}

build_common() {
	local objs=() s pcf
	pcf=$(pkg-config --cflags $common_pc)
	for s in common/*.c; do
		objs+=("$(obj "$s" "$pcf")")
	done
	if stale "$out/libocicommon.a" "${objs[@]}"; then
		rm -f "$out/libocicommon.a"
		ar rcs "$out/libocicommon.a" "${objs[@]}"
	fi
}

build_one() {
	local n=$1 prog pc objs=() s
	prog=${n%%_*}
	pc=""
	case $n in fetch_* | unpack_* | run_* | net_*) pc=${PKGS[$prog]} ;; esac
	local pcf
	pcf=$(pkg-config --cflags $pc $common_pc)
	for s in ${MODS[$n]}; do
		objs+=("$(obj "$s" "-I$(dirname "$s") $pcf")")
	done
	# the rest of the program's modules, as an archive: only what the
	# objects above refer to is linked
	local mod_dir=${MODS[$n]%%/*} lib=""
	if [ -n "$mod_dir" ]; then
		local mobjs=()
		for s in "$mod_dir"/*.c; do
			[ "$s" = "$mod_dir/main.c" ] && continue
			mobjs+=("$(obj "$s" "-I$mod_dir $pcf")")
		done
		lib="$out/lib$mod_dir.a"
		if stale "$lib" "${mobjs[@]}"; then
			rm -f "$lib"
			ar rcs "$lib" "${mobjs[@]}"
		fi
	fi
	objs+=("$(obj "tests/fuzz/$n.c" "$(for s in ${MODS[$n]}; do echo "-I$(dirname "$s")"; done | sort -u | tr '\n' ' ') $pcf")")
	if [ -n "$link_main" ]; then
		objs+=("$(obj "$link_main" "$pcf")")
	fi
	mkdir -p "$out/bin"
	stale "$out/bin/$n" "${objs[@]}" $lib "$out/libocicommon.a" || return 0
	# shellcheck disable=SC2046,SC2086
	$cc $link_flags -o "$out/bin/$n" "${objs[@]}" $lib "$out/libocicommon.a" \
		$(pkg-config --libs $pc $common_pc) -lpthread
}

mkdir -p "$out"
build_common
for n in "${names[@]}"; do
	build_one "$n"
done

case $mode in
build) exit 0 ;;
replay)
	status=0
	for n in "${names[@]}"; do
		[ -d "tests/fuzz/corpus/$n" ] || continue
		echo "== $n"
		"$out/bin/$n" "tests/fuzz/corpus/$n" || status=1
	done
	exit $status ;;
esac

status=0
for n in "${names[@]}"; do
	mkdir -p "$out/corpus/$n" "$out/artifacts/$n"
	jobs=()
	[ -n "${FUZZ_JOBS:-}" ] && jobs=("-jobs=$FUZZ_JOBS" "-workers=$FUZZ_JOBS")
	dict=()
	[ -f "tests/fuzz/$n.dict" ] && dict=("-dict=tests/fuzz/$n.dict")
	echo "== $n: ${seconds}s (log: $out/$n.log)"
	rc=0
	# shellcheck disable=SC2086
	"$out/bin/$n" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$out/artifacts/$n/" "${jobs[@]}" "${dict[@]}" \
		${FUZZ_ARGS:-} "$out/corpus/$n" "tests/fuzz/corpus/$n" >"$out/$n.log" 2>&1 || rc=$?
	grep -E '^(stat::number_of_executed_units|stat::new_units_added|SUMMARY)|ERROR:|Test unit written' \
		"$out/$n.log" || true
	if [ $rc -ne 0 ]; then
		echo "$n: failed (status $rc)"
		status=1
	fi
done
exit $status
