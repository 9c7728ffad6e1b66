/* Extracting one layer tar below a root directory, safely.
 *
 * Two libarchive readers are chained: the first decompresses the blob (any
 * filter, "raw" format) while hashing the compressed bytes, the second
 * parses the tar from the first's output while hashing those bytes, so the
 * blob digest and the diff_id are both checked in the same pass. libarchive
 * never writes to disk here: every entry is created by us through a
 * directory fd that was resolved inside the root (oci_open_parent_in_root),
 * the last component is created with O_EXCL / O_NOFOLLOW and nothing is
 * ever followed out of the root. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "sbuf.h"
#include "util.h"

DEFINE_CLEANUP(struct archive *, archive_read_free)

#define READ_BLOCK (1024 * 1024)

struct chain {
	int fd;
	char *buf;
	struct oci_hasher *blob_hash; /* compressed bytes, or NULL */
	struct oci_hasher *tar_hash;  /* uncompressed bytes, or NULL */
	struct archive *raw;          /* the decompressing reader */
	bool raw_eof;
	int read_errno;
	uint64_t blob_bytes;
	uint64_t tar_bytes;
};

static ssize_t blob_read_cb(struct archive *a, void *data, const void **ret)
{
	struct chain *c = data;
	ssize_t n;
	do
		n = read(c->fd, c->buf, READ_BLOCK);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		c->read_errno = errno;
		archive_set_error(a, errno, "read: %s", strerror(errno));
		return -1;
	}
	if (c->blob_hash && n > 0)
		oci_hasher_update(c->blob_hash, c->buf, (size_t)n);
	c->blob_bytes += (uint64_t)n;
	*ret = c->buf;
	return n;
}

static ssize_t tar_read_cb(struct archive *a, void *data, const void **ret)
{
	struct chain *c = data;
	const void *buf;
	size_t size;
	la_int64_t off;
	if (c->raw_eof)
		return 0;
	for (;;) {
		int r = archive_read_data_block(c->raw, &buf, &size, &off);
		if (r == ARCHIVE_EOF) {
			c->raw_eof = true;
			return 0;
		}
		if (r < ARCHIVE_WARN) {
			archive_set_error(a, archive_errno(c->raw), "%s",
					  archive_error_string(c->raw));
			return -1;
		}
		if (size == 0)
			continue;
		if (c->tar_hash)
			oci_hasher_update(c->tar_hash, buf, size);
		c->tar_bytes += size;
		*ret = buf;
		return (ssize_t)size;
	}
}

/* A cache of the last parent directory, valid while entries only add new
 * files to it (anything that removes or replaces drops it). */
struct parent_cache {
	char *dir; /* clean absolute path of the directory */
	int fd;
};

static void parent_cache_drop(struct parent_cache *pc)
{
	free(pc->dir);
	pc->dir = NULL;
	if (pc->fd >= 0)
		close(pc->fd);
	pc->fd = -1;
}

/* An entry at PATH can replace PATH and so everything below it: a cached
 * directory there is stale. */
static void parent_cache_invalidate(struct parent_cache *pc, const char *path)
{
	if (!pc->dir)
		return;
	size_t n = strlen(path);
	if (strncmp(pc->dir, path, n) == 0 && (pc->dir[n] == '\0' || pc->dir[n] == '/'))
		parent_cache_drop(pc);
}

struct dir_time {
	char *path;
	struct timespec ts[2];
	mode_t mode; /* rootless: the mode to give back at the end, or 0 */
	bool has_mode;
};

struct xctx {
	int rootfd;
	const struct unpack_extract_opts *o;
	struct parent_cache pc;
	struct unpack_pathset *cur; /* flat mode */
	char **implicit;            /* directories made for entries without their own */
	struct unpack_pathset *timed; /* directories whose times are restored */
	struct unpack_pathset *explicit_dirs;
	struct dir_time *dirs;
	size_t n_dirs, alloc_dirs;
	uint64_t entries;
};

/* Splits clean absolute path into its parent and last name. */
static void split_path(const char *path, char **ret_dir, const char **ret_name)
{
	const char *slash = strrchr(path, '/');
	*ret_name = slash + 1;
	*ret_dir = slash == path ? xstrdup("/") : xstrndup(path, (size_t)(slash - path));
}

static void record_dir_time(struct xctx *x, const char *path, const struct timespec ts[2])
{
	if (x->n_dirs == x->alloc_dirs) {
		x->alloc_dirs = x->alloc_dirs ? 2 * x->alloc_dirs : 64;
		x->dirs = xrealloc(x->dirs, x->alloc_dirs * sizeof(*x->dirs));
	}
	struct dir_time *d = &x->dirs[x->n_dirs++];
	d->path = xstrdup(path);
	d->ts[0] = ts[0];
	d->ts[1] = ts[1];
	d->mode = 0;
	d->has_mode = false;
	unpack_pathset_add_one(x->timed, path);
}

/* Rootless: a directory that its owner may not write (0555, 0500...) is
 * made writable while the layer is written, and gets MODE back at the end
 * (root writes anyway; an unprivileged caller could not). */
static int keep_writable(struct xctx *x, int fd, const char *path, mode_t mode,
			 struct oci_err **err)
{
	if (!x->o->rootless || geteuid() == 0 || (mode & 0700) == 0700)
		return 0;
	if (fchmod(fd, (mode & 07777) | 0700) < 0)
		return oci_err_sys(err, "chmod '%s'", path);
	struct dir_time *d = &x->dirs[x->n_dirs - 1];
	d->mode = mode & 07777;
	d->has_mode = true;
	return 0;
}

/* Creates the missing directories of DIR (a clean absolute path), one
 * component at a time inside the root, remembering which it made. */
static int make_implicit_dirs(struct xctx *x, const char *dir, struct oci_err **err)
{
	for (const char *p = dir + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		_cleanup_free_ char *prefix = xstrndup(dir, (size_t)(p - dir));
		_cleanup_free_ char *name = NULL;
		_cleanup_close_ int pfd = oci_open_parent_in_root(x->rootfd, prefix, false, 0,
								  &name, err);
		if (pfd < 0)
			return pfd;
		if (mkdirat(pfd, name, 0755) == 0)
			oci_strv_push(&x->implicit, prefix);
		else if (errno != EEXIST)
			return oci_err_sys(err, "mkdir '%s'", prefix);
		if (*p == '\0')
			return 0;
	}
}

/* Returns a borrowed fd of the parent of PATH (created when missing). */
static int open_parent(struct xctx *x, const char *path, struct oci_err **err)
{
	_cleanup_free_ char *dir = NULL;
	const char *name;
	split_path(path, &dir, &name);
	if (x->pc.dir && streq(x->pc.dir, dir))
		return x->pc.fd;
	parent_cache_drop(&x->pc);
	_cleanup_free_ char *n = NULL;
	int fd = oci_open_parent_in_root(x->rootfd, path, false, 0, &n, err);
	if (fd < 0 && *err && (*err)->code == ENOENT) {
		oci_err_clear(err);
		int r = make_implicit_dirs(x, dir, err);
		if (r < 0)
			return r;
		fd = oci_open_parent_in_root(x->rootfd, path, false, 0, &n, err);
	}
	if (fd < 0)
		return fd;
	/* A directory of a lower layer that this one writes into keeps its
	 * times (flat mode), as umoci does. */
	struct stat st;
	if (x->o->flat && !unpack_pathset_has(x->timed, dir) && fstat(fd, &st) == 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		record_dir_time(x, dir, ts);
		int r = keep_writable(x, fd, dir, st.st_mode, err);
		if (r < 0) {
			close(fd);
			return r;
		}
	}
	x->pc.fd = fd;
	x->pc.dir = TAKE_PTR(dir);
	return fd;
}

static int map_ids(struct xctx *x, struct archive_entry *e, uid_t *ret_uid, gid_t *ret_gid,
		   struct oci_err **err)
{
	uint32_t u, g;
	la_int64_t eu = archive_entry_uid(e), eg = archive_entry_gid(e);
	if (eu < 0 || eu > UINT32_MAX - 1 || eg < 0 || eg > UINT32_MAX - 1)
		return oci_err_set(err, EINVAL, "'%s': invalid owner %lld:%lld",
				   archive_entry_pathname(e), (long long)eu, (long long)eg);
	if (unpack_idmap_apply(x->o->uid_map, x->o->n_uid_map, (uint32_t)eu, &u) < 0)
		return oci_err_set(err, EINVAL, "'%s': uid %lld is not in the uid map",
				   archive_entry_pathname(e), (long long)eu);
	if (unpack_idmap_apply(x->o->gid_map, x->o->n_gid_map, (uint32_t)eg, &g) < 0)
		return oci_err_set(err, EINVAL, "'%s': gid %lld is not in the gid map",
				   archive_entry_pathname(e), (long long)eg);
	*ret_uid = u;
	*ret_gid = g;
	return 0;
}

static bool xattr_allowed(const struct xctx *x, const char *name)
{
	/* Overlay's own attributes come only from whiteout entries: a layer
	 * must not forge redirects, metacopy or opacity. */
	if (startswith(name, "trusted.overlay.") || startswith(name, "user.overlay."))
		return false;
	/* rootless: the owner record is ours to write (umoci drops a layer's) */
	return !(x->o->rootless && streq(name, UNPACK_ROOTLESS_XATTR));
}

/* Sets xattrs through an fd (files, dirs) or through /proc/self/fd/PARENT/NAME
 * with l*xattr (devices, fifos; never symlinks' targets). */
static int apply_xattrs(struct xctx *x, struct archive_entry *e, int fd, int parentfd,
			const char *name, struct oci_err **err)
{
	const char *xn;
	const void *xv;
	size_t xs;
	if (archive_entry_xattr_reset(e) == 0)
		return 0;
	_cleanup_free_ char *proc = NULL;
	while (archive_entry_xattr_next(e, &xn, &xv, &xs) == ARCHIVE_OK) {
		if (!xattr_allowed(x, xn))
			continue;
		int r;
		if (fd >= 0) {
			r = fsetxattr(fd, xn, xv, xs, 0);
		} else {
			if (!proc)
				proc = xasprintf("/proc/self/fd/%d/%s", parentfd, name);
			r = lsetxattr(proc, xn, xv, xs, 0);
		}
		if (r < 0) {
			/* user.* xattrs cannot exist on symlinks or devices;
			 * a user namespace may not set trusted.* */
			if (errno == EPERM && (fd < 0 || x->o->userns))
				continue;
			if (errno == ENOTSUP)
				continue;
			return oci_err_sys(err, "setting xattr '%s' on '%s'", xn,
					   archive_entry_pathname(e));
		}
	}
	return 0;
}

/* Removes whatever is at parentfd/name (a file, or a whole tree). */
static int remove_existing(struct xctx *x, int parentfd, const char *name, struct oci_err **err)
{
	if (unlinkat(parentfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno == EISDIR || errno == EPERM)
		return unpack_rm_rfat(parentfd, name, err);
	return oci_err_sys(err, "removing '%s'", name);
}

/* Rootless: the image's owner, unless 0:0, in user.rootlesscontainers
 * (not on symlinks, which cannot have user.* xattrs); the file itself is
 * owned by the maps' host ids of 0 (the caller's own ids when not root). */
static int rootless_owner(struct xctx *x, struct archive_entry *e, int fd, int parentfd,
			  const char *name, bool symlink, uid_t *ret_uid, gid_t *ret_gid,
			  struct oci_err **err)
{
	la_int64_t eu = archive_entry_uid(e), eg = archive_entry_gid(e);
	if (eu < 0 || eu > UINT32_MAX - 1 || eg < 0 || eg > UINT32_MAX - 1)
		return oci_err_set(err, EINVAL, "'%s': invalid owner %lld:%lld",
				   archive_entry_pathname(e), (long long)eu, (long long)eg);
	uint32_t u, g;
	if (unpack_idmap_apply(x->o->uid_map, x->o->n_uid_map, 0, &u) < 0 ||
	    unpack_idmap_apply(x->o->gid_map, x->o->n_gid_map, 0, &g) < 0)
		return oci_err_set(err, EINVAL, "the uid and gid maps must map 0 (rootless)");
	*ret_uid = u;
	*ret_gid = g;
	if ((eu == 0 && eg == 0) || symlink)
		return 0;
	unsigned char buf[16];
	size_t n = unpack_rootless_xattr_encode(eu ? (uint32_t)eu : UNPACK_ROOTLESS_NOOP,
						eg ? (uint32_t)eg : UNPACK_ROOTLESS_NOOP, buf);
	int r;
	if (fd >= 0) {
		r = fsetxattr(fd, UNPACK_ROOTLESS_XATTR, buf, n, 0);
	} else {
		_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d/%s", parentfd, name);
		r = lsetxattr(proc, UNPACK_ROOTLESS_XATTR, buf, n, 0);
	}
	if (r < 0 && errno != EPERM && errno != ENOTSUP)
		return oci_err_sys(err, "setting %s on '%s'", UNPACK_ROOTLESS_XATTR,
				   archive_entry_pathname(e));
	return 0;
}

static int set_owner_mode(struct xctx *x, struct archive_entry *e, int fd, int parentfd,
			  const char *name, bool symlink, struct oci_err **err)
{
	uid_t uid = 0;
	gid_t gid = 0;
	int r = x->o->rootless
			? rootless_owner(x, e, fd, parentfd, name, symlink, &uid, &gid, err)
			: map_ids(x, e, &uid, &gid, err);
	if (r < 0)
		return r;
	if (x->o->rootless && geteuid() != 0)
		r = 0; /* the caller's own files: nothing to change */
	else if (fd >= 0)
		r = fchown(fd, uid, gid);
	else
		r = fchownat(parentfd, name, uid, gid, AT_SYMLINK_NOFOLLOW);
	if (r < 0 && !(errno == EPERM && geteuid() != 0))
		return oci_err_sys(err, "chown '%s'", archive_entry_pathname(e));
	if (symlink)
		return 0;
	mode_t mode = archive_entry_perm(e) & 07777;
	if (fd >= 0)
		r = fchmod(fd, mode);
	else
		r = fchmodat(parentfd, name, mode, 0);
	if (r < 0)
		return oci_err_sys(err, "chmod '%s'", archive_entry_pathname(e));
	return 0;
}

static void entry_times(struct archive_entry *e, struct timespec ts[2])
{
	ts[1].tv_sec = archive_entry_mtime(e);
	ts[1].tv_nsec = archive_entry_mtime_nsec(e);
	if (archive_entry_atime_is_set(e)) {
		ts[0].tv_sec = archive_entry_atime(e);
		ts[0].tv_nsec = archive_entry_atime_nsec(e);
	} else {
		ts[0] = ts[1];
	}
}

static int write_data(struct archive *a, struct archive_entry *e, int fd, struct oci_err **err)
{
	const void *buf;
	size_t size;
	la_int64_t off, end = 0;
	bool sparse = false;
	for (;;) {
		int r = archive_read_data_block(a, &buf, &size, &off);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return oci_err_set(err, archive_errno(a) > 0 ? archive_errno(a) : EIO,
					   "reading '%s': %s", archive_entry_pathname(e),
					   archive_error_string(a));
		if (off != end)
			sparse = true;
		const char *p = buf;
		size_t left = size;
		la_int64_t at = off;
		while (left > 0) {
			ssize_t n = pwrite(fd, p, left, at);
			if (n < 0) {
				if (errno == EINTR)
					continue;
				return oci_err_sys(err, "writing '%s'", archive_entry_pathname(e));
			}
			p += n;
			left -= (size_t)n;
			at += n;
		}
		end = off + (la_int64_t)size;
	}
	la_int64_t want = archive_entry_size_is_set(e) ? archive_entry_size(e) : end;
	if ((sparse || want != end) && want >= end && ftruncate(fd, want) < 0)
		return oci_err_sys(err, "truncating '%s'", archive_entry_pathname(e));
	return 0;
}

static int do_regular(struct xctx *x, struct archive *a, struct archive_entry *e, int parentfd,
		      const char *name, struct oci_err **err)
{
	_cleanup_close_ int fd = openat(parentfd, name,
					O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 && errno == EEXIST) {
		int r = remove_existing(x, parentfd, name, err);
		if (r < 0)
			return r;
		fd = openat(parentfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			    0600);
	}
	if (fd < 0)
		return oci_err_sys(err, "creating '%s'", archive_entry_pathname(e));
	int r = write_data(a, e, fd, err);
	if (r < 0)
		return r;
	r = set_owner_mode(x, e, fd, parentfd, name, false, err);
	if (r < 0)
		return r;
	r = apply_xattrs(x, e, fd, parentfd, name, err);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (futimens(fd, ts) < 0)
		return oci_err_sys(err, "setting times of '%s'", archive_entry_pathname(e));
	return 0;
}

static int do_dir(struct xctx *x, struct archive_entry *e, const char *path, int parentfd,
		  const char *name, struct oci_err **err)
{
	struct stat st;
	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode)) {
		int r = remove_existing(x, parentfd, name, err);
		if (r < 0)
			return r;
	}
	if (mkdirat(parentfd, name, 0700) < 0 && errno != EEXIST)
		return oci_err_sys(err, "mkdir '%s'", archive_entry_pathname(e));
	_cleanup_close_ int fd = openat(parentfd, name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "opening '%s'", archive_entry_pathname(e));
	int r = set_owner_mode(x, e, fd, parentfd, name, false, err);
	if (r < 0)
		return r;
	r = apply_xattrs(x, e, fd, parentfd, name, err);
	if (r < 0)
		return r;
	if (x->explicit_dirs)
		unpack_pathset_add_one(x->explicit_dirs, path);
	struct timespec ts[2];
	entry_times(e, ts);
	record_dir_time(x, path, ts);
	return keep_writable(x, fd, archive_entry_pathname(e), archive_entry_perm(e), err);
}

static int make_room(struct xctx *x, int parentfd, const char *name, struct oci_err **err)
{
	struct stat st;
	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : oci_err_sys(err, "stat '%s'", name);
	return remove_existing(x, parentfd, name, err);
}

static int do_symlink(struct xctx *x, struct archive_entry *e, int parentfd, const char *name,
		      struct oci_err **err)
{
	const char *target = archive_entry_symlink(e);
	if (!target)
		return oci_err_set(err, EINVAL, "'%s': symlink without a target",
				   archive_entry_pathname(e));
	int r = make_room(x, parentfd, name, err);
	if (r < 0)
		return r;
	if (symlinkat(target, parentfd, name) < 0)
		return oci_err_sys(err, "symlink '%s'", archive_entry_pathname(e));
	r = set_owner_mode(x, e, -1, parentfd, name, true, err);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(parentfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_sys(err, "setting times of '%s'", archive_entry_pathname(e));
	return 0;
}

static int do_hardlink(struct xctx *x, struct archive_entry *e, int parentfd, const char *name,
		       const char *target, struct oci_err **err)
{
	_cleanup_free_ char *abs = xasprintf("/%s", target);
	_cleanup_free_ char *clean = oci_path_clean(abs);
	_cleanup_free_ char *tname = NULL;
	if (streq(clean, "/"))
		return oci_err_set(err, EINVAL, "'%s': hardlink to the root",
				   archive_entry_pathname(e));
	_cleanup_close_ int tparent = oci_open_parent_in_root(x->rootfd, clean, false, 0, &tname,
							      err);
	if (tparent < 0)
		return oci_err_wrap(err, "'%s': hardlink target '%s'", archive_entry_pathname(e),
				    target);
	struct stat st;
	if (fstatat(tparent, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_sys(err, "'%s': hardlink target '%s' is not in the layer",
				   archive_entry_pathname(e), target);
	if (S_ISDIR(st.st_mode))
		return oci_err_set(err, EPERM, "'%s': hardlink to directory '%s'",
				   archive_entry_pathname(e), target);
	struct stat me;
	if (fstatat(parentfd, name, &me, AT_SYMLINK_NOFOLLOW) == 0) {
		if (me.st_ino == st.st_ino && me.st_dev == st.st_dev)
			return 0;
		int r = remove_existing(x, parentfd, name, err);
		if (r < 0)
			return r;
	}
	if (linkat(tparent, tname, parentfd, name, 0) < 0)
		return oci_err_sys(err, "hardlink '%s' to '%s'", archive_entry_pathname(e), target);
	return 0;
}

static int do_special(struct xctx *x, struct archive_entry *e, int parentfd, const char *name,
		      struct oci_err **err)
{
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFSOCK)
		return 0; /* as tar does: sockets are not restored */
	if ((x->o->rootless || x->o->userns) && (type == AE_IFCHR || type == AE_IFBLK)) {
		/* as umoci --rootless: an unprivileged caller cannot make them */
		oci_warn("%s: skipping device '%s' (rootless: device nodes cannot be created)",
			 x->o->what ? x->o->what : "layer", archive_entry_pathname(e));
		return 0;
	}
	int r = make_room(x, parentfd, name, err);
	if (r < 0)
		return r;
	dev_t dev = 0;
	if (type == AE_IFCHR || type == AE_IFBLK)
		dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	if (mknodat(parentfd, name, (type & S_IFMT) | 0600, dev) < 0) {
		if (errno == EPERM && geteuid() != 0 && type != AE_IFIFO) {
			/* rootless, as umoci: device nodes cannot be made */
			oci_debug("skipping device '%s': not root", archive_entry_pathname(e));
			return 0;
		}
		return oci_err_sys(err, "mknod '%s'", archive_entry_pathname(e));
	}
	r = set_owner_mode(x, e, -1, parentfd, name, false, err);
	if (r < 0)
		return r;
	r = apply_xattrs(x, e, -1, parentfd, name, err);
	if (r < 0)
		return r;
	struct timespec ts[2];
	entry_times(e, ts);
	if (utimensat(parentfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_sys(err, "setting times of '%s'", archive_entry_pathname(e));
	return 0;
}

/* Flat mode: a deletion in DIR (from a lower layer) keeps DIR's times. */
static void keep_dir_time(struct xctx *x, const char *dir)
{
	if (unpack_pathset_has(x->timed, dir))
		return;
	struct oci_err *e = NULL;
	_cleanup_close_ int fd = oci_open_in_root(x->rootfd, dir, O_RDONLY | O_DIRECTORY, 0, &e);
	oci_err_free(e);
	struct stat st;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		struct timespec ts[2] = { st.st_atim, st.st_mtim };
		record_dir_time(x, dir, ts);
		/* rootless: a lower layer's 0555 directory lets us delete in it */
		if (keep_writable(x, fd, dir, st.st_mode, &e) < 0)
			oci_err_free(e);
	}
}

static int do_whiteout(struct xctx *x, const char *path, const char *dir, const char *base,
		       struct oci_err **err)
{
	parent_cache_drop(&x->pc);
	if (x->o->flat)
		keep_dir_time(x, dir);
	if (streq(base, UNPACK_WH_OPAQUE)) {
		if (x->o->flat)
			return unpack_opaque_flat(x->rootfd, dir, x->cur, err);
		/* the directory itself (made, and remembered as implicit, if missing) */
		int fd = open_parent(x, path, err);
		if (fd < 0)
			return oci_err_wrap(err, "opaque directory '%s'", dir);
		return unpack_opaque_overlay(fd, x->o->rootless, err);
	}
	const char *target = base + strlen(UNPACK_WH_PREFIX);
	if (!*target || streq(target, ".") || streq(target, ".."))
		return oci_err_set(err, EINVAL, "invalid whiteout '%s'", path);
	_cleanup_free_ char *tpath = streq(dir, "/") ? xasprintf("/%s", target)
						     : xasprintf("%s/%s", dir, target);
	if (x->o->flat)
		return unpack_whiteout_flat(x->rootfd, tpath, x->cur, err);
	const char *name = target;
	int parentfd = open_parent(x, tpath, err); /* borrowed */
	if (parentfd < 0)
		return oci_err_wrap(err, "whiteout '%s'", path);
	struct stat st;
	if (fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
		/* the layer itself has it: a whiteout hides lower layers only;
		 * but a directory made only to hold other whiteouts gives way */
		if (!S_ISDIR(st.st_mode) || unpack_pathset_has(x->explicit_dirs, tpath))
			return 0;
		int r = unpack_rm_rfat(parentfd, name, err);
		if (r < 0)
			return r;
	}
	return unpack_whiteout_overlay(parentfd, name, err);
}

static int do_entry(struct xctx *x, struct archive *a, struct archive_entry *e,
		    struct oci_err **err)
{
	const char *raw = archive_entry_pathname(e);
	if (!raw || !*raw)
		return oci_err_set(err, EINVAL, "entry with no name");
	_cleanup_free_ char *abs = xasprintf("/%s", raw);
	_cleanup_free_ char *path = oci_path_clean(abs);
	if (streq(path, "/")) {
		/* the root itself ("./"): its owner, mode and times */
		if (archive_entry_filetype(e) != AE_IFDIR)
			return oci_err_set(err, EINVAL, "'%s': the root must be a directory", raw);
		int r = set_owner_mode(x, e, x->rootfd, -1, NULL, false, err);
		if (r < 0)
			return r;
		struct timespec ts[2];
		entry_times(e, ts);
		record_dir_time(x, "/", ts);
		return 0;
	}
	x->entries++;
	_cleanup_free_ char *dir = NULL;
	const char *base;
	split_path(path, &dir, &base);
	if (startswith(base, UNPACK_WH_PREFIX))
		return do_whiteout(x, path, dir, base, err);

	if (x->cur)
		unpack_pathset_add(x->cur, path);
	parent_cache_invalidate(&x->pc, path);
	int parentfd = open_parent(x, path, err);
	if (parentfd < 0) {
		if (*err && (*err)->code == ENAMETOOLONG) {
			/* do not print a name of many kilobytes */
			oci_err_clear(err);
			return oci_err_set(err, ENAMETOOLONG, "'%.64s...': name too long (%zu bytes)",
					   raw, strlen(raw));
		}
		return oci_err_wrap(err, "'%s'", raw);
	}

	const char *hl = archive_entry_hardlink(e);
	if (hl)
		return do_hardlink(x, e, parentfd, base, hl, err);
	switch (archive_entry_filetype(e)) {
	case AE_IFREG:
		return do_regular(x, a, e, parentfd, base, err);
	case AE_IFDIR:
		return do_dir(x, e, path, parentfd, base, err);
	case AE_IFLNK:
		return do_symlink(x, e, parentfd, base, err);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
	case AE_IFSOCK:
		return do_special(x, e, parentfd, base, err);
	default:
		return oci_err_set(err, EINVAL, "'%s': unknown entry type 0%o", raw,
				   (unsigned)archive_entry_filetype(e));
	}
}

static int set_dir_times(struct xctx *x, struct oci_err **err)
{
	_cleanup_(unpack_pathset_freep) struct unpack_pathset *done = unpack_pathset_new();
	for (size_t i = x->n_dirs; i-- > 0;) {
		struct dir_time *d = &x->dirs[i];
		if (unpack_pathset_has(done, d->path))
			continue; /* a later record (the layer's own entry) wins */
		unpack_pathset_add_one(done, d->path);
		_cleanup_close_ int fd = oci_open_in_root(x->rootfd, d->path,
							  O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0,
							  err);
		if (fd < 0) {
			/* removed or replaced by a later entry */
			oci_err_clear(err);
			continue;
		}
		if (d->has_mode && fchmod(fd, d->mode) < 0)
			return oci_err_sys(err, "chmod '%s'", d->path);
		if (futimens(fd, d->ts) < 0)
			return oci_err_sys(err, "setting times of '%s'", d->path);
	}
	return 0;
}

static void xctx_release(struct xctx *x)
{
	parent_cache_drop(&x->pc);
	for (size_t i = 0; i < x->n_dirs; i++)
		free(x->dirs[i].path);
	free(x->dirs);
	unpack_pathset_free(x->cur);
	unpack_pathset_free(x->explicit_dirs);
	unpack_pathset_free(x->timed);
	oci_strv_free(x->implicit);
}

static int archive_fail(struct archive *a, const char *what, struct oci_err **err)
{
	int code = archive_errno(a);
	return oci_err_set(err, code > 0 ? code : EINVAL, "%s: %s", what,
			   archive_error_string(a) ? archive_error_string(a) : "unknown error");
}

int unpack_extract(int blobfd, const struct oci_digest *blob_digest,
		   const struct oci_digest *diff_id, int rootfd,
		   const struct unpack_extract_opts *o, struct oci_err **err)
{
	const char *what = o->what ? o->what : "layer";
	_cleanup_free_ char *buf = xmalloc(READ_BLOCK);
	_cleanup_(oci_hasher_freep) struct oci_hasher *bh =
		blob_digest ? oci_hasher_new(blob_digest->alg) : NULL;
	_cleanup_(oci_hasher_freep) struct oci_hasher *th =
		diff_id ? oci_hasher_new(diff_id->alg) : NULL;
	struct chain c = { .fd = blobfd, .buf = buf, .blob_hash = bh, .tar_hash = th };

	_cleanup_(archive_read_freep) struct archive *raw = archive_read_new();
	/* Only the compressions layers use (never filters that would run an
	 * external program): gzip, zstd, and bzip2 and xz as Docker accepts. */
	archive_read_support_filter_gzip(raw);
	archive_read_support_filter_zstd(raw);
	archive_read_support_filter_bzip2(raw);
	archive_read_support_filter_xz(raw);
	archive_read_support_format_raw(raw);
	archive_read_support_format_empty(raw);
	if (archive_read_open(raw, &c, NULL, blob_read_cb, NULL) != ARCHIVE_OK)
		return archive_fail(raw, what, err);
	struct archive_entry *re;
	int r = archive_read_next_header(raw, &re);
	if (r == ARCHIVE_EOF)
		c.raw_eof = true;
	else if (r < ARCHIVE_WARN)
		return archive_fail(raw, what, err);
	c.raw = raw;

	_cleanup_(archive_read_freep) struct archive *tar = archive_read_new();
	archive_read_support_format_tar(tar);
	archive_read_support_format_empty(tar);
	if (archive_read_open(tar, &c, NULL, tar_read_cb, NULL) != ARCHIVE_OK)
		return archive_fail(tar, what, err);

	struct xctx x = { .rootfd = rootfd, .o = o, .pc = { NULL, -1 } };
	x.timed = unpack_pathset_new();
	if (o->flat)
		x.cur = unpack_pathset_new();
	else
		x.explicit_dirs = unpack_pathset_new();
	struct archive_entry *e;
	for (;;) {
		r = archive_read_next_header(tar, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			xctx_release(&x);
			return archive_fail(tar, what, err);
		}
		r = do_entry(&x, tar, e, err);
		if (r < 0) {
			xctx_release(&x);
			return oci_err_wrap(err, "%s", what);
		}
	}
	r = set_dir_times(&x, err);
	oci_debug("%s: %llu entries", what, (unsigned long long)x.entries);
	if (r >= 0 && o->ret_implicit) {
		/* only those that no entry of the layer described */
		for (char **p = x.implicit; p && *p; p++)
			if (!unpack_pathset_has(x.explicit_dirs, *p))
				oci_strv_push(o->ret_implicit, *p);
	}
	xctx_release(&x);
	if (r < 0)
		return oci_err_wrap(err, "%s", what);

	/* Hash whatever follows the tar's end (padding) and the blob's rest. */
	const void *dummy;
	while (tar_read_cb(tar, &c, &dummy) > 0)
		;
	if (!c.raw_eof)
		return archive_fail(tar, what, err);
	for (;;) {
		ssize_t n = read(blobfd, buf, READ_BLOCK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return oci_err_sys(err, "%s: read", what);
		if (n == 0)
			break;
		if (bh)
			oci_hasher_update(bh, buf, (size_t)n);
		c.blob_bytes += (uint64_t)n;
	}
	if (blob_digest && o->blob_size > 0 && c.blob_bytes != (uint64_t)o->blob_size)
		return oci_err_set(err, EINVAL, "%s: size %llu, but the manifest says %lld", what,
				   (unsigned long long)c.blob_bytes, (long long)o->blob_size);
	if (bh) {
		struct oci_digest got;
		oci_hasher_final(bh, &got);
		r = oci_digest_verify(blob_digest, &got, what, err);
		if (r < 0)
			return r;
	}
	if (th) {
		struct oci_digest got;
		oci_hasher_final(th, &got);
		_cleanup_free_ char *w = xasprintf("%s (uncompressed, diff_id)", what);
		r = oci_digest_verify(diff_id, &got, w, err);
		if (r < 0)
			return r;
	}
	return 0;
}
