#!/usr/bin/env bats
# Replays the committed fuzz corpus (tests/fuzz/corpus/NAME: seeds and the
# reproducers of fixed crashes) through each harness, built with plain cc
# and a small main() (tests/fuzz/replay.c) instead of libFuzzer, with ASan
# and UBSan when cc has them. Objects are kept in $OCI_TEST_BUILD/fuzz-replay
# so that a second run only relinks.
load ../lib/common

@test "fuzz: every harness has a corpus" {
	for h in "$OCI_TEST_TOP"/tests/fuzz/*.c; do
		n=$(basename "$h" .c)
		[ "$n" = replay ] && continue
		ls "$OCI_TEST_TOP/tests/fuzz/corpus/$n"/* >/dev/null 2>&1 || fail "no corpus for '$n'"
	done
}

@test "fuzz: the committed corpus replays without a crash" {
	run env FUZZ_OUT="$OCI_TEST_BUILD/fuzz-replay" "$OCI_TEST_TOP/scripts/fuzz.sh" --replay
	echo "$output" | tail -40
	assert_status 0
	# each harness replayed its files
	n=$(echo "$output" | grep -c '^replayed [1-9][0-9]* inputs$')
	[ "$n" -eq 18 ] || fail "expected 18 harnesses to replay their corpus, saw $n"
}
