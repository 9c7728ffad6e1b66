/* The container lifecycle.
 *
 * create: oci-run (the parent) forks a child A that joins the namespaces
 * given by path, unshares the new ones (the user namespace first, after
 * which the parent writes the id maps) and, when a pid or time namespace is
 * involved, clones the init B with CLONE_PARENT (so B is the caller's
 * child, like A). B sets up the rootfs, asks the parent to run the
 * prestart/createRuntime hooks, runs createContainer hooks, enters the
 * rootfs, prepares the process and says READY; the parent records the
 * state and exits. B then blocks opening exec.fifo for writing until
 * `start` opens it for reading, runs startContainer hooks and executes the
 * user process. */
#include "container.h"

#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <linux/keyctl.h>

#include "cgroup.h"
#include "caps.h"
#include "console.h"
#include "fs.h"
#include "hooks.h"
#include "json.h"
#include "linux_ns.h"
#include "log.h"
#include "manage.h"
#include "process.h"
#include "rootfs.h"
#include "runtime_spec.h"
#include "sbuf.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "lsm.h"
#include "run_seccomp.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

extern char **environ;

/* What the child processes need: set up by the parent before fork. */
struct init_ctx {
	const char *id;
	const char *bundle;
	struct run_spec *spec;
	const struct run_create_opts *opts;
	int sync_fd;	/* child's end */
	int fifo_fd;	/* O_PATH on exec.fifo */
	int console_fd; /* connected console socket, or -1 */
	int *ns_fds;
	int *idmap_trees; /* made by the child A before the user namespace */
	pid_t init_pid;	  /* as the parent sees it (from HOOKS_ACK) */
	/* run_cgroup_prepare() made the cgroup: the init joins it itself */
	bool cg_prepared;
	char **cg_tasks; /* v1: the init writes "0" into each */
	int cg_v2_fd;	 /* unified directory (clone3 CLONE_INTO_CGROUP), or -1 */
	bool cg_v2_self; /* no clone3: the init writes "0" into its cgroup.procs */
};

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* struct clone_args of clone3(2), up to the cgroup field (kernel 5.7) */
struct run_clone_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

/* The init moves itself into the cgroup the parent prepared: writing "0"
 * (oneself, a single thread) into a v1 `tasks` file does not take the
 * kernel's global threadgroup lock, whose RCU grace period costs
 * milliseconds when the parent writes a pid into cgroup.procs. */
static int join_prepared_cgroup(struct init_ctx *c, struct oci_err **err)
{
	for (char **f = c->cg_tasks; f && *f; f++) {
		_cleanup_close_ int fd = open(*f, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			return oci_err_sys(err, "join the cgroup: write '%s'", *f);
	}
	if (c->cg_v2_fd >= 0 && c->cg_v2_self) {
		_cleanup_close_ int fd = openat(c->cg_v2_fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1)
			return oci_err_sys(err, "join the cgroup (unified hierarchy)");
	}
	if (c->cg_v2_fd >= 0) {
		close(c->cg_v2_fd);
		c->cg_v2_fd = -1;
	}
	return 0;
}

char *run_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
	return xstrdup(buf);
}

char *run_hook_state_json(const char *id, const char *bundle, pid_t pid, enum run_status st,
			  char **annotations)
{
	struct run_state s = {0};
	s.id = (char *)id;
	s.bundle = (char *)bundle;
	s.pid = pid;
	s.status = st;
	s.annotations = annotations;
	return run_state_json(&s, false);
}

/* ---- the child side -------------------------------------------------- */

static _Noreturn void child_fail(struct init_ctx *c, struct oci_err *e)
{
	if (c->sync_fd >= 0)
		run_sync_send(c->sync_fd, RUN_SYNC_ERROR, e ? e->code : EIO,
			      e ? e->msg : "container init failed", NULL);
	else
		dprintf(2, "oci-run: error: %s\n", e ? e->msg : "container init failed");
	_exit(1);
}

static _Noreturn void init_main(struct init_ctx *c)
{
	struct oci_err *e = NULL;
	struct run_spec *s = c->spec;
	struct run_process *p = &s->process;
	bool userns = s->ns_flags & CLONE_NEWUSER;
	int r;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		oci_err_sys(&e, "prctl(PR_SET_PDEATHSIG)");
		child_fail(c, e);
	}
	if (c->cg_prepared && join_prepared_cgroup(c, &e) < 0)
		child_fail(c, e);
	/* the parent puts us in our cgroup (or has prepared it, above); the
	 * cgroup namespace comes after */
	if (run_sync_expect(c->sync_fd, RUN_SYNC_PID_ACK, NULL, &e) < 0)
		child_fail(c, e);
	if ((run_ns_new_flags(s) & CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0) {
		oci_err_sys(&e, "create a cgroup namespace");
		child_fail(c, e);
	}
	if (userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		oci_err_sys(&e, "become root in the user namespace (is 0 mapped?)");
		child_fail(c, e);
	}
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0) {
		oci_err_sys(&e, "hostname: sethostname '%s'", s->hostname);
		child_fail(c, e);
	}
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0) {
		oci_err_sys(&e, "domainname: setdomainname '%s'", s->domainname);
		child_fail(c, e);
	}
	if (!c->opts->no_new_keyring) {
		_cleanup_free_ char *name = xasprintf("_ses.%s", c->id);
		if (syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0 &&
		    errno != ENOSYS && errno != EPERM && errno != EACCES)
			oci_debug("join a session keyring: %s", strerror(errno));
	}

	struct run_rootfs_opts ro = {.no_pivot = c->opts->no_pivot,
				     .userns = userns,
				     .cgroupns = s->ns_flags & CLONE_NEWCGROUP,
				     .console_slave = -1,
				     .idmap_trees = c->idmap_trees};
	if ((r = run_rootfs_make_cwd(s, &e)) < 0 || (r = run_rootfs_prepare(s, &ro, &e)) < 0)
		child_fail(c, e);
	run_rootfs_close_trees(s, c->idmap_trees);
	c->idmap_trees = NULL;
	ro.idmap_trees = NULL;

	int pid = 0;
	if (run_sync_send(c->sync_fd, RUN_SYNC_HOOKS_REQ, 0, NULL, &e) < 0 ||
	    run_sync_expect(c->sync_fd, RUN_SYNC_HOOKS_ACK, &pid, &e) < 0)
		child_fail(c, e);
	c->init_pid = pid;
	if (s->hooks.n[RUN_HOOK_CREATE_CONTAINER]) {
		_cleanup_free_ char *st = run_hook_state_json(c->id, c->bundle, c->init_pid,
							      RUN_CREATING, s->annotations);
		if (run_hooks(&s->hooks, RUN_HOOK_CREATE_CONTAINER, st, &e) < 0)
			child_fail(c, e);
	}

	if (run_rootfs_enter(s, &ro, &e) < 0)
		child_fail(c, e);
	if (p->terminal) {
		if (run_console_setup(p, c->console_fd, true, &e) < 0)
			child_fail(c, e);
		close(c->console_fd);
		c->console_fd = -1;
	} else if (setsid() < 0 && errno != EPERM) {
		/* a session of its own, as runc's init: CRIU cannot dump a
		 * process whose session leader is outside its pid namespace */
		oci_err_sys(&e, "setsid");
		child_fail(c, e);
	}
	if (run_rootfs_finalize(s, &ro, &e) < 0 || run_process_limits(p, &e) < 0 ||
	    run_process_mem_policy(s, &e) < 0)
		child_fail(c, e);
	if (s->has_personality && personality(s->personality) < 0) {
		oci_err_sys(&e, "linux.personality");
		child_fail(c, e);
	}
	_cleanup_free_ char *exe = NULL;
	if (run_process_find_exec(p, &exe, &e) < 0)
		child_fail(c, e);
	_cleanup_strv_ char **env = run_process_env(p);
	if (run_process_secure(p, s->seccomp, c->sync_fd, &e) < 0)
		child_fail(c, e);
	_cleanup_free_ char *start_state =
	    run_hook_state_json(c->id, c->bundle, c->init_pid, RUN_CREATED, s->annotations);

	/* from here on the init outlives `create`: give back the heap it got
	 * from the parent (parsed config, seccomp compilation) before it waits */
	run_seccomp_free(s->seccomp); /* loaded already */
	s->seccomp = NULL;
	malloc_trim(0);
	prctl(PR_SET_PDEATHSIG, 0, 0, 0, 0);
	if (run_sync_send(c->sync_fd, RUN_SYNC_READY, 0, NULL, &e) < 0)
		child_fail(c, e);
	close(c->sync_fd);
	c->sync_fd = -1;

	char fifo[64];
	snprintf(fifo, sizeof(fifo), "/proc/self/fd/%d", c->fifo_fd);
	int w = open(fifo, O_WRONLY | O_CLOEXEC);
	if (w < 0) {
		oci_err_sys(&e, "open exec.fifo");
		child_fail(c, e);
	}
	if (write(w, "0", 1) != 1) {
		oci_err_sys(&e, "write exec.fifo");
		child_fail(c, e);
	}
	close(w);
	close(c->fifo_fd);

	if (run_hooks(&s->hooks, RUN_HOOK_START_CONTAINER, start_state, &e) < 0)
		child_fail(c, e);

	for (int fd = 3; fd < 3 + c->opts->preserve_fds; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	syscall(SYS_close_range, 3 + c->opts->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, p->args, env);
	oci_err_sys(&e, "exec '%s'", exe);
	child_fail(c, e);
}

static _Noreturn void child_main(struct init_ctx *c)
{
	struct oci_err *e = NULL;
	struct run_spec *s = c->spec;
	int flags = run_ns_new_flags(s);

	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		oci_err_sys(&e, "prctl(PR_SET_PDEATHSIG)");
		child_fail(c, e);
	}
	/* id-mapped trees need privilege over the sources' filesystems: first */
	if (run_rootfs_idmap_trees(s, &c->idmap_trees, &e) < 0)
		child_fail(c, e);
	if (run_ns_join(s, c->ns_fds, &e) < 0)
		child_fail(c, e);
	run_ns_close_paths(s, c->ns_fds);
	c->ns_fds = NULL;
	if (flags & CLONE_NEWUSER) {
		if (unshare(CLONE_NEWUSER) < 0) {
			oci_err_sys(&e, "create a user namespace");
			child_fail(c, e);
		}
		if (run_sync_send(c->sync_fd, RUN_SYNC_IDMAP_REQ, getpid(), NULL, &e) < 0 ||
		    run_sync_expect(c->sync_fd, RUN_SYNC_IDMAP_ACK, NULL, &e) < 0)
			child_fail(c, e);
		if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) {
			oci_err_sys(&e, "become root in the user namespace");
			child_fail(c, e);
		}
	}
	int rest = flags & ~(CLONE_NEWUSER | CLONE_NEWCGROUP);
	if (rest && unshare(rest) < 0) {
		oci_err_sys(&e, "create namespaces");
		child_fail(c, e);
	}
	if ((flags & CLONE_NEWTIME) && run_ns_write_time_offsets(s, &e) < 0)
		child_fail(c, e);
	if (s->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)) {
		pid_t pid = -1;
		if (c->cg_prepared && c->cg_v2_fd >= 0) {
			/* born in the unified cgroup: no migration (with
			 * CLONE_PARENT, clone3 wants exit_signal 0: the
			 * child gets ours, SIGCHLD) */
			struct run_clone_args ca = {.flags = CLONE_PARENT | CLONE_INTO_CGROUP,
						    .cgroup = (uint64_t)c->cg_v2_fd};
			pid = (pid_t)syscall(SYS_clone3, &ca, sizeof(ca));
			/* no clone3 (or it refuses this cgroup): the init
			 * joins by cgroup.procs, which reports the error */
			if (pid < 0)
				c->cg_v2_self = true;
		}
		if (pid < 0)
			pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid < 0) {
			oci_err_sys(&e, "clone the container init");
			child_fail(c, e);
		}
		if (pid == 0)
			init_main(c);
		run_sync_send(c->sync_fd, RUN_SYNC_PID, pid, NULL, NULL);
		_exit(0);
	}
	if (run_sync_send(c->sync_fd, RUN_SYNC_PID, getpid(), NULL, &e) < 0)
		child_fail(c, e);
	init_main(c);
}

/* ---- the parent side ------------------------------------------------- */

struct created {
	pid_t pid;
	int console_master; /* run with a terminal and no console socket */
};

int run_write_pid_file(const char *file, pid_t pid, struct oci_err **err)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%d", (int)pid);
	_cleanup_free_ char *abs = NULL;
	if (file[0] != '/') {
		_cleanup_free_ char *cwd = getcwd(NULL, 0);
		abs = oci_path_join(cwd ? cwd : ".", file);
		file = abs;
	}
	return oci_write_file_atomic(file, buf, (size_t)n, 0644, err);
}

int run_send_pidfd(const char *socket_path, pid_t pid, struct oci_err **err)
{
	_cleanup_close_ int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (pfd < 0)
		return oci_err_sys(err, "pidfd_open %d", (int)pid);
	_cleanup_close_ int sock = -1;
	int r = run_console_connect(socket_path, &sock, err);
	if (r < 0)
		return oci_err_wrap(err, "--pidfd-socket");
	r = run_send_fd(sock, pfd, "pidfd", err);
	if (r < 0)
		return oci_err_wrap(err, "--pidfd-socket");
	return 0;
}

static void kill_and_reap(pid_t a, pid_t init)
{
	if (init > 0) {
		kill(init, SIGKILL);
		waitpid(init, NULL, 0);
	}
	if (a > 0 && a != init) {
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
	}
}

int run_load_bundle(const char *dir, char **ret_bundle, char **ret_cfg, size_t *ret_cfglen,
		    struct run_spec **ret, struct oci_err **err)
{
	_cleanup_free_ char *bundle = realpath(dir ? dir : ".", NULL);
	if (!bundle)
		return oci_err_sys(err, "bundle '%s'", dir ? dir : ".");
	_cleanup_free_ char *cfgpath = oci_path_join(bundle, "config.json");
	_cleanup_free_ char *cfg = NULL;
	size_t cfglen;
	int r = oci_read_file(cfgpath, 64u << 20, &cfg, &cfglen, err);
	if (r < 0)
		return r;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	r = run_spec_parse(cfg, cfglen, bundle, &s, err);
	if (r < 0)
		return r;
	if (!s->has_process)
		return oci_err_set(err, EINVAL, "config.json: process: required field is missing");
	*ret_bundle = TAKE_PTR(bundle);
	*ret_cfg = TAKE_PTR(cfg);
	*ret_cfglen = cfglen;
	*ret = TAKE_PTR(s);
	return 0;
}

static int do_create(const struct run_global *g, const char *id, const struct run_create_opts *o,
		     bool foreground, struct created *ret, struct oci_err **err)
{
	int r = run_check_id(id, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *bundle = NULL, *cfg = NULL;
	size_t cfglen = 0;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	r = run_load_bundle(o->bundle, &bundle, &cfg, &cfglen, &s, err);
	if (r < 0)
		return r;
	/* rootless: a user namespace and mappings when the config has none */
	if ((r = run_ns_prepare_userns(s, geteuid(), getegid(), err)) < 0)
		return oci_err_wrap(err, "config.json");
	if (!(s->ns_flags & CLONE_NEWNS))
		return oci_err_set(err, EINVAL,
				   "config.json: linux.namespaces: a mount namespace is required");
	if ((r = run_lsm_prepare(s, err)) < 0)
		return oci_err_wrap(err, "config.json");
	bool own_console = false;
	if (s->process.terminal && !o->console_socket) {
		if (!foreground)
			return oci_err_set(err, EINVAL,
					   "process.terminal is true: use --console-socket (or run "
					   "in the foreground)");
		own_console = true;
	}
	if (!s->process.terminal && o->console_socket)
		return oci_err_set(err, EINVAL,
				   "--console-socket given but process.terminal is false");
	if (o->preserve_fds < 0)
		return oci_err_set(err, EINVAL, "--preserve-fds: must not be negative");
	/* the filter is compiled here so that its errors come before anything
	 * is created; the init only loads it */
	_cleanup_free_ char *seccomp_cache = oci_path_join(g->root, ".seccomp-cache");
	if (s->seccomp && (r = run_seccomp_prepare_cached(s->seccomp, seccomp_cache, err)) < 0)
		return oci_err_wrap(err, "config.json");

	_cleanup_close_ int dirfd = -1;
	r = run_state_dir_create(g->root, id, &dirfd, err);
	if (r < 0)
		return r;

	/* from here on a failure removes the state directory */
	pid_t a_pid = -1, init_pid = -1;
	_cleanup_close_ int fifo_fd = -1, console_fd = -1, console_peer = -1;
	int sp[2] = {-1, -1};
	int *ns_fds = NULL;
	bool cgroup_applied = false;
	_cleanup_strv_ char **cg_tasks = NULL;
	_cleanup_close_ int cg_v2_fd = -1;
	struct run_state st = {0};
	_cleanup_free_ char *created = run_now_rfc3339();
	st.id = (char *)id;
	st.bundle = bundle;
	st.rootfs = s->root_path;
	st.created = created;
	char owner[32] = "";
	if (geteuid() != 0)
		snprintf(owner, sizeof(owner), "%u", (unsigned)geteuid());
	st.owner = owner;
	st.annotations = s->annotations;
	st.has_pidns = s->ns_flags & CLONE_NEWPID;

	r = run_state_write_file(dirfd, "config.json", cfg, cfglen, err);
	if (r < 0)
		goto fail;
	if (mknodat(dirfd, "exec.fifo", S_IFIFO | 0600, 0) < 0 ||
	    fchmodat(dirfd, "exec.fifo", 0622, 0) < 0) {
		r = oci_err_sys(err, "create exec.fifo");
		goto fail;
	}
	fifo_fd = openat(dirfd, "exec.fifo", O_PATH | O_CLOEXEC);
	if (fifo_fd < 0) {
		r = oci_err_sys(err, "open exec.fifo");
		goto fail;
	}
	r = run_ns_open_paths(s, &ns_fds, err);
	if (r < 0)
		goto fail;
	if (o->console_socket) {
		r = run_console_connect(o->console_socket, &console_fd, err);
		if (r < 0)
			goto fail;
	} else if (own_console) {
		int cp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0) {
			r = oci_err_sys(err, "socketpair");
			goto fail;
		}
		console_fd = cp[0];
		console_peer = cp[1];
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
		r = oci_err_sys(err, "socketpair");
		goto fail;
	}

	struct init_ctx ctx = {.id = id,
			       .bundle = bundle,
			       .spec = s,
			       .opts = o,
			       .sync_fd = sp[1],
			       .fifo_fd = fifo_fd,
			       .console_fd = console_fd,
			       .ns_fds = ns_fds,
			       .cg_v2_fd = -1};
	/* cgroupfs, root, and an init cloned by the child A (pid or time
	 * namespace): the init joins its cgroup itself (see
	 * join_prepared_cgroup) */
	if ((s->ns_flags & (CLONE_NEWPID | CLONE_NEWTIME)) && !(s->ns_flags & CLONE_NEWUSER)) {
		r = run_cgroup_prepare(s, id, g->systemd_cgroup, &cg_tasks, &cg_v2_fd, err);
		if (r < 0)
			goto fail;
		if (r == 0) {
			cgroup_applied = true;
			ctx.cg_prepared = true;
			ctx.cg_tasks = cg_tasks;
			ctx.cg_v2_fd = cg_v2_fd;
		}
	}
	a_pid = fork();
	if (a_pid < 0) {
		r = oci_err_sys(err, "fork");
		goto fail;
	}
	if (a_pid == 0) {
		close(sp[0]);
		close(dirfd); /* it holds the lock */
		if (console_peer >= 0)
			close(console_peer);
		child_main(&ctx);
	}
	close(sp[1]);
	sp[1] = -1;
	if (cg_v2_fd >= 0) {
		close(cg_v2_fd);
		cg_v2_fd = -1;
	}
	run_ns_close_paths(s, ns_fds);
	ns_fds = NULL;
	if (console_fd >= 0 && own_console) {
		close(console_fd);
		console_fd = -1;
	}

	for (;;) {
		struct run_sync_msg m = {0};
		r = run_sync_recv(sp[0], &m, err);
		if (r < 0)
			goto fail;
		_cleanup_free_ char *text = m.text;
		if (m.type == RUN_SYNC_ERROR) {
			r = oci_err_set(err, m.value > 0 ? m.value : EIO, "%s",
					text ? text : "container init failed");
			goto fail;
		} else if (m.type == RUN_SYNC_IDMAP_REQ) {
			r = run_ns_write_idmaps(m.value, s, err);
			if (r < 0)
				goto fail;
			r = run_sync_send(sp[0], RUN_SYNC_IDMAP_ACK, 0, NULL, err);
			if (r < 0)
				goto fail;
		} else if (m.type == RUN_SYNC_PID) {
			init_pid = m.value;
			st.pid = init_pid;
			st.start_time = run_pid_start_time(init_pid);
			r = run_state_write(dirfd, &st, err);
			if (r < 0)
				goto fail;
			if (!ctx.cg_prepared) {
				r = run_cgroup_apply(s, id, init_pid, g->systemd_cgroup, err);
				if (r < 0)
					goto fail;
				cgroup_applied = true;
			}
			r = run_sync_send(sp[0], RUN_SYNC_PID_ACK, 0, NULL, err);
			if (r < 0)
				goto fail;
		} else if (m.type == RUN_SYNC_HOOKS_REQ) {
			if (s->hooks.n[RUN_HOOK_PRESTART] || s->hooks.n[RUN_HOOK_CREATE_RUNTIME]) {
				_cleanup_free_ char *hs = run_hook_state_json(
				    id, bundle, init_pid, RUN_CREATING, s->annotations);
				r = run_hooks(&s->hooks, RUN_HOOK_PRESTART, hs, err);
				if (r < 0)
					goto fail;
				r = run_hooks(&s->hooks, RUN_HOOK_CREATE_RUNTIME, hs, err);
				if (r < 0)
					goto fail;
			}
			r = run_sync_send(sp[0], RUN_SYNC_HOOKS_ACK, init_pid, NULL, err);
			if (r < 0)
				goto fail;
		} else if (m.type == RUN_SYNC_SECCOMP) {
			_cleanup_close_ int nfd = -1;
			r = run_recv_fd(sp[0], &nfd, err);
			if (r < 0)
				goto fail;
			_cleanup_free_ char *ss =
			    run_hook_state_json(id, bundle, init_pid, RUN_CREATING, s->annotations);
			r = run_seccomp_send_listener(s->seccomp, nfd, init_pid, ss, err);
			if (r < 0)
				goto fail;
			r = run_sync_send(sp[0], RUN_SYNC_SECCOMP_ACK, 0, NULL, err);
			if (r < 0)
				goto fail;
		} else if (m.type == RUN_SYNC_READY) {
			break;
		} else {
			r = oci_err_set(err, EPROTO, "unexpected message %d from container init",
					m.type);
			goto fail;
		}
	}
	close(sp[0]);
	sp[0] = -1;
	if (a_pid != init_pid)
		waitpid(a_pid, NULL, 0);
	if (console_peer >= 0) {
		r = run_recv_fd(console_peer, &ret->console_master, err);
		if (r < 0)
			goto fail;
	}
	st.ready = true;
	r = run_state_write(dirfd, &st, err);
	if (r < 0)
		goto fail;
	if (o->pid_file) {
		r = run_write_pid_file(o->pid_file, init_pid, err);
		if (r < 0)
			goto fail;
	}
	if (o->pidfd_socket) {
		r = run_send_pidfd(o->pidfd_socket, init_pid, err);
		if (r < 0)
			goto fail;
	}
	ret->pid = init_pid;
	return 0;

fail:
	if (sp[0] >= 0)
		close(sp[0]);
	if (sp[1] >= 0)
		close(sp[1]);
	run_ns_close_paths(s, ns_fds);
	kill_and_reap(a_pid, init_pid);
	{
		struct oci_err *e2 = NULL;
		if (cgroup_applied && run_cgroup_destroy(s, id, g->systemd_cgroup, &e2) < 0)
			oci_err_clear(&e2);
		if (run_state_dir_remove(g->root, id, &e2) < 0)
			oci_err_free(e2);
	}
	return r;
}

int run_create(const struct run_global *g, const char *id, const struct run_create_opts *o,
	       struct oci_err **err)
{
	struct created c = {.pid = -1, .console_master = -1};
	return do_create(g, id, o, false, &c, err);
}

int run_load_spec_copy(int dirfd, const char *bundle, struct run_spec **ret, struct oci_err **err)
{
	_cleanup_free_ char *cfg = NULL;
	size_t len;
	int r = oci_read_fileat(dirfd, "config.json", 64u << 20, &cfg, &len, err);
	if (r < 0)
		return r;
	return run_spec_parse(cfg, len, bundle, ret, err);
}

int run_pidfd_for(const struct run_state *st, struct oci_err **err)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0) {
		if (errno == ESRCH)
			return oci_err_set(err, ESRCH, "container '%s' is not running", st->id);
		return oci_err_sys(err, "pidfd_open %d", (int)st->pid);
	}
	/* the pid may have been reused between reading the state and here */
	if (!run_pid_alive(st->pid, st->start_time)) {
		close(fd);
		return oci_err_set(err, ESRCH, "container '%s' is not running", st->id);
	}
	return fd;
}

int run_start(const struct run_global *g, const char *id, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_open(g->root, id, true, &dirfd, &st, err);
	if (r < 0)
		return r;
	if (st->status != RUN_CREATED)
		return oci_err_set(err, EINVAL, "cannot start container '%s': it is %s", id,
				   run_status_name(st->status));
	/* the pidfd first: once the fifo is open the init may run and exit */
	_cleanup_close_ int pfd = run_pidfd_for(st, err);
	if (pfd < 0)
		return pfd;
	_cleanup_close_ int fifo = openat(dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fifo < 0)
		return oci_err_sys(err, "open exec.fifo of '%s'", id);
	/* the init writes one byte once it has the fifo open, then executes */
	for (;;) {
		struct pollfd pl[2] = {{fifo, POLLIN, 0}, {pfd, POLLIN, 0}};
		int n = poll(pl, 2, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_sys(err, "wait for the init of '%s'", id);
		}
		if (pl[0].revents & POLLIN) {
			char b;
			if (read(fifo, &b, 1) == 1)
				break;
		}
		if (pl[1].revents & POLLIN)
			return oci_err_set(err, ESRCH,
					   "container '%s': the init exited before start", id);
		if (pl[0].revents & POLLHUP)
			return oci_err_set(err, EPIPE, "container '%s': the init closed exec.fifo",
					   id);
	}
	unlinkat(dirfd, "exec.fifo", 0);
	st->started = true;
	st->ready = true;
	r = run_state_write(dirfd, st, err);
	if (r < 0)
		return r;
	/* parsing the config again (with its seccomp profile) is only worth it
	 * when it may have poststart hooks */
	_cleanup_free_ char *cfg = NULL;
	size_t cfglen = 0;
	struct oci_err *e = NULL;
	if (oci_read_fileat(dirfd, "config.json", 64u << 20, &cfg, &cfglen, &e) < 0) {
		oci_warn("container '%s': poststart hooks: %s", id, e->msg);
		oci_err_free(e);
		return 0;
	}
	if (!memmem(cfg, cfglen, "\"poststart\"", strlen("\"poststart\"")))
		return 0;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	if (run_spec_parse(cfg, cfglen, st->bundle, &s, &e) < 0) {
		oci_warn("container '%s': poststart hooks: %s", id, e->msg);
		oci_err_free(e);
		return 0;
	}
	if (s->hooks.n[RUN_HOOK_POSTSTART]) {
		_cleanup_free_ char *hs =
		    run_hook_state_json(id, st->bundle, st->pid, RUN_RUNNING, st->annotations);
		if (run_hooks(&s->hooks, RUN_HOOK_POSTSTART, hs, &e) < 0) {
			oci_warn("container '%s': %s", id, e->msg);
			oci_err_free(e);
		}
	}
	return 0;
}

int run_state(const struct run_global *g, const char *id, char **ret_json, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_dir_open_unlocked(g->root, id, &dirfd, err);
	if (r < 0)
		return r;
	r = run_state_read(dirfd, id, &st, err);
	if (r < 0)
		return r;
	run_refine_paused(g, dirfd, st);
	*ret_json = run_state_json(st, true);
	return 0;
}

static ino_t pidns_of(pid_t pid)
{
	char p[64];
	struct stat sb;
	snprintf(p, sizeof(p), "/proc/%d/ns/pid", (int)pid);
	return stat(p, &sb) == 0 ? sb.st_ino : 0;
}

/* Signals every process in the init's pid namespace (it has its own). */
static int kill_pidns(const struct run_state *st, int sig, struct oci_err **err)
{
	ino_t ns = pidns_of(st->pid);
	if (!ns || ns == pidns_of(getpid()))
		return 0;
	_cleanup_closedir_ DIR *d = opendir("/proc");
	if (!d)
		return oci_err_sys(err, "open /proc");
	struct dirent *de;
	while ((de = readdir(d))) {
		long long v;
		if (oci_parse_int64(de->d_name, 1, INT32_MAX, &v) < 0 || v == st->pid)
			continue;
		if (pidns_of((pid_t)v) == ns)
			kill((pid_t)v, sig);
	}
	return 0;
}

int run_kill(const struct run_global *g, const char *id, int sig, bool all, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_open(g->root, id, false, &dirfd, &st, err);
	if (r < 0)
		return r;
	if (st->status == RUN_STOPPED || st->status == RUN_CREATING)
		return oci_err_set(err, ESRCH, "container '%s' is not running", id);
	_cleanup_close_ int pfd = run_pidfd_for(st, err);
	if (pfd < 0)
		return pfd;
	if (all) {
		/* every process of the cgroup; the pid namespace when that fails */
		_cleanup_(run_spec_freep) struct run_spec *s = NULL;
		struct oci_err *e = NULL;
		if (run_load_spec_copy(dirfd, st->bundle, &s, &e) < 0 ||
		    run_cgroup_kill(s, id, g->systemd_cgroup, sig, &e) < 0) {
			oci_debug("kill --all through the cgroup: %s", e ? e->msg : "?");
			oci_err_free(e);
			if (st->has_pidns) {
				r = kill_pidns(st, sig, err);
				if (r < 0)
					return r;
			}
		}
	}
	if (syscall(SYS_pidfd_send_signal, pfd, sig, NULL, 0) < 0)
		return oci_err_sys(err, "signal %d to container '%s'", sig, id);
	return 0;
}

static int wait_gone(const struct run_state *st, int timeout_ms)
{
	int fd = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (fd < 0)
		return 0;
	if (!run_pid_alive(st->pid, st->start_time)) {
		close(fd);
		return 0;
	}
	struct pollfd pl = {fd, POLLIN, 0};
	int n;
	while ((n = poll(&pl, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	close(fd);
	/* a zombie that nobody reaps yet counts as gone */
	return n > 0 || !run_pid_alive(st->pid, st->start_time) ? 0 : -ETIMEDOUT;
}

int run_delete(const struct run_global *g, const char *id, bool force, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	int r = run_state_dir_open(g->root, id, true, &dirfd, err);
	if (r < 0) {
		if (force && r == -ENOENT) {
			oci_err_clear(err);
			return 0;
		}
		return r;
	}
	r = run_state_read(dirfd, id, &st, err);
	if (r < 0)
		return r;
	if ((st->status == RUN_RUNNING || st->status == RUN_CREATING) && !force)
		return oci_err_set(err, EBUSY,
				   "cannot delete container '%s': it is %s (stop it first or use "
				   "--force)",
				   id, run_status_name(st->status));
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	if (run_load_spec_copy(dirfd, st->bundle, &s, &e) < 0) {
		oci_warn("container '%s': %s", id, e->msg);
		oci_err_clear(&e);
	}
	if (st->status != RUN_STOPPED && st->pid > 0) {
		/* frozen processes do not die before they are thawed */
		run_refine_paused(g, dirfd, st);
		if (s && st->status == RUN_PAUSED &&
		    run_cgroup_freeze(s, id, g->systemd_cgroup, false, &e) < 0) {
			oci_debug("delete: thaw: %s", e->msg);
			oci_err_clear(&e);
		}
		if (s && run_cgroup_kill(s, id, g->systemd_cgroup, SIGKILL, &e) < 0) {
			oci_debug("delete: kill through the cgroup: %s", e->msg);
			oci_err_clear(&e);
		}
		int pfd = (int)syscall(SYS_pidfd_open, st->pid, 0);
		if (pfd >= 0) {
			if (run_pid_alive(st->pid, st->start_time)) {
				if (st->has_pidns)
					kill_pidns(st, SIGKILL, NULL);
				syscall(SYS_pidfd_send_signal, pfd, SIGKILL, NULL, 0);
			}
			close(pfd);
		}
		if (wait_gone(st, 10000) < 0)
			return oci_err_set(err, ETIMEDOUT,
					   "container '%s': the init did not exit after SIGKILL",
					   id);
	}
	if (s) {
		r = run_cgroup_destroy(s, id, g->systemd_cgroup, err);
		if (r < 0)
			return r;
	}
	r = run_state_dir_remove(g->root, id, err);
	if (r < 0)
		return r;
	if (s && s->hooks.n[RUN_HOOK_POSTSTOP]) {
		_cleanup_free_ char *hs =
		    run_hook_state_json(id, st->bundle, 0, RUN_STOPPED, st->annotations);
		if (run_hooks(&s->hooks, RUN_HOOK_POSTSTOP, hs, &e) < 0) {
			oci_warn("container '%s': %s", id, e->msg);
			oci_err_free(e);
		}
	}
	return 0;
}

/* ---- run ---------------------------------------------------------------- */

static void copy_winsize(int from, int to)
{
	struct winsize ws;
	if (ioctl(from, TIOCGWINSZ, &ws) == 0)
		ioctl(to, TIOCSWINSZ, &ws);
}

static bool pump(int from, int to)
{
	char buf[8192];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n <= 0)
		return n < 0 && (errno == EINTR || errno == EAGAIN);
	return oci_write_all(to, buf, (size_t)n) >= 0;
}

/* Waits for pid (our child) in the foreground: forwards signals in mask
 * (blocked by the caller) to it, relays the pty master when there is one,
 * reaps other children; returns its status (128+N for signal N). */
int run_wait_foreground(pid_t pid, int master, const sigset_t *mask)
{
	_cleanup_close_ int sfd = signalfd(-1, mask, SFD_CLOEXEC);
	struct termios saved;
	bool raw = false;
	if (master >= 0 && isatty(0) && tcgetattr(0, &saved) == 0) {
		struct termios t = saved;
		cfmakeraw(&t);
		raw = tcsetattr(0, TCSANOW, &t) == 0;
		copy_winsize(0, master);
	}
	int status = -1;
	bool in_open = master >= 0;
	while (status < 0) {
		struct pollfd pl[3] = {
		    {sfd, POLLIN, 0}, {master, POLLIN, 0}, {in_open ? 0 : -1, POLLIN, 0}};
		int n = poll(pl, 3, -1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pl[1].revents & (POLLIN | POLLHUP)) {
			if (!pump(master, 1) && !(pl[1].revents & POLLIN))
				pl[1].revents = 0;
		}
		if (pl[2].revents & (POLLIN | POLLHUP)) {
			if (!pump(0, master))
				in_open = false;
		}
		if (pl[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) != sizeof(si))
				continue;
			if ((int)si.ssi_signo == SIGCHLD) {
				int ws;
				pid_t p;
				while ((p = waitpid(-1, &ws, WNOHANG)) > 0) {
					if (p == pid)
						status = WIFSIGNALED(ws) ? 128 + WTERMSIG(ws)
									 : WEXITSTATUS(ws);
				}
			} else if ((int)si.ssi_signo == SIGWINCH) {
				if (master >= 0)
					copy_winsize(0, master);
			} else {
				kill(pid, (int)si.ssi_signo);
			}
		}
	}
	if (master >= 0) {
		/* what the process wrote before it exited */
		int fl = fcntl(master, F_GETFL);
		fcntl(master, F_SETFL, fl | O_NONBLOCK);
		while (pump(master, 1) && errno != EAGAIN)
			;
	}
	if (raw)
		tcsetattr(0, TCSANOW, &saved);
	return status < 0 ? 255 : status;
}

int run_run(const struct run_global *g, const char *id, const struct run_create_opts *o,
	    int *ret_status, struct oci_err **err)
{
	*ret_status = 0;
	if (o->detach) {
		int r = run_create(g, id, o, err);
		if (r < 0)
			return r;
		r = run_start(g, id, err);
		if (r < 0) {
			struct oci_err *e = NULL;
			if (run_delete(g, id, true, &e) < 0)
				oci_err_free(e);
		}
		return r;
	}
	/* the init is our child (CLONE_PARENT); processes it leaves behind
	 * without a pid namespace come to us */
	prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
	sigset_t mask, old;
	sigemptyset(&mask);
	int fwd[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	sigprocmask(SIG_BLOCK, &mask, &old);

	struct created c = {.pid = -1, .console_master = -1};
	int r = do_create(g, id, o, true, &c, err);
	if (r < 0) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	_cleanup_close_ int master = c.console_master;
	r = run_start(g, id, err);
	if (r < 0) {
		struct oci_err *e = NULL;
		if (run_delete(g, id, true, &e) < 0)
			oci_err_free(e);
		sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	int status = run_wait_foreground(c.pid, master, &mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	*ret_status = status;
	if (!o->keep) {
		r = run_delete(g, id, true, err);
		if (r < 0)
			return r;
	}
	return 0;
}

/* ---- list, spec, features ------------------------------------------------ */

int run_list(const struct run_global *g, const char *format, bool quiet, char **ret,
	     struct oci_err **err)
{
	_cleanup_strv_ char **ids = NULL;
	int r = run_state_list_ids(g->root, &ids, err);
	if (r < 0)
		return r;
	bool json = format && streq(format, "json");
	json_auto_t *arr = json_array();
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	struct run_state **states = xcalloc(oci_strv_len(ids) + 1, sizeof(*states));
	size_t n = 0;
	for (size_t i = 0; ids[i]; i++) {
		_cleanup_free_ char *dir = oci_path_join(g->root, ids[i]);
		_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct oci_err *e = NULL;
		if (fd < 0)
			continue;
		if (run_state_read(fd, ids[i], &states[n], &e) < 0) {
			oci_debug("%s", e->msg);
			oci_err_free(e);
			continue;
		}
		run_refine_paused(g, fd, states[n]);
		n++;
	}
	size_t w[4] = {2, 3, 6, 6};
	for (size_t i = 0; i < n; i++) {
		struct run_state *s = states[i];
		char pid[32];
		snprintf(pid, sizeof(pid), "%d", s->status == RUN_STOPPED ? 0 : (int)s->pid);
		size_t l[4] = {strlen(s->id), strlen(pid), strlen(run_status_name(s->status)),
			       strlen(s->bundle)};
		for (int k = 0; k < 4; k++)
			if (l[k] > w[k])
				w[k] = l[k];
	}
	if (!json && !quiet)
		sbuf_addf(&out, "%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", (int)w[0], "ID",
			  (int)w[1], "PID", (int)w[2], "STATUS", (int)w[3], "BUNDLE", "CREATED",
			  "OWNER");
	for (size_t i = 0; i < n; i++) {
		struct run_state *s = states[i];
		if (quiet) {
			sbuf_addf(&out, "%s\n", s->id);
		} else if (json) {
			_cleanup_free_ char *txt = run_state_json(s, false);
			json_t *o = json_loads(txt, 0, NULL);
			if (o)
				json_array_append_new(arr, o);
		} else {
			char pid[32];
			snprintf(pid, sizeof(pid), "%d",
				 s->status == RUN_STOPPED ? 0 : (int)s->pid);
			sbuf_addf(&out, "%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", (int)w[0],
				  s->id, (int)w[1], pid, (int)w[2], run_status_name(s->status),
				  (int)w[3], s->bundle, s->created ? s->created : "",
				  s->owner && *s->owner ? s->owner : "root");
		}
		run_state_free(s);
	}
	free(states);
	if (json && !quiet) {
		char *txt = json_dumps(arr, JSON_INDENT(2) | JSON_SORT_KEYS);
		sbuf_addstr(&out, txt);
		sbuf_addch(&out, '\n');
		free(txt);
	}
	*ret = sbuf_detach(&out, NULL);
	return 0;
}

int run_spec_write(const char *bundle, bool rootless, struct oci_err **err)
{
	_cleanup_free_ char *path = oci_path_join(bundle ? bundle : ".", "config.json");
	json_auto_t *s = oci_runtime_spec_default(rootless);
	json_object_set_new(json_object_get(s, "linux"), "seccomp", run_seccomp_default_profile());
	_cleanup_free_ char *text = json_dumps(s, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return oci_err_set(err, EEXIST, "'%s' exists: remove it first", path);
		return oci_err_sys(err, "create '%s'", path);
	}
	if (oci_write_all(fd, text, strlen(text)) < 0 || oci_write_all(fd, "\n", 1) < 0)
		return oci_err_sys(err, "write '%s'", path);
	return 0;
}
