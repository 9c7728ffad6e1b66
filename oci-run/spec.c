/* config.json -> struct run_spec. Every error names the JSON field. */
#include "spec.h"
#include "run_seccomp.h"

#include <ctype.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <jansson.h>

#include "fs.h"
#include "json.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

const char *const run_hook_names[RUN_HOOK_COUNT] = {
    "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
};

static const char *const cap_names[] = {
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
};

int run_cap_from_name(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(cap_names); i++)
		if (strcasecmp(name, cap_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *run_cap_name(int cap)
{
	if (cap < 0 || (size_t)cap >= ARRAY_SIZE(cap_names))
		return NULL;
	return cap_names[cap];
}

int run_cap_max(void)
{
	return (int)ARRAY_SIZE(cap_names) - 1;
}

static const struct {
	const char *name;
	int num;
} signals[] = {
    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},     {"ILL", SIGILL},
    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"IOT", SIGIOT},	     {"BUS", SIGBUS},
    {"FPE", SIGFPE},	   {"KILL", SIGKILL}, {"USR1", SIGUSR1},     {"SEGV", SIGSEGV},
    {"USR2", SIGUSR2},	   {"PIPE", SIGPIPE}, {"ALRM", SIGALRM},     {"TERM", SIGTERM},
    {"STKFLT", SIGSTKFLT}, {"CHLD", SIGCHLD}, {"CONT", SIGCONT},     {"STOP", SIGSTOP},
    {"TSTP", SIGTSTP},	   {"TTIN", SIGTTIN}, {"TTOU", SIGTTOU},     {"URG", SIGURG},
    {"XCPU", SIGXCPU},	   {"XFSZ", SIGXFSZ}, {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF},
    {"WINCH", SIGWINCH},   {"IO", SIGIO},     {"POLL", SIGPOLL},     {"PWR", SIGPWR},
    {"SYS", SIGSYS},
};

int run_signal_from_name(const char *s)
{
	long long n;
	if (oci_parse_int64(s, 1, SIGRTMAX, &n) == 0)
		return (int)n;
	if (strncasecmp(s, "SIG", 3) == 0)
		s += 3;
	for (size_t i = 0; i < ARRAY_SIZE(signals); i++)
		if (strcasecmp(s, signals[i].name) == 0)
			return signals[i].num;
	if (strncasecmp(s, "RTMIN", 5) == 0 || strncasecmp(s, "RTMAX", 5) == 0) {
		bool min = strncasecmp(s, "RTMIN", 5) == 0;
		const char *rest = s + 5;
		if (!*rest)
			return min ? SIGRTMIN : SIGRTMAX;
		if (oci_parse_int64(rest + (*rest == '+' || *rest == '-'), 0, 32, &n) < 0)
			return -1;
		int sig = min ? SIGRTMIN + (int)n : SIGRTMAX - (int)n;
		if ((min && *rest != '+') || (!min && *rest != '-') || sig < SIGRTMIN ||
		    sig > SIGRTMAX)
			return -1;
		return sig;
	}
	return -1;
}

static const struct {
	const char *name;
	unsigned long set, clear;
} mount_flags[] = {
    {"ro", MS_RDONLY, 0},
    {"rw", 0, MS_RDONLY},
    {"nosuid", MS_NOSUID, 0},
    {"suid", 0, MS_NOSUID},
    {"nodev", MS_NODEV, 0},
    {"dev", 0, MS_NODEV},
    {"noexec", MS_NOEXEC, 0},
    {"exec", 0, MS_NOEXEC},
    {"sync", MS_SYNCHRONOUS, 0},
    {"async", 0, MS_SYNCHRONOUS},
    {"dirsync", MS_DIRSYNC, 0},
    {"remount", MS_REMOUNT, 0},
    {"mand", MS_MANDLOCK, 0},
    {"nomand", 0, MS_MANDLOCK},
    {"atime", 0, MS_NOATIME},
    {"noatime", MS_NOATIME, 0},
    {"diratime", 0, MS_NODIRATIME},
    {"nodiratime", MS_NODIRATIME, 0},
    {"relatime", MS_RELATIME, 0},
    {"norelatime", 0, MS_RELATIME},
    {"strictatime", MS_STRICTATIME, 0},
    {"nostrictatime", 0, MS_STRICTATIME},
    {"lazytime", MS_LAZYTIME, 0},
    {"nolazytime", 0, MS_LAZYTIME},
    {"silent", MS_SILENT, 0},
    {"loud", 0, MS_SILENT},
#ifdef MS_NOSYMFOLLOW
    {"nosymfollow", MS_NOSYMFOLLOW, 0},
    {"symfollow", 0, MS_NOSYMFOLLOW},
#endif
};

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
    {"private", MS_PRIVATE},	   {"rprivate", MS_PRIVATE | MS_REC},
    {"shared", MS_SHARED},	   {"rshared", MS_SHARED | MS_REC},
    {"slave", MS_SLAVE},	   {"rslave", MS_SLAVE | MS_REC},
    {"unbindable", MS_UNBINDABLE}, {"runbindable", MS_UNBINDABLE | MS_REC},
};

const char *const run_mount_option_names[] = {
    "ro",	  "rw",		 "nosuid",	"suid",		 "nodev",     "dev",
    "noexec",	  "exec",	 "sync",	"async",	 "dirsync",   "remount",
    "mand",	  "nomand",	 "atime",	"noatime",	 "diratime",  "nodiratime",
    "relatime",	  "norelatime",	 "strictatime", "nostrictatime", "lazytime",  "nolazytime",
    "silent",	  "loud",	 "nosymfollow", "symfollow",	 "bind",      "rbind",
    "private",	  "rprivate",	 "shared",	"rshared",	 "slave",     "rslave",
    "unbindable", "runbindable", "rro",		"rrw",		 "tmpcopyup", "idmap",
    "ridmap",	  NULL,
};

void run_mount_add_option(struct run_mount *m, const char *opt)
{
	for (size_t i = 0; i < ARRAY_SIZE(mount_flags); i++) {
		if (streq(opt, mount_flags[i].name)) {
			m->flags = (m->flags & ~mount_flags[i].clear) | mount_flags[i].set;
			m->clear = (m->clear & ~mount_flags[i].set) | mount_flags[i].clear;
			return;
		}
	}
	for (size_t i = 0; i < ARRAY_SIZE(propagations); i++) {
		if (streq(opt, propagations[i].name)) {
			m->propagation = propagations[i].flags;
			return;
		}
	}
	if (streq(opt, "bind")) {
		m->bind = true;
		m->flags |= MS_BIND;
		return;
	}
	if (streq(opt, "rbind")) {
		m->bind = true;
		m->flags |= MS_BIND | MS_REC;
		return;
	}
	if (streq(opt, "rro")) {
		m->rro = true;
		return;
	}
	if (streq(opt, "tmpcopyup")) {
		m->tmpcopyup = true;
		return;
	}
	if (streq(opt, "rrw"))
		return; /* the default */
	if (m->data) {
		char *d = xasprintf("%s,%s", m->data, opt);
		free(m->data);
		m->data = d;
	} else {
		m->data = xstrdup(opt);
	}
}

static const struct {
	const char *name;
	int type;
} ns_types[] = {
    {"pid", CLONE_NEWPID},	 {"network", CLONE_NEWNET}, {"mount", CLONE_NEWNS},
    {"ipc", CLONE_NEWIPC},	 {"uts", CLONE_NEWUTS},	    {"user", CLONE_NEWUSER},
    {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME},
};

static const struct {
	const char *name;
	int res;
} rlimit_types[] = {
    {"RLIMIT_AS", RLIMIT_AS},
    {"RLIMIT_CORE", RLIMIT_CORE},
    {"RLIMIT_CPU", RLIMIT_CPU},
    {"RLIMIT_DATA", RLIMIT_DATA},
    {"RLIMIT_FSIZE", RLIMIT_FSIZE},
    {"RLIMIT_LOCKS", RLIMIT_LOCKS},
    {"RLIMIT_MEMLOCK", RLIMIT_MEMLOCK},
    {"RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE},
    {"RLIMIT_NICE", RLIMIT_NICE},
    {"RLIMIT_NOFILE", RLIMIT_NOFILE},
    {"RLIMIT_NPROC", RLIMIT_NPROC},
    {"RLIMIT_RSS", RLIMIT_RSS},
    {"RLIMIT_RTPRIO", RLIMIT_RTPRIO},
    {"RLIMIT_RTTIME", RLIMIT_RTTIME},
    {"RLIMIT_SIGPENDING", RLIMIT_SIGPENDING},
    {"RLIMIT_STACK", RLIMIT_STACK},
};

const struct run_ns *run_spec_ns(const struct run_spec *s, int type)
{
	for (size_t i = 0; i < s->n_namespaces; i++)
		if (s->namespaces[i].type == type)
			return &s->namespaces[i];
	return NULL;
}

static void hook_release(struct run_hook *h)
{
	free(h->path);
	oci_strv_free(h->args);
	oci_strv_free(h->env);
}

static void process_release(struct run_process *p);

void run_spec_free(struct run_spec *s)
{
	if (!s)
		return;
	free(s->oci_version);
	free(s->root_path);
	free(s->hostname);
	free(s->domainname);
	process_release(&s->process);
	for (size_t i = 0; i < s->n_mounts; i++) {
		free(s->mounts[i].destination);
		free(s->mounts[i].type);
		free(s->mounts[i].source);
		free(s->mounts[i].data);
		free(s->mounts[i].uid_mappings);
		free(s->mounts[i].gid_mappings);
	}
	free(s->mounts);
	for (int k = 0; k < RUN_HOOK_COUNT; k++) {
		for (size_t i = 0; i < s->hooks.n[k]; i++)
			hook_release(&s->hooks.v[k][i]);
		free(s->hooks.v[k]);
	}
	oci_strv_free(s->annotations);
	run_seccomp_free(s->seccomp);
	free(s->mount_label);
	run_resources_free(s->resources);
	for (size_t i = 0; i < s->n_namespaces; i++)
		free(s->namespaces[i].path);
	free(s->namespaces);
	free(s->uid_mappings);
	free(s->gid_mappings);
	for (size_t i = 0; i < s->n_devices; i++)
		free(s->devices[i].path);
	free(s->devices);
	oci_strv_free(s->masked_paths);
	oci_strv_free(s->readonly_paths);
	oci_strv_free(s->sysctl);
	free(s->cgroups_path);
	free(s);
}

/* Helpers that build the path of an array element. */
static int get_u32(json_t *o, const char *path, const char *key, bool required, uint32_t *ret,
		   struct oci_err **err)
{
	int64_t v = 0;
	int r;
	if (required) {
		r = oci_json_get_int(o, path, key, &v, err);
		if (r < 0)
			return r;
		r = 1;
	} else {
		r = oci_json_opt_int(o, path, key, &v, err);
		if (r <= 0)
			return r;
	}
	if (v < 0 || v > UINT32_MAX) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, ERANGE, "%s: %lld is out of range [0, %u]", p, (long long)v,
				   UINT32_MAX);
	}
	*ret = (uint32_t)v;
	return r;
}

static int parse_caps(json_t *caps, const char *path, struct run_process *p, struct oci_err **err)
{
	static const char *const sets[RUN_CAP_SETS] = {"bounding", "effective", "inheritable",
						       "permitted", "ambient"};
	p->has_caps = true;
	for (int i = 0; i < RUN_CAP_SETS; i++) {
		_cleanup_strv_ char **names = NULL;
		int r = oci_json_opt_strv(caps, path, sets[i], &names, err);
		if (r < 0)
			return r;
		for (size_t j = 0; names && names[j]; j++) {
			int c = run_cap_from_name(names[j]);
			if (c < 0) {
				_cleanup_free_ char *kp = oci_json_path_key(path, sets[i]);
				return oci_err_set(err, EINVAL, "%s[%zu]: unknown capability '%s'",
						   kp, j, names[j]);
			}
			p->caps[i] |= 1ULL << c;
		}
	}
	return 0;
}

static int parse_process(json_t *proc, struct run_process *p, struct oci_err **err)
{
	const char *path = "process";
	const char *s;
	json_t *o, *a;
	int r;

	r = oci_json_opt_bool(proc, path, "terminal", &p->terminal, err);
	if (r < 0)
		return r;
	r = oci_json_opt_obj(proc, path, "consoleSize", &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		uint32_t h = 0, w = 0;
		if (get_u32(o, "process.consoleSize", "height", true, &h, err) < 0 ||
		    get_u32(o, "process.consoleSize", "width", true, &w, err) < 0)
			return -(*err)->code;
		p->console_height = h;
		p->console_width = w;
	}
	r = oci_json_get_str(proc, path, "cwd", &s, err);
	if (r < 0)
		return r;
	if (s[0] != '/')
		return oci_err_set(err, EINVAL, "process.cwd: '%s' is not an absolute path", s);
	p->cwd = xstrdup(s);
	r = oci_json_get_arr(proc, path, "args", &a, err);
	if (r < 0)
		return r;
	r = oci_json_opt_strv(proc, path, "args", &p->args, err);
	if (r < 0)
		return r;
	if (!p->args || !p->args[0])
		return oci_err_set(err, EINVAL, "process.args: must name a program to run");
	r = oci_json_opt_strv(proc, path, "env", &p->env, err);
	if (r < 0)
		return r;
	if (!p->env)
		p->env = xcalloc(1, sizeof(char *));
	for (size_t i = 0; p->env[i]; i++)
		if (!strchr(p->env[i], '='))
			return oci_err_set(err, EINVAL, "process.env[%zu]: '%s' is not KEY=VALUE",
					   i, p->env[i]);

	json_t *user;
	r = oci_json_get_obj(proc, path, "user", &user, err);
	if (r < 0)
		return r;
	if (get_u32(user, "process.user", "uid", true, &p->uid, err) < 0 ||
	    get_u32(user, "process.user", "gid", true, &p->gid, err) < 0)
		return -(*err)->code;
	uint32_t um;
	r = get_u32(user, "process.user", "umask", false, &um, err);
	if (r < 0)
		return r;
	if (r > 0) {
		if (um > 0777)
			return oci_err_set(err, ERANGE, "process.user.umask: %u is out of range",
					   um);
		p->has_umask = true;
		p->umask = (mode_t)um;
	}
	r = oci_json_opt_arr(user, "process.user", "additionalGids", &a, err);
	if (r < 0)
		return r;
	if (r > 0) {
		p->n_additional_gids = json_array_size(a);
		p->additional_gids = xcalloc(p->n_additional_gids + 1, sizeof(gid_t));
		for (size_t i = 0; i < p->n_additional_gids; i++) {
			json_t *g = json_array_get(a, i);
			if (!json_is_integer(g) || json_integer_value(g) < 0 ||
			    json_integer_value(g) > UINT32_MAX)
				return oci_err_set(err, EINVAL,
						   "process.user.additionalGids[%zu]: expected a "
						   "group id",
						   i);
			p->additional_gids[i] = (gid_t)json_integer_value(g);
		}
	}

	r = oci_json_opt_obj(proc, path, "capabilities", &o, err);
	if (r < 0)
		return r;
	if (r > 0 && parse_caps(o, "process.capabilities", p, err) < 0)
		return -(*err)->code;

	r = oci_json_opt_arr(proc, path, "rlimits", &a, err);
	if (r < 0)
		return r;
	if (r > 0) {
		p->rlimits = xcalloc(json_array_size(a) + 1, sizeof(*p->rlimits));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *ep = oci_json_path_index("process.rlimits", i);
			json_t *e = json_array_get(a, i);
			int64_t soft, hard;
			if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
			    oci_json_get_str(e, ep, "type", &s, err) < 0 ||
			    oci_json_get_int(e, ep, "soft", &soft, err) < 0 ||
			    oci_json_get_int(e, ep, "hard", &hard, err) < 0)
				return -(*err)->code;
			int res = -1;
			for (size_t k = 0; k < ARRAY_SIZE(rlimit_types); k++)
				if (streq(s, rlimit_types[k].name))
					res = rlimit_types[k].res;
			if (res < 0)
				return oci_err_set(err, EINVAL, "%s.type: unknown rlimit '%s'", ep,
						   s);
			for (size_t k = 0; k < p->n_rlimits; k++)
				if (p->rlimits[k].resource == res)
					return oci_err_set(err, EINVAL, "%s.type: '%s' given twice",
							   ep, s);
			if (soft > hard && hard >= 0)
				return oci_err_set(err, EINVAL, "%s: soft limit above hard limit",
						   ep);
			p->rlimits[p->n_rlimits].resource = res;
			p->rlimits[p->n_rlimits].soft = (uint64_t)soft;
			p->rlimits[p->n_rlimits].hard = (uint64_t)hard;
			p->n_rlimits++;
		}
	}
	r = oci_json_opt_bool(proc, path, "noNewPrivileges", &p->no_new_privileges, err);
	if (r < 0)
		return r;
	const char *lsm;
	if ((r = oci_json_opt_str(proc, path, "apparmorProfile", &lsm, err)) < 0)
		return r;
	if (r > 0 && *lsm)
		p->apparmor_profile = xstrdup(lsm);
	if ((r = oci_json_opt_str(proc, path, "selinuxLabel", &lsm, err)) < 0)
		return r;
	if (r > 0 && *lsm)
		p->selinux_label = xstrdup(lsm);
	int64_t oom;
	r = oci_json_opt_int_range(proc, path, "oomScoreAdj", -1000, 1000, &oom, err);
	if (r < 0)
		return r;
	if (r > 0) {
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)oom;
	}
	json_t *io;
	r = oci_json_opt_obj(proc, path, "ioPriority", &io, err);
	if (r < 0)
		return r;
	if (r > 0) {
		static const char *const classes[] = {"", "IOPRIO_CLASS_RT", "IOPRIO_CLASS_BE",
						      "IOPRIO_CLASS_IDLE"};
		const char *cls;
		int64_t prio = 0;
		if (oci_json_get_str(io, "process.ioPriority", "class", &cls, err) < 0 ||
		    oci_json_opt_int_range(io, "process.ioPriority", "priority", 0, 7, &prio, err) <
			0)
			return -(*err)->code;
		p->has_io_priority = true;
		p->io_class = 0;
		for (int k = 1; k < 4; k++)
			if (streq(cls, classes[k]))
				p->io_class = k;
		if (!p->io_class)
			return oci_err_set(err, EINVAL,
					   "process.ioPriority.class: unknown class '%s'", cls);
		p->io_priority = (int)prio;
	}
	json_t *sc;
	r = oci_json_opt_obj(proc, path, "scheduler", &sc, err);
	if (r < 0)
		return r;
	if (r > 0) {
		static const struct {
			const char *name;
			int policy;
		} policies[] = {{"SCHED_OTHER", 0},   {"SCHED_FIFO", 1}, {"SCHED_RR", 2},
				{"SCHED_BATCH", 3},   {"SCHED_ISO", 4},	 {"SCHED_IDLE", 5},
				{"SCHED_DEADLINE", 6}};
		static const struct {
			const char *name;
			uint64_t flag;
		} sflags[] = {
		    {"SCHED_FLAG_RESET_ON_FORK", 0x01}, {"SCHED_FLAG_RECLAIM", 0x02},
		    {"SCHED_FLAG_DL_OVERRUN", 0x04},	{"SCHED_FLAG_KEEP_POLICY", 0x08},
		    {"SCHED_FLAG_KEEP_PARAMS", 0x10},	{"SCHED_FLAG_UTIL_CLAMP_MIN", 0x20},
		    {"SCHED_FLAG_UTIL_CLAMP_MAX", 0x40}};
		const char *pol;
		int64_t v;
		_cleanup_strv_ char **fl = NULL;
		const char *sp = "process.scheduler";
		if (oci_json_get_str(sc, sp, "policy", &pol, err) < 0)
			return -(*err)->code;
		p->has_scheduler = true;
		p->sched_policy = -1;
		for (size_t k = 0; k < ARRAY_SIZE(policies); k++)
			if (streq(pol, policies[k].name))
				p->sched_policy = policies[k].policy;
		if (p->sched_policy < 0)
			return oci_err_set(err, EINVAL,
					   "process.scheduler.policy: unknown policy '%s'", pol);
		if ((r = oci_json_opt_int_range(sc, sp, "nice", -20, 19, &v, err)) < 0)
			return r;
		if (r > 0)
			p->sched_nice = (int)v;
		if ((r = oci_json_opt_int_range(sc, sp, "priority", 0, 99, &v, err)) < 0)
			return r;
		if (r > 0)
			p->sched_priority = (int)v;
		if (oci_json_opt_strv(sc, sp, "flags", &fl, err) < 0)
			return -(*err)->code;
		for (size_t j = 0; fl && fl[j]; j++) {
			size_t k;
			for (k = 0; k < ARRAY_SIZE(sflags); k++)
				if (streq(fl[j], sflags[k].name))
					break;
			if (k == ARRAY_SIZE(sflags))
				return oci_err_set(
				    err, EINVAL, "process.scheduler.flags[%zu]: unknown flag '%s'",
				    j, fl[j]);
			p->sched_flags |= sflags[k].flag;
		}
		const char *keys[] = {"runtime", "deadline", "period"};
		uint64_t *dst[] = {&p->sched_runtime, &p->sched_deadline, &p->sched_period};
		for (int k = 0; k < 3; k++) {
			if ((r = oci_json_opt_int_range(sc, sp, keys[k], 0, INT64_MAX, &v, err)) <
			    0)
				return r;
			if (r > 0)
				*dst[k] = (uint64_t)v;
		}
	}
	return 0;
}

static int parse_idmaps(json_t *l, const char *path, const char *key, struct run_idmap **ret,
			size_t *ret_n, struct oci_err **err)
{
	json_t *a;
	_cleanup_free_ char *kp = oci_json_path_key(path, key);
	int r = oci_json_opt_arr(l, path, key, &a, err);
	if (r <= 0)
		return r;
	*ret = xcalloc(json_array_size(a) + 1, sizeof(struct run_idmap));
	for (size_t i = 0; i < json_array_size(a); i++) {
		_cleanup_free_ char *ep = oci_json_path_index(kp, i);
		json_t *e = json_array_get(a, i);
		struct run_idmap *m = &(*ret)[i];
		if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
		    get_u32(e, ep, "containerID", true, &m->container_id, err) < 0 ||
		    get_u32(e, ep, "hostID", true, &m->host_id, err) < 0 ||
		    get_u32(e, ep, "size", true, &m->size, err) < 0)
			return -(*err)->code;
	}
	*ret_n = json_array_size(a);
	return 0;
}

static int parse_mounts(json_t *a, struct run_spec *s, struct oci_err **err)
{
	s->mounts = xcalloc(json_array_size(a) + 1, sizeof(*s->mounts));
	for (size_t i = 0; i < json_array_size(a); i++) {
		_cleanup_free_ char *ep = oci_json_path_index("mounts", i);
		json_t *e = json_array_get(a, i);
		struct run_mount *m = &s->mounts[s->n_mounts];
		const char *dest, *type = NULL, *src = NULL;
		_cleanup_strv_ char **opts = NULL;
		if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
		    oci_json_get_str(e, ep, "destination", &dest, err) < 0 ||
		    oci_json_opt_str(e, ep, "type", &type, err) < 0 ||
		    oci_json_opt_str(e, ep, "source", &src, err) < 0 ||
		    oci_json_opt_strv(e, ep, "options", &opts, err) < 0)
			return -(*err)->code;
		if (dest[0] != '/')
			return oci_err_set(
			    err, EINVAL, "%s.destination: '%s' is not an absolute path", ep, dest);
		s->n_mounts++;
		m->destination = oci_path_clean(dest);
		m->type = xstrdup(type ? type : "");
		m->source = xstrdup(src ? src : "");
		for (size_t j = 0; opts && opts[j]; j++) {
			if (streq(opts[j], "idmap") || streq(opts[j], "ridmap")) {
				m->idmap = true;
				m->idmap_recursive = streq(opts[j], "ridmap");
				continue;
			}
			run_mount_add_option(m, opts[j]);
		}
		if (streq(m->type, "bind") && !m->bind) {
			m->bind = true;
			m->flags |= MS_BIND;
		}
		if (parse_idmaps(e, ep, "uidMappings", &m->uid_mappings, &m->n_uid_mappings, err) <
			0 ||
		    parse_idmaps(e, ep, "gidMappings", &m->gid_mappings, &m->n_gid_mappings, err) <
			0)
			return -(*err)->code;
		if ((m->n_uid_mappings || m->n_gid_mappings) && !m->idmap)
			return oci_err_set(
			    err, EINVAL, "%s.uidMappings: mappings need the idmap or ridmap option",
			    ep);
		if (m->tmpcopyup && !streq(m->type, "tmpfs"))
			return oci_err_set(err, EINVAL,
					   "%s.options: tmpcopyup is for tmpfs mounts only", ep);
		if (m->idmap && !m->bind)
			return oci_err_set(
			    err, EINVAL, "%s.options: idmap is supported on bind mounts only", ep);
		if (m->idmap && (!m->n_uid_mappings) != (!m->n_gid_mappings))
			return oci_err_set(
			    err, EINVAL,
			    "%s: an idmap mount needs both uidMappings and gidMappings", ep);
		if (m->bind && !*m->source)
			return oci_err_set(err, EINVAL, "%s.source: a bind mount needs a source",
					   ep);
		if (!m->bind && !*m->type)
			return oci_err_set(err, EINVAL, "%s.type: required for a '%s' mount", ep,
					   m->destination);
	}
	return 0;
}

static int parse_hooks(json_t *hooks, struct run_spec *s, struct oci_err **err)
{
	for (int k = 0; k < RUN_HOOK_COUNT; k++) {
		json_t *a;
		_cleanup_free_ char *kp = oci_json_path_key("hooks", run_hook_names[k]);
		int r = oci_json_opt_arr(hooks, "hooks", run_hook_names[k], &a, err);
		if (r < 0)
			return r;
		if (r == 0)
			continue;
		s->hooks.v[k] = xcalloc(json_array_size(a) + 1, sizeof(struct run_hook));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *ep = oci_json_path_index(kp, i);
			json_t *e = json_array_get(a, i);
			struct run_hook *h = &s->hooks.v[k][i];
			const char *p;
			int64_t t = 0;
			if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
			    oci_json_get_str(e, ep, "path", &p, err) < 0)
				return -(*err)->code;
			s->hooks.n[k]++;
			h->path = xstrdup(p);
			if (p[0] != '/')
				return oci_err_set(err, EINVAL,
						   "%s.path: '%s' is not an absolute path", ep, p);
			if (oci_json_opt_strv(e, ep, "args", &h->args, err) < 0 ||
			    oci_json_opt_strv(e, ep, "env", &h->env, err) < 0)
				return -(*err)->code;
			r = oci_json_opt_int(e, ep, "timeout", &t, err);
			if (r < 0)
				return r;
			if (r > 0 && (t <= 0 || t > INT32_MAX))
				return oci_err_set(err, EINVAL,
						   "%s.timeout: must be greater than zero", ep);
			h->timeout = (int)t;
		}
	}
	return 0;
}

/* "0-3,7" into a node bit mask */
static int parse_node_list(const char *str, unsigned long *mask, struct oci_err **err)
{
	const char *p = str;
	const size_t bits = 8 * sizeof(unsigned long);
	while (*p) {
		char *end;
		errno = 0;
		unsigned long a = strtoul(p, &end, 10), b;
		if (errno || end == p || !isdigit((unsigned char)*p))
			goto bad;
		b = a;
		p = end;
		if (*p == '-') {
			const char *q = p + 1;
			b = strtoul(q, &end, 10);
			if (errno || end == q || !isdigit((unsigned char)*q) || b < a)
				goto bad;
			p = end;
		}
		if (b >= RUN_MPOL_MAX_NODES)
			return oci_err_set(err, ERANGE,
					   "linux.memoryPolicy.nodes: node %lu is above %d", b,
					   RUN_MPOL_MAX_NODES - 1);
		for (unsigned long n = a; n <= b; n++)
			mask[n / bits] |= 1UL << (n % bits);
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			goto bad;
	}
	return 0;
bad:
	return oci_err_set(err, EINVAL,
			   "linux.memoryPolicy.nodes: '%s' is not a node list like '0-3,7'", str);
}

static int parse_mem_policy(json_t *o, struct run_mem_policy *mp, struct oci_err **err)
{
	static const char *const modes[] = {"MPOL_DEFAULT",
					    "MPOL_PREFERRED",
					    "MPOL_BIND",
					    "MPOL_INTERLEAVE",
					    "MPOL_LOCAL",
					    "MPOL_PREFERRED_MANY",
					    "MPOL_WEIGHTED_INTERLEAVE"};
	static const struct {
		const char *name;
		unsigned flag;
	} flags[] = {{"MPOL_F_NUMA_BALANCING", 1u << 13},
		     {"MPOL_F_RELATIVE_NODES", 1u << 14},
		     {"MPOL_F_STATIC_NODES", 1u << 15}};
	const char *p = "linux.memoryPolicy";
	const char *mode, *nodes = NULL;
	_cleanup_strv_ char **fl = NULL;
	int r;
	if (oci_json_get_str(o, p, "mode", &mode, err) < 0)
		return -(*err)->code;
	mp->mode = -1;
	for (size_t k = 0; k < ARRAY_SIZE(modes); k++)
		if (streq(mode, modes[k]))
			mp->mode = (int)k;
	if (mp->mode < 0)
		return oci_err_set(err, EINVAL, "linux.memoryPolicy.mode: unknown mode '%s'", mode);
	if ((r = oci_json_opt_str(o, p, "nodes", &nodes, err)) < 0)
		return r;
	if (nodes && *nodes) {
		if ((r = parse_node_list(nodes, mp->nodes, err)) < 0)
			return r;
		mp->has_nodes = true;
	}
	/* as the kernel wants it: MPOL_DEFAULT and MPOL_LOCAL take no nodes,
	 * MPOL_PREFERRED may go without (then it means local) */
	bool none = mp->mode == 0 || mp->mode == 4;
	if (none && mp->has_nodes)
		return oci_err_set(err, EINVAL, "linux.memoryPolicy.nodes: %s takes no nodes",
				   mode);
	if (!none && mp->mode != 1 && !mp->has_nodes)
		return oci_err_set(err, EINVAL, "linux.memoryPolicy.nodes: %s needs nodes", mode);
	if (oci_json_opt_strv(o, p, "flags", &fl, err) < 0)
		return -(*err)->code;
	for (size_t i = 0; fl && fl[i]; i++) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(flags); k++)
			if (streq(fl[i], flags[k].name))
				break;
		if (k == ARRAY_SIZE(flags))
			return oci_err_set(err, EINVAL,
					   "linux.memoryPolicy.flags: unknown flag '%s'", fl[i]);
		mp->flags |= flags[k].flag;
	}
	return 0;
}

static int parse_linux(json_t *l, struct run_spec *s, struct oci_err **err)
{
	json_t *a, *o;
	const char *str;
	int r;

	r = oci_json_opt_arr(l, "linux", "namespaces", &a, err);
	if (r < 0)
		return r;
	if (r > 0) {
		s->namespaces = xcalloc(json_array_size(a) + 1, sizeof(struct run_ns));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *ep = oci_json_path_index("linux.namespaces", i);
			json_t *e = json_array_get(a, i);
			const char *type, *path = NULL;
			if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
			    oci_json_get_str(e, ep, "type", &type, err) < 0 ||
			    oci_json_opt_str(e, ep, "path", &path, err) < 0)
				return -(*err)->code;
			int t = 0;
			for (size_t k = 0; k < ARRAY_SIZE(ns_types); k++)
				if (streq(type, ns_types[k].name))
					t = ns_types[k].type;
			if (!t)
				return oci_err_set(err, EINVAL, "%s.type: unknown namespace '%s'",
						   ep, type);
			if (s->ns_flags & t)
				return oci_err_set(err, EINVAL,
						   "%s.type: namespace '%s' given twice", ep, type);
			s->ns_flags |= t;
			struct run_ns *n = &s->namespaces[s->n_namespaces++];
			n->type = t;
			if (path && *path) {
				if (path[0] != '/')
					return oci_err_set(err, EINVAL,
							   "%s.path: '%s' is not an absolute path",
							   ep, path);
				n->path = xstrdup(path);
			}
		}
	}
	if (parse_idmaps(l, "linux", "uidMappings", &s->uid_mappings, &s->n_uid_mappings, err) <
		0 ||
	    parse_idmaps(l, "linux", "gidMappings", &s->gid_mappings, &s->n_gid_mappings, err) < 0)
		return -(*err)->code;
	const struct run_ns *user = run_spec_ns(s, CLONE_NEWUSER);
	if ((s->n_uid_mappings || s->n_gid_mappings) && !user)
		return oci_err_set(err, EINVAL,
				   "linux.uidMappings: mappings need a user namespace in "
				   "linux.namespaces");
	/* a new user namespace without mappings: an error for root, and
	 * crun's default for a rootless caller (run_ns_prepare_userns) */

	r = oci_json_opt_arr(l, "linux", "devices", &a, err);
	if (r < 0)
		return r;
	if (r > 0) {
		s->devices = xcalloc(json_array_size(a) + 1, sizeof(struct run_device));
		for (size_t i = 0; i < json_array_size(a); i++) {
			_cleanup_free_ char *ep = oci_json_path_index("linux.devices", i);
			json_t *e = json_array_get(a, i);
			const char *p, *type;
			struct run_device *d = &s->devices[i];
			int64_t v;
			if (oci_json_expect(e, JSON_OBJECT, ep, err) < 0 ||
			    oci_json_get_str(e, ep, "path", &p, err) < 0 ||
			    oci_json_get_str(e, ep, "type", &type, err) < 0)
				return -(*err)->code;
			s->n_devices++;
			d->path = xstrdup(p);
			if (p[0] != '/')
				return oci_err_set(err, EINVAL,
						   "%s.path: '%s' is not an absolute path", ep, p);
			if (strlen(type) != 1 || !strchr("cbup", type[0]))
				return oci_err_set(err, EINVAL,
						   "%s.type: '%s' is not one of c, b, u, p", ep,
						   type);
			d->type = type[0];
			if (d->type != 'p') {
				if (oci_json_get_int(e, ep, "major", &d->major, err) < 0 ||
				    oci_json_get_int(e, ep, "minor", &d->minor, err) < 0)
					return -(*err)->code;
			}
			r = oci_json_opt_int_range(e, ep, "fileMode", 0, 07777, &v, err);
			if (r < 0)
				return r;
			if (r > 0) {
				d->has_mode = true;
				d->mode = (mode_t)v;
			}
			r = get_u32(e, ep, "uid", false, &d->uid, err);
			if (r < 0)
				return r;
			d->has_uid = r > 0;
			r = get_u32(e, ep, "gid", false, &d->gid, err);
			if (r < 0)
				return r;
			d->has_gid = r > 0;
		}
	}
	if (oci_json_opt_strv(l, "linux", "maskedPaths", &s->masked_paths, err) < 0 ||
	    oci_json_opt_strv(l, "linux", "readonlyPaths", &s->readonly_paths, err) < 0 ||
	    oci_json_opt_str_map(l, "linux", "sysctl", &s->sysctl, err) < 0)
		return -(*err)->code;
	r = oci_json_opt_str(l, "linux", "mountLabel", &str, err);
	if (r < 0)
		return r;
	if (r > 0 && *str)
		s->mount_label = xstrdup(str);
	r = oci_json_opt_str(l, "linux", "rootfsPropagation", &str, err);
	if (r < 0)
		return r;
	if (r > 0 && *str) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(propagations); k++)
			if (streq(str, propagations[k].name))
				break;
		if (k == ARRAY_SIZE(propagations))
			return oci_err_set(
			    err, EINVAL, "linux.rootfsPropagation: unknown propagation '%s'", str);
		s->rootfs_propagation = propagations[k].flags;
	}
	r = oci_json_opt_obj(l, "linux", "memoryPolicy", &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		if (parse_mem_policy(o, &s->mem_policy, err) < 0)
			return -(*err)->code;
		s->has_mem_policy = true;
	}
	if (json_object_get(l, "intelRdt"))
		s->has_intel_rdt = true;
	r = oci_json_opt_obj(l, "linux", "personality", &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		const char *dom;
		_cleanup_strv_ char **fl = NULL;
		if (oci_json_get_str(o, "linux.personality", "domain", &dom, err) < 0 ||
		    oci_json_opt_strv(o, "linux.personality", "flags", &fl, err) < 0)
			return -(*err)->code;
		if (streq(dom, "LINUX"))
			s->personality = 0x0000;
		else if (streq(dom, "LINUX32"))
			s->personality = 0x0008;
		else
			return oci_err_set(
			    err, EINVAL,
			    "linux.personality.domain: unknown domain '%s' (LINUX or "
			    "LINUX32)",
			    dom);
		if (fl && fl[0])
			return oci_err_set(err, EOPNOTSUPP,
					   "linux.personality.flags: '%s': no flags are supported",
					   fl[0]);
		s->has_personality = true;
	}
	r = oci_json_opt_str(l, "linux", "cgroupsPath", &str, err);
	if (r < 0)
		return r;
	if (r > 0)
		s->cgroups_path = xstrdup(str);
	r = oci_json_opt_obj(l, "linux", "seccomp", &o, err);
	if (r < 0)
		return r;
	if (r > 0 && (r = run_seccomp_parse(o, "linux.seccomp", &s->seccomp, err)) < 0)
		return r;
	r = oci_json_opt_obj(l, "linux", "resources", &o, err);
	if (r < 0)
		return r;
	s->has_resources = r > 0;
	if (r > 0) {
		r = run_resources_from_json(o, "linux.resources", &s->resources, err);
		if (r < 0)
			return r;
	}
	r = oci_json_opt_obj(l, "linux", "timeOffsets", &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		json_t *t;
		s->has_time_offsets = true;
		if (oci_json_opt_obj(o, "linux.timeOffsets", "monotonic", &t, err) < 0)
			return -(*err)->code;
		if (t && (oci_json_opt_int(t, "linux.timeOffsets.monotonic", "secs",
					   &s->monotonic_secs, err) < 0 ||
			  oci_json_opt_int(t, "linux.timeOffsets.monotonic", "nanosecs",
					   &s->monotonic_nsecs, err) < 0))
			return -(*err)->code;
		t = NULL;
		if (oci_json_opt_obj(o, "linux.timeOffsets", "boottime", &t, err) < 0)
			return -(*err)->code;
		if (t && (oci_json_opt_int(t, "linux.timeOffsets.boottime", "secs",
					   &s->boottime_secs, err) < 0 ||
			  oci_json_opt_int(t, "linux.timeOffsets.boottime", "nanosecs",
					   &s->boottime_nsecs, err) < 0))
			return -(*err)->code;
		if (!(s->ns_flags & CLONE_NEWTIME))
			return oci_err_set(err, EINVAL,
					   "linux.timeOffsets: needs a time namespace in "
					   "linux.namespaces");
	}
	return 0;
}

static int parse_doc(json_t *doc, const char *bundle, struct run_spec *s, struct oci_err **err)
{
	const char *str;
	json_t *o;
	int r;

	if (oci_json_expect(doc, JSON_OBJECT, "", err) < 0)
		return -(*err)->code;
	if (oci_json_get_str(doc, "", "ociVersion", &str, err) < 0)
		return -(*err)->code;
	if (!isdigit((unsigned char)str[0]) || str[0] != '1')
		return oci_err_set(err, EINVAL, "ociVersion: unsupported version '%s' (need 1.x)",
				   str);
	s->oci_version = xstrdup(str);

	json_t *root;
	if (oci_json_get_obj(doc, "", "root", &root, err) < 0 ||
	    oci_json_get_str(root, "root", "path", &str, err) < 0 ||
	    oci_json_opt_bool(root, "root", "readonly", &s->root_readonly, err) < 0)
		return -(*err)->code;
	s->root_path = str[0] == '/' ? xstrdup(str) : oci_path_join(bundle, str);

	r = oci_json_opt_str(doc, "", "hostname", &str, err);
	if (r < 0)
		return r;
	if (r > 0)
		s->hostname = xstrdup(str);
	r = oci_json_opt_str(doc, "", "domainname", &str, err);
	if (r < 0)
		return r;
	if (r > 0)
		s->domainname = xstrdup(str);

	r = oci_json_opt_obj(doc, "", "process", &o, err);
	if (r < 0)
		return r;
	if (r > 0) {
		s->has_process = true;
		if (parse_process(o, &s->process, err) < 0)
			return -(*err)->code;
	}
	r = oci_json_opt_arr(doc, "", "mounts", &o, err);
	if (r < 0)
		return r;
	if (r > 0 && parse_mounts(o, s, err) < 0)
		return -(*err)->code;
	r = oci_json_opt_obj(doc, "", "hooks", &o, err);
	if (r < 0)
		return r;
	if (r > 0 && parse_hooks(o, s, err) < 0)
		return -(*err)->code;
	r = oci_json_opt_str_map(doc, "", "annotations", &s->annotations, err);
	if (r < 0)
		return r;
	r = oci_json_opt_obj(doc, "", "linux", &o, err);
	if (r < 0)
		return r;
	if (r > 0 && parse_linux(o, s, err) < 0)
		return -(*err)->code;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (s->mounts[i].idmap && !s->mounts[i].n_uid_mappings && !s->n_uid_mappings)
			return oci_err_set(
			    err, EINVAL,
			    "mounts[%zu]: idmap needs uidMappings and gidMappings (of "
			    "the mount or of linux)",
			    i);
	if (s->hostname && *s->hostname && !(s->ns_flags & CLONE_NEWUTS))
		return oci_err_set(err, EINVAL,
				   "hostname: setting it needs a new uts namespace in "
				   "linux.namespaces");
	return 0;
}

int run_spec_parse(const char *buf, size_t len, const char *bundle, struct run_spec **ret,
		   struct oci_err **err)
{
	json_auto_t *doc = NULL;
	int r = oci_json_load_buf(buf, len, "config.json", &doc, err);
	if (r < 0)
		return r;
	struct run_spec *s = xcalloc(1, sizeof(*s));
	r = parse_doc(doc, bundle, s, err);
	if (r < 0) {
		run_spec_free(s);
		return oci_err_wrap(err, "config.json");
	}
	*ret = s;
	return 0;
}

int run_spec_load(const char *bundle, struct run_spec **ret, struct oci_err **err)
{
	_cleanup_free_ char *file = oci_path_join(bundle, "config.json");
	_cleanup_free_ char *buf = NULL;
	size_t len;
	int r = oci_read_file(file, 64u << 20, &buf, &len, err);
	if (r < 0)
		return r;
	return run_spec_parse(buf, len, bundle, ret, err);
}

static void process_release(struct run_process *p)
{
	free(p->cwd);
	oci_strv_free(p->args);
	oci_strv_free(p->env);
	free(p->additional_gids);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
}

void run_process_free(struct run_process *p)
{
	if (!p)
		return;
	process_release(p);
	free(p);
}

int run_process_parse(const char *buf, size_t len, const char *name, struct run_process **ret,
		      struct oci_err **err)
{
	json_auto_t *doc = NULL;
	int r = oci_json_load_buf(buf, len, name, &doc, err);
	if (r < 0)
		return r;
	if (oci_json_expect(doc, JSON_OBJECT, "process", err) < 0)
		return oci_err_wrap(err, "%s", name);
	struct run_process *p = xcalloc(1, sizeof(*p));
	r = parse_process(doc, p, err);
	if (r < 0) {
		run_process_free(p);
		return oci_err_wrap(err, "%s", name);
	}
	*ret = p;
	return 0;
}

struct run_process *run_process_dup(const struct run_process *src)
{
	struct run_process *p = xcalloc(1, sizeof(*p));
	*p = *src;
	p->cwd = xstrdup(src->cwd);
	p->args = oci_strv_dup(src->args);
	p->env = oci_strv_dup(src->env);
	p->additional_gids = xcalloc(src->n_additional_gids + 1, sizeof(gid_t));
	if (src->n_additional_gids)
		memcpy(p->additional_gids, src->additional_gids,
		       src->n_additional_gids * sizeof(gid_t));
	p->rlimits = xcalloc(src->n_rlimits + 1, sizeof(*p->rlimits));
	if (src->n_rlimits)
		memcpy(p->rlimits, src->rlimits, src->n_rlimits * sizeof(*p->rlimits));
	p->apparmor_profile = src->apparmor_profile ? xstrdup(src->apparmor_profile) : NULL;
	p->selinux_label = src->selinux_label ? xstrdup(src->selinux_label) : NULL;
	return p;
}
