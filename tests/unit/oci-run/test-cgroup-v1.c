/* The cgroup v1 writers against a temporary directory laid out like v1
 * hierarchies (root/memory, root/cpu,cpuacct, ... with plain files), and a
 * hybrid layout whose hugetlb lives only in root/unified. The real
 * hierarchies are in test-cgroup-real. */
#include "tap.h"

#include <sys/stat.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "resources.h"
#include "util.h"

static char *root;

static void cleanup(void)
{
	if (root) {
		struct oci_err *e = NULL;
		if (oci_rm_rf(root, &e) < 0)
			oci_err_free(e);
	}
}

static void put(const char *dir, const char *name, const char *content)
{
	_cleanup_free_ char *p = oci_path_join(dir, name);
	struct oci_err *e = NULL;
	if (oci_write_file_atomic(p, content, strlen(content), 0644, &e) < 0) {
		diag("%s", e->msg);
		oci_err_free(e);
	}
}

static char *get(const char *dir, const char *name)
{
	static char *last;
	free(last);
	last = NULL;
	struct oci_err *e = NULL;
	if (run_cg_read(dir, name, &last, &e) < 0) {
		oci_err_free(e);
		return NULL;
	}
	return last;
}

/* root/H, root/H/oci-run, root/H/oci-run/c1, each with files. */
static char *hier(const char *h, const char *const *files, size_t n)
{
	_cleanup_free_ char *top = oci_path_join(root, h);
	_cleanup_free_ char *mid = oci_path_join(top, "oci-run");
	char *leaf = oci_path_join(mid, "c1");
	const char *dirs[] = { top, mid, leaf };
	for (size_t d = 0; d < 3; d++) {
		mkdir(dirs[d], 0755);
		put(dirs[d], "cgroup.procs", "");
		for (size_t i = 0; i < n; i++)
			put(dirs[d], files[i], "");
	}
	return leaf;
}

static struct run_resources *res_from(const char *doc)
{
	struct run_resources *r = NULL;
	struct oci_err *e = NULL;
	if (run_resources_parse(doc, strlen(doc), "test", &r, &e) < 0) {
		diag("%s", e->msg);
		oci_err_free(e);
	}
	return r;
}

int main(void)
{
	struct oci_err *e = NULL;
	if (oci_mkdtemp("/tmp/test-cgroup-v1", &root, &e) < 0) {
		diag("%s", e->msg);
		return 1;
	}
	atexit(cleanup);
	static const char *const mem_files[] = {
		"memory.limit_in_bytes",	 "memory.soft_limit_in_bytes",
		"memory.memsw.limit_in_bytes", "memory.swappiness",
		"memory.oom_control",		 "memory.kmem.tcp.limit_in_bytes",
		"memory.usage_in_bytes",	 "memory.max_usage_in_bytes",
		"memory.failcnt",
	};
	static const char *const cpu_files[] = {
		"cpu.shares",	   "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.cfs_burst_us",
		"cpu.rt_period_us", "cpu.rt_runtime_us", "cpu.idle",	      "cpuacct.usage",
		"cpuacct.stat",
	};
	static const char *const cpuset_files[] = { "cpuset.cpus", "cpuset.mems" };
	static const char *const pids_files[] = { "pids.max", "pids.current" };
	static const char *const blkio_files[] = {
		"blkio.weight", "blkio.leaf_weight", "blkio.weight_device",
		"blkio.throttle.read_bps_device", "blkio.throttle.write_iops_device",
	};
	static const char *const hugetlb_files[] = { "hugetlb.2MB.limit_in_bytes",
						     "hugetlb.1GB.limit_in_bytes" };
	static const char *const devices_files[] = { "devices.allow", "devices.deny" };
	static const char *const freezer_files[] = { "freezer.state" };
	_cleanup_free_ char *mem = hier("memory", mem_files, ARRAY_SIZE(mem_files));
	_cleanup_free_ char *cpu = hier("cpu,cpuacct", cpu_files, ARRAY_SIZE(cpu_files));
	_cleanup_free_ char *cpuset = hier("cpuset", cpuset_files, ARRAY_SIZE(cpuset_files));
	_cleanup_free_ char *pids = hier("pids", pids_files, ARRAY_SIZE(pids_files));
	_cleanup_free_ char *blkio = hier("blkio", blkio_files, ARRAY_SIZE(blkio_files));
	_cleanup_free_ char *hugetlb = hier("hugetlb", hugetlb_files, ARRAY_SIZE(hugetlb_files));
	_cleanup_free_ char *devices = hier("devices", devices_files, ARRAY_SIZE(devices_files));
	_cleanup_free_ char *freezer = hier("freezer", freezer_files, ARRAY_SIZE(freezer_files));
	_cleanup_free_ char *cstop = oci_path_join(root, "cpuset");
	put(cstop, "cpuset.cpus", "0-3\n");
	put(cstop, "cpuset.mems", "0\n");
	put(mem, "memory.limit_in_bytes", "9223372036854771712\n");

	struct run_cg_layout *l = NULL;
	ok(run_cg_layout_from_dir(root, RUN_CG_V1, &l, &e) == 0 && l->n_v1 == 8,
	   "v1 layout: eight hierarchies");
	ok(run_cg_layout_v1(l, "cpuacct") && run_cg_layout_v1(l, "cpuacct") == run_cg_layout_v1(l, "cpu"),
	   "cpu and cpuacct share a hierarchy");
	struct run_cgroup *cg = NULL;
	ok(run_cg_open(l, "/oci-run/c1", &cg, &e) == 0 && cg->ops == &run_cg_v1_ops && !cg->v2_dir,
	   "open: v1 driver");

	struct run_resources *r = res_from(
		"{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":157286400,"
		"\"kernel\":5,\"kernelTCP\":4096,\"swappiness\":10,\"disableOOMKiller\":true},"
		"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"realtimeRuntime\":"
		"9000,\"realtimePeriod\":10000,\"cpus\":\"1\",\"mems\":\"0\",\"burst\":100,\"idle\":0},"
		"\"pids\":{\"limit\":3},"
		"\"blockIO\":{\"weight\":500,\"leafWeight\":300,\"weightDevice\":[{\"major\":8,"
		"\"minor\":0,\"weight\":600}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
		"\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,"
		"\"rate\":10}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
		"\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	ok(r != NULL, "resources parse");
	/* cpuset in the middle level starts empty: filled from the top */
	ok(cg->ops->create(cg, r, 777, &e) == 0, "create");
	if (e) {
		diag("%s", e->msg);
		oci_err_clear(&e);
	}
	_cleanup_free_ char *cmid = oci_path_join(cstop, "oci-run");
	is_str(get(cmid, "cpuset.cpus"), "0-3", "parent cpuset.cpus copied from the top");
	is_str(get(cmid, "cpuset.mems"), "0", "parent cpuset.mems copied from the top");
	is_str(get(cpuset, "cpuset.cpus"), "1", "cpuset.cpus");
	is_str(get(cpuset, "cpuset.mems"), "0", "cpuset.mems");
	is_str(get(mem, "memory.limit_in_bytes"), "104857600", "memory.limit_in_bytes");
	is_str(get(mem, "memory.memsw.limit_in_bytes"), "157286400", "memory.memsw.limit_in_bytes");
	is_str(get(mem, "memory.soft_limit_in_bytes"), "52428800", "memory.soft_limit_in_bytes");
	is_str(get(mem, "memory.kmem.tcp.limit_in_bytes"), "4096", "kernelTCP");
	is_str(get(mem, "memory.swappiness"), "10", "memory.swappiness");
	is_str(get(mem, "memory.oom_control"), "1", "memory.oom_control");
	is_str(get(cpu, "cpu.shares"), "512", "cpu.shares");
	is_str(get(cpu, "cpu.cfs_quota_us"), "50000", "cpu.cfs_quota_us");
	is_str(get(cpu, "cpu.cfs_period_us"), "100000", "cpu.cfs_period_us");
	is_str(get(cpu, "cpu.cfs_burst_us"), "100", "cpu.cfs_burst_us");
	is_str(get(cpu, "cpu.rt_period_us"), "10000", "cpu.rt_period_us");
	is_str(get(cpu, "cpu.rt_runtime_us"), "9000", "cpu.rt_runtime_us");
	is_str(get(pids, "pids.max"), "3", "pids.max");
	is_str(get(blkio, "blkio.weight"), "500", "blkio.weight");
	is_str(get(blkio, "blkio.leaf_weight"), "300", "blkio.leaf_weight");
	is_str(get(blkio, "blkio.weight_device"), "8:0 600", "blkio.weight_device");
	is_str(get(blkio, "blkio.throttle.read_bps_device"), "8:0 1048576", "read_bps_device");
	is_str(get(blkio, "blkio.throttle.write_iops_device"), "8:16 10", "write_iops_device");
	is_str(get(hugetlb, "hugetlb.2MB.limit_in_bytes"), "4194304", "hugetlb.2MB.limit_in_bytes");
	is_str(get(devices, "devices.deny"), "a", "devices.deny a (the deny-all rule last)");
	is_str(get(devices, "devices.allow"), "c 1:3 rwm", "devices.allow");
	ok(streq(get(mem, "cgroup.procs"), "777") && streq(get(freezer, "cgroup.procs"), "777") &&
		   streq(get(cpu, "cgroup.procs"), "777"),
	   "pid joined every hierarchy");
	run_resources_free(r);

	/* update: memory lowered (memory first, then memsw), pids unlimited */
	r = res_from("{\"memory\":{\"limit\":50000000,\"swap\":60000000},\"pids\":{\"limit\":-1},"
		     "\"cpu\":{\"shares\":2048}}");
	ok(cg->ops->update(cg, r, &e) == 0, "update");
	is_str(get(mem, "memory.limit_in_bytes"), "50000000", "memory lowered");
	is_str(get(mem, "memory.memsw.limit_in_bytes"), "60000000", "memsw lowered");
	is_str(get(pids, "pids.max"), "max", "pids.max max");
	is_str(get(cpu, "cpu.shares"), "2048", "cpu.shares");
	is_str(get(cpu, "cpu.cfs_quota_us"), "50000", "quota untouched");
	run_resources_free(r);

	/* memory -1 alone: memsw -1 first */
	r = res_from("{\"memory\":{\"limit\":-1}}");
	ok(cg->ops->update(cg, r, &e) == 0, "update memory -1");
	is_str(get(mem, "memory.limit_in_bytes"), "-1", "memory unlimited");
	is_str(get(mem, "memory.memsw.limit_in_bytes"), "-1", "memsw unlimited too");
	run_resources_free(r);
	r = res_from("{\"memory\":{\"limit\":50000000,\"swap\":60000000}}");
	ok(cg->ops->update(cg, r, &e) == 0, "memory limited again");
	run_resources_free(r);

	/* unified on v1: error */
	r = res_from("{\"unified\":{\"memory.high\":\"1\"}}");
	ok(cg->ops->update(cg, r, &e) < 0 && e && strstr(e->msg, "needs cgroup v2"),
	   "unified on v1: error");
	oci_err_clear(&e);
	run_resources_free(r);
	/* a controller that is not mounted */
	r = res_from("{\"rdma\":{\"mlx\":{\"hcaHandles\":1}}}");
	ok(cg->ops->update(cg, r, &e) < 0 && e &&
		   strstr(e->msg, "linux.resources.rdma: the 'rdma' cgroup controller is not mounted"),
	   "missing controller: error");
	oci_err_clear(&e);
	run_resources_free(r);

	/* freeze on a fake freezer: the state is read back at once */
	ok(cg->ops->freeze(cg, true, &e) == 0, "freeze");
	is_str(get(freezer, "freezer.state"), "FROZEN", "freezer.state FROZEN");
	ok(cg->ops->freeze(cg, false, &e) == 0, "thaw");
	is_str(get(freezer, "freezer.state"), "THAWED", "freezer.state THAWED");

	/* stats */
	put(mem, "memory.usage_in_bytes", "4096\n");
	put(mem, "memory.max_usage_in_bytes", "8192\n");
	put(mem, "memory.failcnt", "2\n");
	put(cpu, "cpuacct.usage", "123456789\n");
	put(cpu, "cpuacct.stat", "user 10\nsystem 5\n");
	put(pids, "pids.current", "1\n");
	struct run_cgroup_stats st = { 0 };
	ok(cg->ops->stats(cg, &st, &e) == 0 && st.has_memory && st.memory_usage == 4096 &&
		   st.memory_max_usage == 8192 && st.memory_limit == 50000000 &&
		   st.memory_failcnt == 2,
	   "memory stats");
	ok(st.has_cpu && st.cpu_total_ns == 123456789 && st.cpu_user_ns > 0, "cpu stats");
	ok(st.has_pids && st.pids_current == 1 && st.pids_limit == 0, "pids stats");
	run_cgroup_free(cg);

	/* hybrid: hugetlb only in unified goes through the v2 writer */
	_cleanup_free_ char *hroot = oci_path_join(root, "hugetlb");
	struct oci_err *e2 = NULL;
	ok(oci_rm_rf(hroot, &e2) == 0, "drop the v1 hugetlb hierarchy");
	_cleanup_free_ char *uni = oci_path_join(root, "unified");
	_cleanup_free_ char *umid = oci_path_join(uni, "oci-run");
	_cleanup_free_ char *uleaf = oci_path_join(umid, "c1");
	const char *ud[] = { uni, umid, uleaf };
	for (size_t i = 0; i < 3; i++) {
		mkdir(ud[i], 0755);
		put(ud[i], "cgroup.controllers", "hugetlb\n");
		put(ud[i], "cgroup.subtree_control", "");
		put(ud[i], "cgroup.procs", "");
	}
	put(uleaf, "hugetlb.2MB.max", "");
	l = NULL;
	ok(run_cg_layout_from_dir(root, RUN_CG_HYBRID, &l, &e) == 0 && l->unified && l->n_v1 == 7,
	   "hybrid layout");
	ok(run_cg_open(l, "/oci-run/c1", &cg, &e) == 0 && cg->v2_dir &&
		   (cg->v2_sections & RUN_CG_HUGETLB) && !(cg->v2_sections & RUN_CG_MEMORY) &&
		   (cg->v2_sections & RUN_CG_UNIFIED),
	   "hybrid: hugetlb and unified go to v2, memory to v1");
	r = res_from("{\"pids\":{\"limit\":9},\"hugepageLimits\":[{\"pageSize\":\"2MB\","
		     "\"limit\":2097152}]}");
	ok(cg->ops->create(cg, r, 888, &e) == 0, "hybrid create");
	if (e) {
		diag("%s", e->msg);
		oci_err_clear(&e);
	}
	is_str(get(uleaf, "hugetlb.2MB.max"), "2097152", "hugetlb.2MB.max in unified");
	is_str(get(uni, "cgroup.subtree_control"), "+hugetlb", "hugetlb enabled at the top");
	is_str(get(umid, "cgroup.subtree_control"), "+hugetlb", "hugetlb enabled in the parent");
	is_str(get(pids, "pids.max"), "9", "pids through v1");
	is_str(get(uleaf, "cgroup.procs"), "888", "pid joined unified too");
	run_resources_free(r);
	r = res_from("{\"unified\":{\"memory.high\":\"1\"}}");
	ok(cg->ops->update(cg, r, &e) < 0 && e && strstr(e->msg, "'memory' controller is not available"),
	   "hybrid: unified key of a controller missing in v2: error");
	if (e)
		diag("%s", e->msg);
	oci_err_clear(&e);
	run_resources_free(r);
	run_cgroup_free(cg);

	done_testing();
	return exit_status();
}
