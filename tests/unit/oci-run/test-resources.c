/* LinuxResources unpacking (oci-run/resources.c): every section, the errors
 * naming the JSON path, merge for update, and the v2 conversions. */
#include "tap.h"

#include "json.h"
#include "resources.h"
#include "util.h"

static struct run_resources *parse(const char *doc, const char *path, char **ret_err)
{
	json_auto_t *j = NULL;
	struct oci_err *e = NULL;
	struct run_resources *r = NULL;
	*ret_err = NULL;
	if (oci_json_load_buf(doc, strlen(doc), "test", &j, &e) < 0 ||
	    run_resources_from_json(j, path, &r, &e) < 0) {
		*ret_err = xstrdup(e->msg);
		oci_err_free(e);
		return NULL;
	}
	return r;
}

static void expect_error(const char *doc, const char *want)
{
	char *msg = NULL;
	struct run_resources *r = parse(doc, "linux.resources", &msg);
	ok(!r && msg && strstr(msg, want), "error '%s'", want);
	if (msg && !strstr(msg, want))
		diag("got: %s", msg);
	run_resources_free(r);
	free(msg);
}

int main(void)
{
	char *msg = NULL;
	const char *full =
		"{\"memory\":{\"limit\":104857600,\"reservation\":52428800,\"swap\":209715200,"
		"\"kernel\":1000,\"kernelTCP\":2000,\"swappiness\":10,\"disableOOMKiller\":true},"
		"\"cpu\":{\"shares\":512,\"quota\":50000,\"period\":100000,\"realtimeRuntime\":9,"
		"\"realtimePeriod\":10,\"cpus\":\"0-1\",\"mems\":\"0\",\"idle\":1,\"burst\":7},"
		"\"pids\":{\"limit\":32},"
		"\"blockIO\":{\"weight\":300,\"leafWeight\":200,\"weightDevice\":[{\"major\":8,"
		"\"minor\":0,\"weight\":500}],\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0,"
		"\"rate\":1048576}],\"throttleWriteIOPSDevice\":[{\"major\":8,\"minor\":16,\"rate\":"
		"100}]},"
		"\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}],"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
		"\"major\":1,\"minor\":3,\"access\":\"wr\"},{\"allow\":true,\"type\":\"c\",\"major\":"
		"136,\"access\":\"rwm\"}],"
		"\"rdma\":{\"mlx5_1\":{\"hcaHandles\":3,\"hcaObjects\":10000}},"
		"\"unified\":{\"memory.high\":\"50000000\",\"io.max\":\"8:0 rbps=1\"},"
		"\"network\":{\"classID\":1},\"x-unknown\":true}";
	struct run_resources *r = parse(full, "linux.resources", &msg);
	ok(r != NULL, "full document parses");
	if (!r) {
		diag("%s", msg);
		return 1;
	}
	ok(r->memory.has_limit && r->memory.limit == 104857600, "memory.limit");
	ok(r->memory.has_reservation && r->memory.reservation == 52428800, "memory.reservation");
	ok(r->memory.has_swap && r->memory.swap == 209715200, "memory.swap");
	ok(r->memory.has_kernel && r->memory.kernel == 1000, "memory.kernel kept (ignored later)");
	ok(r->memory.has_swappiness && r->memory.swappiness == 10, "memory.swappiness");
	ok(r->memory.has_disable_oom_killer && r->memory.disable_oom_killer, "disableOOMKiller");
	ok(r->cpu.has_shares && r->cpu.shares == 512, "cpu.shares");
	ok(r->cpu.has_quota && r->cpu.quota == 50000, "cpu.quota");
	ok(r->cpu.has_period && r->cpu.period == 100000, "cpu.period");
	ok(r->cpu.has_rt_runtime && r->cpu.rt_runtime == 9 && r->cpu.rt_period == 10,
	   "cpu realtime");
	is_str(r->cpu.cpus, "0-1", "cpu.cpus");
	is_str(r->cpu.mems, "0", "cpu.mems");
	ok(r->cpu.has_idle && r->cpu.idle == 1 && r->cpu.has_burst && r->cpu.burst == 7,
	   "cpu.idle and burst");
	ok(r->has_pids_limit && r->pids_limit == 32, "pids.limit");
	ok(r->blkio.has_weight && r->blkio.weight == 300 && r->blkio.leaf_weight == 200,
	   "blockIO weights");
	ok(r->blkio.n_weight_devices == 1 && r->blkio.weight_devices[0].major == 8 &&
		   r->blkio.weight_devices[0].weight == 500 &&
		   !r->blkio.weight_devices[0].has_leaf_weight,
	   "weightDevice");
	ok(r->blkio.n_throttle[RUN_THROTTLE_READ_BPS] == 1 &&
		   r->blkio.throttle[RUN_THROTTLE_READ_BPS][0].rate == 1048576,
	   "throttleReadBpsDevice");
	ok(r->blkio.n_throttle[RUN_THROTTLE_WRITE_IOPS] == 1 &&
		   r->blkio.throttle[RUN_THROTTLE_WRITE_IOPS][0].minor == 16,
	   "throttleWriteIOPSDevice");
	ok(r->n_hugepages == 1 && streq(r->hugepages[0].page_size, "2MB") &&
		   r->hugepages[0].limit == 4194304,
	   "hugepageLimits");
	ok(r->has_devices && r->n_devices == 3, "three device rules");
	ok(!r->devices[0].allow && r->devices[0].type == 'a' &&
		   r->devices[0].major == RUN_DEV_ANY,
	   "deny all defaults to type a, any major");
	is_str(r->devices[1].access, "rw", "access normalised to rw");
	char *s = run_device_rule_string(&r->devices[1]);
	is_str(s, "c 1:3 rw", "rule string");
	free(s);
	s = run_device_rule_string(&r->devices[2]);
	is_str(s, "c 136:* rwm", "wildcard minor");
	free(s);
	s = run_device_rule_string(&r->devices[0]);
	is_str(s, "a *:* rwm", "type a");
	free(s);
	ok(r->n_rdma == 1 && streq(r->rdma[0].device, "mlx5_1") && r->rdma[0].hca_handles == 3 &&
		   r->rdma[0].hca_objects == 10000,
	   "rdma");
	ok(r->unified && oci_strv_len(r->unified) == 4, "unified has two keys");

	/* merge (update): the new values win, the others stay */
	struct run_resources *u = parse("{\"memory\":{\"limit\":-1},\"pids\":{\"limit\":5},"
					"\"cpu\":{\"cpus\":\"1\"},\"unified\":{\"memory.high\":"
					"\"max\",\"pids.max\":\"9\"}}",
					"", &msg);
	ok(u != NULL, "update document parses");
	run_resources_merge(r, u);
	ok(r->memory.limit == -1 && r->memory.swap == 209715200, "merge memory");
	ok(r->pids_limit == 5 && r->cpu.shares == 512, "merge pids, shares kept");
	is_str(r->cpu.cpus, "1", "merge cpus");
	ok(oci_strv_len(r->unified) == 6 && streq(r->unified[1], "max"), "merge unified keys");
	run_resources_free(u);

	run_resources_add_default_devices(r);
	ok(r->n_devices == 3 + 11, "default devices appended");
	s = run_device_rule_string(&r->devices[3]);
	is_str(s, "c *:* m", "first default is mknod of any char device");
	free(s);
	run_resources_free(r);

	/* empty and minimal */
	r = parse("{}", "", &msg);
	ok(r && !r->memory.has_limit && !r->has_devices && !r->unified, "empty object");
	run_resources_free(r);
	r = parse("{\"memory\":{\"swappiness\":-1},\"pids\":{}}", "", &msg);
	ok(r && !r->memory.has_swappiness && !r->has_pids_limit, "swappiness -1 is unset");
	run_resources_free(r);

	/* errors name the path */
	expect_error("{\"memory\":{\"limit\":\"1G\"}}",
		     "linux.resources.memory.limit: expected an integer");
	expect_error("{\"memory\":{\"limit\":-5}}", "linux.resources.memory.limit:");
	expect_error("{\"memory\":{\"swappiness\":101}}", "linux.resources.memory.swappiness:");
	expect_error("{\"memory\":[]}", "linux.resources.memory: expected an object");
	expect_error("{\"cpu\":{\"shares\":-2}}",
		     "linux.resources.cpu.shares: expected a non-negative integer");
	expect_error("{\"cpu\":{\"quota\":-7}}", "linux.resources.cpu.quota:");
	expect_error("{\"cpu\":{\"cpus\":3}}", "linux.resources.cpu.cpus: expected a string");
	expect_error("{\"pids\":{\"limit\":true}}", "linux.resources.pids.limit: expected an integer");
	expect_error("{\"blockIO\":{\"weight\":70000}}", "linux.resources.blockIO.weight:");
	expect_error("{\"blockIO\":{\"weightDevice\":[{\"minor\":0}]}}",
		     "linux.resources.blockIO.weightDevice[0].major: required field is missing");
	expect_error("{\"blockIO\":{\"throttleReadBpsDevice\":[{\"major\":8,\"minor\":0}]}}",
		     "linux.resources.blockIO.throttleReadBpsDevice[0].rate: required");
	expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2XB\",\"limit\":1}]}",
		     "linux.resources.hugepageLimits[0].pageSize: invalid page size '2XB'");
	expect_error("{\"hugepageLimits\":[{\"pageSize\":\"2MB\"}]}",
		     "linux.resources.hugepageLimits[0].limit: required");
	expect_error("{\"devices\":[{\"access\":\"rwm\"}]}",
		     "linux.resources.devices[0].allow: required field is missing");
	expect_error("{\"devices\":[{\"allow\":true,\"type\":\"x\"}]}",
		     "linux.resources.devices[0].type: invalid device type 'x'");
	expect_error("{\"devices\":[{\"allow\":true,\"access\":\"rwx\"}]}",
		     "linux.resources.devices[0].access: invalid access 'rwx'");
	expect_error("{\"devices\":[{\"allow\":true,\"major\":-3}]}",
		     "linux.resources.devices[0].major:");
	expect_error("{\"unified\":{\"../memory.max\":\"1\"}}",
		     "linux.resources.unified: invalid key '../memory.max'");
	expect_error("{\"unified\":{\"a/b\":\"1\"}}", "linux.resources.unified: invalid key 'a/b'");
	expect_error("{\"unified\":{\"memory.max\":1}}", "linux.resources.unified.memory.max");
	expect_error("{\"rdma\":{\"mlx\":{\"hcaHandles\":-1}}}", "linux.resources.rdma.mlx.hcaHandles");
	expect_error("[]", "linux.resources: expected an object");

	/* a whole update document from a buffer */
	struct oci_err *e = NULL;
	const char *bad = "{\"memory\":{\"limit\":\"x\"}}";
	ok(run_resources_parse(bad, strlen(bad), "res.json", &r, &e) < 0 && e &&
		   strstr(e->msg, "res.json: memory.limit: expected an integer"),
	   "update file error names file and path");
	if (e)
		diag("%s", e->msg);
	oci_err_clear(&e);
	ok(run_resources_parse("{", 1, "res.json", &r, &e) < 0 && e && strstr(e->msg, "res.json"),
	   "syntax error names the file");
	oci_err_clear(&e);

	/* conversions */
	is_int(run_cpu_shares_to_weight(0), 0, "shares 0 -> unset");
	is_int(run_cpu_shares_to_weight(2), 1, "shares 2 -> weight 1");
	is_int(run_cpu_shares_to_weight(1024), 39, "shares 1024 -> weight 39");
	is_int(run_cpu_shares_to_weight(262144), 10000, "shares 262144 -> weight 10000");
	is_int(run_blkio_weight_to_io_weight(10), 1, "blkio 10 -> io 1");
	is_int(run_blkio_weight_to_io_weight(500), 4950, "blkio 500 -> io 4950");
	is_int(run_blkio_weight_to_io_weight(1000), 10000, "blkio 1000 -> io 10000");
	int64_t sw = 0;
	ok(run_memory_swap_to_v2(300, 100, &sw, &e) == 0 && sw == 200, "swap 300 mem 100 -> 200");
	ok(run_memory_swap_to_v2(-1, 100, &sw, &e) == 0 && sw == -1, "swap -1 -> max");
	ok(run_memory_swap_to_v2(0, -1, &sw, &e) == 0 && sw == -1, "memory -1 alone -> swap max");
	ok(run_memory_swap_to_v2(0, 100, &sw, &e) == 0 && sw == 0, "no swap -> unset");
	ok(run_memory_swap_to_v2(100, 100, &sw, &e) == 0 && sw == 0, "swap == memory -> 0");
	ok(run_memory_swap_to_v2(50, 100, &sw, &e) < 0 && e, "swap below memory -> error");
	oci_err_clear(&e);
	ok(run_memory_swap_to_v2(50, 0, &sw, &e) < 0 && e &&
		   strstr(e->msg, "without a memory limit"),
	   "swap without memory -> error");
	oci_err_clear(&e);
	is_int(run_hugepage_size_bytes("2MB"), 2 << 20, "2MB");
	is_int(run_hugepage_size_bytes("1GB"), 1 << 30, "1GB");
	is_int(run_hugepage_size_bytes("64KB"), 64 << 10, "64KB");
	is_int(run_hugepage_size_bytes("MB"), 0, "no number");
	/* update flags */
	int64_t m = 0;
	ok(run_parse_memory_size("512m", &m) == 0 && m == 536870912, "512m");
	ok(run_parse_memory_size("1G", &m) == 0 && m == 1073741824, "1G");
	ok(run_parse_memory_size("1.5k", &m) == 0 && m == 1536, "1.5k");
	ok(run_parse_memory_size("100", &m) == 0 && m == 100, "plain bytes");
	ok(run_parse_memory_size("-1", &m) == 0 && m == -1, "-1 unlimited");
	ok(run_parse_memory_size("0x10", &m) < 0 && run_parse_memory_size("1e3", &m) < 0 &&
		   run_parse_memory_size("1E3k", &m) < 0 && run_parse_memory_size("inf", &m) < 0 &&
		   run_parse_memory_size("1.", &m) < 0 && run_parse_memory_size("1.k", &m) < 0,
	   "hex, exponents, inf and a bare point are refused");
	ok(run_parse_memory_size("12q", &m) < 0 && run_parse_memory_size("", &m) < 0 &&
		   run_parse_memory_size("-5", &m) < 0,
	   "bad sizes refused");
	r = run_resources_new();
	ok(run_resources_set_flag(r, "memory", "256m", &e) == 0 &&
		   run_resources_set_flag(r, "memory-swap", "-1", &e) == 0 &&
		   run_resources_set_flag(r, "cpu-share", "512", &e) == 0 &&
		   run_resources_set_flag(r, "cpu-quota", "-1", &e) == 0 &&
		   run_resources_set_flag(r, "pids-limit", "20", &e) == 0 &&
		   run_resources_set_flag(r, "cpuset-cpus", "0-1", &e) == 0 &&
		   run_resources_set_flag(r, "blkio-weight", "300", &e) == 0,
	   "flags set");
	ok(r->memory.limit == 268435456 && r->memory.swap == -1 && r->cpu.shares == 512 &&
		   r->cpu.quota == -1 && r->pids_limit == 20 && streq(r->cpu.cpus, "0-1") &&
		   r->blkio.weight == 300,
	   "flag values");
	ok(run_resources_set_flag(r, "memory", "lots", &e) < 0 && e &&
		   strstr(e->msg, "--memory: invalid size 'lots'"),
	   "bad flag value names the flag");
	oci_err_clear(&e);
	ok(run_resources_set_flag(r, "cpu-share", "-3", &e) < 0 && e &&
		   strstr(e->msg, "--cpu-share: invalid number"),
	   "negative shares refused");
	oci_err_clear(&e);
	size_t nflags = 0;
	for (const char *const *f = run_update_flags; *f; f++) {
		struct oci_err *fe = NULL;
		if (run_resources_set_flag(r, *f, "1", &fe) == 0)
			nflags++;
		oci_err_clear(&fe);
	}
	is_int(nflags, 14, "every listed flag is accepted");
	run_resources_free(r);
	done_testing();
	return exit_status();
}
