#!/usr/bin/env bats
# Command line, network definitions and bad input (no host changes).
load net

@test "oci-net: --help, --version and bad usage" {
	check_cli_basics oci-net
	run oci-net
	assert_status 2
	run oci-net frobnicate
	assert_status 2
	assert_one_line
	assert_output_contains "unknown command 'frobnicate'"
	run oci-net connect x --pid 1 --netns /x
	assert_status 2
	assert_one_line
}

@test "create, ls, inspect and rm a network" {
	run oci-net create t0a --subnet 10.231.10.0/24
	assert_status 0
	assert_output_matches '^[0-9a-f]{64}$'
	run oci-net ls -q
	assert_status 0
	[ "$output" = "t0a" ] || fail "ls -q: $output"
	run oci-net inspect t0a
	assert_status 0
	echo "$output" >"$T/i.json"
	[ "$(jq -r '.[0].subnet' "$T/i.json")" = 10.231.10.0/24 ]
	[ "$(jq -r '.[0].gateway' "$T/i.json")" = 10.231.10.1 ]
	[ "$(jq -r '.[0].internal' "$T/i.json")" = false ]
	[ "$(jq -r '.[0].endpoints | length' "$T/i.json")" = 0 ]
	run oci-net ls --format json
	assert_status 0
	[ "$(echo "$output" | jq -r '.[0].name')" = t0a ]
	run oci-net rm t0a
	assert_status 0
	run oci-net ls -q
	[ -z "$output" ] || fail "left: $output"
	assert_host_restored
}

@test "create picks a gateway and honours --gateway, --mtu, --ipv6" {
	run oci-net create t0b --subnet 10.231.11.0/24 --gateway 10.231.11.254 --mtu 1400 --ipv6 --subnet6 fd00:231:11::/64
	assert_status 0
	run oci-net inspect t0b
	[ "$(echo "$output" | jq -r '.[0].gateway')" = 10.231.11.254 ]
	[ "$(echo "$output" | jq -r '.[0].mtu')" = 1400 ]
	[ "$(echo "$output" | jq -r '.[0].subnet6')" = fd00:231:11::/64 ]
	[ "$(echo "$output" | jq -r '.[0].gateway6')" = fd00:231:11::1 ]
}

@test "bad network definitions fail with one clear line" {
	run oci-net create bad --subnet 10.231.12.0
	assert_status 1
	assert_one_line
	assert_output_contains "missing prefix length"
	run oci-net create bad --subnet 10.231.12.0/24 --gateway 10.231.13.1
	assert_status 1
	assert_output_contains "not in subnet"
	run oci-net create 'bad name' --subnet 10.231.12.0/24
	assert_status 1
	assert_output_contains "not a valid network name"
	run oci-net create none
	assert_status 2
	run oci-net create one --subnet 10.231.12.0/24
	assert_status 0
	run oci-net create one --subnet 10.231.14.0/24
	assert_status 1
	assert_output_contains "already exists"
	run oci-net create two --subnet 10.231.12.128/25
	assert_status 1
	assert_one_line
	assert_output_contains "overlaps network 'one'"
	run oci-net create three --ipv6
	assert_status 1
	assert_output_contains "--subnet6"
	# Numbers are plain decimal: no sign, blank or leading zero.
	for sub in 10.231.12.0/024 10.231.12.0/+24 "10.231.12.0/ 24" 10.231.12.0/0x18; do
		run oci-net create bad --subnet "$sub"
		assert_status 1
		assert_one_line
		assert_output_contains "'$sub': prefix length '${sub#*/}' is not a number from 0 to 32"
	done
	for mtu in 01400 +1400 " 1400" 0x578; do
		run oci-net create bad --subnet 10.231.17.0/24 --mtu "$mtu"
		assert_status 2
		assert_one_line
		assert_output_contains "--mtu '$mtu' is not a number"
	done
	for up in 10.231.17.1:053 10.231.17.1:+53 10.231.17.1:53x "[fd00::1]x"; do
		run oci-net create bad --subnet 10.231.17.0/24 --dns-upstream "$up"
		assert_status 1
		assert_one_line
		assert_output_contains "--dns-upstream '$up' is not IP[:PORT]"
	done
	run oci-net ls -q
	[ "$output" = one ] || fail "a refused create left a network: $output"
	run oci-net rm nosuch
	assert_status 1
	assert_output_contains "no such network 'nosuch'"
	run oci-net inspect nosuch
	assert_status 1
}

@test "connect needs exactly one target and valid ports" {
	run oci-net connect x
	assert_status 2
	assert_output_contains "give one of"
	run oci-net connect x --pid 1 --netns /x
	assert_status 2
	run oci-net connect x --pid notapid
	assert_status 2
	for pid in +1 01 " 1" 0x1; do
		run oci-net connect x --pid "$pid"
		assert_status 2
		assert_one_line
		assert_output_contains "--pid '$pid' is not a process ID"
	done
	for p in +80:80 080:80 " 80:80" 80:+80 80:080 "80: 80" 80:0x50; do
		run oci-net connect x --netns /x -p "$p"
		assert_status 2
		assert_one_line
		assert_output_contains "port '$p': "
		assert_output_contains "is not a number from 1 to 65535"
	done
	run oci-net connect x --netns /x --dns 10.231.12.1:053
	assert_status 1
	assert_one_line
	assert_output_contains "--dns '10.231.12.1:053' is not IP[:PORT]"
	run oci-net connect x --netns /x -p 80
	assert_status 2
	assert_output_contains "port '80'"
	run oci-net connect x --netns /x -p 1.2.3:80:80
	assert_status 2
	assert_output_contains "not an IPv4 address"
	run oci-net connect x --netns /x -p 80:80/sctp
	assert_status 2
	assert_output_contains "tcp or udp"
	run oci-net connect nosuch --netns /nonexistent/ns
	assert_status 1
	assert_one_line
	assert_output_contains "/nonexistent/ns"
	run oci-net connect nosuch --netns /proc/self/ns/net
	assert_status 1
	assert_output_contains "host's network namespace"
	run oci-net connect bridge --netns /proc/self/ns/pid
	assert_status 1
	assert_one_line
	assert_output_contains "is not a network namespace"
	run oci-net connect bridge --netns "$BATS_TEST_FILENAME"
	assert_status 1
	assert_output_contains "is not a network namespace"
	run oci-net ls -q
	[ -z "$output" ] || fail "a failed connect left a network: $output"
}

@test "the default network 'bridge' is made on first use with --default-subnet" {
	mkns a
	run oci-net --default-subnet 10.231.15.0/24 connect bridge --netns "/run/netns/$NSP-a"
	assert_status 0
	[ "$output" = 10.231.15.2 ] || fail "address: $output"
	run oci-net inspect bridge
	[ "$(echo "$output" | jq -r '.[0].bridge')" = oci0 ]
	run oci-net disconnect bridge --netns "/run/netns/$NSP-a"
	assert_status 0
	run oci-net rm bridge
	assert_status 0
	drop_test_net
	assert_host_restored
}

@test "a subnet that overlaps an address of the host is refused" {
	dl="ocd$$${BATS_TEST_NUMBER}"
	echo "$dl" >>"$T/links"
	ip link add name "$dl" type veth peer name "${dl}p"
	ip addr add 10.231.16.1/24 dev "$dl"
	run oci-net create tov --subnet 10.231.16.128/25
	assert_status 1
	assert_one_line
	assert_output_contains "overlaps the host's address 10.231.16.1/24 on '$dl'"
	ip link del "$dl"
	assert_host_restored
}
