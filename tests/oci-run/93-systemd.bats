#!/usr/bin/env bats
# The systemd cgroup driver (--systemd-cgroup) against a real systemd: this
# host's PID 1 is not systemd, so the file boots Debian's systemd 252 as
# PID 1 of a container (made by oci-run itself, /usr from the host, a unit
# of its own as the only target) and runs oci-run --systemd-cgroup inside
# it, where systemd is PID 1. systemd there sees this host's hybrid cgroup
# layout through a cgroup namespace; /sys, /proc/sys and the rest of the
# default read-only and masked paths stay so, so that what systemd starts
# there (dbus, systemd-sysctl) cannot change the host. Every test checks
# what systemd says (systemctl show) and what cgroupfs holds.
load ../lib/common
load ../lib/bundle

SD_ID=sd-test

setup_file() {
	[ -x /lib/systemd/systemd ] || return 0
	SD=$(mktemp -d /tmp/oci-systemd.XXXXXX)
	export SD
	echo "$SD" >"$BATS_FILE_TMPDIR/sd"
	local b=$SD/b r=$SD/b/rootfs
	mkdir -p "$r"/{usr,etc/systemd/system,run,tmp,proc,sys,dev,var,root} "$SD/run" "$SD/nested"
	ln -s usr/bin "$r/bin"
	ln -s usr/lib "$r/lib"
	ln -s usr/lib64 "$r/lib64"
	ln -s usr/sbin "$r/sbin"
	cp /etc/passwd /etc/group "$r/etc/"
	: >"$r/etc/machine-id"
	printf '[Unit]\nDescription=oci-run systemd driver test\nDefaultDependencies=no\n' \
		>"$r/etc/systemd/system/oci-test.target"
	(cd "$b" && oci-run spec)
	# the default caps of a nested container must be in systemd's bounding set
	jq --arg bin "$OCI_TEST_BIN" --arg run "$SD/run" --arg nested "$SD/nested" \
		--arg cg "/oci-run-test/$(basename "$SD")" '
		.process.terminal = false
		| .process.args = ["/lib/systemd/systemd", "--unit=oci-test.target"]
		| .process.env += ["container=oci-run"]
		| .process.capabilities |= map_values(. + ["CAP_SYS_ADMIN", "CAP_SYS_PTRACE",
			"CAP_NET_ADMIN", "CAP_DAC_READ_SEARCH", "CAP_SYS_NICE", "CAP_MKNOD",
			"CAP_SETPCAP", "CAP_SYS_CHROOT", "CAP_AUDIT_WRITE", "CAP_SETUID", "CAP_SETGID",
			"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETFCAP",
			"CAP_KILL", "CAP_NET_BIND_SERVICE"] | unique)
		| .root.readonly = false
		| .mounts |= map(select(.destination != "/sys/fs/cgroup"))
		| .mounts += [
			{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
			 "options": ["nosuid", "noexec", "nodev", "rw"]},
			{"destination": "/usr", "type": "bind", "source": "/usr", "options": ["rbind", "ro"]},
			{"destination": "/run", "type": "bind", "source": $run, "options": ["rbind", "rw"]},
			{"destination": $bin, "type": "bind", "source": $bin, "options": ["rbind", "ro"]},
			{"destination": $nested, "type": "bind", "source": $nested, "options": ["rbind", "rw"]}]
		| del(.linux.seccomp)
		| .linux.namespaces |= (. + [{"type": "cgroup"}] | unique_by(.type))
		| .linux.cgroupsPath = $cg' "$b/config.json" >"$b/config.json.new"
	mv "$b/config.json.new" "$b/config.json"
	oci-run --root "$SD/state" run -d --bundle "$b" "$SD_ID" </dev/null >/dev/null 2>"$SD/err" ||
		{ cat "$SD/err" >&2; return 1; }
	local i
	for i in $(seq 100); do
		[ -S "$SD/run/systemd/private" ] &&
			sd_exec /usr/bin/systemctl is-system-running >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "systemd did not come up in its container" >&2
	return 1
}

teardown_file() {
	SD=$(cat "$BATS_FILE_TMPDIR/sd" 2>/dev/null) || return 0
	[ -n "$SD" ] || return 0
	oci-run --root "$SD/state" delete --force "$SD_ID" >/dev/null 2>&1 || true
	grep -F " $SD" /proc/self/mountinfo | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$SD"
	rmdir /sys/fs/cgroup/*/oci-run-test 2>/dev/null || true
}

sd_exec() {
	oci-run --root "$SD/state" exec "$SD_ID" "$@"
}

# oci-run --systemd-cgroup inside systemd's container
nested() {
	sd_exec "$OCI_TEST_BIN/oci-run" --systemd-cgroup --root "$SD/nested/state" "$@"
}

setup() {
	common_setup
	[ -x /lib/systemd/systemd ] || skip "systemd is not installed"
	SD=$(cat "$BATS_FILE_TMPDIR/sd")
	NB=$SD/nested/b$BATS_TEST_NUMBER
	make_bundle "$NB"
	bundle_config "$NB" '.linux.cgroupsPath = "" | .process.args = ["sleep", "600"]'
}

teardown() {
	local id
	for id in $(ls "$SD/nested/state" 2>/dev/null); do
		nested delete --force "$id" >/dev/null 2>&1 || true
	done
	rm -rf "$NB"
	common_teardown
}

# the host path of a cgroup of systemd's container, in hierarchy H
host_cg() {
	echo "/sys/fs/cgroup/$1/oci-run-test/$(basename "$SD")$2"
}

@test "systemd: run -d makes a transient scope with Delegate, the init and the limits" {
	bundle_config "$NB" '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 50'
	run_file nested run -d --bundle "$NB" n1
	assert_status 0
	run sd_exec /usr/bin/systemctl show oci-run-n1.scope -p ActiveState -p Delegate \
		-p MemoryLimit -p TasksMax -p ControlGroup -p Slice -p DevicePolicy
	assert_status 0
	assert_output_contains "ActiveState=active"
	assert_output_contains "Delegate=yes"
	assert_output_contains "MemoryLimit=67108864"
	assert_output_contains "TasksMax=50"
	assert_output_contains "ControlGroup=/system.slice/oci-run-n1.scope"
	assert_output_contains "Slice=system.slice"
	assert_output_contains "DevicePolicy=strict"
	pid=$(nested state n1 | jq -r .pid)
	run sd_exec /usr/bin/cat "/proc/$pid/cgroup"
	assert_output_contains "name=systemd:/system.slice/oci-run-n1.scope"
	assert_output_contains "memory:/system.slice/oci-run-n1.scope"
	# a hierarchy systemd does not manage, joined through cgroupfs
	assert_output_contains "freezer:/system.slice/oci-run-n1.scope"
	[ "$(cat "$(host_cg memory /system.slice/oci-run-n1.scope)/memory.limit_in_bytes")" = 67108864 ]
	[ "$(cat "$(host_cg pids /system.slice/oci-run-n1.scope)/pids.max")" = 50 ]
}

@test "systemd: a daemon-reload keeps the container's devices and limits" {
	bundle_config "$NB" '.linux.resources.memory.limit = 67108864 | .root.readonly = false
		| .process.capabilities |= map_values(. + ["CAP_MKNOD"])'
	run_file nested run -d --bundle "$NB" n2
	assert_status 0
	sd_exec /usr/bin/systemctl daemon-reload
	run nested exec n2 sh -c 'echo x >/dev/null && head -c 4 /dev/zero | wc -c'
	assert_status 0
	assert_output_contains "4"
	# the reload re-applied the unit's DevicePolicy=strict and DeviceAllow
	# list: /dev/null and /dev/zero above pass only if that list holds the
	# container's devices; a device neither allows stays denied
	run nested exec n2 sh -c 'mknod /tmp/kmsg c 1 11 && head -c 1 /tmp/kmsg'
	[ "$status" -ne 0 ]
	assert_output_contains "not permitted"
	[ "$(cat "$(host_cg memory /system.slice/oci-run-n2.scope)/memory.limit_in_bytes")" = 67108864 ]
}

@test "systemd: update sets the unit's properties and the files" {
	bundle_config "$NB" '.linux.resources.memory.limit = 67108864 | .linux.resources.pids.limit = 50'
	run_file nested run -d --bundle "$NB" n3
	assert_status 0
	run nested update --memory 100m --pids-limit 70 n3
	assert_status 0
	run sd_exec /usr/bin/systemctl show oci-run-n3.scope -p MemoryLimit -p TasksMax
	assert_output_contains "MemoryLimit=104857600"
	assert_output_contains "TasksMax=70"
	[ "$(cat "$(host_cg memory /system.slice/oci-run-n3.scope)/memory.limit_in_bytes")" = 104857600 ]
	# and systemd keeps them over a reload
	sd_exec /usr/bin/systemctl daemon-reload
	[ "$(cat "$(host_cg pids /system.slice/oci-run-n3.scope)/pids.max")" = 70 ]
}

@test "systemd: pause, resume, ps and delete; delete stops the unit and leaves no cgroup" {
	run_file nested run -d --bundle "$NB" n4
	assert_status 0
	nested pause n4
	[ "$(nested state n4 | jq -r .status)" = paused ]
	nested resume n4
	run nested ps n4
	assert_output_contains "sleep 600"
	run nested delete --force n4
	assert_status 0
	run sd_exec /usr/bin/systemctl show oci-run-n4.scope -p LoadState
	assert_output_contains "LoadState=not-found"
	for h in /sys/fs/cgroup/*/; do
		h=$(basename "$h")
		[ ! -e "$(host_cg "$h" /system.slice/oci-run-n4.scope)" ] ||
			fail "cgroup left in $h"
	done
}

@test "systemd: podman's slice:prefix:name form, in a nested slice" {
	bundle_config "$NB" '.linux.cgroupsPath = "machine-oci.slice:libpod:x5"'
	run_file nested run -d --bundle "$NB" n5
	assert_status 0
	run sd_exec /usr/bin/systemctl show libpod-x5.scope -p ActiveState -p ControlGroup -p Slice
	assert_output_contains "ActiveState=active"
	assert_output_contains "ControlGroup=/machine.slice/machine-oci.slice/libpod-x5.scope"
	assert_output_contains "Slice=machine-oci.slice"
	nested delete --force n5
	run sd_exec /usr/bin/systemctl show libpod-x5.scope -p LoadState
	assert_output_contains "LoadState=not-found"
}

@test "systemd: a container that exits: its scope ends and run cleans up" {
	bundle_args "$NB" sh -c 'echo done'
	run nested run --bundle "$NB" n6 </dev/null
	assert_status 0
	assert_output_contains "done"
	run sd_exec /usr/bin/systemctl show oci-run-n6.scope -p LoadState
	assert_output_contains "LoadState=not-found"
	[ ! -e "$SD/nested/state/n6" ]
}

@test "systemd: a unit name in use: one-line error, exit 1, nothing left" {
	bundle_config "$NB" '.linux.cgroupsPath = "system.slice:dup:x"'
	run_file nested run -d --bundle "$NB" n7
	assert_status 0
	run_file nested run -d --bundle "$NB" n8
	assert_status 1
	assert_one_line
	assert_output_contains "unit 'dup-x.scope' exists already"
	[ ! -e "$SD/nested/state/n8" ]
	# the first container and its unit are untouched
	run sd_exec /usr/bin/systemctl show dup-x.scope -p ActiveState
	assert_output_contains "ActiveState=active"
	[ "$(nested state n7 | jq -r .status)" = running ]
}

@test "systemd: through the system bus (dbus-daemon) when \$DBUS_SYSTEM_BUS_ADDRESS names it" {
	[ -x /usr/bin/dbus-daemon ] || skip "dbus-daemon is not installed"
	run sd_exec /usr/bin/systemctl start dbus.socket dbus.service
	assert_status 0
	local i
	for i in $(seq 50); do
		sd_exec /usr/bin/busctl --system status org.freedesktop.systemd1 >/dev/null 2>&1 && break
		sleep 0.1
	done
	run_file sd_exec /usr/bin/env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket \
		"$OCI_TEST_BIN/oci-run" --systemd-cgroup --root "$SD/nested/state" \
		run -d --bundle "$NB" n9
	assert_status 0
	run sd_exec /usr/bin/systemctl show oci-run-n9.scope -p ActiveState
	assert_output_contains "ActiveState=active"
	run sd_exec /usr/bin/env DBUS_SYSTEM_BUS_ADDRESS=unix:path=/run/dbus/system_bus_socket \
		"$OCI_TEST_BIN/oci-run" --systemd-cgroup --root "$SD/nested/state" delete -f n9
	assert_status 0
	run sd_exec /usr/bin/systemctl show oci-run-n9.scope -p LoadState
	assert_output_contains "LoadState=not-found"
	# an address oci-run cannot use: one line naming it
	run_file sd_exec /usr/bin/env DBUS_SYSTEM_BUS_ADDRESS=tcp:host=x \
		"$OCI_TEST_BIN/oci-run" --systemd-cgroup --root "$SD/nested/state" \
		run -d --bundle "$NB" n10
	assert_status 1
	assert_one_line
	assert_output_contains "DBUS_SYSTEM_BUS_ADDRESS 'tcp:host=x'"
	[ ! -e "$SD/nested/state/n10" ]
}
