/* common/exec.c: finding and running sibling programs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
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

	is_int(count_fds(), fds, "no fd leaked");
	oci_rm_rf(tmpl, &err);
	done_testing();
	return exit_status();
}
