#!/usr/bin/env bats
# Published ports: the host's 127.0.0.1, another host (a namespace linked to
# the host), another container through the gateway (hairpin).
load net

@test "a published port answers on 127.0.0.1, from another namespace and from a container" {
	mkns a
	mkns b
	outside out 31
	mkdir -p "$T/www"
	echo "hello-from-a" >"$T/www/index.html"
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	oci-net create t3 --subnet 10.231.30.0/24 >/dev/null
	run oci-net connect t3 --netns "/run/netns/$NSP-a" -p 18930:80 -p 127.0.0.1:18931:80/tcp
	assert_status 0
	oci-net connect t3 --netns "/run/netns/$NSP-b" >/dev/null
	run curl -s -m 5 http://127.0.0.1:18930/
	assert_status 0
	[ "$output" = hello-from-a ] || fail "127.0.0.1:18930 gave '$output'"
	run curl -s -m 5 http://127.0.0.1:18931/
	[ "$output" = hello-from-a ] || fail "127.0.0.1:18931 gave '$output'"
	run nsx out curl -s -m 5 http://10.231.31.1:18930/
	[ "$output" = hello-from-a ] || fail "from the outside namespace: '$output'"
	# Published on 127.0.0.1 only: not reachable from another host.
	run nsx out curl -s -m 2 http://10.231.31.1:18931/
	[ "$status" -ne 0 ] || fail "127.0.0.1-only port answered from outside"
	run nsx b curl -s -m 5 http://10.231.30.1:18930/
	[ "$output" = hello-from-a ] || fail "hairpin from b: '$output'"
	# The same host port cannot be published twice.
	mkns c
	run oci-net connect t3 --netns "/run/netns/$NSP-c" -p 18930:81
	assert_status 1
	assert_output_contains "18930/tcp is already published"
	run oci-net disconnect t3 --netns "/run/netns/$NSP-a"
	assert_status 0
	run curl -s -m 2 http://127.0.0.1:18930/
	[ "$status" -ne 0 ] || fail "port still answers after disconnect: $output"
	run nft list table inet oci_net
	[[ "$output" != *18930* ]] || fail "rule left behind: $output"
	oci-net rm -f t3
	drop_test_net
	assert_host_restored
}

@test "outbound traffic is masqueraded to another host" {
	mkns a
	outside out 33
	mkdir -p "$T/www"
	echo "outside-host" >"$T/www/index.html"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	oci-net create t4 --subnet 10.231.32.0/24 >/dev/null
	oci-net connect t4 --netns "/run/netns/$NSP-a" >/dev/null
	# The outside namespace has no route to 10.231.32.0/24: only NAT gets an answer back.
	run nsx a curl -s -m 5 http://10.231.33.2:8080/
	assert_status 0
	[ "$output" = outside-host ] || fail "got '$output'"
	oci-net rm -f t4
	drop_test_net
	assert_host_restored
}

@test "an --internal network has no way out and publishes nothing" {
	mkns a
	mkns b
	outside out 35
	mkdir -p "$T/www"
	echo "outside-host" >"$T/www/index.html"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	oci-net create ti --internal --subnet 10.231.34.0/24 >/dev/null
	oci-net connect ti --netns "/run/netns/$NSP-a" >/dev/null
	oci-net connect ti --netns "/run/netns/$NSP-b" >/dev/null
	run nsx a ip route show default
	[ -z "$output" ] || fail "internal network has a default route: $output"
	run nsx a busybox ping -c 1 -W 2 10.231.34.3
	assert_status 0
	# Even with routes added by hand both ways and forwarding on, the host
	# does not forward it (the nftables rules drop it).
	nsx a ip route add default via 10.231.34.1
	nsx out ip route add 10.231.34.0/24 via 10.231.35.1
	sysctl -qw net.ipv4.ip_forward=1
	run nsx a curl -s -m 2 http://10.231.35.2:8080/
	[ "$status" -ne 0 ] || fail "internal network reached outside: $output"
	run nsx out busybox ping -c 1 -W 1 10.231.34.2
	[ "$status" -ne 0 ] || fail "outside reached the internal network"
	sysctl -qw net.ipv4.ip_forward="$(cat "$T/fwd4")"
	mkns c
	run oci-net connect ti --netns "/run/netns/$NSP-c" -p 18934:80
	assert_status 1
	assert_output_contains "internal"
	oci-net rm -f ti
	drop_test_net
	assert_host_restored
}

@test "a published UDP port answers on 127.0.0.1 and from another namespace" {
	mkns a
	outside out 45
	nsx a ip link set lo up
	ip netns exec "$NSP-a" python3 -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", 7007))
while True:
    d, a = s.recvfrom(512)
    s.sendto(b"echo:" + d, a)
' </dev/null >/dev/null 2>&1 3>&- &
	bg_pid $!
	oci-net create tu --subnet 10.231.44.0/24 >/dev/null
	run oci-net connect tu --netns "/run/netns/$NSP-a" -p 18944:7007/udp
	assert_status 0
	udp_ask() { # HOST PORT
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(3)
for _ in range(3):
    s.sendto(b"ping", (sys.argv[1], int(sys.argv[2])))
    try:
        print(s.recvfrom(512)[0].decode()); break
    except socket.timeout:
        pass
' "$1" "$2"
	}
	run udp_ask 127.0.0.1 18944
	[ "$output" = echo:ping ] || fail "127.0.0.1 udp: '$output'"
	run nsx out bash -c "$(declare -f udp_ask); udp_ask 10.231.45.1 18944"
	[ "$output" = echo:ping ] || fail "outside udp: '$output'"
	# tcp on the same number is not published.
	run nft list table inet oci_net
	assert_output_contains "udp dport 18944"
	[[ "$output" != *"tcp dport 18944"* ]] || fail "tcp rule for a udp port"
	oci-net rm -f tu
	drop_test_net
	assert_host_restored
}
