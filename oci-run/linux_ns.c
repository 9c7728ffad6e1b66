/* Namespaces for the container's init. */
#include "linux_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/nsfs.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

const char *run_ns_name(int type)
{
	switch (type) {
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWNET:
		return "network";
	case CLONE_NEWNS:
		return "mount";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWCGROUP:
		return "cgroup";
	case CLONE_NEWTIME:
		return "time";
	}
	return "unknown";
}

int run_ns_open_paths(const struct run_spec *s, int **ret, struct oci_err **err)
{
	int *fds = xcalloc(s->n_namespaces + 1, sizeof(int));
	for (size_t i = 0; i < s->n_namespaces; i++)
		fds[i] = -1;
	for (size_t i = 0; i < s->n_namespaces; i++) {
		const struct run_ns *n = &s->namespaces[i];
		if (!n->path)
			continue;
		fds[i] = open(n->path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			int r = oci_err_sys(err, "linux.namespaces: %s namespace '%s'",
					    run_ns_name(n->type), n->path);
			run_ns_close_paths(s, fds);
			return r;
		}
		int t = ioctl(fds[i], NS_GET_NSTYPE);
		if (t >= 0 && t != n->type) {
			run_ns_close_paths(s, fds);
			return oci_err_set(err, EINVAL,
					   "linux.namespaces: '%s' is not a %s namespace (it is a "
					   "%s namespace)",
					   n->path, run_ns_name(n->type), run_ns_name(t));
		}
		if (t < 0 && errno == ENOTTY) {
			run_ns_close_paths(s, fds);
			return oci_err_set(err, EINVAL, "linux.namespaces: '%s' is not a namespace",
					   n->path);
		}
	}
	*ret = fds;
	return 0;
}

void run_ns_close_paths(const struct run_spec *s, int *fds)
{
	if (!fds)
		return;
	for (size_t i = 0; i < s->n_namespaces; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

static int join_one(const struct run_spec *s, const int *fds, size_t i, struct oci_err **err)
{
	if (setns(fds[i], s->namespaces[i].type) < 0)
		return oci_err_sys(err, "join %s namespace '%s'",
				   run_ns_name(s->namespaces[i].type), s->namespaces[i].path);
	return 0;
}

int run_ns_join(const struct run_spec *s, const int *fds, struct oci_err **err)
{
	/* user first (it grants the rights for the others), mount last */
	for (int pass = 0; pass < 3; pass++) {
		for (size_t i = 0; i < s->n_namespaces; i++) {
			int t = s->namespaces[i].type;
			if (fds[i] < 0)
				continue;
			if ((pass == 0) != (t == CLONE_NEWUSER))
				continue;
			if (pass > 0 && (pass == 2) != (t == CLONE_NEWNS))
				continue;
			int r = join_one(s, fds, i, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int run_ns_new_flags(const struct run_spec *s)
{
	int flags = 0;
	for (size_t i = 0; i < s->n_namespaces; i++)
		if (!s->namespaces[i].path)
			flags |= s->namespaces[i].type;
	return flags;
}

static int write_map(pid_t pid, const char *file, const struct run_idmap *m, size_t n,
		     struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	char path[64];
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "%u %u %u\n", m[i].container_id, m[i].host_id, m[i].size);
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", path);
	if (write(fd, sb.buf, sb.len) != (ssize_t)sb.len)
		return oci_err_sys(err, "linux.%s: write '%s'",
				   streq(file, "uid_map") ? "uidMappings" : "gidMappings", path);
	return 0;
}

int run_ns_write_idmaps(pid_t pid, const struct run_spec *s, struct oci_err **err)
{
	int r = write_map(pid, "uid_map", s->uid_mappings, s->n_uid_mappings, err);
	if (r < 0)
		return r;
	if (geteuid() != 0) {
		/* rootless: an unprivileged process may write gid_map only after
		 * setgroups(2) has been denied in the namespace */
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
		_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "deny", 4) != 4)
			return oci_err_sys(err, "write '%s'", path);
	}
	return write_map(pid, "gid_map", s->gid_mappings, s->n_gid_mappings, err);
}

int run_ns_idmap_userns(const struct run_idmap *uids, size_t n_uids, const struct run_idmap *gids,
			size_t n_gids, int *ret_fd, struct oci_err **err)
{
	int ready[2], done[2];
	if (pipe2(ready, O_CLOEXEC) < 0)
		return oci_err_sys(err, "pipe");
	if (pipe2(done, O_CLOEXEC) < 0) {
		close(ready[0]);
		close(ready[1]);
		return oci_err_sys(err, "pipe");
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(ready[0]);
		close(ready[1]);
		close(done[0]);
		close(done[1]);
		return oci_err_sys(err, "fork");
	}
	if (pid == 0) {
		char b = 0;
		close(ready[0]);
		close(done[1]);
		if (unshare(CLONE_NEWUSER) < 0)
			_exit(1);
		if (write(ready[1], &b, 1) != 1)
			_exit(1);
		/* wait until the parent has what it needs */
		(void)!read(done[0], &b, 1);
		_exit(0);
	}
	close(ready[1]);
	close(done[0]);
	char b;
	int r = 0;
	if (read(ready[0], &b, 1) != 1)
		r = oci_err_set(err, EPERM, "create a user namespace for an idmap mount");
	if (r == 0)
		r = write_map(pid, "uid_map", uids, n_uids, err);
	if (r == 0)
		r = write_map(pid, "gid_map", gids, n_gids, err);
	if (r == 0) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			r = oci_err_sys(err, "open '%s'", path);
		else
			*ret_fd = fd;
	}
	close(ready[0]);
	close(done[1]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}

int run_ns_write_time_offsets(const struct run_spec *s, struct oci_err **err)
{
	if (!s->has_time_offsets)
		return 0;
	_cleanup_free_ char *text =
	    xasprintf("monotonic %lld %lld\nboottime %lld %lld\n", (long long)s->monotonic_secs,
		      (long long)s->monotonic_nsecs, (long long)s->boottime_secs,
		      (long long)s->boottime_nsecs);
	_cleanup_close_ int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open '/proc/self/timens_offsets'");
	if (write(fd, text, strlen(text)) < 0)
		return oci_err_sys(err, "linux.timeOffsets: write '/proc/self/timens_offsets'");
	return 0;
}
