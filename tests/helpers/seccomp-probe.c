/* Runs inside a container: tries syscalls a seccomp profile may deny and
 * prints one line per probe, "NAME ok" or "NAME ERRNONAME". Raw syscalls,
 * so that libc fallbacks do not hide the result. Every probe is harmless
 * where it is allowed (no mount, no kexec image change).
 *   seccomp-probe [NAME...]   (no name: every probe) */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/keyctl.h>

static long probe_clone(unsigned long flags)
{
	long r = syscall(SYS_clone, flags | SIGCHLD, 0, 0, 0, 0);
	if (r == 0)
		_exit(0);
	if (r > 0)
		waitpid((pid_t)r, NULL, 0);
	return r < 0 ? -1 : 0;
}

static long run(const char *name)
{
	if (!strcmp(name, "keyctl"))
		return syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 1);
	if (!strcmp(name, "add_key"))
		return syscall(SYS_add_key, "user", "oci-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
	if (!strcmp(name, "request_key"))
		return syscall(SYS_request_key, "user", "oci-probe-absent", NULL, 0);
	if (!strcmp(name, "unshare_user"))
		return syscall(SYS_unshare, CLONE_NEWUSER);
	if (!strcmp(name, "clone_newuser"))
		return probe_clone(CLONE_NEWUSER);
	if (!strcmp(name, "clone"))
		return probe_clone(0);
	if (!strcmp(name, "kexec_load"))
		/* an invalid architecture in flags: EINVAL once permitted, so
		 * that nothing is loaded or unloaded */
		return syscall(SYS_kexec_load, 0, 0, NULL, 0x7fff0000UL);
	if (!strcmp(name, "open_by_handle_at"))
		return syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0);
	if (!strcmp(name, "bpf"))
		return syscall(SYS_bpf, 0, NULL, 0);
	if (!strcmp(name, "mount"))
		/* a target that does not exist: ENOENT where mount is allowed,
		 * never a mount (this must be harmless when run on a host) */
		return syscall(SYS_mount, "none", "/nonexistent-oci-probe", "tmpfs", 0, NULL);
	if (!strcmp(name, "setns"))
		return syscall(SYS_setns, 0, 0);
	if (!strcmp(name, "personality_bad"))
		return syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */);
	if (!strcmp(name, "personality_query"))
		return syscall(SYS_personality, 0xffffffffUL);
	if (!strcmp(name, "clone3"))
		return syscall(SYS_clone3, NULL, 0);
	if (!strcmp(name, "getpid"))
		return syscall(SYS_getpid);
	if (!strcmp(name, "open"))
		return syscall(SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY | O_CLOEXEC);
	if (!strcmp(name, "socket_unix"))
		return syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	fprintf(stderr, "seccomp-probe: unknown probe '%s'\n", name);
	_exit(2);
}

int main(int argc, char **argv)
{
	static const char *const all[] = { "keyctl",	    "add_key",	   "request_key",
					   "unshare_user",  "clone_newuser", "clone",
					   "kexec_load",    "open_by_handle_at", "bpf",
					   "mount",	    "setns",	   "personality_bad",
					   "personality_query", "clone3",  "getpid",
					   "open",	    "socket_unix", NULL };
	const char *const *names = argc > 1 ? (const char *const *)argv + 1 : all;
	/* each probe in its own process: unshare or personality change it */
	for (; *names; names++) {
		pid_t pid = fork();
		if (pid < 0) {
			perror("seccomp-probe: fork");
			return 1;
		}
		if (pid == 0) {
			errno = 0;
			long r = run(*names);
			const char *e = strerrorname_np(errno);
			if (r >= 0)
				printf("%s ok\n", *names);
			else
				printf("%s %s\n", *names, e ? e : "?");
			fflush(stdout);
			_exit(0);
		}
		int st;
		if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
			printf("%s died\n", *names);
			fflush(stdout);
		}
	}
	return 0;
}
