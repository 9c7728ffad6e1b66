/* cgroup v2 (the unified hierarchy): the writers of each controller's files,
 * creation with controllers enabled in the parents, freeze, kill, stats;
 * and the driver for a pure v2 host. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static bool strv_has(char **v, const char *s)
{
	for (; v && *v; v++)
		if (streq(*v, s))
			return true;
	return false;
}

static char **words(const char *s)
{
	char **v = NULL;
	_cleanup_free_ char *c = xstrdup(s);
	char *save = NULL;
	for (char *t = strtok_r(c, " \n", &save); t; t = strtok_r(NULL, " \n", &save))
		oci_strv_push(&v, t);
	return v;
}

/* Enables in dir/cgroup.subtree_control the controllers of want (NULL:
 * every controller dir has). */
static int enable_controllers(const char *dir, char *const *want, struct oci_err **err)
{
	_cleanup_free_ char *avail_s = NULL, *on_s = NULL;
	int r = run_cg_read(dir, "cgroup.controllers", &avail_s, err);
	if (r < 0)
		return r;
	r = run_cg_read(dir, "cgroup.subtree_control", &on_s, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **avail = words(avail_s);
	_cleanup_strv_ char **on = words(on_s);
	_cleanup_strv_ char **add = NULL;
	if (want) {
		for (size_t i = 0; want[i]; i++) {
			if (!strv_has(avail, want[i]))
				return oci_err_set(err, ENOTSUP,
						   "the '%s' controller is not available in '%s' "
						   "(cgroup.controllers: %s)",
						   want[i], dir, *avail_s ? avail_s : "none");
			if (!strv_has(on, want[i]) && !strv_has(add, want[i]))
				oci_strv_push(&add, want[i]);
		}
	} else {
		for (size_t i = 0; avail && avail[i]; i++)
			if (!strv_has(on, avail[i]))
				oci_strv_push(&add, avail[i]);
	}
	if (!add)
		return 0;
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; add[i]; i++)
		sbuf_addf(&sb, "%s+%s", i ? " " : "", add[i]);
	struct oci_err *e = NULL;
	if (run_cg_write(dir, "cgroup.subtree_control", sb.buf, &e) == 0)
		return 0;
	oci_err_free(e);
	/* one at a time: some may be refused (e.g. a threaded subtree) */
	for (size_t i = 0; add[i]; i++) {
		_cleanup_free_ char *one = xasprintf("+%s", add[i]);
		e = NULL;
		r = run_cg_write(dir, "cgroup.subtree_control", one, &e);
		if (r < 0) {
			if (want) {
				*err = e;
				return r;
			}
			oci_debug("cgroup: %s", e->msg);
			oci_err_free(e);
		}
	}
	return 0;
}

int run_cg2_create(const char *root, const char *path, char *const *want, struct oci_err **err)
{
	_cleanup_free_ char *clean = oci_path_clean(path);
	_cleanup_free_ char *cur = xstrdup(root);
	const char *p = clean;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		int r = enable_controllers(cur, want, err);
		if (r < 0)
			return r;
		const char *e = strchrnul(p, '/');
		_cleanup_free_ char *comp = xstrndup(p, (size_t)(e - p));
		_cleanup_free_ char *rel = xstrndup(clean, (size_t)(e - clean));
		r = run_cg_mkdir(root, rel, NULL, NULL, err);
		if (r < 0)
			return r;
		char *next = oci_path_join(cur, comp);
		free(cur);
		cur = next;
		p = e;
	}
	return 0;
}

/* hugetlb file names use "2MB", "1GB", "64KB". */
static char *hugetlb_name(const char *page_size)
{
	uint64_t b = run_hugepage_size_bytes(page_size);
	if (b >= (1ull << 30) && b % (1ull << 30) == 0)
		return xasprintf("%" PRIu64 "GB", b >> 30);
	if (b >= (1ull << 20) && b % (1ull << 20) == 0)
		return xasprintf("%" PRIu64 "MB", b >> 20);
	return xasprintf("%" PRIu64 "KB", b >> 10);
}

static int write_max(const char *dir, const char *name, int64_t v, struct oci_err **err)
{
	if (v < 0)
		return run_cg_write(dir, name, "max", err);
	return run_cg_writef(dir, name, err, "%" PRId64, v);
}

static int apply_memory(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	int64_t mem = res->memory.has_limit ? res->memory.limit : 0;
	int64_t swap_in = res->memory.has_swap ? res->memory.swap : 0;
	int64_t swap = 0;
	r = run_memory_swap_to_v2(swap_in, mem, &swap, err);
	if (r < 0)
		return oci_err_wrap(err, "linux.resources");
	if (swap != 0 || swap_in > 0) {
		/* swap == memory: no swap at all */
		if (!run_cg_exists(dir, "memory.swap.max"))
			return oci_err_set(err, ENOTSUP,
					   "linux.resources.memory.swap: this kernel has no swap "
					   "accounting ('%s/memory.swap.max' is missing)",
					   dir);
		r = write_max(dir, "memory.swap.max", swap, err);
		if (r < 0)
			return r;
	}
	if (mem != 0) {
		r = write_max(dir, "memory.max", mem, err);
		if (r < 0)
			return r;
	}
	if (res->memory.has_reservation && res->memory.reservation != 0) {
		r = write_max(dir, "memory.low", res->memory.reservation, err);
		if (r < 0)
			return r;
	}
	if (res->memory.has_swappiness)
		oci_debug("cgroup: memory.swappiness has no cgroup v2 file; ignored");
	if (res->memory.has_disable_oom_killer && res->memory.disable_oom_killer)
		oci_debug("cgroup: disableOOMKiller has no cgroup v2 file; ignored");
	return 0;
}

static int apply_cpu(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	if ((res->cpu.has_rt_runtime && res->cpu.rt_runtime != 0) ||
	    (res->cpu.has_rt_period && res->cpu.rt_period != 0))
		return oci_err_set(err, ENOTSUP, "linux.resources.cpu: realtimeRuntime and "
						 "realtimePeriod need cgroup v1");
	if (res->cpu.has_idle) {
		r = run_cg_writef(dir, "cpu.idle", err, "%" PRId64, res->cpu.idle);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_shares && res->cpu.shares != 0) {
		r = run_cg_writef(dir, "cpu.weight", err, "%" PRIu64,
				  run_cpu_shares_to_weight(res->cpu.shares));
		if (r < 0)
			return r;
	}
	int64_t quota = res->cpu.has_quota ? res->cpu.quota : 0;
	uint64_t period = res->cpu.has_period ? res->cpu.period : 0;
	if (quota != 0 || period != 0) {
		_cleanup_free_ char *v = quota > 0 ? xasprintf("%" PRId64, quota) : xstrdup("max");
		if (period != 0) {
			char *t = xasprintf("%s %" PRIu64, v, period);
			free(v);
			v = t;
		}
		r = run_cg_write(dir, "cpu.max", v, err);
		if (r < 0)
			return r;
	}
	if (res->cpu.has_burst) {
		r = run_cg_writef(dir, "cpu.max.burst", err, "%" PRIu64, res->cpu.burst);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_io(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	int r;
	bool bfq = run_cg_exists(dir, "io.bfq.weight");
	if (res->blkio.has_weight && res->blkio.weight != 0) {
		if (bfq)
			r = run_cg_writef(dir, "io.bfq.weight", err, "%u", res->blkio.weight);
		else
			r = run_cg_writef(dir, "io.weight", err, "default %" PRIu64,
					  run_blkio_weight_to_io_weight(res->blkio.weight));
		if (r < 0)
			return r;
	}
	for (size_t i = 0; i < res->blkio.n_weight_devices; i++) {
		const struct run_weight_device *w = &res->blkio.weight_devices[i];
		if (!w->has_weight)
			continue;
		if (bfq)
			r = run_cg_writef(dir, "io.bfq.weight", err, "%" PRId64 ":%" PRId64 " %u",
					  w->major, w->minor, w->weight);
		else
			r = run_cg_writef(dir, "io.weight", err, "%" PRId64 ":%" PRId64 " %" PRIu64,
					  w->major, w->minor,
					  run_blkio_weight_to_io_weight(w->weight));
		if (r < 0)
			return r;
	}
	static const char *const keys[RUN_THROTTLE_KINDS] = { "rbps", "wbps", "riops", "wiops" };
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++) {
		for (size_t i = 0; i < res->blkio.n_throttle[k]; i++) {
			const struct run_throttle_device *t = &res->blkio.throttle[k][i];
			/* 0 removes the limit */
			if (t->rate == 0)
				r = run_cg_writef(dir, "io.max", err, "%" PRId64 ":%" PRId64 " %s=max",
						  t->major, t->minor, keys[k]);
			else
				r = run_cg_writef(dir, "io.max", err,
						  "%" PRId64 ":%" PRId64 " %s=%" PRIu64, t->major,
						  t->minor, keys[k], t->rate);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int apply_hugetlb(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	for (size_t i = 0; i < res->n_hugepages; i++) {
		_cleanup_free_ char *n = hugetlb_name(res->hugepages[i].page_size);
		_cleanup_free_ char *f = xasprintf("hugetlb.%s.max", n);
		if (!run_cg_exists(dir, f))
			return oci_err_set(err, ENOTSUP,
					   "linux.resources.hugepageLimits: no '%s' in '%s' (is "
					   "the page size %s supported?)",
					   f, dir, res->hugepages[i].page_size);
		int r = run_cg_writef(dir, f, err, "%" PRIu64, res->hugepages[i].limit);
		if (r < 0)
			return r;
		_cleanup_free_ char *rf = xasprintf("hugetlb.%s.rsvd.max", n);
		if (run_cg_exists(dir, rf)) {
			r = run_cg_writef(dir, rf, err, "%" PRIu64, res->hugepages[i].limit);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int apply_rdma(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	for (size_t i = 0; i < res->n_rdma; i++) {
		const struct run_rdma_limit *l = &res->rdma[i];
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		sbuf_addstr(&sb, l->device);
		if (l->has_hca_handles)
			sbuf_addf(&sb, " hca_handle=%u", l->hca_handles);
		if (l->has_hca_objects)
			sbuf_addf(&sb, " hca_object=%u", l->hca_objects);
		if (!l->has_hca_handles && !l->has_hca_objects)
			continue;
		int r = run_cg_write(dir, "rdma.max", sb.buf, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_unified(const char *dir, const struct run_resources *res, struct oci_err **err)
{
	for (char **p = res->unified; p && p[0] && p[1]; p += 2) {
		if (strchr(p[0], '/') || streq(p[0], ".."))
			return oci_err_set(err, EINVAL, "linux.resources.unified: invalid key '%s'",
					   p[0]);
		int r = run_cg_write(dir, p[0], p[1], err);
		if (r < 0)
			return oci_err_wrap(err, "linux.resources.unified: cannot set '%s'", p[0]);
	}
	return 0;
}

int run_cg2_apply(const char *dir, const struct run_resources *res, unsigned sections,
		  struct oci_err **err)
{
	int r;
	if (!res)
		return 0;
	sections &= run_cg_sections(res);
	if ((sections & RUN_CG_PIDS) && res->pids_limit != 0) {
		r = write_max(dir, "pids.max", res->pids_limit > 0 ? res->pids_limit : -1, err);
		if (r < 0)
			return r;
	}
	if ((sections & RUN_CG_MEMORY) && (r = apply_memory(dir, res, err)) < 0)
		return r;
	if ((sections & RUN_CG_IO) && (r = apply_io(dir, res, err)) < 0)
		return r;
	if ((sections & RUN_CG_CPU) && (r = apply_cpu(dir, res, err)) < 0)
		return r;
	if (sections & RUN_CG_CPUSET) {
		if (res->cpu.cpus && (r = run_cg_write(dir, "cpuset.cpus", res->cpu.cpus, err)) < 0)
			return r;
		if (res->cpu.mems && (r = run_cg_write(dir, "cpuset.mems", res->cpu.mems, err)) < 0)
			return r;
	}
	if ((sections & RUN_CG_HUGETLB) && (r = apply_hugetlb(dir, res, err)) < 0)
		return r;
	if ((sections & RUN_CG_RDMA) && (r = apply_rdma(dir, res, err)) < 0)
		return r;
	if (sections & RUN_CG_DEVICES) {
		r = run_cg_bpf_devices_apply(dir, res->devices, res->n_devices, err);
		if (r < 0)
			return r;
	}
	if ((sections & RUN_CG_UNIFIED) && (r = apply_unified(dir, res, err)) < 0)
		return r;
	return 0;
}

int run_cg2_freeze(const char *dir, bool freeze, int timeout_ms, struct oci_err **err)
{
	int r = run_cg_write(dir, "cgroup.freeze", freeze ? "1" : "0", err);
	if (r < 0)
		return r;
	for (int waited = 0;; waited += 5) {
		uint64_t v;
		r = run_cg_read_keyed(dir, "cgroup.events", "frozen", &v);
		if (r < 0) {
			errno = -r;
			return oci_err_sys(err, "cannot read '%s/cgroup.events'", dir);
		}
		if ((v == 1) == freeze)
			return 0;
		if (waited >= timeout_ms)
			return oci_err_set(err, ETIMEDOUT, "cgroup '%s' is not %s after %d ms", dir,
					   freeze ? "frozen" : "thawed", timeout_ms);
		sleep_ms(5);
	}
}

int run_cg2_kill(const char *dir, int sig, struct oci_err **err)
{
	if (sig == SIGKILL && run_cg_exists(dir, "cgroup.kill")) {
		int r = run_cg_write(dir, "cgroup.kill", "1", err);
		if (r < 0)
			return r;
		/* the signal is sent; wait (briefly) until they are gone */
		for (int i = 0; i < 200; i++) {
			_cleanup_free_ pid_t *pids = NULL;
			size_t n = 0;
			r = run_cg_read_pids(dir, true, &pids, &n, err);
			if (r < 0)
				return r;
			if (n == 0)
				return 0;
			sleep_ms(5);
		}
		return 0;
	}
	return run_cg_signal_procs(dir, sig, err);
}

int run_cg2_stats(const char *dir, struct run_cgroup_stats *st, struct oci_err **err)
{
	uint64_t v;
	if (run_cg_read_u64(dir, "memory.current", &st->memory_usage) == 0) {
		st->has_memory = true;
		if (run_cg_read_u64(dir, "memory.peak", &v) == 0)
			st->memory_max_usage = v;
		if (run_cg_read_u64(dir, "memory.max", &v) == 0)
			st->memory_limit = v;
		if (run_cg_read_keyed(dir, "memory.events", "max", &v) == 0)
			st->memory_failcnt = v;
		if (run_cg_read_u64(dir, "memory.swap.current", &st->swap_usage) == 0) {
			st->has_swap = true;
			if (run_cg_read_u64(dir, "memory.swap.max", &v) == 0)
				st->swap_limit = v;
		}
	}
	if (run_cg_read_keyed(dir, "cpu.stat", "usage_usec", &v) == 0) {
		st->has_cpu = true;
		st->cpu_total_ns = v * 1000;
		if (run_cg_read_keyed(dir, "cpu.stat", "user_usec", &v) == 0)
			st->cpu_user_ns = v * 1000;
		if (run_cg_read_keyed(dir, "cpu.stat", "system_usec", &v) == 0)
			st->cpu_kernel_ns = v * 1000;
	}
	if (run_cg_read_u64(dir, "pids.current", &st->pids_current) == 0) {
		st->has_pids = true;
		if (run_cg_read_u64(dir, "pids.max", &v) == 0)
			st->pids_limit = v == UINT64_MAX ? 0 : v;
	}
	(void)err;
	return 0;
}

/* ------------------------------------------------------ the v2 driver */

static const char *rel_of(const struct run_cgroup *cg)
{
	return cg->v2_dir + strlen(cg->layout->unified);
}

static int v2_join(struct run_cgroup *cg, pid_t pid, struct oci_err **err)
{
	return run_cg_writef(cg->v2_dir, "cgroup.procs", err, "%d", (int)pid);
}

static int v2_update(struct run_cgroup *cg, const struct run_resources *res, struct oci_err **err)
{
	return run_cg2_apply(cg->v2_dir, res, RUN_CG_ALL, err);
}

static int v2_create(struct run_cgroup *cg, const struct run_resources *res, pid_t pid,
		     struct oci_err **err)
{
	int r = run_cg2_create(cg->layout->unified, rel_of(cg), NULL, err);
	if (r < 0)
		return r;
	r = run_cg2_apply(cg->v2_dir, res, RUN_CG_ALL, err);
	if (r < 0)
		return r;
	return pid > 0 ? v2_join(cg, pid, err) : 0;
}

static int v2_freeze(struct run_cgroup *cg, bool freeze, struct oci_err **err)
{
	return run_cg2_freeze(cg->v2_dir, freeze, 10000, err);
}

static int v2_kill(struct run_cgroup *cg, int sig, struct oci_err **err)
{
	return run_cg2_kill(cg->v2_dir, sig, err);
}

static int v2_pids(struct run_cgroup *cg, pid_t **ret, size_t *ret_n, struct oci_err **err)
{
	*ret = NULL;
	*ret_n = 0;
	return run_cg_read_pids(cg->v2_dir, true, ret, ret_n, err);
}

static int v2_stats(struct run_cgroup *cg, struct run_cgroup_stats *st, struct oci_err **err)
{
	return run_cg2_stats(cg->v2_dir, st, err);
}

static int v2_destroy(struct run_cgroup *cg, struct oci_err **err)
{
	if (access(cg->v2_dir, F_OK) < 0)
		return 0;
	struct oci_err *e = NULL;
	if (run_cg_rmdir(cg->layout->unified, cg->v2_dir, 200, &e) == 0)
		return 0;
	oci_err_free(e);
	/* still busy: kill what is left, then try again */
	if (run_cg2_kill(cg->v2_dir, SIGKILL, &e) < 0)
		oci_err_free(e);
	return run_cg_rmdir(cg->layout->unified, cg->v2_dir, 2000, err);
}

const struct run_cgroup_ops run_cg_v2_ops = {
	.name = "cgroup v2",
	.create = v2_create,
	.join = v2_join,
	.update = v2_update,
	.freeze = v2_freeze,
	.kill = v2_kill,
	.pids = v2_pids,
	.stats = v2_stats,
	.destroy = v2_destroy,
};
