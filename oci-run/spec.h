/* config.json (runtime-spec) unpacked into C structs. This module is the only
 * one that reads the document; errors name the field ("process.args: ..."). */
#ifndef OCI_RUN_SPEC_H
#define OCI_RUN_SPEC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"
#include "resources.h"

struct run_seccomp;

enum run_hook_kind {
	RUN_HOOK_PRESTART,
	RUN_HOOK_CREATE_RUNTIME,
	RUN_HOOK_CREATE_CONTAINER,
	RUN_HOOK_START_CONTAINER,
	RUN_HOOK_POSTSTART,
	RUN_HOOK_POSTSTOP,
	RUN_HOOK_COUNT,
};

struct run_hook {
	char *path;
	char **args;
	char **env;
	int timeout; /* seconds; 0: none */
};

struct run_hooks {
	struct run_hook *v[RUN_HOOK_COUNT];
	size_t n[RUN_HOOK_COUNT];
};

struct run_mount {
	char *destination;
	char *type;		   /* "" when absent */
	char *source;		   /* "" when absent */
	unsigned long flags;	   /* MS_* set */
	unsigned long clear;	   /* MS_* cleared by an explicit option (rw, suid, ...) */
	unsigned long propagation; /* MS_PRIVATE|MS_REC etc., 0: none */
	bool bind;		   /* bind or rbind */
	bool rro;		   /* recursive read-only (mount_setattr) */
	bool idmap;		   /* idmap or ridmap: an id-mapped bind mount */
	bool tmpcopyup;		   /* crun's: a tmpfs gets what was below it */
	bool idmap_recursive;	   /* ridmap */
	struct run_idmap *uid_mappings, *gid_mappings; /* the mount's; NULL: the container's */
	size_t n_uid_mappings, n_gid_mappings;
	char *data; /* the other options, comma-joined; NULL: none */
};

struct run_idmap {
	uint32_t container_id, host_id, size;
};

struct run_ns {
	int type;   /* CLONE_NEW* */
	char *path; /* NULL: create a new one */
};

struct run_rlimit {
	int resource;
	uint64_t soft, hard;
};

struct run_device {
	char *path;
	char type; /* c, b, u, p */
	int64_t major, minor;
	bool has_mode;
	mode_t mode;
	bool has_uid, has_gid;
	uint32_t uid, gid;
};

enum run_cap_set {
	RUN_CAP_BOUNDING,
	RUN_CAP_EFFECTIVE,
	RUN_CAP_INHERITABLE,
	RUN_CAP_PERMITTED,
	RUN_CAP_AMBIENT,
	RUN_CAP_SETS,
};

/* linux.memoryPolicy, for set_mempolicy(2) */
#define RUN_MPOL_MAX_NODES 1024
struct run_mem_policy {
	int mode;	/* MPOL_* */
	unsigned flags; /* MPOL_F_* */
	bool has_nodes;
	unsigned long nodes[RUN_MPOL_MAX_NODES / (8 * sizeof(unsigned long))];
};

struct run_process {
	bool terminal;
	unsigned console_height, console_width;
	char *cwd;
	char **args;
	char **env;
	uint32_t uid, gid;
	gid_t *additional_gids;
	size_t n_additional_gids;
	bool has_umask;
	mode_t umask;
	struct run_rlimit *rlimits;
	size_t n_rlimits;
	bool has_caps;
	uint64_t caps[RUN_CAP_SETS];
	bool no_new_privileges;
	bool has_oom_score_adj;
	int oom_score_adj;
	bool has_io_priority;
	int io_class; /* IOPRIO_CLASS_* */
	int io_priority;
	bool has_scheduler;
	int sched_policy; /* SCHED_* */
	int sched_nice, sched_priority;
	uint64_t sched_flags, sched_runtime, sched_deadline, sched_period;
	char *apparmor_profile; /* NULL: none */
	char *selinux_label;	/* NULL: none */
};

struct run_spec {
	char *oci_version;
	char *root_path; /* absolute */
	bool root_readonly;
	char *hostname, *domainname;
	bool has_process;
	struct run_process process;
	struct run_mount *mounts;
	size_t n_mounts;
	struct run_hooks hooks;
	char **annotations; /* k, v, k, v, NULL */

	/* linux */
	int ns_flags; /* every CLONE_NEW* requested (new or path) */
	struct run_ns *namespaces;
	size_t n_namespaces;
	struct run_idmap *uid_mappings, *gid_mappings;
	size_t n_uid_mappings, n_gid_mappings;
	/* rootless: oci-run chose them (run_ns_prepare_userns), not the config */
	bool uid_mappings_auto, gid_mappings_auto;
	struct run_device *devices;
	size_t n_devices;
	char **masked_paths, **readonly_paths;
	unsigned long rootfs_propagation; /* 0: default (rslave then private) */
	char **sysctl;			  /* k, v, ... */
	bool has_time_offsets;
	int64_t monotonic_secs, monotonic_nsecs, boottime_secs, boottime_nsecs;
	char *cgroups_path;
	bool has_personality;
	unsigned long personality; /* PER_LINUX or PER_LINUX32, flags or'ed */
	bool has_resources;
	struct run_resources *resources; /* linux.resources; NULL when absent */
	struct run_seccomp *seccomp;	 /* linux.seccomp; NULL: none */
	char *mount_label;		 /* linux.mountLabel; NULL: none */
	bool has_mem_policy;
	struct run_mem_policy mem_policy; /* linux.memoryPolicy */
	bool has_intel_rdt;		  /* linux.intelRdt given */
};

/* Parses BUNDLE/config.json; root.path is made absolute against bundle. */
int run_spec_load(const char *bundle, struct run_spec **ret, struct oci_err **err);
/* The same from a buffer (for tests); name prefixes errors. */
int run_spec_parse(const char *buf, size_t len, const char *bundle, struct run_spec **ret,
		   struct oci_err **err);
void run_spec_free(struct run_spec *s);
DEFINE_CLEANUP(struct run_spec *, run_spec_free)

/* A process document (`exec --process FILE`); errors are prefixed by name. */
int run_process_parse(const char *buf, size_t len, const char *name, struct run_process **ret,
		      struct oci_err **err);
struct run_process *run_process_dup(const struct run_process *p);
void run_process_free(struct run_process *p);
DEFINE_CLEANUP(struct run_process *, run_process_free)

/* Finds a namespace entry of type CLONE_NEW*; NULL when absent. */
const struct run_ns *run_spec_ns(const struct run_spec *s, int type);

/* Capability names and numbers: "CAP_SYS_ADMIN" -> 21; -1 when unknown. */
int run_cap_from_name(const char *name);
const char *run_cap_name(int cap);
int run_cap_max(void); /* highest number in our table */

/* Signal names: "KILL", "SIGKILL", "9" -> 9; -1 when unknown. */
int run_signal_from_name(const char *s);

/* Parses one mount option into m; unknown options go to m->data. */
void run_mount_add_option(struct run_mount *m, const char *opt);

extern const char *const run_mount_option_names[];
extern const char *const run_hook_names[RUN_HOOK_COUNT];

#endif
