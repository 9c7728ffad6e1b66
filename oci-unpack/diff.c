/* oci-unpack diff BUNDLE: the upper directory's changes as an OCI layer tar
 * (image-spec layer.md), for oci-build. Overlay whiteouts (0/0 character
 * devices) become ".wh.NAME" entries and an opaque directory (the
 * trusted.overlay.opaque xattr, or user.overlay.opaque when rootless) gets
 * a ".wh..wh..opq" entry. Entries are
 * sorted by name in each directory, so the same tree gives the same tar;
 * hardlinks within the tree are kept. */
#include "unpack.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "util.h"

DEFINE_CLEANUP(struct archive *, archive_write_free)
DEFINE_CLEANUP(struct archive_entry *, archive_entry_free)

struct inode_seen {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct dctx {
	struct archive *a;
	/* rootless bundle: host ids → container ids (its --uid-map/--gid-map) */
	struct unpack_idmap *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
	struct inode_seen *seen;
	size_t n_seen, alloc_seen;
	char *buf;
};

#define COPY_BLOCK (256 * 1024)

static int afail(struct archive *a, const char *path, struct oci_err **err)
{
	int code = archive_errno(a);
	return oci_err_set(err, code > 0 ? code : EIO, "writing '%s' to the tar: %s", path,
			   archive_error_string(a));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The container's id of a host id (the id itself without maps; 65534, the
 * overflow id, for one outside them). */
static uint32_t host_to_container(const struct unpack_idmap *m, size_t n, uint32_t id)
{
	if (n == 0)
		return id;
	for (size_t i = 0; i < n; i++)
		if (id >= m[i].outside && id - m[i].outside < m[i].len)
			return m[i].inside + (id - m[i].outside);
	return 65534;
}

static bool is_opaque(int fd)
{
	char v[4];
	ssize_t n = fgetxattr(fd, UNPACK_OVL_OPAQUE_XATTR, v, sizeof(v));
	if (n == 1 && v[0] == 'y')
		return true;
	/* an overlay mounted in a user namespace (userxattr): rootless */
	n = fgetxattr(fd, UNPACK_OVL_OPAQUE_XATTR_USER, v, sizeof(v));
	return n == 1 && v[0] == 'y';
}

static void add_xattrs(struct archive_entry *e, int fd, const char *procpath)
{
	char list[65536];
	ssize_t n = fd >= 0 ? flistxattr(fd, list, sizeof(list))
			    : llistxattr(procpath, list, sizeof(list));
	if (n <= 0)
		return;
	for (char *k = list; k < list + n; k += strlen(k) + 1) {
		if (startswith(k, "trusted.overlay.") || startswith(k, "user.overlay."))
			continue;
		char val[65536];
		ssize_t vn = fd >= 0 ? fgetxattr(fd, k, val, sizeof(val))
				     : lgetxattr(procpath, k, val, sizeof(val));
		uint32_t u, g;
		if (vn >= 0 && streq(k, UNPACK_ROOTLESS_XATTR)) {
			/* a rootless unpack's record of the image's owner (as umoci
			 * repack): the owner in the tar, not an xattr of it */
			if (unpack_rootless_xattr_decode(val, (size_t)vn, &u, &g) == 0) {
				if (u != UNPACK_ROOTLESS_NOOP)
					archive_entry_set_uid(e, u);
				if (g != UNPACK_ROOTLESS_NOOP)
					archive_entry_set_gid(e, g);
			}
			continue;
		}
		if (vn >= 0)
			archive_entry_xattr_add_entry(e, k, val, (size_t)vn);
	}
}

static int write_empty(struct dctx *c, const char *path, struct oci_err **err)
{
	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, 0);
	if (archive_write_header(c->a, e) != ARCHIVE_OK)
		return afail(c->a, path, err);
	return 0;
}

static int walk(struct dctx *c, int dirfd, const char *prefix, struct oci_err **err);

static int add_one(struct dctx *c, int dirfd, const char *name, const char *prefix,
		   struct oci_err **err)
{
	_cleanup_free_ char *path = *prefix ? xasprintf("%s/%s", prefix, name) : xstrdup(name);
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_sys(err, "stat '%s'", path);

	if (S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0)) {
		_cleanup_free_ char *wh = *prefix ? xasprintf("%s/.wh.%s", prefix, name)
						  : xasprintf(".wh.%s", name);
		return write_empty(c, wh, err);
	}

	_cleanup_(archive_entry_freep) struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_uid(e, host_to_container(c->uid_map, c->n_uid_map, st.st_uid));
	archive_entry_set_gid(e, host_to_container(c->gid_map, c->n_gid_map, st.st_gid));
	archive_entry_set_perm(e, st.st_mode & 07777);
	archive_entry_set_mtime(e, st.st_mtim.tv_sec, st.st_mtim.tv_nsec);

	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *proc = xasprintf("/proc/self/fd/%d/%s", dirfd, name);
	if (S_ISREG(st.st_mode) || S_ISDIR(st.st_mode)) {
		fd = openat(dirfd, name,
			    O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
		if (fd < 0)
			return oci_err_sys(err, "opening '%s'", path);
	}
	if (!S_ISLNK(st.st_mode))
		add_xattrs(e, fd, proc);

	if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
		for (size_t i = 0; i < c->n_seen; i++) {
			if (c->seen[i].dev == st.st_dev && c->seen[i].ino == st.st_ino) {
				archive_entry_set_filetype(e, AE_IFREG);
				archive_entry_set_hardlink(e, c->seen[i].path);
				archive_entry_set_size(e, 0);
				if (archive_write_header(c->a, e) != ARCHIVE_OK)
					return afail(c->a, path, err);
				return 0;
			}
		}
		if (c->n_seen == c->alloc_seen) {
			c->alloc_seen = c->alloc_seen ? 2 * c->alloc_seen : 16;
			c->seen = xrealloc(c->seen, c->alloc_seen * sizeof(*c->seen));
		}
		c->seen[c->n_seen++] = (struct inode_seen){ st.st_dev, st.st_ino, xstrdup(path) };
	}

	switch (st.st_mode & S_IFMT) {
	case S_IFREG: {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, st.st_size);
		if (archive_write_header(c->a, e) != ARCHIVE_OK)
			return afail(c->a, path, err);
		off_t left = st.st_size;
		while (left > 0) {
			ssize_t n = read(fd, c->buf, COPY_BLOCK);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return oci_err_sys(err, "reading '%s'", path);
			if (n == 0)
				return oci_err_set(err, EIO, "'%s' shrank while being read", path);
			if (n > left)
				n = (ssize_t)left;
			if (archive_write_data(c->a, c->buf, (size_t)n) != n)
				return afail(c->a, path, err);
			left -= n;
		}
		return 0;
	}
	case S_IFDIR: {
		archive_entry_set_filetype(e, AE_IFDIR);
		if (archive_write_header(c->a, e) != ARCHIVE_OK)
			return afail(c->a, path, err);
		if (is_opaque(fd)) {
			_cleanup_free_ char *opq = xasprintf("%s/%s", path, UNPACK_WH_OPAQUE);
			int r = write_empty(c, opq, err);
			if (r < 0)
				return r;
		}
		return walk(c, fd, path, err);
	}
	case S_IFLNK: {
		char *target = xmalloc((size_t)st.st_size + 2);
		ssize_t n = readlinkat(dirfd, name, target, (size_t)st.st_size + 1);
		if (n < 0) {
			free(target);
			return oci_err_sys(err, "readlink '%s'", path);
		}
		target[n] = '\0';
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
		free(target);
		break;
	}
	case S_IFCHR:
	case S_IFBLK:
		archive_entry_set_filetype(e, S_ISCHR(st.st_mode) ? AE_IFCHR : AE_IFBLK);
		archive_entry_set_rdevmajor(e, major(st.st_rdev));
		archive_entry_set_rdevminor(e, minor(st.st_rdev));
		break;
	case S_IFIFO:
		archive_entry_set_filetype(e, AE_IFIFO);
		break;
	default:
		return 0; /* sockets are not archived */
	}
	if (archive_write_header(c->a, e) != ARCHIVE_OK)
		return afail(c->a, path, err);
	return 0;
}

static int walk(struct dctx *c, int dirfd, const char *prefix, struct oci_err **err)
{
	int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return oci_err_sys(err, "dup");
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return oci_err_sys(err, "reading '%s'", *prefix ? prefix : "/");
	}
	_cleanup_strv_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
			oci_strv_push(&names, de->d_name);
	size_t n = oci_strv_len(names);
	if (n)
		qsort(names, n, sizeof(char *), cmp_names);
	for (size_t i = 0; i < n; i++) {
		int r = add_one(c, dirfd, names[i], prefix, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int diff_dir(const char *upper, int outfd, struct dctx *c0, struct oci_err **err)
{
	_cleanup_close_ int ufd = open(upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ufd < 0)
		return oci_err_sys(err, "opening '%s'", upper);
	_cleanup_(archive_write_freep) struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_set_bytes_in_last_block(a, 1);
	if (archive_write_open_fd(a, outfd) != ARCHIVE_OK)
		return afail(a, "-", err);
	struct dctx c = *c0;
	c.a = a;
	c.buf = xmalloc(COPY_BLOCK);
	int r = walk(&c, ufd, "", err);
	for (size_t i = 0; i < c.n_seen; i++)
		free(c.seen[i].path);
	free(c.seen);
	free(c.buf);
	if (r < 0)
		return r;
	if (archive_write_close(a) != ARCHIVE_OK)
		return afail(a, "-", err);
	return 0;
}

int unpack_diff_dir(const char *upper, int outfd, struct oci_err **err)
{
	struct dctx c = { 0 };
	return diff_dir(upper, outfd, &c, err);
}

int unpack_diff(const char *bundle, int outfd, struct oci_err **err)
{
	_cleanup_free_ char *upper = oci_path_join(bundle, "upper");
	struct stat st;
	if (stat(upper, &st) < 0 || !S_ISDIR(st.st_mode))
		return oci_err_set(err, ENOENT,
				   "bundle '%s' has no upper directory (not an overlay bundle "
				   "made by oci-unpack)", bundle);
	struct dctx c = { 0 };
	_cleanup_free_ char *recp = oci_path_join(bundle, UNPACK_RECORD);
	json_auto_t *rec = NULL;
	if (access(recp, F_OK) == 0) {
		int r = oci_json_load_file(recp, 0, &rec, err);
		if (r < 0)
			return r;
	}
	if (rec && json_is_true(json_object_get(rec, "rootless"))) {
		unpack_record_maps(json_object_get(rec, "uid_map"), &c.uid_map, &c.n_uid_map);
		unpack_record_maps(json_object_get(rec, "gid_map"), &c.gid_map, &c.n_gid_map);
	}
	int r = diff_dir(upper, outfd, &c, err);
	free(c.uid_map);
	free(c.gid_map);
	return r;
}
