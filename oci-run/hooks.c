/* Lifecycle hooks. */
#include "hooks.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "fs.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static int run_one(const struct run_hook *hk, const char *kind, size_t idx, const char *state,
		   struct oci_err **err)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return oci_err_sys(err, "pipe");
	pid_t pid = fork();
	if (pid < 0) {
		close(p[0]);
		close(p[1]);
		return oci_err_sys(err, "fork");
	}
	if (pid == 0) {
		char *const noenv[] = {NULL};
		char *const defargs[] = {hk->path, NULL};
		if (dup2(p[0], 0) < 0 || dup2(2, 1) < 0)
			_exit(127);
		syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC);
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execve(hk->path, hk->args ? hk->args : defargs, hk->env ? hk->env : noenv);
		dprintf(2, "oci-run: error: %s hook '%s': %s\n", kind, hk->path, strerror(errno));
		_exit(127);
	}
	close(p[0]);
	/* a hook that does not read its stdin must not kill us with SIGPIPE */
	(void)oci_write_all(p[1], state, strlen(state));
	close(p[1]);

	int status = 0;
	if (hk->timeout > 0) {
		int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
		if (pfd >= 0) {
			struct pollfd pl = {pfd, POLLIN, 0};
			int n;
			while ((n = poll(&pl, 1, hk->timeout * 1000)) < 0 && errno == EINTR)
				;
			close(pfd);
			if (n == 0) {
				kill(pid, SIGKILL);
				waitpid(pid, &status, 0);
				return oci_err_set(err, ETIMEDOUT,
						   "hooks.%s[%zu]: '%s' timed out after %d seconds",
						   kind, idx, hk->path, hk->timeout);
			}
		}
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "wait for %s hook '%s'", kind, hk->path);
	}
	if (WIFSIGNALED(status))
		return oci_err_set(err, EIO, "hooks.%s[%zu]: '%s' was killed by signal %d", kind,
				   idx, hk->path, WTERMSIG(status));
	if (WEXITSTATUS(status) != 0)
		return oci_err_set(err, EIO, "hooks.%s[%zu]: '%s' exited with status %d", kind, idx,
				   hk->path, WEXITSTATUS(status));
	return 0;
}

int run_hooks(const struct run_hooks *h, enum run_hook_kind kind, const char *state_json,
	      struct oci_err **err)
{
	for (size_t i = 0; i < h->n[kind]; i++) {
		int r = run_one(&h->v[kind][i], run_hook_names[kind], i, state_json, err);
		if (r < 0)
			return r;
	}
	return 0;
}
