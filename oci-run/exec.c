/* `oci-run exec`: another process in a running container.
 *
 * The parent forks a child that joins every namespace of the container's
 * init at once (setns on a pidfd), then clones the process (CLONE_PARENT,
 * so it is our child and, with a pid namespace, inside it). The parent
 * moves it into the container's cgroup; it then takes the process settings
 * (user, capabilities, limits, seccomp, terminal) and executes. */
#include "exec.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "caps.h"
#include "cgroup.h"
#include "console.h"
#include "container.h"
#include "fs.h"
#include "linux_ns.h"
#include "log.h"
#include "process.h"
#include "lsm.h"
#include "run_seccomp.h"
#include "spec.h"
#include "state.h"
#include "sync.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

struct exec_ctx {
	const struct run_spec *spec;
	struct run_process *proc;
	int sync_fd;
	int pidfd;
	int console_fd;
	int preserve_fds;
};

static _Noreturn void exec_fail(struct exec_ctx *c, struct oci_err *e)
{
	run_sync_send(c->sync_fd, RUN_SYNC_ERROR, e ? e->code : EIO, e ? e->msg : "exec failed",
		      NULL);
	_exit(1);
}

static _Noreturn void exec_process(struct exec_ctx *c)
{
	struct oci_err *e = NULL;
	struct run_process *p = c->proc;
	const struct run_spec *s = c->spec;

	if (run_sync_expect(c->sync_fd, RUN_SYNC_PID_ACK, NULL, &e) < 0)
		exec_fail(c, e);
	if ((s->ns_flags & CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)) {
		oci_err_sys(&e, "become root in the user namespace");
		exec_fail(c, e);
	}
	if (p->terminal) {
		if (run_console_setup(p, c->console_fd, false, &e) < 0)
			exec_fail(c, e);
		close(c->console_fd);
	} else if (setsid() < 0 && errno != EPERM) {
		oci_err_sys(&e, "setsid");
		exec_fail(c, e);
	}
	if (run_process_limits(p, &e) < 0 || run_process_mem_policy(s, &e) < 0)
		exec_fail(c, e);
	_cleanup_free_ char *exe = NULL;
	if (run_process_find_exec(p, &exe, &e) < 0)
		exec_fail(c, e);
	_cleanup_strv_ char **env = run_process_env(p);
	if (run_process_secure(p, s->seccomp, c->sync_fd, &e) < 0)
		exec_fail(c, e);
	for (int fd = 3; fd < 3 + c->preserve_fds; fd++) {
		int fl = fcntl(fd, F_GETFD);
		if (fl >= 0)
			fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	/* the sync socket closes on exec: the parent sees EOF and knows */
	syscall(SYS_close_range, 3 + c->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execve(exe, p->args, env);
	oci_err_sys(&e, "exec '%s'", exe);
	exec_fail(c, e);
}

static _Noreturn void exec_child(struct exec_ctx *c)
{
	struct oci_err *e = NULL;
	if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) {
		oci_err_sys(&e, "prctl(PR_SET_PDEATHSIG)");
		exec_fail(c, e);
	}
	/* every namespace of the init, atomically (user first, by the kernel) */
	int flags =
	    c->spec->ns_flags & (CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET |
				 CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP | CLONE_NEWTIME);
	if (flags && setns(c->pidfd, flags) < 0) {
		oci_err_sys(&e, "join the namespaces of the container");
		exec_fail(c, e);
	}
	close(c->pidfd);
	if (flags & (CLONE_NEWPID | CLONE_NEWTIME)) {
		pid_t pid = (pid_t)syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
		if (pid < 0) {
			oci_err_sys(&e, "clone the process");
			exec_fail(c, e);
		}
		if (pid == 0)
			exec_process(c);
		run_sync_send(c->sync_fd, RUN_SYNC_PID, pid, NULL, NULL);
		_exit(0);
	}
	if (run_sync_send(c->sync_fd, RUN_SYNC_PID, getpid(), NULL, &e) < 0)
		exec_fail(c, e);
	exec_process(c);
}

static int build_process(const struct run_spec *s, const struct run_exec_opts *o,
			 struct run_process **ret, struct oci_err **err)
{
	_cleanup_(run_process_freep) struct run_process *p = NULL;
	int r;
	if (o->process_file) {
		_cleanup_free_ char *buf = NULL;
		size_t len;
		r = oci_read_file(o->process_file, 16u << 20, &buf, &len, err);
		if (r < 0)
			return r;
		r = run_process_parse(buf, len, o->process_file, &p, err);
		if (r < 0)
			return r;
		/* as with runc: the container's profile and label unless the
		 * process document names its own */
		if (!p->apparmor_profile && s->process.apparmor_profile)
			p->apparmor_profile = xstrdup(s->process.apparmor_profile);
		if (!p->selinux_label && s->process.selinux_label)
			p->selinux_label = xstrdup(s->process.selinux_label);
	} else {
		if (!s->has_process)
			return oci_err_set(err, EINVAL, "config.json has no process to start from");
		p = run_process_dup(&s->process);
		oci_strv_free(p->args);
		p->args = oci_strv_dup(o->args);
		p->terminal = o->tty;
	}
	for (size_t i = 0; o->env && o->env[i]; i++) {
		if (!strchr(o->env[i], '='))
			return oci_err_set(err, EINVAL, "--env: '%s' is not KEY=VALUE", o->env[i]);
		size_t klen = strcspn(o->env[i], "=") + 1;
		bool replaced = false;
		for (size_t j = 0; p->env[j]; j++) {
			if (strncmp(p->env[j], o->env[i], klen) == 0) {
				free(p->env[j]);
				p->env[j] = xstrdup(o->env[i]);
				replaced = true;
			}
		}
		if (!replaced)
			oci_strv_push(&p->env, o->env[i]);
	}
	if (o->cwd) {
		if (o->cwd[0] != '/')
			return oci_err_set(err, EINVAL, "--cwd: '%s' is not an absolute path",
					   o->cwd);
		free(p->cwd);
		p->cwd = xstrdup(o->cwd);
	}
	if (o->user) {
		long long uid, gid = -1;
		_cleanup_free_ char *u = xstrdup(o->user);
		char *colon = strchr(u, ':');
		if (colon)
			*colon = '\0';
		if (oci_parse_int64(u, 0, UINT32_MAX, &uid) < 0 ||
		    (colon && oci_parse_int64(colon + 1, 0, UINT32_MAX, &gid) < 0))
			return oci_err_set(err, EINVAL, "--user: '%s' is not UID[:GID]", o->user);
		p->uid = (uint32_t)uid;
		if (gid >= 0)
			p->gid = (uint32_t)gid;
	}
	for (size_t i = 0; o->caps && o->caps[i]; i++) {
		int cap = run_cap_from_name(o->caps[i]);
		if (cap < 0)
			return oci_err_set(err, EINVAL, "--cap: unknown capability '%s'",
					   o->caps[i]);
		for (int k = 0; k < RUN_CAP_SETS; k++)
			if (k != RUN_CAP_AMBIENT)
				p->caps[k] |= 1ULL << cap;
	}
	if (o->no_new_privs)
		p->no_new_privileges = true;
	if (!p->args || !p->args[0])
		return oci_err_set(err, EINVAL, "exec: no command given");
	if ((r = run_lsm_check_process(p, err)) < 0)
		return r;
	*ret = TAKE_PTR(p);
	return 0;
}

int run_exec(const struct run_global *g, const char *id, const struct run_exec_opts *o,
	     int *ret_status, struct oci_err **err)
{
	_cleanup_close_ int dirfd = -1;
	_cleanup_(run_state_freep) struct run_state *st = NULL;
	_cleanup_(run_spec_freep) struct run_spec *s = NULL;
	_cleanup_(run_process_freep) struct run_process *p = NULL;
	*ret_status = 0;
	int r = run_state_open(g->root, id, false, &dirfd, &st, err);
	if (r < 0)
		return r;
	if (st->status != RUN_RUNNING)
		return oci_err_set(err, EINVAL, "cannot exec in container '%s': it is %s", id,
				   run_status_name(st->status));
	r = run_load_spec_copy(dirfd, st->bundle, &s, err);
	if (r < 0)
		return r;
	close(dirfd); /* no lock held while the process runs */
	dirfd = -1;
	r = build_process(s, o, &p, err);
	if (r < 0)
		return r;
	bool own_console = false;
	if (p->terminal && !o->console_socket) {
		if (o->detach)
			return oci_err_set(err, EINVAL,
					   "a terminal needs --console-socket with --detach");
		own_console = true;
	}
	_cleanup_free_ char *seccomp_cache = oci_path_join(g->root, ".seccomp-cache");
	if (s->seccomp && (r = run_seccomp_prepare_cached(s->seccomp, seccomp_cache, err)) < 0)
		return oci_err_wrap(err, "config.json");
	_cleanup_close_ int pidfd = run_pidfd_for(st, err);
	if (pidfd < 0)
		return pidfd;
	run_ns_adopt_userns(s, st->pid); /* one made for a rootless caller */
	_cleanup_close_ int console_fd = -1, console_peer = -1, master = -1;
	if (o->console_socket) {
		r = run_console_connect(o->console_socket, &console_fd, err);
		if (r < 0)
			return r;
	} else if (own_console) {
		int cp[2];
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, cp) < 0)
			return oci_err_sys(err, "socketpair");
		console_fd = cp[0];
		console_peer = cp[1];
	}
	int sp[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0)
		return oci_err_sys(err, "socketpair");

	sigset_t mask, old;
	sigemptyset(&mask);
	int fwd[] = {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
	for (size_t i = 0; i < ARRAY_SIZE(fwd); i++)
		sigaddset(&mask, fwd[i]);
	if (!o->detach)
		sigprocmask(SIG_BLOCK, &mask, &old);

	struct exec_ctx c = {.spec = s,
			     .proc = p,
			     .sync_fd = sp[1],
			     .pidfd = pidfd,
			     .console_fd = console_fd,
			     .preserve_fds = o->preserve_fds};
	pid_t child = fork();
	if (child < 0) {
		close(sp[0]);
		close(sp[1]);
		return oci_err_sys(err, "fork");
	}
	if (child == 0) {
		close(sp[0]);
		if (console_peer >= 0)
			close(console_peer);
		exec_child(&c);
	}
	close(sp[1]);
	pid_t pid = -1;
	for (;;) {
		struct run_sync_msg m = {0};
		r = run_sync_recv(sp[0], &m, err);
		if (r == -EPIPE && pid > 0) {
			/* closed on exec: the process runs */
			oci_err_clear(err);
			r = 0;
			break;
		}
		if (r < 0)
			break;
		_cleanup_free_ char *text = m.text;
		if (m.type == RUN_SYNC_ERROR) {
			r = oci_err_set(err, m.value > 0 ? m.value : EIO, "%s",
					text ? text : "exec failed");
			break;
		} else if (m.type == RUN_SYNC_PID) {
			pid = m.value;
			r = run_cgroup_join(s, id, g->systemd_cgroup, pid, err);
			if (r < 0 && geteuid() != 0) {
				/* rootless containers may have no cgroup of their own */
				oci_debug("exec: join the cgroup: %s", (*err)->msg);
				oci_err_clear(err);
				r = 0;
			}
			if (r < 0)
				break;
			if (o->pid_file) {
				r = run_write_pid_file(o->pid_file, pid, err);
				if (r < 0)
					break;
			}
			if (o->pidfd_socket) {
				r = run_send_pidfd(o->pidfd_socket, pid, err);
				if (r < 0)
					break;
			}
			r = run_sync_send(sp[0], RUN_SYNC_PID_ACK, 0, NULL, err);
			if (r < 0)
				break;
		} else if (m.type == RUN_SYNC_SECCOMP) {
			_cleanup_close_ int nfd = -1;
			r = run_recv_fd(sp[0], &nfd, err);
			if (r < 0)
				break;
			_cleanup_free_ char *ss = run_hook_state_json(id, st->bundle, st->pid,
								      RUN_RUNNING, st->annotations);
			r = run_seccomp_send_listener(s->seccomp, nfd, pid, ss, err);
			if (r < 0)
				break;
			r = run_sync_send(sp[0], RUN_SYNC_SECCOMP_ACK, 0, NULL, err);
			if (r < 0)
				break;
		} else {
			r = oci_err_set(err, EPROTO, "unexpected message %d in exec", m.type);
			break;
		}
	}
	close(sp[0]);
	if (pid != child)
		waitpid(child, NULL, 0);
	if (r < 0) {
		if (pid > 0 && pid != child) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		if (!o->detach)
			sigprocmask(SIG_SETMASK, &old, NULL);
		return r;
	}
	if (console_peer >= 0) {
		r = run_recv_fd(console_peer, &master, err);
		if (r < 0)
			return r;
	}
	if (o->detach)
		return 0;
	*ret_status = run_wait_foreground(pid, master, &mask);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return 0;
}
