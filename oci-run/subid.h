/* Subordinate ids (subuid(5), subgid(5)) for rootless containers: the
 * ranges of /etc/subuid and /etc/subgid given to a user, the mappings crun
 * makes from them, and the setuid helpers newuidmap/newgidmap that write
 * such mappings for an unprivileged caller. */
#ifndef OCI_RUN_SUBID_H
#define OCI_RUN_SUBID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "spec.h"

#define RUN_SUBUID_FILE "/etc/subuid"
#define RUN_SUBGID_FILE "/etc/subgid"

/* The kernel takes at most this many lines in uid_map/gid_map (4.15+). */
#define RUN_IDMAP_MAX_LINES 340

struct run_subid_range {
	uint32_t start, count;
};

/* The ranges that TEXT ("owner:start:count" lines) gives to the user whose
 * name is NAME (may be NULL) or whose uid UID is written in decimal, in
 * file order. Empty lines, '#' comments and malformed lines (a count of 0,
 * a range past 2^32, junk) are skipped, as newuidmap does. Returns how
 * many; *ret is NULL when none, else the caller frees it. Pure. */
size_t run_subid_parse(const char *text, size_t len, const char *name, uint32_t uid,
		       struct run_subid_range **ret);

/* The same from FILE; a missing file gives no ranges. */
int run_subid_read(const char *file, const char *name, uint32_t uid, struct run_subid_range **ret,
		   size_t *ret_n, struct oci_err **err);

/* crun's mappings for a rootless caller: OWN at container id 0, then the
 * ranges one after another from container id 1. A range that overlaps OWN
 * or an earlier range is left out, and the list stops at
 * RUN_IDMAP_MAX_LINES lines or the 2^32 container ids. Returns how many
 * (at least 1); the caller frees *ret. Pure. */
size_t run_subid_default_map(uint32_t own, const struct run_subid_range *r, size_t n,
			     struct run_idmap **ret);

/* How many ids the mappings cover (saturates at UINT32_MAX). */
uint64_t run_idmap_count(const struct run_idmap *m, size_t n);

/* Whether M maps OWN alone (one line, size 1): what an unprivileged process
 * may write into its child's map itself; anything else takes a helper. */
bool run_idmap_is_own_only(const struct run_idmap *m, size_t n, uint32_t own);

/* The full path of the executable NAME in PATH_ENV (':'-separated; empty
 * parts are the current directory); NULL when there is none. */
char *run_subid_find_helper(const char *name, const char *path_env);

/* The argv of newuidmap/newgidmap for PID and these mappings:
 * HELPER PID id host size ... NULL. Caller frees with oci_strv_free. */
char **run_subid_helper_argv(const char *helper, pid_t pid, const struct run_idmap *m, size_t n);

#endif
