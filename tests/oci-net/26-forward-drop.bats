#!/usr/bin/env bats
# A host whose iptables FORWARD policy is DROP (as Docker leaves it): the
# networks still work through a chain OCI-NET-ACCEPT, removed with them.
load net

setup() {
	net_setup
	command -v iptables >/dev/null || skip "iptables is not installed"
	nft list tables | sort >"$T/tables.before"
	iptables -w -S FORWARD | head -n 1 >"$T/policy.before"
}

teardown() {
	if [ -f "${T:-/nonexistent}/tables.before" ]; then
		oci-net rm -f tfd >/dev/null 2>&1
		iptables -w -P FORWARD "$(awk '{print $3}' "$T/policy.before")"
		nft list tables | sort | comm -13 "$T/tables.before" - | while read -r _ fam name; do
			nft delete table "$fam" "$name"
		done
	fi
	net_teardown
}

@test "FORWARD policy DROP: masquerade and published ports still work; the accept chain goes with the network" {
	mkns a
	outside out 48
	mkdir -p "$T/www"
	echo "through-drop" >"$T/www/index.html"
	start_httpd a "$T/www" 80 || fail "httpd did not start"
	start_httpd out "$T/www" 8080 || fail "httpd did not start"
	iptables -w -P FORWARD DROP
	iptables-save -t filter | grep -v '^#' >"$T/filter.before"
	oci-net create tfd --subnet 10.231.47.0/24 >/dev/null
	oci-net connect tfd --netns "/run/netns/$NSP-a" -p 18947:80 >/dev/null
	run iptables -w -S FORWARD
	assert_output_contains "-A FORWARD -j OCI-NET-ACCEPT"
	run nsx a curl -s -m 5 http://10.231.48.2:8080/
	[ "$output" = through-drop ] || fail "outbound: '$output'"
	run nsx out curl -s -m 5 http://10.231.48.1:18947/
	[ "$output" = through-drop ] || fail "published port from outside: '$output'"
	oci-net rm -f tfd
	run sh -c "iptables-save -t filter | grep -v '^#'"
	[ "$output" = "$(cat "$T/filter.before")" ] || fail "filter table changed: $output"
	iptables -w -P FORWARD "$(awk '{print $3}' "$T/policy.before")"
	nft list tables | sort | comm -13 "$T/tables.before" - | while read -r _ fam name; do
		nft delete table "$fam" "$name"
	done
	drop_test_net
	assert_host_restored
}
