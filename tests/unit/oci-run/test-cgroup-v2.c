/* The cgroup v2 writers against a temporary directory laid out like cgroup2
 * (plain files: cgroup.controllers, cgroup.subtree_control, memory.max...):
 * each file's content after create, apply and update. The real unified
 * hierarchy is in test-cgroup-real. */
#include "tap.h"

#include <sys/stat.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "json.h"
#include "resources.h"
#include "util.h"

static char *root;

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

static const char *const leaf_files[] = {
	"cgroup.procs", "cgroup.freeze", "memory.max", "memory.low", "memory.swap.max",
	"memory.high", "cpu.weight", "cpu.max", "cpu.max.burst", "cpu.idle", "cpuset.cpus",
	"cpuset.mems", "pids.max", "io.weight", "io.max", "hugetlb.2MB.max",
	"hugetlb.1GB.max", "hugetlb.2MB.rsvd.max", "rdma.max",
};

static void make_level(const char *dir, bool leaf)
{
	mkdir(dir, 0755);
	put(dir, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n");
	put(dir, "cgroup.subtree_control", "");
	if (leaf)
		for (size_t i = 0; i < ARRAY_SIZE(leaf_files); i++)
			put(dir, leaf_files[i], "");
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
	if (oci_mkdtemp("/tmp/test-cgroup-v2", &root, &e) < 0) {
		diag("%s", e->msg);
		return 1;
	}
	_cleanup_free_ char *l1 = oci_path_join(root, "oci-run");
	_cleanup_free_ char *leaf = oci_path_join(l1, "c1");
	put(root, "cgroup.controllers", "cpuset cpu io memory hugetlb pids rdma\n");
	put(root, "cgroup.subtree_control", "memory\n");
	make_level(l1, false);
	make_level(leaf, true);

	/* layout and open */
	struct run_cg_layout *l = NULL;
	ok(run_cg_layout_from_dir(root, RUN_CG_V2, &l, &e) == 0 && l->mode == RUN_CG_V2,
	   "v2 layout from a directory");
	struct run_cgroup *cg = NULL;
	ok(run_cg_open(l, "/oci-run/../oci-run/c1", &cg, &e) == 0, "open cleans the path");
	is_str(cg->v2_dir, leaf, "cgroup directory");
	is_str(cg->path, "/oci-run/c1", "cgroup path");
	ok(cg->ops == &run_cg_v2_ops, "v2 driver");

	/* create: enabling controllers in the parents, not in the leaf */
	struct run_resources *r = res_from(
		"{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":157286400,"
		"\"swappiness\":10,\"disableOOMKiller\":true},"
		"\"cpu\":{\"shares\":1024,\"quota\":50000,\"period\":100000,\"cpus\":\"0-1\","
		"\"mems\":\"0\",\"idle\":0,\"burst\":1000},"
		"\"pids\":{\"limit\":3},"
		"\"blockIO\":{\"weight\":500,\"throttleWriteBpsDevice\":[{\"major\":8,\"minor\":0,"
		"\"rate\":2097152}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304},{\"pageSize\":\"1GB\","
		"\"limit\":0}],"
		"\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}},"
		"\"unified\":{\"memory.high\":\"90000000\"}}");
	ok(r != NULL, "resources parse");
	ok(cg->ops->create(cg, r, 4242, &e) == 0, "create and apply");
	if (e) {
		diag("%s", e->msg);
		oci_err_clear(&e);
	}
	is_str(get(root, "cgroup.subtree_control"), "+cpuset +cpu +io +hugetlb +pids +rdma",
	       "root: the missing controllers enabled in one write");
	is_str(get(l1, "cgroup.subtree_control"), "+cpuset +cpu +io +memory +hugetlb +pids +rdma",
	       "parent: every controller enabled");
	is_str(get(leaf, "cgroup.subtree_control"), "", "leaf: none enabled");
	is_str(get(leaf, "memory.max"), "104857600", "memory.max");
	is_str(get(leaf, "memory.low"), "52428800", "memory.low from reservation");
	is_str(get(leaf, "memory.swap.max"), "52428800", "memory.swap.max = swap - memory");
	is_str(get(leaf, "cpu.weight"), "39", "cpu.weight from shares 1024");
	is_str(get(leaf, "cpu.max"), "50000 100000", "cpu.max quota period");
	is_str(get(leaf, "cpu.max.burst"), "1000", "cpu.max.burst");
	is_str(get(leaf, "cpu.idle"), "0", "cpu.idle");
	is_str(get(leaf, "cpuset.cpus"), "0-1", "cpuset.cpus");
	is_str(get(leaf, "cpuset.mems"), "0", "cpuset.mems");
	is_str(get(leaf, "pids.max"), "3", "pids.max");
	is_str(get(leaf, "io.weight"), "default 4950", "io.weight from blkio weight 500");
	is_str(get(leaf, "io.max"), "8:0 wbps=2097152", "io.max");
	is_str(get(leaf, "hugetlb.2MB.max"), "4194304", "hugetlb.2MB.max");
	is_str(get(leaf, "hugetlb.2MB.rsvd.max"), "4194304", "hugetlb.2MB.rsvd.max");
	is_str(get(leaf, "hugetlb.1GB.max"), "0", "hugetlb.1GB.max");
	is_str(get(leaf, "rdma.max"), "mlx5_1 hca_handle=3 hca_object=10000", "rdma.max");
	is_str(get(leaf, "memory.high"), "90000000", "unified memory.high verbatim");
	is_str(get(leaf, "cgroup.procs"), "4242", "pid joined");
	run_resources_free(r);

	/* update: only what is set changes; unlimited values */
	put(leaf, "io.max", "");
	r = res_from("{\"memory\":{\"limit\":-1},\"cpu\":{\"quota\":-1,\"period\":200000},"
		     "\"pids\":{\"limit\":-1},\"blockIO\":{\"throttleReadIOPSDevice\":[{\"major\":"
		     "8,\"minor\":16,\"rate\":0}]}}");
	ok(cg->ops->update(cg, r, &e) == 0, "update");
	if (e) {
		diag("%s", e->msg);
		oci_err_clear(&e);
	}
	is_str(get(leaf, "memory.max"), "max", "memory.max max");
	is_str(get(leaf, "memory.swap.max"), "max", "memory -1 alone: swap max too");
	is_str(get(leaf, "cpu.max"), "max 200000", "cpu.max max period");
	is_str(get(leaf, "pids.max"), "max", "pids.max max");
	is_str(get(leaf, "io.max"), "8:16 riops=max", "io.max rate 0 removes the limit");
	is_str(get(leaf, "memory.low"), "52428800", "memory.low untouched");
	is_str(get(leaf, "cpu.weight"), "39", "cpu.weight untouched");
	run_resources_free(r);

	/* swap == memory: no swap */
	r = res_from("{\"memory\":{\"limit\":1000000,\"swap\":1000000}}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) == 0, "swap equal to memory");
	is_str(get(leaf, "memory.swap.max"), "0", "memory.swap.max 0");
	run_resources_free(r);

	/* BFQ's io.bfq.weight takes the blkio scale */
	put(leaf, "io.bfq.weight", "");
	r = res_from("{\"blockIO\":{\"weight\":300}}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) == 0, "io with bfq");
	is_str(get(leaf, "io.bfq.weight"), "300", "io.bfq.weight");
	run_resources_free(r);

	/* errors */
	r = res_from("{\"memory\":{\"limit\":100,\"swap\":50}}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) < 0 && e &&
		   strstr(e->msg, "below the memory limit"),
	   "swap below memory: error");
	oci_err_clear(&e);
	run_resources_free(r);
	r = res_from("{\"unified\":{\"memory.oom.group\":\"1\"}}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) < 0 && e &&
		   strstr(e->msg, "linux.resources.unified: cannot set 'memory.oom.group'"),
	   "unified key without a file: error names it");
	if (e)
		diag("%s", e->msg);
	oci_err_clear(&e);
	run_resources_free(r);
	r = res_from("{\"cpu\":{\"realtimeRuntime\":100}}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) < 0 && e && strstr(e->msg, "need cgroup v1"),
	   "realtime on v2: error");
	oci_err_clear(&e);
	run_resources_free(r);
	r = res_from("{\"hugepageLimits\":[{\"pageSize\":\"64KB\",\"limit\":1}]}");
	ok(run_cg2_apply(leaf, r, RUN_CG_ALL, &e) < 0 && e && strstr(e->msg, "hugetlb.64KB.max"),
	   "unsupported page size: error");
	oci_err_clear(&e);
	run_resources_free(r);
	_cleanup_free_ char *swapless = oci_path_join(root, "swapless");
	make_level(swapless, false);
	put(swapless, "memory.max", "");
	r = res_from("{\"memory\":{\"limit\":100,\"swap\":200}}");
	ok(run_cg2_apply(swapless, r, RUN_CG_ALL, &e) < 0 && e &&
		   strstr(e->msg, "no swap accounting"),
	   "swap without memory.swap.max: error");
	oci_err_clear(&e);
	run_resources_free(r);

	/* a controller wanted but not available */
	char *want[] = { "memory", "misc", NULL };
	ok(run_cg2_create(root, "/other", want, &e) < 0 && e &&
		   strstr(e->msg, "the 'misc' controller is not available"),
	   "missing controller: clear error");
	oci_err_clear(&e);

	/* stats */
	put(leaf, "memory.current", "123456\n");
	put(leaf, "memory.peak", "200000\n");
	put(leaf, "memory.max", "max\n");
	put(leaf, "memory.events", "low 0\nhigh 0\nmax 7\noom 1\n");
	put(leaf, "cpu.stat", "usage_usec 5000\nuser_usec 3000\nsystem_usec 2000\n");
	put(leaf, "pids.current", "2\n");
	put(leaf, "pids.max", "max\n");
	struct run_cgroup_stats st = { 0 };
	ok(cg->ops->stats(cg, &st, &e) == 0, "stats");
	ok(st.has_memory && st.memory_usage == 123456 && st.memory_max_usage == 200000 &&
		   st.memory_limit == UINT64_MAX && st.memory_failcnt == 7,
	   "memory stats");
	ok(st.has_cpu && st.cpu_total_ns == 5000000 && st.cpu_user_ns == 3000000 &&
		   st.cpu_kernel_ns == 2000000,
	   "cpu stats");
	ok(st.has_pids && st.pids_current == 2 && st.pids_limit == 0, "pids stats");
	json_auto_t *j = run_cgroup_stats_json(&st);
	_cleanup_free_ char *js = oci_json_dumps_compact(j);
	ok(strstr(js, "\"pids\":{\"current\":2,\"limit\":0}") &&
		   strstr(js, "\"total\":5000000") && strstr(js, "\"limit\":9223372036854775807"),
	   "stats json");
	diag("%s", js);

	/* pids recursive */
	put(leaf, "cgroup.procs", "10\n11\n");
	_cleanup_free_ char *sub = oci_path_join(leaf, "sub");
	make_level(sub, true);
	put(sub, "cgroup.procs", "12\n");
	pid_t *pids = NULL;
	size_t n = 0;
	ok(cg->ops->pids(cg, &pids, &n, &e) == 0 && n == 3 && pids[2] == 12, "pids below too");
	free(pids);

	run_cgroup_free(cg);
	ok(oci_rm_rf(root, &e) == 0, "fake tree removed");
	free(root);
	done_testing();
	return exit_status();
}
