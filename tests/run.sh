#!/usr/bin/env bash
# The one test runner: every C unit test and every bats file, counted by TAP
# point. Prints each file's TAP output and ends with
#   N passed, N failed, N skipped
# exiting 1 when anything failed (or a test program died before its plan).
#
# Usage: tests/run.sh [FILE-OR-DIR...]   (default: everything)
# Environment: OCI_TEST_BIN (programs), OCI_TEST_BUILD (objects, unit tests).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
export OCI_TEST_TOP=$top
export OCI_TEST_BIN=${OCI_TEST_BIN:-$top/bin}
export OCI_TEST_BUILD=${OCI_TEST_BUILD:-$top/build}
export PATH="$OCI_TEST_BIN:$PATH"

passed=0 failed=0 skipped=0
failures=()

# Counts the TAP in $1 (a file holding a program's output) for test $2.
count_tap() {
	local out=$1 name=$2 status=$3 planned=-1 seen=0 line
	while IFS= read -r line; do
		case $line in
		1..*) planned=${line#1..}; planned=${planned%% *} ;;
		"not ok"*)
			seen=$((seen + 1))
			if [[ $line =~ \#[[:space:]]*(TODO|todo) ]]; then
				skipped=$((skipped + 1))
			else
				failed=$((failed + 1)); failures+=("$name: $line")
			fi ;;
		ok*)
			seen=$((seen + 1))
			if [[ $line =~ \#[[:space:]]*(SKIP|skip) ]]; then
				skipped=$((skipped + 1))
			else
				passed=$((passed + 1))
			fi ;;
		esac
	done <"$out"
	if [[ $planned -ge 0 && $seen -lt $planned ]]; then
		failed=$((failed + planned - seen))
		failures+=("$name: ran $seen of $planned planned tests (exit status $status)")
	elif [[ $planned -lt 0 || ( $status -ne 0 && $seen -eq 0 ) ]]; then
		failed=$((failed + 1))
		failures+=("$name: no TAP plan or no tests (exit status $status)")
	fi
}

run_one() {
	local f=$1 out status start=$EPOCHREALTIME
	out=$(mktemp)
	echo "# --- $f"
	case $f in
	*.bats) bats --tap "$f" >"$out" 2>&1; status=$? ;;
	*)      "$f" >"$out" 2>&1; status=$? ;;
	esac
	cat "$out"
	awk -v f="$f" -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "# --- %s: %.1f s\n", f, b - a }'
	count_tap "$out" "$f" "$status"
	rm -f "$out"
}

collect() {
	local p
	for p in "$@"; do
		if [[ -d $p ]]; then
			find "$p" -name '*.bats' | sort
		else
			echo "$p"
		fi
	done
}

targets=("$@")
files=()
if [[ ${#targets[@]} -eq 0 ]]; then
	while IFS= read -r f; do files+=("$f"); done < <(find "$OCI_TEST_BUILD/tests/unit" -type f -perm -u+x 2>/dev/null | sort)
	targets=(tests)
fi
while IFS= read -r f; do files+=("$f"); done < <(collect "${targets[@]}" | grep -v '^tests/unit/')
for t in "${targets[@]}"; do
	case $t in tests/unit*)
		while IFS= read -r f; do files+=("$f"); done < <(find "$OCI_TEST_BUILD/$t" -type f -perm -u+x 2>/dev/null | sort) ;;
	esac
done

# Fixtures are built once per run, before the end-to-end tests.
if [[ -z ${OCI_TEST_FIXTURES:-} ]]; then
	export OCI_TEST_FIXTURES=$OCI_TEST_BUILD/fixtures
	if ! "$top/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null 2>"$OCI_TEST_BUILD/fixtures.log"; then
		echo "# fixtures failed to build:"; sed 's/^/# /' "$OCI_TEST_BUILD/fixtures.log"
		failed=$((failed + 1)); failures+=("tests/fixtures/build.sh failed")
	fi
fi

for f in "${files[@]}"; do
	run_one "$f"
done

if [[ ${#failures[@]} -gt 0 ]]; then
	echo "# failures:"
	printf '#   %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed, $skipped skipped"
[[ $failed -eq 0 ]]
