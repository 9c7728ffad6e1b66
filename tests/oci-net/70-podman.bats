#!/usr/bin/env bats
# oci-net as a CNI plugin of podman's CNI backend (network_backend="cni",
# cni_plugin_dirs pointing at our build). Everything podman keeps lives in $T.
load net

setup() {
	net_setup
	command -v podman >/dev/null || skip "podman is not installed"
	command -v runc >/dev/null || skip "runc is not installed"
	# podman's CNI library caches results in /var/lib/cni and podman keeps
	# /run/containers: removed again if this test made them.
	: >"$T/made"
	for d in /var/lib/cni /run/containers; do [ -e "$d" ] || echo "$d" >>"$T/made"; done
	mkdir -p "$T/cni" "$T/cnibin" "$T/rootfs/bin" "$T/rootfs/www"
	ln -s "$(command -v oci-net)" "$T/cnibin/oci-net"
	cp /bin/busybox "$T/rootfs/bin/"
	for c in sh ip httpd nslookup cat; do ln -s busybox "$T/rootfs/bin/$c"; done
	echo podman-hello >"$T/rootfs/www/index.html"
	cat >"$T/containers.conf" <<EOC
[network]
network_backend="cni"
cni_plugin_dirs=["$T/cnibin"]
network_config_dir="$T/cni"
EOC
	cat >"$T/cni/ocipod.conflist" <<EOC
{"cniVersion":"1.0.0","name":"ocipod","plugins":[{"type":"oci-net","dataDir":"$T/netstore",
 "dnsServer":true,"capabilities":{"portMappings":true,"aliases":true},
 "ipam":{"type":"oci-net","subnet":"10.231.80.0/24"}}]}
EOC
	export CONTAINERS_CONF="$T/containers.conf"
	unset REGISTRY_AUTH_FILE DOCKER_CONFIG
	# runc and cgroupfs: crun refuses this machine's hybrid cgroup layout;
	# low ulimits: no CAP_SYS_RESOURCE here.
	PODMAN=(podman --root "$T/proot" --runroot "$T/prun" --tmpdir "$T/ptmp" --events-backend none
		--storage-driver vfs --cgroup-manager cgroupfs --runtime runc)
	RUNOPTS=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024 --network ocipod)
	tar -C "$T/rootfs" -c . | "${PODMAN[@]}" import -q - localhost/ocinet-bb:latest >/dev/null
}

teardown() {
	if [ -n "${PODMAN:-}" ]; then
		"${PODMAN[@]}" rm -a -f -t 0 >/dev/null 2>&1
		"${PODMAN[@]}" rmi -a -f >/dev/null 2>&1
		oci-net --store "$T/netstore" rm -f ocipod >/dev/null 2>&1
		while read -r d; do rm -rf "$d"; done <"$T/made"
	fi
	net_teardown
}

@test "podman (CNI backend) attaches containers with oci-net and publishes ports" {
	run "${PODMAN[@]}" run --rm "${RUNOPTS[@]}" localhost/ocinet-bb:latest ip -o -4 addr show dev eth0
	assert_status 0
	assert_output_contains "10.231.80.2/24"
	# podman ran DEL: nothing is left attached.
	run oci-net --store "$T/netstore" inspect ocipod
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "$output"
	run "${PODMAN[@]}" run -d --name web "${RUNOPTS[@]}" -p 18980:80 localhost/ocinet-bb:latest httpd -f -p 80 -h /www
	assert_status 0
	for _ in $(seq 1 50); do curl -s -m 1 http://127.0.0.1:18980/ >/dev/null && break; sleep 0.1; done
	run curl -s -m 5 http://127.0.0.1:18980/
	[ "$output" = podman-hello ] || fail "published port: '$output'"
	run "${PODMAN[@]}" run --rm "${RUNOPTS[@]}" localhost/ocinet-bb:latest nslookup -type=a web 10.231.80.1
	assert_output_contains "10.231.80.2"
	"${PODMAN[@]}" rm -f -t 0 web >/dev/null
	run oci-net --store "$T/netstore" inspect ocipod
	[ "$(echo "$output" | jq '.[0].endpoints | length')" = 0 ] || fail "$output"
	oci-net --store "$T/netstore" rm ocipod
	drop_test_net
	assert_host_restored
}
