#!/usr/bin/env bats
# Short-name resolution (containers-registries.conf(5)) with two local
# registries where the image lives only in the second: the search list tried
# in order, short-name-mode, [aliases] and short-name-aliases.conf, drop-ins,
# and one-line errors naming the short name and the registries tried.
load ../lib/common
bats_require_minimum_version 1.5.0
load ../lib/registry
load fetch-helpers

setup_file() {
	"$OCI_TEST_TOP/tests/fixtures/build.sh" "$OCI_TEST_FIXTURES" >/dev/null
	registry_start
	registry_start --prefix SECOND
	registry_push_fixture --prefix SECOND shortapp "$OCI_TEST_FIXTURES/tiny" >/dev/null
	registry_push_fixture --prefix SECOND team/tool:1 "$OCI_TEST_FIXTURES/tiny" >/dev/null
}

teardown_file() {
	registry_stop SECOND
	registry_stop
}

setup() {
	common_setup
	# no cache aliases but the test's own
	export XDG_CACHE_HOME="$T/home/.cache"
	unset CONTAINERS_REGISTRIES_CONF
}

# search_conf FILE [MODE]: both registries, the first one first
search_conf() {
	{
		echo "unqualified-search-registries = [\"$REGISTRY\", \"$SECOND\"]"
		[ -z "${2:-}" ] || echo "short-name-mode = \"$2\""
	} >"$1"
}

@test "permissive (the default): the search registries in order; the image comes from the second" {
	search_conf "$T/r.conf"
	local a0 b0
	a0=$(grep -c 'GET /v2/shortapp/manifests/latest' "$REGISTRY_LOG" || true)
	b0=$(grep -c 'GET /v2/shortapp/manifests/latest' "$SECOND_LOG" || true)
	run --separate-stderr oci-fetch -q --registries-conf "$T/r.conf" pull shortapp "oci:$T/o:x"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ] || fail "printed '$output' ($stderr)"
	validate_layout "$T/o"
	# the first registry was asked (and said 404), then the second
	[ "$(grep -c 'GET /v2/shortapp/manifests/latest' "$REGISTRY_LOG")" -gt "$a0" ] || fail "first registry not tried"
	[ "$(grep -c 'GET /v2/shortapp/manifests/latest' "$SECOND_LOG")" -gt "$b0" ] || fail "second registry not tried"
	# into the store: the name it was found under
	run --separate-stderr oci-fetch -q --registries-conf "$T/r.conf" pull team/tool:1
	assert_status 0
	[ "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$OCI_ROOT/images/index.json")" = "$SECOND/team/tool:1" ]
	# -v says which candidates were tried; inspect resolves the same way
	run --separate-stderr oci-fetch -v --registries-conf "$T/r.conf" inspect shortapp
	assert_status 0
	[ "$(jq -r .digest <<<"$output")" = "$(fixture_digest tiny)" ]
	[[ $stderr == *"trying '$REGISTRY/shortapp'"* ]] || fail "stderr: $stderr"
	[[ $stderr == *"trying '$SECOND/shortapp'"* ]] || fail "stderr: $stderr"
	# CONTAINERS_REGISTRIES_CONF is the same as --registries-conf
	CONTAINERS_REGISTRIES_CONF=$T/r.conf run --separate-stderr oci-fetch -q pull shortapp "oci:$T/e:x"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
}

@test "a short name found nowhere: one line naming it, the registries and the file" {
	search_conf "$T/r.conf"
	run oci-fetch -q --registries-conf "$T/r.conf" pull nothere:1 "oci:$T/o:x"
	assert_status 1
	assert_one_line
	assert_output_contains "short name 'nothere:1'"
	assert_output_contains "'$REGISTRY', '$SECOND'"
	assert_output_contains "$T/r.conf"
	assert_output_contains "manifest unknown"
	[ ! -e "$T/o/index.json" ] || [ "$(jq '.manifests | length' "$T/o/index.json")" = 0 ]
}

@test "enforcing: several search registries are an error naming them, on a terminal too; one is fine" {
	search_conf "$T/r.conf" enforcing
	run oci-fetch -q --registries-conf "$T/r.conf" pull shortapp "oci:$T/o:x" </dev/null
	assert_status 1
	assert_one_line
	assert_output_contains "short name 'shortapp' is ambiguous"
	assert_output_contains "'$REGISTRY/shortapp' or '$SECOND/shortapp'"
	assert_output_contains "enforcing in '$T/r.conf'"
	# on a terminal too: oci-fetch never prompts (podman would)
	run script -qec "oci-fetch -q --registries-conf '$T/r.conf' pull shortapp 'oci:$T/o:x'" /dev/null </dev/null
	assert_status 1
	assert_output_contains "short name 'shortapp' is ambiguous"
	[ ! -e "$T/o/index.json" ] || [ "$(jq '.manifests | length' "$T/o/index.json")" = 0 ]
	printf 'unqualified-search-registries = ["%s"]\nshort-name-mode = "enforcing"\n' "$SECOND" >"$T/one.conf"
	run --separate-stderr oci-fetch -q --registries-conf "$T/one.conf" pull shortapp "oci:$T/o:x"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	# disabled: every registry, no error
	search_conf "$T/d.conf" disabled
	run --separate-stderr oci-fetch -q --registries-conf "$T/d.conf" pull shortapp "oci:$T/d:x"
	assert_status 0
	# a bad mode is named with its file and line
	printf 'short-name-mode = "strict"\n' >"$T/bad.conf"
	run oci-fetch -q --registries-conf "$T/bad.conf" pull shortapp "oci:$T/b:x"
	assert_status 1
	assert_one_line
	assert_output_contains "$T/bad.conf:1: short-name-mode must be enforcing, permissive or disabled"
}

@test "aliases: [aliases] wins over the search list, short-name-aliases.conf over [aliases]" {
	search_conf "$T/r.conf" enforcing
	{
		echo '[aliases]'
		echo "\"myapp\" = \"$SECOND/shortapp\""
		echo "\"shortapp\" = \"$REGISTRY/shortapp\""
	} >>"$T/r.conf"
	local a0
	a0=$(grep -c 'GET /v2/' "$REGISTRY_LOG" || true)
	run --separate-stderr oci-fetch -q --registries-conf "$T/r.conf" pull myapp:latest "oci:$T/o:x"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	[ "$(grep -c 'GET /v2/' "$REGISTRY_LOG" || true)" = "$a0" ] || fail "the first registry was contacted"
	# the alias of shortapp points at the first registry, where it is not
	run oci-fetch -q --registries-conf "$T/r.conf" pull shortapp "oci:$T/o:x"
	assert_status 1
	assert_one_line
	assert_output_contains "short name 'shortapp' (alias '$REGISTRY/shortapp' in '$T/r.conf')"
	# the user's short-name-aliases.conf has precedence
	mkdir -p "$XDG_CACHE_HOME/containers"
	printf '[aliases]\n"shortapp" = "%s/shortapp"\n' "$SECOND" >"$XDG_CACHE_HOME/containers/short-name-aliases.conf"
	run --separate-stderr oci-fetch -q --registries-conf "$T/r.conf" pull shortapp "oci:$T/o:y"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	# an alias that is not a fully-qualified name is refused with its line
	printf '[aliases]\n"x" = "%s/y"\n"bad" = "notqualified"\n' "$SECOND" >"$T/bad.conf"
	run oci-fetch -q --registries-conf "$T/bad.conf" pull x "oci:$T/b:x"
	assert_status 1
	assert_one_line
	assert_output_contains "$T/bad.conf:3: alias 'bad'"
}

@test "the user's registries.conf and its registries.conf.d drop-ins; an empty search list refuses short names" {
	mkdir -p "$XDG_CONFIG_HOME/containers/registries.conf.d"
	printf 'unqualified-search-registries = ["%s"]\n' "$REGISTRY" >"$XDG_CONFIG_HOME/containers/registries.conf"
	run oci-fetch -q pull shortapp "oci:$T/o:x"
	assert_status 1
	assert_one_line
	assert_output_contains "'$REGISTRY'"
	# a drop-in replaces the list
	printf 'unqualified-search-registries = ["%s", "%s"]\n' "$REGISTRY" "$SECOND" \
		>"$XDG_CONFIG_HOME/containers/registries.conf.d/50-second.conf"
	run --separate-stderr oci-fetch -q pull shortapp "oci:$T/o:x"
	assert_status 0
	[ "$output" = "$(fixture_digest tiny)" ]
	# a later drop-in empties it: short names are refused
	printf 'unqualified-search-registries = []\n' >"$XDG_CONFIG_HOME/containers/registries.conf.d/90-none.conf"
	run oci-fetch -q pull shortapp "oci:$T/o:x"
	assert_status 1
	assert_one_line
	assert_output_contains "short name 'shortapp' has no alias and unqualified-search-registries is empty in '$XDG_CONFIG_HOME/containers/registries.conf.d/90-none.conf'"
	# a fully-qualified name is not concerned
	run --separate-stderr oci-fetch -q pull "$SECOND/shortapp" "oci:$T/q:x"
	assert_status 0
}
