# Shared setup for the end-to-end tests (bats). Load with
#   load ../lib/common
# Every test gets a fresh temporary folder $T, and OCI_ROOT, HOME,
# DOCKER_CONFIG and XDG_* pointing inside it, so no test touches the host's
# store or the user's credentials. Programs come from $OCI_TEST_BIN first.

: "${OCI_TEST_TOP:=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}"
: "${OCI_TEST_BIN:=$OCI_TEST_TOP/bin}"
: "${OCI_TEST_BUILD:=$OCI_TEST_TOP/build}"
: "${OCI_TEST_FIXTURES:=$OCI_TEST_BUILD/fixtures}"
export OCI_TEST_TOP OCI_TEST_BIN OCI_TEST_BUILD OCI_TEST_FIXTURES
export PATH="$OCI_TEST_BIN:$PATH"
HELPERS="$OCI_TEST_BUILD/tests/helpers"
SPECS="${OCI_TEST_SPECS:-$OCI_TEST_TOP/../shared/specs}"
[ -d "$SPECS" ] || SPECS="$OCI_TEST_TOP/tests/specs"

common_setup() {
	T=$(mktemp -d "${BATS_TMPDIR:-/tmp}/oci-test.XXXXXX")
	export T
	export OCI_ROOT="$T/store" HOME="$T/home" DOCKER_CONFIG="$T/home/.docker"
	export XDG_DATA_HOME="$T/home/.local/share" XDG_CONFIG_HOME="$T/home/.config"
	export XDG_RUNTIME_DIR="$T/run"
	export REGISTRY_AUTH_FILE="$T/home/.config/containers/auth.json"
	mkdir -p "$HOME" "$XDG_RUNTIME_DIR"
}

common_teardown() {
	# Unmount anything a test left below $T, then remove it.
	if [ -n "${T:-}" ] && [ -d "$T" ]; then
		grep -F " $T" /proc/self/mountinfo | awk '{print $5}' | sort -r |
			while read -r m; do umount -l "$m" 2>/dev/null; done
		rm -rf "$T"
	fi
}

setup() { common_setup; }
teardown() { common_teardown; }

# fail MSG: fails the current test with a message.
fail() {
	echo "$*" >&2
	return 1
}

# assert_status N: the last `run` exited with status N.
assert_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit status $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_output_contains STRING
assert_output_contains() {
	case "$output" in
	*"$1"*) return 0 ;;
	esac
	echo "expected output to contain '$1'; output:" >&2
	echo "$output" >&2
	return 1
}

# assert_output_matches REGEX (extended)
assert_output_matches() {
	if ! printf '%s' "$output" | grep -Eq -- "$1"; then
		echo "expected output to match /$1/; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# assert_one_line: an error message is one line.
assert_one_line() {
	local n
	n=$(printf '%s\n' "$output" | grep -c .)
	if [ "$n" -ne 1 ]; then
		echo "expected one line of output, got $n:" >&2
		echo "$output" >&2
		return 1
	fi
}

# validate_json SCHEMA FILE...: validates each FILE against a schema of ../shared/specs
# (e.g. image-spec/image-manifest-schema.json) with Debian's python3-jsonschema.
validate_json() {
	/usr/bin/python3 "$OCI_TEST_TOP/tests/fixtures/validate-schema.py" "$SPECS/$1" "${@:2}"
}

# Checks that a program answers --help, --version and bad usage as it should.
check_cli_basics() {
	local prog=$1
	run "$prog" --help
	assert_status 0
	assert_output_contains "Usage:"
	run "$prog" --version
	assert_status 0
	assert_output_matches "^$prog [0-9]+\.[0-9]+\.[0-9]+"
	run "$prog" --no-such-option
	assert_status 2
}
