#!/usr/bin/env bats
# oci-run: root filesystem: pivot_root, read-only root, mounts and their
# options, /dev, devices, masked and read-only paths, sysctl, no escape
# through symlinks.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
}

teardown() {
	cleanup_containers
	common_teardown
}

# mount_opts MOUNTPOINT: the per-mount options of MOUNTPOINT in $output
# (lines of /proc/self/mountinfo from the container).
mount_opts() {
	awk -v m="$1" '$5 == m {print $6}' <<<"$output" | tail -1
}
super_opts() {
	awk -v m="$1" '$5 == m {for (i = 7; i <= NF; i++) if ($i == "-") {print $(i+1), $(i+3)}}' <<<"$output" | tail -1
}

@test "the root is the bundle's rootfs, read-only, with the old root gone" {
	run_in "$T/b" sh -c 'cat /proc/self/mountinfo; touch /x 2>&1; ls /'
	assert_status 0
	[ "$(awk '$5 == "/" {print $5}' <<<"$output" | wc -l)" = 1 ] || fail "more than one / mount"
	[[ "$(mount_opts /)" == ro* ]] || fail "/ is $(mount_opts /)"
	assert_output_contains "Read-only file system"
	! grep -q "oci-test" <<<"$(awk '{print $5}' <<<"$output")" || fail "host paths visible"
}

@test "readonly false gives a writable root" {
	bundle_config "$T/b" '.root.readonly = false'
	run_in "$T/b" sh -c 'echo hi >/made && cat /made'
	assert_status 0
	[ "$(cat "$T/b/rootfs/made")" = hi ]
}

@test "default mounts and their options match runc's" {
	bundle_args "$T/b" cat /proc/self/mountinfo
	run "${R[@]}" run --bundle "$T/b" c1
	assert_status 0
	mine=$output
	run runc --root "$T/runc" run --bundle "$T/b" r1
	assert_status 0
	theirs=$output
	for m in /proc /dev /dev/pts /dev/shm /dev/mqueue /sys; do
		output=$mine; a="$(mount_opts $m) $(super_opts $m)"
		output=$theirs; b="$(mount_opts $m) $(super_opts $m)"
		[ "$a" = "$b" ] || fail "$m: oci-run '$a', runc '$b'"
	done
}

@test "bind mounts with ro, nosuid, nodev, noexec; tmpfs size and mode" {
	mkdir -p "$T/data"
	echo host-data >"$T/data/file"
	bundle_config "$T/b" '.mounts += [
		{"destination": "/data", "type": "bind", "source": $d, "options": ["rbind", "ro", "nosuid", "nodev", "noexec"]},
		{"destination": "/rw", "type": "none", "source": $d, "options": ["bind"]},
		{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=1770", "noexec"]},
		{"destination": "/etc/hostdata", "type": "bind", "source": $f, "options": ["bind", "ro"]}]' \
		--arg d "$T/data" --arg f "$T/data/file"
	run_in "$T/b" sh -c 'cat /proc/self/mountinfo; cat /data/file; echo x >/data/new 2>&1; echo y >/rw/new; stat -c %a /scratch; cat /etc/hostdata'
	assert_status 0
	[[ "$(mount_opts /data)" == ro,nosuid,nodev,noexec* ]] || fail "/data: $(mount_opts /data)"
	[[ "$(mount_opts /rw)" == rw* ]] || fail "/rw: $(mount_opts /rw)"
	[[ "$(mount_opts /scratch)" == *noexec* ]] || fail "/scratch: $(mount_opts /scratch)"
	[[ "$(super_opts /scratch)" == "tmpfs "*size=1024k*mode=1770* ]] || fail "/scratch: $(super_opts /scratch)"
	assert_output_contains "host-data"
	assert_output_contains "Read-only file system"
	[ "$(cat "$T/data/new")" = y ]
	[[ "$(mount_opts /etc/hostdata)" == ro* ]] || fail "/etc/hostdata: $(mount_opts /etc/hostdata)"
	assert_output_contains "1770"
}

@test "mounts are made in config order (a later mount covers an earlier one)" {
	mkdir -p "$T/one" "$T/two/sub"
	echo one >"$T/one/f"
	echo two >"$T/two/sub/f"
	bundle_config "$T/b" '.mounts += [
		{"destination": "/m", "type": "tmpfs", "source": "tmpfs"},
		{"destination": "/m/sub", "type": "bind", "source": $two, "options": ["rbind"]},
		{"destination": "/m/sub/sub", "type": "bind", "source": $one, "options": ["rbind"]}]' \
		--arg one "$T/one" --arg two "$T/two"
	run_in "$T/b" cat /m/sub/sub/f
	assert_status 0
	[ "$output" = one ]
}

@test "rro makes a bind recursively read-only" {
	mkdir -p "$T/src/inner"
	mount -t tmpfs tmpfs "$T/src/inner"
	bundle_config "$T/b" '.mounts += [{"destination": "/r", "type": "bind", "source": $s, "options": ["rbind", "rro"]}]' --arg s "$T/src"
	run_in "$T/b" sh -c 'touch /r/inner/x 2>&1; touch /r/y 2>&1; grep " /r/inner " /proc/self/mountinfo'
	umount "$T/src/inner"
	assert_status 0
	[ "$(grep -c "Read-only file system" <<<"$output")" = 2 ] || fail "$output"
	[[ "$(awk '{print $6}' <<<"${lines[2]}")" == ro* ]] || fail "$output"
}

@test "mount propagation options reach mountinfo" {
	mkdir -p "$T/p"
	bundle_config "$T/b" '.mounts += [{"destination": "/p", "type": "bind", "source": $s, "options": ["rbind", "rshared"]},
		{"destination": "/q", "type": "bind", "source": $s, "options": ["rbind", "private"]}]' --arg s "$T/p"
	run_in "$T/b" cat /proc/self/mountinfo
	assert_status 0
	assert_output_matches " /p [^ ]+ shared:[0-9]+"
	! grep -E " /q [^ ]+ shared:" <<<"$output" || fail "/q is shared"
}

@test "a symlink in the rootfs cannot send a mount outside of it" {
	mkdir -p "$T/src" "$T/outside"
	echo secret >"$T/src/f"
	ln -s "$T/outside" "$T/b/rootfs/escape"
	ln -s ../../../../../../../.. "$T/b/rootfs/up"
	bundle_config "$T/b" '.mounts += [{"destination": "/escape/m", "type": "bind", "source": $s, "options": ["rbind"]},
		{"destination": "/up/tmp/m2", "type": "tmpfs", "source": "tmpfs"}]' --arg s "$T/src"
	run_in "$T/b" sh -c 'cat /escape/m/f; ls -d /tmp/m2'
	assert_status 0
	assert_output_contains secret
	[ ! -e "$T/outside/m" ] || fail "mount point created outside the rootfs"
	[ ! -e /tmp/m2 ] || fail "mount point created in the host's /tmp"
	[ -d "$T/b/rootfs$T/outside/m" ] || fail "not resolved inside the rootfs"
}

@test "/dev has the default devices, pts with ptmx, shm, mqueue and fd links" {
	run_in "$T/b" sh -c 'for d in null zero full random urandom tty; do stat -c "%n %t:%T %a" /dev/$d; done
		for l in ptmx fd stdin stdout stderr; do readlink /dev/$l; done
		echo x >/dev/null && head -c 4 /dev/zero | wc -c
		grep -E " /dev/(pts|shm|mqueue) " /proc/self/mountinfo | awk "{print \$5}"'
	assert_status 0
	assert_output_contains "/dev/null 1:3 666"
	assert_output_contains "/dev/zero 1:5 666"
	assert_output_contains "/dev/urandom 1:9 666"
	assert_output_contains "/dev/tty 5:0 666"
	assert_output_contains "pts/ptmx"
	assert_output_contains "/proc/self/fd/0"
	for m in /dev/pts /dev/shm /dev/mqueue; do assert_output_contains "$m"; done
}

@test "linux.devices are created with their type, numbers, mode and owner" {
	bundle_config "$T/b" '.linux.devices = [{"path": "/dev/fuse", "type": "c", "major": 10, "minor": 229, "fileMode": 432, "uid": 1, "gid": 1},
		{"path": "/dev/sub/loopx", "type": "b", "major": 7, "minor": 200}]'
	run_in "$T/b" sh -c 'stat -c "%F %t:%T %a %u:%g" /dev/fuse /dev/sub/loopx'
	assert_status 0
	[ "${lines[0]}" = "character special file a:e5 660 1:1" ] || fail "$output"
	[ "${lines[1]}" = "block special file 7:c8 666 0:0" ] || fail "$output"
}

@test "masked paths read empty, readonly paths cannot be written" {
	bundle_config "$T/b" '.linux.maskedPaths += ["/etc/secret", "/proc/sys/kernel/hostname_dir_missing"] | .linux.readonlyPaths += ["/etc"]'
	echo hidden >"$T/b/rootfs/etc/secret"
	run_in "$T/b" sh -c 'echo "[$(cat /etc/secret)]"; echo "[$(cat /proc/timer_list 2>&1)]"; ls /proc/acpi 2>&1 | wc -l;
		echo 1 >/proc/sys/kernel/domainname 2>&1; touch /etc/new 2>&1; true'
	assert_status 0
	[ "${lines[0]}" = "[]" ] || fail "/etc/secret: $output"
	[ "${lines[1]}" = "[]" ] || fail "/proc/timer_list: $output"
	[ "${lines[2]}" = 0 ] || fail "/proc/acpi: $output"
	[ "$(grep -c "Read-only file system" <<<"$output")" = 2 ] || fail "$output"
}

@test "sysctl values are written in the container's namespaces" {
	bundle_config "$T/b" '.linux.sysctl = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"} | .linux.readonlyPaths -= ["/proc/sys"]'
	run_in "$T/b" sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/kernel/msgmax'
	assert_status 0
	[ "$output" = "$(printf '1\n4096')" ] || fail "$output"
	[ "$(cat /proc/sys/kernel/msgmax)" != 4096 ] || [ "$(cat /proc/sys/kernel/msgmax)" = "$(cat /proc/sys/kernel/msgmax)" ]
}

@test "a bad sysctl key names it" {
	bundle_config "$T/b" '.linux.sysctl = {"net.nope.nothing": "1"}'
	bundle_args "$T/b" true
	run_file "${R[@]}" create --bundle "$T/b" c1
	assert_status 1
	assert_one_line
	assert_output_contains "linux.sysctl: 'net.nope.nothing'"
}

@test "--no-pivot enters the rootfs with chroot" {
	run_file "${R[@]}" run --no-pivot --bundle "$T/b" c1
	bundle_args "$T/b" sh -c 'ls /bin/busybox; cat /proc/self/mountinfo | wc -l'
	run "${R[@]}" run --no-pivot --bundle "$T/b" c2
	assert_status 0
	assert_output_contains /bin/busybox
}

@test "process.cwd is created inside the rootfs when missing" {
	bundle_config "$T/b" '.process.cwd = "/work/dir"'
	run_in "$T/b" pwd
	assert_status 0
	[ "$output" = /work/dir ]
	[ -d "$T/b/rootfs/work/dir" ]
}

@test "a cwd through a symlink stays inside the rootfs" {
	ln -s / "$T/b/rootfs/root-link"
	mkdir -p "$T/b/rootfs/tmp/inside"
	bundle_config "$T/b" '.process.cwd = "/root-link/tmp/inside"'
	run_in "$T/b" sh -c 'pwd; ls /proc/self/cwd/ >/dev/null && readlink /proc/self/cwd'
	assert_status 0
	[ "${lines[1]}" = /tmp/inside ] || fail "$output"
}

@test "rootfsPropagation private" {
	bundle_config "$T/b" '.linux.rootfsPropagation = "private"'
	run_in "$T/b" sh -c 'cat /proc/self/mountinfo'
	assert_status 0
	output=$(awk '$5 == "/"' <<<"$output")
	[ -n "$output" ]
	! grep -q "shared:\|master:" <<<"$output" || fail "$output"
}

@test "cgroup filesystem is mounted read-only at /sys/fs/cgroup" {
	run_in "$T/b" sh -c 'ls /sys/fs/cgroup; mkdir /sys/fs/cgroup/memory/x 2>&1; true'
	assert_status 0
	assert_output_contains memory
	assert_output_contains "Read-only file system"
}

@test "without a cgroup namespace the container sees its own cgroup, as with runc" {
	bundle_config "$T/b" '.linux.namespaces |= map(select(.type != "cgroup")) | .linux.resources.memory.limit = 67108864'
	check='cat /sys/fs/cgroup/memory/memory.limit_in_bytes; grep " /sys/fs/cgroup/memory " /proc/self/mountinfo | cut -d" " -f4'
	bundle_config "$T/b" '.linux.cgroupsPath = "/oci-run-test/\($t)-o1"' --arg t "$(basename "$T")"
	run_in "$T/b" sh -c "$check"
	assert_status 0
	mine=$output
	[ "${lines[0]}" = 67108864 ] || fail "$output"
	bundle_config "$T/b" '.linux.cgroupsPath = "/oci-run-test/\($t)-r1" | .ociVersion = "1.0.2-dev"' --arg t "$(basename "$T")"
	RUNTIME=runc run_in "$T/b" sh -c "$check"
	rmdir /sys/fs/cgroup/*/oci-run-test/"$(basename "$T")"-r1 2>/dev/null || true
	rmdir /sys/fs/cgroup/*/oci-run-test 2>/dev/null || true
	[ "${lines[0]}" = 67108864 ] || fail "runc: $output"
	[ "${mine//-o1/X}" = "${output//-r1/X}" ] || fail "oci-run: $mine; runc: $output"
}

@test "idmap mount with its own mappings: files owned by 0 on disk are 1000 inside" {
	mkdir -p "$T/data/sub"
	echo hi >"$T/data/f"
	chmod 777 "$T/data"
	bundle_config "$T/b" '.process.user = {"uid": 1000, "gid": 1000} | .mounts += [{"destination": "/data", "type": "bind", "source": $d,
		"options": ["rbind", "idmap"], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
		"gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]}]' --arg d "$T/data"
	run_in "$T/b" sh -c 'stat -c "%u:%g" /data/f /data/sub; touch /data/new; grep " /data " /proc/self/mountinfo'
	assert_status 0
	[ "${lines[0]}" = 1000:1000 ] && [ "${lines[1]}" = 1000:1000 ] || fail "$output"
	[ "$(stat -c %u:%g "$T/data/new")" = 0:0 ] || fail "created as $(stat -c %u:%g "$T/data/new") on disk"
	assert_output_contains "idmapped"
	[ "$(stat -c %u "$T/data/f")" = 0 ] || fail "the source itself changed owner"
}

@test "idmap mount in a user namespace uses the container's mappings" {
	chmod 755 "$T"
	chown -R 100000:100000 "$T/b/rootfs"
	mkdir -p "$T/vol"
	echo data >"$T/vol/f"
	bundle_config "$T/b" '.linux.namespaces += [{"type":"user"}]
		| .linux.uidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .linux.gidMappings = [{"containerID":0,"hostID":100000,"size":65536}]
		| .mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["bind", "idmap"]}]' --arg v "$T/vol"
	run_in "$T/b" sh -c 'stat -c "%u:%g" /vol/f; echo more >>/vol/f && echo written'
	assert_status 0
	[ "${lines[0]}" = 0:0 ] || fail "without the idmap it would be 65534: $output"
	assert_output_contains written
	[ "$(stat -c %u "$T/vol/f")" = 0 ]
}

@test "tmpcopyup: a tmpfs gets the files that were below it, owners and modes kept" {
	mkdir -p "$T/b/rootfs/var/cache/sub"
	echo cached >"$T/b/rootfs/var/cache/sub/f"
	chown 7:8 "$T/b/rootfs/var/cache/sub/f"
	chmod 604 "$T/b/rootfs/var/cache/sub/f"
	ln -s sub/f "$T/b/rootfs/var/cache/link"
	chmod 1777 "$T/b/rootfs/var/cache"
	bundle_config "$T/b" '.mounts += [{"destination": "/var/cache", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "nosuid"]},
		{"destination": "/etc", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "ro"]}]'
	run_in "$T/b" sh -c 'cat /var/cache/link; stat -c "%u:%g %a" /var/cache/sub/f /var/cache; echo new >/var/cache/new && echo wrote;
		grep -E " /(var/cache|etc) " /proc/self/mountinfo | cut -d" " -f5,6,9; head -1 /etc/passwd; touch /etc/x 2>&1; true'
	assert_status 0
	[ "${lines[0]}" = cached ] || fail "$output"
	[ "${lines[1]}" = "7:8 604" ] && [ "${lines[2]}" = "0:0 1777" ] || fail "$output"
	assert_output_contains wrote
	[ ! -e "$T/b/rootfs/var/cache/new" ] || fail "written through to the rootfs"
	assert_output_matches "/var/cache rw,nosuid[^ ]* tmpfs"
	assert_output_matches "/etc ro[^ ]* tmpfs"
	assert_output_contains "root:x:0:0"
	assert_output_contains "Read-only file system"
}

@test "tmpcopyup on a mount point that did not exist: a plain tmpfs (mode 1777), as podman expects" {
	bundle_config "$T/b" '.process.user = {"uid": 1000, "gid": 1000} | .mounts += [{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]}]'
	run_in "$T/b" sh -c 'stat -c %a /scratch; touch /scratch/y && echo touched'
	assert_status 0
	[ "${lines[0]}" = 1777 ] || fail "$output"
	assert_output_contains touched
}
