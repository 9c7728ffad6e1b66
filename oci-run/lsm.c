/* AppArmor and SELinux for the container's process and mounts. */
#include "lsm.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "cleanup.h"
#include "util.h"

#define SELINUX_FS_MAGIC 0xf97cff8c

bool run_lsm_apparmor_enabled(void)
{
	_cleanup_close_ int fd =
	    open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
	char c = 0;
	return fd >= 0 && read(fd, &c, 1) == 1 && c == 'Y';
}

bool run_lsm_selinux_enabled(void)
{
	struct statfs sf;
	return statfs("/sys/fs/selinux", &sf) == 0 && (unsigned long)sf.f_type == SELINUX_FS_MAGIC;
}

int run_lsm_check_process(const struct run_process *p, struct oci_err **err)
{
	if (p->apparmor_profile && *p->apparmor_profile && !run_lsm_apparmor_enabled())
		return oci_err_set(err, ENOTSUP,
				   "process.apparmorProfile: '%s' asked for, but AppArmor is not "
				   "enabled on this host",
				   p->apparmor_profile);
	if (p->selinux_label && *p->selinux_label && !run_lsm_selinux_enabled())
		return oci_err_set(err, ENOTSUP,
				   "process.selinuxLabel: '%s' asked for, but SELinux is not "
				   "enabled on this host",
				   p->selinux_label);
	return 0;
}

static bool labelled_fs(const char *type)
{
	return type && (streq(type, "tmpfs") || streq(type, "mqueue") || streq(type, "devpts"));
}

int run_lsm_prepare(struct run_spec *s, struct oci_err **err)
{
	if (s->has_process) {
		int r = run_lsm_check_process(&s->process, err);
		if (r < 0)
			return r;
	}
	if (s->has_intel_rdt)
		return oci_err_set(err, ENOTSUP, "linux.intelRdt: %s",
				   access("/sys/fs/resctrl/schemata", F_OK) == 0
				       ? "not supported by oci-run"
				       : "Intel RDT (resctrl) is not available on this host");
	if (!s->mount_label || !*s->mount_label)
		return 0;
	if (!run_lsm_selinux_enabled())
		return oci_err_set(err, ENOTSUP,
				   "linux.mountLabel: '%s' asked for, but SELinux is not enabled "
				   "on this host",
				   s->mount_label);
	run_lsm_label_mounts(s);
	return 0;
}

void run_lsm_label_mounts(struct run_spec *s)
{
	for (size_t i = 0; s->mount_label && *s->mount_label && i < s->n_mounts; i++) {
		struct run_mount *m = &s->mounts[i];
		if (m->bind || !labelled_fs(m->type))
			continue;
		char *d = run_lsm_mount_data(m->data, s->mount_label);
		free(m->data);
		m->data = d;
	}
}

char *run_lsm_mount_data(const char *data, const char *label)
{
	if (data && *data)
		return xasprintf("%s,context=\"%s\"", data, label);
	return xasprintf("context=\"%s\"", label);
}

static int write_attr(const char *path, const char *value, const char *what, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "%s: open '%s'", what, path);
	size_t n = strlen(value);
	ssize_t w = write(fd, value, n);
	if (w < 0)
		return oci_err_sys(err, "%s: write '%s'", what, path);
	if ((size_t)w != n)
		return oci_err_set(err, EIO, "%s: short write to '%s'", what, path);
	return 0;
}

int run_lsm_apparmor_apply_at(const char *apparmor_path, const char *fallback_path,
			      const char *profile, struct oci_err **err)
{
	_cleanup_free_ char *v = xasprintf("exec %s", profile);
	const char *path = apparmor_path;
	if (access(apparmor_path, F_OK) < 0 && errno == ENOENT)
		path = fallback_path;
	_cleanup_free_ char *what = xasprintf("process.apparmorProfile '%s'", profile);
	return write_attr(path, v, what, err);
}

int run_lsm_selinux_apply_at(const char *path, const char *label, struct oci_err **err)
{
	_cleanup_free_ char *what = xasprintf("process.selinuxLabel '%s'", label);
	return write_attr(path, label, what, err);
}

int run_lsm_apply_exec(const struct run_process *p, struct oci_err **err)
{
	int r;
	if (p->apparmor_profile && *p->apparmor_profile &&
	    (r = run_lsm_apparmor_apply_at("/proc/self/attr/apparmor/exec", "/proc/self/attr/exec",
					   p->apparmor_profile, err)) < 0)
		return r;
	if (p->selinux_label && *p->selinux_label &&
	    (r = run_lsm_selinux_apply_at("/proc/self/attr/exec", p->selinux_label, err)) < 0)
		return r;
	return 0;
}
