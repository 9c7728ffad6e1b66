#!/usr/bin/env bats
# Names: the network's DNS server answers names and aliases, forwards the
# rest to an upstream server (dnsmasq in a namespace of the test).
load net

@test "two namespaces reach each other by name and alias through the DNS server" {
	mkns a
	mkns b
	mkdir -p "$T/www"
	echo "hello-alpha" >"$T/www/index.html"
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	# No upstream: nothing leaves the test's namespaces.
	oci-net create td --subnet 10.231.40.0/24 --dns-upstream 10.231.40.1:5999 >/dev/null
	run oci-net connect td --netns "/run/netns/$NSP-a" --name alpha --alias web --etc-dir "/etc/netns/$NSP-a"
	assert_status 0
	run oci-net connect td --netns "/run/netns/$NSP-b" --name beta --etc-dir "/etc/netns/$NSP-b"
	assert_status 0
	run cat "/etc/netns/$NSP-b/resolv.conf"
	assert_output_contains "nameserver 127.0.0.11"
	run cat "/etc/netns/$NSP-a/hostname"
	[ "$output" = alpha ]
	run nsx b busybox nslookup alpha 10.231.40.1
	assert_status 0
	assert_output_contains "10.231.40.2"
	run nsx b busybox nslookup web.td 10.231.40.1
	assert_output_contains "10.231.40.2"
	run nsx a busybox nslookup BETA 10.231.40.1
	assert_output_contains "10.231.40.3"
	# Reverse lookups of the network's addresses.
	run nsx b busybox nslookup 10.231.40.2 10.231.40.1
	assert_output_contains "alpha.td"
	# Docker's embedded resolver address leads to the same server.
	run nsx b busybox nslookup -type=a alpha 127.0.0.11
	assert_status 0
	assert_output_contains "10.231.40.2"
	# With the written resolv.conf, by name as a program sees it.
	run nsx b curl -s -m 5 http://alpha/
	assert_status 0
	[ "$output" = hello-alpha ] || fail "got '$output'"
	run nsx b curl -s -m 5 http://web/
	[ "$output" = hello-alpha ] || fail "alias: got '$output'"
	# DNS over TCP too (python3 as the client: length-prefixed query for alpha, type A).
	run nsx b python3 -c '
import socket, struct
q = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x05alpha\x00\x00\x01\x00\x01"
s = socket.create_connection(("10.231.40.1", 53), timeout=5)
s.sendall(struct.pack("!H", len(q)) + q)
n = struct.unpack("!H", s.recv(2))[0]
a = b""
while len(a) < n:
    a += s.recv(n - len(a))
print(struct.unpack("!H", a[6:8])[0], ".".join(str(b) for b in a[-4:]))
'
	assert_status 0
	[ "$output" = "1 10.231.40.2" ] || fail "TCP answer: $output"
	# After disconnect the name is gone.
	oci-net disconnect td --netns "/run/netns/$NSP-a"
	run nsx b busybox nslookup alpha 10.231.40.1
	[[ "$output" != *10.231.40.2* ]] || fail "alpha still resolves: $output"
	# The server runs until the network is removed.
	pid=$(cat "$OCI_ROOT/networks/td/dns.pid")
	kill -0 "$pid"
	oci-net rm -f td
	run kill -0 "$pid"
	[ "$status" -ne 0 ] || fail "DNS server $pid still runs"
	drop_test_net
	assert_host_restored
}

@test "other names are forwarded to the upstream server" {
	command -v dnsmasq >/dev/null || skip "dnsmasq (Debian package dnsmasq-base) is not installed"
	mkns a
	outside up 43
	ip netns exec "$NSP-up" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--conf-file=/dev/null --pid-file= --user=root --bind-interfaces \
		--listen-address=10.231.43.2 --address=/upstream.test/10.9.8.7 \
		</dev/null >/dev/null 2>&1 3>&- &
	bg_pid $!
	oci-net create tf --subnet 10.231.42.0/24 --dns-upstream 10.231.43.2 >/dev/null
	oci-net connect tf --netns "/run/netns/$NSP-a" --name alpha >/dev/null
	run nsx a busybox nslookup -type=a www.upstream.test 10.231.42.1
	assert_status 0
	assert_output_contains "10.9.8.7"
	run nsx a busybox nslookup alpha 10.231.42.1
	assert_output_contains "10.231.42.2"
	# A container's own upstream (--dns): a second server that answers differently.
	ip netns exec "$NSP-up" dnsmasq --keep-in-foreground --no-resolv --no-hosts \
		--conf-file=/dev/null --pid-file= --user=root --bind-interfaces --port 5300 \
		--listen-address=10.231.43.2 --address=/upstream.test/10.9.8.6 \
		</dev/null >/dev/null 2>&1 3>&- &
	bg_pid $!
	mkns c
	oci-net connect tf --netns "/run/netns/$NSP-c" --name gamma --dns 10.231.43.2:5300 >/dev/null
	run nsx c busybox nslookup -type=a www.upstream.test 127.0.0.11
	assert_status 0
	assert_output_contains "10.9.8.6"
	run nsx a busybox nslookup -type=a www.upstream.test 10.231.42.1
	assert_output_contains "10.9.8.7"
	run oci-net connect tf --netns "/run/netns/$NSP-a" --dns not-an-ip
	assert_status 1
	assert_output_contains "--dns 'not-an-ip'"
	oci-net rm -f tf
	drop_test_net
	assert_host_restored
}

@test "IPv6 networks: AAAA answers, and the server also listens on the IPv6 gateway" {
	mkns a
	mkns b
	oci-net create t6d --subnet 10.231.46.0/24 --ipv6 --subnet6 fd00:231:46::/64 --dns-upstream 10.231.46.1:5999 >/dev/null
	oci-net connect t6d --netns "/run/netns/$NSP-a" --name alpha >/dev/null
	oci-net connect t6d --netns "/run/netns/$NSP-b" --name beta --etc-dir "/etc/netns/$NSP-b" >/dev/null
	run cat "/etc/netns/$NSP-b/resolv.conf"
	assert_output_contains "nameserver fd00:231:46::1"
	run nsx b busybox nslookup -type=aaaa alpha 10.231.46.1
	assert_output_contains "fd00:231:46::2"
	run nsx b busybox nslookup -type=a alpha fd00:231:46::1
	assert_status 0
	assert_output_contains "10.231.46.2"
	oci-net rm -f t6d
	drop_test_net
	assert_host_restored
}
