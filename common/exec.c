#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

extern char **environ;

static bool is_executable(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The directory holding our own binary (after symlinks), or NULL. */
static char *self_dir(void)
{
	_cleanup_free_ char *exe = realpath("/proc/self/exe", NULL);
	if (!exe)
		return NULL;
	char *slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	if (slash == exe)
		return xstrdup("/");
	*slash = '\0';
	return TAKE_PTR(exe);
}

/* NAME in the first of the ':'-separated DIRS that has it as an executable
 * file. An empty entry is "." when empty_is_dot (as in PATH), else skipped. */
static char *find_in_dirs(const char *dirs, const char *name, bool empty_is_dot)
{
	for (const char *p = dirs;;) {
		size_t n = strcspn(p, ":");
		if (n || empty_is_dot) {
			_cleanup_free_ char *d = n ? xstrndup(p, n) : xstrdup(".");
			_cleanup_free_ char *cand = oci_path_join(d, name);
			if (is_executable(cand))
				return TAKE_PTR(cand);
		}
		if (!p[n])
			return NULL;
		p += n + 1;
	}
}

/* NAME as a path, or looked up in SEARCH (NULL: our own directory), then PATH. */
static int find_program(const char *name, const char *search, char **ret, struct oci_err **err)
{
	if (!name || !*name)
		return oci_err_set(err, EINVAL, "empty program name");
	if (strchr(name, '/')) {
		if (!is_executable(name))
			return oci_err_sys(err, "program '%s'", name);
		*ret = xstrdup(name);
		return 0;
	}
	_cleanup_free_ char *dir = search ? NULL : self_dir();
	char *found = NULL;
	if (dir) {
		_cleanup_free_ char *p = oci_path_join(dir, name);
		if (is_executable(p))
			found = TAKE_PTR(p);
	} else if (search) {
		found = find_in_dirs(search, name, false);
	}
	if (!found) {
		const char *path = secure_getenv("PATH");
		found = find_in_dirs(path ? path : "/usr/local/bin:/usr/bin:/bin", name, true);
	}
	if (found) {
		*ret = found;
		return 0;
	}
	if (!search)
		return oci_err_set(err, ENOENT, "program '%s' not found next to '%s' or in PATH",
				   name, dir ? dir : "?");
	if (!*search)
		return oci_err_set(err, ENOENT, "program '%s' not found in PATH", name);
	return oci_err_set(err, ENOENT, "program '%s' not found in '%s' or PATH", name, search);
}

int oci_find_sibling(const char *name, char **ret, struct oci_err **err)
{
	return find_program(name, NULL, ret, err);
}

void oci_exec_result_release(struct oci_exec_result *res)
{
	free(res->out);
	free(res->errout);
	memset(res, 0, sizeof(*res));
}

static bool env_names(const char *entry, const char *name)
{
	size_t n = strlen(name);
	return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

/* The child's environment: ours (unless clear_env) with x->env applied.
 * *ret_owned keeps the strings made for it. */
static char **make_env(const struct oci_exec *x, char ***ret_owned)
{
	size_t n = x->clear_env ? 0 : oci_strv_len(environ);
	char **envp = xcalloc(n + x->n_env + 1, sizeof(char *));
	char **owned = xcalloc(x->n_env + 1, sizeof(char *));
	size_t k = 0, o = 0;
	for (size_t i = 0; i < n; i++) {
		bool replaced = false;
		for (size_t j = 0; j < x->n_env && !replaced; j++)
			replaced = env_names(environ[i], x->env[j].name);
		if (!replaced)
			envp[k++] = environ[i];
	}
	for (size_t j = 0; j < x->n_env; j++) {
		if (!x->env[j].value)
			continue;
		/* A name given twice: the last one wins. */
		bool later = false;
		for (size_t l = j + 1; l < x->n_env && !later; l++)
			later = streq(x->env[l].name, x->env[j].name);
		if (!later)
			envp[k++] = owned[o++] =
				xasprintf("%s=%s", x->env[j].name, x->env[j].value);
	}
	*ret_owned = owned;
	return envp;
}

static int make_pipe(int *ret_r, int *ret_w)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	*ret_r = p[0];
	*ret_w = p[1];
	return 0;
}

/* In the child: only async-signal-safe calls. fds[i] becomes descriptor
 * i (-1: keep ours); an exec error goes to status_w as an errno. */
static _Noreturn void child(const char *path, char *const argv[], char *const envp[],
			    int fds[3], int status_w, int max_fd)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	int e = 0;
	/* Everything above 2 first, so that no dup2 overwrites a source. */
	for (int i = 0; i < 3 && !e; i++)
		if (fds[i] >= 0 && (fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) < 0)
			e = errno;
	for (int i = 0; i < 3 && !e; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			e = errno;
	/* Nothing else of ours reaches the program. */
	if (!e && close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
		for (int fd = 3; fd < max_fd; fd++)
			fcntl(fd, F_SETFD, FD_CLOEXEC);
	if (!e) {
		execve(path, argv, envp);
		e = errno;
	}
	ssize_t w = write(status_w, &e, sizeof(e));
	(void)w;
	_exit(127);
}

/* The time limit: a CLOCK_MONOTONIC deadline. */
struct deadline {
	bool set;
	struct timespec at;
};

static struct deadline deadline_in(int ms)
{
	struct deadline d = { .set = ms > 0 };
	if (d.set && clock_gettime(CLOCK_MONOTONIC, &d.at) == 0) {
		d.at.tv_sec += ms / 1000;
		d.at.tv_nsec += (long)(ms % 1000) * 1000000L;
		if (d.at.tv_nsec >= 1000000000L) {
			d.at.tv_sec++;
			d.at.tv_nsec -= 1000000000L;
		}
	}
	return d;
}

/* Milliseconds left (rounded up, so that a poll does not wake just short
 * of the deadline), 0 once it has passed, -1 with no deadline. */
static int deadline_left(const struct deadline *d)
{
	if (!d->set)
		return -1;
	struct timespec now;
	if (clock_gettime(CLOCK_MONOTONIC, &now) < 0)
		return 0;
	long long ns = (long long)(d->at.tv_sec - now.tv_sec) * 1000000000LL +
		       (d->at.tv_nsec - now.tv_nsec);
	if (ns <= 0)
		return 0;
	long long ms = (ns + 999999) / 1000000;
	return ms > INT_MAX ? INT_MAX : (int)ms;
}

struct capture {
	int fd;
	struct sbuf *sb;
	bool truncated;
};

/* Reads what is there into c (up to max, 0: no limit; the rest dropped).
 * 1: more to come, 0: end of file, <0: -errno. */
static int capture_read(struct capture *c, size_t max)
{
	sbuf_grow(c->sb, 16384);
	ssize_t n = read(c->fd, c->sb->buf + c->sb->len, c->sb->alloc - c->sb->len - 1);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -errno;
	if (n == 0)
		return 0;
	size_t keep = (size_t)n;
	if (max && c->sb->len + keep > max) {
		keep = max > c->sb->len ? max - c->sb->len : 0;
		c->truncated = true;
	}
	c->sb->len += keep;
	c->sb->buf[c->sb->len] = '\0';
	return 1;
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Writes in to *in_fd while reading both captures, until all are closed
 * or the deadline passes (every descriptor is closed on return, so the
 * child cannot block on them). SIGPIPE is blocked meanwhile and one
 * raised by our write taken back, so a child that stops reading gives
 * EPIPE, which ends its input. 0, -ETIMEDOUT, or -errno of the first
 * failure (still reading the rest). */
static int pump(int *in_fd, const char *in, size_t in_len, struct capture c[2], size_t max,
		const struct deadline *dl)
{
	sigset_t pipe_set, old_mask, pending;
	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	bool blocked = *in_fd >= 0, pipe_pending = false, pipe_raised = false;
	size_t off = 0;
	int ret = 0;
	if (blocked) {
		pthread_sigmask(SIG_BLOCK, &pipe_set, &old_mask);
		pipe_pending = sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE);
		int fl = fcntl(*in_fd, F_GETFL);
		if (fl < 0 || fcntl(*in_fd, F_SETFL, fl | O_NONBLOCK) < 0)
			ret = -errno;
		if (ret < 0 || in_len == 0)
			close_fd(in_fd);
	}
	for (;;) {
		struct pollfd p[3];
		int n = 0;
		if (*in_fd >= 0)
			p[n++] = (struct pollfd){ .fd = *in_fd, .events = POLLOUT };
		for (int i = 0; i < 2; i++)
			if (c[i].fd >= 0)
				p[n++] = (struct pollfd){ .fd = c[i].fd, .events = POLLIN };
		if (n == 0)
			break;
		int left = deadline_left(dl);
		if (left == 0) {
			ret = -ETIMEDOUT;
			break;
		}
		if (poll(p, (nfds_t)n, left) < 0) {
			if (errno == EINTR)
				continue;
			if (!ret)
				ret = -errno;
			break;
		}
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (p[k].fd == *in_fd) {
				ssize_t w = write(*in_fd, in + off, in_len - off);
				if (w >= 0)
					off += (size_t)w;
				else if (errno == EPIPE)
					pipe_raised = true;
				else if (errno != EINTR && errno != EAGAIN && !ret)
					ret = -errno;
				if (off == in_len || (w < 0 && errno != EINTR && errno != EAGAIN))
					close_fd(in_fd);
				continue;
			}
			struct capture *cc = p[k].fd == c[0].fd ? &c[0] : &c[1];
			int r = capture_read(cc, max);
			if (r < 0 && !ret)
				ret = r;
			if (r <= 0)
				close_fd(&cc->fd);
		}
	}
	close_fd(in_fd);
	close_fd(&c[0].fd);
	close_fd(&c[1].fd);
	if (pipe_raised && !pipe_pending) {
		struct timespec zero = { 0 };
		while (sigtimedwait(&pipe_set, NULL, &zero) < 0 && errno == EINTR)
			;
	}
	if (blocked)
		pthread_sigmask(SIG_SETMASK, &old_mask, NULL);
	return ret;
}

static int wait_child(pid_t pid, int *ret_wstatus)
{
	for (;;) {
		int ws = 0;
		pid_t r = waitpid(pid, &ws, 0);
		if (r == pid) {
			*ret_wstatus = ws;
			return 0;
		}
		if (r < 0 && errno == EINTR)
			continue;
		return -errno;
	}
}

/* Waits for pid until the deadline: 0 with *ret_wstatus, -ETIMEDOUT, or
 * -errno. Its pidfd (-1: none, e.g. a kernel before 5.3 or a seccomp
 * filter refusing pidfd_open) is polled; without one, waitpid(WNOHANG)
 * every 10 ms. */
static int wait_child_until(pid_t pid, int pidfd, const struct deadline *dl, int *ret_wstatus)
{
	while (dl->set && pidfd >= 0) {
		int left = deadline_left(dl);
		if (left == 0)
			return -ETIMEDOUT;
		struct pollfd p = { .fd = pidfd, .events = POLLIN };
		int n = poll(&p, 1, left);
		if (n > 0)
			break;
		if (n < 0 && errno != EINTR)
			pidfd = -1;
	}
	while (dl->set && pidfd < 0) {
		int ws = 0;
		pid_t r = waitpid(pid, &ws, WNOHANG);
		if (r == pid) {
			*ret_wstatus = ws;
			return 0;
		}
		if (r < 0 && errno != EINTR)
			return -errno;
		int left = deadline_left(dl);
		if (left == 0)
			return -ETIMEDOUT;
		struct timespec nap = { .tv_nsec = (left < 10 ? left : 10) * 1000000L };
		nanosleep(&nap, NULL);
	}
	return wait_child(pid, ret_wstatus);
}

static int pidfd_of(pid_t pid)
{
#ifdef SYS_pidfd_open
	return (int)syscall(SYS_pidfd_open, pid, 0); /* always close-on-exec */
#else
	(void)pid;
	errno = ENOSYS;
	return -1;
#endif
}

static int stream_fd(enum oci_exec_stream mode, int devnull, int pipe_w)
{
	switch (mode) {
	case OCI_EXEC_NULL:
		return devnull;
	case OCI_EXEC_CAPTURE:
		return pipe_w;
	case OCI_EXEC_STDERR:
		return 2;
	case OCI_EXEC_INHERIT:
		break;
	}
	return -1;
}

/* "200 ms", or "5 s" for whole seconds. */
static char *duration_str(int ms)
{
	return ms % 1000 ? xasprintf("%d ms", ms) : xasprintf("%d s", ms / 1000);
}

int oci_exec_run(const struct oci_exec *x, struct oci_exec_result *ret, struct oci_err **err)
{
	if (!x->argv || !x->argv[0])
		return oci_err_set(err, EINVAL, "no program to run");
	const char *name = x->path ? x->path : x->argv[0];
	_cleanup_free_ char *path = NULL;
	int r = find_program(name, x->search, &path, err);
	if (r < 0)
		return r;
	_cleanup_strv_ char **owned = NULL;
	_cleanup_free_ char **envp = NULL;
	if (x->n_env || x->clear_env)
		envp = make_env(x, &owned);

	_cleanup_close_ int devnull = -1, in_r = -1, in_w = -1, out_r = -1, out_w = -1;
	_cleanup_close_ int err_r = -1, err_w = -1, status_r = -1, status_w = -1;
	bool cap_out = x->out_mode == OCI_EXEC_CAPTURE, cap_err = x->err_mode == OCI_EXEC_CAPTURE;
	if (!x->in || x->out_mode == OCI_EXEC_NULL || x->err_mode == OCI_EXEC_NULL) {
		devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (devnull < 0)
			return oci_err_sys(err, "run '%s': open /dev/null", name);
	}
	if ((x->in && make_pipe(&in_r, &in_w) < 0) || (cap_out && make_pipe(&out_r, &out_w) < 0) ||
	    (cap_err && make_pipe(&err_r, &err_w) < 0) || make_pipe(&status_r, &status_w) < 0)
		return oci_err_sys(err, "run '%s': pipe", name);
	int fds[3] = { x->in ? in_r : devnull, stream_fd(x->out_mode, devnull, out_w),
		       stream_fd(x->err_mode, devnull, err_w) };
	/* For a kernel without close_range(CLOSE_RANGE_CLOEXEC). */
	struct rlimit rl;
	int max_fd = 65536;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < 65536)
		max_fd = (int)rl.rlim_cur;

	pid_t pid = fork();
	if (pid < 0)
		return oci_err_sys(err, "run '%s': fork", name);
	if (pid == 0)
		child(path, x->argv, envp ? envp : environ, fds, status_w, max_fd);
	struct deadline dl = deadline_in(x->timeout_ms);
	_cleanup_close_ int pidfd = dl.set ? pidfd_of(pid) : -1;

	close_fd(&in_r);
	close_fd(&out_w);
	close_fd(&err_w);
	close_fd(&status_w);
	/* The status pipe closes on a successful exec (O_CLOEXEC) or carries
	 * the errno of a failed one. */
	int child_errno = 0;
	ssize_t n;
	do
		n = read(status_r, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);
	bool exec_failed = n == (ssize_t)sizeof(child_errno);

	_cleanup_sbuf_ struct sbuf out = SBUF_INIT, errout = SBUF_INIT;
	struct capture c[2] = { { .fd = TAKE_FD(out_r), .sb = &out },
				{ .fd = TAKE_FD(err_r), .sb = &errout } };
	int rr = 0;
	if (exec_failed) {
		close_fd(&c[0].fd);
		close_fd(&c[1].fd);
	} else {
		rr = pump(&in_w, x->in, x->in_len, c, x->max_capture, &dl);
	}
	int ws = 0;
	r = rr == -ETIMEDOUT ? rr : wait_child_until(pid, pidfd, &dl, &ws);
	if (r == -ETIMEDOUT) {
		kill(pid, SIGKILL);
		(void)wait_child(pid, &ws);
		_cleanup_free_ char *d = duration_str(x->timeout_ms);
		return oci_err_set(err, ETIMEDOUT, "run '%s': timed out after %s", name, d);
	}
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "run '%s': wait", name);
	}
	if (exec_failed)
		return oci_err_set(err, child_errno ? child_errno : EIO, "run '%s': %s", path,
				   strerror(child_errno));
	if (rr < 0)
		return oci_err_set(err, -rr, "run '%s': its pipes: %s", name, strerror(-rr));
	*ret = (struct oci_exec_result){ 0 };
	if (cap_out) {
		ret->out = sbuf_detach(&out, &ret->out_len);
		ret->out_truncated = c[0].truncated;
	}
	if (cap_err) {
		ret->errout = sbuf_detach(&errout, &ret->errout_len);
		ret->errout_truncated = c[1].truncated;
	}
	ret->signo = WIFSIGNALED(ws) ? WTERMSIG(ws) : 0;
	ret->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : ret->signo ? 128 + ret->signo : 255;
	return 0;
}

int oci_exec_status_err(const char *name, const struct oci_exec_result *res,
			struct oci_err **err)
{
	if (res->signo)
		return oci_err_set(err, EIO, "%s was killed by signal %d (%s)", name, res->signo,
				   strsignal(res->signo));
	if (res->status != 0)
		return oci_err_set(err, EIO, "%s exited with status %d", name, res->status);
	return 0;
}

/* Stdin from /dev/null, stdout captured (with ret_stdout) or inherited. */
static int run_sibling(char *const argv[], char **ret_stdout, struct oci_exec_result *ret,
		       struct oci_err **err)
{
	struct oci_exec x = { .argv = argv,
			      .out_mode = ret_stdout ? OCI_EXEC_CAPTURE : OCI_EXEC_INHERIT };
	return oci_exec_run(&x, ret, err);
}

int oci_run_sibling(char *const argv[], char **ret_stdout, int *ret_status, struct oci_err **err)
{
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = run_sibling(argv, ret_stdout, &res, err);
	if (r < 0)
		return r;
	if (ret_stdout)
		*ret_stdout = TAKE_PTR(res.out);
	if (ret_status)
		*ret_status = res.status;
	return 0;
}

int oci_run_sibling_ok(char *const argv[], char **ret_stdout, struct oci_err **err)
{
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = run_sibling(argv, ret_stdout, &res, err);
	if (r < 0)
		return r;
	const char *slash = strrchr(argv[0], '/');
	if ((r = oci_exec_status_err(slash ? slash + 1 : argv[0], &res, err)) < 0)
		return r;
	if (ret_stdout)
		*ret_stdout = TAKE_PTR(res.out);
	return 0;
}
