/* Namespaces for the container's init. */
#include "linux_ns.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <linux/nsfs.h>

#include <pwd.h>
#include <sys/stat.h>

#include "../common/exec.h" /* not oci-run/exec.h (oci-run exec) */
#include "fs.h"
#include "log.h"
#include "sbuf.h"
#include "subid.h"
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

/* The name of the user UID, or NULL. Caller frees. */
static char *user_name(uid_t uid)
{
	size_t size = 1024;
	for (int tries = 0; tries < 8; tries++, size *= 4) {
		_cleanup_free_ char *buf = xmalloc(size);
		struct passwd pw, *res = NULL;
		int r = getpwuid_r(uid, &pw, buf, size, &res);
		if (r == ERANGE)
			continue;
		return r == 0 && res ? xstrdup(res->pw_name) : NULL;
	}
	return NULL;
}

/* "user 'name' (uid N)", or "uid N" without a passwd entry. Caller frees. */
static char *user_desc(uid_t uid)
{
	_cleanup_free_ char *name = user_name(uid);
	return name ? xasprintf("user '%s' (uid %u)", name, (unsigned)uid)
		    : xasprintf("uid %u", (unsigned)uid);
}

static const char *helper_path_env(void)
{
	const char *p = secure_getenv("PATH");
	return p ? p : "/usr/local/bin:/usr/bin:/bin";
}

struct id_kind {
	const char *id;	    /* "uid" */
	const char *field;  /* "linux.uidMappings" */
	const char *file;   /* "/etc/subuid" */
	const char *helper; /* "newuidmap" */
	const char *map;    /* "uid_map" */
};

static const struct id_kind uid_kind = {"uid", "linux.uidMappings", RUN_SUBUID_FILE, "newuidmap",
					"uid_map"};
static const struct id_kind gid_kind = {"gid", "linux.gidMappings", RUN_SUBGID_FILE, "newgidmap",
					"gid_map"};

/* crun's mappings for a rootless caller: OWN at 0, and the subordinate ids
 * of the user from 1 on when there are any and the helper is there; else
 * OWN alone, which is no error. */
static int auto_map(const struct id_kind *k, uid_t euid, uint32_t own, struct run_idmap **ret,
		    size_t *ret_n, struct oci_err **err)
{
	_cleanup_free_ char *name = user_name(euid);
	_cleanup_free_ char *who = user_desc(euid);
	_cleanup_free_ struct run_subid_range *ranges = NULL;
	size_t n = 0;
	struct oci_err *e = NULL;
	if (run_subid_read(k->file, name, (uint32_t)euid, &ranges, &n, &e) < 0) {
		oci_debug("rootless: %s: only %s %u is mapped (to 0)", e->msg, k->id,
			  (unsigned)own);
		oci_err_free(e);
		n = 0;
	} else if (n == 0) {
		oci_debug("rootless: no subordinate %ss for %s in %s: only %s %u is mapped (to 0)",
			  k->id, who, k->file, k->id, (unsigned)own);
	}
	_cleanup_free_ char *helper =
	    n ? run_subid_find_helper(k->helper, helper_path_env()) : NULL;
	if (n && !helper) {
		oci_debug("rootless: %s has subordinate %ss in %s but '%s' is not in PATH: only "
			  "%s %u is mapped (to 0)",
			  who, k->id, k->file, k->helper, k->id, (unsigned)own);
		n = 0;
	}
	*ret_n = run_subid_default_map(own, ranges, n, ret);
	if (*ret_n > 1)
		oci_debug(
		    "rootless: %s %u at 0 and %llu subordinate %ss of %s from %s at 1 (through "
		    "'%s')",
		    k->id, (unsigned)own, (unsigned long long)run_idmap_count(*ret + 1, *ret_n - 1),
		    k->id, who, k->file, helper);
	(void)err;
	return 0;
}

int run_ns_prepare_userns(struct run_spec *s, uid_t euid, gid_t egid, struct oci_err **err)
{
	const struct run_ns *user = run_spec_ns(s, CLONE_NEWUSER);
	if (user && user->path)
		return 0;
	if (euid == 0) {
		if (user && (!s->n_uid_mappings || !s->n_gid_mappings))
			return oci_err_set(
			    err, EINVAL,
			    "linux.uidMappings: a new user namespace needs uidMappings "
			    "and gidMappings");
		return 0;
	}
	if (!user) {
		/* as crun does: an unprivileged caller gets a user namespace */
		s->namespaces =
		    xrealloc(s->namespaces, (s->n_namespaces + 1) * sizeof(struct run_ns));
		s->namespaces[s->n_namespaces++] = (struct run_ns){.type = CLONE_NEWUSER};
		s->ns_flags |= CLONE_NEWUSER;
		oci_debug("rootless: the config has no user namespace: making one");
	}
	const struct id_kind *kinds[2] = {&uid_kind, &gid_kind};
	for (int i = 0; i < 2; i++) {
		const struct id_kind *k = kinds[i];
		struct run_idmap **m = i == 0 ? &s->uid_mappings : &s->gid_mappings;
		size_t *n = i == 0 ? &s->n_uid_mappings : &s->n_gid_mappings;
		uint32_t own = i == 0 ? (uint32_t)euid : (uint32_t)egid;
		if (!*n) {
			int r = auto_map(k, euid, own, m, n, err);
			if (r < 0)
				return r;
			if (i == 0)
				s->uid_mappings_auto = true;
			else
				s->gid_mappings_auto = true;
			continue;
		}
		if (run_idmap_is_own_only(*m, *n, own))
			continue;
		/* more than one's own id: only the setuid helper may write that */
		_cleanup_free_ char *helper = run_subid_find_helper(k->helper, helper_path_env());
		if (!helper) {
			_cleanup_free_ char *who = user_desc(euid);
			return oci_err_set(err, ENOENT,
					   "%s: %s maps more than its own %s, which takes '%s' "
					   "(package uidmap), and it is not in PATH",
					   k->field, who, k->id, k->helper);
		}
	}
	return 0;
}

/* Runs newuidmap/newgidmap PID MAPPINGS; its complaint goes into the error. */
static int write_map_helper(const struct id_kind *k, pid_t pid, const struct run_idmap *m, size_t n,
			    struct oci_err **err)
{
	_cleanup_free_ char *helper = run_subid_find_helper(k->helper, helper_path_env());
	if (!helper)
		return oci_err_set(err, ENOENT, "'%s' is not in PATH", k->helper);
	_cleanup_strv_ char **argv = run_subid_helper_argv(helper, pid, m, n);
	const struct oci_exec x = {.argv = argv,
				   .search = "",
				   .out_mode = OCI_EXEC_CAPTURE,
				   .err_mode = OCI_EXEC_CAPTURE,
				   .max_capture = 4096};
	_cleanup_exec_result_ struct oci_exec_result res = {0};
	int r = oci_exec_run(&x, &res, err);
	if (r < 0)
		return r;
	if (res.status == 0)
		return 0;
	/* the helper's complaint: the first line it wrote, stderr first */
	const char *said = res.errout && *res.errout ? res.errout : res.out ? res.out : "";
	if (*said)
		return oci_err_set(err, EPERM, "'%s' refused them: %.*s", helper,
				   (int)strcspn(said, "\n"), said);
	return oci_err_set(err, EPERM, "'%s' refused them (exit status %d)", helper, res.status);
}

static int deny_setgroups(pid_t pid, struct oci_err **err)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)pid);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "deny", 4) != 4)
		return oci_err_sys(err, "write '%s'", path);
	return 0;
}

/* An unprivileged writer maps its own id itself (gid_map only after
 * setgroups(2) has been denied in the namespace). */
static int write_map_own(const struct id_kind *k, pid_t pid, const struct run_idmap *m, size_t n,
			 struct oci_err **err)
{
	if (k == &gid_kind && geteuid() != 0) {
		int r = deny_setgroups(pid, err);
		if (r < 0)
			return r;
	}
	return write_map(pid, k->map, m, n, err);
}

static int write_ids(const struct id_kind *k, pid_t pid, const struct run_idmap *m, size_t n,
		     bool automatic, struct oci_err **err)
{
	uid_t euid = geteuid();
	uint32_t own = k == &uid_kind ? (uint32_t)euid : (uint32_t)getegid();
	if (euid == 0 || run_idmap_is_own_only(m, n, own))
		return write_map_own(k, pid, m, n, err);
	struct oci_err *e = NULL;
	if (write_map_helper(k, pid, m, n, &e) == 0)
		return 0;
	_cleanup_free_ char *who = user_desc(euid);
	if (!automatic) {
		int r = oci_err_set(err, e->code, "%s: %s may not map these %ss (see %s): %s",
				    k->field, who, k->id, k->file, e->msg);
		oci_err_free(e);
		return r;
	}
	/* crun's fallback when its own choice of mappings fails */
	oci_warn("rootless: the subordinate %ss of %s in %s: %s; mapping only %s %u", k->id, who,
		 k->file, e->msg, k->id, (unsigned)own);
	oci_err_free(e);
	struct run_idmap single = {.container_id = 0, .host_id = own, .size = 1};
	return write_map_own(k, pid, &single, 1, err);
}

int run_ns_write_idmaps(pid_t pid, const struct run_spec *s, struct oci_err **err)
{
	int r = write_ids(&uid_kind, pid, s->uid_mappings, s->n_uid_mappings, s->uid_mappings_auto,
			  err);
	if (r < 0)
		return r;
	return write_ids(&gid_kind, pid, s->gid_mappings, s->n_gid_mappings, s->gid_mappings_auto,
			 err);
}

static bool same_ns(const char *a, const char *b)
{
	struct stat sa, sb;
	if (stat(a, &sa) < 0 || stat(b, &sb) < 0)
		return true;
	return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

void run_ns_adopt_userns(struct run_spec *s, pid_t init_pid)
{
	if (s->ns_flags & CLONE_NEWUSER)
		return;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)init_pid);
	if (!same_ns(path, "/proc/self/ns/user"))
		s->ns_flags |= CLONE_NEWUSER;
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
