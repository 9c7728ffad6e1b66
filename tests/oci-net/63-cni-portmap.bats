#!/usr/bin/env bats
# The portmap plugin's masqAll and conditionsV4/V6 in oci-net's CNI
# configuration: the rules in table inet oci_net and their effect.
load net

@test "CNI conditionsV4: a published port answers 127.0.0.2 and not 127.0.0.1" {
	mkns a
	www
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	CONF=$(pconf 94 18994 ',"conditionsV4":["-s","127.0.0.2","!","-i","ocinope+"]')
	run cni ADD a p1
	assert_status 0
	run nft list table inet oci_net
	assert_output_contains 'ip saddr 127.0.0.2 iifname != "ocinope*" tcp dport 18994 dnat ip to 10.231.94.2:80'
	run curl -s -m 5 --interface 127.0.0.2 http://127.0.0.1:18994/cgi-bin/peer
	assert_status 0
	assert_output_contains "peer [::ffff:10.231.94.1]"
	run curl -s -m 3 http://127.0.0.1:18994/cgi-bin/peer
	[ "$status" -ne 0 ] || fail "127.0.0.1 reached the port: $output"
	run cni DEL a p1
	assert_status 0
	run nft list table inet oci_net
	[[ "$output" != *18994* ]] || fail "rule left: $output"
	oci-net rm cpm
	drop_test_net
	assert_host_restored
}

@test "CNI masqAll: another host reaches a masqAll port from the gateway, a plain port from itself" {
	mkns a
	mkns b
	outside out 97
	www
	start_httpd a "$T/www" 80 || fail "httpd did not start in a"
	start_httpd b "$T/www" 80 || fail "httpd did not start in b"
	CONF=$(pconf 96 18995 ',"masqAll":true')
	run cni ADD a m1
	assert_status 0
	CONF=$(pconf 96 18996 '')
	run cni ADD b m2
	assert_status 0
	run nft list table inet oci_net
	assert_output_contains 'oifname "ocipm0" ct status dnat ip daddr 10.231.96.2 masquerade'
	[[ "$output" != *"ip daddr 10.231.96.3 masquerade"* ]] || fail "masqAll on m2 too: $output"
	run nsx out curl -s -m 5 http://10.231.97.1:18995/cgi-bin/peer
	assert_status 0
	assert_output_contains "10.231.96.1"
	run nsx out curl -s -m 5 http://10.231.97.1:18996/cgi-bin/peer
	assert_status 0
	assert_output_contains "10.231.97.2"
	oci-net inspect cpm | jq -e '[.[0].endpoints[] | .masqAll // false] == [true, false]'
	run cni DEL a m1
	assert_status 0
	run cni DEL b m2
	assert_status 0
	oci-net rm cpm
	drop_test_net
	assert_host_restored
}

@test "CNI conditions: unsupported iptables options are refused by name, nothing is made" {
	mkns a
	CONF=$(pconf 98 18998 ',"conditionsV4":["-m","conntrack","--ctstate","NEW"]')
	run cni ADD a x1
	assert_status 1
	[ "$(echo "$output" | jq -r .code)" = 7 ] || fail "$output"
	[ "$(echo "$output" | jq -r .details)" = "conditionsV4: '-m conntrack' is not supported (only -m tcp, udp or sctp)" ] || fail "$output"
	CONF=$(pconf 98 18998 ',"conditionsV6":["-j","DROP"]')
	run cni ADD a x1
	assert_status 1
	assert_output_contains "conditionsV6: '-j' is not supported"
	CONF=$(pconf 98 18998 ',"conditionsV4":["-s","10.0.0.1; flush ruleset"]')
	run cni ADD a x1
	assert_status 1
	assert_output_contains "is not an IPv4 address"
	run oci-net ls -q
	[ -z "$output" ] || fail "a network was made: $output"
	drop_test_net
	assert_host_restored
}
