/* CVE-2019-5736: the runtime binary must not be reachable for writing from
 * inside a container through /proc/PID/exe. Before a container is created,
 * oci-run re-executes itself from a sealed memfd copy of its binary; the
 * container's init inherits that copy. To keep memory bounded (runc#3973:
 * memfd copies of runc filled a node at 450 created containers) only the
 * loadable part of the ELF file is copied (no debug sections), once per
 * container, and it lives only until the init executes the user process. */
#ifndef OCI_RUN_MEMFD_EXEC_H
#define OCI_RUN_MEMFD_EXEC_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

/* Is the running binary a sealed memfd? */
bool run_binary_is_cloned(void);
/* Re-executes argv from a sealed copy unless already running from one;
 * returns only on failure (or at once when already cloned: 0). */
int run_ensure_cloned_binary(char *const argv[], struct oci_err **err);
/* The size that would be copied (for tests and the benchmark). */
int run_cloned_binary_size(size_t *ret, struct oci_err **err);

#endif
