/* cgroups: the host's layout, one container's cgroup, file helpers shared by
 * the drivers, and the entry points of cgroup.h (see cgroup_internal.h). */
#include "cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "cgroup_internal.h"
#include "fs.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"

/* Marks the directories this program made, so that destroy removes the
 * empty parents it created and no others. */
#define CREATED_XATTR "trusted.oci-run.created"

/* ---------------------------------------------------------------- files */

int run_cg_write(const char *dir, const char *name, const char *value, struct oci_err **err)
{
	_cleanup_free_ char *p = oci_path_join(dir, name);
	_cleanup_close_ int fd = open(p, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "cannot open '%s'", p);
	size_t len = strlen(value);
	ssize_t n;
	do
		n = write(fd, value, len);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return oci_err_sys(err, "cannot write '%s' to '%s'", value, p);
	if ((size_t)n != len)
		return oci_err_set(err, EIO, "short write of '%s' to '%s'", value, p);
	oci_debug("cgroup: %s <- %s", p, value);
	return 0;
}

int run_cg_writef(const char *dir, const char *name, struct oci_err **err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	_cleanup_free_ char *v = xvasprintf(fmt, ap);
	va_end(ap);
	return run_cg_write(dir, name, v, err);
}

int run_cg_read(const char *dir, const char *name, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *p = oci_path_join(dir, name);
	char *buf = NULL;
	size_t len = 0;
	int r = oci_read_file(p, 16u << 20, &buf, &len, err);
	if (r < 0)
		return r;
	while (len > 0 && (buf[len - 1] == '\n' || buf[len - 1] == ' '))
		buf[--len] = 0;
	*ret = buf;
	return 0;
}

bool run_cg_exists(const char *dir, const char *name)
{
	_cleanup_free_ char *p = oci_path_join(dir, name);
	return access(p, F_OK) == 0;
}

static int parse_u64(const char *s, uint64_t *ret)
{
	char *end;
	if (streq(s, "max")) {
		*ret = UINT64_MAX;
		return 0;
	}
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || (*end && *end != '\n' && *end != ' '))
		return -EINVAL;
	*ret = v;
	return 0;
}

int run_cg_read_u64(const char *dir, const char *name, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	struct oci_err *e = NULL;
	if (run_cg_read(dir, name, &s, &e) < 0) {
		int code = e->code;
		oci_err_free(e);
		return -code;
	}
	return parse_u64(s, ret);
}

int run_cg_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret)
{
	_cleanup_free_ char *s = NULL;
	struct oci_err *e = NULL;
	if (run_cg_read(dir, name, &s, &e) < 0) {
		int code = e->code;
		oci_err_free(e);
		return -code;
	}
	size_t kl = strlen(key);
	for (char *line = s; line && *line;) {
		char *nl = strchr(line, '\n');
		if (nl)
			*nl = 0;
		if (strncmp(line, key, kl) == 0 && line[kl] == ' ')
			return parse_u64(line + kl + 1, ret);
		line = nl ? nl + 1 : NULL;
	}
	return -ENOENT;
}

static void mark_created(const char *dir)
{
	if (setxattr(dir, CREATED_XATTR, "1", 1, 0) < 0)
		oci_debug("cgroup: cannot mark '%s' as created: %s", dir, strerror(errno));
}

static bool is_marked(const char *dir)
{
	char v[4];
	return getxattr(dir, CREATED_XATTR, v, sizeof(v)) > 0;
}

static int mkdir_once(const char *root, const char *path,
		      int (*cb)(const char *parent, const char *dir, void *data,
				struct oci_err **err),
		      void *data, struct oci_err **err);

int run_cg_mkdir(const char *root, const char *path,
		 int (*cb)(const char *parent, const char *dir, void *data, struct oci_err **err),
		 void *data, struct oci_err **err)
{
	/* a parent removed by another container's delete between our mkdirs:
	 * start again */
	for (int tries = 0;; tries++) {
		struct oci_err *e = NULL;
		int r = mkdir_once(root, path, cb, data, &e);
		if (r != -ENOENT || tries >= 5) {
			if (r < 0 && err)
				*err = e;
			else
				oci_err_free(e);
			return r;
		}
		oci_err_free(e);
	}
}

static int mkdir_once(const char *root, const char *path,
		      int (*cb)(const char *parent, const char *dir, void *data,
				struct oci_err **err),
		      void *data, struct oci_err **err)
{
	_cleanup_free_ char *clean = oci_path_clean(path);
	_cleanup_free_ char *cur = xstrdup(root);
	const char *p = clean;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *e = strchrnul(p, '/');
		_cleanup_free_ char *comp = xstrndup(p, (size_t)(e - p));
		char *next = oci_path_join(cur, comp);
		if (mkdir(next, 0755) == 0) {
			mark_created(next);
			if (cb) {
				int r = cb(cur, next, data, err);
				if (r < 0) {
					free(next);
					return r;
				}
			}
		} else if (errno != EEXIST) {
			int r = oci_err_sys(err, "cannot create cgroup '%s'", next);
			free(next);
			return r;
		}
		free(cur);
		cur = next;
		p = e;
	}
	return 0;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* rmdir of dir and of the cgroups below it, deepest first. */
static int rmdir_tree(const char *dir)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = oci_path_join(dir, de->d_name);
		rmdir_tree(sub);
	}
	if (rmdir(dir) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int run_cg_rmdir(const char *root, const char *dir, int timeout_ms, struct oci_err **err)
{
	int waited = 0;
	for (;;) {
		int r = rmdir_tree(dir);
		if (r == 0)
			break;
		if (r != -EBUSY || waited >= timeout_ms) {
			errno = -r;
			return oci_err_sys(err, "cannot remove cgroup '%s'", dir);
		}
		sleep_ms(10);
		waited += 10;
	}
	/* the parents we made, while they are empty */
	_cleanup_free_ char *cur = xstrdup(dir);
	size_t rl = strlen(root);
	for (;;) {
		char *slash = strrchr(cur, '/');
		if (!slash || (size_t)(slash - cur) <= rl)
			break;
		*slash = 0;
		if (!is_marked(cur) || rmdir(cur) < 0)
			break;
	}
	return 0;
}

static int read_pids_one(const char *dir, pid_t **v, size_t *n, struct oci_err **err)
{
	_cleanup_free_ char *s = NULL;
	int r = run_cg_read(dir, "cgroup.procs", &s, err);
	if (r < 0)
		return r;
	for (char *tok = strtok(s, "\n"); tok; tok = strtok(NULL, "\n")) {
		long long pid;
		if (oci_parse_int64(tok, 1, INT32_MAX, &pid) < 0)
			continue;
		*v = xrealloc(*v, (*n + 1) * sizeof(pid_t));
		(*v)[(*n)++] = (pid_t)pid;
	}
	return 0;
}

int run_cg_read_pids(const char *dir, bool recursive, pid_t **v, size_t *n, struct oci_err **err)
{
	int r = read_pids_one(dir, v, n, err);
	if (r < 0 || !recursive)
		return r;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *sub = oci_path_join(dir, de->d_name);
		r = run_cg_read_pids(sub, true, v, n, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int run_cg_signal_procs(const char *dir, int sig, struct oci_err **err)
{
	for (int round = 0; round < 500; round++) {
		_cleanup_free_ pid_t *pids = NULL;
		size_t n = 0;
		int r = run_cg_read_pids(dir, true, &pids, &n, err);
		if (r < 0)
			return r;
		if (n == 0)
			return 0;
		for (size_t i = 0; i < n; i++)
			if (kill(pids[i], sig) < 0 && errno != ESRCH)
				return oci_err_sys(err, "cannot signal process %d", (int)pids[i]);
		if (sig != SIGKILL)
			return 0;
		sleep_ms(10);
	}
	return oci_err_set(err, ETIMEDOUT, "processes are left in cgroup '%s' after SIGKILL",
			   dir);
}

/* --------------------------------------------------------------- layout */

void run_cg_layout_free(struct run_cg_layout *l)
{
	if (!l)
		return;
	free(l->unified);
	free(l->unified_own);
	for (size_t i = 0; i < l->n_v1; i++) {
		free(l->v1[i].mount);
		free(l->v1[i].own);
		oci_strv_free(l->v1[i].controllers);
	}
	free(l->v1);
	free(l);
}

const struct run_cg_hier *run_cg_layout_v1(const struct run_cg_layout *l, const char *c)
{
	for (size_t i = 0; i < l->n_v1; i++)
		for (char **p = l->v1[i].controllers; p && *p; p++)
			if (streq(*p, c))
				return &l->v1[i];
	return NULL;
}

static void add_hier(struct run_cg_layout *l, const char *mount, char **controllers,
		     const char *own)
{
	l->v1 = xrealloc(l->v1, (l->n_v1 + 1) * sizeof(*l->v1));
	l->v1[l->n_v1++] = (struct run_cg_hier){
		.mount = xstrdup(mount),
		.controllers = controllers,
		.own = xstrdup(own),
	};
}

static char **split(const char *s, char sep)
{
	char **v = NULL;
	const char *p = s;
	while (*p) {
		const char *e = strchr(p, sep);
		if (!e)
			e = p + strlen(p);
		if (e > p) {
			_cleanup_free_ char *t = xstrndup(p, (size_t)(e - p));
			oci_strv_push(&v, t);
		}
		p = *e ? e + 1 : e;
	}
	if (!v)
		v = xcalloc(1, sizeof(char *));
	return v;
}

int run_cg_layout_from_dir(const char *root, enum run_cg_mode mode, struct run_cg_layout **ret,
			   struct oci_err **err)
{
	_cleanup_(run_cg_layout_freep) struct run_cg_layout *l = xcalloc(1, sizeof(*l));
	l->mode = mode;
	if (mode == RUN_CG_V2) {
		l->unified = xstrdup(root);
		l->unified_own = xstrdup("/");
		*ret = TAKE_PTR(l);
		return 0;
	}
	_cleanup_closedir_ DIR *d = opendir(root);
	if (!d)
		return oci_err_sys(err, "cannot open '%s'", root);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		_cleanup_free_ char *p = oci_path_join(root, de->d_name);
		if (mode == RUN_CG_HYBRID && streq(de->d_name, "unified")) {
			l->unified = TAKE_PTR(p);
			l->unified_own = xstrdup("/");
			continue;
		}
		add_hier(l, p, split(de->d_name, ','), "/");
	}
	if (mode == RUN_CG_HYBRID && !l->unified)
		return oci_err_set(err, ENOENT, "'%s/unified': no cgroup2 directory", root);
	*ret = TAKE_PTR(l);
	return 0;
}

static bool is_v1_controller(const char *s)
{
	static const char *const known[] = { "cpu",	"cpuacct", "cpuset",	 "memory",
					     "devices", "freezer", "net_cls",	 "net_prio",
					     "blkio",	"perf_event", "hugetlb", "pids",
					     "rdma",	"misc",	   "debug" };
	if (startswith(s, "name="))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(known); i++)
		if (streq(s, known[i]))
			return true;
	return false;
}

/* "\040" escapes of mountinfo. */
static void unescape(char *s)
{
	char *w = s;
	for (char *r = s; *r;) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)(((r[1] - '0') << 6) | ((r[2] - '0') << 3) | (r[3] - '0'));
			r += 4;
		} else {
			*w++ = *r++;
		}
	}
	*w = 0;
}

/* The caller's cgroup for a hierarchy, from /proc/self/cgroup text: line
 * "N:ctrls:path" whose ctrls list equals want (NULL: the "0::" line). */
static char *own_cgroup(const char *text, char **want, const char *mount_root)
{
	_cleanup_free_ char *copy = xstrdup(text);
	char *save = NULL;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c1 = 0;
		*c2 = 0;
		const char *ctrls = c1 + 1, *path = c2 + 1;
		bool match;
		if (!want) {
			match = streq(line, "0") && !*ctrls;
		} else {
			_cleanup_strv_ char **v = split(ctrls, ',');
			match = oci_strv_len(v) == oci_strv_len(want);
			for (size_t i = 0; match && want[i]; i++) {
				bool f = false;
				for (size_t j = 0; v[j]; j++)
					f = f || streq(v[j], want[i]);
				match = f;
			}
		}
		if (!match)
			continue;
		/* a bind of a sub-tree (in a container): paths are below its root */
		if (mount_root && !streq(mount_root, "/") && startswith(path, mount_root)) {
			const char *rest = path + strlen(mount_root);
			if (!*rest || *rest == '/')
				return xstrdup(*rest ? rest : "/");
		}
		return xstrdup(path);
	}
	return xstrdup("/");
}

int run_cg_layout_parse(const char *mountinfo, const char *self, bool root_is_cgroup2,
			struct run_cg_layout **ret, struct oci_err **err)
{
	_cleanup_free_ char *mi = xstrdup(mountinfo);
	_cleanup_(run_cg_layout_freep) struct run_cg_layout *l = xcalloc(1, sizeof(*l));
	size_t n_real = 0;
	char *save = NULL;
	for (char *line = strtok_r(mi, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		*sep = 0;
		_cleanup_strv_ char **pre = split(line, ' ');
		_cleanup_strv_ char **post = split(sep + 3, ' ');
		if (oci_strv_len(pre) < 5 || oci_strv_len(post) < 3)
			continue;
		const char *fstype = post[0];
		char *mroot = pre[3], *mnt = pre[4];
		unescape(mnt);
		unescape(mroot);
		if (streq(fstype, "cgroup2")) {
			if (!l->unified) {
				l->unified = xstrdup(mnt);
				l->unified_own = own_cgroup(self, NULL, mroot);
			}
			continue;
		}
		if (!streq(fstype, "cgroup"))
			continue;
		_cleanup_strv_ char **opts = split(post[2], ',');
		char **ctrls = NULL;
		bool real = false;
		for (size_t i = 0; opts[i]; i++) {
			if (is_v1_controller(opts[i])) {
				oci_strv_push(&ctrls, opts[i]);
				real = real || !startswith(opts[i], "name=");
			}
		}
		if (!ctrls)
			continue;
		if (run_cg_layout_v1(l, ctrls[0])) { /* a second mount of one hierarchy */
			oci_strv_free(ctrls);
			continue;
		}
		_cleanup_free_ char *own = own_cgroup(self, ctrls, mroot);
		add_hier(l, mnt, ctrls, own);
		if (real)
			n_real++;
	}
	if (root_is_cgroup2) {
		free(l->unified);
		l->unified = xstrdup("/sys/fs/cgroup");
		l->mode = RUN_CG_V2;
	} else if (n_real == 0 && l->unified) {
		l->mode = RUN_CG_V2;
	} else if (n_real > 0) {
		l->mode = l->unified ? RUN_CG_HYBRID : RUN_CG_V1;
	} else {
		return oci_err_set(err, ENOENT, "no cgroup filesystem is mounted");
	}
	if (!l->unified_own)
		l->unified_own = xstrdup("/");
	*ret = TAKE_PTR(l);
	return 0;
}

int run_cg_layout_detect(struct run_cg_layout **ret, struct oci_err **err)
{
	_cleanup_free_ char *mi = NULL, *self = NULL;
	size_t len;
	int r = oci_read_file("/proc/self/mountinfo", 0, &mi, &len, err);
	if (r < 0)
		return r;
	r = oci_read_file("/proc/self/cgroup", 0, &self, &len, err);
	if (r < 0)
		return r;
	struct statfs sf;
	bool v2root = statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC;
	return run_cg_layout_parse(mi, self, v2root, ret, err);
}

/* --------------------------------------------------------- the cgroup */

void run_cgroup_free(struct run_cgroup *cg)
{
	if (!cg)
		return;
	for (size_t i = 0; cg->v1_dirs && cg->layout && i < cg->layout->n_v1; i++)
		free(cg->v1_dirs[i]);
	free(cg->v1_dirs);
	run_cg_layout_free(cg->layout);
	free(cg->path);
	free(cg->v2_dir);
	free(cg);
}

static const struct {
	unsigned section;
	const char *v1, *v2;
} section_controllers[] = {
	{ RUN_CG_MEMORY, "memory", "memory" }, { RUN_CG_CPU, "cpu", "cpu" },
	{ RUN_CG_CPUSET, "cpuset", "cpuset" }, { RUN_CG_PIDS, "pids", "pids" },
	{ RUN_CG_IO, "blkio", "io" },	       { RUN_CG_HUGETLB, "hugetlb", "hugetlb" },
	{ RUN_CG_DEVICES, "devices", NULL },   { RUN_CG_RDMA, "rdma", "rdma" },
	{ RUN_CG_UNIFIED, NULL, NULL },
};

int run_cg_open(struct run_cg_layout *layout, const char *path, struct run_cgroup **ret,
		struct oci_err **err)
{
	struct run_cgroup *cg = xcalloc(1, sizeof(*cg));
	bool abs = path[0] == '/';
	_cleanup_free_ char *rooted = xasprintf("/%s", path);
	_cleanup_free_ char *clean = oci_path_clean(rooted);
	if (streq(clean, "/")) {
		free(cg);
		run_cg_layout_free(layout);
		return oci_err_set(err, EINVAL, "invalid cgroup path '%s'", path);
	}
	cg->layout = layout;
	cg->v1_dirs = xcalloc(layout->n_v1 + 1, sizeof(char *));
	for (size_t i = 0; i < layout->n_v1; i++) {
		_cleanup_free_ char *rel =
			abs ? xstrdup(clean) : oci_path_join(layout->v1[i].own, clean);
		cg->v1_dirs[i] = oci_path_join(layout->v1[i].mount, rel);
	}
	_cleanup_free_ char *rel2 =
		abs ? xstrdup(clean) : oci_path_join(layout->unified_own ? layout->unified_own : "/", clean);
	if (layout->unified)
		cg->v2_dir = oci_path_join(layout->unified, rel2);
	if (layout->mode == RUN_CG_V2) {
		cg->ops = &run_cg_v2_ops;
		cg->path = TAKE_PTR(rel2);
	} else {
		cg->ops = &run_cg_v1_ops;
		const struct run_cg_hier *h = run_cg_layout_v1(layout, "memory");
		if (!h && layout->n_v1)
			h = &layout->v1[0];
		cg->path = abs || !h ? xstrdup(clean) : oci_path_join(h->own, clean);
		if (layout->mode == RUN_CG_HYBRID) {
			for (size_t i = 0; i < ARRAY_SIZE(section_controllers); i++) {
				const char *c = section_controllers[i].v1;
				if (!c || !run_cg_layout_v1(layout, c))
					cg->v2_sections |= section_controllers[i].section;
			}
		}
	}
	*ret = cg;
	return 0;
}

unsigned run_cg_sections(const struct run_resources *res)
{
	unsigned s = 0;
	if (!res)
		return 0;
	if (res->memory.has_limit || res->memory.has_reservation || res->memory.has_swap ||
	    res->memory.has_kernel_tcp || res->memory.has_swappiness ||
	    res->memory.has_disable_oom_killer)
		s |= RUN_CG_MEMORY;
	if (res->cpu.has_shares || res->cpu.has_quota || res->cpu.has_period ||
	    res->cpu.has_burst || res->cpu.has_rt_runtime || res->cpu.has_rt_period ||
	    res->cpu.has_idle)
		s |= RUN_CG_CPU;
	if (res->cpu.cpus || res->cpu.mems)
		s |= RUN_CG_CPUSET;
	if (res->has_pids_limit)
		s |= RUN_CG_PIDS;
	if (res->blkio.has_weight || res->blkio.has_leaf_weight || res->blkio.n_weight_devices)
		s |= RUN_CG_IO;
	for (int k = 0; k < RUN_THROTTLE_KINDS; k++)
		if (res->blkio.n_throttle[k])
			s |= RUN_CG_IO;
	if (res->n_hugepages)
		s |= RUN_CG_HUGETLB;
	if (res->has_devices)
		s |= RUN_CG_DEVICES;
	if (res->n_rdma)
		s |= RUN_CG_RDMA;
	if (res->unified)
		s |= RUN_CG_UNIFIED;
	return s;
}

/* ------------------------------------------------------------ entry API */

static const struct run_resources *spec_resources(const struct run_spec *s)
{
	return s->resources;
}

static void warn_ignored(const struct run_resources *res)
{
	if (res && res->memory.has_kernel && res->memory.kernel != 0)
		oci_warn("linux.resources.memory.kernel is not supported by current kernels and "
			 "is ignored");
}

static int open_container(const char *cgroups_path, const char *id, bool systemd,
			  struct run_cgroup **ret, struct oci_err **err)
{
	_cleanup_free_ char *path = NULL;
	int r;
	if (systemd) {
		r = run_cg_systemd_check(err);
		if (r < 0)
			return r;
		r = run_cg_systemd_path(cgroups_path, id, &path, err);
		if (r < 0)
			return r;
	} else if (cgroups_path && *cgroups_path) {
		if (cgroups_path[0] != '/' && strchr(cgroups_path, ':'))
			return oci_err_set(err, EINVAL,
					   "linux.cgroupsPath: '%s' is in the systemd form "
					   "slice:prefix:name, which needs --systemd-cgroup",
					   cgroups_path);
		path = xstrdup(cgroups_path);
	} else {
		path = xasprintf("/oci-run/%s", id);
	}
	struct run_cg_layout *l = NULL;
	r = run_cg_layout_detect(&l, err);
	if (r < 0)
		return r;
	return run_cg_open(l, path, ret, err);
}

/* Unprivileged, or root in a user namespace: cgroupfs is usually not ours
 * to write (runc's rootless mode). */
static bool unprivileged(void)
{
	if (geteuid() != 0)
		return true;
	_cleanup_free_ char *map = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file("/proc/self/uid_map", 4096, &map, &len, &e) < 0) {
		oci_err_free(e);
		return false;
	}
	unsigned long a, b, c;
	return sscanf(map, "%lu %lu %lu", &a, &b, &c) != 3 || a != 0 || b != 0 ||
	       c != 4294967295UL;
}

int run_cgroup_create(const char *cgroups_path, const char *id, pid_t pid, bool systemd,
		      const struct run_resources *res, struct oci_err **err)
{
	_cleanup_(run_cgroup_freep) struct run_cgroup *cg = NULL;
	int r = open_container(cgroups_path, id, systemd, &cg, err);
	if (r < 0)
		return r;
	warn_ignored(res);
	bool v2 = cg->layout->mode == RUN_CG_V2;
	if (systemd) {
		/* systemd makes the unit's cgroup and moves pid into it; the
		 * files below then set what the unit properties cannot say and
		 * join the hierarchies systemd does not manage */
		r = run_cg_systemd_start(cgroups_path, id, pid, res, v2, err);
		if (r < 0)
			return oci_err_wrap(err, "container '%s'", id);
	}
	struct oci_err *e = NULL;
	r = cg->ops->create(cg, res, pid, &e);
	if (r < 0) {
		struct oci_err *e2 = NULL;
		if (systemd && run_cg_systemd_stop(cgroups_path, id, &e2) < 0)
			oci_err_clear(&e2);
		if (cg->ops->destroy(cg, &e2) < 0)
			oci_err_free(e2);
		/* rootless without limits asked for: run without a cgroup of its own */
		if ((r == -EACCES || r == -EPERM || r == -EROFS) && unprivileged() &&
		    !(run_cg_sections(res) & ~(unsigned)RUN_CG_DEVICES)) {
			oci_debug("container '%s': no cgroup (unprivileged): %s", id, e->msg);
			oci_err_free(e);
			return 0;
		}
		*err = e;
		return oci_err_wrap(err, "container '%s': cgroup '%s'", id, cg->path);
	}
	return 0;
}

/* What the cgroup gets: the config's resources, then an allow rule for each
 * linux.devices entry and the devices runc always allows (after runc's
 * specconv: no device rules at all still means "only those"). */
static struct run_resources *effective(const struct run_spec *s, const struct run_resources *res)
{
	struct run_resources *e = run_resources_new();
	if (res)
		run_resources_merge(e, res);
	e->has_devices = true;
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct run_device *d = &s->devices[i];
		if (d->type != 'c' && d->type != 'b' && d->type != 'u')
			continue; /* fifos need no rule */
		run_resources_add_device(e, true, d->type == 'b' ? 'b' : 'c', d->major, d->minor,
					 "rwm");
	}
	run_resources_add_default_devices(e);
	return e;
}

int run_cgroup_apply(const struct run_spec *s, const char *id, pid_t pid, bool systemd,
		     struct oci_err **err)
{
	_cleanup_(run_resources_freep) struct run_resources *res = effective(s, spec_resources(s));
	return run_cgroup_create(s->cgroups_path, id, pid, systemd, res, err);
}

int run_cgroup_prepare(const struct run_spec *s, const char *id, bool systemd,
		       char ***ret_tasks, int *ret_v2_fd, struct oci_err **err)
{
	*ret_tasks = NULL;
	*ret_v2_fd = -1;
	if (systemd || unprivileged())
		return 1;
	_cleanup_(run_cgroup_freep) struct run_cgroup *cg = NULL;
	int r = open_container(s->cgroups_path, id, systemd, &cg, err);
	if (r < 0)
		return r;
	if (cg->ops != &run_cg_v1_ops && cg->ops != &run_cg_v2_ops)
		return 1;
	_cleanup_(run_resources_freep) struct run_resources *res = effective(s, spec_resources(s));
	warn_ignored(res);
	struct oci_err *e = NULL;
	r = cg->ops->create(cg, res, 0, &e);
	if (r == 0 && cg->v2_dir) {
		*ret_v2_fd = open(cg->v2_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (*ret_v2_fd < 0)
			r = oci_err_sys(&e, "open '%s'", cg->v2_dir);
	}
	if (r < 0) {
		struct oci_err *e2 = NULL;
		if (cg->ops->destroy(cg, &e2) < 0)
			oci_err_free(e2);
		*err = e;
		return oci_err_wrap(err, "container '%s': cgroup '%s'", id, cg->path);
	}
	char **tasks = xcalloc(1, sizeof(char *));
	for (size_t i = 0; cg->ops == &run_cg_v1_ops && i < cg->layout->n_v1; i++) {
		char *f = oci_path_join(cg->v1_dirs[i], "tasks");
		oci_strv_push(&tasks, f);
		free(f);
	}
	*ret_tasks = tasks;
	return 0;
}

int run_cgroup_remove(const char *cgroups_path, const char *id, bool systemd,
		      struct oci_err **err)
{
	_cleanup_(run_cgroup_freep) struct run_cgroup *cg = NULL;
	int r = open_container(cgroups_path, id, systemd, &cg, err);
	if (r < 0)
		return r;
	if (systemd) {
		r = run_cg_systemd_stop(cgroups_path, id, err);
		if (r < 0)
			return oci_err_wrap(err, "container '%s'", id);
	}
	r = cg->ops->destroy(cg, err);
	if (r < 0)
		return oci_err_wrap(err, "container '%s'", id);
	return 0;
}

int run_cgroup_destroy(const struct run_spec *s, const char *id, bool systemd,
		       struct oci_err **err)
{
	return run_cgroup_remove(s->cgroups_path, id, systemd, err);
}

#define WITH_CGROUP(s, id, systemd, err, call)                                           \
	({                                                                               \
		_cleanup_(run_cgroup_freep) struct run_cgroup *cg = NULL;                \
		int r_ = open_container((s)->cgroups_path, id, systemd, &cg, err);       \
		if (r_ >= 0) {                                                           \
			r_ = (call);                                                     \
			if (r_ < 0)                                                      \
				r_ = oci_err_wrap(err, "container '%s'", id);            \
		}                                                                        \
		r_;                                                                      \
	})

/* systemd's unit properties first (so that it keeps the new values), then
 * the files. */
static int update(struct run_cgroup *cg, const char *cgroups_path, const char *id, bool systemd,
		  const struct run_resources *res, struct oci_err **err)
{
	if (systemd) {
		int r = run_cg_systemd_set(cgroups_path, id, res, cg->layout->mode == RUN_CG_V2,
					   err);
		if (r < 0)
			return r;
	}
	return cg->ops->update(cg, res, err);
}

int run_cgroup_update(const struct run_spec *s, const char *id, bool systemd,
		      const struct run_resources *res, struct oci_err **err)
{
	warn_ignored(res);
	/* new device rules keep the container's devices and the defaults */
	_cleanup_(run_resources_freep) struct run_resources *eff =
		res && res->has_devices ? effective(s, res) : NULL;
	return WITH_CGROUP(s, id, systemd, err,
			   update(cg, s->cgroups_path, id, systemd, eff ? eff : res, err));
}

int run_cgroup_freeze(const struct run_spec *s, const char *id, bool systemd, bool freeze,
		      struct oci_err **err)
{
	return WITH_CGROUP(s, id, systemd, err, cg->ops->freeze(cg, freeze, err));
}

static int is_frozen(struct run_cgroup *cg, bool *ret)
{
	*ret = false;
	const struct run_cg_hier *h = run_cg_layout_v1(cg->layout, "freezer");
	if (h && cg->ops == &run_cg_v1_ops) {
		const char *dir = cg->v1_dirs[h - cg->layout->v1];
		_cleanup_free_ char *state = NULL;
		struct oci_err *e = NULL;
		if (run_cg_read(dir, "freezer.state", &state, &e) < 0)
			oci_err_free(e);
		else
			*ret = streq(state, "FROZEN");
		return 0;
	}
	uint64_t v = 0;
	if (cg->v2_dir && run_cg_read_keyed(cg->v2_dir, "cgroup.events", "frozen", &v) == 0)
		*ret = v == 1;
	return 0;
}

int run_cgroup_is_frozen(const struct run_spec *s, const char *id, bool systemd, bool *ret,
			 struct oci_err **err)
{
	return WITH_CGROUP(s, id, systemd, err, is_frozen(cg, ret));
}

void run_cgroup_features(bool *ret_v1, bool *ret_v2, bool *ret_systemd)
{
	struct run_cg_layout *l = NULL;
	struct oci_err *e = NULL;
	*ret_v1 = *ret_v2 = false;
	if (run_cg_layout_detect(&l, &e) == 0) {
		*ret_v1 = l->mode != RUN_CG_V2;
		*ret_v2 = l->unified != NULL;
		run_cg_layout_free(l);
	} else {
		oci_err_free(e);
	}
	*ret_systemd = run_cg_systemd_check(&e) == 0;
	oci_err_clear(&e);
}

int run_cgroup_kill(const struct run_spec *s, const char *id, bool systemd, int sig,
		    struct oci_err **err)
{
	return WITH_CGROUP(s, id, systemd, err, cg->ops->kill(cg, sig, err));
}

int run_cgroup_join(const struct run_spec *s, const char *id, bool systemd, pid_t pid,
		    struct oci_err **err)
{
	return WITH_CGROUP(s, id, systemd, err, cg->ops->join(cg, pid, err));
}

static int cmp_pid(const void *a, const void *b)
{
	pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
	return (x > y) - (x < y);
}

int run_cgroup_pids(const struct run_spec *s, const char *id, bool systemd, pid_t **ret,
		    size_t *ret_n, struct oci_err **err)
{
	int r = WITH_CGROUP(s, id, systemd, err, cg->ops->pids(cg, ret, ret_n, err));
	if (r >= 0 && *ret_n)
		qsort(*ret, *ret_n, sizeof(pid_t), cmp_pid);
	return r;
}

int run_cgroup_stats(const struct run_spec *s, const char *id, bool systemd,
		     struct run_cgroup_stats *ret, struct oci_err **err)
{
	memset(ret, 0, sizeof(*ret));
	return WITH_CGROUP(s, id, systemd, err, cg->ops->stats(cg, ret, err));
}

int run_cgroup_path(const struct run_spec *s, const char *id, bool systemd, char **ret,
		    struct oci_err **err)
{
	return WITH_CGROUP(s, id, systemd, err, (*ret = xstrdup(cg->path), 0));
}

/* "max" is read as UINT64_MAX; JSON integers stop at INT64_MAX. */
static json_int_t J(uint64_t v)
{
	return v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v;
}

json_t *run_cgroup_stats_json(const struct run_cgroup_stats *st)
{
	json_t *data = json_object();
	if (st->has_cpu)
		json_object_set_new(
			data, "cpu",
			json_pack("{s:{s:I,s:I,s:I}}", "usage", "total", J(st->cpu_total_ns),
				  "kernel", J(st->cpu_kernel_ns), "user",
				  J(st->cpu_user_ns)));
	if (st->has_memory) {
		json_t *m = json_pack("{s:{s:I,s:I,s:I,s:I}}", "usage", "usage",
				      J(st->memory_usage), "max",
				      J(st->memory_max_usage), "limit",
				      J(st->memory_limit), "failcnt",
				      J(st->memory_failcnt));
		if (st->has_swap)
			json_object_set_new(m, "swap",
					    json_pack("{s:I,s:I}", "usage",
						      J(st->swap_usage), "limit",
						      J(st->swap_limit)));
		json_object_set_new(data, "memory", m);
	}
	if (st->has_pids)
		json_object_set_new(data, "pids",
				    json_pack("{s:I,s:I}", "current", J(st->pids_current),
					      "limit", J(st->pids_limit)));
	return data;
}
