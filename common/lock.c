/* Advisory locks with flock(2). */
#include "lock.h"

#include <fcntl.h>
#include <sys/file.h>

static int lock_fd(int fd, int op, const char *name, int *ret_fd, struct oci_err **err)
{
	while (flock(fd, op) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == EWOULDBLOCK)
			return oci_err_set(err, EWOULDBLOCK, "'%s' is locked by another process",
					   name);
		return oci_err_sys(err, "lock '%s'", name);
	}
	*ret_fd = fd;
	return 0;
}

int oci_lock_pathat(int dirfd, const char *name, bool exclusive, int *ret_fd, struct oci_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return oci_err_sys(err, "open lock file '%s'", name);
	int r = lock_fd(fd, exclusive ? LOCK_EX : LOCK_SH, name, ret_fd, err);
	if (r < 0)
		return r;
	fd = -1; /* now owned by the caller */
	return 0;
}

int oci_lock_path(const char *path, bool exclusive, int *ret_fd, struct oci_err **err)
{
	return oci_lock_pathat(AT_FDCWD, path, exclusive, ret_fd, err);
}

int oci_trylock_path(const char *path, bool exclusive, int *ret_fd, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOCTTY, 0644);
	if (fd < 0)
		return oci_err_sys(err, "open lock file '%s'", path);
	int r = lock_fd(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB, path, ret_fd, err);
	if (r < 0)
		return r;
	fd = -1;
	return 0;
}
