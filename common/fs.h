/* Files and paths: resolving under a root without escaping it, mkdir -p,
 * atomic writes, recursive removal. Every fd is opened O_CLOEXEC. */
#ifndef OCI_FS_H
#define OCI_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "err.h"

struct sbuf;

/* Opens PATH relative to the directory rootfd as if rootfd were "/": "..",
 * absolute paths and symlinks (absolute or relative) are all resolved inside
 * the root and can never escape it. Uses openat2(RESOLVE_IN_ROOT) where the
 * kernel has it and a component-by-component walk elsewhere. flags are
 * open(2) flags (O_CLOEXEC is always added); with O_CREAT only the last
 * component is created. O_NOFOLLOW on the last component is honoured. */
int oci_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct oci_err **err);

/* Opens the parent directory of PATH inside the root (creating missing
 * directories with mode dir_mode when mkdirs is true) and returns its fd;
 * *ret_name points into a copy owned by the caller ("" for the root itself). */
int oci_open_parent_in_root(int rootfd, const char *path, bool mkdirs, mode_t dir_mode,
			    char **ret_name, struct oci_err **err);

/* The same two, always with the component-by-component walk (never openat2):
 * what runs on kernels without openat2, exposed so tests cover both. */
int oci_open_in_root_fallback(int rootfd, const char *path, int flags, mode_t mode,
			      struct oci_err **err);
int oci_open_parent_in_root_fallback(int rootfd, const char *path, bool mkdirs, mode_t dir_mode,
				     char **ret_name, struct oci_err **err);

/* Resolves PATH inside the root to a canonical absolute path below it
 * (e.g. "/usr/bin/sh" after symlinks), without requiring the last component
 * to exist. */
int oci_resolve_in_root(int rootfd, const char *path, char **ret, struct oci_err **err);

/* Joins a and b with exactly one '/' between them. Caller frees. */
char *oci_path_join(const char *a, const char *b);

/* Collapses "//", "/./" and ".." lexically, never above "/" for absolute paths. */
char *oci_path_clean(const char *path);

int oci_mkdir_p(const char *path, mode_t mode, struct oci_err **err);
int oci_mkdirat_p(int dirfd, const char *path, mode_t mode, struct oci_err **err);

/* Writes a temporary file next to PATH, fsyncs it, renames it over PATH and
 * fsyncs the directory: a reader sees the old or the new content, never a mix. */
int oci_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct oci_err **err);
int oci_write_file_atomicat(int dirfd, const char *name, const void *data, size_t len,
			    mode_t mode, struct oci_err **err);

/* Reads a whole file (at most max bytes; 0: no limit). The buffer is
 * NUL-terminated; *ret_len excludes the NUL. */
int oci_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct oci_err **err);
int oci_read_fileat(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
		    struct oci_err **err);

/* Reads fd to its end, appending to sb (kept NUL-terminated). 0, -errno
 * of a failed read (EINTR retried), or -EFBIG once more than max bytes
 * (0: no limit) have come; sb keeps what was read either way. */
int oci_read_fd(int fd, size_t max, struct sbuf *sb);

int oci_write_all(int fd, const void *data, size_t len);

/* Removes PATH and everything under it, without following symlinks and
 * without crossing into other mounts. A missing PATH is not an error. */
int oci_rm_rf(const char *path, struct oci_err **err);
int oci_rm_rfat(int dirfd, const char *name, struct oci_err **err);

/* Creates a fresh directory "PREFIX.XXXXXX" and returns its path. */
int oci_mkdtemp(const char *prefix, char **ret, struct oci_err **err);

#endif
