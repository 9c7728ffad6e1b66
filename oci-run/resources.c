/* LinuxResources (runtime-spec config-linux.md "Control groups") into
 * struct run_resources; see resources.h. */
#include "resources.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "sbuf.h"
#include "util.h"

struct run_resources *run_resources_new(void)
{
	return xcalloc(1, sizeof(struct run_resources));
}

void run_resources_free(struct run_resources *r)
{
	if (!r)
		return;
	free(r->cpu.cpus);
	free(r->cpu.mems);
	free(r->blkio.weight_devices);
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++)
		free(r->blkio.throttle[k]);
	for (size_t i = 0; i < r->n_hugepages; i++)
		free(r->hugepages[i].page_size);
	free(r->hugepages);
	free(r->devices);
	for (size_t i = 0; i < r->n_rdma; i++)
		free(r->rdma[i].device);
	free(r->rdma);
	oci_strv_free(r->unified);
	free(r);
}

/* An unsigned integer (JSON integers are int64 in jansson). */
static int opt_u64(json_t *o, const char *path, const char *key, uint64_t max, bool *has,
		   uint64_t *ret, struct oci_err **err)
{
	int64_t v;
	int r = oci_json_opt_int(o, path, key, &v, err);
	if (r <= 0)
		return r;
	if (v < 0 || (uint64_t)v > max) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		if (v < 0)
			return oci_err_set(err, ERANGE,
					   "%s: expected a non-negative integer, got %" PRId64, p, v);
		return oci_err_set(err, ERANGE, "%s: %" PRId64 " is out of range [0, %" PRIu64 "]",
				   p, v, max);
	}
	*ret = (uint64_t)v;
	if (has)
		*has = true;
	return 1;
}

static int opt_i64(json_t *o, const char *path, const char *key, bool *has, int64_t *ret,
		   struct oci_err **err)
{
	int r = oci_json_opt_int(o, path, key, ret, err);
	if (r > 0)
		*has = true;
	return r;
}

static int opt_bool(json_t *o, const char *path, const char *key, bool *has, bool *ret,
		    struct oci_err **err)
{
	int r = oci_json_opt_bool(o, path, key, ret, err);
	if (r > 0)
		*has = true;
	return r;
}

/* A memory value: bytes, or -1 for unlimited. */
static int opt_mem(json_t *o, const char *path, const char *key, bool *has, int64_t *ret,
		   struct oci_err **err)
{
	int64_t v;
	int r = oci_json_opt_int(o, path, key, &v, err);
	if (r <= 0)
		return r;
	if (v < -1) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, ERANGE,
				   "%s: expected a number of bytes or -1 (unlimited), got %" PRId64,
				   p, v);
	}
	*ret = v;
	*has = true;
	return 1;
}

static int parse_memory(json_t *o, const char *path, struct run_resources *res,
			struct oci_err **err)
{
	int r;
	if ((r = opt_mem(o, path, "limit", &res->memory.has_limit, &res->memory.limit, err)) < 0 ||
	    (r = opt_mem(o, path, "reservation", &res->memory.has_reservation,
			 &res->memory.reservation, err)) < 0 ||
	    (r = opt_mem(o, path, "swap", &res->memory.has_swap, &res->memory.swap, err)) < 0 ||
	    (r = opt_i64(o, path, "kernel", &res->memory.has_kernel, &res->memory.kernel, err)) <
		    0 ||
	    (r = opt_mem(o, path, "kernelTCP", &res->memory.has_kernel_tcp,
			 &res->memory.kernel_tcp, err)) < 0 ||
	    (r = opt_bool(o, path, "disableOOMKiller", &res->memory.has_disable_oom_killer,
			  &res->memory.disable_oom_killer, err)) < 0 ||
	    (r = opt_bool(o, path, "useHierarchy", &res->memory.has_use_hierarchy,
			  &res->memory.use_hierarchy, err)) < 0)
		return r;
	/* Docker has sent -1 for "no swappiness"; take it as absent. */
	int64_t sw;
	r = oci_json_opt_int_range(o, path, "swappiness", -1, 100, &sw, err);
	if (r < 0)
		return r;
	if (r > 0 && sw >= 0) {
		res->memory.has_swappiness = true;
		res->memory.swappiness = (uint64_t)sw;
	}
	return 0;
}

static int opt_strdup(json_t *o, const char *path, const char *key, char **ret,
		      struct oci_err **err)
{
	const char *s;
	int r = oci_json_opt_str(o, path, key, &s, err);
	if (r > 0) {
		free(*ret);
		*ret = xstrdup(s);
	}
	return r;
}

static int parse_cpu(json_t *o, const char *path, struct run_resources *res, struct oci_err **err)
{
	int r;
	int64_t quota;
	if ((r = opt_u64(o, path, "shares", UINT64_MAX, &res->cpu.has_shares, &res->cpu.shares,
			 err)) < 0 ||
	    (r = opt_u64(o, path, "period", UINT64_MAX, &res->cpu.has_period, &res->cpu.period,
			 err)) < 0 ||
	    (r = opt_u64(o, path, "burst", UINT64_MAX, &res->cpu.has_burst, &res->cpu.burst,
			 err)) < 0 ||
	    (r = opt_i64(o, path, "realtimeRuntime", &res->cpu.has_rt_runtime,
			 &res->cpu.rt_runtime, err)) < 0 ||
	    (r = opt_u64(o, path, "realtimePeriod", UINT64_MAX, &res->cpu.has_rt_period,
			 &res->cpu.rt_period, err)) < 0 ||
	    (r = opt_i64(o, path, "idle", &res->cpu.has_idle, &res->cpu.idle, err)) < 0 ||
	    (r = opt_strdup(o, path, "cpus", &res->cpu.cpus, err)) < 0 ||
	    (r = opt_strdup(o, path, "mems", &res->cpu.mems, err)) < 0)
		return r;
	r = oci_json_opt_int(o, path, "quota", &quota, err);
	if (r < 0)
		return r;
	if (r > 0) {
		if (quota < -1) {
			_cleanup_free_ char *p = oci_json_path_key(path, "quota");
			return oci_err_set(err, ERANGE,
					   "%s: expected microseconds or -1 (unlimited), got %" PRId64,
					   p, quota);
		}
		res->cpu.has_quota = true;
		res->cpu.quota = quota;
	}
	return 0;
}

static int parse_major_minor(json_t *e, const char *p, int64_t *major, int64_t *minor,
			     struct oci_err **err)
{
	int r = oci_json_get_int(e, p, "major", major, err);
	if (r < 0)
		return r;
	r = oci_json_get_int(e, p, "minor", minor, err);
	if (r < 0)
		return r;
	if (*major < 0 || *minor < 0 || *major > UINT32_MAX || *minor > UINT32_MAX)
		return oci_err_set(err, ERANGE, "%s: invalid device number %" PRId64 ":%" PRId64,
				   p, *major, *minor);
	return 0;
}

static int parse_throttle(json_t *o, const char *path, const char *key,
			  struct run_throttle_device **ret, size_t *n, struct oci_err **err)
{
	json_t *a;
	int r = oci_json_opt_arr(o, path, key, &a, err);
	if (r <= 0)
		return r;
	_cleanup_free_ char *ap = oci_json_path_key(path, key);
	size_t i;
	json_t *e;
	free(*ret);
	*ret = xcalloc(json_array_size(a) + 1, sizeof(**ret));
	*n = 0;
	json_array_foreach(a, i, e)
	{
		_cleanup_free_ char *p = oci_json_path_index(ap, i);
		struct run_throttle_device *t = &(*ret)[i];
		if ((r = oci_json_expect(e, JSON_OBJECT, p, err)) < 0 ||
		    (r = parse_major_minor(e, p, &t->major, &t->minor, err)) < 0)
			return r;
		bool has = false;
		r = opt_u64(e, p, "rate", UINT64_MAX, &has, &t->rate, err);
		if (r < 0)
			return r;
		if (!has) {
			_cleanup_free_ char *rp = oci_json_path_key(p, "rate");
			return oci_err_set(err, EINVAL, "%s: required field is missing", rp);
		}
		(*n)++;
	}
	return 1;
}

static int parse_blkio(json_t *o, const char *path, struct run_resources *res,
		       struct oci_err **err)
{
	int r;
	uint64_t v;
	bool has = false;
	if ((r = opt_u64(o, path, "weight", UINT16_MAX, &has, &v, err)) < 0)
		return r;
	if (has) {
		res->blkio.has_weight = true;
		res->blkio.weight = (uint16_t)v;
	}
	has = false;
	if ((r = opt_u64(o, path, "leafWeight", UINT16_MAX, &has, &v, err)) < 0)
		return r;
	if (has) {
		res->blkio.has_leaf_weight = true;
		res->blkio.leaf_weight = (uint16_t)v;
	}
	json_t *a;
	r = oci_json_opt_arr(o, path, "weightDevice", &a, err);
	if (r < 0)
		return r;
	if (r > 0) {
		_cleanup_free_ char *ap = oci_json_path_key(path, "weightDevice");
		size_t i;
		json_t *e;
		free(res->blkio.weight_devices);
		res->blkio.weight_devices = xcalloc(json_array_size(a) + 1, sizeof(struct run_weight_device));
		res->blkio.n_weight_devices = 0;
		json_array_foreach(a, i, e)
		{
			_cleanup_free_ char *p = oci_json_path_index(ap, i);
			struct run_weight_device *w = &res->blkio.weight_devices[i];
			if ((r = oci_json_expect(e, JSON_OBJECT, p, err)) < 0 ||
			    (r = parse_major_minor(e, p, &w->major, &w->minor, err)) < 0)
				return r;
			has = false;
			if ((r = opt_u64(e, p, "weight", UINT16_MAX, &w->has_weight, &v, err)) < 0)
				return r;
			if (w->has_weight)
				w->weight = (uint16_t)v;
			if ((r = opt_u64(e, p, "leafWeight", UINT16_MAX, &w->has_leaf_weight, &v,
					 err)) < 0)
				return r;
			if (w->has_leaf_weight)
				w->leaf_weight = (uint16_t)v;
			res->blkio.n_weight_devices++;
		}
	}
	static const char *const keys[RUN_THROTTLE_KINDS] = {
		"throttleReadBpsDevice", "throttleWriteBpsDevice", "throttleReadIOPSDevice",
		"throttleWriteIOPSDevice"
	};
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++) {
		r = parse_throttle(o, path, keys[k], &res->blkio.throttle[k], &res->blkio.n_throttle[k],
				   err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int parse_hugepages(json_t *a, const char *ap, struct run_resources *res,
			   struct oci_err **err)
{
	size_t i;
	json_t *e;
	int r;
	for (size_t j = 0; j < res->n_hugepages; j++)
		free(res->hugepages[j].page_size);
	free(res->hugepages);
	res->hugepages = xcalloc(json_array_size(a) + 1, sizeof(struct run_hugepage_limit));
	res->n_hugepages = 0;
	json_array_foreach(a, i, e)
	{
		_cleanup_free_ char *p = oci_json_path_index(ap, i);
		struct run_hugepage_limit *h = &res->hugepages[i];
		const char *size;
		if ((r = oci_json_expect(e, JSON_OBJECT, p, err)) < 0 ||
		    (r = oci_json_get_str(e, p, "pageSize", &size, err)) < 0)
			return r;
		if (run_hugepage_size_bytes(size) == 0 || strchr(size, '/'))
			return oci_err_set(err, EINVAL, "%s.pageSize: invalid page size '%s'", p,
					   size);
		h->page_size = xstrdup(size);
		res->n_hugepages++;
		bool has = false;
		if ((r = opt_u64(e, p, "limit", UINT64_MAX, &has, &h->limit, err)) < 0)
			return r;
		if (!has)
			return oci_err_set(err, EINVAL, "%s.limit: required field is missing", p);
	}
	return 0;
}

static int parse_access(const char *s, char out[4])
{
	bool rr = false, w = false, m = false;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s == 'r')
			rr = true;
		else if (*s == 'w')
			w = true;
		else if (*s == 'm')
			m = true;
		else
			return -1;
	}
	size_t n = 0;
	if (rr)
		out[n++] = 'r';
	if (w)
		out[n++] = 'w';
	if (m)
		out[n++] = 'm';
	out[n] = 0;
	return 0;
}

static int parse_devices(json_t *a, const char *ap, struct run_resources *res,
			 struct oci_err **err)
{
	size_t i;
	json_t *e;
	int r;
	free(res->devices);
	res->devices = xcalloc(json_array_size(a) + 1, sizeof(struct run_device_rule));
	res->n_devices = 0;
	res->has_devices = true;
	json_array_foreach(a, i, e)
	{
		_cleanup_free_ char *p = oci_json_path_index(ap, i);
		struct run_device_rule *d = &res->devices[i];
		if ((r = oci_json_expect(e, JSON_OBJECT, p, err)) < 0)
			return r;
		json_t *allow = json_object_get(e, "allow");
		if (!allow || json_is_null(allow))
			return oci_err_set(err, EINVAL, "%s.allow: required field is missing", p);
		if ((r = oci_json_opt_bool(e, p, "allow", &d->allow, err)) < 0)
			return r;
		const char *type = "a", *access = "rwm";
		if ((r = oci_json_opt_str(e, p, "type", &type, err)) < 0 ||
		    (r = oci_json_opt_str(e, p, "access", &access, err)) < 0)
			return r;
		if (!streq(type, "a") && !streq(type, "c") && !streq(type, "b"))
			return oci_err_set(err, EINVAL,
					   "%s.type: invalid device type '%s' (expected a, c or b)",
					   p, type);
		d->type = type[0];
		d->major = d->minor = RUN_DEV_ANY;
		if ((r = oci_json_opt_int_range(e, p, "major", -1, UINT32_MAX, &d->major, err)) < 0 ||
		    (r = oci_json_opt_int_range(e, p, "minor", -1, UINT32_MAX, &d->minor, err)) < 0)
			return r;
		if (parse_access(access, d->access) < 0)
			return oci_err_set(err, EINVAL,
					   "%s.access: invalid access '%s' (expected letters of rwm)",
					   p, access);
		res->n_devices++;
	}
	return 0;
}

static int parse_rdma(json_t *o, const char *ap, struct run_resources *res, struct oci_err **err)
{
	const char *key;
	json_t *v;
	int r;
	for (size_t j = 0; j < res->n_rdma; j++)
		free(res->rdma[j].device);
	free(res->rdma);
	res->rdma = xcalloc(json_object_size(o) + 1, sizeof(struct run_rdma_limit));
	res->n_rdma = 0;
	json_object_foreach(o, key, v)
	{
		_cleanup_free_ char *p = oci_json_path_key(ap, key);
		struct run_rdma_limit *l = &res->rdma[res->n_rdma];
		if ((r = oci_json_expect(v, JSON_OBJECT, p, err)) < 0)
			return r;
		if (!*key || strpbrk(key, " \n/"))
			return oci_err_set(err, EINVAL, "%s: invalid rdma device name", p);
		l->device = xstrdup(key);
		res->n_rdma++;
		uint64_t n;
		if ((r = opt_u64(v, p, "hcaHandles", UINT32_MAX, &l->has_hca_handles, &n, err)) < 0)
			return r;
		if (l->has_hca_handles)
			l->hca_handles = (uint32_t)n;
		if ((r = opt_u64(v, p, "hcaObjects", UINT32_MAX, &l->has_hca_objects, &n, err)) < 0)
			return r;
		if (l->has_hca_objects)
			l->hca_objects = (uint32_t)n;
	}
	return 0;
}

static int parse_unified(json_t *o, const char *path, struct run_resources *res,
			 struct oci_err **err)
{
	char **kv = NULL;
	int r = oci_json_opt_str_map(o, path, "unified", &kv, err);
	if (r <= 0)
		return r;
	_cleanup_strv_ char **owned = kv;
	_cleanup_free_ char *up = oci_json_path_key(path, "unified");
	for (char **p = kv; p[0] && p[1]; p += 2) {
		if (!*p[0] || strchr(p[0], '/') || streq(p[0], ".") || streq(p[0], ".."))
			return oci_err_set(err, EINVAL, "%s: invalid key '%s' (a file name in the "
						       "cgroup directory is expected)",
					   up, p[0]);
		if (!strchr(p[0], '.'))
			return oci_err_set(err, EINVAL,
					   "%s: invalid key '%s' (expected CONTROLLER.FILE)", up,
					   p[0]);
	}
	oci_strv_free(res->unified);
	res->unified = TAKE_PTR(owned);
	return 1;
}

static int parse_into(json_t *obj, const char *path, struct run_resources *res,
		      struct oci_err **err)
{
	int r;
	json_t *o;
	_cleanup_free_ char *p = NULL;
	if ((r = oci_json_expect(obj, JSON_OBJECT, path, err)) < 0)
		return r;

	if ((r = oci_json_opt_obj(obj, path, "memory", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "memory");
		if ((r = parse_memory(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_obj(obj, path, "cpu", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "cpu");
		if ((r = parse_cpu(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_obj(obj, path, "pids", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "pids");
		/* required by the spec, but an empty pids object changes nothing */
		if ((r = opt_i64(o, p, "limit", &res->has_pids_limit, &res->pids_limit, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_obj(obj, path, "blockIO", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "blockIO");
		if ((r = parse_blkio(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_arr(obj, path, "hugepageLimits", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "hugepageLimits");
		if ((r = parse_hugepages(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_arr(obj, path, "devices", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "devices");
		if ((r = parse_devices(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = oci_json_opt_obj(obj, path, "rdma", &o, err)) < 0)
		return r;
	if (r > 0) {
		p = oci_json_path_key(path, "rdma");
		if ((r = parse_rdma(o, p, res, err)) < 0)
			return r;
		free(TAKE_PTR(p));
	}
	if ((r = parse_unified(obj, path, res, err)) < 0)
		return r;
	/* network (classID, priorities: v1 net_cls/net_prio) is accepted and
	 * not applied, as crun does on hosts without those controllers. */
	if ((r = oci_json_opt_obj(obj, path, "network", &o, err)) < 0)
		return r;
	return 0;
}

int run_resources_from_json(json_t *obj, const char *path, struct run_resources **ret,
			    struct oci_err **err)
{
	_cleanup_(run_resources_freep) struct run_resources *res = run_resources_new();
	int r = parse_into(obj, path ? path : "", res, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(res);
	return 0;
}

int run_resources_parse(const char *buf, size_t len, const char *name,
			struct run_resources **ret, struct oci_err **err)
{
	json_auto_t *doc = NULL;
	int r = oci_json_load_buf(buf, len, name, &doc, err);
	if (r < 0)
		return r;
	r = run_resources_from_json(doc, "", ret, err);
	if (r < 0 && name)
		return oci_err_wrap(err, "%s", name);
	return r;
}

int run_resources_load(const char *file, struct run_resources **ret, struct oci_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r;
	if (streq(file, "-")) {
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		char chunk[8192];
		for (;;) {
			ssize_t n = read(STDIN_FILENO, chunk, sizeof(chunk));
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return oci_err_sys(err, "cannot read standard input");
			if (n == 0)
				break;
			if (sb.len + (size_t)n > (64u << 20))
				return oci_err_set(err, EFBIG, "standard input: too large");
			sbuf_add(&sb, chunk, (size_t)n);
		}
		return run_resources_parse(sb.buf, sb.len, "standard input", ret, err);
	}
	r = oci_read_file(file, 64u << 20, &buf, &len, err);
	if (r < 0)
		return r;
	return run_resources_parse(buf, len, file, ret, err);
}

static void *dup_array(const void *src, size_t n, size_t size)
{
	void *d = xcalloc(n + 1, size);
	if (n)
		memcpy(d, src, n * size);
	return d;
}

void run_resources_merge(struct run_resources *dst, const struct run_resources *src)
{
#define M(grp, f)                                                                           \
	do {                                                                                \
		if (src->grp.has_##f) {                                                     \
			dst->grp.has_##f = true;                                            \
			dst->grp.f = src->grp.f;                                            \
		}                                                                           \
	} while (0)
	M(memory, limit);
	M(memory, reservation);
	M(memory, swap);
	M(memory, kernel);
	M(memory, kernel_tcp);
	M(memory, swappiness);
	M(memory, disable_oom_killer);
	M(memory, use_hierarchy);
	M(cpu, shares);
	M(cpu, quota);
	M(cpu, period);
	M(cpu, burst);
	M(cpu, rt_runtime);
	M(cpu, rt_period);
	M(cpu, idle);
	M(blkio, weight);
	M(blkio, leaf_weight);
#undef M
	if (src->cpu.cpus) {
		free(dst->cpu.cpus);
		dst->cpu.cpus = xstrdup(src->cpu.cpus);
	}
	if (src->cpu.mems) {
		free(dst->cpu.mems);
		dst->cpu.mems = xstrdup(src->cpu.mems);
	}
	if (src->has_pids_limit) {
		dst->has_pids_limit = true;
		dst->pids_limit = src->pids_limit;
	}
	if (src->blkio.n_weight_devices) {
		free(dst->blkio.weight_devices);
		dst->blkio.weight_devices = dup_array(src->blkio.weight_devices,
						      src->blkio.n_weight_devices,
						      sizeof(struct run_weight_device));
		dst->blkio.n_weight_devices = src->blkio.n_weight_devices;
	}
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++) {
		if (!src->blkio.n_throttle[k])
			continue;
		free(dst->blkio.throttle[k]);
		dst->blkio.throttle[k] = dup_array(src->blkio.throttle[k], src->blkio.n_throttle[k],
						   sizeof(struct run_throttle_device));
		dst->blkio.n_throttle[k] = src->blkio.n_throttle[k];
	}
	if (src->n_hugepages) {
		for (size_t j = 0; j < dst->n_hugepages; j++)
			free(dst->hugepages[j].page_size);
		free(dst->hugepages);
		dst->hugepages = dup_array(src->hugepages, src->n_hugepages,
					   sizeof(struct run_hugepage_limit));
		for (size_t j = 0; j < src->n_hugepages; j++)
			dst->hugepages[j].page_size = xstrdup(src->hugepages[j].page_size);
		dst->n_hugepages = src->n_hugepages;
	}
	if (src->has_devices) {
		free(dst->devices);
		dst->devices =
			dup_array(src->devices, src->n_devices, sizeof(struct run_device_rule));
		dst->n_devices = src->n_devices;
		dst->has_devices = true;
	}
	if (src->n_rdma) {
		for (size_t j = 0; j < dst->n_rdma; j++)
			free(dst->rdma[j].device);
		free(dst->rdma);
		dst->rdma = dup_array(src->rdma, src->n_rdma, sizeof(struct run_rdma_limit));
		for (size_t j = 0; j < src->n_rdma; j++)
			dst->rdma[j].device = xstrdup(src->rdma[j].device);
		dst->n_rdma = src->n_rdma;
	}
	if (src->unified) {
		/* keys of src override dst's, others stay */
		for (char **p = src->unified; p[0] && p[1]; p += 2) {
			bool found = false;
			for (char **q = dst->unified; q && q[0] && q[1]; q += 2) {
				if (streq(q[0], p[0])) {
					free(q[1]);
					q[1] = xstrdup(p[1]);
					found = true;
				}
			}
			if (!found) {
				oci_strv_push(&dst->unified, p[0]);
				oci_strv_push(&dst->unified, p[1]);
			}
		}
	}
}

void run_resources_add_device(struct run_resources *r, bool allow, char type, int64_t major,
			      int64_t minor, const char *access)
{
	r->devices = xrealloc(r->devices, (r->n_devices + 1) * sizeof(*r->devices));
	struct run_device_rule *d = &r->devices[r->n_devices++];
	memset(d, 0, sizeof(*d));
	d->allow = allow;
	d->type = type;
	d->major = major;
	d->minor = minor;
	if (parse_access(access, d->access) < 0)
		strcpy(d->access, "rwm");
	r->has_devices = true;
}

void run_resources_add_default_devices(struct run_resources *r)
{
	static const struct {
		char type;
		int64_t major, minor;
		const char *access;
	} defs[] = {
		{ 'c', RUN_DEV_ANY, RUN_DEV_ANY, "m" }, /* mknod of any char device */
		{ 'b', RUN_DEV_ANY, RUN_DEV_ANY, "m" }, /* and block device */
		{ 'c', 1, 3, "rwm" },			/* /dev/null */
		{ 'c', 1, 8, "rwm" },			/* /dev/random */
		{ 'c', 1, 7, "rwm" },			/* /dev/full */
		{ 'c', 5, 0, "rwm" },			/* /dev/tty */
		{ 'c', 1, 5, "rwm" },			/* /dev/zero */
		{ 'c', 1, 9, "rwm" },			/* /dev/urandom */
		{ 'c', 5, 1, "rwm" },			/* /dev/console */
		{ 'c', 136, RUN_DEV_ANY, "rwm" },	/* /dev/pts/N */
		{ 'c', 5, 2, "rwm" },			/* /dev/ptmx */
	};
	for (size_t i = 0; i < ARRAY_SIZE(defs); i++)
		run_resources_add_device(r, true, defs[i].type, defs[i].major, defs[i].minor,
					 defs[i].access);
}

char *run_device_rule_string(const struct run_device_rule *d)
{
	char maj[24], min[24];
	if (d->type == 'a')
		return xasprintf("a *:* %s", d->access);
	if (d->major == RUN_DEV_ANY)
		strcpy(maj, "*");
	else
		snprintf(maj, sizeof(maj), "%" PRId64, d->major);
	if (d->minor == RUN_DEV_ANY)
		strcpy(min, "*");
	else
		snprintf(min, sizeof(min), "%" PRId64, d->minor);
	return xasprintf("%c %s:%s %s", d->type, maj, min, d->access);
}

uint64_t run_hugepage_size_bytes(const char *s)
{
	char *end;
	errno = 0;
	unsigned long long n = strtoull(s, &end, 10);
	if (errno || end == s || n == 0 || !isdigit((unsigned char)s[0]))
		return 0;
	uint64_t mul;
	if (strcasecmp(end, "KB") == 0)
		mul = 1ull << 10;
	else if (strcasecmp(end, "MB") == 0)
		mul = 1ull << 20;
	else if (strcasecmp(end, "GB") == 0)
		mul = 1ull << 30;
	else if (strcasecmp(end, "TB") == 0)
		mul = 1ull << 40;
	else
		return 0;
	if (n > UINT64_MAX / mul)
		return 0;
	return n * mul;
}

uint64_t run_cpu_shares_to_weight(uint64_t shares)
{
	if (shares == 0)
		return 0;
	if (shares < 2)
		shares = 2;
	if (shares > 262144)
		shares = 262144;
	return 1 + ((shares - 2) * 9999) / 262142;
}

uint64_t run_blkio_weight_to_io_weight(uint64_t weight)
{
	if (weight == 0)
		return 0;
	if (weight < 10)
		weight = 10;
	if (weight > 1000)
		weight = 1000;
	return 1 + (weight - 10) * 9999 / 990;
}

int run_memory_swap_to_v2(int64_t swap, int64_t memory, int64_t *ret, struct oci_err **err)
{
	/* as cgroup v1: memory unlimited and swap not given means both unlimited */
	if (memory == -1 && swap == 0) {
		*ret = -1;
		return 0;
	}
	if (swap == -1 || swap == 0) {
		*ret = swap;
		return 0;
	}
	if (memory == 0 || memory == -1)
		return oci_err_set(err, EINVAL,
				   "memory.swap: cannot set a swap limit without a memory limit");
	if (swap < memory)
		return oci_err_set(err, EINVAL,
				   "memory.swap: the memory+swap limit %" PRId64
				   " is below the memory limit %" PRId64,
				   swap, memory);
	*ret = swap - memory;
	return 0;
}

const char *const run_update_flags[] = {
	"blkio-weight", "cpu-period",	 "cpu-quota",	 "cpu-rt-period",
	"cpu-rt-runtime", "cpu-share",	 "cpuset-cpus",	 "cpuset-mems",
	"memory",	"memory-reservation", "memory-swap", "pids-limit",
	"kernel-memory", "kernel-memory-tcp", NULL,
};

int run_parse_memory_size(const char *s, int64_t *ret)
{
	if (streq(s, "-1")) {
		*ret = -1;
		return 0;
	}
	/* digits with an optional fraction ("1.5g", as Docker takes): strtod
	 * alone would also take hex, exponents, "inf" and "nan" */
	const char *num_end = s;
	while (isdigit((unsigned char)*num_end))
		num_end++;
	if (*num_end == '.' && isdigit((unsigned char)num_end[1]))
		for (num_end++; isdigit((unsigned char)*num_end);)
			num_end++;
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || end != num_end || v < 0 || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	uint64_t mul = 1;
	if (*end) {
		switch (tolower((unsigned char)*end)) {
		case 'b':
			mul = 1;
			break;
		case 'k':
			mul = 1ull << 10;
			break;
		case 'm':
			mul = 1ull << 20;
			break;
		case 'g':
			mul = 1ull << 30;
			break;
		case 't':
			mul = 1ull << 40;
			break;
		default:
			return -EINVAL;
		}
		end++;
		/* "512mb", "1gib" */
		if (*end && tolower((unsigned char)*end) == 'i')
			end++;
		if (*end && tolower((unsigned char)*end) == 'b' && mul > 1)
			end++;
		if (*end)
			return -EINVAL;
	}
	double b = v * (double)mul;
	if (b >= 9.2e18)
		return -ERANGE;
	*ret = (int64_t)b;
	return 0;
}

int run_resources_set_flag(struct run_resources *r, const char *flag, const char *value,
			   struct oci_err **err)
{
	long long n;
	int64_t m;
	if (streq(flag, "cpuset-cpus") || streq(flag, "cpuset-mems")) {
		char **dst = streq(flag, "cpuset-cpus") ? &r->cpu.cpus : &r->cpu.mems;
		free(*dst);
		*dst = xstrdup(value);
		return 0;
	}
	if (startswith(flag, "memory") || startswith(flag, "kernel-memory")) {
		if (run_parse_memory_size(value, &m) < 0)
			return oci_err_set(err, EINVAL,
					   "--%s: invalid size '%s' (expected bytes with an "
					   "optional k, m, g or t suffix, or -1)",
					   flag, value);
		if (streq(flag, "memory")) {
			r->memory.has_limit = true;
			r->memory.limit = m;
		} else if (streq(flag, "memory-reservation")) {
			r->memory.has_reservation = true;
			r->memory.reservation = m;
		} else if (streq(flag, "memory-swap")) {
			r->memory.has_swap = true;
			r->memory.swap = m;
		} else if (streq(flag, "kernel-memory")) {
			r->memory.has_kernel = true;
			r->memory.kernel = m;
		} else if (streq(flag, "kernel-memory-tcp")) {
			r->memory.has_kernel_tcp = true;
			r->memory.kernel_tcp = m;
		} else {
			return oci_err_set(err, EINVAL, "--%s: unknown resource flag", flag);
		}
		return 0;
	}
	bool is_signed = streq(flag, "cpu-quota") || streq(flag, "cpu-rt-runtime") ||
			 streq(flag, "pids-limit");
	if (oci_parse_int64(value, is_signed ? -1 : 0, INT64_MAX, &n) < 0)
		return oci_err_set(err, EINVAL, "--%s: invalid number '%s'", flag, value);
	if (streq(flag, "blkio-weight")) {
		if (n > UINT16_MAX)
			return oci_err_set(err, ERANGE, "--%s: %lld is out of range", flag, n);
		r->blkio.has_weight = true;
		r->blkio.weight = (uint16_t)n;
	} else if (streq(flag, "cpu-period")) {
		r->cpu.has_period = true;
		r->cpu.period = (uint64_t)n;
	} else if (streq(flag, "cpu-quota")) {
		r->cpu.has_quota = true;
		r->cpu.quota = n;
	} else if (streq(flag, "cpu-rt-period")) {
		r->cpu.has_rt_period = true;
		r->cpu.rt_period = (uint64_t)n;
	} else if (streq(flag, "cpu-rt-runtime")) {
		r->cpu.has_rt_runtime = true;
		r->cpu.rt_runtime = n;
	} else if (streq(flag, "cpu-share")) {
		r->cpu.has_shares = true;
		r->cpu.shares = (uint64_t)n;
	} else if (streq(flag, "pids-limit")) {
		r->has_pids_limit = true;
		r->pids_limit = n;
	} else {
		return oci_err_set(err, EINVAL, "--%s: unknown resource flag", flag);
	}
	return 0;
}
