/* --systemd-cgroup: the cgroupsPath "slice:prefix:name" form. Talking to
 * systemd over D-Bus (a transient scope) is not done: where systemd runs as
 * PID 1 the scope's path is made through cgroupfs at the place systemd
 * would give it; elsewhere a clear error. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "sbuf.h"
#include "util.h"

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

int run_cg_systemd_path(const char *cgroups_path, const char *id, char **ret,
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
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	int r = expand_slice(*slice ? slice : "system.slice", &sb, err);
	if (r < 0)
		return r;
	if (endswith(name, ".slice")) {
		/* the container is a slice of its own, below the parent slice */
		_cleanup_sbuf_ struct sbuf s2 = SBUF_INIT;
		r = expand_slice(name, &s2, err);
		if (r < 0)
			return r;
		const char *last = strrchr(s2.buf, '/');
		sbuf_addstr(&sb, last);
	} else if (*prefix) {
		sbuf_addf(&sb, "/%s-%s.scope", prefix, name);
	} else {
		sbuf_addf(&sb, "/%s.scope", name);
	}
	*ret = sbuf_detach(&sb, NULL);
	return 0;
}
