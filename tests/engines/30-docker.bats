#!/usr/bin/env bats
# Docker with the runtime under test registered as a runtime ("runtimes" in
# daemon.json: t-runc and t-oci-run), with runc and with oci-run: the same
# cases must pass with both (tests/lib/engines.bash).
# dockerd keeps everything in $ED (--data-root, --exec-root, --pidfile, its
# socket, daemon.json as --config-file, the trust key) and uses a containerd
# of ours (also in $ED). It runs with --bridge=none --iptables=false
# --ip6tables=false, except for the port-publishing test: that one restarts
# it with iptables and the default bridge inside a network namespace of its
# own, so docker0, the NAT rules, ip_forward and the FORWARD policy it sets
# are that namespace's, never the host's (the last test checks the host).
# Outside $ED: /run/docker/plugins and containerd's shim sockets in
# /run/containerd/s (fixed paths; removed after when the test made them).

load ../lib/common
load ../lib/engines

setup_file() {
	engine_setup_file docker
	engine_need dockerd containerd ctr containerd-shim-runc-v2 skopeo unshare nsenter curl || return 0
	DOCKER_CLI=/usr/bin/docker
	[ -x "$DOCKER_CLI" ] || DOCKER_CLI=$(command -v docker) || {
		ENGINE_MISSING="no docker client"
		export ENGINE_MISSING
		return 0
	}
	export DOCKER_CLI DD="$ED/docker"
	export DOCKER_HOST="unix://$DD/docker.sock"
	mkdir -p "$DD"
	cat >"$DD/daemon.json" <<EOF
{
	"deprecated-key-path": "$DD/key.json",
	"runtimes": {
		"t-runc": {"path": "$ED/rt-runc"},
		"t-oci-run": {"path": "$ED/rt-oci-run"}
	},
	"cgroup-parent": "/$ENGINE_CGROUP",
	"exec-opts": ["native.cgroupdriver=cgroupfs"],
	"storage-driver": "overlay2",
	"log-driver": "json-file"
}
EOF
	engine_containerd_start "$ED/ctrd" || return 1
	if ! docker_start plain; then
		# Docker is tested only where its engine starts (issue 6)
		ENGINE_MISSING="dockerd does not start on this machine: $(tail -n 3 "$DD/dockerd.log" | tr '\n' ' ')"
		export ENGINE_MISSING
		return 0
	fi
	engine_private_varlib skopeo copy -q "oci:$OCI_TEST_FIXTURES/tiny:latest" \
		"docker-archive:$ED/tiny-docker.tar:$ENGINE_IMG" || return 1
	"$DOCKER_CLI" load -q -i "$ED/tiny-docker.tar" >/dev/null || return 1
}

teardown_file() { engine_teardown_file; }

setup() {
	engine_setup
	unset DOCKER_CONFIG
}

engine_stop() {
	[ -n "${DD:-}" ] && [ -S "$DD/docker.sock" ] || return 0
	local ids
	ids=$(timeout 20 "$DOCKER_CLI" ps -aq 2>/dev/null)
	[ -z "$ids" ] || timeout 30 "$DOCKER_CLI" rm -f $ids >/dev/null 2>&1
	return 0
}

# docker_start plain|ports: dockerd without networking, or (ports) with
# iptables and the default bridge in a new network namespace.
docker_start() {
	local mode=$1 net=()
	if [ "$mode" = plain ]; then
		net=(--bridge=none --iptables=false --ip6tables=false --ip-forward=false)
	else
		net=(--ip6tables=false)
	fi
	echo "$mode" >"$DD/mode"
	local cmd=(dockerd --config-file "$DD/daemon.json" --data-root "$DD/data"
		--exec-root "$DD/exec" --pidfile "$DD/docker.pid" -H "$DOCKER_HOST"
		--containerd "$CTRD_SOCK" "${net[@]}")
	if [ "$mode" = plain ]; then
		engine_start_daemon dockerd "$DD/dockerd.log" "${cmd[@]}"
	else
		engine_start_daemon dockerd "$DD/dockerd.log" \
			unshare --net sh -c 'ip link set lo up && exec "$@"' sh "${cmd[@]}"
	fi
	engine_wait_for 30 "$DOCKER_CLI" version
}

# docker_mode plain|ports: (re)starts dockerd in that mode when needed.
docker_mode() {
	[ "$(cat "$DD/mode" 2>/dev/null)" = "$1" ] && return 0
	engine_stop
	engine_stop_daemon dockerd
	docker_start "$1" || {
		engine_explain "dockerd did not start ($1): $(tail -n 5 "$DD/dockerd.log")"
		return 1
	}
}

# D ARGS...: docker; run and create use the runtime under test.
D() {
	local cmd=$1
	shift
	case $cmd in
	run | create) set -- "$cmd" --runtime "t-$RT_SLOT" "$@" ;;
	*) set -- "$cmd" "$@" ;;
	esac
	ET "$DOCKER_CLI" "$@"
}

case_run_echo() {
	docker_mode plain
	erun D run --rm "$ENGINE_IMG" echo hi
	expect_status 0
	expect_stdout hi
	erun D ps -aq
	expect_stdout ""
}

case_exit_status() {
	docker_mode plain
	erun D run --rm "$ENGINE_IMG" sh -c 'exit 3'
	expect_status 3
	# the runtime's error reaches the user (through --log FILE --log-format json)
	erun D run --rm "$ENGINE_IMG" /no/such/program
	[ "$status" -ne 0 ] || { engine_explain "a missing program must fail"; return 1; }
	expect_stderr /no/such/program
	local name="dk-$RT_SLOT"
	erun D run -d --name "$name" "$ENGINE_IMG" sleep 60
	expect_status 0
	erun D kill "$name"
	expect_status 0
	erun D wait "$name"
	expect_stdout 137
	erun D rm "$name"
	expect_status 0
}

case_detached_exec_stop_rm() {
	docker_mode plain
	local name="dd-$RT_SLOT"
	erun D run -d --name "$name" "$ENGINE_IMG" \
		sh -c 'trap "exit 7" TERM; echo started; while :; do sleep 0.1; done'
	expect_status 0
	erun D inspect --format '{{.State.Status}} {{.State.Pid}} {{.HostConfig.Runtime}}' "$name"
	expect_status 0
	[[ $output =~ ^running\ ([1-9][0-9]*)\ t-$RT_SLOT$ ]] || { engine_explain "not running"; return 1; }
	local pid=${BASH_REMATCH[1]}
	[ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/self/ns/pid)" ]
	grep -q ":memory:/$ENGINE_CGROUP/" "/proc/$pid/cgroup"

	erun D exec "$name" sh -c 'echo in-exec; cat /proc/1/cmdline | tr "\0" " "'
	expect_status 0
	expect_contains in-exec
	expect_contains "sh -c trap"
	erun D exec "$name" sh -c 'exit 4'
	expect_status 4
	erun D exec -e FOO=bar -w /bin "$name" sh -c 'echo $FOO $PWD'
	expect_status 0
	expect_stdout "bar /bin"
	erun D exec -u 1000:1000 "$name" sh -c 'id -u; id -g; grep CapEff /proc/self/status'
	expect_status 0
	expect_stdout "1000
1000
CapEff:	0000000000000000"

	erun D logs "$name"
	expect_stdout started
	erun D stop -t 10 "$name"
	expect_status 0
	erun D inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$name"
	expect_stdout "exited 7"
	erun D rm "$name"
	expect_status 0
	erun D ps -aq
	expect_stdout ""
}

case_interactive_tty() {
	docker_mode plain
	erun "$ENGINE_PTY" --timeout 30 --wait READY --send 'hello\r' -- \
		"$DOCKER_CLI" run --runtime "t-$RT_SLOT" --rm -it "$ENGINE_IMG" \
		sh -c 'tty; echo READY; read x; echo "got:$x"; exit 5'
	expect_status 5
	expect_contains /dev/pts/0
	expect_contains "got:hello"
}

case_exec_tty() {
	docker_mode plain
	local name="dt-$RT_SLOT"
	erun D run -d --name "$name" "$ENGINE_IMG" sleep 60
	expect_status 0
	erun "$ENGINE_PTY" --timeout 30 --wait READY --send 'hello\r' -- \
		"$DOCKER_CLI" exec -it "$name" sh -c 'tty; echo READY; read x; echo "got:$x"; exit 6'
	expect_status 6
	expect_contains /dev/pts/
	expect_contains "got:hello"
	erun D rm -f "$name"
	expect_status 0
}

case_options() {
	docker_mode plain
	mkdir -p "$T/vol"
	echo hello-from-host >"$T/vol/in.txt"
	chmod 755 "$T" "$T/vol"
	chmod 644 "$T/vol/in.txt"
	erun D run --rm --user 1000:1000 --read-only --tmpfs /scratch -v "$T/vol:/data" \
		--cap-drop ALL --pids-limit 20 --hostname h1 -e A=b -w /data "$ENGINE_IMG" sh -c '
		id -u; id -g; hostname; echo "$A"; pwd; cat /data/in.txt
		touch /x 2>/dev/null && echo rootfs-writable || echo rootfs-ro
		touch /scratch/y && echo scratch-ok
		grep -E "^(CapEff|Seccomp):" /proc/self/status
		cat /sys/fs/cgroup/pids/pids.max'
	expect_status 0
	expect_stdout "1000
1000
h1
b
/data
hello-from-host
rootfs-ro
scratch-ok
CapEff:	0000000000000000
Seccomp:	2
20"
}

case_pause_restart_update() {
	docker_mode plain
	local name="dp-$RT_SLOT" id pid1 pid2 cg
	erun D run -d --name "$name" --memory 64m "$ENGINE_IMG" sh -c 'while :; do sleep 0.1; done'
	expect_status 0
	id=$output
	cg="$ENGINE_CGROUP/$id"
	erun D pause "$name"
	expect_status 0
	erun D inspect --format '{{.State.Status}}' "$name"
	expect_stdout paused
	[ "$(cat "/sys/fs/cgroup/freezer/$cg/freezer.state")" = FROZEN ] ||
		{ engine_explain "freezer.state: $(cat "/sys/fs/cgroup/freezer/$cg/freezer.state")"; return 1; }
	erun D unpause "$name"
	expect_status 0
	erun D inspect --format '{{.State.Status}}' "$name"
	expect_stdout running

	# update goes through the shim to the runtime's update --resources
	erun D update --memory 48m --memory-swap 96m "$name"
	expect_status 0
	local mem="/sys/fs/cgroup/memory/$cg/memory.limit_in_bytes"
	[ "$(cat "$mem")" = 50331648 ] || { engine_explain "$mem: $(cat "$mem")"; return 1; }

	# restart: the same container id is deleted and created again
	erun D inspect --format '{{.State.Pid}}' "$name"
	pid1=$output
	erun D restart -t 0 "$name"
	expect_status 0
	erun D inspect --format '{{.State.Status}} {{.State.Pid}}' "$name"
	pid2=${output#running }
	[ "$pid2" != "$output" ] && [ "$pid2" != "$pid1" ] || { engine_explain "not restarted"; return 1; }
	erun D exec "$name" echo after-restart
	expect_status 0
	expect_stdout after-restart
	erun D rm -f "$name"
	expect_status 0
}

case_memory_limit() {
	docker_mode plain
	erun D run --rm --memory 64m "$ENGINE_IMG" cat /sys/fs/cgroup/memory/memory.limit_in_bytes
	expect_status 0
	expect_stdout 67108864
	erun D run --rm --memory 64m --memory-swap 64m "$ENGINE_IMG" \
		dd if=/dev/zero of=/dev/null bs=200M count=1
	expect_status 137
}

case_publish_port() {
	docker_mode ports
	local name="dp-$RT_SLOT" hostport dpid body i
	erun D run -d --name "$name" -p 8080 "$ENGINE_IMG" \
		sh -c 'mkdir -p /www && echo "served by $HOSTNAME" >/www/index.html && exec httpd -f -p 8080 -h /www'
	expect_status 0
	erun D port "$name" 8080/tcp
	expect_status 0
	hostport=$(printf '%s\n' "$output" | sed -n 's/^0\.0\.0\.0://p' | head -n 1)
	[ -n "$hostport" ] || { engine_explain "no published port"; return 1; }
	dpid=$(cat "$DD/docker.pid")
	body=""
	for i in $(seq 50); do
		body=$(nsenter --net="/proc/$dpid/ns/net" curl -s --max-time 2 "http://127.0.0.1:$hostport/") && break
		sleep 0.1
	done
	output=$body
	expect_contains "served by "
	# docker0 and the DNAT rule are in dockerd's namespace, not on the host
	erun nsenter --net="/proc/$dpid/ns/net" iptables -w -t nat -S DOCKER
	expect_contains "--dport $hostport -j DNAT"
	nsenter --net="/proc/$dpid/ns/net" ip link show docker0 >/dev/null
	if ip link show docker0 >/dev/null 2>&1; then
		engine_explain "docker0 exists on the host"
		return 1
	fi
	erun D rm -f "$name"
	expect_status 0
}

@test "docker [runc]: run --rm echo hi" { engine_use runc; case_run_echo; }
@test "docker [runc]: exit status of the container" { engine_use runc; case_exit_status; }
@test "docker [runc]: run -d, exec, logs, stop, rm" { engine_use runc; case_detached_exec_stop_rm; }
@test "docker [runc]: run -it through the console socket" { engine_use runc; case_interactive_tty; }
@test "docker [runc]: exec -it through the console socket" { engine_use runc; case_exec_tty; }
@test "docker [runc]: --user --read-only --tmpfs -v --cap-drop --pids-limit --hostname -e -w" { engine_use runc; case_options; }
@test "docker [runc]: pause, unpause, update, restart" { engine_use runc; case_pause_restart_update; }
@test "docker [runc]: --memory 64m seen and enforced" { engine_use runc; case_memory_limit; }

@test "docker [oci-run]: run --rm echo hi" { engine_use oci-run; case_run_echo; }
@test "docker [oci-run]: exit status of the container" { engine_use oci-run; case_exit_status; }
@test "docker [oci-run]: run -d, exec, logs, stop, rm" { engine_use oci-run; case_detached_exec_stop_rm; }
@test "docker [oci-run]: run -it through the console socket" { engine_use oci-run; case_interactive_tty; }
@test "docker [oci-run]: exec -it through the console socket" { engine_use oci-run; case_exec_tty; }
@test "docker [oci-run]: --user --read-only --tmpfs -v --cap-drop --pids-limit --hostname -e -w" { engine_use oci-run; case_options; }
@test "docker [oci-run]: pause, unpause, update, restart" { engine_use oci-run; case_pause_restart_update; }
@test "docker [oci-run]: --memory 64m seen and enforced" { engine_use oci-run; case_memory_limit; }

# These restart dockerd with iptables in a network namespace of its own.
@test "docker [runc]: -p publishes a port (iptables, bridge)" { engine_use runc; case_publish_port; }
@test "docker [oci-run]: -p publishes a port (iptables, bridge)" { engine_use oci-run; case_publish_port; }

@test "docker: the host is left as it was" {
	engine_check_host
}
