/* Advisory locks on files with flock(2), for the store's concurrency. */
#ifndef OCI_LOCK_H
#define OCI_LOCK_H

#include <stdbool.h>

#include "err.h"

/* Opens (creating with 0644) the lock file PATH and takes an exclusive or a
 * shared lock on it, waiting for it; returns the fd holding the lock in
 * *ret_fd. Closing the fd releases the lock. */
int oci_lock_path(const char *path, bool exclusive, int *ret_fd, struct oci_err **err);
int oci_lock_pathat(int dirfd, const char *name, bool exclusive, int *ret_fd, struct oci_err **err);
/* Like oci_lock_path() but never waits: returns -EWOULDBLOCK when held. */
int oci_trylock_path(const char *path, bool exclusive, int *ret_fd, struct oci_err **err);

#endif
