#include "exec.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

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

int oci_find_sibling(const char *name, char **ret, struct oci_err **err)
{
	if (!name || !*name)
		return oci_err_set(err, EINVAL, "empty program name");
	if (strchr(name, '/')) {
		if (!is_executable(name))
			return oci_err_sys(err, "program '%s'", name);
		*ret = xstrdup(name);
		return 0;
	}
	_cleanup_free_ char *dir = self_dir();
	if (dir) {
		_cleanup_free_ char *p = oci_path_join(dir, name);
		if (is_executable(p)) {
			*ret = TAKE_PTR(p);
			return 0;
		}
	}
	const char *path = secure_getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;;) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *d = n ? xstrndup(p, n) : xstrdup(".");
		_cleanup_free_ char *cand = oci_path_join(d, name);
		if (is_executable(cand)) {
			*ret = TAKE_PTR(cand);
			return 0;
		}
		if (!p[n])
			break;
		p += n + 1;
	}
	return oci_err_set(err, ENOENT, "program '%s' not found next to '%s' or in PATH", name,
			   dir ? dir : "?");
}

/* In the child: makes fd the descriptor target, without O_CLOEXEC. */
static int move_fd(int fd, int target)
{
	if (fd == target) {
		int fl = fcntl(fd, F_GETFD);
		return fl < 0 ? -1 : fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC);
	}
	return dup2(fd, target) < 0 ? -1 : 0;
}

static int read_all(int fd, struct sbuf *sb)
{
	for (;;) {
		sbuf_grow(sb, 65536);
		ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
	}
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

/* Runs argv; *ret_wstatus gets the raw wait status. */
static int run(char *const argv[], char **ret_stdout, int *ret_wstatus, struct oci_err **err)
{
	if (!argv || !argv[0])
		return oci_err_set(err, EINVAL, "no program to run");
	_cleanup_free_ char *path = NULL;
	int r = oci_find_sibling(argv[0], &path, err);
	if (r < 0)
		return r;

	_cleanup_close_ int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull < 0)
		return oci_err_sys(err, "run '%s': open /dev/null", argv[0]);
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if (ret_stdout && pipe2(outp, O_CLOEXEC) < 0)
		return oci_err_sys(err, "run '%s': pipe", argv[0]);
	_cleanup_close_ int out_r = outp[0], out_w = outp[1];
	if (pipe2(errp, O_CLOEXEC) < 0)
		return oci_err_sys(err, "run '%s': pipe", argv[0]);
	_cleanup_close_ int err_r = errp[0], err_w = errp[1];

	pid_t pid = fork();
	if (pid < 0)
		return oci_err_sys(err, "run '%s': fork", argv[0]);
	if (pid == 0) {
		/* Child: only async-signal-safe calls from here on. */
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		signal(SIGPIPE, SIG_DFL);
		int e = 0;
		if (move_fd(devnull, 0) < 0 || (out_w >= 0 && move_fd(out_w, 1) < 0))
			e = errno;
		if (!e) {
			execv(path, argv);
			e = errno;
		}
		ssize_t w = write(err_w, &e, sizeof(e));
		(void)w;
		_exit(127);
	}

	close(TAKE_FD(err_w));
	close(TAKE_FD(out_w));
	/* The error pipe closes on a successful exec (O_CLOEXEC) or carries
	 * the errno of a failed one. */
	int child_errno = 0;
	ssize_t n;
	do
		n = read(err_r, &child_errno, sizeof(child_errno));
	while (n < 0 && errno == EINTR);

	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	int rr = 0;
	if (n != (ssize_t)sizeof(child_errno) && out_r >= 0)
		rr = read_all(out_r, &out);
	int ws = 0;
	r = wait_child(pid, &ws);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "run '%s': wait", argv[0]);
	}
	if (n == (ssize_t)sizeof(child_errno))
		return oci_err_set(err, child_errno ? child_errno : EIO, "run '%s': %s", path,
				   strerror(child_errno));
	if (rr < 0)
		return oci_err_set(err, -rr, "run '%s': read output: %s", argv[0], strerror(-rr));
	if (ret_stdout)
		*ret_stdout = sbuf_detach(&out, NULL);
	*ret_wstatus = ws;
	return 0;
}

static int wstatus_to_code(int ws)
{
	if (WIFEXITED(ws))
		return WEXITSTATUS(ws);
	if (WIFSIGNALED(ws))
		return 128 + WTERMSIG(ws);
	return 255;
}

int oci_run_sibling(char *const argv[], char **ret_stdout, int *ret_status, struct oci_err **err)
{
	int ws = 0;
	int r = run(argv, ret_stdout, &ws, err);
	if (r < 0)
		return r;
	if (ret_status)
		*ret_status = wstatus_to_code(ws);
	return 0;
}

int oci_run_sibling_ok(char *const argv[], char **ret_stdout, struct oci_err **err)
{
	_cleanup_free_ char *out = NULL;
	int ws = 0;
	int r = run(argv, ret_stdout ? &out : NULL, &ws, err);
	if (r < 0)
		return r;
	const char *slash = strrchr(argv[0], '/');
	const char *name = slash ? slash + 1 : argv[0];
	if (WIFSIGNALED(ws))
		return oci_err_set(err, EIO, "%s was killed by signal %d (%s)", name, WTERMSIG(ws),
				   strsignal(WTERMSIG(ws)));
	if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0)
		return oci_err_set(err, EIO, "%s exited with status %d", name,
				   wstatus_to_code(ws));
	if (ret_stdout)
		*ret_stdout = TAKE_PTR(out);
	return 0;
}
