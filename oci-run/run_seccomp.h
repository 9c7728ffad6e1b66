/* linux.seccomp of config.json: parsing, building with libseccomp, loading.
 * (Not named seccomp.h: the Makefile puts -Ioci-run first, and that name
 * would hide libseccomp's <seccomp.h>.)
 *
 * The filter is compiled to classic BPF in the runtime (run_seccomp_prepare)
 * so that every error is reported before the container starts; the init
 * only loads the ready program with seccomp(2) (run_seccomp_apply), as late
 * as possible before execve. With SCMP_ACT_NOTIFY the load returns a
 * listener fd, which the runtime hands to the agent at listenerPath with
 * run_seccomp_send_listener (runc's protocol: one message carrying the
 * container process state JSON and the fd as SCM_RIGHTS).
 *
 * Semantics follow runc: unknown syscall names are skipped (debug log),
 * rules whose action equals the default action are dropped, several
 * conditions on one argument become separate rules (OR), and syscalls
 * newer than the newest one named in the profile get ENOSYS instead of the
 * default errno unless the default action allows. */
#ifndef OCI_RUN_SECCOMP_H
#define OCI_RUN_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "err.h"

enum run_seccomp_act {
	RUN_SCMP_KILL, /* = KILL_THREAD */
	RUN_SCMP_KILL_PROCESS,
	RUN_SCMP_KILL_THREAD,
	RUN_SCMP_TRAP,
	RUN_SCMP_ERRNO,
	RUN_SCMP_TRACE,
	RUN_SCMP_ALLOW,
	RUN_SCMP_LOG,
	RUN_SCMP_NOTIFY,
};

struct run_seccomp_arg {
	unsigned index; /* 0..5 */
	uint64_t value, value_two;
	int op; /* enum scmp_compare */
};

struct run_seccomp_rule {
	char **names;
	enum run_seccomp_act act;
	bool has_errno;
	uint32_t errno_ret;
	struct run_seccomp_arg *args;
	size_t n_args;
};

struct run_seccomp {
	enum run_seccomp_act default_act;
	bool has_default_errno;
	uint32_t default_errno;
	uint32_t *arches; /* SCMP_ARCH_* tokens known to libseccomp */
	size_t n_arches;
	unsigned long flags; /* SECCOMP_FILTER_FLAG_* from "flags" */
	char *listener_path, *listener_metadata; /* NULL when absent */
	struct run_seccomp_rule *rules;
	size_t n_rules;
	bool uses_notify; /* some rule has SCMP_ACT_NOTIFY */

	char *path; /* "linux.seccomp": names the object in errors */

	/* Filled by run_seccomp_prepare(): struct sock_filter[prog_len]. */
	void *prog;
	size_t prog_len;
	size_t n_skipped; /* syscall names unknown to libseccomp */
};

/* Unpacks the linux.seccomp object v; path names it in errors
 * ("linux.seccomp"). Errors: "linux.seccomp.syscalls[3].action: unknown
 * action 'SCMP_ACT_FOO'". */
int run_seccomp_parse(json_t *v, const char *path, struct run_seccomp **ret,
		      struct oci_err **err);
void run_seccomp_free(struct run_seccomp *sc);
DEFINE_CLEANUP(struct run_seccomp *, run_seccomp_free)

/* Builds the filter with libseccomp and keeps it as BPF in sc->prog.
 * Call in the runtime before the container is started. */
int run_seccomp_prepare(struct run_seccomp *sc, struct oci_err **err);

/* run_seccomp_prepare() with the compiled program kept in cache_dir
 * (created 0700; a root-owned directory of the runtime, e.g. ROOT/seccomp),
 * keyed by a SHA-256 of the parsed profile, the libseccomp library, the
 * native architecture and the kernel release: a profile seen before costs
 * a file read instead of libseccomp's compilation (about 10 ms for Docker's
 * profile with its x86 and x32 compat architectures). A cache that cannot be
 * read or written is only logged (debug). cache_dir NULL: no cache. */
int run_seccomp_prepare_cached(struct run_seccomp *sc, const char *cache_dir,
			       struct oci_err **err);

/* Loads the prepared program into the calling thread (the container's
 * init, right before execve). Needs no_new_privs or CAP_SYS_ADMIN.
 * *ret_notify_fd gets the listener fd (O_CLOEXEC) when the profile uses
 * SCMP_ACT_NOTIFY, else -1; ret_notify_fd may be NULL when it does not.
 * Allocates only to report an error. */
int run_seccomp_apply(const struct run_seccomp *sc, int *ret_notify_fd, struct oci_err **err);

/* Connects to sc->listener_path and sends, in one message, the container
 * process state {"ociVersion","fds":["seccompFd"],"pid","metadata","state"}
 * with notify_fd attached. state_json is the runtime-spec state document
 * (run_state_json()); pid is the container process. */
int run_seccomp_send_listener(const struct run_seccomp *sc, int notify_fd, pid_t pid,
			      const char *state_json, struct oci_err **err);

/* linux.seccomp of `oci-run features`: enabled, actions, operators,
 * archs (those libseccomp knows), knownFlags, supportedFlags (the kernel's). */
json_t *run_seccomp_features(void);

/* The name of an action ("SCMP_ACT_ERRNO"). */
const char *run_seccomp_act_name(enum run_seccomp_act act);

/* A default profile with the semantics of Docker's default seccomp profile,
 * resolved for this architecture and for `runc spec`'s default capabilities
 * (CAP_AUDIT_WRITE, CAP_KILL, CAP_NET_BIND_SERVICE). */
json_t *run_seccomp_default_profile(void);
/* The same resolved for a capability set (bit N set: capability N held). */
json_t *run_seccomp_profile_for_caps(uint64_t caps);

#endif
