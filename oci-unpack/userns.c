/* Rootless with maps of more than the caller's own ids (--uid-map
 * 0:1000:1 --uid-map 1:100000:65536): oci-unpack becomes root of a user
 * namespace with those maps, written by the setuid helpers newuidmap and
 * newgidmap (from the shadow package's uidmap, allowed by /etc/subuid and
 * /etc/subgid), as podman and buildah do for their rootless storage. There
 * a chown to the image's ids gives files the mapped host ids, and the
 * container sees its real owners.
 *
 * The helpers must run outside the new namespace (a setuid binary gives
 * nothing inside it), so a child forked before unshare(CLONE_NEWUSER) runs
 * them on our pid once we have unshared, and reports their first line of
 * error through a pipe. */
#include "unpack.h"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "exec.h"
#include "fs.h"
#include "sbuf.h"
#include "util.h"

bool unpack_maps_need_userns(const struct unpack_idmap *uid_map, size_t n_uid,
			     const struct unpack_idmap *gid_map, size_t n_gid, uid_t euid,
			     gid_t egid)
{
	bool uid_self =
	    n_uid == 0 || (n_uid == 1 && uid_map[0].len == 1 && uid_map[0].outside == euid);
	bool gid_self =
	    n_gid == 0 || (n_gid == 1 && gid_map[0].len == 1 && gid_map[0].outside == egid);
	return !(uid_self && gid_self);
}

static bool maps_host(const struct unpack_idmap *m, size_t n, uint32_t id)
{
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].outside && id - m[i].outside < m[i].len)
			return true;
	return false;
}

/* Runs HELPER PID triples...; on failure writes one line to fd. */
static int run_helper(const char *helper, pid_t pid, const struct unpack_idmap *m, size_t n,
		      const char *what, int fd)
{
	char **argv = xcalloc(3 * n + 3, sizeof(char *));
	size_t k = 0;
	argv[k++] = xstrdup(helper);
	argv[k++] = xasprintf("%d", (int)pid);
	for (size_t i = 0; i < n; i++) {
		argv[k++] = xasprintf("%u", m[i].inside);
		argv[k++] = xasprintf("%u", m[i].outside);
		argv[k++] = xasprintf("%u", m[i].len);
	}
	struct oci_exec x = {.argv = argv,
			     .search = "",
			     .err_mode = OCI_EXEC_CAPTURE,
			     .out_mode = OCI_EXEC_CAPTURE,
			     .max_capture = 4096,
			     .timeout_ms = 30000};
	struct oci_exec_result res = {0};
	struct oci_err *err = NULL;
	int r = oci_exec_run(&x, &res, &err);
	_cleanup_sbuf_ struct sbuf msg = SBUF_INIT;
	if (r < 0) {
		if (err->code == ENOENT)
			sbuf_addf(&msg,
				  "mapping more than your own %s takes '%s' (package uidmap), "
				  "and it is not in PATH",
				  what, helper);
		else
			sbuf_addstr(&msg, err->msg);
	} else if (res.status != 0) {
		const char *e = res.errout && *res.errout ? res.errout : res.out ? res.out : "";
		sbuf_addf(&msg, "'%s' refused the %s map (see /etc/sub%s): %.*s", helper, what,
			  what, (int)strcspn(e, "\n"), e);
		r = -1;
	}
	oci_err_free(err);
	oci_exec_result_release(&res);
	oci_strv_free(argv);
	if (r < 0 && msg.len)
		(void)!write(fd, msg.buf, msg.len);
	return r < 0 ? -1 : 0;
}

int unpack_userns_enter(const struct unpack_idmap *uid_map, size_t n_uid,
			const struct unpack_idmap *gid_map, size_t n_gid, struct oci_err **err)
{
	uid_t euid = geteuid();
	gid_t egid = getegid();
	/* what we own outside (the bundle, the image) must stay ours inside */
	if (!maps_host(uid_map, n_uid, euid))
		return oci_err_set(err, EINVAL, "the uid map must map your own uid %u", euid);
	if (!maps_host(gid_map, n_gid, egid))
		return oci_err_set(err, EINVAL, "the gid map must map your own gid %u", egid);
	int go[2], rep[2];
	if (pipe2(go, O_CLOEXEC) < 0)
		return oci_err_sys(err, "pipe");
	if (pipe2(rep, O_CLOEXEC) < 0) {
		close(go[0]), close(go[1]);
		return oci_err_sys(err, "pipe");
	}
	pid_t me = getpid();
	pid_t pid = fork();
	if (pid < 0) {
		close(go[0]), close(go[1]), close(rep[0]), close(rep[1]);
		return oci_err_sys(err, "fork");
	}
	if (pid == 0) {
		close(go[1]);
		close(rep[0]);
		char c;
		if (read(go[0], &c, 1) != 1)
			_exit(1); /* the parent gave up */
		if (run_helper("newuidmap", me, uid_map, n_uid, "uid", rep[1]) < 0 ||
		    run_helper("newgidmap", me, gid_map, n_gid, "gid", rep[1]) < 0)
			_exit(1);
		_exit(0);
	}
	close(go[0]);
	close(rep[1]);
	int r = 0;
	if (unshare(CLONE_NEWUSER) < 0) {
		r = oci_err_sys(err, "a user namespace for the maps");
		close(go[1]);
	} else {
		(void)!write(go[1], "g", 1);
		close(go[1]);
	}
	_cleanup_sbuf_ struct sbuf msg = SBUF_INIT;
	(void)oci_read_fd(rep[0], 4096, &msg);
	close(rep[0]);
	int st = 0;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return r;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return oci_err_set(err, EPERM, "%s",
				   msg.len ? msg.buf : "the uid and gid maps could not be written");
	/* root of the namespace: chown to any mapped id works from here */
	if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
		return oci_err_set(err, EINVAL,
				   "the uid and gid maps must map 0 (root of the "
				   "container)");
	if (setgroups(0, NULL) < 0)
		return oci_err_sys(err, "setgroups");
	return 0;
}
