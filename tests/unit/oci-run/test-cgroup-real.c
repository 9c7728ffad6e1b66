/* The cgroup layer on this host's real hierarchies (root only): cgroups
 * created and removed in the unified hierarchy, a process moved in, freeze
 * and thaw, cgroup.kill, the BPF device program (/dev/null allowed, /dev/zero
 * denied), hugetlb; and on v1: memory, pids (a fork fails), cpu, cpuset and
 * devices limits on a child, through the whole create / update / freeze /
 * stats / kill / remove API. Everything made here is removed at exit, also
 * after a failure. */
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "cgroup_internal.h"
#include "fs.h"
#include "resources.h"
#include "util.h"

static char name[64];		/* "oci-run-test-PID": our top directory everywhere */
static struct run_cg_layout *layout;
static pid_t children[16];
static size_t n_children;
static bool enabled_hugetlb;

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void remove_top(const char *mount)
{
	_cleanup_free_ char *top = oci_path_join(mount, name);
	if (access(top, F_OK) < 0)
		return;
	struct oci_err *e = NULL;
	/* thaw and empty first: a frozen or busy cgroup cannot go */
	if (run_cg_exists(top, "freezer.state") && run_cg_write(top, "freezer.state", "THAWED", &e) < 0)
		oci_err_clear(&e);
	if (run_cg_signal_procs(top, SIGKILL, &e) < 0)
		oci_err_clear(&e);
	if (run_cg_rmdir(mount, top, 2000, &e) < 0) {
		printf("# cleanup: %s\n", e->msg);
		oci_err_clear(&e);
	}
}

static void cleanup(void)
{
	for (size_t i = 0; i < n_children; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGKILL);
			waitpid(children[i], NULL, 0);
		}
	}
	if (!layout)
		return;
	for (size_t i = 0; i < layout->n_v1; i++)
		remove_top(layout->v1[i].mount);
	if (layout->unified) {
		remove_top(layout->unified);
		if (enabled_hugetlb) {
			struct oci_err *e = NULL;
			if (run_cg_write(layout->unified, "cgroup.subtree_control", "-hugetlb", &e) < 0)
				oci_err_clear(&e);
		}
	}
	/* the default-path test */
	struct oci_err *e = NULL;
	_cleanup_free_ char *id = xasprintf("%s-default", name);
	if (run_cgroup_remove(NULL, id, false, &e) < 0)
		oci_err_clear(&e);
}

static void on_signal(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void track(pid_t pid)
{
	if (n_children < ARRAY_SIZE(children))
		children[n_children++] = pid;
}

static void reap(pid_t pid, int *status)
{
	waitpid(pid, status, 0);
	for (size_t i = 0; i < n_children; i++)
		if (children[i] == pid)
			children[i] = 0;
}

/* A child that writes a byte to fd every 5 ms. */
static pid_t ticker(int *ret_rfd)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		for (;;) {
			if (write(p[1], "t", 1) < 0)
				_exit(1);
			sleep_ms(5);
		}
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	*ret_rfd = p[0];
	track(pid);
	return pid;
}

static size_t drain(int fd)
{
	char buf[4096];
	size_t total = 0;
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		total += (size_t)n;
	return total;
}

/* A child that waits for a byte on go, then runs what and writes one
 * result byte (an errno value, or a count) per check to res. */
struct probe {
	pid_t pid;
	int go, res;
};

static int probe_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);
	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

enum { PROBE_DEVICES, PROBE_FORKS, PROBE_SLEEP };

static int probe_start(struct probe *p, int what)
{
	int a[2], b[2];
	if (pipe2(a, O_CLOEXEC) < 0 || pipe2(b, O_CLOEXEC) < 0)
		return -1;
	p->pid = fork();
	if (p->pid == 0) {
		close(a[1]);
		close(b[0]);
		char c;
		if (read(a[0], &c, 1) != 1)
			_exit(1);
		unsigned char out[4] = { 0 };
		size_t n = 0;
		if (what == PROBE_DEVICES) {
			out[n++] = (unsigned char)probe_open("/dev/null", O_RDWR);
			out[n++] = (unsigned char)probe_open("/dev/zero", O_RDONLY);
			out[n++] = (unsigned char)probe_open("/dev/zero", O_WRONLY);
			out[n++] = (unsigned char)probe_open("/dev/kmsg", O_RDONLY);
		} else if (what == PROBE_FORKS) {
			pid_t kids[8];
			int made = 0, last_errno = 0;
			for (int i = 0; i < 8; i++) {
				kids[i] = fork();
				if (kids[i] == 0) {
					pause();
					_exit(0);
				}
				if (kids[i] < 0)
					last_errno = errno;
				else
					made++;
			}
			for (int i = 0; i < 8; i++)
				if (kids[i] > 0) {
					kill(kids[i], SIGKILL);
					waitpid(kids[i], NULL, 0);
				}
			out[n++] = (unsigned char)made;
			out[n++] = (unsigned char)last_errno;
		}
		if (write(b[1], out, n) < 0)
			_exit(1);
		if (what == PROBE_SLEEP || what == PROBE_FORKS)
			for (;;)
				pause();
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	p->go = a[1];
	p->res = b[0];
	track(p->pid);
	return 0;
}

static int probe_run(struct probe *p, unsigned char *out, size_t n)
{
	if (write(p->go, "g", 1) != 1)
		return -1;
	size_t got = 0;
	while (got < n) {
		ssize_t r = read(p->res, out + got, n - got);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static void probe_end(struct probe *p)
{
	close(p->go);
	close(p->res);
	kill(p->pid, SIGKILL);
	reap(p->pid, NULL);
}

static bool in_cgroup(pid_t pid, const char *prefix_line)
{
	_cleanup_free_ char *path = xasprintf("/proc/%d/cgroup", (int)pid);
	_cleanup_free_ char *s = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file(path, 0, &s, &len, &e) < 0) {
		oci_err_free(e);
		return false;
	}
	return strstr(s, prefix_line) != NULL;
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

static void report(struct oci_err **e)
{
	if (*e) {
		diag("%s", (*e)->msg);
		oci_err_clear(e);
	}
}

static void test_unified(void)
{
	const char *u = layout->unified;
	struct oci_err *e = NULL;
	char *none[] = { NULL };
	_cleanup_free_ char *rel = xasprintf("/%s/a", name);
	_cleanup_free_ char *top = oci_path_join(u, name);
	_cleanup_free_ char *dir = oci_path_join(u, rel);

	ok(run_cg2_create(u, rel, none, &e) == 0, "unified: create %s", rel);
	report(&e);
	ok(access(dir, F_OK) == 0 && run_cg_exists(dir, "cgroup.procs"), "unified: cgroup exists");

	int tick = -1;
	pid_t t = ticker(&tick);
	ok(run_cg_writef(dir, "cgroup.procs", &e, "%d", (int)t) == 0, "unified: process moved in");
	report(&e);
	_cleanup_free_ char *line = xasprintf("0::%s\n", rel);
	ok(in_cgroup(t, line), "unified: /proc/PID/cgroup shows %s", rel);

	/* freeze: the ticker stops writing; thaw: it goes on */
	sleep_ms(30);
	ok(drain(tick) > 0, "unified: the ticker runs");
	ok(run_cg2_freeze(dir, true, 5000, &e) == 0, "unified: cgroup.freeze 1");
	report(&e);
	uint64_t frozen = 0;
	ok(run_cg_read_keyed(dir, "cgroup.events", "frozen", &frozen) == 0 && frozen == 1,
	   "unified: cgroup.events frozen 1");
	drain(tick);
	sleep_ms(60);
	is_int(drain(tick), 0, "unified: no tick while frozen");
	ok(run_cg2_freeze(dir, false, 5000, &e) == 0, "unified: cgroup.freeze 0");
	report(&e);
	sleep_ms(60);
	ok(drain(tick) > 0, "unified: ticks again after thaw");

	/* pids */
	int tick2 = -1;
	pid_t t2 = ticker(&tick2);
	ok(run_cg_writef(dir, "cgroup.procs", &e, "%d", (int)t2) == 0, "unified: second process");
	pid_t *pids = NULL;
	size_t n = 0;
	ok(run_cg_read_pids(top, true, &pids, &n, &e) == 0 && n == 2, "unified: two pids below %s",
	   name);
	free(pids);

	/* cgroup.kill */
	bool has_kill = run_cg_exists(dir, "cgroup.kill");
	ok(run_cg2_kill(dir, SIGKILL, &e) == 0, "unified: kill (%s)",
	   has_kill ? "cgroup.kill" : "cgroup.procs");
	report(&e);
	int st1 = 0, st2 = 0;
	reap(t, &st1);
	reap(t2, &st2);
	ok(WIFSIGNALED(st1) && WTERMSIG(st1) == SIGKILL && WIFSIGNALED(st2) &&
		   WTERMSIG(st2) == SIGKILL,
	   "unified: both killed by SIGKILL");
	close(tick);
	close(tick2);

	/* BPF device program */
	_cleanup_free_ char *brel = xasprintf("/%s/devices", name);
	_cleanup_free_ char *bdir = oci_path_join(u, brel);
	ok(run_cg2_create(u, brel, none, &e) == 0, "bpf: cgroup created");
	struct run_resources *r = res_from("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},"
					   "{\"allow\":true,\"type\":\"c\",\"major\":1,\"minor\":3,"
					   "\"access\":\"rw\"}]}");
	ok(run_cg2_apply(bdir, r, RUN_CG_DEVICES, &e) == 0, "bpf: program attached");
	report(&e);
	run_resources_free(r);
	struct probe p;
	unsigned char out[4] = { 0xff, 0xff, 0xff, 0xff };
	probe_start(&p, PROBE_DEVICES);
	ok(run_cg_writef(bdir, "cgroup.procs", &e, "%d", (int)p.pid) == 0, "bpf: probe moved in");
	ok(probe_run(&p, out, 4) == 0, "bpf: probe ran");
	is_int(out[0], 0, "bpf: /dev/null opens (allowed)");
	is_int(out[1], EPERM, "bpf: /dev/zero read is EPERM (denied)");
	is_int(out[2], EPERM, "bpf: /dev/zero write is EPERM (denied)");
	is_int(out[3], EPERM, "bpf: /dev/kmsg is EPERM (denied)");
	probe_end(&p);

	/* replaced: all allowed, but writes to /dev/zero denied */
	r = res_from("{\"devices\":[{\"allow\":true,\"access\":\"rwm\"},{\"allow\":false,"
		     "\"type\":\"c\",\"major\":1,\"minor\":5,\"access\":\"w\"}]}");
	ok(run_cg2_apply(bdir, r, RUN_CG_DEVICES, &e) == 0, "bpf: program replaced");
	report(&e);
	run_resources_free(r);
	memset(out, 0xff, sizeof(out));
	probe_start(&p, PROBE_DEVICES);
	ok(run_cg_writef(bdir, "cgroup.procs", &e, "%d", (int)p.pid) == 0, "bpf: probe 2 moved in");
	ok(probe_run(&p, out, 4) == 0, "bpf: probe 2 ran");
	is_int(out[0], 0, "bpf: /dev/null still opens");
	is_int(out[1], 0, "bpf: /dev/zero read now allowed (the old program is detached)");
	is_int(out[2], EPERM, "bpf: /dev/zero write denied by the w-only deny rule");
	is_int(out[3], 0, "bpf: /dev/kmsg allowed by the allow-all rule");
	probe_end(&p);

	/* hugetlb */
	_cleanup_free_ char *ctrls = NULL;
	if (run_cg_read(u, "cgroup.controllers", &ctrls, &e) < 0)
		oci_err_clear(&e);
	if (ctrls && strstr(ctrls, "hugetlb")) {
		_cleanup_free_ char *sc = NULL;
		if (run_cg_read(u, "cgroup.subtree_control", &sc, &e) < 0)
			oci_err_clear(&e);
		enabled_hugetlb = !sc || !strstr(sc, "hugetlb");
		_cleanup_free_ char *hrel = xasprintf("/%s/huge", name);
		_cleanup_free_ char *hdir = oci_path_join(u, hrel);
		char *want[] = { "hugetlb", NULL };
		ok(run_cg2_create(u, hrel, want, &e) == 0, "hugetlb: cgroup with hugetlb enabled");
		report(&e);
		r = res_from("{\"hugepageLimits\":[{\"pageSize\":\"2MB\",\"limit\":4194304}]}");
		ok(run_cg2_apply(hdir, r, RUN_CG_HUGETLB, &e) == 0, "hugetlb: limit written");
		report(&e);
		run_resources_free(r);
		_cleanup_free_ char *v = NULL;
		ok(run_cg_read(hdir, "hugetlb.2MB.max", &v, &e) == 0 && streq(v, "4194304"),
		   "hugetlb: hugetlb.2MB.max reads 4194304");
		report(&e);
		ok(run_cg_rmdir(u, hdir, 1000, &e) == 0 && access(hdir, F_OK) < 0,
		   "hugetlb: cgroup removed");
	} else {
		skip("no hugetlb controller in the unified hierarchy", "hugetlb: limit");
	}

	/* removal: the leaves, then the parent we made */
	ok(run_cg_rmdir(u, bdir, 1000, &e) == 0, "bpf: cgroup removed");
	report(&e);
	ok(run_cg_rmdir(u, dir, 1000, &e) == 0, "unified: leaf removed");
	report(&e);
	ok(access(dir, F_OK) < 0 && access(top, F_OK) < 0,
	   "unified: leaf and the empty parent we made are gone");
}

static void test_v1(void)
{
	struct oci_err *e = NULL;
	const struct run_cg_hier *hm = run_cg_layout_v1(layout, "memory");
	const struct run_cg_hier *hp = run_cg_layout_v1(layout, "pids");
	const struct run_cg_hier *hc = run_cg_layout_v1(layout, "cpu");
	const struct run_cg_hier *hd = run_cg_layout_v1(layout, "devices");
	const struct run_cg_hier *hs = run_cg_layout_v1(layout, "cpuset");
	if (!hm || !hp || !hc || !hd || !hs) {
		skip("no v1 memory, pids, cpu, devices and cpuset hierarchies", "v1: limits");
		return;
	}
	_cleanup_free_ char *cpath = xasprintf("/%s/v1", name);
	struct run_spec spec;
	memset(&spec, 0, sizeof(spec));
	spec.cgroups_path = cpath;
	const char *id = "v1test";

	struct run_resources *r = res_from(
		"{\"memory\":{\"limit\":67108864,\"reservation\":33554432,\"swappiness\":20,"
		"\"kernel\":1},"
		"\"cpu\":{\"shares\":512,\"quota\":20000,\"period\":100000,\"cpus\":\"0\"},"
		"\"pids\":{\"limit\":3},"
		"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
		"\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	struct probe fp, dp;
	probe_start(&fp, PROBE_FORKS);
	ok(run_cgroup_create(cpath, id, fp.pid, false, r, &e) == 0, "v1: create with limits");
	report(&e);
	run_resources_free(r);
	_cleanup_free_ char *mline = xasprintf(":memory:%s\n", cpath);
	_cleanup_free_ char *uline = xasprintf("0::%s\n", cpath);
	ok(in_cgroup(fp.pid, mline), "v1: the child is in memory:%s", cpath);
	if (layout->unified)
		ok(in_cgroup(fp.pid, uline), "hybrid: the child is in the unified %s too", cpath);
	_cleanup_free_ char *md = oci_path_join(hm->mount, cpath);
	_cleanup_free_ char *pd = oci_path_join(hp->mount, cpath);
	_cleanup_free_ char *cd = oci_path_join(hc->mount, cpath);
	_cleanup_free_ char *dd = oci_path_join(hd->mount, cpath);
	_cleanup_free_ char *sd = oci_path_join(hs->mount, cpath);
	uint64_t v = 0;
	ok(run_cg_read_u64(md, "memory.limit_in_bytes", &v) == 0 && v == 67108864,
	   "v1: memory.limit_in_bytes 64 MiB");
	ok(run_cg_read_u64(md, "memory.soft_limit_in_bytes", &v) == 0 && v == 33554432,
	   "v1: memory.soft_limit_in_bytes");
	ok(run_cg_read_u64(md, "memory.swappiness", &v) == 0 && v == 20, "v1: memory.swappiness");
	ok(run_cg_read_u64(pd, "pids.max", &v) == 0 && v == 3, "v1: pids.max 3");
	ok(run_cg_read_u64(cd, "cpu.shares", &v) == 0 && v == 512, "v1: cpu.shares");
	ok(run_cg_read_u64(cd, "cpu.cfs_quota_us", &v) == 0 && v == 20000, "v1: cpu.cfs_quota_us");
	_cleanup_free_ char *cpus = NULL, *mems = NULL, *list = NULL;
	ok(run_cg_read(sd, "cpuset.cpus", &cpus, &e) == 0 && streq(cpus, "0"), "v1: cpuset.cpus 0");
	ok(run_cg_read(sd, "cpuset.mems", &mems, &e) == 0 && *mems, "v1: cpuset.mems copied (%s)",
	   mems ? mems : "?");
	ok(run_cg_read(dd, "devices.list", &list, &e) == 0 && streq(list, "c 1:3 rwm"),
	   "v1: devices.list is 'c 1:3 rwm'");
	if (list && !streq(list, "c 1:3 rwm"))
		diag("devices.list: %s", list);

	unsigned char out[4] = { 0xff, 0xff, 0xff, 0xff };
	ok(probe_run(&fp, out, 2) == 0, "v1: fork probe ran");
	is_int(out[0], 2, "v1: pids.max 3 lets the child fork twice");
	is_int(out[1], EAGAIN, "v1: the third fork fails with EAGAIN");

	/* devices through v1 in a second container */
	_cleanup_free_ char *cpath2 = xasprintf("/%s/v1dev", name);
	r = res_from("{\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,"
		     "\"type\":\"c\",\"major\":1,\"minor\":3,\"access\":\"rwm\"}]}");
	probe_start(&dp, PROBE_DEVICES);
	ok(run_cgroup_create(cpath2, "v1dev", dp.pid, false, r, &e) == 0, "v1: devices container");
	report(&e);
	run_resources_free(r);
	memset(out, 0xff, sizeof(out));
	ok(probe_run(&dp, out, 4) == 0, "v1: devices probe ran");
	is_int(out[0], 0, "v1: /dev/null opens");
	is_int(out[1], EPERM, "v1: /dev/zero is EPERM");
	is_int(out[3], EPERM, "v1: /dev/kmsg is EPERM");
	probe_end(&dp);
	ok(run_cgroup_remove(cpath2, "v1dev", false, &e) == 0, "v1: devices container removed");
	report(&e);

	/* update */
	r = res_from("{\"pids\":{\"limit\":10},\"memory\":{\"limit\":134217728}}");
	ok(run_cgroup_update(&spec, id, false, r, &e) == 0, "v1: update");
	report(&e);
	run_resources_free(r);
	ok(run_cg_read_u64(pd, "pids.max", &v) == 0 && v == 10, "v1: pids.max now 10");
	ok(run_cg_read_u64(md, "memory.limit_in_bytes", &v) == 0 && v == 134217728,
	   "v1: memory.limit_in_bytes now 128 MiB");

	/* unlimited memory under a memsw limit: accepted only with memsw first */
	r = res_from("{\"memory\":{\"limit\":134217728,\"swap\":268435456}}");
	ok(run_cgroup_update(&spec, id, false, r, &e) == 0, "v1: memory and swap limited");
	report(&e);
	run_resources_free(r);
	ok(run_cg_read_u64(md, "memory.memsw.limit_in_bytes", &v) == 0 && v == 268435456,
	   "v1: memory.memsw.limit_in_bytes 256 MiB");
	r = res_from("{\"memory\":{\"limit\":-1}}");
	ok(run_cgroup_update(&spec, id, false, r, &e) == 0, "v1: memory -1 under a memsw limit");
	report(&e);
	run_resources_free(r);
	ok(run_cg_read_u64(md, "memory.limit_in_bytes", &v) == 0 && v > 268435456,
	   "v1: memory.limit_in_bytes unlimited");
	r = res_from("{\"memory\":{\"limit\":134217728}}");
	ok(run_cgroup_update(&spec, id, false, r, &e) == 0, "v1: memory limited again");
	report(&e);
	run_resources_free(r);

	/* pids, stats */
	pid_t *pids = NULL;
	size_t n = 0;
	ok(run_cgroup_pids(&spec, id, false, &pids, &n, &e) == 0 && n == 1 && pids[0] == fp.pid,
	   "v1: ps lists the child");
	free(pids);
	struct run_cgroup_stats st;
	ok(run_cgroup_stats(&spec, id, false, &st, &e) == 0, "v1: stats");
	ok(st.has_memory && st.memory_usage > 0 && st.memory_limit == 134217728,
	   "v1: memory usage %llu, limit", (unsigned long long)st.memory_usage);
	ok(st.has_pids && st.pids_current == 1 && st.pids_limit == 10, "v1: pids stats");
	ok(st.has_cpu && st.cpu_total_ns > 0, "v1: cpu usage %llu ns",
	   (unsigned long long)st.cpu_total_ns);

	/* freeze and thaw through the API */
	ok(run_cgroup_freeze(&spec, id, false, true, &e) == 0, "v1: pause");
	report(&e);
	_cleanup_free_ char *state = NULL;
	const struct run_cg_hier *hf = run_cg_layout_v1(layout, "freezer");
	if (hf) {
		_cleanup_free_ char *fd = oci_path_join(hf->mount, cpath);
		ok(run_cg_read(fd, "freezer.state", &state, &e) == 0 && streq(state, "FROZEN"),
		   "v1: freezer.state FROZEN");
	}
	bool fz = false;
	ok(run_cgroup_is_frozen(&spec, id, false, &fz, &e) == 0 && fz, "v1: reported frozen");
	ok(run_cgroup_freeze(&spec, id, false, false, &e) == 0, "v1: resume");
	report(&e);
	ok(run_cgroup_is_frozen(&spec, id, false, &fz, &e) == 0 && !fz, "v1: reported thawed");
	bool f1, f2, fsd;
	run_cgroup_features(&f1, &f2, &fsd);
	struct oci_err *se = NULL;
	bool has_sd = run_cg_systemd_check(&se) == 0;
	oci_err_clear(&se);
	ok(f1 == (layout->mode != RUN_CG_V2) && f2 == (layout->unified != NULL) && fsd == has_sd,
	   "features: v1 %d, v2 %d, systemd %d", f1, f2, fsd);

	/* kill, remove */
	ok(run_cgroup_kill(&spec, id, false, SIGKILL, &e) == 0, "v1: kill");
	report(&e);
	int status = 0;
	close(fp.go);
	close(fp.res);
	reap(fp.pid, &status);
	ok(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "v1: child killed");
	ok(run_cgroup_destroy(&spec, id, false, &e) == 0, "v1: remove");
	report(&e);
	_cleanup_free_ char *mtop = oci_path_join(hm->mount, name);
	ok(access(md, F_OK) < 0 && access(mtop, F_OK) < 0, "v1: leaf and parent gone (memory)");
	if (layout->unified) {
		_cleanup_free_ char *utop = oci_path_join(layout->unified, name);
		ok(access(utop, F_OK) < 0, "hybrid: gone from the unified hierarchy too");
	}
}

static void test_misc(void)
{
	struct oci_err *e = NULL;
	/* the default path /oci-run/ID, with a busy cgroup removed on delete */
	_cleanup_free_ char *id = xasprintf("%s-default", name);
	struct probe p;
	probe_start(&p, PROBE_SLEEP);
	ok(run_cgroup_create(NULL, id, p.pid, false, NULL, &e) == 0, "default path: create");
	report(&e);
	_cleanup_free_ char *line = xasprintf("/oci-run/%s\n", id);
	ok(in_cgroup(p.pid, line), "default path: /oci-run/%s", id);
	/* delete of a cgroup with a process still in it kills it first */
	ok(run_cgroup_remove(NULL, id, false, &e) == 0, "default path: removed though busy");
	report(&e);
	int status = 0;
	close(p.go);
	close(p.res);
	reap(p.pid, &status);
	ok(WIFSIGNALED(status), "default path: the process was killed");
	const struct run_cg_hier *h = layout->n_v1 ? &layout->v1[0] : NULL;
	_cleanup_free_ char *gone = oci_path_join(h ? h->mount : layout->unified, line);
	gone[strlen(gone) - 1] = 0;
	ok(access(gone, F_OK) < 0, "default path: %s removed", gone);

	/* run_cgroup_apply: no resources at all still gets the default device
	 * list, plus the container's own linux.devices */
	struct run_device dev = { .path = "/dev/zero", .type = 'c', .major = 1, .minor = 5 };
	struct run_spec spec;
	memset(&spec, 0, sizeof(spec));
	_cleanup_free_ char *apath = xasprintf("/%s/applied", name);
	spec.cgroups_path = apath;
	spec.devices = &dev;
	spec.n_devices = 1;
	unsigned char out[4] = { 0xff, 0xff, 0xff, 0xff };
	struct probe ap;
	probe_start(&ap, PROBE_DEVICES);
	ok(run_cgroup_apply(&spec, "applied", ap.pid, false, &e) == 0, "apply: spec without resources");
	report(&e);
	ok(probe_run(&ap, out, 4) == 0, "apply: probe ran");
	is_int(out[0], 0, "apply: /dev/null (a default) opens");
	is_int(out[1], 0, "apply: /dev/zero (in linux.devices) opens");
	is_int(out[3], EPERM, "apply: /dev/kmsg (neither) is EPERM");
	probe_end(&ap);
	ok(run_cgroup_destroy(&spec, "applied", false, &e) == 0, "apply: destroyed");
	report(&e);

	/* systemd */
	if (run_cg_systemd_check(&e) == 0) {
		skip("systemd runs as PID 1 here", "systemd: clear error where it does not");
	} else {
		oci_err_clear(&e);
		ok(run_cgroup_create("system.slice:oci:x", "x", 0, true, NULL, &e) < 0 && e &&
			   strstr(e->msg, "the systemd cgroup driver needs systemd running as PID 1"),
		   "systemd: clear error where systemd is not PID 1");
		report(&e);
	}
	ok(run_cgroup_create("system.slice:oci:x", "x", 0, false, NULL, &e) < 0 && e &&
		   strstr(e->msg, "needs --systemd-cgroup"),
	   "systemd form without --systemd-cgroup: error");
	oci_err_clear(&e);
	char *path = NULL;
	ok(run_cg_systemd_path("machine-a.slice:libpod:abc", "x", &path, &e) == 0 &&
		   streq(path, "/machine.slice/machine-a.slice/libpod-abc.scope"),
	   "systemd path: nested slice and scope");
	free(path);
	path = NULL;
	ok(run_cg_systemd_path(NULL, "id1", &path, &e) == 0 &&
		   streq(path, "/system.slice/oci-run-id1.scope"),
	   "systemd path: default");
	free(path);
	ok(run_cg_systemd_path("/a/b", "x", &path, &e) < 0 && e, "systemd path: bad form");
	oci_err_clear(&e);
}

int main(void)
{
	if (geteuid() != 0) {
		plan(1);
		skip("needs root", "real cgroups");
		return 0;
	}
	snprintf(name, sizeof(name), "oci-run-test-%d", (int)getpid());
	struct oci_err *e = NULL;
	if (run_cg_layout_detect(&layout, &e) < 0) {
		plan(1);
		skip(e->msg, "real cgroups");
		return 0;
	}
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGSEGV, on_signal);
	signal(SIGABRT, on_signal);
	diag("layout: %s, unified at %s, %zu v1 hierarchies",
	     layout->mode == RUN_CG_V2 ? "v2" : layout->mode == RUN_CG_V1 ? "v1" : "hybrid",
	     layout->unified ? layout->unified : "(none)", layout->n_v1);
	if (layout->unified)
		test_unified();
	else
		skip("no cgroup2 mount", "unified tests");
	if (layout->mode != RUN_CG_V2)
		test_v1();
	else
		skip("pure v2 host: v1 tests do not apply", "v1 tests");
	test_misc();
	done_testing();
	return exit_status();
}
