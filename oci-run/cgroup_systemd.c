/* --systemd-cgroup: the container's cgroup is a transient systemd unit.
 *
 * cgroupsPath "slice:prefix:name" names a scope "prefix-name.scope" in the
 * slice (a name ending in ".slice" is a slice unit of its own). oci-run
 * asks systemd's manager over D-Bus (its private socket, or the system bus)
 * to start the unit with the init's pid, Delegate=yes and the container's
 * limits as unit properties, waits for the job, and then writes the same
 * limits through cgroupfs (as runc does: the unit properties keep systemd
 * from undoing them on a daemon-reload; the files cover what systemd has no
 * property for). delete stops the unit. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "dbus.h"
#include "fs.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"

#define SD_NAME "org.freedesktop.systemd1"
#define SD_PATH "/org/freedesktop/systemd1"
#define SD_MANAGER "org.freedesktop.systemd1.Manager"
#define SD_TIMEOUT_MS 30000

int run_cg_systemd_check(struct oci_err **err)
{
	_cleanup_free_ char *comm = NULL;
	size_t len = 0;
	struct oci_err *e = NULL;
	bool ok = oci_read_file("/proc/1/comm", 4096, &comm, &len, &e) == 0;
	oci_err_clear(&e);
	if (ok && len > 0 && comm[len - 1] == '\n')
		comm[--len] = 0;
	if (!ok || !streq(comm, "systemd") || access("/run/systemd/system", F_OK) < 0)
		return oci_err_set(err, ENOTSUP,
				   "the systemd cgroup driver needs systemd running as PID 1 "
				   "(PID 1 here is '%s'); run without --systemd-cgroup",
				   ok ? comm : "unknown");
	if (geteuid() != 0)
		return oci_err_set(err, ENOTSUP,
				   "the systemd cgroup driver needs root: a user's systemd "
				   "manager (systemd --user) is not supported; run without "
				   "--systemd-cgroup");
	return 0;
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice" (systemd's slice nesting). */
static int expand_slice(const char *slice, struct sbuf *out, struct oci_err **err)
{
	if (!endswith(slice, ".slice") || strchr(slice, '/'))
		return oci_err_set(err, EINVAL, "linux.cgroupsPath: invalid slice '%s'", slice);
	if (streq(slice, "-.slice"))
		return 0; /* the root slice */
	size_t n = strlen(slice) - strlen(".slice");
	_cleanup_free_ char *base = xstrndup(slice, n);
	if (!*base || base[0] == '-' || base[n - 1] == '-' || strstr(base, "--"))
		return oci_err_set(err, EINVAL, "linux.cgroupsPath: invalid slice '%s'", slice);
	for (size_t i = 0; i <= n; i++) {
		if (i == n || base[i] == '-') {
			sbuf_addch(out, '/');
			sbuf_add(out, base, i);
			sbuf_addstr(out, ".slice");
		}
	}
	return 0;
}

void run_sd_unit_free(struct run_sd_unit *u)
{
	if (!u)
		return;
	free(u->slice);
	free(u->name);
	free(u->path);
	free(u);
}

int run_cg_systemd_unit(const char *cgroups_path, const char *id, struct run_sd_unit **ret,
			struct oci_err **err)
{
	_cleanup_free_ char *def = NULL;
	if (!cgroups_path || !*cgroups_path)
		cgroups_path = def = xasprintf("system.slice:oci-run:%s", id);
	const char *c1 = strchr(cgroups_path, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (!c2 || strchr(c2 + 1, ':'))
		return oci_err_set(err, EINVAL,
				   "linux.cgroupsPath: '%s' is not in the form slice:prefix:name "
				   "that --systemd-cgroup needs",
				   cgroups_path);
	_cleanup_free_ char *slice = xstrndup(cgroups_path, (size_t)(c1 - cgroups_path));
	_cleanup_free_ char *prefix = xstrndup(c1 + 1, (size_t)(c2 - c1 - 1));
	const char *name = c2 + 1;
	if (!*name || strchr(name, '/') || strchr(prefix, '/'))
		return oci_err_set(err, EINVAL, "linux.cgroupsPath: invalid name in '%s'",
				   cgroups_path);
	_cleanup_(run_sd_unit_freep) struct run_sd_unit *u = xcalloc(1, sizeof(*u));
	u->slice = xstrdup(*slice ? slice : "system.slice");
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	int r = expand_slice(u->slice, &sb, err);
	if (r < 0)
		return r;
	if (endswith(name, ".slice")) {
		/* the container is a slice of its own, below the parent slice */
		_cleanup_sbuf_ struct sbuf s2 = SBUF_INIT;
		r = expand_slice(name, &s2, err);
		if (r < 0)
			return r;
		sbuf_addstr(&sb, strrchr(s2.buf, '/'));
		u->name = xstrdup(name);
		u->is_slice = true;
	} else if (*prefix) {
		u->name = xasprintf("%s-%s.scope", prefix, name);
	} else {
		u->name = xasprintf("%s.scope", name);
	}
	if (!u->is_slice)
		sbuf_addf(&sb, "/%s", u->name);
	u->path = sbuf_detach(&sb, NULL);
	*ret = TAKE_PTR(u);
	return 0;
}

int run_cg_systemd_path(const char *cgroups_path, const char *id, char **ret,
			struct oci_err **err)
{
	_cleanup_(run_sd_unit_freep) struct run_sd_unit *u = NULL;
	int r = run_cg_systemd_unit(cgroups_path, id, &u, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(u->path);
	return 0;
}

/* ------------------------------------------------------------ properties */

static void prop_begin(struct dbus_writer *w, const char *name, const char *sig)
{
	dbus_w_struct(w);
	dbus_w_str(w, name);
	dbus_w_variant(w, sig);
}

static void prop_u64(struct dbus_writer *w, const char *name, uint64_t v)
{
	prop_begin(w, name, "t");
	dbus_w_u64(w, v);
}

static void prop_bool(struct dbus_writer *w, const char *name, bool v)
{
	prop_begin(w, name, "b");
	dbus_w_bool(w, v);
}

static void prop_str(struct dbus_writer *w, const char *name, const char *v)
{
	prop_begin(w, name, "s");
	dbus_w_str(w, v);
}

/* "0-3,6" -> a little-endian bitmask (systemd's AllowedCPUs "ay"). */
int run_sd_cpuset_mask(const char *list, uint8_t **ret, size_t *ret_n, struct oci_err **err)
{
	uint8_t *mask = NULL;
	size_t n = 0;
	const char *p = list;
	while (*p) {
		char *end;
		errno = 0;
		unsigned long a = strtoul(p, &end, 10), b = a;
		if (end == p || errno || a > 65535)
			goto bad;
		p = end;
		if (*p == '-') {
			const char *q = p + 1;
			b = strtoul(q, &end, 10);
			if (end == q || errno || b > 65535 || b < a)
				goto bad;
			p = end;
		}
		if (*p == ',')
			p++;
		else if (*p)
			goto bad;
		if (b / 8 + 1 > n) {
			mask = xrealloc(mask, b / 8 + 1);
			memset(mask + n, 0, b / 8 + 1 - n);
			n = b / 8 + 1;
		}
		for (unsigned long i = a; i <= b; i++)
			mask[i / 8] |= (uint8_t)(1u << (i % 8));
	}
	*ret = mask;
	*ret_n = n;
	return 0;
bad:
	free(mask);
	return oci_err_set(err, EINVAL, "cpuset list '%s' is not valid", list);
}

static int prop_cpuset(struct dbus_writer *w, const char *name, const char *list,
		       struct oci_err **err)
{
	_cleanup_free_ uint8_t *mask = NULL;
	size_t n = 0;
	int r = run_sd_cpuset_mask(list, &mask, &n, err);
	if (r < 0)
		return r;
	prop_begin(w, name, "ay");
	size_t a = dbus_w_array_begin(w, 1);
	for (size_t i = 0; i < n; i++)
		dbus_w_byte(w, mask[i]);
	dbus_w_array_end(w, a);
	return 0;
}

/* The /proc/devices name of a major number ("pts" for char 136). */
static char *device_group(char type, int64_t major)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file("/proc/devices", 1 << 16, &text, &len, &e) < 0) {
		oci_err_free(e);
		return NULL;
	}
	bool in = false;
	for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
		if (startswith(line, "Character devices:"))
			in = type == 'c';
		else if (startswith(line, "Block devices:"))
			in = type == 'b';
		else if (in) {
			long long m;
			char name[64];
			if (sscanf(line, " %lld %63s", &m, name) == 2 && m == major)
				return xstrdup(name);
		}
	}
	return NULL;
}

/* Device rules as DevicePolicy/DeviceAllow, where systemd can say them: an
 * allow-list after a leading "deny all" (the only shape runtimes produce),
 * or a plain "allow all". false: leave devices to cgroupfs alone. */
static bool prop_devices(struct dbus_writer *w, const struct run_resources *res)
{
	const struct run_device_rule *d = res->devices;
	size_t n = res->n_devices;
	if (!res->has_devices || n == 0)
		return false;
	/* the last "allow all" or "deny all" decides what came before it */
	size_t start = 0;
	for (size_t i = 0; i < n; i++)
		if (d[i].type == 'a' && d[i].major == RUN_DEV_ANY && d[i].minor == RUN_DEV_ANY &&
		    strchr(d[i].access, 'r') && strchr(d[i].access, 'w') && strchr(d[i].access, 'm'))
			start = i;
	if (d[start].type == 'a' && d[start].allow) {
		if (start != n - 1)
			return false;
		prop_str(w, "DevicePolicy", "auto");
		prop_begin(w, "DeviceAllow", "a(ss)");
		dbus_w_array_end(w, dbus_w_array_begin(w, 8));
		return true;
	}
	if (d[start].type != 'a')
		return false; /* no leading "deny all": not an allow-list */
	for (size_t i = start + 1; i < n; i++)
		if (!d[i].allow || d[i].type == 'a')
			return false;
	prop_str(w, "DevicePolicy", "strict");
	prop_begin(w, "DeviceAllow", "a(ss)");
	size_t a = dbus_w_array_begin(w, 8);
	for (size_t i = start + 1; i < n; i++) {
		const char *kind = d[i].type == 'b' ? "block" : "char";
		_cleanup_free_ char *node = NULL;
		if (d[i].major == RUN_DEV_ANY) {
			node = xasprintf("%s-*", kind);
		} else if (d[i].minor == RUN_DEV_ANY) {
			_cleanup_free_ char *g = device_group(d[i].type, d[i].major);
			if (!g) {
				oci_debug("systemd: no /proc/devices name for %s major %lld: left "
					  "to cgroupfs",
					  kind, (long long)d[i].major);
				continue;
			}
			node = xasprintf("%s-%s", kind, g);
		} else {
			node = xasprintf("/dev/%s/%lld:%lld", kind, (long long)d[i].major,
					 (long long)d[i].minor);
		}
		dbus_w_struct(w);
		dbus_w_str(w, node);
		dbus_w_str(w, d[i].access);
	}
	dbus_w_array_end(w, a);
	return true;
}

static uint64_t or_infinity(int64_t v)
{
	return v > 0 ? (uint64_t)v : UINT64_MAX;
}

int run_sd_resource_properties(struct dbus_writer *w, const struct run_resources *res, bool v2,
			       struct oci_err **err)
{
	if (!res)
		return 0;
	if (res->memory.has_limit)
		prop_u64(w, v2 ? "MemoryMax" : "MemoryLimit", or_infinity(res->memory.limit));
	if (v2 && res->memory.has_reservation)
		prop_u64(w, "MemoryLow", res->memory.reservation > 0
						 ? (uint64_t)res->memory.reservation
						 : 0);
	if (v2 && res->memory.has_swap) {
		/* memory.swap is memory+swap; systemd's MemorySwapMax is swap alone */
		uint64_t swap = UINT64_MAX;
		if (res->memory.swap > 0 && res->memory.has_limit && res->memory.limit > 0)
			swap = (uint64_t)(res->memory.swap - res->memory.limit);
		else if (res->memory.swap > 0)
			swap = (uint64_t)res->memory.swap;
		prop_u64(w, "MemorySwapMax", swap);
	}
	if (res->cpu.has_shares && res->cpu.shares > 0) {
		if (v2)
			prop_u64(w, "CPUWeight", run_cpu_shares_to_weight(res->cpu.shares));
		else
			prop_u64(w, "CPUShares", res->cpu.shares);
	}
	if (res->cpu.has_period && res->cpu.period > 0)
		prop_u64(w, "CPUQuotaPeriodUSec", res->cpu.period);
	if (res->cpu.has_quota) {
		uint64_t per_sec = UINT64_MAX;
		if (res->cpu.quota > 0) {
			uint64_t period = res->cpu.has_period && res->cpu.period ? res->cpu.period
										 : 100000;
			per_sec = (uint64_t)res->cpu.quota * 1000000 / period;
			/* systemd keeps whole percents: round up, never down */
			if (per_sec % 10000)
				per_sec = (per_sec / 10000 + 1) * 10000;
		}
		prop_u64(w, "CPUQuotaPerSecUSec", per_sec);
	}
	if (v2 && res->cpu.cpus && *res->cpu.cpus) {
		int r = prop_cpuset(w, "AllowedCPUs", res->cpu.cpus, err);
		if (r < 0)
			return r;
	}
	if (v2 && res->cpu.mems && *res->cpu.mems) {
		int r = prop_cpuset(w, "AllowedMemoryNodes", res->cpu.mems, err);
		if (r < 0)
			return r;
	}
	if (res->has_pids_limit)
		prop_u64(w, "TasksMax", or_infinity(res->pids_limit));
	if (res->blkio.has_weight && res->blkio.weight > 0) {
		if (v2)
			prop_u64(w, "IOWeight", run_blkio_weight_to_io_weight(res->blkio.weight));
		else
			prop_u64(w, "BlockIOWeight", res->blkio.weight);
	}
	prop_devices(w, res);
	return 0;
}

/* ------------------------------------------------------------ the manager */

/* systemd's private socket for root (no bus daemon needed), else the system
 * bus; $DBUS_SYSTEM_BUS_ADDRESS ("unix:path=...") first when it is set. */
static int connect_manager(struct dbus_conn **ret, struct oci_err **err)
{
	const char *addr = secure_getenv("DBUS_SYSTEM_BUS_ADDRESS");
	if (addr && *addr) {
		const char *p = strstr(addr, "unix:path=");
		if (!p)
			return oci_err_set(err, EINVAL,
					   "DBUS_SYSTEM_BUS_ADDRESS '%s': only unix:path= addresses "
					   "are supported",
					   addr);
		_cleanup_free_ char *path = xstrndup(p + 10, strcspn(p + 10, ",;"));
		return dbus_connect(path, true, SD_TIMEOUT_MS, ret, err);
	}
	struct oci_err *e = NULL;
	int r = dbus_connect("/run/systemd/private", false, SD_TIMEOUT_MS, ret, &e);
	if (r == 0)
		return 0;
	oci_debug("systemd: %s; trying the system bus", e->msg);
	oci_err_free(e);
	return dbus_connect("/run/dbus/system_bus_socket", true, SD_TIMEOUT_MS, ret, err);
}

static int subscribe(struct dbus_conn *c, struct oci_err **err)
{
	if (dbus_is_bus(c)) {
		struct dbus_writer w = DBUS_WRITER_INIT;
		dbus_w_str(&w, "type='signal',sender='" SD_NAME "',path='" SD_PATH
			       "',interface='" SD_MANAGER "',member='JobRemoved'");
		int r = dbus_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
				  "org.freedesktop.DBus", "AddMatch", "s", &w, NULL, NULL, err);
		dbus_w_release(&w);
		if (r < 0)
			return r;
	}
	return dbus_call(c, SD_NAME, SD_PATH, SD_MANAGER, "Subscribe", NULL, NULL, NULL, NULL,
			 err);
}

struct job_match {
	const char *job;
	char *result;
};

static bool is_job_removed(const struct dbus_msg *m, void *data)
{
	struct job_match *jm = data;
	if (!m->member || !streq(m->member, "JobRemoved") || !streq(m->signature, "uoss"))
		return false;
	struct dbus_reader r;
	dbus_reader_init(&r, m);
	uint32_t id;
	const char *job, *unit, *result;
	struct oci_err *e = NULL;
	if (dbus_r_u32(&r, &id, &e) < 0 || dbus_r_str(&r, &job, &e) < 0 ||
	    dbus_r_str(&r, &unit, &e) < 0 || dbus_r_str(&r, &result, &e) < 0) {
		oci_err_free(e);
		return false;
	}
	if (!streq(job, jm->job))
		return false;
	jm->result = xstrdup(result);
	return true;
}

/* Waits for the job of a method's reply ("o" job path) to finish. */
static int wait_job(struct dbus_conn *c, struct dbus_msg *reply, const char *what,
		    const char *unit, struct oci_err **err)
{
	struct dbus_reader r;
	dbus_reader_init(&r, reply);
	const char *job;
	if (!streq(reply->signature, "o") || dbus_r_str(&r, &job, err) < 0)
		return oci_err_set(err, EPROTO, "systemd: %s '%s': reply without a job", what,
				   unit);
	struct job_match jm = {.job = job};
	_cleanup_(dbus_msg_freep) struct dbus_msg *sig = NULL;
	int rc = dbus_wait_signal(c, is_job_removed, &jm, &sig, err);
	if (rc < 0)
		return oci_err_wrap(err, "systemd: %s '%s'", what, unit);
	_cleanup_free_ char *result = jm.result;
	if (!streq(result, "done"))
		return oci_err_set(err, EIO, "systemd: %s '%s': job ended '%s'", what, unit, result);
	return 0;
}

static void log_properties(const char *unit, const struct dbus_writer *w, size_t array_pos)
{
	if (oci_log_get_level() < OCI_LOG_DEBUG)
		return;
	struct dbus_msg m = {.body = (uint8_t *)w->b.buf, .body_len = w->b.len};
	struct dbus_reader r;
	dbus_reader_init(&r, &m);
	r.pos = array_pos;
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	const char *sig = "a(sv)";
	struct oci_err *e = NULL;
	if (dbus_r_format(&r, &sig, &out, &e) < 0)
		oci_err_free(e);
	oci_debug("systemd: unit '%s' properties %s", unit, out.buf);
}

static int reset_failed(struct dbus_conn *c, const char *unit)
{
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, unit);
	struct oci_err *e = NULL;
	int r = dbus_call(c, SD_NAME, SD_PATH, SD_MANAGER, "ResetFailedUnit", "s", &w, NULL,
			  NULL, &e);
	dbus_w_release(&w);
	oci_err_free(e);
	return r;
}

static int start_unit(struct dbus_conn *c, const struct run_sd_unit *u, const char *id,
		      pid_t pid, const struct run_resources *res, bool v2, char **ret_error,
		      struct oci_err **err)
{
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, u->name);
	dbus_w_str(&w, "replace");
	size_t props_pos = w.b.len;
	size_t a = dbus_w_array_begin(&w, 8);
	_cleanup_free_ char *desc = xasprintf("oci-run container %s", id);
	prop_str(&w, "Description", desc);
	prop_str(&w, "Slice", u->slice);
	prop_bool(&w, "Delegate", true);
	prop_bool(&w, "DefaultDependencies", false);
	prop_bool(&w, "MemoryAccounting", true);
	prop_bool(&w, "CPUAccounting", true);
	prop_bool(&w, "TasksAccounting", true);
	prop_bool(&w, v2 ? "IOAccounting" : "BlockIOAccounting", true);
	if (!u->is_slice && pid > 0) {
		prop_begin(&w, "PIDs", "au");
		size_t pa = dbus_w_array_begin(&w, 4);
		dbus_w_u32(&w, (uint32_t)pid);
		dbus_w_array_end(&w, pa);
	}
	int r = run_sd_resource_properties(&w, res, v2, err);
	if (r < 0) {
		dbus_w_release(&w);
		return r;
	}
	dbus_w_array_end(&w, a);
	dbus_w_array_end(&w, dbus_w_array_begin(&w, 8)); /* no auxiliary units */
	log_properties(u->name, &w, props_pos);
	_cleanup_(dbus_msg_freep) struct dbus_msg *reply = NULL;
	r = dbus_call(c, SD_NAME, SD_PATH, SD_MANAGER, "StartTransientUnit", "ssa(sv)a(sa(sv))",
		      &w, &reply, ret_error, err);
	dbus_w_release(&w);
	if (r < 0)
		return r;
	return wait_job(c, reply, "start", u->name, err);
}

int run_cg_systemd_start(const char *cgroups_path, const char *id, pid_t pid,
			 const struct run_resources *res, bool v2, struct oci_err **err)
{
	_cleanup_(run_sd_unit_freep) struct run_sd_unit *u = NULL;
	int r = run_cg_systemd_unit(cgroups_path, id, &u, err);
	if (r < 0)
		return r;
	_cleanup_(dbus_closep) struct dbus_conn *c = NULL;
	if ((r = connect_manager(&c, err)) < 0 || (r = subscribe(c, err)) < 0)
		return oci_err_wrap(err, "systemd");
	_cleanup_free_ char *ename = NULL;
	struct oci_err *e = NULL;
	r = start_unit(c, u, id, pid, res, v2, &ename, &e);
	if (r < 0 && ename && streq(ename, "org.freedesktop.systemd1.UnitExists")) {
		/* a failed unit of an earlier container of this name: clear it once */
		oci_err_clear(&e);
		reset_failed(c, u->name);
		free(TAKE_PTR(ename));
		r = start_unit(c, u, id, pid, res, v2, &ename, &e);
		if (r < 0 && ename && streq(ename, "org.freedesktop.systemd1.UnitExists")) {
			oci_err_clear(&e);
			return oci_err_set(err, EEXIST, "systemd: unit '%s' exists already",
					   u->name);
		}
	}
	if (r < 0) {
		*err = e;
		return oci_err_wrap(err, "systemd: start unit '%s'", u->name);
	}
	return 0;
}

int run_cg_systemd_set(const char *cgroups_path, const char *id,
		       const struct run_resources *res, bool v2, struct oci_err **err)
{
	_cleanup_(run_sd_unit_freep) struct run_sd_unit *u = NULL;
	int r = run_cg_systemd_unit(cgroups_path, id, &u, err);
	if (r < 0)
		return r;
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, u->name);
	dbus_w_bool(&w, true); /* runtime: not written to /etc */
	size_t props_pos = w.b.len;
	size_t a = dbus_w_array_begin(&w, 8);
	r = run_sd_resource_properties(&w, res, v2, err);
	dbus_w_array_end(&w, a);
	if (r == 0 && w.b.len > props_pos + 8) {
		log_properties(u->name, &w, props_pos);
		_cleanup_(dbus_closep) struct dbus_conn *c = NULL;
		r = connect_manager(&c, err);
		if (r == 0)
			r = dbus_call(c, SD_NAME, SD_PATH, SD_MANAGER, "SetUnitProperties",
				      "sba(sv)", &w, NULL, NULL, err);
		if (r < 0)
			oci_err_wrap(err, "systemd: set properties of unit '%s'", u->name);
	}
	dbus_w_release(&w);
	return r;
}

int run_cg_systemd_stop(const char *cgroups_path, const char *id, struct oci_err **err)
{
	_cleanup_(run_sd_unit_freep) struct run_sd_unit *u = NULL;
	int r = run_cg_systemd_unit(cgroups_path, id, &u, err);
	if (r < 0)
		return r;
	_cleanup_(dbus_closep) struct dbus_conn *c = NULL;
	if ((r = connect_manager(&c, err)) < 0 || (r = subscribe(c, err)) < 0)
		return oci_err_wrap(err, "systemd");
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, u->name);
	dbus_w_str(&w, "replace");
	_cleanup_(dbus_msg_freep) struct dbus_msg *reply = NULL;
	_cleanup_free_ char *ename = NULL;
	struct oci_err *e = NULL;
	r = dbus_call(c, SD_NAME, SD_PATH, SD_MANAGER, "StopUnit", "ss", &w, &reply, &ename, &e);
	dbus_w_release(&w);
	if (r < 0 && ename && streq(ename, "org.freedesktop.systemd1.NoSuchUnit")) {
		/* a scope goes away by itself when its last process ends */
		oci_err_free(e);
		return 0;
	}
	if (r < 0) {
		*err = e;
		return oci_err_wrap(err, "systemd: stop unit '%s'", u->name);
	}
	r = wait_job(c, reply, "stop", u->name, err);
	reset_failed(c, u->name);
	return r;
}
