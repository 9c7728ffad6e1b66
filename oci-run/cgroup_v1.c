/* cgroup v1: one directory per hierarchy, the writers of each controller's
 * files, the freezer; and the driver for v1 and hybrid hosts (v1
 * hierarchies plus a cgroup2 mount: the process joins that too, and the
 * controllers found only there are written through the v2 writers). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "log.h"
#include "util.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int hier_index(const struct run_cg_layout *l, const char *c)
{
	const struct run_cg_hier *h = run_cg_layout_v1(l, c);
	return h ? (int)(h - l->v1) : -1;
}

/* New cpuset directories start empty: copy the parent's cpus and mems. */
static int copy_cpuset(const char *parent, const char *dir, void *data, struct oci_err **err)
{
	(void)data;
	static const char *const files[] = { "cpuset.cpus", "cpuset.mems" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *mine = NULL, *theirs = NULL;
		struct oci_err *e = NULL;
		if (run_cg_read(dir, files[i], &mine, &e) < 0) {
			oci_err_free(e);
			continue;
		}
		if (*mine)
			continue;
		int r = run_cg_read(parent, files[i], &theirs, err);
		if (r < 0)
			return r;
		r = run_cg_write(dir, files[i], theirs, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int run_cg1_create(const struct run_cg_layout *l, char **dirs, struct oci_err **err)
{
	for (size_t i = 0; i < l->n_v1; i++) {
		const struct run_cg_hier *h = &l->v1[i];
		bool cpuset = false;
		for (char **c = h->controllers; c && *c; c++)
			cpuset = cpuset || streq(*c, "cpuset");
		const char *rel = dirs[i] + strlen(h->mount);
		int r = run_cg_mkdir(h->mount, rel, NULL, NULL, err);
		if (r < 0)
			return r;
		if (!cpuset)
			continue;
		/* each level that is still empty gets its parent's cpus and mems,
		 * top down (a task cannot join an empty cpuset) */
		size_t ml = strlen(h->mount);
		for (const char *p = dirs[i] + ml; *p;) {
			const char *e = strchrnul(p + 1, '/');
			_cleanup_free_ char *parent = xstrndup(dirs[i], (size_t)(p - dirs[i]));
			_cleanup_free_ char *dir = xstrndup(dirs[i], (size_t)(e - dirs[i]));
			if (strlen(dir) > strlen(parent) + 1) {
				r = copy_cpuset(parent, dir, NULL, err);
				if (r < 0)
					return r;
			}
			p = e;
		}
	}
	return 0;
}

static int apply_memory(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	int64_t mem = res->memory.has_limit ? res->memory.limit : 0;
	int64_t swap = res->memory.has_swap ? res->memory.swap : 0;
	bool memsw = run_cg_exists(dir, "memory.memsw.limit_in_bytes");
	/* unlimited memory with swap not given: unlimited swap too, else the
	 * kernel refuses a memory limit above memsw */
	if (mem == -1 && swap == 0 && memsw)
		swap = -1;
	if (swap != 0 && !memsw) {
		oci_debug("cgroup: no swap accounting (memory.memsw.limit_in_bytes); "
			  "memory.swap ignored");
		swap = 0;
	}
	if (mem != 0 && swap != 0) {
		/* memsw must stay >= memory at every step */
		uint64_t cur = 0;
		bool swap_first = swap == -1;
		if (!swap_first && run_cg_read_u64(dir, "memory.limit_in_bytes", &cur) == 0)
			swap_first = cur < (uint64_t)swap;
		if (swap_first) {
			if ((r = run_cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64,
					       swap)) < 0 ||
			    (r = run_cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, mem)) <
				    0)
				return r;
		} else {
			if ((r = run_cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, mem)) <
				    0 ||
			    (r = run_cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64,
					       swap)) < 0)
				return r;
		}
	} else if (mem != 0) {
		r = run_cg_writef(dir, "memory.limit_in_bytes", err, "%" PRId64, mem);
		if (r < 0)
			return r;
	} else if (swap != 0) {
		r = run_cg_writef(dir, "memory.memsw.limit_in_bytes", err, "%" PRId64, swap);
		if (r < 0)
			return r;
	}
	if (res->memory.has_reservation && res->memory.reservation != 0) {
		r = run_cg_writef(dir, "memory.soft_limit_in_bytes", err, "%" PRId64,
				  res->memory.reservation);
		if (r < 0)
			return r;
	}
	if (res->memory.has_kernel_tcp && res->memory.kernel_tcp != 0 &&
	    run_cg_exists(dir, "memory.kmem.tcp.limit_in_bytes")) {
		r = run_cg_writef(dir, "memory.kmem.tcp.limit_in_bytes", err, "%" PRId64,
				  res->memory.kernel_tcp);
		if (r < 0)
			return r;
	}
	if (res->memory.has_swappiness) {
		r = run_cg_writef(dir, "memory.swappiness", err, "%" PRIu64,
				  res->memory.swappiness);
		if (r < 0)
			return r;
	}
	if (res->memory.has_disable_oom_killer && res->memory.disable_oom_killer) {
		r = run_cg_write(dir, "memory.oom_control", "1", err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_cpu(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	if (res->cpu.has_shares && res->cpu.shares != 0) {
		r = run_cg_writef(dir, "cpu.shares", err, "%" PRIu64, res->cpu.shares);
		if (r < 0)
			return r;
		uint64_t got;
		if (run_cg_read_u64(dir, "cpu.shares", &got) == 0 && got != res->cpu.shares)
			return oci_err_set(err, ERANGE,
					   "linux.resources.cpu.shares: %" PRIu64
					   " is out of the kernel's range (it set %" PRIu64 ")",
					   res->cpu.shares, got);
	}
	int64_t quota = res->cpu.has_quota ? res->cpu.quota : 0;
	uint64_t period = res->cpu.has_period ? res->cpu.period : 0;
	if (period != 0) {
		struct oci_err *e = NULL;
		r = run_cg_writef(dir, "cpu.cfs_period_us", &e, "%" PRIu64, period);
		if (r == -EINVAL && quota != 0) {
			/* the old quota does not fit the new period: quota first */
			oci_err_free(e);
			if ((r = run_cg_writef(dir, "cpu.cfs_quota_us", err, "%" PRId64, quota)) <
				    0 ||
			    (r = run_cg_writef(dir, "cpu.cfs_period_us", err, "%" PRIu64, period)) <
				    0)
				return r;
		} else if (r < 0) {
			*err = e;
			return r;
		}
	}
	if (quota != 0) {
		r = run_cg_writef(dir, "cpu.cfs_quota_us", err, "%" PRId64, quota);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_burst) {
		r = run_cg_writef(dir, "cpu.cfs_burst_us", err, "%" PRIu64, res->cpu.burst);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_rt_period && res->cpu.rt_period != 0) {
		r = run_cg_writef(dir, "cpu.rt_period_us", err, "%" PRIu64, res->cpu.rt_period);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_rt_runtime && res->cpu.rt_runtime != 0) {
		r = run_cg_writef(dir, "cpu.rt_runtime_us", err, "%" PRId64, res->cpu.rt_runtime);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_idle) {
		r = run_cg_writef(dir, "cpu.idle", err, "%" PRId64, res->cpu.idle);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_blkio(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	/* without CFQ, BFQ's files take the weights */
	bool bfq = !run_cg_exists(dir, "blkio.weight") && run_cg_exists(dir, "blkio.bfq.weight");
	const char *wf = bfq ? "blkio.bfq.weight" : "blkio.weight";
	const char *wdf = bfq ? "blkio.bfq.weight_device" : "blkio.weight_device";
	if (res->blkio.has_weight && res->blkio.weight != 0) {
		r = run_cg_writef(dir, wf, err, "%u", res->blkio.weight);
		if (r < 0)
			return r;
	}
	if (res->blkio.has_leaf_weight && res->blkio.leaf_weight != 0) {
		if (run_cg_exists(dir, "blkio.leaf_weight")) {
			r = run_cg_writef(dir, "blkio.leaf_weight", err, "%u",
					  res->blkio.leaf_weight);
			if (r < 0)
				return r;
		} else {
			oci_debug("cgroup: no blkio.leaf_weight; blockIO.leafWeight ignored");
		}
	}
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++) {
		const struct run_weight_device *w = &res->blkio.weight_devices[i];
		if (w->has_weight) {
			r = run_cg_writef(dir, wdf, err, "%" PRId64 ":%" PRId64 " %u", w->major,
					  w->minor, w->weight);
			if (r < 0)
				return r;
		}
		if (w->has_leaf_weight && run_cg_exists(dir, "blkio.leaf_weight_device")) {
			r = run_cg_writef(dir, "blkio.leaf_weight_device", err,
					  "%" PRId64 ":%" PRId64 " %u", w->major, w->minor,
					  w->leaf_weight);
			if (r < 0)
				return r;
		}
	}
	static const char *const files[RUN_THROTTLE_KINDS] = {
		"blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
		"blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"
	};
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++) {
		for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
			const struct run_throttle_device *t = &res->blkio.throttle[k][i];
			r = run_cg_writef(dir, files[k], err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					  t->major, t->minor, t->rate);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int apply_hugetlb(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		uint64_t b = run_hugepage_size_bytes(res->hugepages[i].page_size);
		_cleanup_free_ char *n =
			b >= (1ull << 30) && b % (1ull << 30) == 0 ? xasprintf("%" PRIu64 "GB", b >> 30)
			: b >= (1ull << 20) && b % (1ull << 20) == 0
				? xasprintf("%" PRIu64 "MB", b >> 20)
				: xasprintf("%" PRIu64 "KB", b >> 10);
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.limit_in_bytes", n);
		int r = run_cg_writef(dir, f, err, "%" PRIu64, res->hugepages[i].limit);
		if (r < 0)
			return r;
		_cleanup_free_ char *rf = xasprintf("hugetlb.%s.rsvd.limit_in_bytes", n);
		if (run_cg_exists(dir, rf) &&
		    (r = run_cg_writef(dir, rf, err, "%" PRIu64, res->hugepages[i].limit)) < 0)
			return r;
	}
	return 0;
}

static int apply_devices(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r = run_cg_write(dir, "devices.deny", "a", err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < res->n_devices; i++) {
		const struct run_device_rule *d = &res->devices[i];
		_cleanup_free_ char *s = run_device_rule_string(d);
		r = run_cg_write(dir, d->allow ? "devices.allow" : "devices.deny",
				 d->type == 'a' ? "a" : s, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_rdma(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct run_rdma_limit *l = &res->rdma[i];
		if (!l->has_hca_handles && !l->has_hca_objects)
			continue;
		_cleanup_free_ char *h = l->has_hca_handles ? xasprintf(" hca_handle=%u", l->hca_handles)
							    : xstrdup("");
		_cleanup_free_ char *o = l->has_hca_objects ? xasprintf(" hca_object=%u", l->hca_objects)
							    : xstrdup("");
		int r = run_cg_writef(dir, "rdma.max", err, "%s%s%s", l->device, h, o);
		if (r < 0)
			return r;
	}
	return 0;
}

static const struct {
	unsigned section;
	const char *controller, *field;
	int (*apply)(const char *dir, const struct run_resources *res, struct oci_err **err);
} v1_writers[] = {
	{ RUN_CG_PIDS, "pids", "pids", NULL },
	{ RUN_CG_MEMORY, "memory", "memory", apply_memory },
	{ RUN_CG_CPU, "cpu", "cpu", apply_cpu },
	{ RUN_CG_CPUSET, "cpuset", "cpu.cpus/mems", NULL },
	{ RUN_CG_IO, "blkio", "blockIO", apply_blkio },
	{ RUN_CG_HUGETLB, "hugetlb", "hugepageLimits", apply_hugetlb },
	{ RUN_CG_RDMA, "rdma", "rdma", apply_rdma },
	{ RUN_CG_DEVICES, "devices", "devices", apply_devices },
};

int run_cg1_apply(const struct run_cg_layout *l, char **dirs, const struct run_resources *res,
		  unsigned sections, struct oci_err **err)
{
	if (!res)
		return 0;
	sections &= run_cg_sections(res);
	if (sections & RUN_CG_UNIFIED)
		return oci_err_set(err, ENOTSUP,
				   "linux.resources.unified: needs cgroup v2 (this host has "
				   "cgroup v1 only)");
	for (size_t w = 0; w < ARRAY_SIZE(v1_writers); w++) {
		if (!(sections & v1_writers[w].section))
			continue;
		int i = hier_index(l, v1_writers[w].controller);
		if (i < 0)
			return oci_err_set(err, ENOTSUP,
					   "linux.resources.%s: the '%s' cgroup controller is not "
					   "mounted",
					   v1_writers[w].field, v1_writers[w].controller);
		const char *dir = dirs[i];
		int r = 0;
		if (v1_writers[w].apply) {
			r = v1_writers[w].apply(dir, res, err);
		} else if (v1_writers[w].section == RUN_CG_PIDS) {
			if (res->pids_limit > 0)
				r = run_cg_writef(dir, "pids.max", err, "%" PRId64, res->pids_limit);
			else if (res->pids_limit < 0)
				r = run_cg_write(dir, "pids.max", "max", err);
		} else if (v1_writers[w].section == RUN_CG_CPUSET) {
			if (res->cpu.cpus)
				r = run_cg_write(dir, "cpuset.cpus", res->cpu.cpus, err);
			if (r >= 0 && res->cpu.mems)
				r = run_cg_write(dir, "cpuset.mems", res->cpu.mems, err);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int run_cg1_freeze(const char *dir, bool freeze, int timeout_ms, struct oci_err **err)
{
	const char *want = freeze ? "FROZEN" : "THAWED";
	for (int waited = 0;; waited += 5) {
		/* writing again helps a FREEZING that got stuck on a new task */
		if (waited % 100 == 0) {
			int r = run_cg_write(dir, "freezer.state", want, err);
			if (r < 0)
				return r;
		}
		_cleanup_free_ char *state = NULL;
		int r = run_cg_read(dir, "freezer.state", &state, err);
		if (r < 0)
			return r;
		if (streq(state, want))
			return 0;
		if (waited >= timeout_ms) {
			if (freeze) {
				struct oci_err *e = NULL;
				if (run_cg_write(dir, "freezer.state", "THAWED", &e) < 0)
					oci_err_free(e);
			}
			return oci_err_set(err, ETIMEDOUT,
					   "cgroup '%s' is still %s after %d ms (wanted %s)", dir,
					   state, timeout_ms, want);
		}
		sleep_ms(5);
	}
}

/* ------------------------------------------------------ the v1 driver */

/* In a hybrid layout, the controllers the v2 side needs for res. */
static char **v2_controllers(const struct run_cgroup *cg, const struct run_resources *res)
{
	static const struct {
		unsigned section;
		const char *c;
	} map[] = {
		{ RUN_CG_MEMORY, "memory" }, { RUN_CG_CPU, "cpu" },
		{ RUN_CG_CPUSET, "cpuset" }, { RUN_CG_PIDS, "pids" },
		{ RUN_CG_IO, "io" },	     { RUN_CG_HUGETLB, "hugetlb" },
		{ RUN_CG_RDMA, "rdma" },
	};
	char **v = xcalloc(1, sizeof(char *));
	unsigned s = cg->v2_sections & run_cg_sections(res);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (s & map[i].section)
			oci_strv_push(&v, map[i].c);
	if ((s & RUN_CG_UNIFIED) && res->unified) {
		for (char **p = res->unified; p[0] && p[1]; p += 2) {
			_cleanup_free_ char *c = xstrndup(p[0], strcspn(p[0], "."));
			if (!streq(c, "cgroup"))
				oci_strv_push(&v, c);
		}
	}
	return v;
}

static int v1_join(struct run_cgroup *cg, pid_t pid, struct oci_err **err)
{
	for (size_t i = 0; i < cg->layout->n_v1; i++) {
		int r = run_cg_writef(cg->v1_dirs[i], "cgroup.procs", err, "%d", (int)pid);
		if (r < 0)
			return r;
	}
	if (cg->v2_dir)
		return run_cg_writef(cg->v2_dir, "cgroup.procs", err, "%d", (int)pid);
	return 0;
}

static int v1_apply(struct run_cgroup *cg, const struct run_resources *res, struct oci_err **err)
{
	int r = run_cg1_apply(cg->layout, cg->v1_dirs, res, RUN_CG_ALL & ~cg->v2_sections, err);
	if (r < 0)
		return r;
	if (cg->v2_dir && (cg->v2_sections & run_cg_sections(res)))
		return run_cg2_apply(cg->v2_dir, res, cg->v2_sections, err);
	return 0;
}

static int v1_create(struct run_cgroup *cg, const struct run_resources *res, pid_t pid,
		     struct oci_err **err)
{
	int r = run_cg1_create(cg->layout, cg->v1_dirs, err);
	if (r < 0)
		return r;
	if (cg->v2_dir) {
		_cleanup_strv_ char **want = v2_controllers(cg, res);
		r = run_cg2_create(cg->layout->unified, cg->v2_dir + strlen(cg->layout->unified),
				   want, err);
		if (r < 0)
			return r;
	}
	r = v1_apply(cg, res, err);
	if (r < 0)
		return r;
	return pid > 0 ? v1_join(cg, pid, err) : 0;
}

static int v1_update(struct run_cgroup *cg, const struct run_resources *res, struct oci_err **err)
{
	if (cg->v2_dir && (cg->v2_sections & run_cg_sections(res))) {
		/* a controller needed now may not be enabled yet */
		_cleanup_strv_ char **want = v2_controllers(cg, res);
		int r = run_cg2_create(cg->layout->unified, cg->v2_dir + strlen(cg->layout->unified),
				       want, err);
		if (r < 0)
			return r;
	}
	return v1_apply(cg, res, err);
}

static const char *dir_of(const struct run_cgroup *cg, const char *controller)
{
	int i = hier_index(cg->layout, controller);
	return i >= 0 ? cg->v1_dirs[i] : NULL;
}

/* The directory whose cgroup.procs lists the container's processes. */
static const char *procs_dir(const struct run_cgroup *cg)
{
	static const char *const pref[] = { "freezer", "pids", "memory", "cpu", "devices" };
	for (size_t i = 0; i < ARRAY_SIZE(pref); i++) {
		const char *d = dir_of(cg, pref[i]);
		if (d)
			return d;
	}
	if (cg->layout->n_v1)
		return cg->v1_dirs[0];
	return cg->v2_dir;
}

static int v1_freeze(struct run_cgroup *cg, bool freeze, struct oci_err **err)
{
	const char *d = dir_of(cg, "freezer");
	if (d)
		return run_cg1_freeze(d, freeze, 10000, err);
	if (cg->v2_dir && run_cg_exists(cg->v2_dir, "cgroup.freeze"))
		return run_cg2_freeze(cg->v2_dir, freeze, 10000, err);
	return oci_err_set(err, ENOTSUP, "the freezer cgroup controller is not mounted");
}

static int v1_kill(struct run_cgroup *cg, int sig, struct oci_err **err)
{
	if (sig == SIGKILL && cg->v2_dir && run_cg_exists(cg->v2_dir, "cgroup.kill"))
		return run_cg2_kill(cg->v2_dir, sig, err);
	const char *fz = dir_of(cg, "freezer");
	const char *pd = procs_dir(cg);
	if (!pd || access(pd, F_OK) < 0)
		return 0;
	/* frozen, no process can fork away from the signal */
	struct oci_err *e = NULL;
	bool frozen = fz && run_cg1_freeze(fz, true, 2000, &e) == 0;
	oci_err_clear(&e);
	_cleanup_free_ pid_t *pids = NULL;
	size_t n = 0;
	int r = run_cg_read_pids(pd, true, &pids, &n, err);
	for (size_t i = 0; r >= 0 && i < n; i++)
		if (kill(pids[i], sig) < 0 && errno != ESRCH)
			r = oci_err_sys(err, "cannot signal process %d", (int)pids[i]);
	if (frozen && run_cg1_freeze(fz, false, 2000, &e) < 0)
		oci_err_clear(&e);
	if (r < 0 || sig != SIGKILL)
		return r;
	return run_cg_signal_procs(pd, SIGKILL, err);
}

static int v1_pids(struct run_cgroup *cg, pid_t **ret, size_t *ret_n, struct oci_err **err)
{
	*ret = NULL;
	*ret_n = 0;
	const char *d = procs_dir(cg);
	if (!d)
		return oci_err_set(err, ENOENT, "no cgroup hierarchy");
	return run_cg_read_pids(d, true, ret, ret_n, err);
}

static int v1_stats(struct run_cgroup *cg, struct run_cgroup_stats *st, struct oci_err **err)
{
	const char *d;
	uint64_t v;
	if ((d = dir_of(cg, "memory")) && run_cg_read_u64(d, "memory.usage_in_bytes", &v) == 0) {
		st->has_memory = true;
		st->memory_usage = v;
		if (run_cg_read_u64(d, "memory.max_usage_in_bytes", &v) == 0)
			st->memory_max_usage = v;
		if (run_cg_read_u64(d, "memory.limit_in_bytes", &v) == 0)
			st->memory_limit = v;
		if (run_cg_read_u64(d, "memory.failcnt", &v) == 0)
			st->memory_failcnt = v;
		if (run_cg_read_u64(d, "memory.memsw.usage_in_bytes", &v) == 0) {
			st->has_swap = true;
			st->swap_usage = v;
			if (run_cg_read_u64(d, "memory.memsw.limit_in_bytes", &v) == 0)
				st->swap_limit = v;
		}
	}
	if ((d = dir_of(cg, "cpuacct")) && run_cg_read_u64(d, "cpuacct.usage", &v) == 0) {
		st->has_cpu = true;
		st->cpu_total_ns = v;
		long hz = sysconf(_SC_CLK_TCK);
		if (hz <= 0)
			hz = 100;
		if (run_cg_read_keyed(d, "cpuacct.stat", "user", &v) == 0)
			st->cpu_user_ns = v * (1000000000ull / (uint64_t)hz);
		if (run_cg_read_keyed(d, "cpuacct.stat", "system", &v) == 0)
			st->cpu_kernel_ns = v * (1000000000ull / (uint64_t)hz);
	}
	if ((d = dir_of(cg, "pids")) && run_cg_read_u64(d, "pids.current", &v) == 0) {
		st->has_pids = true;
		st->pids_current = v;
		if (run_cg_read_u64(d, "pids.max", &v) == 0)
			st->pids_limit = v == UINT64_MAX ? 0 : v;
	}
	/* hybrid: what v1 lacks, from the unified side */
	if (cg->v2_dir && (!st->has_memory || !st->has_cpu || !st->has_pids)) {
		struct run_cgroup_stats s2 = { 0 };
		if (run_cg2_stats(cg->v2_dir, &s2, err) == 0) {
			if (!st->has_cpu && s2.has_cpu) {
				st->has_cpu = true;
				st->cpu_total_ns = s2.cpu_total_ns;
				st->cpu_user_ns = s2.cpu_user_ns;
				st->cpu_kernel_ns = s2.cpu_kernel_ns;
			}
			if (!st->has_pids && s2.has_pids) {
				st->has_pids = true;
				st->pids_current = s2.pids_current;
				st->pids_limit = s2.pids_limit;
			}
		}
	}
	return 0;
}

static int v1_destroy(struct run_cgroup *cg, struct oci_err **err)
{
	int ret = 0;
	bool killed = false;
	for (size_t i = 0; i <= cg->layout->n_v1; i++) {
		const char *root = i < cg->layout->n_v1 ? cg->layout->v1[i].mount : cg->layout->unified;
		const char *dir = i < cg->layout->n_v1 ? cg->v1_dirs[i] : cg->v2_dir;
		if (!dir || access(dir, F_OK) < 0)
			continue;
		struct oci_err *e = NULL;
		if (run_cg_rmdir(root, dir, 200, &e) == 0)
			continue;
		oci_err_clear(&e);
		if (!killed) {
			if (v1_kill(cg, SIGKILL, &e) < 0)
				oci_err_clear(&e);
			killed = true;
		}
		int r = run_cg_rmdir(root, dir, 2000, ret < 0 ? &e : err);
		if (r < 0 && ret == 0)
			ret = r;
		oci_err_clear(&e);
	}
	return ret;
}

const struct run_cgroup_ops run_cg_v1_ops = {
	.name = "cgroup v1",
	.create = v1_create,
	.join = v1_join,
	.update = v1_update,
	.freeze = v1_freeze,
	.kill = v1_kill,
	.pids = v1_pids,
	.stats = v1_stats,
	.destroy = v1_destroy,
};
