/* The user process's environment inside the container. */
#include "process.h"

#include <elf.h>
#include <fcntl.h>
#include <stddef.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "caps.h"
#include "fs.h"
#include "lsm.h"
#include "sync.h"
#include "util.h"

int run_process_mem_policy(const struct run_spec *s, struct oci_err **err)
{
	if (!s->has_mem_policy)
		return 0;
	const struct run_mem_policy *mp = &s->mem_policy;
	/* the kernel reads maxnode - 1 bits */
	if (syscall(SYS_set_mempolicy, mp->mode | (int)mp->flags, mp->has_nodes ? mp->nodes : NULL,
		    mp->has_nodes ? (unsigned long)RUN_MPOL_MAX_NODES + 1 : 0UL) < 0)
		return oci_err_sys(err, "linux.memoryPolicy: set_mempolicy");
	return 0;
}

int run_process_limits(const struct run_process *p, struct oci_err **err)
{
	for (size_t i = 0; i < p->n_rlimits; i++) {
		struct rlimit rl = {p->rlimits[i].soft, p->rlimits[i].hard};
		if (setrlimit(p->rlimits[i].resource, &rl) < 0)
			return oci_err_sys(err, "process.rlimits[%zu]: setrlimit", i);
	}
	if (p->has_io_priority) {
		int v = (p->io_class << 13) | p->io_priority;
		if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, v) < 0)
			return oci_err_sys(err, "process.ioPriority: ioprio_set");
	}
	if (p->has_scheduler) {
		struct {
			uint32_t size;
			uint32_t sched_policy;
			uint64_t sched_flags;
			int32_t sched_nice;
			uint32_t sched_priority;
			uint64_t sched_runtime, sched_deadline, sched_period;
		} a = {48,
		       (uint32_t)p->sched_policy,
		       p->sched_flags,
		       p->sched_nice,
		       (uint32_t)p->sched_priority,
		       p->sched_runtime,
		       p->sched_deadline,
		       p->sched_period};
		if (syscall(SYS_sched_setattr, 0, &a, 0) < 0)
			return oci_err_sys(err, "process.scheduler: sched_setattr");
	}
	if (p->has_oom_score_adj) {
		char buf[32];
		int n = snprintf(buf, sizeof(buf), "%d", p->oom_score_adj);
		_cleanup_close_ int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, buf, (size_t)n) < 0)
			return oci_err_sys(err, "process.oomScoreAdj: write %d", p->oom_score_adj);
	}
	return 0;
}

static const char *env_get(char *const *env, const char *key)
{
	size_t n = strlen(key);
	for (; env && *env; env++)
		if (strncmp(*env, key, n) == 0 && (*env)[n] == '=')
			return *env + n + 1;
	return NULL;
}

static int find_exec(const struct run_process *p, char **ret, struct oci_err **err);

static bool is_exec_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#endif

/* The usual reasons an existing file cannot be executed, said plainly
 * (runc#3237, #4790: "no such file or directory" for a CRLF script). */
static int check_executable(const char *path, struct oci_err **err)
{
	char head[512];
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0; /* execve will say why */
	ssize_t n = read(fd, head, sizeof(head) - 1);
	if (n < 4)
		return 0;
	head[n] = '\0';
	if (head[0] == '#' && head[1] == '!') {
		char *nl = memchr(head, '\n', (size_t)n);
		if (nl)
			*nl = '\0';
		if (strchr(head, '\r'))
			return oci_err_set(err, ENOEXEC,
					   "process.args[0]: '%s' has Windows line endings (CRLF): "
					   "convert it with dos2unix",
					   path);
		char *interp = head + 2;
		while (*interp == ' ' || *interp == '\t')
			interp++;
		interp[strcspn(interp, " \t")] = '\0';
		if (*interp && access(interp, X_OK) < 0)
			return oci_err_set(
			    err, ENOENT,
			    "process.args[0]: '%s' is a script for '%s', which is not "
			    "in the container",
			    path, interp);
		return 0;
	}
#ifdef NATIVE_MACHINE
	if (memcmp(head, ELFMAG, SELFMAG) == 0 && n >= (ssize_t)sizeof(Elf64_Ehdr)) {
		uint16_t machine;
		memcpy(&machine, head + offsetof(Elf64_Ehdr, e_machine), sizeof(machine));
		if (machine != NATIVE_MACHINE)
			return oci_err_set(
			    err, ENOEXEC,
			    "process.args[0]: '%s' is built for another architecture "
			    "(ELF machine %u)",
			    path, machine);
	}
#endif
	return 0;
}

int run_process_find_exec(const struct run_process *p, char **ret, struct oci_err **err)
{
	int r = find_exec(p, ret, err);
	if (r < 0)
		return r;
	r = check_executable(*ret, err);
	if (r < 0) {
		free(*ret);
		*ret = NULL;
	}
	return r;
}

static int find_exec(const struct run_process *p, char **ret, struct oci_err **err)
{
	const char *name = p->args[0];
	if (strchr(name, '/')) {
		struct stat st;
		if (stat(name, &st) < 0)
			return oci_err_sys(err, "process.args[0]: '%s'", name);
		if (S_ISDIR(st.st_mode))
			return oci_err_set(err, EISDIR, "process.args[0]: '%s' is a directory",
					   name);
		*ret = xstrdup(name);
		return 0;
	}
	const char *path = env_get(p->env, "PATH");
	if (!path)
		path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	_cleanup_free_ char *copy = xstrdup(path);
	char *save = NULL;
	for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *full = oci_path_join(*dir ? dir : ".", name);
		if (is_exec_file(full)) {
			*ret = TAKE_PTR(full);
			return 0;
		}
	}
	return oci_err_set(err, ENOENT,
			   "process.args[0]: executable '%s' not found in $PATH of the container",
			   name);
}

int run_process_identity(const struct run_process *p, struct oci_err **err)
{
	if (chdir(p->cwd) < 0)
		return oci_err_sys(err, "process.cwd: chdir '%s'", p->cwd);
	if (setgroups(p->n_additional_gids, p->additional_gids) < 0) {
		/* a user namespace with setgroups denied allows no change */
		if (!(errno == EPERM && p->n_additional_gids == 0))
			return oci_err_sys(err, "process.user.additionalGids: setgroups");
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return oci_err_sys(err, "prctl(PR_SET_KEEPCAPS)");
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return oci_err_sys(err, "process.user.gid: setgid %u", p->gid);
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return oci_err_sys(err, "process.user.uid: setuid %u", p->uid);
	if (prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0)
		return oci_err_sys(err, "prctl(PR_SET_KEEPCAPS)");
	int r = run_caps_apply(p->caps, err);
	if (r < 0)
		return r;
	if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return oci_err_sys(err, "process.noNewPrivileges");
	umask(p->has_umask ? p->umask : 022);
	/* CVE-2024-21626: the working directory must be inside the container */
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd || cwd[0] != '/')
		return oci_err_set(err, EPERM, "process.cwd: '%s' is outside the container",
				   p->cwd);
	return 0;
}

static char *home_of(uid_t uid)
{
	_cleanup_fclose_ FILE *f = fopen("/etc/passwd", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	if (!f)
		return NULL;
	while (getline(&line, &cap, f) > 0) {
		/* name:pw:uid:gid:gecos:home:shell */
		char *fields[7] = {0};
		char *save = NULL, *p = line;
		int n = 0;
		for (char *t; n < 7 && (t = strsep(&p, ":\n")); n++)
			fields[n] = t;
		(void)save;
		if (n >= 6 && fields[2] && strtoul(fields[2], NULL, 10) == uid && *fields[2] &&
		    fields[5] && *fields[5])
			return xstrdup(fields[5]);
	}
	return NULL;
}

char **run_process_env(const struct run_process *p)
{
	char **env = oci_strv_dup(p->env);
	if (!env_get(env, "HOME")) {
		_cleanup_free_ char *home = home_of(p->uid);
		_cleanup_free_ char *kv = xasprintf("HOME=%s", home ? home : "/");
		oci_strv_push(&env, kv);
	}
	return env;
}

int run_process_secure(const struct run_process *p, const struct run_seccomp *sc, int sync_fd,
		       struct oci_err **err)
{
	int r;
	if ((r = run_lsm_apply_exec(p, err)) < 0)
		return r;
	/* Without no_new_privs loading a filter needs CAP_SYS_ADMIN: before
	 * the capabilities go (the profile must allow what follows). */
	if (sc && !p->no_new_privileges && (r = run_sync_seccomp_apply(sync_fd, sc, err)) < 0)
		return r;
	if ((r = run_caps_drop_bounding(p->caps[RUN_CAP_BOUNDING], err)) < 0 ||
	    (r = run_process_identity(p, err)) < 0)
		return r;
	/* else as late as possible, but before the init reports READY: the
	 * notify fd must reach the agent while `create` runs */
	if (sc && p->no_new_privileges && (r = run_sync_seccomp_apply(sync_fd, sc, err)) < 0)
		return r;
	return 0;
}
