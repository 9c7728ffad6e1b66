#!/usr/bin/env bats
# oci-run: command line, spec, features, config.json errors.
load ../lib/common
load ../lib/bundle

teardown() {
	cleanup_containers
	common_teardown
}

@test "oci-run: --help, --version, bad usage" {
	check_cli_basics oci-run
}

@test "oci-run --version prints the runtime-spec version like runc" {
	run oci-run --version
	assert_status 0
	[ "${lines[0]}" = "oci-run 0.1.0" ] || fail "first line: ${lines[0]}"
	[ "${lines[1]}" = "spec: 1.2.0" ] || fail "second line: ${lines[1]}"
}

@test "oci-run: unknown command and missing id are usage errors" {
	run oci-run frobnicate
	assert_status 2
	assert_output_contains "unknown command 'frobnicate'"
	run oci-run --root "$T/state" state
	assert_status 2
	run oci-run --root "$T/state" kill c1 NOSUCHSIG
	assert_status 2
	assert_output_contains "NOSUCHSIG"
	run oci-run --log-format xml list
	assert_status 2
}

@test "oci-run spec writes a valid config.json with runc's defaults" {
	mkdir "$T/b"
	run oci-run spec --bundle "$T/b"
	assert_status 0
	validate_json runtime-spec/config-schema.json "$T/b/config.json"
	[ "$(jq -r .ociVersion "$T/b/config.json")" = 1.0.2 ]
	[ "$(jq -r '.process.args[0]' "$T/b/config.json")" = sh ]
	[ "$(jq -r '.root.path' "$T/b/config.json")" = rootfs ]
	[ "$(jq -c '[.linux.namespaces[].type]|sort' "$T/b/config.json")" = '["cgroup","ipc","mount","network","pid","uts"]' ]
	# runc's own spec has the same mounts and masked paths
	(cd "$T" && mkdir r && cd r && runc spec)
	[ "$(jq -c '[.mounts[].destination]' "$T/b/config.json")" = "$(jq -c '[.mounts[].destination]' "$T/r/config.json")" ]
	run oci-run spec --bundle "$T/b"
	assert_status 1
	assert_output_contains "exists"
}

@test "oci-run spec --rootless maps the caller and drops the network namespace" {
	mkdir "$T/b"
	oci-run spec --rootless --bundle "$T/b"
	validate_json runtime-spec/config-schema.json "$T/b/config.json"
	[ "$(jq -r '.linux.uidMappings[0].hostID' "$T/b/config.json")" = "$(id -u)" ]
	[ "$(jq -c '[.linux.namespaces[].type]|index("user") != null' "$T/b/config.json")" = true ]
	[ "$(jq -c '[.linux.namespaces[].type]|index("network")' "$T/b/config.json")" = null ]
}

@test "oci-run features is valid features JSON" {
	run oci-run features
	assert_status 0
	printf '%s\n' "$output" >"$T/f.json"
	validate_json runtime-spec/features-schema.json "$T/f.json"
	[ "$(jq -r .ociVersionMax "$T/f.json")" = 1.2.0 ]
	jq -e '.hooks | index("createRuntime")' "$T/f.json" >/dev/null
	jq -e '.linux.namespaces | index("time")' "$T/f.json" >/dev/null
	jq -e '.mountOptions | index("rro")' "$T/f.json" >/dev/null
}

@test "a config.json without process.args names the field, one line, exit 1" {
	make_bundle "$T/b"
	bundle_config "$T/b" 'del(.process.args)'
	run_file oci-run --root "$T/state" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "config.json: process.args: required field is missing"
	[ ! -e "$T/state/c1" ] || fail "state left behind"
}

@test "bad config.json values name the field" {
	make_bundle "$T/b"
	bundle_config "$T/b" '.process.user.uid = "root"'
	run_file oci-run --root "$T/state" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "process.user.uid"

	make_bundle "$T/b2"
	bundle_config "$T/b2" '.linux.namespaces += [{"type":"bogus"}]'
	run_file oci-run --root "$T/state" create --bundle "$T/b2" c1
	assert_status 1
	assert_output_contains "linux.namespaces[6].type: unknown namespace 'bogus'"

	make_bundle "$T/b3"
	bundle_config "$T/b3" '.mounts[0].destination = "proc"'
	run_file oci-run --root "$T/state" create --bundle "$T/b3" c1
	assert_status 1
	assert_output_contains "mounts[0].destination"

	make_bundle "$T/b4"
	printf '{"ociVersion": "1.2.0",' >"$T/b4/config.json"
	run_file oci-run --root "$T/state" create --bundle "$T/b4" c1
	assert_status 1
	assert_one_line
	assert_output_contains "config.json:1:"

	make_bundle "$T/b5"
	bundle_config "$T/b5" '.process.capabilities.bounding += ["CAP_NOPE"]'
	run_file oci-run --root "$T/state" create --bundle "$T/b5" c1
	assert_status 1
	assert_output_contains "process.capabilities.bounding[3]: unknown capability 'CAP_NOPE'"
}

@test "a missing executable is reported at create, as runc does" {
	make_bundle "$T/b"
	bundle_args "$T/b" /no/such/program
	run_file oci-run --root "$T/state" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "/no/such/program"
	bundle_args "$T/b" nosuchprogram
	run_file oci-run --root "$T/state" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "'nosuchprogram' not found in \$PATH"
	[ -z "$(ls "$T/state")" ] || fail "state left behind: $(ls "$T/state")"
}

@test "--log with --log-format json writes runc-style JSON lines" {
	run oci-run --root "$T/state" --log "$T/log.json" --log-format json state nosuch
	assert_status 1
	jq -e 'select(.level == "error") | .msg | test("nosuch")' "$T/log.json"
	jq -e '.time' "$T/log.json" >/dev/null
}

@test "terminal true without --console-socket fails at create" {
	make_bundle "$T/b"
	bundle_config "$T/b" '.process.terminal = true'
	run_file oci-run --root "$T/state" create --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "console-socket"
}

@test "a CRLF script, a missing interpreter, a foreign binary: errors that say so" {
	make_bundle "$T/b"
	printf '#!/bin/sh\r\necho hi\r\n' >"$T/b/rootfs/bin/crlf"
	printf '#!/bin/bash\necho hi\n' >"$T/b/rootfs/bin/needs-bash"
	printf '\177ELF\2\1\1\0\0\0\0\0\0\0\0\0\2\0\267\0\1\0\0\0' >"$T/b/rootfs/bin/arm64"
	head -c 64 /dev/zero >>"$T/b/rootfs/bin/arm64"
	chmod +x "$T/b/rootfs/bin/crlf" "$T/b/rootfs/bin/needs-bash" "$T/b/rootfs/bin/arm64"
	bundle_args "$T/b" crlf
	run_file oci-run --root "$T/state" run --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "'/bin/crlf' has Windows line endings (CRLF)"
	bundle_args "$T/b" needs-bash
	run_file oci-run --root "$T/state" run --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "is a script for '/bin/bash', which is not in the container"
	bundle_args "$T/b" /bin/arm64
	run_file oci-run --root "$T/state" run --bundle "$T/b" c1
	assert_status 1
	assert_output_contains "built for another architecture (ELF machine 183)"
}
