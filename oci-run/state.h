/* The runtime's record of a container: ROOT/ID/ holds state.json (ours),
 * config.json (a copy of the bundle's, for poststop hooks at delete) and
 * exec.fifo while the container is created but not started. The directory
 * is locked with flock(2) while a command works on it. */
#ifndef OCI_RUN_STATE_H
#define OCI_RUN_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

enum run_status {
	RUN_CREATING,
	RUN_CREATED,
	RUN_RUNNING,
	RUN_STOPPED,
	RUN_PAUSED, /* running, with its cgroup frozen (set by run_refine_paused) */
};

struct run_state {
	char *id;
	pid_t pid;	     /* 0 while creating */
	uint64_t start_time; /* field 22 of /proc/PID/stat: guards against pid reuse */
	char *bundle;
	char *rootfs;
	char *created;	    /* RFC 3339, UTC */
	char *owner;	    /* "" as runc for root */
	char **annotations; /* k, v, ..., NULL */
	bool has_pidns;	    /* the container has its own pid namespace */
	bool ready;	    /* create finished: the init waits on exec.fifo */
	bool started;	    /* `start` ran */
	/* computed by run_state_status() */
	enum run_status status;
};

void run_state_free(struct run_state *s);
DEFINE_CLEANUP(struct run_state *, run_state_free)

const char *run_status_name(enum run_status s);

/* "[A-Za-z0-9_+.-]+", not "." or "..": else an error naming the id. */
int run_check_id(const char *id, struct oci_err **err);

/* Creates ROOT/ID (failing if it exists) and returns an fd on it, locked. */
int run_state_dir_create(const char *root, const char *id, int *ret_dirfd, struct oci_err **err);
/* Opens ROOT/ID and locks it (exclusive or shared); "container 'ID' does not exist". */
int run_state_dir_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
		       struct oci_err **err);
/* The same without a lock, for readers (state): files are replaced by
 * rename, so a reader never sees half a file, and a container being
 * created shows as "creating" instead of making the reader wait. */
int run_state_dir_open_unlocked(const char *root, const char *id, int *ret_dirfd,
				struct oci_err **err);

int run_state_write(int dirfd, const struct run_state *s, struct oci_err **err);
/* Replaces NAME in the state directory atomically (rename), without fsync:
 * runtime state lives on a tmpfs (/run) and does not survive a reboot. */
int run_state_write_file(int dirfd, const char *name, const void *data, size_t len,
			 struct oci_err **err);
/* Reads state.json and computes the status from the process and exec.fifo. */
int run_state_read(int dirfd, const char *id, struct run_state **ret, struct oci_err **err);
/* run_state_dir_open then run_state_read: the locked directory and the
 * container's state. */
int run_state_open(const char *root, const char *id, bool exclusive, int *ret_dirfd,
		   struct run_state **ret, struct oci_err **err);

/* Is PID alive, not a zombie, and started at start_time? */
bool run_pid_alive(pid_t pid, uint64_t start_time);
/* Field 22 of /proc/PID/stat; 0 when the process is gone. */
uint64_t run_pid_start_time(pid_t pid);

/* The runtime-spec state document (plus runc's rootfs, created, owner). */
char *run_state_json(const struct run_state *s, bool indent);

/* Removes ROOT/ID (the caller holds the lock). */
int run_state_dir_remove(const char *root, const char *id, struct oci_err **err);

/* The ids under ROOT (sorted). */
int run_state_list_ids(const char *root, char ***ret, struct oci_err **err);

#endif
