#!/usr/bin/env bats
# The portmap plugin's conditionsV4 and masqAll with the iptables fallback
# (OCI_NET_FIREWALL=iptables): the rules in chains OCI-NET-* and their effect.
load net

setup() {
	net_setup
	command -v iptables-restore >/dev/null || skip "iptables is not installed"
	export OCI_NET_FIREWALL=iptables
	nft list tables | sort >"$T/tables.before"
}

# iptables-nft keeps its built-in tables once made; the test drops the ones it caused.
drop_ipt_tables() {
	nft list tables | sort | comm -13 "$T/tables.before" - | while read -r _ fam name; do
		nft delete table "$fam" "$name"
	done
}

teardown() {
	[ -f "${T:-/nonexistent}/tables.before" ] && { oci-net rm -f cpm >/dev/null 2>&1; drop_ipt_tables; }
	net_teardown
}

pconf() { # SUBNET-OCTET HOSTPORT EXTRA-JSON
	printf '{"cniVersion":"1.0.0","name":"cpm","type":"oci-net","bridge":"ocipm0","ipam":{"type":"oci-net","subnet":"10.231.%s.0/24"},"runtimeConfig":{"portMappings":[{"hostPort":%s,"containerPort":80,"protocol":"tcp"}]}%s}' "$1" "$2" "$3"
}

cni() { # COMMAND NS CONTAINERID (config in $CONF)
	printf '%s' "$CONF" | CNI_COMMAND=$1 CNI_NETNS=/run/netns/$NSP-$2 CNI_CONTAINERID=$3 \
		CNI_IFNAME=eth0 CNI_PATH=/nonexistent oci-net
}

www() {
	mkdir -p "$T/www/cgi-bin"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\necho "peer $REMOTE_ADDR"\n' >"$T/www/cgi-bin/peer"
	chmod +x "$T/www/cgi-bin/peer"
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
