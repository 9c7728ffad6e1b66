/* Inside the cgroup layer: the host's cgroup layout, one container's cgroup,
 * and the drivers behind cgroup.c (after crun's cgroup-internal.h: one ops
 * struct per driver). Every writer takes the directories it writes into as
 * parameters, so the tests point them at a fake tree laid out like cgroupfs. */
#ifndef OCI_RUN_CGROUP_INTERNAL_H
#define OCI_RUN_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cgroup.h"
#include "err.h"
#include "resources.h"

enum run_cg_mode {
	RUN_CG_V1,     /* only v1 hierarchies */
	RUN_CG_V2,     /* the unified hierarchy alone (cgroup2 at the root) */
	RUN_CG_HYBRID, /* v1 hierarchies plus a cgroup2 mount (usually .../unified) */
};

/* One v1 hierarchy. */
struct run_cg_hier {
	char *mount;	    /* "/sys/fs/cgroup/memory" */
	char **controllers; /* "memory"; "cpu", "cpuacct"; "name=systemd" */
	char *own;	    /* the caller's cgroup in it ("/" at the top) */
};

struct run_cg_layout {
	enum run_cg_mode mode;
	char *unified;	   /* cgroup2 mount point; NULL in pure v1 */
	char *unified_own; /* the caller's cgroup in it */
	struct run_cg_hier *v1;
	size_t n_v1;
};

/* The host's layout, from /proc/self/mountinfo and /proc/self/cgroup. */
int run_cg_layout_detect(struct run_cg_layout **ret, struct oci_err **err);
/* The same from the text of /proc/self/mountinfo and /proc/self/cgroup;
 * root_is_cgroup2: /sys/fs/cgroup is a cgroup2 mount (pure v2). */
int run_cg_layout_parse(const char *mountinfo, const char *self_cgroup, bool root_is_cgroup2,
			struct run_cg_layout **ret, struct oci_err **err);
/* A layout read from a directory tree: mode V2 takes root as the cgroup2
 * mount; V1 and HYBRID take each subdirectory of root as one hierarchy named
 * after its controllers ("cpu,cpuacct"), and HYBRID root/unified as cgroup2.
 * The caller's cgroup is "/" everywhere. For tests and for the detection of
 * hosts without /proc/self/mountinfo. */
int run_cg_layout_from_dir(const char *root, enum run_cg_mode mode, struct run_cg_layout **ret,
			   struct oci_err **err);
void run_cg_layout_free(struct run_cg_layout *l);
DEFINE_CLEANUP(struct run_cg_layout *, run_cg_layout_free)

/* The v1 hierarchy that has controller c ("memory"); NULL when none. */
const struct run_cg_hier *run_cg_layout_v1(const struct run_cg_layout *l, const char *c);

/* Sections of a resources object, to split work between v1 and v2 in a
 * hybrid layout. */
enum {
	RUN_CG_MEMORY = 1 << 0,
	RUN_CG_CPU = 1 << 1,
	RUN_CG_CPUSET = 1 << 2,
	RUN_CG_PIDS = 1 << 3,
	RUN_CG_IO = 1 << 4,
	RUN_CG_HUGETLB = 1 << 5,
	RUN_CG_DEVICES = 1 << 6,
	RUN_CG_RDMA = 1 << 7,
	RUN_CG_UNIFIED = 1 << 8,
	RUN_CG_ALL = (1 << 9) - 1,
};
/* The sections that res sets. */
unsigned run_cg_sections(const struct run_resources *res);

/* One container's cgroup. */
struct run_cgroup {
	const struct run_cgroup_ops *ops;
	struct run_cg_layout *layout;
	char *path;	/* "/oci-run/ID": below each hierarchy's mount point */
	char **v1_dirs; /* one per layout->v1 entry, full paths */
	char *v2_dir;	/* full path in the unified hierarchy; NULL: none */
	/* which sections go to v2 in a hybrid layout (controllers only there) */
	unsigned v2_sections;
};

struct run_cgroup_ops {
	const char *name;
	/* Creates the cgroup (and missing parents), applies res (may be NULL),
	 * and moves pid into it (pid 0: nobody). */
	int (*create)(struct run_cgroup *cg, const struct run_resources *res, pid_t pid,
		      struct oci_err **err);
	int (*join)(struct run_cgroup *cg, pid_t pid, struct oci_err **err);
	int (*update)(struct run_cgroup *cg, const struct run_resources *res, struct oci_err **err);
	int (*freeze)(struct run_cgroup *cg, bool freeze, struct oci_err **err);
	/* Sends sig to every process in the cgroup and below. */
	int (*kill)(struct run_cgroup *cg, int sig, struct oci_err **err);
	int (*pids)(struct run_cgroup *cg, pid_t **ret, size_t *ret_n, struct oci_err **err);
	int (*stats)(struct run_cgroup *cg, struct run_cgroup_stats *ret, struct oci_err **err);
	/* Removes the cgroup and the empty parents this program created. */
	int (*destroy)(struct run_cgroup *cg, struct oci_err **err);
};

extern const struct run_cgroup_ops run_cg_v1_ops; /* also HYBRID */
extern const struct run_cgroup_ops run_cg_v2_ops;

/* A container's cgroup from a layout and a path relative to the
 * hierarchies ("/oci-run/ID"), or relative to the caller's own cgroups when
 * the path does not start with '/'. Picks v1 or v2 ops from the layout. */
int run_cg_open(struct run_cg_layout *layout, const char *path, struct run_cgroup **ret,
		struct oci_err **err);
void run_cgroup_free(struct run_cgroup *cg);
DEFINE_CLEANUP(struct run_cgroup *, run_cgroup_free)

/* Small file helpers shared by the drivers (dir/name). */
int run_cg_write(const char *dir, const char *name, const char *value, struct oci_err **err);
int run_cg_writef(const char *dir, const char *name, struct oci_err **err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Reads dir/name; trailing newline removed. */
int run_cg_read(const char *dir, const char *name, char **ret, struct oci_err **err);
bool run_cg_exists(const char *dir, const char *name);
/* "key value" lines: the value of key, as a number. */
int run_cg_read_keyed(const char *dir, const char *name, const char *key, uint64_t *ret);
int run_cg_read_u64(const char *dir, const char *name, uint64_t *ret);
/* Creates dir and its missing parents below root; each directory made is
 * marked (trusted xattr) so destroy removes it again. cb, when set, runs on
 * each directory created, with its parent. */
int run_cg_mkdir(const char *root, const char *path,
		 int (*cb)(const char *parent, const char *dir, void *data, struct oci_err **err),
		 void *data, struct oci_err **err);
/* Removes dir (retrying while it is busy for up to timeout_ms) and then
 * the parents below root that were marked as made by us and are empty. */
int run_cg_rmdir(const char *root, const char *dir, int timeout_ms, struct oci_err **err);
/* Pids in dir/cgroup.procs, and below when recursive; appended to *v. */
int run_cg_read_pids(const char *dir, bool recursive, pid_t **v, size_t *n,
		     struct oci_err **err);
/* Sends sig to every pid in dir/cgroup.procs (and below) until none is left
 * (for SIGKILL) or once (other signals). */
int run_cg_signal_procs(const char *dir, int sig, struct oci_err **err);

/* cgroup v2 writers: dir is the container's cgroup directory. */
int run_cg2_apply(const char *dir, const struct run_resources *res, unsigned sections,
		  struct oci_err **err);
/* Creates path below the cgroup2 root, enabling in each parent's
 * cgroup.subtree_control the controllers of want (NULL-terminated; NULL:
 * every controller the parent has). */
int run_cg2_create(const char *root, const char *path, char *const *want, struct oci_err **err);
int run_cg2_freeze(const char *dir, bool freeze, int timeout_ms, struct oci_err **err);
int run_cg2_kill(const char *dir, int sig, struct oci_err **err);
int run_cg2_stats(const char *dir, struct run_cgroup_stats *ret, struct oci_err **err);

/* cgroup v1 writers: dirs[i] is the container's directory in hierarchy
 * layout->v1[i]. */
int run_cg1_create(const struct run_cg_layout *l, char **dirs, struct oci_err **err);
int run_cg1_apply(const struct run_cg_layout *l, char **dirs, const struct run_resources *res,
		  unsigned sections, struct oci_err **err);
int run_cg1_freeze(const char *dir, bool freeze, int timeout_ms, struct oci_err **err);

/* Device control on cgroup v2: a BPF_PROG_TYPE_CGROUP_DEVICE program for
 * the rules (the last matching rule decides, as in the v1 lists; nothing
 * matching: denied), attached to the cgroup directory dir in place of any
 * program attached before. */
int run_cg_bpf_devices_apply(const char *dir, const struct run_device_rule *rules, size_t n,
			     struct oci_err **err);
/* The program's instructions (struct bpf_insn), for tests: caller frees. */
int run_cg_bpf_devices_build(const struct run_device_rule *rules, size_t n, void **ret,
			     size_t *ret_count, struct oci_err **err);

/* systemd (cgroup_systemd.c). A cgroupsPath "slice:prefix:name" (empty:
 * "system.slice:oci-run:ID") as a unit. */
struct run_sd_unit {
	char *slice; /* "system.slice" */
	char *name;  /* "oci-run-ID.scope", or "NAME.slice" */
	char *path;  /* its cgroup: "/system.slice/oci-run-ID.scope" */
	bool is_slice;
};
int run_cg_systemd_unit(const char *cgroups_path, const char *id, struct run_sd_unit **ret,
			struct oci_err **err);
void run_sd_unit_free(struct run_sd_unit *u);
DEFINE_CLEANUP(struct run_sd_unit *, run_sd_unit_free)
/* An error unless systemd runs as PID 1 and the caller is root. */
int run_cg_systemd_check(struct oci_err **err);
int run_cg_systemd_path(const char *cgroups_path, const char *id, char **ret,
			struct oci_err **err);
/* Starts the transient unit with pid in it (0: none), Delegate=yes and
 * res as unit properties (v2: the unified hierarchy's names), waiting for
 * systemd's job. */
int run_cg_systemd_start(const char *cgroups_path, const char *id, pid_t pid,
			 const struct run_resources *res, bool v2, struct oci_err **err);
/* SetUnitProperties (runtime) for res. */
int run_cg_systemd_set(const char *cgroups_path, const char *id,
		       const struct run_resources *res, bool v2, struct oci_err **err);
/* Stops the unit and waits; a unit that is gone already is no error. */
int run_cg_systemd_stop(const char *cgroups_path, const char *id, struct oci_err **err);

/* For tests: appends to w, inside an a(sv) array, the unit properties that
 * say res (MemoryLimit or MemoryMax, CPUShares or CPUWeight,
 * CPUQuotaPerSecUSec, TasksMax, DevicePolicy/DeviceAllow, ...). */
struct dbus_writer;
int run_sd_resource_properties(struct dbus_writer *w, const struct run_resources *res, bool v2,
			       struct oci_err **err);
/* "0-3,6" as the bitmask systemd's AllowedCPUs takes (byte i bit j: cpu 8i+j). */
int run_sd_cpuset_mask(const char *list, uint8_t **ret, size_t *ret_n, struct oci_err **err);

#endif
