/* linux.seccomp: parse, build with libseccomp into BPF, load, hand the
 * notify fd to an agent. See seccomp.h for the runc semantics we follow. */
#include "run_seccomp.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include "cleanup.h"
#include "sbuf.h"
#include "fs.h"
#include "json.h"
#include "log.h"
#include "runtime_spec.h"
#include "util.h"

#ifndef SECCOMP_FILTER_FLAG_SPEC_ALLOW
#define SECCOMP_FILTER_FLAG_SPEC_ALLOW (1UL << 2)
#endif
#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

/* The largest errno the kernel passes back from SECCOMP_RET_ERRNO. */
#define MAX_ERRNO_RET 4095

static const struct {
	const char *name;
	enum run_seccomp_act act;
} actions[] = {
	{ "SCMP_ACT_KILL", RUN_SCMP_KILL },
	{ "SCMP_ACT_KILL_PROCESS", RUN_SCMP_KILL_PROCESS },
	{ "SCMP_ACT_KILL_THREAD", RUN_SCMP_KILL_THREAD },
	{ "SCMP_ACT_TRAP", RUN_SCMP_TRAP },
	{ "SCMP_ACT_ERRNO", RUN_SCMP_ERRNO },
	{ "SCMP_ACT_TRACE", RUN_SCMP_TRACE },
	{ "SCMP_ACT_ALLOW", RUN_SCMP_ALLOW },
	{ "SCMP_ACT_LOG", RUN_SCMP_LOG },
	{ "SCMP_ACT_NOTIFY", RUN_SCMP_NOTIFY },
};

static const struct {
	const char *name;
	unsigned long flag;
} filter_flags[] = {
	{ "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
	{ "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
	{ "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
	{ "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const struct {
	const char *name;
	enum scmp_compare op;
} operators[] = {
	{ "SCMP_CMP_NE", SCMP_CMP_NE },	  { "SCMP_CMP_LT", SCMP_CMP_LT },
	{ "SCMP_CMP_LE", SCMP_CMP_LE },	  { "SCMP_CMP_EQ", SCMP_CMP_EQ },
	{ "SCMP_CMP_GE", SCMP_CMP_GE },	  { "SCMP_CMP_GT", SCMP_CMP_GT },
	{ "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

/* The runtime-spec's architectures, as libseccomp names them. */
static const char *const arch_names[] = {
	"x86",	      "x86_64",	  "x32",      "arm",	"aarch64", "loongarch64", "m68k",
	"mips",	      "mips64",	  "mips64n32", "mipsel", "mipsel64", "mipsel64n32", "ppc",
	"ppc64",      "ppc64le",  "s390",     "s390x",	"sh",	   "sheb",	  "parisc",
	"parisc64",   "riscv64",  NULL,
};

const char *run_seccomp_act_name(enum run_seccomp_act act)
{
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (actions[i].act == act)
			return actions[i].name;
	return "?";
}

void run_seccomp_free(struct run_seccomp *sc)
{
	if (!sc)
		return;
	for (size_t i = 0; i < sc->n_rules; i++) {
		oci_strv_free(sc->rules[i].names);
		free(sc->rules[i].args);
	}
	free(sc->rules);
	free(sc->arches);
	free(sc->listener_path);
	free(sc->listener_metadata);
	free(sc->path);
	free(sc->prog);
	free(sc);
}

/* Looks up the action at obj.key; errno_key is its errno field. */
static int parse_action(json_t *obj, const char *path, const char *key, const char *errno_key,
			enum run_seccomp_act *ret_act, bool *ret_has_errno, uint32_t *ret_errno,
			struct oci_err **err)
{
	const char *s;
	if (oci_json_get_str(obj, path, key, &s, err) < 0)
		return -EINVAL;
	size_t i;
	for (i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		if (streq(actions[i].name, s))
			break;
	if (i == sizeof(actions) / sizeof(actions[0])) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, EINVAL, "%s: unknown action '%s'", p, s);
	}
	*ret_act = actions[i].act;
	int64_t e = 0;
	int r = oci_json_opt_int_range(obj, path, errno_key, 0, MAX_ERRNO_RET, &e, err);
	if (r < 0)
		return r;
	*ret_has_errno = r > 0;
	*ret_errno = (uint32_t)e;
	if (r > 0 && *ret_act != RUN_SCMP_ERRNO && *ret_act != RUN_SCMP_TRACE) {
		/* runc ignores it there too; engines may send it */
		_cleanup_free_ char *p = oci_json_path_key(path, errno_key);
		oci_debug("seccomp: %s ignored with %s", p, s);
		*ret_has_errno = false;
		*ret_errno = 0;
	}
	return 0;
}

static int parse_uint64(json_t *obj, const char *path, const char *key, bool required,
			uint64_t *ret, struct oci_err **err)
{
	int64_t v = 0;
	int r = required ? oci_json_get_int(obj, path, key, &v, err)
			 : oci_json_opt_int(obj, path, key, &v, err);
	if (r < 0)
		return r;
	if (v < 0) {
		/* jansson stores integers as signed 64 bits: the upper half
		 * of uint64 cannot be written as a JSON integer it reads. */
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, ERANGE, "%s: %" PRId64 " is negative", p, v);
	}
	*ret = (uint64_t)v;
	return 0;
}

static int parse_arg(json_t *a, const char *path, struct run_seccomp_arg *arg, struct oci_err **err)
{
	int r = oci_json_expect(a, JSON_OBJECT, path, err);
	if (r < 0)
		return r;
	int64_t index;
	if (oci_json_get_int(a, path, "index", &index, err) < 0)
		return -EINVAL;
	if (index < 0 || index > 5) {
		_cleanup_free_ char *p = oci_json_path_key(path, "index");
		return oci_err_set(err, ERANGE, "%s: %" PRId64 " is out of range [0, 5]", p, index);
	}
	arg->index = (unsigned)index;
	if ((r = parse_uint64(a, path, "value", true, &arg->value, err)) < 0 ||
	    (r = parse_uint64(a, path, "valueTwo", false, &arg->value_two, err)) < 0)
		return r;
	const char *op;
	if (oci_json_get_str(a, path, "op", &op, err) < 0)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		if (streq(operators[i].name, op)) {
			arg->op = operators[i].op;
			return 0;
		}
	_cleanup_free_ char *p = oci_json_path_key(path, "op");
	return oci_err_set(err, EINVAL, "%s: unknown operator '%s'", p, op);
}

static int parse_rule(json_t *o, const char *path, struct run_seccomp_rule *rule,
		      struct oci_err **err)
{
	int r = oci_json_expect(o, JSON_OBJECT, path, err);
	if (r < 0)
		return r;
	json_t *names;
	if (oci_json_get_arr(o, path, "names", &names, err) < 0)
		return -EINVAL;
	if (json_array_size(names) == 0) {
		_cleanup_free_ char *p = oci_json_path_key(path, "names");
		return oci_err_set(err, EINVAL, "%s: needs at least one syscall name", p);
	}
	if ((r = oci_json_opt_strv(o, path, "names", &rule->names, err)) < 0)
		return r;
	for (size_t i = 0; rule->names[i]; i++)
		if (!rule->names[i][0]) {
			_cleanup_free_ char *p = oci_json_path_key(path, "names");
			return oci_err_set(err, EINVAL, "%s[%zu]: empty syscall name", p, i);
		}
	r = parse_action(o, path, "action", "errnoRet", &rule->act, &rule->has_errno,
			 &rule->errno_ret, err);
	if (r < 0)
		return r;
	if (rule->act == RUN_SCMP_NOTIFY)
		for (size_t i = 0; rule->names[i]; i++)
			if (streq(rule->names[i], "write")) {
				_cleanup_free_ char *p = oci_json_path_key(path, "names");
				return oci_err_set(err, EINVAL,
						   "%s[%zu]: SCMP_ACT_NOTIFY cannot be used for "
						   "'write'", p, i);
			}
	json_t *args = NULL;
	if ((r = oci_json_opt_arr(o, path, "args", &args, err)) < 0)
		return r;
	if (r > 0 && json_array_size(args) > 0) {
		_cleanup_free_ char *ap = oci_json_path_key(path, "args");
		rule->n_args = json_array_size(args);
		rule->args = xcalloc(rule->n_args, sizeof(*rule->args));
		for (size_t i = 0; i < rule->n_args; i++) {
			_cleanup_free_ char *p = oci_json_path_index(ap, i);
			if ((r = parse_arg(json_array_get(args, i), p, &rule->args[i], err)) < 0)
				return r;
		}
	}
	return 0;
}

static int parse_arch(const char *s, const char *path, uint32_t *ret, struct oci_err **err)
{
	static const char prefix[] = "SCMP_ARCH_";
	if (!startswith(s, prefix))
		return oci_err_set(err, EINVAL, "%s: unknown architecture '%s'", path, s);
	_cleanup_free_ char *lower = xstrdup(s + strlen(prefix));
	for (char *c = lower; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	size_t i;
	for (i = 0; arch_names[i]; i++)
		if (streq(arch_names[i], lower))
			break;
	if (!arch_names[i])
		return oci_err_set(err, EINVAL, "%s: unknown architecture '%s'", path, s);
	*ret = seccomp_arch_resolve_name(lower);
	return 0;
}

int run_seccomp_parse(json_t *v, const char *path, struct run_seccomp **ret,
		      struct oci_err **err)
{
	int r = oci_json_expect(v, JSON_OBJECT, path, err);
	if (r < 0)
		return r;
	_cleanup_(run_seccomp_freep) struct run_seccomp *sc = xcalloc(1, sizeof(*sc));
	sc->path = xstrdup(path);
	r = parse_action(v, path, "defaultAction", "defaultErrnoRet", &sc->default_act,
			 &sc->has_default_errno, &sc->default_errno, err);
	if (r < 0)
		return r;
	if (sc->default_act == RUN_SCMP_NOTIFY) {
		_cleanup_free_ char *p = oci_json_path_key(path, "defaultAction");
		return oci_err_set(err, EINVAL, "%s: SCMP_ACT_NOTIFY cannot be the default action",
				   p);
	}

	json_t *a = NULL;
	if ((r = oci_json_opt_arr(v, path, "architectures", &a, err)) < 0)
		return r;
	if (r > 0) {
		_cleanup_free_ char *ap = oci_json_path_key(path, "architectures");
		sc->arches = xcalloc(json_array_size(a) + 1, sizeof(*sc->arches));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *p = oci_json_path_index(ap, i);
			json_t *e = json_array_get(a, i);
			if ((r = oci_json_expect(e, JSON_STRING, p, err)) < 0)
				return r;
			uint32_t tok = 0;
			if ((r = parse_arch(json_string_value(e), p, &tok, err)) < 0)
				return r;
			if (tok == 0) {
				/* In the spec but unknown to this libseccomp: the
				 * process cannot be of that architecture, and the
				 * filter refuses every architecture it lacks. */
				oci_debug("seccomp: architecture '%s' unsupported by libseccomp, "
					  "ignored", json_string_value(e));
				continue;
			}
			sc->arches[sc->n_arches++] = tok;
		}
	}

	if ((r = oci_json_opt_arr(v, path, "flags", &a, err)) < 0)
		return r;
	if (r > 0) {
		_cleanup_free_ char *fp = oci_json_path_key(path, "flags");
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *p = oci_json_path_index(fp, i);
			json_t *e = json_array_get(a, i);
			if ((r = oci_json_expect(e, JSON_STRING, p, err)) < 0)
				return r;
			size_t k;
			for (k = 0; k < sizeof(filter_flags) / sizeof(filter_flags[0]); k++)
				if (streq(filter_flags[k].name, json_string_value(e)))
					break;
			if (k == sizeof(filter_flags) / sizeof(filter_flags[0]))
				return oci_err_set(err, EINVAL, "%s: unknown flag '%s'", p,
						   json_string_value(e));
			sc->flags |= filter_flags[k].flag;
		}
	}

	const char *s = NULL;
	if ((r = oci_json_opt_str(v, path, "listenerPath", &s, err)) < 0)
		return r;
	if (r > 0 && *s)
		sc->listener_path = xstrdup(s);
	s = NULL;
	if ((r = oci_json_opt_str(v, path, "listenerMetadata", &s, err)) < 0)
		return r;
	if (r > 0)
		sc->listener_metadata = xstrdup(s);

	if ((r = oci_json_opt_arr(v, path, "syscalls", &a, err)) < 0)
		return r;
	if (r > 0 && json_array_size(a) > 0) {
		_cleanup_free_ char *sp = oci_json_path_key(path, "syscalls");
		sc->rules = xcalloc(json_array_size(a), sizeof(*sc->rules));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *p = oci_json_path_index(sp, i);
			sc->n_rules++;
			if ((r = parse_rule(json_array_get(a, i), p, &sc->rules[i], err)) < 0)
				return r;
			if (sc->rules[i].act == RUN_SCMP_NOTIFY)
				sc->uses_notify = true;
		}
	}
	if (sc->uses_notify && !sc->listener_path) {
		_cleanup_free_ char *p = oci_json_path_key(path, "listenerPath");
		return oci_err_set(err, EINVAL, "%s: required when a rule uses SCMP_ACT_NOTIFY", p);
	}
	if (sc->listener_path && !sc->uses_notify)
		oci_debug("seccomp: listenerPath set but no rule uses SCMP_ACT_NOTIFY");
	*ret = TAKE_PTR(sc);
	return 0;
}

/* ---- building ---- */

static uint32_t scmp_action(enum run_seccomp_act act, bool has_errno, uint32_t e)
{
	switch (act) {
	case RUN_SCMP_KILL:
	case RUN_SCMP_KILL_THREAD:
		return SCMP_ACT_KILL_THREAD;
	case RUN_SCMP_KILL_PROCESS:
		return SCMP_ACT_KILL_PROCESS;
	case RUN_SCMP_TRAP:
		return SCMP_ACT_TRAP;
	case RUN_SCMP_ERRNO:
		return SCMP_ACT_ERRNO(has_errno ? e : EPERM);
	case RUN_SCMP_TRACE:
		return SCMP_ACT_TRACE(has_errno ? e : EPERM);
	case RUN_SCMP_ALLOW:
		return SCMP_ACT_ALLOW;
	case RUN_SCMP_LOG:
		return SCMP_ACT_LOG;
	case RUN_SCMP_NOTIFY:
		return SCMP_ACT_NOTIFY;
	}
	return SCMP_ACT_KILL_PROCESS;
}

static inline void seccomp_releasep(scmp_filter_ctx *ctx)
{
	if (*ctx)
		seccomp_release(*ctx);
}

static int add_rule(struct run_seccomp *sc, scmp_filter_ctx ctx, size_t ri, uint32_t def,
		    struct oci_err **err)
{
	const struct run_seccomp_rule *rule = &sc->rules[ri];
	uint32_t act = scmp_action(rule->act, rule->has_errno, rule->errno_ret);
	if (act == def) {
		oci_debug("seccomp: %s.syscalls[%zu] has the default action, skipped", sc->path,
			  ri);
		return 0;
	}
	_cleanup_free_ struct scmp_arg_cmp *cmps =
		xcalloc(rule->n_args ? rule->n_args : 1, sizeof(*cmps));
	bool repeated = false;
	unsigned seen = 0;
	for (size_t k = 0; k < rule->n_args; k++) {
		const struct run_seccomp_arg *a = &rule->args[k];
		cmps[k] = (struct scmp_arg_cmp){ .arg = a->index,
						 .op = (enum scmp_compare)a->op,
						 .datum_a = a->value,
						 .datum_b = a->value_two };
		if (seen & (1u << a->index))
			repeated = true;
		seen |= 1u << a->index;
	}
	for (size_t j = 0; rule->names[j]; j++) {
		const char *name = rule->names[j];
		int nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR) {
			oci_debug("seccomp: unknown syscall '%s' ignored", name);
			sc->n_skipped++;
			continue;
		}
		int r = 0;
		if (!repeated) {
			r = seccomp_rule_add_array(ctx, act, nr, (unsigned)rule->n_args, cmps);
		} else {
			/* Conditions on the same argument cannot be ANDed by
			 * libseccomp: as runc, each becomes its own rule. */
			for (size_t k = 0; k < rule->n_args && r >= 0; k++)
				r = seccomp_rule_add_array(ctx, act, nr, 1, &cmps[k]);
		}
		if (r < 0)
			return oci_err_set(err, -r, "%s.syscalls[%zu]: cannot add a rule for '%s': %s",
					   sc->path, ri, name, strerror(-r));
	}
	return 0;
}

/* A prologue like runc's: for each architecture of the filter, syscall
 * numbers above the largest one the profile names return ENOSYS (so that
 * libc falls back from syscalls newer than the profile) instead of the
 * default action. Jumps are relative and forward, so the libseccomp program
 * can follow unchanged. */
enum { T_FALL = -1, T_NEXT = -2, T_ENOSYS = -3, T_ORIG = -4 };
struct stub_insn {
	struct sock_filter f;
	int jt, jf; /* targets: T_* or an absolute index in the stub */
};

struct stub {
	struct stub_insn v[128];
	size_t n;
	size_t block_start[33], n_blocks;
	bool overflow;
};

static void stub_add(struct stub *s, struct sock_filter f, int jt, int jf)
{
	if (s->n < sizeof(s->v) / sizeof(s->v[0]))
		s->v[s->n++] = (struct stub_insn){ f, jt, jf };
	else
		s->overflow = true;
}

static int max_syscall(const struct run_seccomp *sc, uint32_t arch)
{
	int max = -1;
	for (size_t i = 0; i < sc->n_rules; i++)
		for (size_t j = 0; sc->rules[i].names[j]; j++) {
			int nr = seccomp_syscall_resolve_name_arch(arch, sc->rules[i].names[j]);
			if (nr >= 0 && nr > max)
				max = nr;
		}
	return max;
}

#define X32_SYSCALL_BIT 0x40000000u

static bool has_arch(const uint32_t *v, size_t n, uint32_t a)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == a)
			return true;
	return false;
}

/* Returns the number of stub instructions written to *ret (caller frees). */
static size_t build_enosys_stub(const struct run_seccomp *sc, struct sock_filter **ret)
{
	*ret = NULL;
	if (sc->default_act == RUN_SCMP_ALLOW || sc->default_act == RUN_SCMP_LOG ||
	    sc->default_act == RUN_SCMP_TRACE)
		return 0;
	if (sc->default_act == RUN_SCMP_ERRNO && sc->has_default_errno &&
	    sc->default_errno == ENOSYS)
		return 0;
	uint32_t arches[32];
	size_t n = 0;
	arches[n++] = seccomp_arch_native();
	for (size_t i = 0; i < sc->n_arches && n < 32; i++)
		if (!has_arch(arches, n, sc->arches[i]))
			arches[n++] = sc->arches[i];

	struct stub s = { .n = 0 };
	stub_add(&s, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 4), T_FALL, T_FALL);
	bool x32 = has_arch(arches, n, SCMP_ARCH_X32);
	for (size_t i = 0; i < n && s.n_blocks < 32; i++) {
		uint32_t a = arches[i];
		if (a == SCMP_ARCH_X32 && has_arch(arches, n, SCMP_ARCH_X86_64))
			continue; /* handled with x86_64: the same audit arch */
		bool is64 = a == SCMP_ARCH_X86_64, is32 = a == SCMP_ARCH_X32;
		int max = is32 ? -1 : max_syscall(sc, a);
		int max32 = x32 && (is64 || is32) ? max_syscall(sc, SCMP_ARCH_X32) : -1;
		if (max < 0 && max32 < 0)
			continue;
		uint32_t audit = is32 ? AUDIT_ARCH_X86_64 : a;
		s.block_start[s.n_blocks++] = s.n;
		stub_add(&s, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, audit, 0, 0),
			 T_FALL, T_NEXT);
		stub_add(&s, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0), T_FALL,
			 T_FALL);
		if (is64 || is32) {
			/* x32 calls carry bit 30 in the number on the x86_64 arch */
			int x32_check = (int)s.n + (max >= 0 ? 2 : 1);
			stub_add(&s,
				 (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K,
							      X32_SYSCALL_BIT, 0, 0),
				 max32 >= 0 ? x32_check : T_ORIG, max >= 0 ? T_FALL : T_ORIG);
			if (max >= 0)
				stub_add(&s,
					 (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K,
								      (uint32_t)max, 0, 0),
					 T_ENOSYS, T_ORIG);
			if (max32 >= 0)
				stub_add(&s,
					 (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K,
								      (uint32_t)max32 |
									      X32_SYSCALL_BIT,
								      0, 0),
					 T_ENOSYS, T_ORIG);
		} else {
			stub_add(&s,
				 (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K,
							      (uint32_t)max, 0, 0),
				 T_ENOSYS, T_ORIG);
		}
	}
	if (s.n_blocks == 0 || s.overflow)
		return 0;
	size_t ja = s.n;
	s.block_start[s.n_blocks] = ja;
	stub_add(&s, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, 1, 0, 0), T_FALL, T_FALL);
	size_t enosys = s.n;
	stub_add(&s, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		 T_FALL, T_FALL);
	size_t orig = s.n;

	struct sock_filter *out = xcalloc(s.n, sizeof(*out));
	size_t block = 0;
	for (size_t i = 0; i < s.n; i++) {
		while (block + 1 <= s.n_blocks && s.block_start[block + 1] <= i)
			block++;
		int t[2] = { s.v[i].jt, s.v[i].jf };
		uint8_t off[2];
		for (int k = 0; k < 2; k++) {
			size_t target;
			switch (t[k]) {
			case T_FALL:
				target = i + 1;
				break;
			case T_NEXT:
				target = s.block_start[block + 1];
				break;
			case T_ENOSYS:
				target = enosys;
				break;
			case T_ORIG:
				target = orig;
				break;
			default:
				target = (size_t)t[k];
			}
			if (target - (i + 1) > 255) {
				/* cannot happen with 128 instructions at most
				 * and forward targets, but never emit a wrong jump */
				oci_debug("seccomp: ENOSYS prologue too long, left out");
				free(out);
				return 0;
			}
			off[k] = (uint8_t)(target - (i + 1));
		}
		out[i] = s.v[i].f;
		if (BPF_CLASS(out[i].code) == BPF_JMP && BPF_OP(out[i].code) != BPF_JA) {
			out[i].jt = off[0];
			out[i].jf = off[1];
		}
	}
	*ret = out;
	return s.n;
}

/* "SCMP_ARCH_X86_64" for a token; the returned string is static. */
static const char *arch_name(uint32_t token)
{
	static const char *const spec_names[] = {
		"SCMP_ARCH_X86",	"SCMP_ARCH_X86_64",    "SCMP_ARCH_X32",
		"SCMP_ARCH_ARM",	"SCMP_ARCH_AARCH64",   "SCMP_ARCH_LOONGARCH64",
		"SCMP_ARCH_M68K",	"SCMP_ARCH_MIPS",      "SCMP_ARCH_MIPS64",
		"SCMP_ARCH_MIPS64N32", "SCMP_ARCH_MIPSEL",    "SCMP_ARCH_MIPSEL64",
		"SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",     "SCMP_ARCH_PPC64",
		"SCMP_ARCH_PPC64LE",	"SCMP_ARCH_S390",      "SCMP_ARCH_S390X",
		"SCMP_ARCH_SH",		"SCMP_ARCH_SHEB",      "SCMP_ARCH_PARISC",
		"SCMP_ARCH_PARISC64",	"SCMP_ARCH_RISCV64",
	};
	for (size_t i = 0; arch_names[i]; i++)
		if (seccomp_arch_resolve_name(arch_names[i]) == token)
			return spec_names[i];
	return "?";
}

int run_seccomp_prepare(struct run_seccomp *sc, struct oci_err **err)
{
	uint32_t def = scmp_action(sc->default_act, sc->has_default_errno, sc->default_errno);
	_cleanup_(seccomp_releasep) scmp_filter_ctx ctx = seccomp_init(def);
	if (!ctx)
		return oci_err_set(err, EINVAL, "%s: libseccomp cannot create a filter with "
				   "default action %s", sc->path,
				   run_seccomp_act_name(sc->default_act));
	int r;
	for (size_t i = 0; i < sc->n_arches; i++) {
		r = seccomp_arch_add(ctx, sc->arches[i]);
		if (r == -EDOM) {
			/* the other byte order: no process of this kernel can
			 * be of that architecture, and libseccomp cannot mix */
			oci_debug("seccomp: architecture '%s' has another byte order, ignored",
				  arch_name(sc->arches[i]));
			continue;
		}
		if (r < 0 && r != -EEXIST)
			return oci_err_set(err, -r, "%s.architectures: cannot add '%s': %s",
					   sc->path, arch_name(sc->arches[i]), strerror(-r));
	}
	/* A binary tree of syscalls: long allow lists stay fast. */
	if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2) < 0)
		oci_debug("seccomp: libseccomp has no binary tree optimisation");
	sc->n_skipped = 0;
	for (size_t i = 0; i < sc->n_rules; i++)
		if ((r = add_rule(sc, ctx, i, def, err)) < 0)
			return r;

	_cleanup_close_ int mfd = memfd_create("oci-run-seccomp", MFD_CLOEXEC);
	if (mfd < 0)
		return oci_err_sys(err, "%s: memfd_create", sc->path);
	r = seccomp_export_bpf(ctx, mfd);
	if (r < 0)
		return oci_err_set(err, -r, "%s: cannot export the filter: %s", sc->path,
				   strerror(-r));
	off_t size = lseek(mfd, 0, SEEK_END);
	if (size < 0)
		return oci_err_sys(err, "%s: reading the filter", sc->path);
	if (size == 0 || size % sizeof(struct sock_filter))
		return oci_err_set(err, EIO, "%s: libseccomp exported %jd bytes of BPF", sc->path,
				   (intmax_t)size);
	size_t n_orig = (size_t)size / sizeof(struct sock_filter);

	_cleanup_free_ struct sock_filter *stub = NULL;
	size_t n_stub = build_enosys_stub(sc, &stub);
	size_t total = n_stub + n_orig;
	if (total > BPF_MAXINSNS)
		return oci_err_set(err, E2BIG, "%s: the filter has %zu instructions, more than the "
				   "kernel's %d", sc->path, total, BPF_MAXINSNS);
	_cleanup_free_ struct sock_filter *prog = xcalloc(total, sizeof(*prog));
	if (n_stub)
		memcpy(prog, stub, n_stub * sizeof(*prog));
	size_t got = 0;
	while (got < (size_t)size) {
		ssize_t k = pread(mfd, (char *)(prog + n_stub) + got, (size_t)size - got,
				  (off_t)got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return oci_err_sys(err, "%s: reading the filter", sc->path);
		if (k == 0)
			return oci_err_set(err, EIO, "%s: short read of the filter", sc->path);
		got += (size_t)k;
	}
	free(sc->prog);
	sc->prog = TAKE_PTR(prog);
	sc->prog_len = total;
	oci_debug("seccomp: %zu BPF instructions (%zu in the ENOSYS prologue), %zu unknown "
		  "syscalls skipped", total, n_stub, sc->n_skipped);
	return 0;
}

/* ---- a cache of compiled programs ----
 *
 * A cache file holds the key it was made for, then the program:
 *   u64 key length, key bytes, BPF instructions.
 * Its name is a 64-bit FNV-1a hash of the key, and a read compares the whole
 * key, so a collision can only cost a rebuild. (No cryptographic hash: that
 * would link libcrypto into every container's waiting init.) */

static void key_bytes(struct sbuf *k, const void *p, size_t n)
{
	uint64_t len = n;
	sbuf_add(k, &len, sizeof(len));
	sbuf_add(k, p, n);
}

static void key_u64(struct sbuf *k, uint64_t v)
{
	sbuf_add(k, &v, sizeof(v));
}

/* Everything the program depends on: the parsed profile (not the flags or
 * the listener, which only matter when loading), libseccomp (its version
 * and the very library file, whose syscall tables may change without a
 * version change), the native architecture and the kernel release. */
static void cache_key(const struct run_seccomp *sc, struct sbuf *k)
{
	key_bytes(k, "oci-run seccomp bpf 2", 21);
	const struct scmp_version *v = seccomp_version();
	if (v) {
		key_u64(k, v->major);
		key_u64(k, v->minor);
		key_u64(k, v->micro);
	}
	Dl_info info;
	struct stat st;
	if (dladdr((void *)seccomp_init, &info) && info.dli_fname &&
	    stat(info.dli_fname, &st) == 0) {
		key_u64(k, (uint64_t)st.st_dev);
		key_u64(k, (uint64_t)st.st_ino);
		key_u64(k, (uint64_t)st.st_size);
		key_u64(k, (uint64_t)st.st_mtim.tv_sec);
		key_u64(k, (uint64_t)st.st_mtim.tv_nsec);
	}
	key_u64(k, seccomp_arch_native());
	struct utsname u;
	if (uname(&u) == 0)
		key_bytes(k, u.release, strlen(u.release));
	key_u64(k, sc->default_act);
	key_u64(k, sc->has_default_errno);
	key_u64(k, sc->default_errno);
	key_u64(k, sc->n_arches);
	for (size_t i = 0; i < sc->n_arches; i++)
		key_u64(k, sc->arches[i]);
	key_u64(k, sc->n_rules);
	for (size_t i = 0; i < sc->n_rules; i++) {
		const struct run_seccomp_rule *r = &sc->rules[i];
		size_t n = oci_strv_len(r->names);
		key_u64(k, n);
		for (size_t j = 0; j < n; j++)
			key_bytes(k, r->names[j], strlen(r->names[j]));
		key_u64(k, r->act);
		key_u64(k, r->has_errno);
		key_u64(k, r->errno_ret);
		key_u64(k, r->n_args);
		for (size_t a = 0; a < r->n_args; a++) {
			key_u64(k, r->args[a].index);
			key_u64(k, r->args[a].value);
			key_u64(k, r->args[a].value_two);
			key_u64(k, (uint64_t)r->args[a].op);
		}
	}
}

static uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* The program stored after KEY in a cache file's DATA, or NULL. */
static const void *cached_program(const char *data, size_t len, const struct sbuf *key,
				  size_t *ret_len)
{
	uint64_t klen;
	if (len < sizeof(klen))
		return NULL;
	memcpy(&klen, data, sizeof(klen));
	if (klen != key->len || len - sizeof(klen) < klen ||
	    memcmp(data + sizeof(klen), key->buf, klen) != 0)
		return NULL;
	size_t plen = len - sizeof(klen) - klen;
	if (plen == 0 || plen % sizeof(struct sock_filter) != 0 ||
	    plen > BPF_MAXINSNS * sizeof(struct sock_filter))
		return NULL;
	*ret_len = plen;
	return data + sizeof(klen) + klen;
}

int run_seccomp_prepare_cached(struct run_seccomp *sc, const char *cache_dir,
			       struct oci_err **err)
{
	if (!cache_dir)
		return run_seccomp_prepare(sc, err);
	_cleanup_sbuf_ struct sbuf key = SBUF_INIT;
	cache_key(sc, &key);
	_cleanup_free_ char *path =
		xasprintf("%s/%016llx.bpf", cache_dir,
			  (unsigned long long)fnv1a64(key.buf, key.len));
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	_cleanup_err_ struct oci_err *e = NULL;
	size_t max = sizeof(uint64_t) + key.len + BPF_MAXINSNS * sizeof(struct sock_filter);
	if (oci_read_file(path, max + 1, &data, &len, &e) == 0) {
		size_t plen;
		const void *prog = cached_program(data, len, &key, &plen);
		if (prog) {
			free(sc->prog);
			sc->prog = xmalloc(plen);
			memcpy(sc->prog, prog, plen);
			sc->prog_len = plen / sizeof(struct sock_filter);
			oci_debug("seccomp: %zu BPF instructions from '%s'", sc->prog_len, path);
			return 0;
		}
		oci_debug("seccomp: '%s' is not this profile's program, rebuilt", path);
	}
	oci_err_clear(&e);
	int r = run_seccomp_prepare(sc, err);
	if (r < 0)
		return r;
	_cleanup_sbuf_ struct sbuf file = SBUF_INIT;
	uint64_t klen = key.len;
	sbuf_add(&file, &klen, sizeof(klen));
	sbuf_add(&file, key.buf, key.len);
	sbuf_add(&file, sc->prog, sc->prog_len * sizeof(struct sock_filter));
	if (oci_mkdir_p(cache_dir, 0700, &e) < 0 ||
	    oci_write_file_atomic(path, file.buf, file.len, 0600, &e) < 0)
		oci_debug("seccomp: not cached: %s", e->msg);
	return 0;
}

/* ---- loading ---- */

int run_seccomp_apply(const struct run_seccomp *sc, int *ret_notify_fd, struct oci_err **err)
{
	if (ret_notify_fd)
		*ret_notify_fd = -1;
	if (!sc->prog)
		return oci_err_set(err, EINVAL, "seccomp: the filter was not prepared");
	if (sc->uses_notify && !ret_notify_fd)
		return oci_err_set(err, EINVAL, "seccomp: SCMP_ACT_NOTIFY needs a listener fd");
	struct sock_fprog fprog = { .len = (unsigned short)sc->prog_len,
				    .filter = (struct sock_filter *)sc->prog };
	unsigned long flags = sc->flags;
	if (sc->uses_notify) {
		flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
		if (flags & SECCOMP_FILTER_FLAG_TSYNC)
			flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	} else {
		/* meaningless without a listener, and EINVAL to the kernel */
		flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
	}
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
	if (r < 0 && errno == ENOSYS && flags == 0)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
	if (r < 0) {
		if (errno == EACCES)
			return oci_err_set(err, EACCES, "loading the seccomp filter: permission "
					   "denied (needs no_new_privs or CAP_SYS_ADMIN)");
		if (errno == EINVAL && flags)
			return oci_err_set(err, EINVAL, "loading the seccomp filter: the kernel "
					   "rejects flags 0x%lx", flags);
		return oci_err_sys(err, "loading the seccomp filter");
	}
	if (sc->uses_notify) {
		*ret_notify_fd = (int)r;
	} else if (r > 0) {
		/* TSYNC: the id of a thread that could not be synchronised */
		return oci_err_set(err, EAGAIN, "loading the seccomp filter: thread %ld could not "
				   "be synchronised", r);
	}
	return 0;
}

int run_seccomp_send_listener(const struct run_seccomp *sc, int notify_fd, pid_t pid,
			      const char *state_json, struct oci_err **err)
{
	if (!sc->listener_path)
		return oci_err_set(err, EINVAL, "%s.listenerPath: not set", sc->path);
	json_error_t jerr;
	json_auto_t *state = json_loads(state_json, JSON_REJECT_DUPLICATES, &jerr);
	if (!state)
		return oci_err_set(err, EINVAL, "container state: %s (line %d, column %d)",
				   jerr.text, jerr.line, jerr.column);
	json_auto_t *doc = json_object();
	json_object_set_new(doc, "ociVersion", json_string(OCI_RUNTIME_SPEC_VERSION));
	json_t *fds = json_array();
	json_array_append_new(fds, json_string("seccompFd"));
	json_object_set_new(doc, "fds", fds);
	json_object_set_new(doc, "pid", json_integer(pid));
	json_object_set_new(doc, "metadata",
			    json_string(sc->listener_metadata ? sc->listener_metadata : ""));
	json_object_set(doc, "state", state);
	_cleanup_free_ char *msg = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	if (!msg)
		return oci_err_set(err, ENOMEM, "seccomp: cannot serialise the container state");

	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(sc->listener_path) >= sizeof(sa.sun_path))
		return oci_err_set(err, ENAMETOOLONG, "%s.listenerPath: '%s' is too long for a "
				   "unix socket", sc->path, sc->listener_path);
	memcpy(sa.sun_path, sc->listener_path, strlen(sc->listener_path) + 1);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_err_sys(err, "seccomp agent: socket");
	int r;
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return oci_err_sys(err, "connecting to the seccomp agent at '%s'",
				   sc->listener_path);

	size_t len = strlen(msg);
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cm;
	memset(&cm, 0, sizeof(cm));
	struct iovec iov = { .iov_base = msg, .iov_len = len };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = cm.buf,
			     .msg_controllen = sizeof(cm.buf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &notify_fd, sizeof(int));
	ssize_t k;
	do
		k = sendmsg(fd, &mh, MSG_NOSIGNAL);
	while (k < 0 && errno == EINTR);
	if (k < 0)
		return oci_err_sys(err, "sending the seccomp fd to '%s'", sc->listener_path);
	for (size_t off = (size_t)k; off < len; off += (size_t)k) {
		k = send(fd, msg + off, len - off, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR) {
			k = 0;
			continue;
		}
		if (k < 0)
			return oci_err_sys(err, "sending the container state to '%s'",
					   sc->listener_path);
	}
	return 0;
}

/* ---- features ---- */

/* A flag the kernel knows fails with EFAULT on a NULL program; an unknown
 * one with EINVAL. Nothing is loaded either way. */
static bool kernel_has_flag(unsigned long flag)
{
	if (flag == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
		flag |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flag, NULL) < 0 && errno == EFAULT;
}

json_t *run_seccomp_features(void)
{
	json_t *f = json_object();
	json_object_set_new(f, "enabled", json_true());
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++)
		json_array_append_new(a, json_string(actions[i].name));
	json_object_set_new(f, "actions", a);
	a = json_array();
	for (size_t i = 0; i < sizeof(operators) / sizeof(operators[0]); i++)
		json_array_append_new(a, json_string(operators[i].name));
	json_object_set_new(f, "operators", a);
	a = json_array();
	for (size_t i = 0; arch_names[i]; i++) {
		if (seccomp_arch_resolve_name(arch_names[i]) == 0)
			continue;
		_cleanup_free_ char *up = xasprintf("SCMP_ARCH_%s", arch_names[i]);
		for (char *c = up; *c; c++)
			*c = (char)toupper((unsigned char)*c);
		json_array_append_new(a, json_string(up));
	}
	json_object_set_new(f, "archs", a);
	json_t *known = json_array(), *supported = json_array();
	for (size_t i = 0; i < sizeof(filter_flags) / sizeof(filter_flags[0]); i++) {
		json_array_append_new(known, json_string(filter_flags[i].name));
		if (kernel_has_flag(filter_flags[i].flag))
			json_array_append_new(supported, json_string(filter_flags[i].name));
	}
	json_object_set_new(f, "knownFlags", known);
	json_object_set_new(f, "supportedFlags", supported);
	return f;
}
