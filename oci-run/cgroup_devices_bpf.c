/* Device control on cgroup v2: the allow/deny list compiled into a
 * BPF_PROG_TYPE_CGROUP_DEVICE program, attached to the cgroup with
 * BPF_PROG_ATTACH in place of the programs attached before.
 *
 * The program sees struct bpf_cgroup_dev_ctx { access_type = (access << 16)
 * | type, major, minor } and returns 1 to allow, 0 to deny. The rules are
 * tested last first, so that the last matching rule decides as it does in
 * the v1 lists; no match denies. An allow rule matches when every access
 * asked for is in its list; a deny rule when any of them is. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>

#include "cgroup_internal.h"
#include "util.h"

static int sys_bpf(int cmd, union bpf_attr *attr)
{
	return (int)syscall(SYS_bpf, cmd, attr, sizeof(*attr));
}

struct prog {
	struct bpf_insn *v;
	size_t n, alloc;
};

static void emit(struct prog *p, struct bpf_insn insn)
{
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? p->alloc * 2 : 64;
		p->v = xrealloc(p->v, p->alloc * sizeof(*p->v));
	}
	p->v[p->n++] = insn;
}

#define INSN(c, d, s, o, i)                                                                \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN(BPF_LDX | BPF_W | BPF_MEM, d, s, o, 0)
#define MOV32_REG(d, s) INSN(BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define AND32_IMM(d, i) INSN(BPF_ALU | BPF_AND | BPF_K, d, 0, 0, i)
#define RSH32_IMM(d, i) INSN(BPF_ALU | BPF_RSH | BPF_K, d, 0, 0, i)
#define MOV64_IMM(d, i) INSN(BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, i)
#define JNE32_IMM(d, i, o) INSN(BPF_JMP32 | BPF_JNE | BPF_K, d, 0, o, i)
#define JEQ32_IMM(d, i, o) INSN(BPF_JMP32 | BPF_JEQ | BPF_K, d, 0, o, i)
#define EXIT() INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

static int access_bits(const char *a)
{
	int b = 0;
	for (; *a; a++)
		b |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE
				: *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
	return b;
}

#define ALL_ACCESS (BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD)

/* One rule: a block whose jumps all land just after it. */
static bool emit_rule(struct prog *p, const struct run_device_rule *d)
{
	struct bpf_insn blk[12];
	size_t n = 0;
	bool jump[12] = { false };
	int acc = access_bits(d->access);
	if (d->type != 'a') {
		jump[n] = true;
		blk[n++] = JNE32_IMM(BPF_REG_3,
				     d->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
	}
	if (acc != ALL_ACCESS) {
		blk[n++] = MOV32_REG(BPF_REG_7, BPF_REG_4);
		if (d->allow) {
			/* asked & ~allowed must be empty */
			blk[n++] = AND32_IMM(BPF_REG_7, ~acc & ALL_ACCESS);
			jump[n] = true;
			blk[n++] = JNE32_IMM(BPF_REG_7, 0, 0);
		} else {
			/* asked & denied must not be empty */
			blk[n++] = AND32_IMM(BPF_REG_7, acc);
			jump[n] = true;
			blk[n++] = JEQ32_IMM(BPF_REG_7, 0, 0);
		}
	}
	if (d->type != 'a' && d->major != RUN_DEV_ANY) {
		jump[n] = true;
		blk[n++] = JNE32_IMM(BPF_REG_5, (int32_t)(uint32_t)d->major, 0);
	}
	if (d->type != 'a' && d->minor != RUN_DEV_ANY) {
		jump[n] = true;
		blk[n++] = JNE32_IMM(BPF_REG_6, (int32_t)(uint32_t)d->minor, 0);
	}
	blk[n++] = MOV64_IMM(BPF_REG_0, d->allow ? 1 : 0);
	blk[n++] = EXIT();
	for (size_t i = 0; i < n; i++) {
		if (jump[i])
			blk[i].off = (int16_t)(n - i - 1);
		emit(p, blk[i]);
	}
	/* true: it matches everything, nothing before it can be reached */
	return d->type == 'a' && acc == ALL_ACCESS;
}

int run_cg_bpf_devices_build(const struct run_device_rule *rules, size_t n, void **ret,
			     size_t *ret_count, struct oci_err **err)
{
	struct prog p = { 0 };
	/* r2 = access_type; r3 = type; r4 = access; r5 = major; r6 = minor */
	emit(&p, LDX_W(BPF_REG_2, BPF_REG_1, 0));
	emit(&p, MOV32_REG(BPF_REG_3, BPF_REG_2));
	emit(&p, AND32_IMM(BPF_REG_3, 0xffff));
	emit(&p, MOV32_REG(BPF_REG_4, BPF_REG_2));
	emit(&p, RSH32_IMM(BPF_REG_4, 16));
	emit(&p, LDX_W(BPF_REG_5, BPF_REG_1, 4));
	emit(&p, LDX_W(BPF_REG_6, BPF_REG_1, 8));
	bool total = false;
	for (size_t i = n; i-- > 0 && !total;) {
		if (rules[i].type != 'a' && rules[i].type != 'b' && rules[i].type != 'c') {
			free(p.v);
			return oci_err_set(err, EINVAL, "invalid device type '%c'", rules[i].type);
		}
		total = emit_rule(&p, &rules[i]);
	}
	if (!total) {
		emit(&p, MOV64_IMM(BPF_REG_0, 0));
		emit(&p, EXIT());
	}
	*ret = p.v;
	*ret_count = p.n;
	return 0;
}

static int prog_load(const struct bpf_insn *insns, size_t n, struct oci_err **err)
{
	static char log[8192];
	union bpf_attr attr;
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	int fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	int saved = errno;
	/* again with the verifier's log, for the message */
	memset(&attr, 0, sizeof(attr));
	attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
	attr.insns = (uint64_t)(uintptr_t)insns;
	attr.insn_cnt = (uint32_t)n;
	attr.license = (uint64_t)(uintptr_t) "GPL";
	log[0] = 0;
	attr.log_buf = (uint64_t)(uintptr_t)log;
	attr.log_size = sizeof(log);
	attr.log_level = 1;
	fd = sys_bpf(BPF_PROG_LOAD, &attr);
	if (fd >= 0)
		return fd;
	char *nl = strrchr(log, '\n');
	while (nl && nl > log && !nl[1]) {
		*nl = 0;
		nl = strrchr(log, '\n');
	}
	errno = saved;
	return oci_err_sys(err, "cannot load the BPF device program%s%s", *log ? ": " : "",
			   nl ? nl + 1 : log);
}

int run_cg_bpf_devices_apply(const char *dir, const struct run_device_rule *rules, size_t n,
			     struct oci_err **err)
{
	_cleanup_free_ struct bpf_insn *insns = NULL;
	size_t count = 0;
	void *v = NULL;
	int r = run_cg_bpf_devices_build(rules, n, &v, &count, err);
	if (r < 0)
		return r;
	insns = v;
	_cleanup_close_ int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return oci_err_sys(err, "cannot open cgroup '%s'", dir);
	_cleanup_close_ int prog = prog_load(insns, count, err);
	if (prog < 0)
		return prog;

	/* what is attached now */
	uint32_t ids[64];
	union bpf_attr q;
	memset(&q, 0, sizeof(q));
	q.query.target_fd = (uint32_t)cgfd;
	q.query.attach_type = BPF_CGROUP_DEVICE;
	q.query.prog_ids = (uint64_t)(uintptr_t)ids;
	q.query.prog_cnt = ARRAY_SIZE(ids);
	if (sys_bpf(BPF_PROG_QUERY, &q) < 0)
		return oci_err_sys(err, "cannot query the BPF programs of cgroup '%s'", dir);
	uint32_t old_n = q.query.prog_cnt, old_flags = q.query.attach_flags;

	union bpf_attr a;
	memset(&a, 0, sizeof(a));
	a.target_fd = (uint32_t)cgfd;
	a.attach_bpf_fd = (uint32_t)prog;
	a.attach_type = BPF_CGROUP_DEVICE;
	/* a program attached without MULTI is replaced by attaching with the
	 * same flags; with MULTI, ours is added and the old ones detached */
	bool multi = old_n == 0 || (old_flags & BPF_F_ALLOW_MULTI);
	a.attach_flags = multi ? BPF_F_ALLOW_MULTI : old_flags;
	if (sys_bpf(BPF_PROG_ATTACH, &a) < 0)
		return oci_err_sys(err, "cannot attach the BPF device program to cgroup '%s'",
				   dir);
	if (!multi)
		return 0;
	for (uint32_t i = 0; i < old_n && i < ARRAY_SIZE(ids); i++) {
		union bpf_attr g;
		memset(&g, 0, sizeof(g));
		g.prog_id = ids[i];
		_cleanup_close_ int ofd = sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
		if (ofd < 0)
			continue; /* gone already */
		union bpf_attr d;
		memset(&d, 0, sizeof(d));
		d.target_fd = (uint32_t)cgfd;
		d.attach_bpf_fd = (uint32_t)ofd;
		d.attach_type = BPF_CGROUP_DEVICE;
		if (sys_bpf(BPF_PROG_DETACH, &d) < 0 && errno != ENOENT)
			return oci_err_sys(err, "cannot detach an old BPF device program from "
						"cgroup '%s'",
					   dir);
	}
	return 0;
}
