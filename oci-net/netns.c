/* Network namespaces: opening one by path or pid, and running code inside
 * one. setns(CLONE_NEWNET) changes only the calling thread, so the work runs
 * in a short-lived thread and the rest of the program stays on the host. */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "exec.h"
#include "json.h"
#include "net.h"
#include "util.h"

#ifndef NSFS_MAGIC
#define NSFS_MAGIC 0x6e736673
#endif

int net_netns_open(const struct net_target *t, int *ret_fd, char **ret_path, uint64_t *ret_dev,
		   uint64_t *ret_ino, struct oci_err **err)
{
	_cleanup_free_ char *path = NULL;
	pid_t cpid = 0;
	int r;
	if (t->netns)
		path = xstrdup(t->netns);
	else if (t->pid > 0)
		path = xasprintf("/proc/%d/ns/net", (int)t->pid);
	else if (t->container) {
		if ((r = net_container_pid(t->container, t->runtime_root, &cpid, err)) < 0)
			return r;
		path = xasprintf("/proc/%d/ns/net", (int)cpid);
	} else
		return oci_err_set(err, EINVAL, "no network namespace given (--netns PATH or --pid PID)");
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open network namespace '%s'", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_sys(err, "stat '%s'", path);
	int type = ioctl(fd, NS_GET_NSTYPE);
	if (type != CLONE_NEWNET)
		return oci_err_set(err, EINVAL, "'%s' is not a network namespace", path);
	/* A namespace file is on nsfs; setns() will tell if it is not a net one. */
	int cur = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (cur >= 0) {
		struct stat cst;
		if (fstat(cur, &cst) == 0 && cst.st_ino == st.st_ino && cst.st_dev == st.st_dev) {
			close(cur);
			return oci_err_set(err, EINVAL,
					   "'%s' is the host's network namespace (use --network host)",
					   path);
		}
		close(cur);
	}
	*ret_dev = (uint64_t)st.st_dev;
	*ret_ino = (uint64_t)st.st_ino;
	*ret_fd = TAKE_FD(fd);
	if (ret_path)
		*ret_path = TAKE_PTR(path);
	return 0;
}

/* The last line of what a program wrote to stderr, without its
 * "PROG: error: " prefix and with control characters as '?'; NULL when it
 * wrote nothing. Caller frees. */
static char *stderr_cause(const char *errout)
{
	if (!errout)
		return NULL;
	size_t len = strlen(errout);
	while (len && (errout[len - 1] == '\n' || errout[len - 1] == '\r' || errout[len - 1] == ' '))
		len--;
	size_t start = len;
	while (start && errout[start - 1] != '\n')
		start--;
	if (start == len)
		return NULL;
	char *line = xstrndup(errout + start, len - start);
	char *msg = strstr(line, ": error: ");
	msg = msg ? msg + strlen(": error: ") : line;
	char *cause = xstrdup(*msg ? msg : line);
	free(line);
	for (char *c = cause; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return cause;
}

int net_container_pid(const char *id, const char *runtime_root, pid_t *ret, struct oci_err **err)
{
	char *with_root[] = { (char *)"oci-run", (char *)"--root", (char *)runtime_root,
			      (char *)"state", (char *)id, NULL };
	char *plain[] = { (char *)"oci-run", (char *)"state", (char *)id, NULL };
	/* Both outputs captured: oci-run's error becomes the cause in our one
	 * line instead of a line of its own above it. */
	struct oci_exec x = { .argv = runtime_root ? with_root : plain,
			      .out_mode = OCI_EXEC_CAPTURE,
			      .err_mode = OCI_EXEC_CAPTURE,
			      .max_capture = 1 << 20 };
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = oci_exec_run(&x, &res, err);
	if (r < 0)
		return oci_err_wrap(err, "container '%s'", id);
	if (res.status != 0) {
		_cleanup_free_ char *cause = stderr_cause(res.errout);
		_cleanup_free_ char *quoted = xasprintf("'%s'", id);
		if (cause && strstr(cause, quoted))
			return oci_err_set(err, ENOENT, "oci-run state: %s", cause);
		if (cause)
			return oci_err_set(err, ENOENT, "container '%s': oci-run state: %s", id, cause);
		return oci_err_set(err, ENOENT, "container '%s': 'oci-run state' exited with status %d",
				   id, res.status);
	}
	json_auto_t *j = NULL;
	int64_t pid = 0;
	const char *st = NULL;
	const char *out = res.out ? res.out : "";
	if ((r = oci_json_load_buf(out, strlen(out), "oci-run state", &j, err)) < 0 ||
	    (r = oci_json_opt_int(j, "", "pid", &pid, err)) < 0 ||
	    (r = oci_json_opt_str(j, "", "status", &st, err)) < 0)
		return oci_err_wrap(err, "container '%s'", id);
	if (pid <= 0 || (st && !streq(st, "created") && !streq(st, "running")))
		return oci_err_set(err, ESRCH, "container '%s' is not running (status %s)", id,
				   st ? st : "unknown");
	*ret = (pid_t)pid;
	return 0;
}

struct ns_job {
	int nsfd;
	int (*fn)(void *arg, struct oci_err **err);
	void *arg;
	struct oci_err *err;
	int r;
};

static void *ns_thread(void *p)
{
	struct ns_job *job = p;
	/* A private fs context keeps /proc/thread-self/... and cwd to ourselves. */
	if (unshare(CLONE_FS) < 0) {
		job->r = oci_err_sys(&job->err, "unshare");
		return NULL;
	}
	if (setns(job->nsfd, CLONE_NEWNET) < 0) {
		job->r = oci_err_sys(&job->err, "enter network namespace");
		return NULL;
	}
	job->r = job->fn(job->arg, &job->err);
	return NULL;
}

int net_in_netns(int nsfd, int (*fn)(void *arg, struct oci_err **err), void *arg,
		 struct oci_err **err)
{
	struct ns_job job = { .nsfd = nsfd, .fn = fn, .arg = arg };
	pthread_t th;
	int r = pthread_create(&th, NULL, ns_thread, &job);
	if (r != 0) {
		errno = r;
		return oci_err_sys(err, "create thread");
	}
	pthread_join(th, NULL);
	if (job.r < 0) {
		if (err && !*err)
			*err = TAKE_PTR(job.err);
		else
			oci_err_free(job.err);
		return job.r;
	}
	return job.r;
}
