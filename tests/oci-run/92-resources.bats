#!/usr/bin/env bats
# oci-run: linux.resources end to end on this host's hybrid cgroups (v1
# controllers, hugetlb in the unified hierarchy), read back from the host's
# cgroup files while the container runs; the cgroups go with `delete`.
load ../lib/common
load ../lib/bundle

setup() {
	common_setup
	make_bundle "$T/b"
	R=(oci-run --root "$T/state")
	CG=$(jq -r .linux.cgroupsPath "$T/b/config.json")
}

teardown() {
	cleanup_containers
	common_teardown
}

cgfile() { # cgfile CONTROLLER FILE: the container's file in that hierarchy
	local d
	for d in /sys/fs/cgroup/$1$CG /sys/fs/cgroup/$1,*$CG /sys/fs/cgroup/*,$1$CG; do
		[ -e "$d/$2" ] && { echo "$d/$2"; return 0; }
	done
	echo "/sys/fs/cgroup/$1$CG/$2"
}

@test "memory, cpu, cpuset, pids, blkio throttle and devices from config.json reach the v1 files" {
	[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/blkio ] || skip "no cgroup v1 memory/blkio here"
	dev=$(awk '$4 !~ /[0-9]$/ && $1 != "major" && NF == 4 {print $1 ":" $2; exit}' /proc/partitions)
	[ -n "$dev" ] || skip "no block device in /proc/partitions"
	maj=${dev%:*} min=${dev#*:}
	bundle_config "$T/b" '.linux.resources = {
		"memory": {"limit": 100663296, "reservation": 50331648},
		"cpu": {"shares": 256, "quota": 20000, "period": 100000, "cpus": "0", "mems": "0"},
		"pids": {"limit": 33},
		"blockIO": {"throttleReadBpsDevice": [{"major": $maj, "minor": $min, "rate": 1048576}],
			"throttleWriteIOPSDevice": [{"major": $maj, "minor": $min, "rate": 77}]},
		"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"}]
	}' --argjson maj "$maj" --argjson min "$min"
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	[ "$(cat "$(cgfile memory memory.limit_in_bytes)")" = 100663296 ] || fail "memory limit"
	[ "$(cat "$(cgfile memory memory.soft_limit_in_bytes)")" = 50331648 ] || fail "reservation"
	[ "$(cat "$(cgfile cpu cpu.shares)")" = 256 ] || fail "shares"
	[ "$(cat "$(cgfile cpu cpu.cfs_quota_us)")" = 20000 ] || fail "quota"
	[ "$(cat "$(cgfile cpu cpu.cfs_period_us)")" = 100000 ] || fail "period"
	[ "$(cat "$(cgfile cpuset cpuset.cpus)")" = 0 ] || fail "cpus"
	[ "$(cat "$(cgfile cpuset cpuset.mems)")" = 0 ] || fail "mems"
	[ "$(cat "$(cgfile pids pids.max)")" = 33 ] || fail "pids"
	grep -qx "$dev 1048576" "$(cgfile blkio blkio.throttle.read_bps_device)" ||
		fail "read bps: $(cat "$(cgfile blkio blkio.throttle.read_bps_device)")"
	grep -qx "$dev 77" "$(cgfile blkio blkio.throttle.write_iops_device)" ||
		fail "write iops: $(cat "$(cgfile blkio blkio.throttle.write_iops_device)")"
	# deny-all first (no "a *:* rwm"), then the rule given and runc's defaults
	list=$(cat "$(cgfile devices devices.list)")
	grep -qx "c 1:3 rwm" <<<"$list" || fail "devices.list: $list"
	! grep -q "^a " <<<"$list" || fail "devices.list allows all: $list"
	! grep -q "^b $maj:" <<<"$list" || fail "devices.list allows the disk: $list"
	run "${R[@]}" exec c1 sh -c 'echo x >/dev/null && echo null-ok'
	assert_status 0
	assert_output_contains null-ok
	"${R[@]}" delete --force c1
	[ ! -d "/sys/fs/cgroup/memory$CG" ] || fail "memory cgroup left after delete"
	[ ! -d "/sys/fs/cgroup/pids$CG" ] || fail "pids cgroup left after delete"
}

@test "hugepageLimits go to hugetlb in the unified hierarchy" {
	grep -qw hugetlb /sys/fs/cgroup/unified/cgroup.controllers 2>/dev/null ||
		grep -qw hugetlb /sys/fs/cgroup/cgroup.controllers 2>/dev/null || skip "no hugetlb controller"
	[ -d /sys/kernel/mm/hugepages/hugepages-2048kB ] || skip "no 2 MiB huge pages"
	bundle_config "$T/b" '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}]'
	bundle_args "$T/b" sleep 60
	run_file "${R[@]}" run -d --bundle "$T/b" c1
	assert_status 0
	f=
	for d in /sys/fs/cgroup/unified$CG /sys/fs/cgroup/hugetlb$CG /sys/fs/cgroup$CG; do
		[ -e "$d/hugetlb.2MB.max" ] && f=$d/hugetlb.2MB.max
		[ -e "$d/hugetlb.2MB.limit_in_bytes" ] && f=$d/hugetlb.2MB.limit_in_bytes
	done
	[ -n "$f" ] || fail "no hugetlb file for the container's cgroup"
	[ "$(cat "$f")" = 4194304 ] || fail "$f: $(cat "$f")"
	"${R[@]}" delete --force c1
	[ ! -e "$f" ] || fail "hugetlb cgroup left after delete"
}

@test "--debug with --log writes debug records of a run" {
	bundle_args "$T/b" true
	run oci-run --root "$T/state" --debug --log "$T/log.json" --log-format json run --bundle "$T/b" c1
	assert_status 0
	[ -s "$T/log.json" ] || fail "no log written"
	jq -e -s 'map(select(.level == "debug")) | length >= 1' "$T/log.json" >/dev/null ||
		fail "no debug record: $(cat "$T/log.json")"
	# and without --debug, none
	rm -f "$T/log.json"
	run oci-run --root "$T/state" --log "$T/log.json" --log-format json run --bundle "$T/b" c2
	assert_status 0
	! grep -q '"debug"' "$T/log.json" 2>/dev/null || fail "debug records without --debug"
}
