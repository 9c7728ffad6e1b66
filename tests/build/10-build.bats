#!/usr/bin/env bats
# The build system and the test runner themselves.
load ../lib/common

@test "make install puts every built program and man page under DESTDIR" {
	run make -C "$OCI_TEST_TOP" --no-print-directory install DESTDIR="$T/root" PREFIX=/usr
	assert_status 0
	local n=0 p
	for p in $(compgen -G "$OCI_TEST_BIN/oci-*"); do
		[ -x "$T/root/usr/bin/$(basename "$p")" ] || fail "$(basename "$p") not installed"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "no programs were built"
	for p in "$OCI_TEST_TOP"/man/*.1; do
		[ -e "$p" ] || continue
		[ -f "$T/root/usr/share/man/man1/$(basename "$p")" ] || fail "$(basename "$p") not installed"
	done
}

@test "every built program answers --help, --version and bad usage" {
	local p n=0
	for p in $(compgen -G "$OCI_TEST_BIN/oci-*"); do
		check_cli_basics "$(basename "$p")"
		n=$((n + 1))
	done
	[ "$n" -gt 0 ] || fail "no programs were built"
}

@test "the runner counts passed, failed and skipped points of bats files and unit tests" {
	mkdir -p "$T/t/unit" "$T/build/tests/unit"
	# (printf, not a here-document: bats would rewrite @test lines of this file)
	printf '%s\n' '@test "passes" { true; }' '@test "fails" { false; }' \
		'@test "skips" { skip "no such thing here"; }' >"$T/t/a.bats"
	# A unit test that plans 3 points and dies after 1 counts the 2 it lost.
	printf '#!/bin/sh\necho 1..3\necho "ok 1 - one"\nexit 139\n' >"$T/build/tests/unit/test-crash"
	chmod +x "$T/build/tests/unit/test-crash"
	cd "$OCI_TEST_TOP"
	# The inner bats must not see the outer one's variables, its libexec
	# folder in PATH (where a "bats" of its own lives) or its TAP fd 3.
	local path
	path=$(printf '%s' "$PATH" | tr ':' '\n' | grep -v bats-core | paste -sd:)
	local clean=(env $(compgen -e | grep '^BATS_' | sed 's/^/-u /') PATH="$path")
	OCI_TEST_FIXTURES="$T/none" OCI_TEST_BUILD="$T/build" run "${clean[@]}" tests/run.sh "$T/t/a.bats" 3>&-
	assert_status 1
	[ "${lines[-1]}" = "1 passed, 1 failed, 1 skipped" ] || fail "summary: ${lines[-1]}"
	OCI_TEST_FIXTURES="$T/none" OCI_TEST_BUILD="$T/build" run "${clean[@]}" tests/run.sh tests/unit 3>&-
	assert_status 1
	[ "${lines[-1]}" = "1 passed, 2 failed, 0 skipped" ] || fail "summary: ${lines[-1]}"
}

@test "make deps finds every package already installed and installs nothing" {
	run "$OCI_TEST_TOP/scripts/deps.sh"
	assert_status 0
	[ -z "$output" ] || fail "deps printed: $output"
}
