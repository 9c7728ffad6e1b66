/* The default config.json that `oci-run spec` writes and oci-unpack starts
 * from: the same content as `runc spec` (runc 1.2 defaults). */
#include "runtime_spec.h"

#include <unistd.h>

#include "util.h"

static json_t *strv_json(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *mount_json(const char *dest, const char *type, const char *src,
			  const char *const *opts)
{
	json_t *m = json_object();
	json_object_set_new(m, "destination", json_string(dest));
	json_object_set_new(m, "type", json_string(type));
	json_object_set_new(m, "source", json_string(src));
	if (opts)
		json_object_set_new(m, "options", strv_json(opts));
	return m;
}

static json_t *idmap_json(unsigned long host)
{
	json_t *a = json_array();
	json_t *m = json_object();
	json_object_set_new(m, "containerID", json_integer(0));
	json_object_set_new(m, "hostID", json_integer((json_int_t)host));
	json_object_set_new(m, "size", json_integer(1));
	json_array_append_new(a, m);
	return a;
}

static json_t *process_json(void)
{
	static const char *const args[] = {"sh", NULL};
	static const char *const env[] = {
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
	    NULL};
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	json_t *p = json_object();
	json_object_set_new(p, "terminal", json_true());
	json_t *user = json_object();
	json_object_set_new(user, "uid", json_integer(0));
	json_object_set_new(user, "gid", json_integer(0));
	json_object_set_new(p, "user", user);
	json_object_set_new(p, "args", strv_json(args));
	json_object_set_new(p, "env", strv_json(env));
	json_object_set_new(p, "cwd", json_string("/"));
	json_t *c = json_object();
	json_object_set_new(c, "bounding", strv_json(caps));
	json_object_set_new(c, "effective", strv_json(caps));
	json_object_set_new(c, "permitted", strv_json(caps));
	json_object_set_new(p, "capabilities", c);
	json_t *rl = json_object();
	json_object_set_new(rl, "type", json_string("RLIMIT_NOFILE"));
	json_object_set_new(rl, "hard", json_integer(1024));
	json_object_set_new(rl, "soft", json_integer(1024));
	json_t *rls = json_array();
	json_array_append_new(rls, rl);
	json_object_set_new(p, "rlimits", rls);
	json_object_set_new(p, "noNewPrivileges", json_true());
	return p;
}

static json_t *mounts_json(bool rootless)
{
	static const char *const dev[] = {"nosuid", "strictatime", "mode=755", "size=65536k", NULL};
	static const char *const pts[] = {"nosuid",    "noexec", "newinstance", "ptmxmode=0666",
					  "mode=0620", "gid=5",	 NULL};
	static const char *const pts_rootless[] = {"nosuid",	    "noexec",	 "newinstance",
						   "ptmxmode=0666", "mode=0620", NULL};
	static const char *const shm[] = {"nosuid",    "noexec",      "nodev",
					  "mode=1777", "size=65536k", NULL};
	static const char *const mq[] = {"nosuid", "noexec", "nodev", NULL};
	static const char *const sys[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const sys_rootless[] = {"nosuid", "noexec", "nodev",
						   "rbind",  "ro",     NULL};
	static const char *const cg[] = {"nosuid", "noexec", "nodev", "relatime", "ro", NULL};
	json_t *a = json_array();
	json_array_append_new(a, mount_json("/proc", "proc", "proc", NULL));
	json_array_append_new(a, mount_json("/dev", "tmpfs", "tmpfs", dev));
	json_array_append_new(
	    a, mount_json("/dev/pts", "devpts", "devpts", rootless ? pts_rootless : pts));
	json_array_append_new(a, mount_json("/dev/shm", "tmpfs", "shm", shm));
	json_array_append_new(a, mount_json("/dev/mqueue", "mqueue", "mqueue", mq));
	if (rootless)
		json_array_append_new(a, mount_json("/sys", "none", "/sys", sys_rootless));
	else
		json_array_append_new(a, mount_json("/sys", "sysfs", "sysfs", sys));
	json_array_append_new(a, mount_json("/sys/fs/cgroup", "cgroup", "cgroup", cg));
	return a;
}

static json_t *linux_json(bool rootless)
{
	static const char *const masked[] = {"/proc/acpi",
					     "/proc/asound",
					     "/proc/kcore",
					     "/proc/keys",
					     "/proc/latency_stats",
					     "/proc/timer_list",
					     "/proc/timer_stats",
					     "/proc/sched_debug",
					     "/sys/firmware",
					     "/proc/scsi",
					     "/sys/devices/virtual/powercap",
					     NULL};
	static const char *const ro[] = {
	    "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL};
	json_t *l = json_object();
	if (rootless) {
		json_object_set_new(l, "uidMappings", idmap_json(geteuid()));
		json_object_set_new(l, "gidMappings", idmap_json(getegid()));
	} else {
		json_t *dev = json_object();
		json_object_set_new(dev, "allow", json_false());
		json_object_set_new(dev, "access", json_string("rwm"));
		json_t *devs = json_array();
		json_array_append_new(devs, dev);
		json_t *res = json_object();
		json_object_set_new(res, "devices", devs);
		json_object_set_new(l, "resources", res);
	}
	json_t *ns = json_array();
	const char *types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup", "user"};
	for (size_t i = 0; i < ARRAY_SIZE(types); i++) {
		if (rootless && streq(types[i], "network"))
			continue;
		if (!rootless && streq(types[i], "user"))
			continue;
		json_t *n = json_object();
		json_object_set_new(n, "type", json_string(types[i]));
		json_array_append_new(ns, n);
	}
	json_object_set_new(l, "namespaces", ns);
	json_object_set_new(l, "maskedPaths", strv_json(masked));
	json_object_set_new(l, "readonlyPaths", strv_json(ro));
	return l;
}

json_t *oci_runtime_spec_default(bool rootless)
{
	json_t *s = json_object();
	json_object_set_new(s, "ociVersion", json_string(OCI_RUNTIME_SPEC_BUNDLE_VERSION));
	json_object_set_new(s, "process", process_json());
	json_t *root = json_object();
	json_object_set_new(root, "path", json_string("rootfs"));
	json_object_set_new(root, "readonly", json_true());
	json_object_set_new(s, "root", root);
	json_object_set_new(s, "hostname", json_string("runc"));
	json_object_set_new(s, "mounts", mounts_json(rootless));
	json_object_set_new(s, "linux", linux_json(rootless));
	return s;
}
