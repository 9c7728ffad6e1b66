#include "fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sbuf.h"
#include "util.h"

/* Symlinks followed in one resolution before giving up (Linux's limit). */
#define OCI_MAX_SYMLINKS 40

/* ------------------------------------------------------------------ */
/* Resolution inside a root: the component-by-component walk.          */

enum walk_mode {
	WALK_OPEN,    /* open the final component with the caller's flags */
	WALK_RESOLVE, /* return the canonical path; the last one may be missing */
};

struct walk {
	int rootfd;
	enum walk_mode mode;
	int flags;
	mode_t fmode;
	bool mkdirs; /* create missing intermediate directories */
	mode_t dir_mode;
	int cur;	    /* O_PATH fd of the directory reached so far */
	struct sbuf canon;  /* its path below the root: "" or "/a/b" */
	struct sbuf remain; /* what is left to resolve */
	int links;
};

static int open_root(int rootfd)
{
	int fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Opens canon (a path of real directories below the root) again, one
 * component at a time without following anything: used after "..". */
static int reopen_canon(int rootfd, const char *canon)
{
	_cleanup_close_ int cur = open_root(rootfd);
	if (cur < 0)
		return cur;
	const char *p = canon;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		_cleanup_free_ char *comp = xstrndup(p, n);
		int fd = openat(cur, comp, O_PATH | O_NOFOLLOW | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		close(cur);
		cur = fd;
		p += n;
	}
	return TAKE_FD(cur);
}

static int read_link_fd(int fd, char **ret)
{
	size_t size = 256;
	for (;;) {
		_cleanup_free_ char *buf = xmalloc(size);
		ssize_t n = readlinkat(fd, "", buf, size);
		if (n < 0)
			return -errno;
		if ((size_t)n < size) {
			buf[n] = '\0';
			*ret = TAKE_PTR(buf);
			return 0;
		}
		if (size >= 65536)
			return -ENAMETOOLONG;
		size *= 2;
	}
}

/* Replaces what is left with TARGET followed by REST (which is "" or
 * starts with '/'); an absolute target restarts at the root. */
static int walk_follow(struct walk *w, int linkfd, const char *rest)
{
	if (++w->links > OCI_MAX_SYMLINKS)
		return -ELOOP;
	_cleanup_free_ char *target = NULL;
	int r = read_link_fd(linkfd, &target);
	if (r < 0)
		return r;
	if (!*target)
		return -ENOENT;
	if (target[0] == '/') {
		r = open_root(w->rootfd);
		if (r < 0)
			return r;
		close(w->cur);
		w->cur = r;
		sbuf_reset(&w->canon);
	}
	struct sbuf next = SBUF_INIT;
	sbuf_addstr(&next, target);
	sbuf_addstr(&next, rest);
	sbuf_release(&w->remain);
	w->remain = next;
	return 0;
}

static int walk_enter(struct walk *w, int fd, const char *comp)
{
	close(w->cur);
	w->cur = fd;
	sbuf_addch(&w->canon, '/');
	sbuf_addstr(&w->canon, comp);
	return 0;
}

static int walk_dotdot(struct walk *w)
{
	char *slash = strrchr(w->canon.buf, '/');
	if (!slash)
		return 0; /* at the root: ".." stays there */
	sbuf_truncate(&w->canon, (size_t)(slash - w->canon.buf));
	int fd = reopen_canon(w->rootfd, w->canon.buf);
	if (fd < 0)
		return fd;
	close(w->cur);
	w->cur = fd;
	return 0;
}

/* Runs the walk. Returns an fd (WALK_OPEN) or 0 (WALK_RESOLVE), or -errno. */
static int walk_run(struct walk *w)
{
	for (;;) {
		const char *p = w->remain.buf;
		while (*p == '/')
			p++;
		if (!*p) {
			/* Everything resolved: the result is the directory itself. */
			if (w->mode == WALK_RESOLVE)
				return 0;
			int fd = openat(w->cur, ".", w->flags | O_CLOEXEC, w->fmode);
			return fd < 0 ? -errno : fd;
		}
		size_t n = strcspn(p, "/");
		_cleanup_free_ char *comp = xstrndup(p, n);
		_cleanup_free_ char *rest = xstrdup(p + n);
		bool last = !*rest; /* "a/" is "a/." : a must be a directory */
		sbuf_reset(&w->remain);
		sbuf_addstr(&w->remain, rest);

		if (streq(comp, "."))
			continue;
		if (streq(comp, "..")) {
			int r = walk_dotdot(w);
			if (r < 0)
				return r;
			continue;
		}

		if (last && w->mode == WALK_OPEN) {
			bool nofollow = (w->flags & O_NOFOLLOW) ||
					((w->flags & O_CREAT) && (w->flags & O_EXCL));
			if (!nofollow) {
				_cleanup_close_ int lfd =
					openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
				struct stat st;
				if (lfd >= 0 && fstat(lfd, &st) == 0 && S_ISLNK(st.st_mode)) {
					int r = walk_follow(w, lfd, "");
					if (r < 0)
						return r;
					continue;
				}
				if (lfd < 0 && !(errno == ENOENT && (w->flags & O_CREAT)))
					return -errno;
			}
			/* Never follow here: a symlink that appeared since is ELOOP. */
			int fd = openat(w->cur, comp, w->flags | O_NOFOLLOW | O_CLOEXEC, w->fmode);
			return fd < 0 ? -errno : fd;
		}

		int fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT && w->mode == WALK_RESOLVE && last) {
			sbuf_addch(&w->canon, '/');
			sbuf_addstr(&w->canon, comp);
			return 0;
		}
		if (fd < 0 && errno == ENOENT && w->mkdirs) {
			if (mkdirat(w->cur, comp, w->dir_mode) < 0 && errno != EEXIST)
				return -errno;
			fd = openat(w->cur, comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		}
		if (fd < 0)
			return -errno;
		struct stat st;
		if (fstat(fd, &st) < 0) {
			int e = -errno;
			close(fd);
			return e;
		}
		if (S_ISLNK(st.st_mode)) {
			int r = walk_follow(w, fd, rest);
			close(fd);
			if (r < 0)
				return r;
			continue;
		}
		if (S_ISDIR(st.st_mode)) {
			walk_enter(w, fd, comp);
			continue;
		}
		if (last && w->mode == WALK_RESOLVE) {
			close(fd);
			sbuf_addch(&w->canon, '/');
			sbuf_addstr(&w->canon, comp);
			return 0;
		}
		close(fd);
		return -ENOTDIR;
	}
}

static void walk_release(struct walk *w)
{
	if (w->cur >= 0)
		close(w->cur);
	w->cur = -1;
	sbuf_release(&w->canon);
	sbuf_release(&w->remain);
}

static int walk_start(struct walk *w, const char *path)
{
	sbuf_init(&w->canon);
	sbuf_init(&w->remain);
	sbuf_addstr(&w->remain, path);
	w->links = 0;
	w->cur = open_root(w->rootfd);
	return w->cur < 0 ? w->cur : 0;
}

/* Returns an fd or -errno. */
static int walk_open(int rootfd, const char *path, int flags, mode_t mode, bool mkdirs,
		     mode_t dir_mode)
{
	struct walk w = { .rootfd = rootfd, .mode = WALK_OPEN, .flags = flags, .fmode = mode,
			  .mkdirs = mkdirs, .dir_mode = dir_mode, .cur = -1 };
	int r = walk_start(&w, path);
	if (r >= 0)
		r = walk_run(&w);
	walk_release(&w);
	return r;
}

static int do_openat2(int rootfd, const char *path, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | __O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int tries = 0;; tries++) {
		long fd = syscall(SYS_openat2, rootfd, path, &how, sizeof(how));
		if (fd >= 0)
			return (int)fd;
		/* EAGAIN: a rename raced with ".." resolution; try again. */
		if ((errno == EAGAIN || errno == EINTR) && tries < 32)
			continue;
		return -errno;
	}
}

static int open_in_root(int rootfd, const char *path, int flags, mode_t mode, bool use_openat2,
			struct oci_err **err)
{
	if (!path || !*path)
		path = ".";
	int fd = -ENOSYS;
	if (use_openat2)
		fd = do_openat2(rootfd, path, flags, mode);
	/* ENOSYS: no openat2; EPERM: a seccomp filter that does not know it. */
	if (fd == -ENOSYS || fd == -EPERM)
		fd = walk_open(rootfd, path, flags, mode, false, 0);
	if (fd < 0)
		return oci_err_set(err, -fd, "open '%s': %s", path, strerror(-fd));
	return fd;
}

int oci_open_in_root(int rootfd, const char *path, int flags, mode_t mode, struct oci_err **err)
{
	return open_in_root(rootfd, path, flags, mode, true, err);
}

int oci_open_in_root_fallback(int rootfd, const char *path, int flags, mode_t mode,
			      struct oci_err **err)
{
	return open_in_root(rootfd, path, flags, mode, false, err);
}

static int open_parent_in_root(int rootfd, const char *path, bool mkdirs, mode_t dir_mode,
			       char **ret_name, bool use_openat2, struct oci_err **err)
{
	_cleanup_free_ char *copy = xstrdup(path ? path : "");
	size_t len = strlen(copy);
	while (len > 0 && copy[len - 1] == '/')
		copy[--len] = '\0';
	char *slash = strrchr(copy, '/');
	const char *dir = ".";
	char *name = copy;
	if (slash) {
		*slash = '\0';
		name = slash + 1;
		dir = *copy ? copy : "/";
	}
	if (streq(name, ".."))
		return oci_err_set(err, EINVAL, "path '%s' ends in '..'", path);
	if (streq(name, "."))
		name = copy + len; /* "" */
	if (!slash && !*name)
		dir = ".";

	int flags = O_RDONLY | O_DIRECTORY;
	int fd = -ENOSYS;
	if (use_openat2)
		fd = do_openat2(rootfd, dir, flags, 0);
	if (fd == -ENOSYS || fd == -EPERM || (fd == -ENOENT && mkdirs)) {
		/* "dir/" : every component of dir is a directory to enter (and
		 * create), then "." is opened. */
		_cleanup_free_ char *dirslash = xasprintf("%s/", dir);
		fd = walk_open(rootfd, dirslash, flags, 0, mkdirs, dir_mode);
	}
	if (fd < 0)
		return oci_err_set(err, -fd, "open parent directory of '%s': %s", path,
				   strerror(-fd));
	*ret_name = xstrdup(name);
	return fd;
}

int oci_open_parent_in_root(int rootfd, const char *path, bool mkdirs, mode_t dir_mode,
			    char **ret_name, struct oci_err **err)
{
	return open_parent_in_root(rootfd, path, mkdirs, dir_mode, ret_name, true, err);
}

int oci_open_parent_in_root_fallback(int rootfd, const char *path, bool mkdirs, mode_t dir_mode,
				     char **ret_name, struct oci_err **err)
{
	return open_parent_in_root(rootfd, path, mkdirs, dir_mode, ret_name, false, err);
}

int oci_resolve_in_root(int rootfd, const char *path, char **ret, struct oci_err **err)
{
	struct walk w = { .rootfd = rootfd, .mode = WALK_RESOLVE, .cur = -1 };
	int r = walk_start(&w, path ? path : "");
	if (r >= 0)
		r = walk_run(&w);
	if (r < 0) {
		walk_release(&w);
		return oci_err_set(err, -r, "resolve '%s': %s", path, strerror(-r));
	}
	*ret = w.canon.len ? xstrdup(w.canon.buf) : xstrdup("/");
	walk_release(&w);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Lexical paths.                                                      */

char *oci_path_join(const char *a, const char *b)
{
	if (!a || !*a)
		return xstrdup(b ? b : "");
	if (!b || !*b)
		return xstrdup(a);
	size_t la = strlen(a);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (*b == '/')
		b++;
	return xasprintf("%.*s/%s", (int)la, a, b);
}

char *oci_path_clean(const char *path)
{
	bool abs = path[0] == '/';
	size_t cap = strlen(path) / 2 + 2, n = 0;
	_cleanup_free_ const char **start = xcalloc(cap, sizeof(*start));
	_cleanup_free_ size_t *lens = xcalloc(cap, sizeof(*lens));
	for (const char *p = path; *p;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t len = strcspn(p, "/");
		bool dotdot = len == 2 && p[0] == '.' && p[1] == '.';
		if (len == 1 && p[0] == '.') {
			/* nothing */
		} else if (dotdot && n > 0 && !(lens[n - 1] == 2 && !strncmp(start[n - 1], "..", 2))) {
			n--;
		} else if (dotdot && abs) {
			/* ".." at "/" stays at "/" */
		} else {
			start[n] = p;
			lens[n] = len;
			n++;
		}
		p += len;
	}
	struct sbuf out = SBUF_INIT;
	if (abs)
		sbuf_addch(&out, '/');
	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			sbuf_addch(&out, '/');
		sbuf_add(&out, start[i], lens[i]);
	}
	if (out.len == 0)
		sbuf_addch(&out, '.');
	return sbuf_detach(&out, NULL);
}

/* ------------------------------------------------------------------ */
/* Directories, files.                                                 */

int oci_mkdirat_p(int dirfd, const char *path, mode_t mode, struct oci_err **err)
{
	_cleanup_close_ int cur = -1;
	const char *p = path;
	if (*p == '/')
		cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	else
		cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return oci_err_sys(err, "mkdir '%s'", path);
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		size_t n = strcspn(p, "/");
		_cleanup_free_ char *comp = xstrndup(p, n);
		int fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0 && errno == ENOENT) {
			if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
				return oci_err_sys(err, "mkdir '%.*s'", (int)(p + n - path), path);
			fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_CLOEXEC);
		}
		if (fd < 0)
			return oci_err_sys(err, "mkdir '%.*s'", (int)(p + n - path), path);
		close(cur);
		cur = fd;
		p += n;
	}
	return 0;
}

int oci_mkdir_p(const char *path, mode_t mode, struct oci_err **err)
{
	return oci_mkdirat_p(AT_FDCWD, path, mode, err);
}

int oci_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Splits NAME into an opened directory fd and its last component. */
static int open_dir_of(int dirfd, const char *name, char **ret_base)
{
	_cleanup_free_ char *copy = xstrdup(name);
	char *slash = strrchr(copy, '/');
	if (!slash) {
		int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
		*ret_base = TAKE_PTR(copy);
		return fd;
	}
	*slash = '\0';
	int fd = openat(dirfd, *copy ? copy : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*ret_base = xstrdup(slash + 1);
	return fd;
}

int oci_write_file_atomicat(int dirfd, const char *name, const void *data, size_t len,
			    mode_t mode, struct oci_err **err)
{
	_cleanup_free_ char *base = NULL;
	_cleanup_close_ int dfd = open_dir_of(dirfd, name, &base);
	if (dfd < 0) {
		errno = -dfd;
		return oci_err_sys(err, "write '%s': open directory", name);
	}
	if (!*base)
		return oci_err_set(err, EISDIR, "write '%s': not a file name", name);

	_cleanup_free_ char *tmp = NULL;
	_cleanup_close_ int fd = -1;
	for (int tries = 0; fd < 0; tries++) {
		uint64_t rnd = 0;
		if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
			rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&rnd ^ (uint64_t)tries;
		free(tmp);
		/* Keep the temporary name within NAME_MAX. */
		tmp = xasprintf(".%.200s.tmp-%016llx", base, (unsigned long long)rnd);
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
		if (fd < 0 && (errno != EEXIST || tries >= 16))
			return oci_err_sys(err, "write '%s': create temporary file", name);
	}
	int r = 0;
	if (fchmod(fd, mode) < 0)
		r = -errno;
	if (r == 0)
		r = oci_write_all(fd, data, len);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0) {
		int f = TAKE_FD(fd);
		if (close(f) < 0 && errno != EINTR)
			r = -errno;
	}
	if (r == 0 && renameat(dfd, tmp, dfd, base) < 0)
		r = -errno;
	if (r < 0) {
		unlinkat(dfd, tmp, 0);
		return oci_err_set(err, -r, "write '%s': %s", name, strerror(-r));
	}
	if (fsync(dfd) < 0 && errno != EINVAL)
		return oci_err_sys(err, "write '%s': sync directory", name);
	return 0;
}

int oci_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
			  struct oci_err **err)
{
	return oci_write_file_atomicat(AT_FDCWD, path, data, len, mode, err);
}

int oci_read_fd(int fd, size_t max, struct sbuf *sb)
{
	size_t start = sb->len;
	for (;;) {
		if (sb->alloc - sb->len < 4096)
			sbuf_grow(sb, 65536);
		ssize_t n = read(fd, sb->buf + sb->len, sb->alloc - sb->len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return 0;
		sb->len += (size_t)n;
		sb->buf[sb->len] = '\0';
		if (max && sb->len - start > max)
			return -EFBIG;
	}
}

int oci_read_fileat(int dirfd, const char *name, size_t max, char **ret, size_t *ret_len,
		    struct oci_err **err)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", name);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	int r = oci_read_fd(fd, max, &sb);
	if (r == -EFBIG)
		return oci_err_set(err, EFBIG, "read '%s': larger than %zu bytes", name, max);
	if (r < 0)
		return oci_err_set(err, -r, "read '%s': %s", name, strerror(-r));
	size_t len = 0;
	*ret = sbuf_detach(&sb, &len);
	if (ret_len)
		*ret_len = len;
	return 0;
}

int oci_read_file(const char *path, size_t max, char **ret, size_t *ret_len, struct oci_err **err)
{
	return oci_read_fileat(AT_FDCWD, path, max, ret, ret_len, err);
}

/* ------------------------------------------------------------------ */
/* Recursive removal.                                                  */

static bool is_mount_root(int dirfd, const char *name, dev_t dev, const struct stat *st)
{
	if (st->st_dev != dev)
		return true;
	struct statx stx;
	if (statx(dirfd, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &stx) == 0 &&
	    (stx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) &&
	    (stx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
		return true;
	return false;
}

/* Empties the directory fd (which it takes over and closes; its path is in
 * path, for messages). One descriptor per level of depth. */
static int rm_contents(int fd, dev_t dev, struct sbuf *path, struct oci_err **err)
{
	_cleanup_closedir_ DIR *d = fdopendir(fd);
	if (!d) {
		closep(&fd);
		return oci_err_sys(err, "remove '%s'", path->buf);
	}
	int dfd = dirfd(d);
	for (;;) {
		errno = 0;
		struct dirent *de = readdir(d);
		if (!de) {
			if (errno)
				return oci_err_sys(err, "read directory '%s'", path->buf);
			break;
		}
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		size_t oldlen = path->len;
		sbuf_addch(path, '/');
		sbuf_addstr(path, de->d_name);
		struct stat st;
		if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT) {
				sbuf_truncate(path, oldlen);
				continue;
			}
			return oci_err_sys(err, "remove '%s'", path->buf);
		}
		if (S_ISDIR(st.st_mode)) {
			if (is_mount_root(dfd, de->d_name, dev, &st))
				return oci_err_set(err, EBUSY,
						   "remove '%s': a mount point; not crossing it",
						   path->buf);
			_cleanup_close_ int cfd = openat(dfd, de->d_name,
							 O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
								 O_CLOEXEC);
			if (cfd < 0)
				return oci_err_sys(err, "remove '%s'", path->buf);
			struct stat cst;
			if (fstat(cfd, &cst) < 0)
				return oci_err_sys(err, "remove '%s'", path->buf);
			if (cst.st_dev != st.st_dev || cst.st_ino != st.st_ino)
				return oci_err_set(err, EBUSY, "remove '%s': changed while removing",
						   path->buf);
			int r = rm_contents(TAKE_FD(cfd), dev, path, err);
			if (r < 0)
				return r;
			if (unlinkat(dfd, de->d_name, AT_REMOVEDIR) < 0 && errno != ENOENT)
				return oci_err_sys(err, "remove '%s'", path->buf);
		} else if (unlinkat(dfd, de->d_name, 0) < 0 && errno != ENOENT) {
			return oci_err_sys(err, "remove '%s'", path->buf);
		}
		sbuf_truncate(path, oldlen);
	}
	return 0;
}

int oci_rm_rfat(int dirfd, const char *name, struct oci_err **err)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_sys(err, "remove '%s'", name);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
			return oci_err_sys(err, "remove '%s'", name);
		return 0;
	}
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "remove '%s'", name);
	struct stat fst;
	if (fstat(fd, &fst) < 0)
		return oci_err_sys(err, "remove '%s'", name);
	if (fst.st_dev != st.st_dev || fst.st_ino != st.st_ino)
		return oci_err_set(err, EBUSY, "remove '%s': changed while removing", name);
	_cleanup_sbuf_ struct sbuf path = SBUF_INIT;
	sbuf_addstr(&path, name);
	int r = rm_contents(TAKE_FD(fd), st.st_dev, &path, err);
	if (r < 0)
		return r;
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return oci_err_sys(err, "remove '%s'", name);
	return 0;
}

int oci_rm_rf(const char *path, struct oci_err **err)
{
	return oci_rm_rfat(AT_FDCWD, path, err);
}

int oci_mkdtemp(const char *prefix, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *tmpl = xasprintf("%s.XXXXXX", prefix);
	if (!mkdtemp(tmpl))
		return oci_err_sys(err, "create temporary directory '%s'", tmpl);
	*ret = TAKE_PTR(tmpl);
	return 0;
}
