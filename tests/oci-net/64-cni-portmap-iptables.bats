#!/usr/bin/env bats
# The portmap plugin's conditionsV4 and masqAll with the iptables fallback
# (OCI_NET_FIREWALL=iptables): the rules in chains OCI-NET-* and their effect.
load net

setup() { ipt_setup; }

teardown() {
	[ -f "${T:-/nonexistent}/tables.before" ] && { oci-net rm -f cpm >/dev/null 2>&1; drop_ipt_tables; }
	net_teardown
}

@test "iptables fallback: conditionsV4 and masqAll in the OCI-NET chains" {
	mkns a
	www
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	CONF=$(pconf 99 18999 ',"masqAll":true,"conditionsV4":["-s","127.0.0.2"]')
	run cni ADD a i1
	assert_status 0
	run iptables-save -t nat
	assert_output_contains "-A OCI-NET-PORTS -s 127.0.0.2/32 -p tcp -m tcp --dport 18999 -j DNAT --to-destination 10.231.99.2:80"
	assert_output_contains "-A OCI-NET-POST -d 10.231.99.2/32 -o ocipm0 -m conntrack --ctstate DNAT -j MASQUERADE"
	run curl -s -m 5 --interface 127.0.0.2 http://127.0.0.1:18999/cgi-bin/peer
	assert_status 0
	assert_output_contains "10.231.99.1"
	run curl -s -m 3 http://127.0.0.1:18999/cgi-bin/peer
	[ "$status" -ne 0 ] || fail "127.0.0.1 reached the port: $output"
	run cni DEL a i1
	assert_status 0
	oci-net rm cpm
	drop_test_net
	drop_ipt_tables
	assert_host_restored
}
