#!/usr/bin/env bats
# oci-run: the runtime binary cannot be reached for writing from a container
# (CVE-2019-5736), no host fd leaks into it and its cwd cannot be on the
# host (CVE-2024-21626).
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	cleanup_containers
	common_teardown
}

@test "the container's init runs from a sealed memfd copy, not the binary on disk" {
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 0
	pid=$("${R[@]}" state c1 | jq -r .pid)
	exe=$(readlink "/proc/$pid/exe")
	[[ "$exe" == "/memfd:oci-run"* ]] || fail "init exe is $exe"
	# sealed: it cannot be written even by root on the host
	run sh -c "echo overwritten >>/proc/$pid/exe"
	[ "$status" -ne 0 ] || fail "the memfd copy could be written"
	# only the loadable part was copied (no debug sections)
	copy=$(stat -L -c %s "/proc/$pid/exe")
	disk=$(stat -c %s "$(command -v oci-run)")
	[ "$copy" -le "$disk" ] || fail "copy $copy > binary $disk"
	echo "# memfd copy: $copy bytes, binary: $disk bytes" >&3
}

@test "from inside, /proc/1/exe after exec is the container's program" {
	run_in "$T/b" sh -c 'readlink /proc/1/exe; echo x >>/proc/1/exe 2>&1 && echo wrote'
	[[ "${lines[0]}" == /bin/busybox ]] || fail "$output"
}

@test "no file descriptor of the runtime or its caller is open in the container" {
	bundle_args "$T/b" sleep 30
	run_file "${R[@]}" run -d --bundle "$T/b" c1 7<"$T/b/config.json" 8>"$T/extra"
	assert_status 0
	pid=$("${R[@]}" state c1 | jq -r .pid)
	run ls "/proc/$pid/fd"
	[ "$(echo $output)" = "0 1 2" ] || fail "open fds of the container's process: $output"
}

@test "a cwd through /proc/self/fd/N of a leaked fd cannot reach the host (CVE-2024-21626)" {
	for n in 3 4 5 6 7 8 9; do
		bundle_config "$T/b" '.process.cwd = $c' --arg c "/proc/self/fd/$n"
		bundle_args "$T/b" sh -c 'pwd; ls ..'
		run "${R[@]}" run --bundle "$T/b" "c$n" </dev/null
		if [ "$status" -eq 0 ]; then
			[[ "$output" != *oci-test* && "$output" != *"run/oci-run"* ]] || fail "fd $n: $output"
			[[ "${lines[0]}" == /* ]] || fail "fd $n: cwd ${lines[0]}"
		fi
		"${R[@]}" delete --force "c$n" 2>/dev/null || true
	done
}

@test "the runtime binary on disk is not modified by a container run" {
	before=$(sha256sum <"$(command -v oci-run)")
	run_in "$T/b" sh -c 'for p in /proc/[0-9]*/exe; do echo x >>$p; done 2>/dev/null; true'
	after=$(sha256sum <"$(command -v oci-run)")
	[ "$before" = "$after" ]
}

@test "memory stays bounded with many created containers (runc#3973)" {
	bundle_args "$T/b" sleep 60
	n=30
	for i in $(seq $n); do
		"${R[@]}" create --bundle "$T/b" "m$i" >/dev/null 2>&1 || fail "create m$i"
	done
	total=0
	for i in $(seq $n); do
		pid=$("${R[@]}" state "m$i" | jq -r .pid)
		kb=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup")
		total=$((total + kb))
	done
	echo "# $n created containers: $total KiB Pss in all, $((total / n)) KiB each" >&3
	# runc 1.1 here holds about 3.3 MiB per created container; a bound of
	# 2 MiB each keeps us well below and catches a whole binary copy per init
	[ $((total / n)) -lt 2048 ] || fail "$((total / n)) KiB per created container"
}
