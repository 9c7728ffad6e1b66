/* Whiteouts (image-spec layer.md): ".wh.NAME" hides NAME of the lower
 * layers, ".wh..wh..opq" hides everything the lower layers had in its
 * directory. In the layer store they take overlayfs's form (a 0/0
 * character device, the trusted.overlay.opaque xattr); in a flat rootfs
 * they are applied as deletions. Also: id maps and a path set. */
#include "unpack.h"

#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

/* ---- id maps ---- */

int unpack_idmap_parse(const char *s, struct unpack_idmap *ret, struct oci_err **err)
{
	long long v[3] = { 0, 0, 1 };
	const char *p = s;
	int n = 0;
	for (; p && n < 3; n++) {
		const char *end = strchr(p, ':');
		_cleanup_free_ char *part = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
		if (oci_parse_int64(part, n == 2 ? 1 : 0, UINT32_MAX, &v[n]) < 0)
			return oci_err_set(err, EINVAL, "invalid id map '%s': bad number '%s'", s,
					   part);
		p = end ? end + 1 : NULL;
	}
	if (n < 2 || p)
		return oci_err_set(err, EINVAL,
				   "invalid id map '%s': expected CONTAINER:HOST[:SIZE]", s);
	if (v[0] + v[2] - 1 > (long long)UINT32_MAX || v[1] + v[2] - 1 > (long long)UINT32_MAX)
		return oci_err_set(err, ERANGE, "invalid id map '%s': range overflows", s);
	ret->inside = (uint32_t)v[0];
	ret->outside = (uint32_t)v[1];
	ret->len = (uint32_t)v[2];
	return 0;
}

int unpack_idmap_apply(const struct unpack_idmap *m, size_t n, uint32_t id, uint32_t *ret)
{
	if (n == 0) {
		*ret = id;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (id >= m[i].inside && id - m[i].inside < m[i].len) {
			*ret = m[i].outside + (id - m[i].inside);
			return 0;
		}
	}
	return -EINVAL;
}

/* ---- path set: open addressing over string hashes ---- */

struct unpack_pathset {
	char **slots;
	size_t cap, n;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

struct unpack_pathset *unpack_pathset_new(void)
{
	struct unpack_pathset *s = xcalloc(1, sizeof(*s));
	s->cap = 256;
	s->slots = xcalloc(s->cap, sizeof(char *));
	return s;
}

void unpack_pathset_clear(struct unpack_pathset *s)
{
	for (size_t i = 0; i < s->cap; i++) {
		free(s->slots[i]);
		s->slots[i] = NULL;
	}
	s->n = 0;
}

void unpack_pathset_free(struct unpack_pathset *s)
{
	if (!s)
		return;
	unpack_pathset_clear(s);
	free(s->slots);
	free(s);
}

static bool set_insert(struct unpack_pathset *s, char *p)
{
	size_t i = hash_str(p) & (s->cap - 1);
	while (s->slots[i]) {
		if (streq(s->slots[i], p))
			return false;
		i = (i + 1) & (s->cap - 1);
	}
	s->slots[i] = p;
	s->n++;
	return true;
}

static void set_grow(struct unpack_pathset *s)
{
	size_t old = s->cap;
	char **slots = s->slots;
	s->cap *= 2;
	s->slots = xcalloc(s->cap, sizeof(char *));
	s->n = 0;
	for (size_t i = 0; i < old; i++)
		if (slots[i])
			set_insert(s, slots[i]);
	free(slots);
}

bool unpack_pathset_has(const struct unpack_pathset *s, const char *path)
{
	size_t i = hash_str(path) & (s->cap - 1);
	while (s->slots[i]) {
		if (streq(s->slots[i], path))
			return true;
		i = (i + 1) & (s->cap - 1);
	}
	return false;
}

void unpack_pathset_add_one(struct unpack_pathset *s, const char *path)
{
	if (unpack_pathset_has(s, path))
		return;
	if ((s->n + 1) * 2 > s->cap)
		set_grow(s);
	set_insert(s, xstrdup(path));
}

void unpack_pathset_add(struct unpack_pathset *s, const char *path)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (;;) {
		if (unpack_pathset_has(s, p))
			return; /* its ancestors are there too */
		if ((s->n + 1) * 2 > s->cap)
			set_grow(s);
		set_insert(s, xstrdup(p));
		char *slash = strrchr(p, '/');
		if (!slash || slash == p)
			return;
		*slash = '\0';
	}
}

/* ---- removal by an unprivileged owner ---- */

/* Gives u+rwx to the directories below (and at) dirfd/name that lack it,
 * so that their owner can empty them; errors are left to the removal. */
static void make_writable(int parentfd, const char *name, int depth)
{
	struct stat st;
	if (depth > 4096 || fstatat(parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISDIR(st.st_mode))
		return;
	if ((st.st_mode & 0700) != 0700 &&
	    fchmodat(parentfd, name, (st.st_mode & 07777) | 0700, 0) < 0)
		return;
	int fd = openat(parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_type == DT_DIR && !streq(de->d_name, ".") && !streq(de->d_name, ".."))
			make_writable(dirfd(d), de->d_name, depth + 1);
	closedir(d);
}

int unpack_rm_rfat(int dirfd, const char *name, struct oci_err **err)
{
	int r = oci_rm_rfat(dirfd, name, err);
	if (r >= 0 || geteuid() == 0 || !*err || ((*err)->code != EACCES && (*err)->code != EPERM))
		return r;
	/* a 0555 or 0500 directory of an image, extracted rootless */
	oci_err_clear(err);
	make_writable(dirfd, name, 0);
	return oci_rm_rfat(dirfd, name, err);
}

int unpack_rm_rf(const char *path, struct oci_err **err)
{
	_cleanup_free_ char *clean = oci_path_clean(path);
	char *slash = strrchr(clean, '/');
	if (!slash || !slash[1])
		return oci_rm_rf(path, err);
	_cleanup_free_ char *parent = slash == clean ? xstrdup("/")
						     : xstrndup(clean, (size_t)(slash - clean));
	_cleanup_close_ int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (pfd < 0)
		return oci_rm_rf(path, err);
	return unpack_rm_rfat(pfd, slash + 1, err);
}

/* ---- overlay form ---- */

int unpack_whiteout_overlay(int parentfd, const char *name, struct oci_err **err)
{
	if (mknodat(parentfd, name, S_IFCHR | 0, makedev(0, 0)) < 0)
		return oci_err_sys(err, "creating whiteout '%s'", name);
	return 0;
}

int unpack_opaque_overlay(int dirfd, bool user_xattr, struct oci_err **err)
{
	const char *name = user_xattr ? UNPACK_OVL_OPAQUE_XATTR_USER : UNPACK_OVL_OPAQUE_XATTR;
	if (fsetxattr(dirfd, name, "y", 1, 0) < 0)
		return oci_err_sys(err, "setting %s", name);
	return 0;
}

/* ---- user.rootlesscontainers ---- */

static size_t put_varint(unsigned char *p, uint32_t v)
{
	size_t n = 0;
	while (v >= 0x80) {
		p[n++] = (unsigned char)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (unsigned char)v;
	return n;
}

size_t unpack_rootless_xattr_encode(uint32_t uid, uint32_t gid, unsigned char *buf)
{
	size_t n = 0;
	buf[n++] = 0x08; /* field 1, varint */
	n += put_varint(buf + n, uid);
	buf[n++] = 0x10; /* field 2, varint */
	n += put_varint(buf + n, gid);
	return n;
}

int unpack_rootless_xattr_decode(const void *buf, size_t len, uint32_t *ret_uid,
				 uint32_t *ret_gid)
{
	const unsigned char *p = buf;
	uint32_t v[2] = { 0, 0 }; /* proto3: a missing field is 0 */
	size_t i = 0;
	while (i < len) {
		unsigned tag = p[i++];
		if (tag != 0x08 && tag != 0x10)
			return -EINVAL;
		uint64_t x = 0;
		int shift = 0;
		for (;;) {
			if (i >= len || shift > 63)
				return -EINVAL;
			unsigned char b = p[i++];
			x |= (uint64_t)(b & 0x7f) << shift;
			shift += 7;
			if (!(b & 0x80))
				break;
		}
		if (x > UINT32_MAX)
			return -EINVAL;
		v[tag == 0x08 ? 0 : 1] = (uint32_t)x;
	}
	*ret_uid = v[0];
	*ret_gid = v[1];
	return 0;
}

/* ---- flat form ---- */

int unpack_whiteout_flat(int rootfd, const char *path, const struct unpack_pathset *cur,
			 struct oci_err **err)
{
	if (cur && unpack_pathset_has(cur, path))
		return 0;
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int parentfd = oci_open_parent_in_root(rootfd, path, false, 0, &name, err);
	if (parentfd < 0) {
		if (*err && ((*err)->code == ENOENT || (*err)->code == ENOTDIR)) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_wrap(err, "whiteout '%s'", path);
	}
	if (!*name)
		return 0;
	int r = unpack_rm_rfat(parentfd, name, err);
	if (r < 0)
		return oci_err_wrap(err, "whiteout '%s'", path);
	return 0;
}

/* Removes the entries of dirfd (at PATH) that cur lacks, recursing into
 * the directories cur has. */
static int opaque_clean(int dirfd, const char *path, const struct unpack_pathset *cur,
			struct oci_err **err)
{
	int dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return oci_err_sys(err, "opaque '%s'", path);
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return oci_err_sys(err, "opaque '%s'", path);
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (streq(de->d_name, ".") || streq(de->d_name, ".."))
			continue;
		_cleanup_free_ char *child = streq(path, "/") ? xasprintf("/%s", de->d_name)
							      : xasprintf("%s/%s", path, de->d_name);
		int r;
		if (!cur || !unpack_pathset_has(cur, child)) {
			r = unpack_rm_rfat(dirfd, de->d_name, err);
			if (r < 0)
				return r;
			continue;
		}
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
			continue;
		_cleanup_close_ int cfd = openat(dirfd, de->d_name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (cfd < 0)
			continue; /* not a directory */
		r = opaque_clean(cfd, child, cur, err);
		if (r < 0)
			return r;
	}
	if (errno)
		return oci_err_sys(err, "reading '%s'", path);
	return 0;
}

int unpack_opaque_flat(int rootfd, const char *path, const struct unpack_pathset *cur,
		       struct oci_err **err)
{
	_cleanup_close_ int fd = -1;
	if (streq(path, "/"))
		fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
	else
		fd = oci_open_in_root(rootfd, path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, err);
	if (fd < 0) {
		/* missing, not a directory, or a symlink: nothing below to hide */
		if (*err && ((*err)->code == ENOENT || (*err)->code == ENOTDIR ||
			     (*err)->code == ELOOP)) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_wrap(err, "opaque directory '%s'", path);
	}
	int r = opaque_clean(fd, path, cur, err);
	if (r < 0)
		return oci_err_wrap(err, "opaque directory '%s'", path);
	return 0;
}
