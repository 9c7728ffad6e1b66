/* Messages between oci-run and the container's init over a SOCK_SEQPACKET
 * socketpair: one packet each, a type, a number and optional text. */
#ifndef OCI_RUN_SYNC_H
#define OCI_RUN_SYNC_H

#include "err.h"

enum run_sync_type {
	RUN_SYNC_IDMAP_REQ = 1, /* child: write my uid/gid maps (value: my pid) */
	RUN_SYNC_IDMAP_ACK,	/* parent: done */
	RUN_SYNC_PID,		/* child: the init's pid (value), seen from the parent */
	RUN_SYNC_PID_ACK,	/* parent: the init is in its cgroup */
	RUN_SYNC_HOOKS_REQ,	/* init: mounts done, run prestart/createRuntime */
	RUN_SYNC_HOOKS_ACK,	/* parent: done (value: init pid) */
	RUN_SYNC_READY,		/* init: set up, waiting on exec.fifo */
	RUN_SYNC_ERROR,		/* child: failed (value: errno, text: message) */
	RUN_SYNC_SECCOMP,	/* init: the seccomp notify fd follows (run_send_fd) */
	RUN_SYNC_SECCOMP_ACK,	/* parent: handed to the agent at listenerPath */
};

struct run_sync_msg {
	int type;
	int value;
	char *text; /* owned; may be NULL */
};

int run_sync_send(int fd, int type, int value, const char *text, struct oci_err **err);
/* Receives one message; EOF gives -EPIPE with "init exited unexpectedly". */
int run_sync_recv(int fd, struct run_sync_msg *ret, struct oci_err **err);
/* Receives a message of the given type; RUN_SYNC_ERROR becomes the error. */
int run_sync_expect(int fd, int type, int *ret_value, struct oci_err **err);

/* Sends/receives one fd with SCM_RIGHTS (and a short text payload). */
int run_send_fd(int sock, int fd, const char *text, struct oci_err **err);
int run_recv_fd(int sock, int *ret_fd, struct oci_err **err);

struct run_seccomp;
/* In a child (the init or an exec'd process): loads the prepared seccomp
 * filter; with SCMP_ACT_NOTIFY, hands the listener fd to the parent
 * (RUN_SYNC_SECCOMP, then the fd) and waits for RUN_SYNC_SECCOMP_ACK. */
int run_sync_seccomp_apply(int sync_fd, const struct run_seccomp *sc, struct oci_err **err);

#endif
