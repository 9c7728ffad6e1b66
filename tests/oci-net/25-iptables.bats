#!/usr/bin/env bats
# The iptables fallback (OCI_NET_FIREWALL=iptables): the same published
# ports, masquerade and isolation through chains OCI-NET-*.
load net

setup() { ipt_setup; }

teardown() {
	[ -f "${T:-/nonexistent}/tables.before" ] && { oci-net rm -f tp ti2 >/dev/null 2>&1; drop_ipt_tables; }
	net_teardown
}

@test "iptables: a published port answers on 127.0.0.1 and from outside; outbound is masqueraded" {
	mkns a
	outside out 37
	mkdir -p "$T/www"
	echo "hello-ipt" >"$T/www/index.html"
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	oci-net create tp --subnet 10.231.36.0/24 >/dev/null
	run oci-net connect tp --netns "/run/netns/$NSP-a" -p 18936:80
	assert_status 0
	run iptables-save -t nat
	assert_output_contains "OCI-NET-PORTS"
	assert_output_contains "--dport 18936 -j DNAT --to-destination 10.231.36.2:80"
	run nft list tables
	[[ "$output" != *oci_net* ]] || fail "nftables table made in iptables mode"
	run curl -s -m 5 http://127.0.0.1:18936/
	[ "$output" = hello-ipt ] || fail "127.0.0.1: '$output'"
	run nsx out curl -s -m 5 http://10.231.37.1:18936/
	[ "$output" = hello-ipt ] || fail "outside: '$output'"
	run nsx a curl -s -m 5 http://10.231.37.2:8080/
	[ "$output" = hello-ipt ] || fail "masquerade: '$output'"
	oci-net rm -f tp
	run iptables-save
	[[ "$output" != *OCI-NET* ]] || fail "chains left: $output"
	drop_test_net
	drop_ipt_tables
	assert_host_restored
}

@test "iptables: an --internal network has no way out" {
	mkns a
	outside out 39
	mkdir -p "$T/www"
	echo "x" >"$T/www/index.html"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	oci-net create ti2 --internal --subnet 10.231.38.0/24 >/dev/null
	oci-net connect ti2 --netns "/run/netns/$NSP-a" >/dev/null
	nsx a ip route add default via 10.231.38.1
	nsx out ip route add 10.231.38.0/24 via 10.231.39.1
	sysctl -qw net.ipv4.ip_forward=1
	run nsx a curl -s -m 2 http://10.231.39.2:8080/
	[ "$status" -ne 0 ] || fail "internal network reached outside"
	sysctl -qw net.ipv4.ip_forward="$(cat "$T/fwd4")"
	oci-net rm -f ti2
	drop_test_net
	drop_ipt_tables
	assert_host_restored
}
