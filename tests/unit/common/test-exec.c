/* common/exec.c: finding and running sibling programs, and oci_exec_run
 * (stdin bytes, captured stdout/stderr, environment, path and argv[0],
 * time limit). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "fs.h"
#include "tap.h"
#include "util.h"

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		n++;
	if (d)
		closedir(d);
	return n;
}

static void run_case(const char *what, char *const argv[], int want_status, const char *want_out)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_free_ char *out = NULL;
	int status = -1;
	int r = oci_run_sibling(argv, want_out ? &out : NULL, &status, &err);
	ok(r == 0 && status == want_status, "%s: status %d (got r=%d status=%d%s%s)", what,
	   want_status, r, status, err ? " " : "", err ? err->msg : "");
	if (want_out)
		is_str(out, want_out, "%s: output", what);
}

/* oci_exec_run with real programs. */
static void exec_cases(const char *tmpl)
{
	_cleanup_err_ struct oci_err *err = NULL;

	/* 1 MiB, sixteen times a pipe's buffer, through cat:
	 * stdin is written while stdout is read. */
	size_t big_len = 1 << 20;
	_cleanup_free_ char *payload = xmalloc(big_len);
	for (size_t i = 0; i < big_len; i++)
		payload[i] = (char)('a' + (i * 7 + i / 4096) % 26);
	{
		char *cat[] = { "/bin/cat", NULL };
		struct oci_exec x = { .argv = cat, .in = payload, .in_len = big_len,
				      .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "cat: 1 MiB through stdin and stdout");
		ok(res.out && res.out_len == big_len && memcmp(res.out, payload, big_len) == 0 &&
			   res.out[big_len] == '\0' && !res.out_truncated,
		   "cat: the same 1 MiB back (got %zu bytes)", res.out_len);
		ok(res.status == 0 && res.signo == 0 && !res.errout, "cat: status 0, stderr not captured");
	}
	{
		/* Both outputs large while stdin is still being written. */
		char *both[] = { "sh", "-c", "head -c 300000 /dev/zero >&2; cat; echo end >&2", NULL };
		struct oci_exec x = { .argv = both, .in = payload, .in_len = big_len,
				      .out_mode = OCI_EXEC_CAPTURE, .err_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "stdout and stderr both large");
		ok(res.out_len == big_len && res.errout_len == 300004 &&
			   streq(res.errout + 300000, "end\n"),
		   "both captured in full (%zu, %zu)", res.out_len, res.errout_len);
	}
	{
		char *s3[] = { "sh", "-c", "echo x >&2; exit 3", NULL };
		struct oci_exec x = { .argv = s3, .out_mode = OCI_EXEC_CAPTURE,
				      .err_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "exit 3 is a result, not an error");
		is_int(res.status, 3, "status 3");
		is_str(res.errout, "x\n", "stderr captured");
		is_str(res.out, "", "stdout captured, empty");
		ok(oci_exec_status_err("sh", &res, &err) == -EIO && err &&
			   streq(err->msg, "sh exited with status 3"),
		   "status_err: 'sh exited with status 3'");
		oci_err_clear(&err);
	}
	{
		char *k9[] = { "sh", "-c", "kill -9 $$", NULL };
		struct oci_exec x = { .argv = k9 };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "killed: a result");
		ok(res.status == 128 + SIGKILL && res.signo == SIGKILL, "killed: 128+9, signo 9");
		ok(oci_exec_status_err("sh", &res, &err) == -EIO && err &&
			   strstr(err->msg, "sh was killed by signal 9"),
		   "status_err names the signal (%s)", err ? err->msg : "");
		oci_err_clear(&err);
	}
	{
		/* Environment: added, replaced, removed; the last of a name wins. */
		setenv("OCI_TEST_KEEP", "kept", 1);
		setenv("OCI_TEST_DROP", "dropped", 1);
		setenv("OCI_TEST_REPL", "old", 1);
		const struct oci_exec_var vars[] = {
			{ "OCI_TEST_NEW", "a b=c" },  { "OCI_TEST_REPL", "first" },
			{ "OCI_TEST_DROP", NULL },    { "OCI_TEST_REPL", "new" },
		};
		char *sh[] = { "sh", "-c",
			       "echo \"$OCI_TEST_KEEP|$OCI_TEST_NEW|$OCI_TEST_REPL|${OCI_TEST_DROP-unset}\"; "
			       "env | grep -c '^OCI_TEST_REPL='",
			       NULL };
		struct oci_exec x = { .argv = sh, .env = vars, .n_env = ARRAY_SIZE(vars),
				      .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "env additions");
		is_str(res.out, "kept|a b=c|new|unset\n1\n", "env: kept, added, replaced once, removed");
		ok(streq(getenv("OCI_TEST_REPL"), "old") && getenv("OCI_TEST_DROP"),
		   "our own environment is untouched");
		unsetenv("OCI_TEST_KEEP");
		unsetenv("OCI_TEST_DROP");
		unsetenv("OCI_TEST_REPL");

		const struct oci_exec_var only[] = { { "ONLY", "1" } };
		char *env[] = { "/usr/bin/env", NULL };
		struct oci_exec y = { .argv = env, .env = only, .n_env = 1, .clear_env = true,
				      .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res2 = { 0 };
		is_int(oci_exec_run(&y, &res2, &err), 0, "clear_env");
		is_str(res2.out, "ONLY=1\n", "clear_env: only the variables given");
	}
	{
		/* A missing program: a clear error, the result untouched. */
		char *nope[] = { "no-such-program-oci", NULL };
		struct oci_exec x = { .argv = nope, .search = "", .out_mode = OCI_EXEC_CAPTURE };
		struct oci_exec_result res = { .status = -7 };
		ok(oci_exec_run(&x, &res, &err) == -ENOENT && err &&
			   streq(err->msg, "program 'no-such-program-oci' not found in PATH") &&
			   res.status == -7 && !res.out,
		   "missing program: ENOENT (%s)", err ? err->msg : "");
		oci_err_clear(&err);
		x.search = "/nonexistent:/also-not";
		ok(oci_exec_run(&x, &res, &err) == -ENOENT && err &&
			   strstr(err->msg, "not found in '/nonexistent:/also-not' or PATH"),
		   "missing program, search dirs named (%s)", err ? err->msg : "");
		oci_err_clear(&err);
		x.search = NULL;
		ok(oci_exec_run(&x, &res, &err) == -ENOENT && err &&
			   strstr(err->msg, "not found next to '"),
		   "missing sibling (%s)", err ? err->msg : "");
		oci_err_clear(&err);
	}
	{
		/* search: those directories before PATH, and not our own. */
		_cleanup_free_ char *prog = xasprintf("%s/oci-search-prog", tmpl);
		const char *body = "#!/bin/sh\necho searched\n";
		oci_write_file_atomic(prog, body, strlen(body), 0755, &err);
		_cleanup_free_ char *dirs = xasprintf("/nonexistent::%s", tmpl);
		char *sp[] = { "oci-search-prog", NULL };
		struct oci_exec x = { .argv = sp, .search = dirs, .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "found in a search directory");
		is_str(res.out, "searched\n", "search directory output");
		_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
		char *me[] = { strrchr(self, '/') + 1, NULL };
		struct oci_exec y = { .argv = me, .search = "" };
		ok(oci_exec_run(&y, &res, &err) == -ENOENT, "search \"\": not next to our binary");
		oci_err_clear(&err);
	}
	{
		/* A program that reads none of its input: no error, and SIGPIPE
		 * (default here) neither kills us nor stays pending or blocked. */
		signal(SIGPIPE, SIG_DFL);
		char *t[] = { "true", NULL };
		struct oci_exec x = { .argv = t, .in = payload, .in_len = big_len };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "unread stdin: no error, no SIGPIPE");
		is_int(res.status, 0, "unread stdin: status 0");
		sigset_t pend, mask;
		sigpending(&pend);
		sigprocmask(SIG_SETMASK, NULL, &mask);
		ok(!sigismember(&pend, SIGPIPE) && !sigismember(&mask, SIGPIPE),
		   "SIGPIPE neither pending nor blocked afterwards");
		char *hd[] = { "head", "-c", "10", NULL };
		struct oci_exec y = { .argv = hd, .in = payload, .in_len = big_len,
				      .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res2 = { 0 };
		is_int(oci_exec_run(&y, &res2, &err), 0, "head -c 10 of 1 MiB");
		ok(res2.out_len == 10 && memcmp(res2.out, payload, 10) == 0, "head: first 10 bytes");
		/* Empty input is an empty stdin, not /dev/null's: same EOF. */
		char *wc[] = { "wc", "-c", NULL };
		struct oci_exec z = { .argv = wc, .in = "", .in_len = 0, .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res3 = { 0 };
		is_int(oci_exec_run(&z, &res3, &err), 0, "empty stdin");
		is_str(res3.out, "0\n", "empty stdin: 0 bytes");
		signal(SIGPIPE, SIG_IGN);
	}
	{
		/* max_capture: the rest is read and dropped. */
		char *hz[] = { "sh", "-c", "head -c 500000 /dev/zero; echo x >&2; exit 4", NULL };
		struct oci_exec x = { .argv = hz, .out_mode = OCI_EXEC_CAPTURE,
				      .err_mode = OCI_EXEC_CAPTURE, .max_capture = 1000 };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "capped capture");
		ok(res.out_len == 1000 && res.out_truncated && res.out[1000] == '\0',
		   "stdout kept to 1000 bytes, truncated");
		ok(streq(res.errout, "x\n") && !res.errout_truncated && res.status == 4,
		   "stderr under the cap, status 4");
	}
	{
		/* OCI_EXEC_NULL and OCI_EXEC_INHERIT. */
		char *sh[] = { "sh", "-c", "echo hidden; echo shown >&2", NULL };
		struct oci_exec x = { .argv = sh, .out_mode = OCI_EXEC_NULL,
				      .err_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "stdout to /dev/null");
		ok(!res.out && streq(res.errout, "shown\n"), "only stderr captured");
	}
	{
		/* A descriptor of ours without O_CLOEXEC does not reach the child. */
		int leak = open("/dev/null", O_RDONLY);
		char *fdl[] = { "sh", "-c", "exec ls /proc/self/fd", NULL };
		struct oci_exec x = { .argv = fdl, .in = "x", .in_len = 1,
				      .out_mode = OCI_EXEC_CAPTURE, .err_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "run with an fd of ours open");
		is_str(res.out, "0\n1\n2\n3\n", "the child has only 0 1 2 (3: ls's own)");
		close(leak);
	}
	{
		/* Our own stdin closed: the pipes may take descriptor 0. */
		int saved = fcntl(0, F_DUPFD_CLOEXEC, 10);
		close(0);
		char *cat[] = { "cat", NULL };
		struct oci_exec x = { .argv = cat, .in = "abc", .in_len = 3,
				      .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "run with our stdin closed");
		is_str(res.out, "abc", "stdin still reaches the child");
		if (saved >= 0) {
			dup2(saved, 0);
			close(saved);
		}
	}
}

/* No child of ours is left, running or unreaped. */
static bool no_children(void)
{
	return waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD;
}

/* A run of x that must time out: the error, and nothing left behind. */
static void times_out(const char *what, const struct oci_exec *x, const char *want_msg)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct oci_exec_result res = { .status = -7 };
	int r = oci_exec_run(x, &res, &err);
	ok(r == -ETIMEDOUT && err && err->code == ETIMEDOUT && strstr(err->msg, want_msg),
	   "%s: ETIMEDOUT, \"%s\" (got r=%d: %s)", what, want_msg, r, err ? err->msg : "-");
	ok(no_children(), "%s: the child is killed and reaped", what);
	ok(res.status == -7 && !res.out, "%s: the result is untouched", what);
}

/* In a child process whose seccomp filter fails pidfd_open with ENOSYS:
 * the time limit without a pidfd. Exit 0 when it holds. */
static int timeout_without_pidfd(void)
{
#ifdef SYS_pidfd_open
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_pidfd_open, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return 3;
	if (syscall(SYS_pidfd_open, getpid(), 0) >= 0 || errno != ENOSYS)
		return 4;
#endif
	char *sl[] = { "sleep", "5", NULL };
	struct oci_exec x = { .argv = sl, .search = "", .timeout_ms = 200 };
	struct oci_exec_result res = { 0 };
	_cleanup_err_ struct oci_err *err = NULL;
	if (oci_exec_run(&x, &res, &err) != -ETIMEDOUT)
		return 1;
	return no_children() ? 0 : 2;
}

static void timeout_cases(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	{
		/* Killed while its pipes are open. */
		char *sl[] = { "sleep", "5", NULL };
		struct oci_exec x = { .argv = sl, .search = "", .out_mode = OCI_EXEC_CAPTURE,
				      .err_mode = OCI_EXEC_CAPTURE, .timeout_ms = 200 };
		times_out("sleep 5, 200 ms", &x, "run 'sleep': timed out after 200 ms");
	}
	{
		/* Its pipes closed, the child still there: the pidfd is polled. */
		char *sh[] = { "sh", "-c", "exec <&- >&- 2>&-; sleep 5", NULL };
		struct oci_exec x = { .argv = sh, .in = "x", .in_len = 1,
				      .out_mode = OCI_EXEC_CAPTURE, .err_mode = OCI_EXEC_CAPTURE,
				      .timeout_ms = 300 };
		times_out("pipes closed, then sleep", &x, "timed out after 300 ms");
	}
	{
		/* Stdin it never reads, more than a pipe holds. */
		size_t len = 1 << 20;
		_cleanup_free_ char *in = xcalloc(1, len);
		char *sl[] = { "sleep", "5", NULL };
		struct oci_exec x = { .argv = sl, .in = in, .in_len = len, .timeout_ms = 200 };
		times_out("1 MiB of stdin unread", &x, "timed out after 200 ms");
	}
	{
		/* Whole seconds are said in seconds. */
		char *sl[] = { "sleep", "5", NULL };
		struct oci_exec x = { .argv = sl, .timeout_ms = 1000 };
		times_out("sleep 5, 1000 ms", &x, "timed out after 1 s");
	}
	{
		char *sh[] = { "sh", "-c", "read l; echo \"quick $l\"", NULL };
		struct oci_exec x = { .argv = sh, .in = "in\n", .in_len = 3,
				      .out_mode = OCI_EXEC_CAPTURE, .timeout_ms = 10000 };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "a quick child within its time limit");
		ok(streq(res.out, "quick in\n") && res.status == 0 && no_children(),
		   "its output and status, and it is reaped");
	}
	{
		char *sh[] = { "sh", "-c", "exit 5", NULL };
		struct oci_exec x = { .argv = sh, .timeout_ms = 10000 };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "a failing child within its time limit");
		ok(res.status == 5 && res.signo == 0, "its status is a result");
	}
	{
		char *nope[] = { "/nonexistent/prog", NULL };
		struct oci_exec x = { .argv = nope, .timeout_ms = 10000 };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		ok(oci_exec_run(&x, &res, &err) == -ENOENT && err &&
			   strstr(err->msg, "/nonexistent/prog"),
		   "a missing program with a time limit: ENOENT as before");
		oci_err_clear(&err);
	}
	{
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0)
			_exit(timeout_without_pidfd());
		int ws = -1;
		waitpid(pid, &ws, 0);
		ok(WIFEXITED(ws) && WEXITSTATUS(ws) == 0,
		   "without pidfd_open (seccomp: ENOSYS) the time limit still holds (ws=%#x)", ws);
	}
}

/* path and argv[0] apart; stdout to our stderr. */
static void path_cases(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	{
		char *sh[] = { "not-a-program", "-c", "echo \"$0\"", NULL };
		struct oci_exec x = { .argv = sh, .path = "/bin/sh", .out_mode = OCI_EXEC_CAPTURE };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		is_int(oci_exec_run(&x, &res, &err), 0, "path run with another argv[0]");
		is_str(res.out, "not-a-program\n", "the program sees argv[0] as given");
	}
	{
		char *sh[] = { "x", NULL };
		struct oci_exec x = { .argv = sh, .path = "/no/such/prog" };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		int r = oci_exec_run(&x, &res, &err);
		ok(r == -ENOENT && err && strstr(err->msg, "'/no/such/prog'"),
		   "a missing path is named, not argv[0] (%s)", err ? err->msg : "-");
		oci_err_clear(&err);
	}
	{
		int mem = memfd_create("stderr", MFD_CLOEXEC);
		int saved = fcntl(2, F_DUPFD_CLOEXEC, 10);
		dup2(mem, 2);
		char *sh[] = { "sh", "-c", "echo out; echo err >&2", NULL };
		struct oci_exec x = { .argv = sh, .out_mode = OCI_EXEC_STDERR };
		_cleanup_exec_result_ struct oci_exec_result res = { 0 };
		int r = oci_exec_run(&x, &res, &err);
		dup2(saved, 2);
		close(saved);
		is_int(r, 0, "stdout to our stderr");
		char buf[64] = "";
		ssize_t n = pread(mem, buf, sizeof(buf) - 1, 0);
		close(mem);
		is_str(n > 0 ? buf : "", "out\nerr\n", "both reached our stderr, nothing captured");
		ok(!res.out && !res.errout, "no capture");
	}
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	/* Descriptors inherited from whoever started us would show up in the
	 * child too; only the ones run() itself might leak are of interest. */
	close_range(3, ~0U, 0);
	int fds = count_fds();
	_cleanup_err_ struct oci_err *err = NULL;

	/* Finding programs. */
	_cleanup_free_ char *self = realpath("/proc/self/exe", NULL);
	_cleanup_free_ char *found = NULL;
	const char *base = strrchr(self, '/') + 1;
	is_int(oci_find_sibling(base, &found, &err), 0, "find our own name");
	is_str(found, self, "found next to /proc/self/exe");
	free(TAKE_PTR(found));
	is_int(oci_find_sibling("sh", &found, &err), 0, "find 'sh' in PATH");
	ok(found && found[0] == '/' && endswith(found, "/sh") && access(found, X_OK) == 0,
	   "'sh' is an absolute executable path (%s)", found ? found : "?");
	free(TAKE_PTR(found));
	is_int(oci_find_sibling("/bin/true", &found, &err), 0, "a path is taken as it is");
	is_str(found, "/bin/true", "same path");
	free(TAKE_PTR(found));
	ok(oci_find_sibling("no-such-program-oci", &found, &err) == -ENOENT && !found && err &&
		   strstr(err->msg, "'no-such-program-oci'"),
	   "a missing program is ENOENT naming it (%s)", err ? err->msg : "");
	oci_err_clear(&err);

	/* PATH order: a directory of our own first. */
	char tmpl[] = "/tmp/test-exec.XXXXXX";
	if (!mkdtemp(tmpl))
		return 2;
	_cleanup_free_ char *script = xasprintf("%s/oci-test-prog", tmpl);
	const char *body = "#!/bin/sh\necho from-path \"$@\"\n";
	is_int(oci_write_file_atomic(script, body, strlen(body), 0755, &err), 0, "write a script");
	_cleanup_free_ char *noexec = xasprintf("%s/oci-noexec", tmpl);
	is_int(oci_write_file_atomic(noexec, body, strlen(body), 0644, &err), 0,
	       "write a non-executable file");
	_cleanup_free_ char *oldpath = xstrdup(getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
	_cleanup_free_ char *newpath = xasprintf("/nonexistent::%s:%s", tmpl, oldpath);
	setenv("PATH", newpath, 1);
	is_int(oci_find_sibling("oci-test-prog", &found, &err), 0, "found through PATH");
	is_str(found, script, "the PATH entry that has it");
	free(TAKE_PTR(found));
	ok(oci_find_sibling("oci-noexec", &found, &err) == -ENOENT,
	   "a non-executable file in PATH is skipped");
	oci_err_clear(&err);
	char *pa[] = { "oci-test-prog", "x", "y", NULL };
	run_case("script found in PATH", pa, 0, "from-path x y\n");
	setenv("PATH", oldpath, 1);

	/* Running. */
	char *t[] = { "true", NULL };
	char *f[] = { "false", NULL };
	char *e[] = { "echo", "a", "b c", NULL };
	char *s3[] = { "/bin/sh", "-c", "echo hi; exit 3", NULL };
	char *cat[] = { "sh", "-c", "cat; echo done", NULL };
	char *k9[] = { "sh", "-c", "kill -9 $$", NULL };
	char *kterm[] = { "sh", "-c", "kill -TERM $$", NULL };
	char *big[] = { "sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x", NULL };
	char *fdl[] = { "sh", "-c", "exec ls /proc/self/fd", NULL };
	char *errout[] = { "sh", "-c", "echo to-stderr >&2; echo to-stdout", NULL };
	char *pipeign[] = { "sh", "-c", "trap - PIPE; yes | head -n1 >/dev/null; echo ok", NULL };
	run_case("true", t, 0, NULL);
	run_case("false", f, 1, NULL);
	run_case("true, captured", t, 0, "");
	run_case("echo", e, 0, "a b c\n");
	run_case("sh exit 3", s3, 3, "hi\n");
	run_case("stdin is /dev/null", cat, 0, "done\n");
	run_case("killed by SIGKILL", k9, 128 + SIGKILL, "");
	run_case("killed by SIGTERM", kterm, 128 + SIGTERM, NULL);
	run_case("child has only fds 0 1 2 (3: ls's own)", fdl, 0, "0\n1\n2\n3\n");
	run_case("stderr is not captured", errout, 0, "to-stdout\n");
	run_case("SIGPIPE is default in the child", pipeign, 0, "ok\n");
	{
		_cleanup_free_ char *out = NULL;
		int status = -1;
		is_int(oci_run_sibling(big, &out, &status, &err), 0, "300000 bytes of output");
		ok(out && strlen(out) == 300000 && status == 0, "all captured, no deadlock");
	}
	{
		char *bad[] = { "/nonexistent/prog", NULL };
		int status = -7;
		_cleanup_free_ char *out = NULL;
		ok(oci_run_sibling(bad, &out, &status, &err) == -ENOENT && status == -7 && !out,
		   "a missing path fails, status untouched");
		oci_err_clear(&err);
		char *ne[] = { noexec, NULL };
		ok(oci_run_sibling(ne, NULL, &status, &err) == -EACCES && err &&
			   strstr(err->msg, "oci-noexec"),
		   "a non-executable path is EACCES (%s)", err ? err->msg : "");
		oci_err_clear(&err);
		/* An exec that fails in the child (bad interpreter) is an error. */
		_cleanup_free_ char *badinterp = xasprintf("%s/badinterp", tmpl);
		const char *bi = "#!/nonexistent/interpreter\n";
		oci_write_file_atomic(badinterp, bi, strlen(bi), 0755, &err);
		char *bia[] = { badinterp, NULL };
		ok(oci_run_sibling(bia, NULL, &status, &err) == -ENOENT && err,
		   "exec failing in the child is reported (%s)", err ? err->msg : "");
		oci_err_clear(&err);
		char *empty[] = { NULL };
		ok(oci_run_sibling(empty, NULL, &status, &err) == -EINVAL, "empty argv is EINVAL");
		oci_err_clear(&err);
	}

	/* _ok */
	{
		_cleanup_free_ char *out = NULL;
		is_int(oci_run_sibling_ok(e, &out, &err), 0, "run_ok echo");
		is_str(out, "a b c\n", "run_ok output");
		is_int(oci_run_sibling_ok(t, NULL, &err), 0, "run_ok true");
		_cleanup_free_ char *out2 = NULL;
		ok(oci_run_sibling_ok(s3, &out2, &err) < 0 && !out2, "run_ok on status 3 fails");
		is_str(err ? err->msg : NULL, "sh exited with status 3", "message names the status");
		oci_err_clear(&err);
		ok(oci_run_sibling_ok(k9, NULL, &err) < 0 && err && strstr(err->msg, "signal 9"),
		   "run_ok on a killed program names the signal (%s)", err ? err->msg : "");
		oci_err_clear(&err);
		ok(oci_run_sibling_ok(f, NULL, &err) < 0 && err &&
			   streq(err->msg, "false exited with status 1"),
		   "run_ok false");
		oci_err_clear(&err);
	}

	exec_cases(tmpl);
	timeout_cases();
	path_cases();

	is_int(count_fds(), fds, "no fd leaked");
	oci_rm_rf(tmpl, &err);
	done_testing();
	return exit_status();
}
