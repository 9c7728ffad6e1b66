/* checkpoint and restore through criu's command line.
 *
 * checkpoint: `criu dump -t INIT --root ROOTFS` with the config's bind
 * mounts, masked files (/dev/null) and devices as external mounts (a key
 * each, as runc names them), the namespaces given by path as external
 * namespaces, the container's freezer cgroup, and descriptors.json (where
 * the init's stdio went) beside the images. Without --leave-running the
 * processes end and the container is deleted (cgroup, state, poststop
 * hooks), as runc does.
 *
 * restore: a new container ID from the bundle: the state directory, the
 * cgroup prepared with the config's limits (criu joins it before it
 * executes, and puts the restored tasks below it with --cgroup-root), the
 * rootfs bind-mounted on ROOT/ID/criu-root (criu wants a mount point),
 * the external mounts mapped to their sources, the stdio pipes of the
 * checkpointed init replaced by ours (--inherit-fd), and the restored
 * tree made our child (--restore-sibling). The prestart and createRuntime
 * hooks run at criu's setup-namespaces action, through `oci-run
 * criu-action` as criu's action script. */
#include "checkpoint.h"

#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <jansson.h>

#include "cgroup.h"
#include "fs.h"
#include "hooks.h"
#include "json.h"
#include "log.h"
#include "manage.h"
#include "sbuf.h"
#include "spec.h"
#include "state.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* criu 3.15 has --restore-sibling with a pid namespace, external pid
 * namespaces and the cgroup v2 freezer */
#define CRIU_MIN_VERSION 31500

bool run_criu_cgroups_mode_valid(const char *mode)
{
	return mode && (streq(mode, "soft") || streq(mode, "full") || streq(mode, "strict") ||
			streq(mode, "ignore"));
}

/* ---- running criu ------------------------------------------------------ */

struct criu_cmd {
	const char *criu;
	char **argv; /* argv[0] is replaced by criu */
	bool capture;	 /* stdout and stderr into *ret_out; else ours */
	bool keep_stdin; /* else /dev/null */
	const int *keep_fds; /* passed on at their numbers */
	size_t n_keep;
	char *const *cg_tasks; /* cgroup v1 tasks files to join before exec */
	int cg_v2_fd;	       /* unified cgroup directory to join, or -1 */
};

static _Noreturn void criu_child(const struct criu_cmd *x, int out_w, int errpipe)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int e = 0;
	for (char *const *f = x->cg_tasks; f && *f && !e; f++) {
		int fd = open(*f, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			e = errno;
		if (fd >= 0)
			close(fd);
	}
	if (!e && x->cg_v2_fd >= 0) {
		int fd = openat(x->cg_v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			e = errno;
		if (fd >= 0)
			close(fd);
	}
	if (!e && !x->keep_stdin) {
		int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd < 0 || dup2(fd, 0) < 0)
			e = errno;
	}
	if (!e && out_w >= 0 && (dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0))
		e = errno;
	if (!e) {
		syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		for (size_t i = 0; i < x->n_keep; i++)
			fcntl(x->keep_fds[i], F_SETFD, 0);
		/* the error pipe stays close-on-exec */
		fcntl(errpipe, F_SETFD, FD_CLOEXEC);
		x->argv[0] = (char *)x->criu;
		execv(x->criu, x->argv);
		e = errno;
	}
	if (write(errpipe, &e, sizeof(e)) < 0)
		_exit(127);
	_exit(127);
}

/* Runs criu and waits for it: *ret_status is its exit status (128+N for a
 * signal); *ret_out (capture) what it printed. Fails only when it cannot
 * be started. */
static int criu_run(const struct criu_cmd *x, int *ret_status, char **ret_out,
		    struct oci_err **err)
{
	int out[2] = {-1, -1}, ep[2] = {-1, -1};
	if (x->capture && pipe2(out, O_CLOEXEC) < 0)
		return oci_err_sys(err, "pipe");
	if (pipe2(ep, O_CLOEXEC) < 0) {
		int r = oci_err_sys(err, "pipe");
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return r;
	}
	pid_t pid = fork();
	if (pid < 0) {
		int r = oci_err_sys(err, "fork");
		close(ep[0]);
		close(ep[1]);
		if (out[0] >= 0) {
			close(out[0]);
			close(out[1]);
		}
		return r;
	}
	if (pid == 0)
		criu_child(x, out[1], ep[1]);
	close(ep[1]);
	if (out[1] >= 0)
		close(out[1]);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	if (out[0] >= 0) {
		char buf[4096];
		ssize_t n;
		while ((n = read(out[0], buf, sizeof(buf))) != 0) {
			if (n < 0) {
				if (errno == EINTR)
					continue;
				break;
			}
			if (sb.len < (1u << 20))
				sbuf_add(&sb, buf, (size_t)n);
		}
		close(out[0]);
	}
	int child_errno = 0;
	ssize_t n;
	while ((n = read(ep[0], &child_errno, sizeof(child_errno))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	int ws = 0;
	while (waitpid(pid, &ws, 0) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "wait for '%s'", x->criu);
	}
	if (n == (ssize_t)sizeof(child_errno) && child_errno)
		return oci_err_set(err, child_errno, "run '%s': %s", x->criu,
				   strerror(child_errno));
	*ret_status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : WEXITSTATUS(ws);
	if (ret_out)
		*ret_out = sbuf_detach(&sb, NULL);
	return 0;
}

/* criu's messages are "Error (criu/file.c:N): text" (in a log, after a
 * timestamp): the text of the first one that matters. While it probes the
 * kernel, criu logs as errors what it then does without (raising its own
 * RLIMIT_NOFILE without CAP_SYS_RESOURCE, a tun device): skipped. */
static bool criu_probe_noise(const char *msg)
{
	return strstr(msg, "RLIMIT_NOFILE") || strstr(msg, "Unable to create tun") ||
	       strstr(msg, "kerndat");
}

static char *criu_first_error(const char *text)
{
	const char *fallback = NULL;
	for (const char *l = text; l && *l;) {
		const char *nl = strchr(l, '\n');
		size_t len = nl ? (size_t)(nl - l) : strlen(l);
		_cleanup_free_ char *line = xstrndup(l, len);
		char *p = strstr(line, "Error (");
		if (p) {
			char *q = strstr(p, "): ");
			const char *msg = q ? q + 3 : p;
			if (!criu_probe_noise(msg))
				return xstrdup(msg);
		} else if (!fallback && len && !startswith(line, "Warn") && !strstr(line, "Warn ")) {
			fallback = l;
		}
		l = nl ? nl + 1 : NULL;
	}
	if (fallback) {
		const char *nl = strchr(fallback, '\n');
		return nl ? xstrndup(fallback, (size_t)(nl - fallback)) : xstrdup(fallback);
	}
	return NULL;
}

static char *criu_log_error(const char *log_path)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file(log_path, 64u << 20, &text, &len, &e) < 0) {
		oci_err_free(e);
		return NULL;
	}
	return criu_first_error(text);
}

static bool is_executable(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static int criu_find(const char *given, char **ret, struct oci_err **err)
{
	const char *env = secure_getenv("OCI_RUN_CRIU");
	const char *path = given ? given : (env && *env ? env : NULL);
	if (path) {
		if (!is_executable(path))
			return oci_err_set(err, ENOENT,
					   "criu not found: '%s' (%s) is not an executable file",
					   path, given ? "--criu" : "OCI_RUN_CRIU");
		*ret = xstrdup(path);
		return 0;
	}
	const char *p = getenv("PATH");
	_cleanup_free_ char *dirs = xasprintf("%s:/usr/sbin:/sbin", p && *p ? p : "/usr/bin:/bin");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *c = oci_path_join(*d ? d : ".", "criu");
		if (is_executable(c)) {
			*ret = TAKE_PTR(c);
			return 0;
		}
	}
	return oci_err_set(err, ENOENT,
			   "criu not found in PATH, /usr/sbin or /sbin (install criu or set "
			   "OCI_RUN_CRIU)");
}

/* "Version: 3.17.1" -> 31701 */
static int criu_version(const char *criu, int *ret, char **ret_text, struct oci_err **err)
{
	char *argv[] = {NULL, "--version", NULL};
	struct criu_cmd x = {.criu = criu, .argv = argv, .capture = true, .cg_v2_fd = -1};
	_cleanup_free_ char *out = NULL;
	int status = 0;
	int r = criu_run(&x, &status, &out, err);
	if (r < 0)
		return r;
	const char *v = out ? strstr(out, "Version: ") : NULL;
	unsigned a = 0, b = 0, c = 0;
	if (status != 0 || !v || sscanf(v + 9, "%u.%u.%u", &a, &b, &c) < 2)
		return oci_err_set(err, EINVAL, "'%s --version' did not print a criu version",
				   criu);
	*ret = (int)(a * 10000 + b * 100 + c);
	const char *end = v + 9 + strcspn(v + 9, " \n");
	*ret_text = xstrndup(v + 9, (size_t)(end - (v + 9)));
	return 0;
}

/* A criu that can checkpoint and restore on this kernel: found, recent
 * enough, and `criu check` passes. */
static int criu_ready(const char *given, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *criu = NULL;
	_cleanup_free_ char *vtext = NULL;
	int v = 0;
	int r = criu_find(given, &criu, err);
	if (r < 0)
		return r;
	r = criu_version(criu, &v, &vtext, err);
	if (r < 0)
		return r;
	if (v < CRIU_MIN_VERSION)
		return oci_err_set(err, ENOTSUP, "criu '%s' is too old (%s; 3.15 or later needed)",
				   criu, vtext);
	char *argv[] = {NULL, "check", NULL};
	struct criu_cmd x = {.criu = criu, .argv = argv, .capture = true, .cg_v2_fd = -1};
	_cleanup_free_ char *out = NULL;
	int status = 0;
	r = criu_run(&x, &status, &out, err);
	if (r < 0)
		return r;
	if (status != 0) {
		_cleanup_free_ char *why = criu_first_error(out);
		return oci_err_set(err, ENOTSUP,
				   "criu '%s' (%s) does not work on this kernel: criu check: %s",
				   criu, vtext, why ? why : "failed");
	}
	oci_debug("using criu '%s' (%s)", criu, vtext);
	*ret = TAKE_PTR(criu);
	return 0;
}

/* ---- shared pieces --------------------------------------------------------- */

static char *abs_path(const char *p)
{
	if (p[0] == '/')
		return oci_path_clean(p);
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *j = oci_path_join(cwd ? cwd : "/", p);
	return oci_path_clean(j);
}

static void push2(char ***v, const char *a, const char *b)
{
	oci_strv_push(v, a);
	oci_strv_push(v, b);
}

static void push_ext_mount(char ***v, const char *key, const char *val)
{
	_cleanup_free_ char *m = xasprintf("%s:%s", key, val);
	push2(v, "--ext-mount-map", m);
}

/* runc's annotation org.criu.config: a criu configuration file of the
 * container (given to criu when it exists; criu reads its default ones
 * anyway). */
static void push_config_file(char ***v, const struct run_spec *s)
{
	for (char **a = s->annotations; a && a[0] && a[1]; a += 2) {
		if (streq(a[0], "org.criu.config") && *a[1] && access(a[1], R_OK) == 0)
			push2(v, "--config", a[1]);
	}
}

static void push_common(char ***v, const struct run_criu_opts *o)
{
	if (o->cgroups_mode) {
		_cleanup_free_ char *m = xasprintf("--manage-cgroups=%s", o->cgroups_mode);
		oci_strv_push(v, m);
	} else {
		oci_strv_push(v, "--manage-cgroups");
	}
	if (o->shell_job)
		oci_strv_push(v, "--shell-job");
	if (o->tcp_established)
		oci_strv_push(v, "--tcp-established");
	if (o->ext_unix_sk)
		oci_strv_push(v, "--ext-unix-sk");
	if (o->file_locks)
		oci_strv_push(v, "--file-locks");
}

static const char *ns_key(int type)
{
	return type == CLONE_NEWNET ? "extRootNetNS" : "extRootPidNS";
}

static const char *ns_criu_name(int type)
{
	switch (type) {
	case CLONE_NEWNET:
		return "net";
	case CLONE_NEWPID:
		return "pid";
	case CLONE_NEWIPC:
		return "ipc";
	case CLONE_NEWUTS:
		return "uts";
	case CLONE_NEWNS:
		return "mnt";
	case CLONE_NEWUSER:
		return "user";
	case CLONE_NEWTIME:
		return "time";
	case CLONE_NEWCGROUP:
		return "cgroup";
	}
	return "?";
}

static bool is_dir(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A "cgroup" mount without a cgroup namespace on a v1 (or hybrid) host is
 * a tmpfs with the container's cgroup directory of each host hierarchy
 * bound below it (see rootfs.c), external mounts for criu as for runc: the
 * names of those hierarchies ("cpu,cpuacct", "name=systemd"...) as the
 * directories below /sys/fs/cgroup. */
static char **v1_cgroup_binds(const struct run_spec *s, const struct run_mount **ret_m)
{
	*ret_m = NULL;
	if (s->ns_flags & CLONE_NEWCGROUP)
		return NULL;
	for (size_t i = 0; i < s->n_mounts && !*ret_m; i++)
		if (streq(s->mounts[i].type, "cgroup"))
			*ret_m = &s->mounts[i];
	if (!*ret_m || access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		return NULL;
	_cleanup_free_ char *mi = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file("/proc/self/mountinfo", 16u << 20, &mi, &len, &e) < 0) {
		oci_err_free(e);
		return NULL;
	}
	char **names = NULL;
	char *save = NULL;
	for (char *l = strtok_r(mi, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		/* id parent maj:min root mountpoint opts ... - fstype source super */
		char *f[5] = {0};
		char *s2 = NULL;
		char *t = strtok_r(l, " ", &s2);
		for (int k = 0; k < 5 && t; k++, t = strtok_r(NULL, " ", &s2))
			f[k] = t;
		while (t && !streq(t, "-"))
			t = strtok_r(NULL, " ", &s2);
		const char *fstype = t ? strtok_r(NULL, " ", &s2) : NULL;
		if (!f[4] || !fstype || !streq(fstype, "cgroup") ||
		    !startswith(f[4], "/sys/fs/cgroup/"))
			continue;
		const char *name = f[4] + strlen("/sys/fs/cgroup/");
		if (*name && !strchr(name, '/'))
			oci_strv_push(&names, name);
	}
	return names;
}

/* ---- checkpoint ------------------------------------------------------------ */

static int write_descriptors(const char *img, pid_t pid, struct oci_err **err)
{
	json_auto_t *a = json_array();
	for (int fd = 0; fd < 3; fd++) {
		char p[64], target[PATH_MAX];
		snprintf(p, sizeof(p), "/proc/%d/fd/%d", (int)pid, fd);
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		if (n < 0)
			n = 0;
		target[n] = '\0';
		json_array_append_new(a, json_string(target));
	}
	_cleanup_free_ char *text = json_dumps(a, JSON_COMPACT);
	_cleanup_free_ char *path = oci_path_join(img, "descriptors.json");
	return oci_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* The container's freezer: criu freezes the tree through it instead of
 * with ptrace, as runc asks. NULL: none. */
static char *freezer_path(const struct run_spec *s, const char *id, bool systemd)
{
	_cleanup_free_ char *cg = NULL;
	struct oci_err *e = NULL;
	if (run_cgroup_path(s, id, systemd, &cg, &e) < 0) {
		oci_err_free(e);
		return NULL;
	}
	_cleanup_free_ char *v1 = xasprintf("/sys/fs/cgroup/freezer%s", cg);
	if (is_dir(v1))
		return TAKE_PTR(v1);
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		_cleanup_free_ char *v2 = xasprintf("/sys/fs/cgroup%s", cg);
		if (is_dir(v2))
			return TAKE_PTR(v2);
	}
	return NULL;
}

int run_checkpoint(const struct run_global *g, const char *id, const struct run_criu_opts *o,
		   struct oci_err **err)
{
	if (o->cgroups_mode && !run_criu_cgroups_mode_valid(o->cgroups_mode))
		return oci_err_set(err, EINVAL,
				   "--manage-cgroups-mode: '%s' is not soft, full, strict or ignore",
				   o->cgroups_mode);
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_open(g->root, id, true, &dirfd, &st, err);
	if (r < 0)
		return r;
	run_refine_paused(g, dirfd, st);
	if (st->status != RUN_RUNNING && st->status != RUN_PAUSED)
		return oci_err_set(err, EINVAL, "cannot checkpoint container '%s': it is %s", id,
				   run_status_name(st->status));
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	r = run_load_spec_copy(dirfd, st->bundle, &s, err);
	if (r < 0)
		return oci_err_wrap(err, "container '%s'", id);
	_cleanup_free_ char *criu = NULL;
	r = criu_ready(o->criu, &criu, err);
	if (r < 0)
		return r;
	if (o->pre_dump) {
		char *argv[] = {NULL, "check", "--feature", "mem_dirty_track", NULL};
		struct criu_cmd x = {.criu = criu, .argv = argv, .capture = true, .cg_v2_fd = -1};
		_cleanup_free_ char *out = NULL;
		int status = 0;
		r = criu_run(&x, &status, &out, err);
		if (r < 0)
			return r;
		if (status != 0)
			return oci_err_set(err, ENOTSUP,
					   "--pre-dump: criu '%s' cannot track memory changes on "
					   "this kernel (criu check --feature mem_dirty_track "
					   "failed)",
					   criu);
	}

	_cleanup_free_ char *img = abs_path(o->image_path ? o->image_path : "checkpoint");
	if (mkdir(img, 0700) < 0 && errno != EEXIST)
		return oci_err_sys(err, "--image-path: create '%s'", img);
	if (!is_dir(img))
		return oci_err_set(err, ENOTDIR, "--image-path: '%s' is not a directory", img);
	_cleanup_free_ char *work = o->work_path ? abs_path(o->work_path) : NULL;
	if (work && mkdir(work, 0700) < 0 && errno != EEXIST)
		return oci_err_sys(err, "--work-path: create '%s'", work);

	char pidbuf[32];
	snprintf(pidbuf, sizeof(pidbuf), "%d", (int)st->pid);
	_cleanup_strv_ char **argv = NULL;
	oci_strv_push(&argv, "criu");
	oci_strv_push(&argv, o->pre_dump ? "pre-dump" : "dump");
	push_config_file(&argv, s);
	push2(&argv, "-t", pidbuf);
	push2(&argv, "-D", img);
	if (work)
		push2(&argv, "-W", work);
	push2(&argv, "-o", "dump.log");
	oci_strv_push(&argv, "-v4");
	push2(&argv, "--root", s->root_path);
	push_common(&argv, o);
	if (o->leave_running && !o->pre_dump)
		oci_strv_push(&argv, "--leave-running");
	if (o->pre_dump)
		oci_strv_push(&argv, "--track-mem");
	if (o->parent_path) {
		push2(&argv, "--prev-images-dir", o->parent_path);
		if (!o->pre_dump)
			oci_strv_push(&argv, "--track-mem");
	}
	_cleanup_free_ char *freezer = freezer_path(s, id, g->systemd_cgroup);
	if (freezer)
		push2(&argv, "--freeze-cgroup", freezer);
	for (size_t i = 0; i < s->n_namespaces; i++) {
		const struct run_ns *ns = &s->namespaces[i];
		if (!ns->path || (ns->type != CLONE_NEWNET && ns->type != CLONE_NEWPID))
			continue;
		struct stat sb;
		if (stat(ns->path, &sb) < 0)
			return oci_err_sys(err, "linux.namespaces: '%s'", ns->path);
		_cleanup_free_ char *ext = xasprintf("%s[%llu]:%s", ns_criu_name(ns->type),
						     (unsigned long long)sb.st_ino, ns_key(ns->type));
		push2(&argv, "--external", ext);
	}
	if (!o->pre_dump) {
		for (size_t i = 0; i < s->n_mounts; i++)
			if (s->mounts[i].bind)
				push_ext_mount(&argv, s->mounts[i].destination,
					       s->mounts[i].destination);
		/* masked files are /dev/null bound over them */
		for (char **m = s->masked_paths; m && *m; m++) {
			_cleanup_free_ char *p = xasprintf("/proc/%d/root%s", (int)st->pid, *m);
			struct stat sb;
			if (stat(p, &sb) == 0 && !S_ISDIR(sb.st_mode))
				push_ext_mount(&argv, *m, "/dev/null");
		}
		for (size_t i = 0; i < s->n_devices; i++)
			push_ext_mount(&argv, s->devices[i].path, s->devices[i].path);
		const struct run_mount *cgm = NULL;
		_cleanup_strv_ char **cgb = v1_cgroup_binds(s, &cgm);
		for (char **n = cgb; n && *n; n++) {
			_cleanup_free_ char *d = oci_path_join(cgm->destination, *n);
			push_ext_mount(&argv, d, d);
		}
		r = write_descriptors(img, st->pid, err);
		if (r < 0)
			return r;
	}

	struct criu_cmd x = {.criu = criu, .argv = argv, .capture = true, .cg_v2_fd = -1};
	_cleanup_free_ char *out = NULL;
	int status = 0;
	r = criu_run(&x, &status, &out, err);
	if (r < 0)
		return r;
	if (status != 0) {
		_cleanup_free_ char *log = oci_path_join(work ? work : img, "dump.log");
		_cleanup_free_ char *why = criu_log_error(log);
		if (!why)
			why = criu_first_error(out);
		return oci_err_set(err, EIO, "checkpoint of container '%s' failed: criu %s: %s (see '%s')",
				   id, o->pre_dump ? "pre-dump" : "dump", why ? why : "failed", log);
	}
	if (o->leave_running || o->pre_dump)
		return 0;
	/* the processes are gone: the container goes as `delete` would */
	close(TAKE_FD(dirfd));
	return run_delete(g, id, true, err);
}

/* ---- restore --------------------------------------------------------------- */

/* criu restores what is in the image, not the mount points below the
 * rootfs that create made: make those of the bind mounts (outside the
 * tmpfs mounts, whose content is in the image). */
static int make_mountpoints(const struct run_spec *s, const char *bundle, struct oci_err **err)
{
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		if (!m->bind)
			continue;
		bool on_tmpfs = false;
		for (size_t k = 0; k < s->n_mounts && !on_tmpfs; k++) {
			const char *d = s->mounts[k].destination;
			size_t dl = strlen(d);
			on_tmpfs = k != i && streq(s->mounts[k].type, "tmpfs") &&
				   strncmp(m->destination, d, dl) == 0 && m->destination[dl] == '/';
		}
		if (on_tmpfs)
			continue;
		_cleanup_free_ char *src =
		    m->source[0] == '/' ? xstrdup(m->source) : oci_path_join(bundle, m->source);
		_cleanup_close_ int rootfd =
		    open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			return oci_err_sys(err, "open '%s'", s->root_path);
		const char *rel = m->destination;
		while (*rel == '/')
			rel++;
		if (!*rel)
			continue;
		if (is_dir(src)) {
			int r = oci_mkdirat_p(rootfd, rel, 0755, err);
			if (r < 0)
				return oci_err_wrap(err, "mount point '%s'", m->destination);
		} else {
			_cleanup_close_ int pfd = -1;
			_cleanup_free_ char *dir = xstrdup(rel);
			char *slash = strrchr(dir, '/');
			const char *name = rel;
			if (slash) {
				*slash = '\0';
				name = slash + 1;
				int r = oci_mkdirat_p(rootfd, dir, 0755, err);
				if (r < 0)
					return oci_err_wrap(err, "mount point '%s'", m->destination);
				pfd = openat(rootfd, dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
			} else {
				pfd = fcntl(rootfd, F_DUPFD_CLOEXEC, 0);
			}
			if (pfd < 0)
				return oci_err_sys(err, "mount point '%s'", m->destination);
			int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
			if (fd < 0 && errno != EEXIST && errno != EISDIR && errno != ELOOP)
				return oci_err_sys(err, "mount point '%s'", m->destination);
			if (fd >= 0)
				close(fd);
		}
	}
	return 0;
}

/* 'text' for sh -c */
static void sh_quote(struct sbuf *sb, const char *s)
{
	sbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sbuf_addstr(sb, "'\\''");
		else
			sbuf_addch(sb, *s);
	}
	sbuf_addch(sb, '\'');
}

/* What restore sets up, undone on failure. */
struct restore_ctx {
	const struct run_global *g;
	const char *id;
	struct run_spec *s;
	char *criu_root; /* mounted */
	bool root_mounted;
	bool cgroup_made;
	bool dir_made;
	int *fds; /* opened namespaces, passed to criu */
	size_t n_fds;
};

static void restore_undo(struct restore_ctx *c, bool keep_state)
{
	if (c->root_mounted) {
		umount2(c->criu_root, MNT_DETACH);
		c->root_mounted = false;
	}
	if (c->criu_root)
		rmdir(c->criu_root);
	free(c->criu_root);
	c->criu_root = NULL;
	for (size_t i = 0; i < c->n_fds; i++)
		close(c->fds[i]);
	free(c->fds);
	c->fds = NULL;
	c->n_fds = 0;
	if (keep_state)
		return;
	struct oci_err *e = NULL;
	if (c->cgroup_made && run_cgroup_destroy(c->s, c->id, c->g->systemd_cgroup, &e) < 0)
		oci_err_clear(&e);
	if (c->dir_made && run_state_dir_remove(c->g->root, c->id, &e) < 0)
		oci_err_clear(&e);
}

static int do_restore(struct restore_ctx *c, const struct run_criu_opts *o, const char *bundle,
		      const char *cfg, size_t cfglen, const char *img, const char *criu,
		      pid_t *ret_pid, struct oci_err **err)
{
	const struct run_global *g = c->g;
	const char *id = c->id;
	struct run_spec *s = c->s;
	_cleanup_close_ int dirfd = -1;
	int r = run_state_dir_create(g->root, id, &dirfd, err);
	if (r < 0)
		return r;
	c->dir_made = true;
	r = run_state_write_file(dirfd, "config.json", cfg, cfglen, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *dir = oci_path_join(g->root, id);
	_cleanup_free_ char *work = o->work_path ? abs_path(o->work_path) : NULL;
	if (work && mkdir(work, 0700) < 0 && errno != EEXIST)
		return oci_err_sys(err, "--work-path: create '%s'", work);

	/* the cgroup with its limits; criu joins it before it executes */
	_cleanup_strv_ char **cg_tasks = NULL;
	_cleanup_close_ int cg_v2_fd = -1;
	_cleanup_free_ char *cg_path = NULL;
	r = run_cgroup_prepare(s, id, g->systemd_cgroup, &cg_tasks, &cg_v2_fd, err);
	if (r < 0)
		return r;
	bool prepared = r == 0;
	c->cgroup_made = prepared;
	if (prepared) {
		r = run_cgroup_path(s, id, g->systemd_cgroup, &cg_path, err);
		if (r < 0)
			return r;
	}

	/* criu wants the root a mount point whose parent is not overmounted */
	c->criu_root = oci_path_join(dir, "criu-root");
	if (mkdir(c->criu_root, 0755) < 0)
		return oci_err_sys(err, "create '%s'", c->criu_root);
	r = make_mountpoints(s, bundle, err);
	if (r < 0)
		return r;
	if (mount(s->root_path, c->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_sys(err, "bind-mount the rootfs '%s'", s->root_path);
	c->root_mounted = true;

	_cleanup_free_ char *pidfile = oci_path_join(dir, "criu.pid");
	_cleanup_strv_ char **argv = NULL;
	oci_strv_push(&argv, "criu");
	oci_strv_push(&argv, "restore");
	push_config_file(&argv, s);
	push2(&argv, "-D", img);
	if (work)
		push2(&argv, "-W", work);
	push2(&argv, "-o", "restore.log");
	oci_strv_push(&argv, "-v4");
	push2(&argv, "--root", c->criu_root);
	push_common(&argv, o);
	if (cg_path)
		push2(&argv, "--cgroup-root", cg_path);
	oci_strv_push(&argv, "--restore-detached");
	oci_strv_push(&argv, "--restore-sibling");
	oci_strv_push(&argv, "--evasive-devices");
	push2(&argv, "--pidfile", pidfile);

	/* namespaces given by path: net and pid as criu's external ones,
	 * the others joined */
	for (size_t i = 0; i < s->n_namespaces; i++) {
		const struct run_ns *ns = &s->namespaces[i];
		if (!ns->path)
			continue;
		if (ns->type == CLONE_NEWNET || ns->type == CLONE_NEWPID) {
			int fd = open(ns->path, O_RDONLY | O_CLOEXEC);
			if (fd < 0)
				return oci_err_sys(err, "linux.namespaces: open '%s'", ns->path);
			c->fds = xrealloc(c->fds, (c->n_fds + 1) * sizeof(int));
			c->fds[c->n_fds++] = fd;
			_cleanup_free_ char *inh = xasprintf("fd[%d]:%s", fd, ns_key(ns->type));
			push2(&argv, "--inherit-fd", inh);
		} else if (ns->type == CLONE_NEWCGROUP) {
			return oci_err_set(err, ENOTSUP,
					   "linux.namespaces: criu cannot join the cgroup namespace "
					   "'%s'",
					   ns->path);
		} else {
			_cleanup_free_ char *j = xasprintf("%s:%s", ns_criu_name(ns->type), ns->path);
			push2(&argv, "--join-ns", j);
		}
	}
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		if (!m->bind)
			continue;
		_cleanup_free_ char *src =
		    m->source[0] == '/' ? xstrdup(m->source) : oci_path_join(bundle, m->source);
		push_ext_mount(&argv, m->destination, src);
	}
	if (s->masked_paths && s->masked_paths[0])
		push_ext_mount(&argv, "/dev/null", "/dev/null");
	for (size_t i = 0; i < s->n_devices; i++)
		push_ext_mount(&argv, s->devices[i].path, s->devices[i].path);
	/* the new container's cgroup directories, where the old ones were */
	const struct run_mount *cgm = NULL;
	_cleanup_strv_ char **cgb = v1_cgroup_binds(s, &cgm);
	if (cgb && !cg_path) {
		r = run_cgroup_path(s, id, g->systemd_cgroup, &cg_path, err);
		if (r < 0)
			return r;
	}
	for (char **n = cgb; n && *n; n++) {
		_cleanup_free_ char *d = oci_path_join(cgm->destination, *n);
		_cleanup_free_ char *src = xasprintf("/sys/fs/cgroup/%s%s", *n, cg_path);
		push_ext_mount(&argv, d, src);
	}

	/* the init's stdio pipes were the checkpointing caller's: ours now */
	_cleanup_free_ char *desc_path = oci_path_join(img, "descriptors.json");
	_cleanup_free_ char *desc = NULL;
	size_t desc_len = 0;
	struct oci_err *e = NULL;
	if (oci_read_file(desc_path, 1 << 20, &desc, &desc_len, &e) == 0) {
		json_auto_t *a = NULL;
		if (oci_json_load_buf(desc, desc_len, "descriptors.json", &a, &e) == 0 &&
		    json_is_array(a)) {
			for (size_t i = 0; i < json_array_size(a) && i < 3; i++) {
				const char *d = json_string_value(json_array_get(a, i));
				if (d && strstr(d, "pipe:")) {
					_cleanup_free_ char *inh = xasprintf("fd[%zu]:%s", i, d);
					push2(&argv, "--inherit-fd", inh);
				}
			}
		}
	}
	oci_err_clear(&e);

	if (s->hooks.n[RUN_HOOK_PRESTART] || s->hooks.n[RUN_HOOK_CREATE_RUNTIME]) {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n < 0)
			return oci_err_sys(err, "readlink /proc/self/exe");
		exe[n] = '\0';
		/* criu executes the script itself: a file */
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		sbuf_addstr(&sb, "#!/bin/sh\nexec ");
		sh_quote(&sb, exe);
		sbuf_addstr(&sb, " --root ");
		sh_quote(&sb, g->root);
		sbuf_addstr(&sb, " criu-action ");
		sh_quote(&sb, id);
		sbuf_addch(&sb, ' ');
		sh_quote(&sb, bundle);
		sbuf_addch(&sb, '\n');
		_cleanup_free_ char *script = oci_path_join(dir, "criu-action");
		r = oci_write_file_atomic(script, sb.buf, sb.len, 0700, err);
		if (r < 0)
			return r;
		push2(&argv, "--action-script", script);
	}

	struct criu_cmd x = {.criu = criu,
			     .argv = argv,
			     .keep_stdin = true,
			     .keep_fds = c->fds,
			     .n_keep = c->n_fds,
			     .cg_tasks = cg_tasks,
			     .cg_v2_fd = cg_v2_fd};
	int status = 0;
	r = criu_run(&x, &status, NULL, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *log = oci_path_join(work ? work : img, "restore.log");
	_cleanup_free_ char *pidtext = NULL;
	size_t plen = 0;
	long long pid = 0;
	if (status == 0 && oci_read_file(pidfile, 64, &pidtext, &plen, &e) == 0)
		oci_parse_int64(pidtext, 1, INT32_MAX, &pid);
	oci_err_clear(&e);
	if (status != 0 || pid <= 0) {
		if (pid > 0)
			kill((pid_t)pid, SIGKILL);
		_cleanup_free_ char *why = criu_log_error(log);
		return oci_err_set(err, EIO, "restore of container '%s' failed: criu restore: %s (see '%s')",
				   id, why ? why : "no pid of the restored process", log);
	}
	if (!prepared) {
		r = run_cgroup_apply(s, id, (pid_t)pid, g->systemd_cgroup, err);
		if (r < 0) {
			kill((pid_t)pid, SIGKILL);
			return r;
		}
		c->cgroup_made = true;
	}
	unlinkat(dirfd, "criu.pid", 0);
	unlinkat(dirfd, "criu-action", 0);

	struct run_state st = {0};
	_cleanup_free_ char *created = run_now_rfc3339();
	char owner[32] = "";
	if (geteuid() != 0)
		snprintf(owner, sizeof(owner), "%u", (unsigned)geteuid());
	st.id = (char *)id;
	st.pid = (pid_t)pid;
	st.start_time = run_pid_start_time((pid_t)pid);
	st.bundle = (char *)bundle;
	st.rootfs = s->root_path;
	st.created = created;
	st.owner = owner;
	st.annotations = s->annotations;
	st.has_pidns = s->ns_flags & CLONE_NEWPID;
	st.ready = true;
	st.started = true;
	r = run_state_write(dirfd, &st, err);
	if (r < 0) {
		kill((pid_t)pid, SIGKILL);
		return r;
	}
	*ret_pid = (pid_t)pid;
	return 0;
}

int run_restore(const struct run_global *g, const char *id, const struct run_criu_opts *o,
		int *ret_status, struct oci_err **err)
{
	*ret_status = 0;
	int r = run_check_id(id, err);
	if (r < 0)
		return r;
	if (o->cgroups_mode && !run_criu_cgroups_mode_valid(o->cgroups_mode))
		return oci_err_set(err, EINVAL,
				   "--manage-cgroups-mode: '%s' is not soft, full, strict or ignore",
				   o->cgroups_mode);
	_cleanup_free_ char *bundle = NULL, *cfg = NULL;
	size_t cfglen = 0;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	r = run_load_bundle(o->bundle, &bundle, &cfg, &cfglen, &s, err);
	if (r < 0)
		return r;
	if (o->console_socket || s->process.terminal)
		return oci_err_set(err, ENOTSUP,
				   "restore: a container with a terminal (process.terminal, "
				   "--console-socket) cannot be restored: criu's command line "
				   "cannot hand the new pty master over");
	_cleanup_free_ char *img = abs_path(o->image_path ? o->image_path : "checkpoint");
	if (!is_dir(img))
		return oci_err_set(err, ENOENT, "--image-path: '%s' is not a directory", img);
	_cleanup_free_ char *inv = oci_path_join(img, "inventory.img");
	if (access(inv, F_OK) < 0)
		return oci_err_set(err, ENOENT, "no checkpoint in '%s' (no inventory.img)", img);
	/* before criu: an id in use is the caller's mistake, not criu's */
	{
		_cleanup_free_ char *d = oci_path_join(g->root, id);
		if (access(d, F_OK) == 0)
			return oci_err_set(err, EEXIST, "container '%s' already exists", id);
	}
	_cleanup_free_ char *criu = NULL;
	r = criu_ready(o->criu, &criu, err);
	if (r < 0)
		return r;

	/* foreground: the restored init is our child (--restore-sibling); the
	 * signals to forward are blocked before it exists */
	sigset_t mask, old;
	sigemptyset(&mask);
	int fwd[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	if (!o->detach)
		sigprocmask(SIG_BLOCK, &mask, &old);

	struct restore_ctx c = {.g = g, .id = id, .s = s};
	pid_t pid = -1;
	r = do_restore(&c, o, bundle, cfg, cfglen, img, criu, &pid, err);
	restore_undo(&c, r == 0);
	if (r == 0 && o->pid_file) {
		r = run_write_pid_file(o->pid_file, pid, err);
		if (r < 0) {
			struct oci_err *e = NULL;
			if (run_delete(g, id, true, &e) < 0)
				oci_err_free(e);
		}
	}
	if (r < 0 || o->detach) {
		if (!o->detach)
			sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	int status = run_wait_foreground(pid, -1, &mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	*ret_status = status;
	return run_delete(g, id, true, err);
}

int run_criu_action(const struct run_global *g, const char *id, const char *bundle,
		    struct oci_err **err)
{
	const char *action = getenv("CRTOOLS_SCRIPT_ACTION");
	if (!action || !streq(action, "setup-namespaces"))
		return 0;
	const char *pidtext = getenv("CRTOOLS_INIT_PID");
	long long pid = 0;
	if (!pidtext || oci_parse_int64(pidtext, 1, INT32_MAX, &pid) < 0)
		return oci_err_set(err, EINVAL, "criu action: CRTOOLS_INIT_PID is not a pid");
	_cleanup_close_ int dirfd = -1;
	int r = run_state_dir_open_unlocked(g->root, id, &dirfd, err);
	if (r < 0)
		return r;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	r = run_load_spec_copy(dirfd, bundle, &s, err);
	if (r < 0)
		return oci_err_wrap(err, "container '%s'", id);
	_cleanup_free_ char *hs =
	    run_hook_state_json(id, bundle, (pid_t)pid, RUN_CREATING, s->annotations);
	r = run_hooks(&s->hooks, RUN_HOOK_PRESTART, hs, err);
	if (r < 0)
		return r;
	return run_hooks(&s->hooks, RUN_HOOK_CREATE_RUNTIME, hs, err);
}
