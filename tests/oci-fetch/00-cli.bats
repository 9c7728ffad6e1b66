#!/usr/bin/env bats
# oci-fetch: command line basics and bad usage (no registry needed).
load ../lib/common
bats_require_minimum_version 1.5.0

@test "oci-fetch: --help, --version, unknown option" {
	check_cli_basics oci-fetch
}

@test "oci-fetch: no command, unknown command and wrong argument counts exit 2" {
	run oci-fetch
	assert_status 2
	assert_output_contains "no command"
	run oci-fetch frobnicate
	assert_status 2
	assert_output_contains "unknown command 'frobnicate'"
	run oci-fetch pull
	assert_status 2
	assert_output_contains "'pull' takes at least 1 argument"
	run oci-fetch push onlyone
	assert_status 2
	run oci-fetch inspect a b
	assert_status 2
	run oci-fetch --jobs 0 pull x
	assert_status 2
	assert_output_contains "--jobs"
	run oci-fetch --tls-verify=maybe pull x
	assert_status 2
	assert_output_contains "--tls-verify"
}

@test "oci-fetch: an invalid reference is a one-line error naming it" {
	run oci-fetch pull 'docker.io/Upper/case:tag'
	assert_status 1
	assert_one_line
	assert_output_contains "oci-fetch: error:"
	assert_output_contains "docker.io/Upper/case:tag"
	assert_output_contains "lowercase"
}

@test "oci-fetch: a destination that is not oci:DIR is refused" {
	run oci-fetch pull 127.0.0.1:1/x docker://127.0.0.1:1/y
	assert_status 1
	assert_one_line
	assert_output_contains "must be oci:DIR"
}

@test "oci-fetch: an unreachable registry names the registry" {
	run oci-fetch --retry-times 0 pull 127.0.0.1:1/nothing:latest oci:"$T/x"
	assert_status 1
	assert_one_line
	assert_output_contains "127.0.0.1:1"
	assert_output_contains "not reachable"
}
