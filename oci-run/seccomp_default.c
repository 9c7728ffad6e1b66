/* The default linux.seccomp profile `oci-run spec` writes: an allow list with
 * the semantics of Docker's default profile (moby profiles/seccomp), its
 * architecture- and capability-conditional groups resolved here for this
 * machine's architecture and a capability set.
 *
 * What stays denied (EPERM) without the matching capability: keyring
 * syscalls (keyctl, add_key, request_key), kexec_load/kexec_file_load,
 * open_by_handle_at (CAP_DAC_READ_SEARCH), bpf, mount/umount, unshare and
 * setns, clone with namespace flags and clone3 (ENOSYS so that libc falls
 * back to clone) (CAP_SYS_ADMIN), ptrace and process_vm_* before 4.8
 * kernels, personality other than the few harmless personas, reboot,
 * module loading, swapon, acct, iopl/ioperm, settimeofday, userfaultfd,
 * perf_event_open, and every syscall the list does not name. */
#include "run_seccomp.h"

#include <errno.h>
#include <stdio.h>
#include <sys/utsname.h>
#include <linux/capability.h>

#include "util.h"

#ifndef CAP_PERFMON
#define CAP_PERFMON 38
#endif
#ifndef CAP_BPF
#define CAP_BPF 39
#endif

/* Architectures, as Docker's profile names them (Go's GOARCH and friends). */
enum {
	A_AMD64 = 1 << 0,
	A_X32 = 1 << 1,
	A_X86 = 1 << 2,
	A_ARM = 1 << 3,
	A_ARM64 = 1 << 4,
	A_PPC64LE = 1 << 5,
	A_S390 = 1 << 6,
	A_S390X = 1 << 7,
	A_RISCV64 = 1 << 8,
	A_MIPS = 1 << 9,
	A_OTHER = 1 << 10,
};

#if defined(__x86_64__) && defined(__ILP32__)
#define NATIVE A_X32
#elif defined(__x86_64__)
#define NATIVE A_AMD64
#elif defined(__i386__)
#define NATIVE A_X86
#elif defined(__aarch64__)
#define NATIVE A_ARM64
#elif defined(__arm__)
#define NATIVE A_ARM
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define NATIVE A_PPC64LE
#elif defined(__s390x__)
#define NATIVE A_S390X
#elif defined(__s390__)
#define NATIVE A_S390
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE A_RISCV64
#elif defined(__mips__)
#define NATIVE A_MIPS
#else
#define NATIVE A_OTHER
#endif

/* The architectures a filter on the native one also covers (compat). */
static const char *const *profile_arches(void)
{
	static const char *const amd64[] = { "SCMP_ARCH_X86_64", "SCMP_ARCH_X86",
					     "SCMP_ARCH_X32", NULL };
	static const char *const arm64[] = { "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM", NULL };
	static const char *const s390x[] = { "SCMP_ARCH_S390X", "SCMP_ARCH_S390", NULL };
	static const char *const riscv[] = { "SCMP_ARCH_RISCV64", NULL };
	static const char *const ppc[] = { "SCMP_ARCH_PPC64LE", NULL };
	static const char *const none[] = { NULL };
	switch (NATIVE) {
	case A_AMD64:
		return amd64;
	case A_ARM64:
		return arm64;
	case A_S390X:
		return s390x;
	case A_RISCV64:
		return riscv;
	case A_PPC64LE:
		return ppc;
	default:
		return none; /* the native architecture alone */
	}
}

/* Allowed to every container. */
static const char *const base_allow[] = {
	/* files and descriptors */
	"access", "chdir", "chmod", "chown", "chown32", "close", "close_range", "copy_file_range",
	"creat", "dup", "dup2", "dup3", "faccessat", "faccessat2", "fadvise64", "fadvise64_64",
	"fallocate", "fanotify_mark", "fchdir", "fchmod", "fchmodat", "fchown", "fchown32",
	"fchownat", "fcntl", "fcntl64", "fdatasync", "fgetxattr", "flistxattr", "flock",
	"fremovexattr", "fsetxattr", "fstat", "fstat64", "fstatat64", "fstatfs", "fstatfs64",
	"fsync", "ftruncate", "ftruncate64", "futimesat", "getcwd", "getdents", "getdents64",
	"getxattr", "inotify_add_watch", "inotify_init", "inotify_init1", "inotify_rm_watch",
	"lchown", "lchown32", "lgetxattr", "link", "linkat", "listxattr", "llistxattr", "_llseek",
	"lremovexattr", "lseek", "lsetxattr", "lstat", "lstat64", "mkdir", "mkdirat", "mknod",
	"mknodat", "name_to_handle_at", "newfstatat", "open", "openat", "openat2", "pipe",
	"pipe2", "pread64", "preadv", "preadv2", "pwrite64", "pwritev", "pwritev2", "read",
	"readahead", "readlink", "readlinkat", "readv", "removexattr", "rename", "renameat",
	"renameat2", "rmdir", "sendfile", "sendfile64", "setxattr", "splice", "stat", "stat64",
	"statfs", "statfs64", "statx", "symlink", "symlinkat", "sync", "sync_file_range",
	"syncfs", "tee", "truncate", "truncate64", "umask", "unlink", "unlinkat", "utime",
	"utimensat", "utimensat_time64", "utimes", "vmsplice", "write", "writev",
	/* polling, events, async I/O */
	"epoll_create", "epoll_create1", "epoll_ctl", "epoll_ctl_old", "epoll_pwait",
	"epoll_pwait2", "epoll_wait", "epoll_wait_old", "eventfd", "eventfd2", "io_cancel",
	"io_destroy", "io_getevents", "io_pgetevents", "io_pgetevents_time64", "io_setup",
	"io_submit", "io_uring_enter", "io_uring_register", "io_uring_setup", "ioctl", "poll",
	"ppoll", "ppoll_time64", "pselect6", "pselect6_time64", "select", "_newselect",
	"signalfd", "signalfd4", "timerfd_create", "timerfd_gettime", "timerfd_gettime64",
	"timerfd_settime", "timerfd_settime64",
	/* memory */
	"brk", "madvise", "membarrier", "memfd_create", "memfd_secret", "mincore", "mlock",
	"mlock2", "mlockall", "mmap", "mmap2", "mprotect", "mremap", "msync", "munlock",
	"munlockall", "munmap", "pkey_alloc", "pkey_free", "pkey_mprotect", "remap_file_pages",
	/* processes, threads, signals */
	"execve", "execveat", "exit", "exit_group", "fork", "vfork", "wait4", "waitid", "waitpid",
	"kill", "tgkill", "tkill", "pidfd_open", "pidfd_send_signal", "process_mrelease",
	"restart_syscall", "rseq", "rt_sigaction", "rt_sigpending", "rt_sigprocmask",
	"rt_sigqueueinfo", "rt_sigreturn", "rt_sigsuspend", "rt_sigtimedwait",
	"rt_sigtimedwait_time64", "rt_tgsigqueueinfo", "sigaltstack", "sigprocmask", "sigreturn",
	"pause", "futex", "futex_time64", "futex_waitv", "get_robust_list", "set_robust_list",
	"get_thread_area", "set_thread_area", "set_tid_address", "gettid", "getpid", "getppid",
	"getpgid", "getpgrp", "getsid", "setpgid", "setsid", "prctl", "seccomp", "capget",
	"capset", "getpriority", "setpriority", "ioprio_get", "ioprio_set", "getrlimit",
	"setrlimit", "ugetrlimit", "prlimit64", "getrusage", "times", "sched_getaffinity",
	"sched_getattr", "sched_getparam", "sched_get_priority_max", "sched_get_priority_min",
	"sched_getscheduler", "sched_rr_get_interval", "sched_rr_get_interval_time64",
	"sched_setaffinity", "sched_setattr", "sched_setparam", "sched_setscheduler",
	"sched_yield", "landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self",
	/* credentials */
	"getegid", "getegid32", "geteuid", "geteuid32", "getgid", "getgid32", "getgroups",
	"getgroups32", "getresgid", "getresgid32", "getresuid", "getresuid32", "getuid",
	"getuid32", "setfsgid", "setfsgid32", "setfsuid", "setfsuid32", "setgid", "setgid32",
	"setgroups", "setgroups32", "setregid", "setregid32", "setresgid", "setresgid32",
	"setresuid", "setresuid32", "setreuid", "setreuid32", "setuid", "setuid32",
	/* time */
	"adjtimex", "alarm", "clock_adjtime", "clock_adjtime64", "clock_getres",
	"clock_getres_time64", "clock_gettime", "clock_gettime64", "clock_nanosleep",
	"clock_nanosleep_time64", "getitimer", "setitimer", "gettimeofday", "nanosleep", "time",
	"timer_create", "timer_delete", "timer_getoverrun", "timer_gettime", "timer_gettime64",
	"timer_settime", "timer_settime64",
	/* sockets (socket itself is below, without AF_VSOCK) */
	"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt",
	"listen", "recv", "recvfrom", "recvmmsg", "recvmmsg_time64", "recvmsg", "send",
	"sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown", "socketcall", "socketpair",
	/* System V and POSIX IPC */
	"ipc", "msgctl", "msgget", "msgrcv", "msgsnd", "semctl", "semget", "semop", "semtimedop",
	"semtimedop_time64", "shmat", "shmctl", "shmdt", "shmget", "mq_getsetattr", "mq_notify",
	"mq_open", "mq_timedreceive", "mq_timedreceive_time64", "mq_timedsend",
	"mq_timedsend_time64", "mq_unlink",
	/* system information */
	"getcpu", "getrandom", "sysinfo", "uname",
	NULL,
};

/* ptrace became safe to allow with the 4.8 kernel's seccomp ordering fix
 * (older kernels checked seccomp before ptrace could change the syscall). */
static const char *const ptrace_48[] = { "process_vm_readv", "process_vm_writev", "ptrace",
					 NULL };

struct group {
	const char *const *names;
	int min_kernel; /* major * 1000 + minor; 0: any */
	unsigned arches;     /* 0: every architecture; else a set of A_* */
	unsigned not_arches; /* excluded architectures */
	int cap;	     /* needs this capability; -1: none */
	int not_cap;	     /* only without this capability; -1: none */
	int errno_ret;	     /* >= 0: SCMP_ACT_ERRNO with it; -1: SCMP_ACT_ALLOW */
	int arg_index;	     /* -1: no argument condition */
	uint64_t arg_value;
	const char *arg_op;
};

#define NAMES(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NO_ARG -1, 0, NULL

/* Namespace flags of clone(2) a container may not use without
 * CAP_SYS_ADMIN: NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET. */
#define CLONE_NS_MASK 0x7E020000ull

static const struct group groups[] = {
	{ ptrace_48, 4008, 0, 0, -1, -1, -1, NO_ARG },
	{ NAMES("socket"), 0, 0, 0, -1, -1, -1, 0, 40 /* AF_VSOCK */, "SCMP_CMP_NE" },
	/* personality: query (0xffffffff), PER_LINUX, PER_LINUX32, UNAME26 */
	{ NAMES("personality"), 0, 0, 0, -1, -1, -1, 0, 0x0, "SCMP_CMP_EQ" },
	{ NAMES("personality"), 0, 0, 0, -1, -1, -1, 0, 0x8, "SCMP_CMP_EQ" },
	{ NAMES("personality"), 0, 0, 0, -1, -1, -1, 0, 0x20000, "SCMP_CMP_EQ" },
	{ NAMES("personality"), 0, 0, 0, -1, -1, -1, 0, 0x20008, "SCMP_CMP_EQ" },
	{ NAMES("personality"), 0, 0, 0, -1, -1, -1, 0, 0xffffffffull, "SCMP_CMP_EQ" },
	{ NAMES("sync_file_range2", "swapcontext"), 0, A_PPC64LE, 0, -1, -1, -1, NO_ARG },
	{ NAMES("arm_fadvise64_64", "arm_sync_file_range", "sync_file_range2", "breakpoint",
		"cacheflush", "set_tls"), 0,
	  A_ARM | A_ARM64, 0, -1, -1, -1, NO_ARG },
	{ NAMES("arch_prctl"), 0, A_AMD64 | A_X32, 0, -1, -1, -1, NO_ARG },
	{ NAMES("modify_ldt"), 0, A_AMD64 | A_X32 | A_X86, 0, -1, -1, -1, NO_ARG },
	{ NAMES("s390_pci_mmio_read", "s390_pci_mmio_write", "s390_runtime_instr"), 0,
	  A_S390 | A_S390X, 0, -1, -1, -1, NO_ARG },
	{ NAMES("riscv_flush_icache"), 0, A_RISCV64, 0, -1, -1, -1, NO_ARG },
	{ NAMES("open_by_handle_at"), 0, 0, 0, CAP_DAC_READ_SEARCH, -1, -1, NO_ARG },
	{ NAMES("bpf", "clone", "clone3", "fanotify_init", "fsconfig", "fsmount", "fsopen",
		"fspick", "lookup_dcookie", "mount", "mount_setattr", "move_mount", "open_tree",
		"perf_event_open", "quotactl", "quotactl_fd", "setdomainname", "sethostname",
		"setns", "syslog", "umount", "umount2", "unshare"), 0,
	  0, 0, CAP_SYS_ADMIN, -1, -1, NO_ARG },
	/* clone without namespace flags (s390 swaps the first two arguments) */
	{ NAMES("clone"), 0, 0, A_S390 | A_S390X, -1, CAP_SYS_ADMIN, -1, 0, CLONE_NS_MASK,
	  "SCMP_CMP_MASKED_EQ" },
	{ NAMES("clone"), 0, A_S390 | A_S390X, 0, -1, CAP_SYS_ADMIN, -1, 1, CLONE_NS_MASK,
	  "SCMP_CMP_MASKED_EQ" },
	/* clone3's flags are in memory a filter cannot read: ENOSYS makes
	 * libc fall back to clone, which is checked above. */
	{ NAMES("clone3"), 0, 0, 0, -1, CAP_SYS_ADMIN, ENOSYS, NO_ARG },
	{ NAMES("reboot"), 0, 0, 0, CAP_SYS_BOOT, -1, -1, NO_ARG },
	{ NAMES("chroot"), 0, 0, 0, CAP_SYS_CHROOT, -1, -1, NO_ARG },
	{ NAMES("delete_module", "init_module", "finit_module"), 0, 0, 0, CAP_SYS_MODULE, -1, -1,
	  NO_ARG },
	{ NAMES("acct"), 0, 0, 0, CAP_SYS_PACCT, -1, -1, NO_ARG },
	{ NAMES("kcmp", "pidfd_getfd", "process_madvise", "process_vm_readv",
		"process_vm_writev", "ptrace"), 0,
	  0, 0, CAP_SYS_PTRACE, -1, -1, NO_ARG },
	{ NAMES("iopl", "ioperm"), 0, 0, 0, CAP_SYS_RAWIO, -1, -1, NO_ARG },
	{ NAMES("settimeofday", "stime", "clock_settime", "clock_settime64"), 0, 0, 0, CAP_SYS_TIME,
	  -1, -1, NO_ARG },
	{ NAMES("vhangup"), 0, 0, 0, CAP_SYS_TTY_CONFIG, -1, -1, NO_ARG },
	{ NAMES("get_mempolicy", "mbind", "set_mempolicy", "set_mempolicy_home_node"), 0, 0, 0,
	  CAP_SYS_NICE, -1, -1, NO_ARG },
	{ NAMES("syslog"), 0, 0, 0, CAP_SYSLOG, -1, -1, NO_ARG },
	{ NAMES("bpf"), 0, 0, 0, CAP_BPF, -1, -1, NO_ARG },
	{ NAMES("perf_event_open"), 0, 0, 0, CAP_PERFMON, -1, -1, NO_ARG },
};

static json_t *names_json(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

/* The running kernel as major * 1000 + minor (0 when unknown). */
static int kernel_version(void)
{
	struct utsname u;
	unsigned major = 0, minor = 0;
	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return 0;
	return (int)(major * 1000 + minor);
}

static bool has_cap(uint64_t caps, int cap)
{
	return cap >= 0 && cap < 64 && (caps >> cap) & 1;
}

json_t *run_seccomp_profile_for_caps(uint64_t caps)
{
	json_t *p = json_object();
	json_object_set_new(p, "defaultAction", json_string("SCMP_ACT_ERRNO"));
	json_object_set_new(p, "defaultErrnoRet", json_integer(EPERM));
	json_object_set_new(p, "architectures", names_json(profile_arches()));
	json_t *sys = json_array();
	json_t *r = json_object();
	json_object_set_new(r, "names", names_json(base_allow));
	json_object_set_new(r, "action", json_string("SCMP_ACT_ALLOW"));
	json_array_append_new(sys, r);
	int kernel = kernel_version();
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++) {
		const struct group *g = &groups[i];
		/* as Docker: a group for newer kernels only where the kernel is
		 * known to be older is left out */
		if (g->min_kernel && kernel && kernel < g->min_kernel)
			continue;
		if (g->arches && !(g->arches & NATIVE))
			continue;
		if (g->not_arches & NATIVE)
			continue;
		if (g->cap >= 0 && !has_cap(caps, g->cap))
			continue;
		if (g->not_cap >= 0 && has_cap(caps, g->not_cap))
			continue;
		r = json_object();
		json_object_set_new(r, "names", names_json(g->names));
		if (g->errno_ret >= 0) {
			json_object_set_new(r, "action", json_string("SCMP_ACT_ERRNO"));
			json_object_set_new(r, "errnoRet", json_integer(g->errno_ret));
		} else {
			json_object_set_new(r, "action", json_string("SCMP_ACT_ALLOW"));
		}
		if (g->arg_index >= 0) {
			json_t *arg = json_object();
			json_object_set_new(arg, "index", json_integer(g->arg_index));
			json_object_set_new(arg, "value", json_integer((json_int_t)g->arg_value));
			json_object_set_new(arg, "op", json_string(g->arg_op));
			json_t *args = json_array();
			json_array_append_new(args, arg);
			json_object_set_new(r, "args", args);
		}
		json_array_append_new(sys, r);
	}
	json_object_set_new(p, "syscalls", sys);
	return p;
}

json_t *run_seccomp_default_profile(void)
{
	/* `runc spec`'s capabilities */
	uint64_t caps = (1ull << CAP_AUDIT_WRITE) | (1ull << CAP_KILL) |
			(1ull << CAP_NET_BIND_SERVICE);
	return run_seccomp_profile_for_caps(caps);
}
