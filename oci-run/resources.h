/* The runtime-spec LinuxResources object (config.json's linux.resources, or
 * the whole document of `oci-run update --resources FILE`) unpacked into C.
 * Errors name the JSON path: "linux.resources.memory.limit: expected an
 * integer". Every field has a has_ flag: an absent (or null) field is left
 * alone by the cgroup writers. */
#ifndef OCI_RUN_RESOURCES_H
#define OCI_RUN_RESOURCES_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"

/* A wildcard major or minor ("*"). */
#define RUN_DEV_ANY (-1)

/* One linux.resources.devices entry (cgroup v1 devices.allow/deny syntax). */
struct run_device_rule {
	bool allow;
	char type;	/* 'a' all, 'c' char, 'b' block */
	int64_t major;	/* RUN_DEV_ANY: any */
	int64_t minor;	/* RUN_DEV_ANY: any */
	char access[4]; /* a subset of "rwm", in that order; never empty */
};

struct run_weight_device {
	int64_t major, minor;
	bool has_weight, has_leaf_weight;
	uint16_t weight, leaf_weight;
};

struct run_throttle_device {
	int64_t major, minor;
	uint64_t rate;
};

struct run_hugepage_limit {
	char *page_size; /* "2MB", "1GB", "64KB" */
	uint64_t limit;	 /* bytes */
};

struct run_rdma_limit {
	char *device;
	bool has_hca_handles, has_hca_objects;
	uint32_t hca_handles, hca_objects;
};

enum run_throttle_kind {
	RUN_THROTTLE_READ_BPS,
	RUN_THROTTLE_WRITE_BPS,
	RUN_THROTTLE_READ_IOPS,
	RUN_THROTTLE_WRITE_IOPS,
	RUN_THROTTLE_KINDS,
};

struct run_resources {
	struct {
		bool has_limit, has_reservation, has_swap, has_kernel, has_kernel_tcp;
		bool has_swappiness, has_disable_oom_killer, has_use_hierarchy;
		int64_t limit;	     /* bytes; -1: unlimited */
		int64_t reservation; /* bytes; -1: unlimited */
		int64_t swap;	     /* memory+swap bytes; -1: unlimited */
		int64_t kernel;	     /* ignored (a warning) */
		int64_t kernel_tcp;
		uint64_t swappiness; /* 0..100 */
		bool disable_oom_killer;
		bool use_hierarchy;
	} memory;
	struct {
		bool has_shares, has_quota, has_period, has_burst;
		bool has_rt_runtime, has_rt_period, has_idle;
		uint64_t shares;
		int64_t quota;	 /* µs; -1: unlimited */
		uint64_t period; /* µs */
		uint64_t burst;	 /* µs */
		int64_t rt_runtime;
		uint64_t rt_period;
		int64_t idle;
		char *cpus, *mems; /* NULL: absent */
	} cpu;
	bool has_pids_limit;
	int64_t pids_limit; /* <= 0: unlimited */
	struct {
		bool has_weight, has_leaf_weight;
		uint16_t weight, leaf_weight; /* 10..1000 */
		struct run_weight_device *weight_devices;
		size_t n_weight_devices;
		struct run_throttle_device *throttle[RUN_THROTTLE_KINDS];
		size_t n_throttle[RUN_THROTTLE_KINDS];
	} blkio;
	struct run_hugepage_limit *hugepages;
	size_t n_hugepages;
	bool has_devices;
	struct run_device_rule *devices;
	size_t n_devices;
	struct run_rdma_limit *rdma;
	size_t n_rdma;
	char **unified; /* "key", "value", ..., NULL; NULL: none */
};

/* Unpacks obj (a LinuxResources object) whose JSON path is path (e.g.
 * "linux.resources", or "" for an update document). On failure nothing is
 * returned and *err names the field. */
int run_resources_from_json(json_t *obj, const char *path, struct run_resources **ret,
			    struct oci_err **err);
/* The same from a buffer (a whole LinuxResources document); name prefixes
 * errors about the JSON syntax. */
int run_resources_parse(const char *buf, size_t len, const char *name,
			struct run_resources **ret, struct oci_err **err);
/* Reads FILE ("-": standard input) holding a LinuxResources document. */
int run_resources_load(const char *file, struct run_resources **ret, struct oci_err **err);

struct run_resources *run_resources_new(void);
void run_resources_free(struct run_resources *r);
DEFINE_CLEANUP(struct run_resources *, run_resources_free)

/* `oci-run update` flags as runc has them, without the leading "--":
 * blkio-weight, cpu-period, cpu-quota, cpu-rt-period, cpu-rt-runtime,
 * cpu-share, cpuset-cpus, cpuset-mems, memory, memory-reservation,
 * memory-swap, pids-limit, kernel-memory, kernel-memory-tcp. Memory sizes
 * take a b/k/m/g/t suffix (powers of 1024) or -1. NULL-terminated. */
extern const char *const run_update_flags[];
/* Sets the field of one flag; the error names the flag ("--memory: ..."). */
int run_resources_set_flag(struct run_resources *r, const char *flag, const char *value,
			   struct oci_err **err);
/* "512m" -> 536870912, "-1" -> -1. */
int run_parse_memory_size(const char *s, int64_t *ret);

/* Copies into dst every field set in src (for update: the new values
 * override the old ones; lists given in src replace dst's). */
void run_resources_merge(struct run_resources *dst, const struct run_resources *src);

/* Appends one device rule (access: a subset of "rwm"). */
void run_resources_add_device(struct run_resources *r, bool allow, char type, int64_t major,
			      int64_t minor, const char *access);
/* Appends the devices runc always allows (null, zero, full, random,
 * urandom, tty, console, ptmx, pts/<n>, and mknod of any char or block
 * device), after the config's own rules. */
void run_resources_add_default_devices(struct run_resources *r);

/* "c 1:3 rwm", "a *:* rwm": the v1 devices.allow syntax. Caller frees. */
char *run_device_rule_string(const struct run_device_rule *d);

/* Parses a hugepage size ("2MB", "1GB", "64KB", "2048kB") into bytes; 0 on error. */
uint64_t run_hugepage_size_bytes(const char *s);

/* Conversions that runc and crun use for cgroup v2. */
uint64_t run_cpu_shares_to_weight(uint64_t shares);	   /* 0 -> 0 */
uint64_t run_blkio_weight_to_io_weight(uint64_t weight); /* 0 -> 0 */
/* memory.swap.max from runtime-spec swap (memory+swap) and memory limit:
 * -1: "max", 0: leave alone, else the swap-only bytes. */
int run_memory_swap_to_v2(int64_t swap, int64_t memory, int64_t *ret, struct oci_err **err);

#endif
