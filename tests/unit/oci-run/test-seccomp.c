/* linux.seccomp (oci-run/seccomp.c, seccomp_default.c): parsing and its
 * errors, building BPF with libseccomp, loading it into forked children
 * (errno, argument filters, kill, flags, the ENOSYS prologue) and the
 * SCMP_ACT_NOTIFY hand-over to an agent on a unix socket. Needs root only
 * for the setuid test; everything else runs as any user. */
#include "fs.h"
#include "tap.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <dirent.h>
#include <time.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <linux/capability.h>

#include "json.h"
#include "run_seccomp.h"
#include "util.h"

#define P "linux.seccomp"

/* What a child needs besides the probes, also under ASan (which maps
 * memory and sets a signal stack in the child), for allow-list profiles. */
#define RUNTIME_SYSCALLS                                                               \
	"\"write\",\"exit_group\",\"exit\",\"futex_waitv\",\"mmap\",\"munmap\","          \
	"\"mprotect\",\"madvise\",\"brk\",\"sigaltstack\",\"rt_sigaction\","               \
	"\"rt_sigprocmask\",\"gettid\",\"sched_yield\",\"futex\",\"read\",\"close\","     \
	"\"prctl\",\"prlimit64\",\"getrlimit\",\"openat\",\"fstat\",\"newfstatat\","     \
	"\"readlink\",\"readlinkat\",\"sched_getaffinity\""

static struct run_seccomp *parse(const char *text, struct oci_err **err)
{
	json_error_t jerr;
	json_auto_t *v = json_loads(text, 0, &jerr);
	if (!v) {
		diag("bad test JSON: %s: %s", text, jerr.text);
		return NULL;
	}
	struct run_seccomp *sc = NULL;
	if (run_seccomp_parse(v, P, &sc, err) < 0)
		return NULL;
	return sc;
}

static void parse_fails(const char *text, const char *want, const char *name)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct run_seccomp *sc = parse(text, &err);
	if (!ok(sc == NULL && err != NULL, "error: %s", name)) {
		run_seccomp_free(sc);
		return;
	}
	is_str(err->msg, want, "message: %s", name);
}

static void test_parse(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = parse(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,"
		"\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_M68K\"],"
		"\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\",\"SECCOMP_FILTER_FLAG_LOG\","
		"\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\",\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],"
		"\"listenerPath\":\"/run/agent.sock\",\"listenerMetadata\":\"m=1\","
		"\"syscalls\":[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":30},"
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"},"
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":0,\"value\":8,\"valueTwo\":0,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":1,\"value\":255,\"valueTwo\":3,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
		"{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL\"},"
		"{\"names\":[\"tkill\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":1},"
		"{\"names\":[\"uname\"],\"action\":\"SCMP_ACT_LOG\"}],"
		"\"unknownField\":true}",
		&err);
	if (!ok(sc != NULL, "a profile with every field parses")) {
		diag("%s", err ? err->msg : "?");
		return;
	}
	is_int(sc->default_act, RUN_SCMP_ERRNO, "defaultAction");
	ok(sc->has_default_errno && sc->default_errno == 13, "defaultErrnoRet");
	is_int(sc->n_arches, 2, "two architectures (m68k unknown to libseccomp is skipped)");
	is_int(sc->flags, SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG | (1 << 2) | (1 << 5),
	       "flags");
	is_str(sc->listener_path, "/run/agent.sock", "listenerPath");
	is_str(sc->listener_metadata, "m=1", "listenerMetadata");
	is_int(sc->n_rules, 7, "seven rules");
	ok(sc->uses_notify, "uses notify");
	is_str(sc->rules[0].names[1], "write", "names");
	ok(sc->rules[1].has_errno && sc->rules[1].errno_ret == 30, "errnoRet");
	is_int(sc->rules[3].n_args, 2, "two args");
	ok(sc->rules[3].args[1].index == 1 && sc->rules[3].args[1].value == 255 &&
		   sc->rules[3].args[1].value_two == 3,
	   "arg index, value, valueTwo");
	is_int(sc->rules[4].act, RUN_SCMP_KILL, "SCMP_ACT_KILL");
	is_int(sc->rules[5].act, RUN_SCMP_TRACE, "SCMP_ACT_TRACE");
	is_int(sc->rules[6].act, RUN_SCMP_LOG, "SCMP_ACT_LOG");

	_cleanup_(run_seccomp_freep) struct run_seccomp *min =
		parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", &err);
	ok(min && min->n_rules == 0 && !min->uses_notify && min->n_arches == 0,
	   "defaultAction alone is a profile");

	parse_fails("[]", P ": expected an object, got an array", "not an object");
	parse_fails("{}", P ".defaultAction: required field is missing", "no defaultAction");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_FOO\"}",
		    P ".defaultAction: unknown action 'SCMP_ACT_FOO'", "unknown defaultAction");
	parse_fails("{\"defaultAction\":7}", P ".defaultAction: expected a string, got an integer",
		    "defaultAction type");
	/* errnoRet where it means nothing is ignored, as runc does */
	_cleanup_(run_seccomp_freep) struct run_seccomp *ign = parse(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"defaultErrnoRet\":1,\"syscalls\":["
		"{\"names\":[\"read\"],\"action\":\"SCMP_ACT_KILL\",\"errnoRet\":1}]}",
		&err);
	ok(ign && !ign->has_default_errno && !ign->rules[0].has_errno,
	   "errnoRet with actions other than ERRNO and TRACE is ignored");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":5000}",
		    P ".defaultErrnoRet: 5000 is out of range [0, 4095]", "defaultErrnoRet range");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_NOTIFY\"}",
		    P ".defaultAction: SCMP_ACT_NOTIFY cannot be the default action",
		    "notify as default");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":\"x86\"}",
		    P ".architectures: expected an array, got a string", "architectures type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":"
		    "[\"SCMP_ARCH_X86\",\"SCMP_ARCH_VAX\"]}",
		    P ".architectures[1]: unknown architecture 'SCMP_ARCH_VAX'", "unknown arch");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"x86_64\"]}",
		    P ".architectures[0]: unknown architecture 'x86_64'", "arch without prefix");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_FOO\"]}",
		    P ".flags[0]: unknown flag 'SECCOMP_FILTER_FLAG_FOO'", "unknown flag");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":3}",
		    P ".listenerPath: expected a string, got an integer", "listenerPath type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":{}}",
		    P ".syscalls: expected an array, got an object", "syscalls type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[\"read\"]}",
		    P ".syscalls[0]: expected an object, got a string", "rule type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		    "{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		    "{\"names\":[\"write\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		    "{\"names\":[\"open\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		    "{\"names\":[\"close\"],\"action\":\"SCMP_ACT_FOO\"}]}",
		    P ".syscalls[3].action: unknown action 'SCMP_ACT_FOO'", "unknown rule action");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"]}]}",
		    P ".syscalls[0].action: required field is missing", "rule without action");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		    "[{\"action\":\"SCMP_ACT_ALLOW\"}]}",
		    P ".syscalls[0].names: required field is missing", "rule without names");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		    "[{\"names\":[],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		    P ".syscalls[0].names: needs at least one syscall name", "empty names");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		    "[{\"names\":[\"read\",1],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		    P ".syscalls[0].names[1]: expected a string, got an integer", "name type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":"
		    "[{\"names\":[\"read\",\"\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
		    P ".syscalls[0].names[1]: empty syscall name", "empty name");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		    "[{\"names\":[\"read\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":-1}]}",
		    P ".syscalls[0].errnoRet: -1 is out of range [0, 4095]", "negative errnoRet");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":6,\"value\":0,"
		    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		    P ".syscalls[0].args[0].index: 6 is out of range [0, 5]", "arg index");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":0,"
		    "\"op\":\"SCMP_CMP_EQ\"},{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_FOO\"}]}]}",
		    P ".syscalls[0].args[1].op: unknown operator 'SCMP_CMP_FOO'", "unknown op");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"op\":\"SCMP_CMP_EQ\"}]}]}",
		    P ".syscalls[0].args[0].value: required field is missing", "arg without value");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":-1,"
		    "\"op\":\"SCMP_CMP_EQ\"}]}]}",
		    P ".syscalls[0].args[0].value: -1 is negative", "negative value");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[{\"index\":0,\"value\":1,"
		    "\"valueTwo\":\"x\",\"op\":\"SCMP_CMP_EQ\"}]}]}",
		    P ".syscalls[0].args[0].valueTwo: expected an integer, got a string",
		    "valueTwo type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],"
		    "\"action\":\"SCMP_ACT_ERRNO\",\"args\":[7]}]}",
		    P ".syscalls[0].args[0]: expected an object, got an integer", "arg type");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":"
		    "[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		    P ".listenerPath: required when a rule uses SCMP_ACT_NOTIFY",
		    "notify without listenerPath");
	parse_fails("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/a\",\"syscalls\":"
		    "[{\"names\":[\"read\",\"write\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		    P ".syscalls[0].names[1]: SCMP_ACT_NOTIFY cannot be used for 'write'",
		    "notify on write");
	/* a relative listenerPath is taken from the runtime's directory, as runc */
	_cleanup_(run_seccomp_freep) struct run_seccomp *rel = parse(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"agent.sock\","
		"\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		&err);
	ok(rel && streq(rel->listener_path, "agent.sock"), "a relative listenerPath is kept");
}

/* ---- building ---- */

static bool rule_allows_plainly(json_t *profile, const char *name)
{
	size_t i, j;
	json_t *r, *n;
	json_array_foreach(json_object_get(profile, "syscalls"), i, r)
	{
		if (!streq(json_string_value(json_object_get(r, "action")), "SCMP_ACT_ALLOW") ||
		    json_array_size(json_object_get(r, "args")) > 0)
			continue;
		json_array_foreach(json_object_get(r, "names"), j, n)
		{
			if (streq(json_string_value(n), name))
				return true;
		}
	}
	return false;
}

static json_t *rule_for(json_t *profile, const char *name)
{
	size_t i, j;
	json_t *r, *n;
	json_array_foreach(json_object_get(profile, "syscalls"), i, r)
	{
		json_array_foreach(json_object_get(r, "names"), j, n)
		{
			if (streq(json_string_value(n), name))
				return r;
		}
	}
	return NULL;
}

static struct run_seccomp *prepare_json(json_t *v, struct oci_err **err)
{
	struct run_seccomp *sc = NULL;
	if (run_seccomp_parse(v, P, &sc, err) < 0)
		return NULL;
	if (run_seccomp_prepare(sc, err) < 0) {
		run_seccomp_free(sc);
		return NULL;
	}
	return sc;
}

static struct run_seccomp *prepare(const char *text, struct oci_err **err)
{
	json_error_t jerr;
	json_auto_t *v = json_loads(text, 0, &jerr);
	if (!v) {
		diag("bad test JSON: %s", jerr.text);
		return NULL;
	}
	return prepare_json(v, err);
}

static void test_default_profile(void)
{
	json_auto_t *p = run_seccomp_default_profile();
	is_str(json_string_value(json_object_get(p, "defaultAction")), "SCMP_ACT_ERRNO",
	       "default profile: defaultAction SCMP_ACT_ERRNO");
	is_int(json_integer_value(json_object_get(p, "defaultErrnoRet")), EPERM,
	       "default profile: defaultErrnoRet EPERM");
#ifdef __x86_64__
	is_str(json_string_value(json_array_get(json_object_get(p, "architectures"), 0)),
	       "SCMP_ARCH_X86_64", "default profile: x86_64 first");
	is_int(json_array_size(json_object_get(p, "architectures")), 3,
	       "default profile: with x86 and x32");
	ok(rule_allows_plainly(p, "arch_prctl"), "default profile: arch_prctl on x86_64");
#else
	skip("not x86_64", "default profile: x86_64 first");
	skip("not x86_64", "default profile: with x86 and x32");
	skip("not x86_64", "default profile: arch_prctl on x86_64");
#endif
	static const char *const allowed[] = { "read", "write", "openat", "execve", "exit_group",
					       "getpid", "futex", "ptrace", "socketpair", NULL };
	for (size_t i = 0; allowed[i]; i++)
		ok(rule_allows_plainly(p, allowed[i]), "default profile allows %s", allowed[i]);
	static const char *const denied[] = { "keyctl",	   "add_key",	    "request_key",
					      "kexec_load", "kexec_file_load", "open_by_handle_at",
					      "bpf",	   "mount",	    "umount2",
					      "unshare",   "setns",	    "reboot",
					      "init_module", "chroot",	    "swapon",
					      "userfaultfd", "perf_event_open", "iopl", NULL };
	for (size_t i = 0; denied[i]; i++)
		ok(rule_for(p, denied[i]) == NULL, "default profile does not name %s", denied[i]);
	json_t *clone = rule_for(p, "clone");
	ok(clone && json_array_size(json_object_get(clone, "args")) == 1 &&
		   streq(json_string_value(json_object_get(json_array_get(
				 json_object_get(clone, "args"), 0), "op")),
			 "SCMP_CMP_MASKED_EQ") &&
		   json_integer_value(json_object_get(
			   json_array_get(json_object_get(clone, "args"), 0), "value")) ==
			   0x7E020000,
	   "default profile: clone only without namespace flags");
	json_t *clone3 = rule_for(p, "clone3");
	ok(clone3 && json_integer_value(json_object_get(clone3, "errnoRet")) == ENOSYS,
	   "default profile: clone3 gives ENOSYS");
	ok(!rule_allows_plainly(p, "personality") && rule_for(p, "personality"),
	   "default profile: personality only with arguments");

	json_auto_t *admin = run_seccomp_profile_for_caps(1ull << CAP_SYS_ADMIN);
	ok(rule_allows_plainly(admin, "mount") && rule_allows_plainly(admin, "unshare") &&
		   rule_allows_plainly(admin, "clone") && !rule_for(admin, "keyctl"),
	   "CAP_SYS_ADMIN profile: mount, unshare, clone, still no keyctl");
	json_t *c3 = rule_for(admin, "clone3");
	ok(c3 && rule_allows_plainly(admin, "clone3"), "CAP_SYS_ADMIN profile: clone3 allowed");
	json_auto_t *dac = run_seccomp_profile_for_caps(1ull << CAP_DAC_READ_SEARCH);
	ok(rule_allows_plainly(dac, "open_by_handle_at"),
	   "CAP_DAC_READ_SEARCH profile: open_by_handle_at");

	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = prepare_json(p, &err);
	if (!ok(sc != NULL, "default profile compiles to BPF")) {
		diag("%s", err ? err->msg : "?");
		return;
	}
	ok(sc->prog_len > 100 && sc->prog_len <= 4096, "default profile: %zu BPF instructions",
	   sc->prog_len);
	diag("syscall names unknown to this libseccomp: %zu", sc->n_skipped);

	/* the prologue names the newest syscall of the profile: the
	 * default profile (ERRNO) has it, an ALLOW profile does not */
	_cleanup_(run_seccomp_freep) struct run_seccomp *allow =
		prepare("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":"
			"[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
			&err);
	_cleanup_(run_seccomp_freep) struct run_seccomp *deny =
		prepare("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
			"[\"getcwd\"],\"action\":\"SCMP_ACT_ALLOW\"}]}",
			&err);
	ok(allow && deny && deny->prog_len > allow->prog_len,
	   "the ENOSYS prologue only for a denying default (%zu > %zu instructions)",
	   deny ? deny->prog_len : 0, allow ? allow->prog_len : 0);

	_cleanup_(run_seccomp_freep) struct run_seccomp *unknown =
		prepare("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":"
			"[\"getpid\",\"no_such_syscall\",\"nor_this\"],\"action\":\"SCMP_ACT_ALLOW\"},"
			"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
			&err);
	ok(unknown && unknown->n_skipped == 2,
	   "unknown syscall names are skipped, a rule with the default action too");
}

static int count_files(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	int n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	return n;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_cache(void)
{
	char dir[] = "/tmp/oci-seccomp-cache-XXXXXX";
	if (!ok(mkdtemp(dir) != NULL, "cache: temporary directory"))
		return;
	_cleanup_free_ char *cache = xasprintf("%s/cache", dir);
	_cleanup_err_ struct oci_err *err = NULL;
	json_auto_t *p = run_seccomp_default_profile();
	_cleanup_(run_seccomp_freep) struct run_seccomp *plain = prepare_json(p, &err);

	struct run_seccomp *a = NULL, *b = NULL, *c = NULL;
	double t0 = now_ms();
	ok(run_seccomp_parse(p, P, &a, &err) == 0 && run_seccomp_prepare_cached(a, cache, &err) == 0,
	   "cache: a first prepare compiles and stores");
	double t1 = now_ms();
	is_int(count_files(cache), 1, "cache: one program stored");
	ok(plain && a && a->prog_len == plain->prog_len &&
		   memcmp(a->prog, plain->prog, plain->prog_len * 8) == 0,
	   "cache: the same program as without the cache");
	double t2 = now_ms();
	ok(run_seccomp_parse(p, P, &b, &err) == 0 && run_seccomp_prepare_cached(b, cache, &err) == 0 &&
		   b->prog_len == plain->prog_len &&
		   memcmp(b->prog, plain->prog, plain->prog_len * 8) == 0,
	   "cache: a second prepare reads the same program");
	double t3 = now_ms();
	diag("compiled %.2f ms, from the cache %.2f ms", t1 - t0, t3 - t2);

	/* the second read really comes from the file: plant another program */
	_cleanup_closedir_ DIR *d = opendir(cache);
	struct dirent *e;
	_cleanup_free_ char *file = NULL;
	while (d && (e = readdir(d)))
		if (e->d_name[0] != '.')
			file = xasprintf("%s/%s", cache, e->d_name);
	ok(file && endswith(file, ".bpf"), "cache: the file is KEY.bpf");
	if (file) {
		/* the file is: u64 key length, the key, the program */
		struct sock_filter allow[1] = { BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW) };
		_cleanup_free_ char *old = NULL;
		size_t old_len = 0;
		uint64_t klen = 0;
		ok(oci_read_file(file, 0, &old, &old_len, &err) == 0 && old_len > sizeof(klen),
		   "cache: file read");
		if (old)
			memcpy(&klen, old, sizeof(klen));
		int fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
		ok(fd >= 0 && klen < old_len &&
			   write(fd, old, sizeof(klen) + klen) == (ssize_t)(sizeof(klen) + klen) &&
			   write(fd, allow, sizeof(allow)) == sizeof(allow),
		   "cache: planted");
		close(fd);
		ok(run_seccomp_parse(p, P, &c, &err) == 0 &&
			   run_seccomp_prepare_cached(c, cache, &err) == 0 && c->prog_len == 1,
		   "cache: the program is read from the file");
		run_seccomp_free(c);
		c = NULL;
		/* a file made for another key (a hash collision) is not used */
		if (old && klen > 0 && klen < old_len) {
			old[sizeof(klen) + klen - 1] ^= 1;
			fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
			ok(fd >= 0 && write(fd, old, old_len) == (ssize_t)old_len,
			   "cache: another key planted");
			close(fd);
		}
		ok(run_seccomp_parse(p, P, &c, &err) == 0 &&
			   run_seccomp_prepare_cached(c, cache, &err) == 0 &&
			   c->prog_len == plain->prog_len,
		   "cache: a file whose key differs is rebuilt");
		run_seccomp_free(c);
		c = NULL;
		/* a damaged file (not whole instructions) is rebuilt */
		fd = open(file, O_WRONLY | O_TRUNC | O_CLOEXEC);
		ok(fd >= 0 && write(fd, "xyz", 3) == 3, "cache: damaged");
		close(fd);
		ok(run_seccomp_parse(p, P, &c, &err) == 0 &&
			   run_seccomp_prepare_cached(c, cache, &err) == 0 &&
			   c->prog_len == plain->prog_len,
		   "cache: a damaged file is rebuilt");
		run_seccomp_free(c);
		c = NULL;
	}

	/* another profile, another key */
	_cleanup_(run_seccomp_freep) struct run_seccomp *o =
		parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":5}]}",
		      &err);
	ok(o && run_seccomp_prepare_cached(o, cache, &err) == 0 && count_files(cache) == 2,
	   "cache: another profile gets its own file");
	_cleanup_(run_seccomp_freep) struct run_seccomp *o2 =
		parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		      "\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":6}]}",
		      &err);
	ok(o2 && run_seccomp_prepare_cached(o2, cache, &err) == 0 && count_files(cache) == 3,
	   "cache: an errnoRet changes the key");

	/* a cache that cannot be written is no error */
	_cleanup_free_ char *bad = xasprintf("%s/file", dir);
	int fd = open(bad, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	close(fd);
	_cleanup_free_ char *under = xasprintf("%s/sub", bad);
	_cleanup_(run_seccomp_freep) struct run_seccomp *u = parse(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"getcwd\"],"
		"\"action\":\"SCMP_ACT_ERRNO\"}]}",
		&err);
	ok(u && run_seccomp_prepare_cached(u, under, &err) == 0 && u->prog_len > 0,
	   "cache: an unusable cache directory only costs the compilation");

	run_seccomp_free(a);
	run_seccomp_free(b);
	/* clean up */
	_cleanup_closedir_ DIR *d2 = opendir(cache);
	while (d2 && (e = readdir(d2)))
		if (e->d_name[0] != '.') {
			_cleanup_free_ char *x = xasprintf("%s/%s", cache, e->d_name);
			unlink(x);
		}
	rmdir(cache);
	unlink(bad);
	rmdir(dir);
}

/* ---- loading into children ---- */

struct res {
	long ret;
	int err;
};

static void rec(struct res *out, int *n, long ret)
{
	out[*n].ret = ret;
	out[*n].err = ret < 0 ? errno : 0;
	(*n)++;
}

typedef void (*probe_fn)(struct res *out, int *n, int wfd);

/* Forks a child that loads sc (after no_new_privs) and runs probe; returns
 * the wait status and the probe's results. */
static int in_child(const struct run_seccomp *sc, probe_fn probe, struct res *out, int *n_out)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		close(p[0]);
		struct oci_err *e = NULL;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		if (run_seccomp_apply(sc, NULL, &e) < 0)
			_exit(11);
		struct res r[32];
		int n = 0;
		probe(r, &n, p[1]);
		if (write(p[1], r, (size_t)n * sizeof(r[0])) < 0)
			_exit(12);
		_exit(0);
	}
	close(p[1]);
	ssize_t got = 0, k;
	char *buf = (char *)out;
	while ((k = read(p[0], buf + got, 32 * sizeof(struct res) - (size_t)got)) > 0)
		got += k;
	close(p[0]);
	*n_out = (int)(got / (ssize_t)sizeof(struct res));
	int status;
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	return status;
}

static void check(const struct res *r, long want_ok, int want_err, const char *name)
{
	if (want_err) {
		if (!ok(r->ret == -1 && r->err == want_err, "%s fails with %s", name,
			strerror(want_err)))
			diag("  got ret %ld errno %d (%s)", r->ret, r->err, strerror(r->err));
	} else {
		if (!ok(r->ret >= want_ok, "%s works", name))
			diag("  got ret %ld errno %d (%s)", r->ret, r->err, strerror(r->err));
	}
}

static void probe_default(struct res *out, int *n, int wfd)
{
	rec(out, n, syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	rec(out, n, syscall(SYS_add_key, "user", "oci-test", "x", 1, KEY_SPEC_PROCESS_KEYRING));
	rec(out, n, syscall(SYS_request_key, "user", "oci-test", NULL, 0));
	rec(out, n, syscall(SYS_unshare, CLONE_NEWUSER));
	long c = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
	if (c == 0)
		_exit(0);
	rec(out, n, c);
	rec(out, n, syscall(SYS_kexec_load, 0, 0, NULL, 0));
	rec(out, n, syscall(SYS_open_by_handle_at, AT_FDCWD, NULL, 0));
	rec(out, n, syscall(SYS_bpf, 0, NULL, 0));
	rec(out, n, syscall(SYS_mount, "none", "/nonexistent", "tmpfs", 0, NULL));
	rec(out, n, syscall(SYS_setns, 99, 0));
	rec(out, n, syscall(SYS_personality, 0x0040000 /* ADDR_NO_RANDOMIZE */));
	rec(out, n, syscall(SYS_socket, 40 /* AF_VSOCK */, SOCK_STREAM, 0));
	rec(out, n, syscall(SYS_clone3, NULL, 0));
	rec(out, n, syscall(452 /* fchmodat2, newer than the profile */, AT_FDCWD, "/", 0755, 0));
	/* what ordinary programs do */
	rec(out, n, syscall(SYS_getpid));
	rec(out, n, syscall(SYS_write, wfd, "", 0));
	long fd = syscall(SYS_openat, AT_FDCWD, "/dev/null", O_RDONLY | O_CLOEXEC);
	rec(out, n, fd);
	rec(out, n, syscall(SYS_personality, 0xffffffffUL));
	rec(out, n, syscall(SYS_socket, AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	long f = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (f == 0)
		syscall(SYS_exit_group, 7);
	int st = 0;
	if (f > 0 && syscall(SYS_wait4, f, &st, 0, NULL) == f && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 7)
		rec(out, n, 0);
	else
		rec(out, n, f < 0 ? f : -1);
}

static void test_apply_default(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	json_auto_t *p = run_seccomp_default_profile();
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = prepare_json(p, &err);
	struct res r[32];
	int n = 0;
	int st = sc ? in_child(sc, probe_default, r, &n) : -1;
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 20,
		"a child loads the default profile and runs its probes")) {
		diag("  status 0x%x, %d results", st, n);
		return;
	}
	check(&r[0], 0, EPERM, "keyctl");
	check(&r[1], 0, EPERM, "add_key");
	check(&r[2], 0, EPERM, "request_key");
	check(&r[3], 0, EPERM, "unshare(CLONE_NEWUSER)");
	check(&r[4], 0, EPERM, "clone(CLONE_NEWUSER)");
	check(&r[5], 0, EPERM, "kexec_load");
	check(&r[6], 0, EPERM, "open_by_handle_at");
	check(&r[7], 0, EPERM, "bpf");
	check(&r[8], 0, EPERM, "mount");
	check(&r[9], 0, EPERM, "setns");
	check(&r[10], 0, EPERM, "personality(ADDR_NO_RANDOMIZE)");
	check(&r[11], 0, EPERM, "socket(AF_VSOCK)");
	check(&r[12], 0, ENOSYS, "clone3");
	check(&r[13], 0, ENOSYS, "a syscall newer than the profile (fchmodat2)");
	check(&r[14], 1, 0, "getpid");
	check(&r[15], 0, 0, "write");
	check(&r[16], 0, 0, "open");
	check(&r[17], 0, 0, "personality(query)");
	check(&r[18], 0, 0, "socket(AF_UNIX)");
	check(&r[19], 0, 0, "fork and wait");
}

#ifdef __x86_64__
/* A 32-bit x86 syscall from 64-bit code (the kernel's IA32 emulation): the
 * filter sees AUDIT_ARCH_I386 and the i386 numbers. Returns -errno. */
static long int80(long nr, long a, long b, long c)
{
	long ret;
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a), "c"(b), "d"(c)
			 : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

static void rec_neg(struct res *out, int *n, long ret)
{
	out[*n].ret = ret < 0 ? -1 : ret;
	out[*n].err = ret < 0 ? (int)-ret : 0;
	(*n)++;
}

static void probe_i386(struct res *out, int *n, int wfd)
{
	rec_neg(out, n, int80(20 /* getpid */, 0, 0, 0));
	rec_neg(out, n, int80(288 /* keyctl */, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
	rec_neg(out, n, int80(310 /* unshare */, CLONE_NEWUSER, 0, 0));
	rec_neg(out, n, int80(136 /* personality */, 0xffffffffL, 0, 0));
	rec_neg(out, n, int80(450 /* set_mempolicy_home_node: newer than the profile */, 0, 0, 0));
}

static void test_apply_i386(void)
{
	long pid = int80(20, 0, 0, 0);
	if (pid != getpid()) {
		for (int i = 0; i < 6; i++)
			skip("the kernel has no IA32 emulation", "i386 syscalls under the default profile");
		return;
	}
	_cleanup_err_ struct oci_err *err = NULL;
	json_auto_t *p = run_seccomp_default_profile();
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = prepare_json(p, &err);
	struct res r[32];
	int n = 0;
	int st = sc ? in_child(sc, probe_i386, r, &n) : -1;
	if (!ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 5,
		"i386 syscalls (int 0x80) under the default profile")) {
		diag("  status 0x%x, %d results", st, n);
		for (int i = 0; i < 5; i++)
			skip("the child failed", "i386 probe");
		return;
	}
	check(&r[0], 1, 0, "i386 getpid");
	check(&r[1], 0, EPERM, "i386 keyctl");
	check(&r[2], 0, EPERM, "i386 unshare(CLONE_NEWUSER)");
	check(&r[3], 0, 0, "i386 personality(query)");
	check(&r[4], 0, ENOSYS, "i386 syscall newer than the profile");
}
#else
static void test_apply_i386(void)
{
	for (int i = 0; i < 6; i++)
		skip("not x86_64", "i386 syscalls under the default profile");
}
#endif

static void probe_errno(struct res *out, int *n, int wfd)
{
	rec(out, n, syscall(SYS_mkdirat, AT_FDCWD, "/nonexistent/x", 0755));
	rec(out, n, syscall(SYS_getcwd, NULL, 0));
	rec(out, n, syscall(SYS_getpid));
}

static void probe_default_errno(struct res *out, int *n, int wfd)
{
	rec(out, n, syscall(SYS_uname, NULL));
	rec(out, n, syscall(SYS_getpid));
	rec(out, n, syscall(452, AT_FDCWD, "/", 0755, 0));
}

static void probe_args(struct res *out, int *n, int wfd)
{
	rec(out, n, syscall(SYS_personality, 0xffffffffUL));
	rec(out, n, syscall(SYS_personality, 8));
	rec(out, n, syscall(SYS_umask, 022));
	rec(out, n, syscall(SYS_umask, 027));
	rec(out, n, syscall(SYS_umask, 077));
	rec(out, n, syscall(SYS_getpriority, 0, 0));
	rec(out, n, syscall(SYS_getpriority, 0, 1));
	rec(out, n, syscall(SYS_getpriority, 1, 0));
	rec(out, n, syscall(SYS_dup, 2));
	rec(out, n, syscall(SYS_dup, 100));
	rec(out, n, syscall(SYS_lseek, wfd, 0, SEEK_CUR));
	rec(out, n, syscall(SYS_lseek, wfd, 0, SEEK_END));
}

static void probe_getcwd(struct res *out, int *n, int wfd)
{
	char buf[64];
	rec(out, n, syscall(SYS_getcwd, buf, sizeof(buf)));
}

static void test_apply_rules(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	struct res r[32];
	int n = 0, st;

	_cleanup_(run_seccomp_freep) struct run_seccomp *e = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"mkdir\",\"mkdirat\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":30},"
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_ERRNO\"}]}",
		&err);
	st = e ? in_child(e, probe_errno, r, &n) : -1;
	if (ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 3, "errnoRet profile loads")) {
		check(&r[0], 0, EROFS, "errnoRet 30: mkdirat");
		check(&r[1], 0, EPERM, "SCMP_ACT_ERRNO without errnoRet: getcwd");
		check(&r[2], 1, 0, "getpid under an ALLOW default");
	}

	_cleanup_(run_seccomp_freep) struct run_seccomp *d = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":13,\"syscalls\":["
		"{\"names\":[" RUNTIME_SYSCALLS ",\"getpid\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"}]}",
		&err);
	st = d ? in_child(d, probe_default_errno, r, &n) : -1;
	if (ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 3, "defaultErrnoRet profile loads")) {
		check(&r[0], 0, EACCES, "defaultErrnoRet 13: uname");
		check(&r[1], 1, 0, "getpid allowed");
		check(&r[2], 0, ENOSYS, "newer than the profile's newest syscall: ENOSYS");
	}

	/* every architecture libseccomp knows: a long ENOSYS prologue */
	_cleanup_(run_seccomp_freep) struct run_seccomp *all = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"architectures\":[\"SCMP_ARCH_X86\","
		"\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X32\",\"SCMP_ARCH_ARM\",\"SCMP_ARCH_AARCH64\","
		"\"SCMP_ARCH_MIPS\",\"SCMP_ARCH_MIPS64\",\"SCMP_ARCH_MIPS64N32\",\"SCMP_ARCH_MIPSEL\","
		"\"SCMP_ARCH_MIPSEL64\",\"SCMP_ARCH_MIPSEL64N32\",\"SCMP_ARCH_PPC\",\"SCMP_ARCH_PPC64\","
		"\"SCMP_ARCH_PPC64LE\",\"SCMP_ARCH_S390\",\"SCMP_ARCH_S390X\",\"SCMP_ARCH_PARISC\","
		"\"SCMP_ARCH_PARISC64\",\"SCMP_ARCH_RISCV64\",\"SCMP_ARCH_LOONGARCH64\"],"
		"\"syscalls\":[{\"names\":[" RUNTIME_SYSCALLS ",\"getpid\"],"
		"\"action\":\"SCMP_ACT_ALLOW\"}]}",
		&err);
	if (!all)
		diag("%s", err ? err->msg : "?");
	st = all ? in_child(all, probe_default_errno, r, &n) : -1;
	if (ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 3,
	       "a filter for every architecture loads (%zu instructions)",
	       all ? all->prog_len : 0)) {
		check(&r[0], 0, EPERM, "every architecture: uname denied");
		check(&r[1], 1, 0, "every architecture: getpid allowed");
		check(&r[2], 0, ENOSYS, "every architecture: newer syscall ENOSYS");
	}

	_cleanup_(run_seccomp_freep) struct run_seccomp *a = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
		"{\"names\":[" RUNTIME_SYSCALLS "],\"action\":\"SCMP_ACT_ALLOW\"},"
		"{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":0,\"value\":4294967295,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"umask\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":0,\"value\":18,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":0,\"value\":23,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"getpriority\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},"
		"{\"index\":1,\"value\":0,\"op\":\"SCMP_CMP_EQ\"}]},"
		"{\"names\":[\"dup\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":0,\"value\":2,\"op\":\"SCMP_CMP_LE\"}]},"
		"{\"names\":[\"lseek\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":"
		"[{\"index\":2,\"value\":2,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		&err);
	if (!a)
		diag("%s", err ? err->msg : "?");
	st = a ? in_child(a, probe_args, r, &n) : -1;
	if (ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 12, "argument profile loads")) {
		check(&r[0], 0, 0, "personality(0xffffffff) with arg0 == 0xffffffff");
		check(&r[1], 0, EPERM, "personality(PER_LINUX32) denied");
		check(&r[2], 0, 0, "umask(022): first of two conditions on arg0 (OR)");
		check(&r[3], 0, 0, "umask(027): second of two conditions on arg0 (OR)");
		check(&r[4], 0, EPERM, "umask(077) denied");
		check(&r[5], 0, 0, "getpriority(0, 0): both conditions (AND)");
		check(&r[6], 0, EPERM, "getpriority(0, 1): second condition fails");
		check(&r[7], 0, EPERM, "getpriority(1, 0): first condition fails");
		check(&r[8], 0, 0, "dup(2) with SCMP_CMP_LE 2");
		check(&r[9], 0, EPERM, "dup(100) denied, not EBADF");
		check(&r[10], 0, ESPIPE, "lseek SEEK_CUR passes SCMP_CMP_MASKED_EQ, reaches the kernel");
		check(&r[11], 0, EPERM, "lseek SEEK_END denied by SCMP_CMP_MASKED_EQ");
	}

	_cleanup_(run_seccomp_freep) struct run_seccomp *k = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"}]}",
		&err);
	st = k ? in_child(k, probe_getcwd, r, &n) : -1;
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && n == 0,
	   "SCMP_ACT_KILL_PROCESS: the child dies of SIGSYS");

	_cleanup_(run_seccomp_freep) struct run_seccomp *t = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_TRAP\"}]}",
		&err);
	st = t ? in_child(t, probe_getcwd, r, &n) : -1;
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS, "SCMP_ACT_TRAP: SIGSYS");

	_cleanup_(run_seccomp_freep) struct run_seccomp *kt = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_KILL\"}]}",
		&err);
	st = kt ? in_child(kt, probe_getcwd, r, &n) : -1;
	ok(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS && n == 0,
	   "SCMP_ACT_KILL (a thread): the single-threaded child dies of SIGSYS");

	_cleanup_(run_seccomp_freep) struct run_seccomp *tr = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_TRACE\",\"errnoRet\":7}]}",
		&err);
	st = tr ? in_child(tr, probe_getcwd, r, &n) : -1;
	if (ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 1, "SCMP_ACT_TRACE loads"))
		check(&r[0], 0, ENOSYS, "SCMP_ACT_TRACE without a tracer");

	_cleanup_(run_seccomp_freep) struct run_seccomp *l = prepare(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_TSYNC\","
		"\"SECCOMP_FILTER_FLAG_LOG\",\"SECCOMP_FILTER_FLAG_SPEC_ALLOW\","
		"\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\"],\"syscalls\":["
		"{\"names\":[\"getcwd\"],\"action\":\"SCMP_ACT_LOG\"}]}",
		&err);
	st = l ? in_child(l, probe_getcwd, r, &n) : -1;
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0 && n == 1 && r[0].ret > 0,
	   "flags TSYNC, LOG, SPEC_ALLOW load; SCMP_ACT_LOG lets getcwd run");

	/* not prepared */
	_cleanup_(run_seccomp_freep) struct run_seccomp *np =
		parse("{\"defaultAction\":\"SCMP_ACT_ALLOW\"}", &err);
	_cleanup_err_ struct oci_err *e2 = NULL;
	ok(np && run_seccomp_apply(np, NULL, &e2) == -EINVAL && e2 &&
		   strstr(e2->msg, "not prepared"),
	   "applying an unprepared filter is an error");

	/* without no_new_privs and without CAP_SYS_ADMIN */
	if (geteuid() != 0) {
		skip("not root", "loading without no_new_privs or CAP_SYS_ADMIN fails");
		return;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		close(p[0]);
		if (setgid(65534) < 0 || setuid(65534) < 0)
			_exit(10);
		struct oci_err *ce = NULL;
		int rr = run_seccomp_apply(e, NULL, &ce);
		char msg[200] = "";
		if (ce)
			snprintf(msg, sizeof(msg), "%d %s", rr, ce->msg);
		if (write(p[1], msg, strlen(msg)) < 0)
			_exit(11);
		_exit(0);
	}
	close(p[1]);
	char msg[201] = "";
	ssize_t got = read(p[0], msg, sizeof(msg) - 1);
	if (got > 0)
		msg[got] = 0;
	close(p[0]);
	waitpid(pid, &st, 0);
	is_str(msg,
	       "-13 loading the seccomp filter: permission denied (needs no_new_privs or "
	       "CAP_SYS_ADMIN)",
	       "loading without no_new_privs or CAP_SYS_ADMIN fails clearly");
}

/* ---- SCMP_ACT_NOTIFY ---- */

static int recv_state(int afd, char *buf, size_t size, int *ret_fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = size - 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	ssize_t k = recvmsg(afd, &mh, MSG_CMSG_CLOEXEC);
	if (k <= 0)
		return -1;
	size_t got = (size_t)k;
	*ret_fd = -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (c && c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
		memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	while (got < size - 1 && (k = read(afd, buf + got, size - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = 0;
	return 0;
}

static void test_notify(const char *flags, const char *name)
{
	char dir[] = "/tmp/oci-seccomp-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	_cleanup_free_ char *sock = xasprintf("%s/agent.sock", dir);
	_cleanup_free_ char *profile = xasprintf(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"%s\","
		"\"listenerMetadata\":\"meta-1\",\"flags\":[%s],\"syscalls\":["
		"{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		sock, flags);
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = prepare(profile, &err);
	int p[2] = { -1, -1 }, afd = -1, nfd = -1;
	pid_t pid = 0;
	json_t *st = NULL;
	char buf[4096];
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock);
	if (!ok(sc && lfd >= 0 && bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
			listen(lfd, 1) == 0,
		"%s: profile and agent socket", name)) {
		diag("%s", err ? err->msg : strerror(errno));
		goto out;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		goto out;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		close(lfd);
		struct oci_err *ce = NULL;
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
			_exit(10);
		if (run_seccomp_apply(sc, &nfd, &ce) < 0 || nfd < 0)
			_exit(11);
		char state[256];
		snprintf(state, sizeof(state),
			 "{\"ociVersion\":\"1.2.0\",\"id\":\"test-1\",\"status\":\"creating\","
			 "\"pid\":%d,\"bundle\":\"/tmp/b\"}",
			 (int)getpid());
		if (run_seccomp_send_listener(sc, nfd, getpid(), state, &ce) < 0)
			_exit(12);
		close(nfd);
		struct res r[2];
		int n = 0;
		rec(r, &n, syscall(SYS_getppid));
		rec(r, &n, syscall(SYS_getppid));
		if (write(p[1], r, sizeof(r)) < 0)
			_exit(13);
		_exit(0);
	}
	close(p[1]);
	struct pollfd pf = { .fd = lfd, .events = POLLIN };
	if (!ok(poll(&pf, 1, 10000) == 1 && (afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) >= 0 &&
			recv_state(afd, buf, sizeof(buf), &nfd) == 0 && nfd >= 0,
		"%s: the agent receives a message with an fd", name))
		goto kill;
	json_error_t jerr;
	st = json_loads(buf, 0, &jerr);
	ok(st && streq(json_string_value(json_array_get(json_object_get(st, "fds"), 0)),
		       "seccompFd") &&
		   json_array_size(json_object_get(st, "fds")) == 1 &&
		   json_integer_value(json_object_get(st, "pid")) == pid &&
		   streq(json_string_value(json_object_get(st, "metadata")), "meta-1") &&
		   streq(json_string_value(json_object_get(st, "ociVersion")), "1.2.0") &&
		   streq(json_string_value(json_object_get(json_object_get(st, "state"), "id")),
			 "test-1") &&
		   streq(json_string_value(
				 json_object_get(json_object_get(st, "state"), "status")),
			 "creating"),
	   "%s: the container process state: fds, pid, metadata, state", name);
	if (!st)
		diag("  %s", buf);

	for (int i = 0; i < 2; i++) {
		struct seccomp_notif req;
		struct seccomp_notif_resp resp;
		memset(&req, 0, sizeof(req));
		memset(&resp, 0, sizeof(resp));
		struct pollfd nf = { .fd = nfd, .events = POLLIN };
		if (!ok(poll(&nf, 1, 10000) == 1 && ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) == 0 &&
				req.data.nr == SYS_getppid && (pid_t)req.pid == pid,
			"%s: the agent sees the child's getppid #%d", name, i + 1))
			goto kill;
		resp.id = req.id;
		if (i == 0)
			resp.val = 4242;
		else
			resp.error = -EROFS;
		ok(ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0, "%s: the agent answers #%d",
		   name, i + 1);
	}
	struct res r[2];
	ssize_t got = read(p[0], r, sizeof(r));
	int status;
	waitpid(pid, &status, 0);
	if (ok(got == sizeof(r) && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "%s: the child finishes", name)) {
		is_int(r[0].ret, 4242, "%s: getppid returns the agent's value", name);
		check(&r[1], 0, EROFS, "getppid answered with an error by the agent");
	}
	pid = 0;
kill:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (afd >= 0)
		close(afd);
	if (nfd >= 0)
		close(nfd);
out:
	json_decref(st);
	if (p[0] >= 0)
		close(p[0]);
	if (lfd >= 0)
		close(lfd);
	unlink(sock);
	rmdir(dir);
}

static void test_send_errors(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = parse(
		"{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"listenerPath\":\"/nonexistent/agent.sock\","
		"\"syscalls\":[{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_NOTIFY\"}]}",
		&err);
	ok(sc && run_seccomp_send_listener(sc, 0, 1, "{}", &err) == -ENOENT && err &&
		   streq(err->msg, "connecting to the seccomp agent at '/nonexistent/agent.sock': "
				   "No such file or directory"),
	   "an absent agent: the error names the socket");
	if (err)
		diag("  %s", err->msg);
}

int main(void)
{
	alarm(60);
	test_parse();
	test_default_profile();
	test_cache();
	test_apply_default();
	test_apply_i386();
	test_apply_rules();
	test_notify("", "notify");
	test_notify("\"SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV\",\"SECCOMP_FILTER_FLAG_TSYNC\"",
		    "notify with WAIT_KILLABLE_RECV and TSYNC");
	test_send_errors();
	done_testing();
	return exit_status();
}
