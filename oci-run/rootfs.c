/* Root filesystem setup inside the container's mount namespace. */
#include "rootfs.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <linux/magic.h>
#include <linux/mount.h>

#include "fs.h"
#include "linux_ns.h"
#include "lsm.h"
#include "sbuf.h"
#include "util.h"

#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_IDMAP
#define MOUNT_ATTR_IDMAP 0x00100000
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

struct mount_attr_compat {
	__u64 attr_set;
	__u64 attr_clr;
	__u64 propagation;
	__u64 userns_fd;
};

static int fdpath(int fd, char *buf, size_t len)
{
	return snprintf(buf, len, "/proc/self/fd/%d", fd);
}

/* Flags of the mount at path that an unprivileged remount must keep. */
static unsigned long locked_flags(const char *path)
{
	struct statvfs sv;
	unsigned long f = 0;
	if (statvfs(path, &sv) < 0)
		return 0;
	if (sv.f_flag & ST_NOSUID)
		f |= MS_NOSUID;
	if (sv.f_flag & ST_NODEV)
		f |= MS_NODEV;
	if (sv.f_flag & ST_NOEXEC)
		f |= MS_NOEXEC;
	if (sv.f_flag & ST_RDONLY)
		f |= MS_RDONLY;
	if (sv.f_flag & ST_NOATIME)
		f |= MS_NOATIME;
	if (sv.f_flag & ST_NODIRATIME)
		f |= MS_NODIRATIME;
	if (sv.f_flag & ST_RELATIME)
		f |= MS_RELATIME;
	return f;
}

/* A bind remount with flags; on EPERM (flags locked by a user namespace)
 * again with the flags the mount already has. */
static int remount_bind(const char *target, unsigned long flags, const char *what,
			struct oci_err **err)
{
	unsigned long f = MS_BIND | MS_REMOUNT | flags;
	if (mount(NULL, target, NULL, f, NULL) == 0)
		return 0;
	if (errno == EPERM || errno == EACCES) {
		unsigned long keep = locked_flags(target) & ~MS_RDONLY;
		if (mount(NULL, target, NULL, f | keep, NULL) == 0)
			return 0;
	}
	return oci_err_sys(err, "remount '%s'", what);
}

/* Opens (creating it, a directory or a file) DEST inside the rootfs. */
static int open_dest(int rootfd, const char *dest, bool is_dir, bool *ret_created,
		     struct oci_err **err)
{
	_cleanup_free_ char *name = NULL;
	int fd = oci_open_in_root(rootfd, dest, O_PATH, 0, err);
	*ret_created = false;
	if (fd >= 0)
		return fd;
	*ret_created = true;
	if ((*err)->code != ENOENT)
		return -(*err)->code;
	oci_err_clear(err);
	_cleanup_close_ int pfd = oci_open_parent_in_root(rootfd, dest, true, 0755, &name, err);
	if (pfd < 0)
		return pfd;
	if (!*name)
		return oci_open_in_root(rootfd, dest, O_PATH, 0, err);
	if (is_dir) {
		if (mkdirat(pfd, name, 0755) < 0 && errno != EEXIST)
			return oci_err_sys(err, "create directory '%s'", dest);
	} else {
		int f = openat(pfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0 && errno != EEXIST)
			return oci_err_sys(err, "create file '%s'", dest);
		if (f >= 0)
			close(f);
	}
	return oci_open_in_root(rootfd, dest, O_PATH, 0, err);
}

/* Our cgroup in the hierarchy whose controllers are ctrls ("cpu,cpuacct",
 * "name=systemd"), from /proc/self/cgroup; "/" when not found. */
static char *own_cgroup(const char *ctrls)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/cgroup", "re");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	while (f && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		char *c1 = strchr(line, ':');
		char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		if (!c2)
			continue;
		*c2 = '\0';
		if (streq(c1 + 1, ctrls))
			return xstrdup(c2 + 1);
	}
	return xstrdup("/");
}

static int mount_cgroup_v1(int rootfd, const struct run_mount *m, const char *target,
			   const struct run_rootfs_opts *o, struct oci_err **err)
{
	unsigned long base = m->flags & (MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RELATIME);
	if (mount("tmpfs", target, "tmpfs", base, "mode=755") < 0)
		return oci_err_sys(err, "mount tmpfs on '%s'", m->destination);
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return oci_err_sys(err, "open '/proc/self/mountinfo'");
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	_cleanup_close_ int dirfd =
	    oci_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0, err);
	if (dirfd < 0)
		return dirfd;
	while (getline(&line, &cap, f) > 0) {
		/* id parent maj:min root mountpoint opts [optional...] - fstype source superopts */
		char *sep = strstr(line, " - ");
		if (!sep)
			continue;
		/* fields after " - ": fstype source superopts; field 5: mount point */
		*sep = '\0';
		char *save = NULL, *mp = NULL, *t;
		int field = 0;
		for (t = strtok_r(line, " ", &save); t && field < 5; t = strtok_r(NULL, " ", &save))
			if (++field == 5)
				mp = t;
		save = NULL;
		char *fstype = strtok_r(sep + 3, " \n", &save);
		char *source = fstype ? strtok_r(NULL, " \n", &save) : NULL;
		char *super = source ? strtok_r(NULL, " \n", &save) : NULL;
		if (!mp || !super)
			continue;
		if (!startswith(mp, "/sys/fs/cgroup/"))
			continue;
		const char *name = mp + strlen("/sys/fs/cgroup/");
		if (!*name || strchr(name, '/'))
			continue;
		/* as runc: the v1 controllers only, not a hybrid host's cgroup2 */
		bool v2 = false;
		if (!streq(fstype, "cgroup"))
			continue;
		/* the controllers: super options except rw/ro and the like */
		_cleanup_sbuf_ struct sbuf opts = SBUF_INIT;
		if (!v2) {
			save = NULL;
			for (t = strtok_r(super, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
				if (streq(t, "rw") || streq(t, "ro") ||
				    startswith(t, "release_agent") || streq(t, "clone_children") ||
				    streq(t, "noprefix") || streq(t, "xattr"))
					continue;
				sbuf_addf(&opts, "%s%s", opts.len ? "," : "", t);
			}
		}
		if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST)
			return oci_err_sys(err, "create '%s/%s'", m->destination, name);
		_cleanup_close_ int sub = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (sub < 0)
			return oci_err_sys(err, "open '%s/%s'", m->destination, name);
		char sp[64];
		fdpath(sub, sp, sizeof(sp));
		unsigned long fl = base | (m->flags & MS_RDONLY);
		int rc = -1;
		errno = EPERM;
		if (o->cgroupns)
			rc = mount(v2 ? "cgroup2" : "cgroup", sp, v2 ? "cgroup2" : "cgroup", fl,
				   v2 ? NULL : opts.buf);
		if (rc < 0 && (errno == EPERM || errno == EBUSY)) {
			/* no cgroup namespace (or not allowed): bind our own cgroup
			 * directory of the host's hierarchy, as runc does */
			_cleanup_free_ char *own = own_cgroup(opts.buf);
			_cleanup_free_ char *src = oci_path_join(mp, own);
			rc = mount(src, sp, NULL, MS_BIND | MS_REC, NULL);
			if (rc == 0 && (m->flags & MS_RDONLY)) {
				_cleanup_close_ int again =
				    openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
				char ap[64];
				fdpath(again, ap, sizeof(ap));
				if (remount_bind(ap, fl, mp, err) < 0)
					return -(*err)->code;
			}
		}
		if (rc < 0)
			return oci_err_sys(err, "mount cgroup '%s' on '%s/%s'", opts.buf,
					   m->destination, name);
		/* co-mounted controllers: cpu -> cpu,cpuacct */
		if (strchr(name, ',')) {
			_cleanup_free_ char *copy = xstrdup(name);
			char *save2 = NULL;
			for (char *c = strtok_r(copy, ",", &save2); c;
			     c = strtok_r(NULL, ",", &save2))
				if (symlinkat(name, dirfd, c) < 0 && errno != EEXIST)
					return oci_err_sys(err, "symlink '%s/%s'", m->destination,
							   c);
		}
	}
	/* the tmpfs itself stays writable, as with runc; the controllers are ro */
	return 0;
}

static int mount_cgroup(int rootfd, const struct run_mount *m, const char *target,
			const struct run_rootfs_opts *o, struct oci_err **err)
{
	struct statfs sf;
	unsigned long fl = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
	if (streq(m->type, "cgroup2") ||
	    (statfs("/sys/fs/cgroup", &sf) == 0 && sf.f_type == CGROUP2_SUPER_MAGIC)) {
		if (mount("cgroup2", target, "cgroup2", fl, NULL) == 0)
			return 0;
		if (errno != EPERM && errno != EBUSY)
			return oci_err_sys(err, "mount cgroup2 on '%s'", m->destination);
		if (mount("/sys/fs/cgroup", target, NULL, MS_BIND | MS_REC, NULL) < 0)
			return oci_err_sys(err, "bind '/sys/fs/cgroup' on '%s'", m->destination);
		return 0;
	}
	return mount_cgroup_v1(rootfd, m, target, o, err);
}

int run_rootfs_idmap_trees(const struct run_spec *s, int **ret, struct oci_err **err)
{
	int *trees = xcalloc(s->n_mounts + 1, sizeof(int));
	for (size_t i = 0; i < s->n_mounts; i++)
		trees[i] = -1;
	for (size_t i = 0; i < s->n_mounts; i++) {
		const struct run_mount *m = &s->mounts[i];
		if (!m->idmap)
			continue;
		int r, userns = -1;
		if (m->n_uid_mappings)
			r = run_ns_idmap_userns(m->uid_mappings, m->n_uid_mappings, m->gid_mappings,
						m->n_gid_mappings, &userns, err);
		else
			r = run_ns_idmap_userns(s->uid_mappings, s->n_uid_mappings, s->gid_mappings,
						s->n_gid_mappings, &userns, err);
		if (r < 0) {
			run_rootfs_close_trees(s, trees);
			return oci_err_wrap(err, "mounts[%zu]", i);
		}
		unsigned tflags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC;
		if (m->flags & MS_REC)
			tflags |= AT_RECURSIVE;
		int tree = (int)syscall(SYS_open_tree, AT_FDCWD, m->source, tflags);
		if (tree < 0) {
			r = oci_err_sys(err, "mounts[%zu]: clone '%s' for an idmap mount", i,
					m->source);
			close(userns);
			run_rootfs_close_trees(s, trees);
			return r;
		}
		struct mount_attr_compat a = {.attr_set = MOUNT_ATTR_IDMAP,
					      .userns_fd = (__u64)userns};
		unsigned aflags = AT_EMPTY_PATH | (m->idmap_recursive ? AT_RECURSIVE : 0);
		if (syscall(SYS_mount_setattr, tree, "", aflags, &a, sizeof(a)) < 0) {
			r = oci_err_sys(err, "mounts[%zu]: id-map '%s'", i, m->source);
			close(tree);
			close(userns);
			run_rootfs_close_trees(s, trees);
			return r;
		}
		close(userns);
		trees[i] = tree;
	}
	*ret = trees;
	return 0;
}

void run_rootfs_close_trees(const struct run_spec *s, int *trees)
{
	if (!trees)
		return;
	for (size_t i = 0; i < s->n_mounts; i++)
		if (trees[i] >= 0)
			close(trees[i]);
	free(trees);
}

/* Copies the tree below srcfd into dstfd: directories, files, symlinks,
 * device nodes and fifos, with owners and modes (crun's tmpcopyup). */
static int copy_tree(int srcfd, int dstfd, const char *what, struct oci_err **err)
{
	int dfd = fcntl(srcfd, F_DUPFD_CLOEXEC, 3);
	if (dfd < 0)
		return oci_err_sys(err, "tmpcopyup '%s'", what);
	_cleanup_closedir_ DIR *d = fdopendir(dfd);
	if (!d) {
		close(dfd);
		return oci_err_sys(err, "tmpcopyup '%s'", what);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		struct stat st;
		if (streq(n, ".") || streq(n, ".."))
			continue;
		if (fstatat(srcfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_sys(err, "tmpcopyup '%s/%s'", what, n);
		if (S_ISDIR(st.st_mode)) {
			if (mkdirat(dstfd, n, st.st_mode & 07777) < 0 && errno != EEXIST)
				return oci_err_sys(err, "tmpcopyup: mkdir '%s/%s'", what, n);
			_cleanup_close_ int s2 =
			    openat(srcfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int d2 =
			    openat(dstfd, n, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (s2 < 0 || d2 < 0)
				return oci_err_sys(err, "tmpcopyup: open '%s/%s'", what, n);
			_cleanup_free_ char *sub = xasprintf("%s/%s", what, n);
			int r = copy_tree(s2, d2, sub, err);
			if (r < 0)
				return r;
		} else if (S_ISREG(st.st_mode)) {
			_cleanup_close_ int in =
			    openat(srcfd, n, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
			_cleanup_close_ int out =
			    openat(dstfd, n, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				   st.st_mode & 07777);
			if (in < 0 || out < 0)
				return oci_err_sys(err, "tmpcopyup: copy '%s/%s'", what, n);
			off_t left = st.st_size;
			while (left > 0) {
				ssize_t c = sendfile(out, in, NULL, (size_t)left);
				if (c <= 0) {
					if (c < 0 && errno == EINTR)
						continue;
					return oci_err_sys(err, "tmpcopyup: copy '%s/%s'", what, n);
				}
				left -= c;
			}
		} else if (S_ISLNK(st.st_mode)) {
			_cleanup_free_ char *target = xmalloc((size_t)st.st_size + 2);
			ssize_t l = readlinkat(srcfd, n, target, (size_t)st.st_size + 1);
			if (l < 0)
				return oci_err_sys(err, "tmpcopyup: readlink '%s/%s'", what, n);
			target[l] = '\0';
			if (symlinkat(target, dstfd, n) < 0)
				return oci_err_sys(err, "tmpcopyup: symlink '%s/%s'", what, n);
		} else if (mknodat(dstfd, n, st.st_mode, st.st_rdev) < 0) {
			return oci_err_sys(err, "tmpcopyup: mknod '%s/%s'", what, n);
		}
		if (fchownat(dstfd, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0)
			return oci_err_sys(err, "tmpcopyup: chown '%s/%s'", what, n);
		if (!S_ISLNK(st.st_mode) && fchmodat(dstfd, n, st.st_mode & 07777, 0) < 0)
			return oci_err_sys(err, "tmpcopyup: chmod '%s/%s'", what, n);
	}
	return 0;
}

static int mount_one(int rootfd, const struct run_mount *m, int tree,
		     const struct run_rootfs_opts *o, struct oci_err **err)
{
	bool is_dir = true;
	if (m->bind) {
		struct stat st;
		if (stat(m->source, &st) < 0)
			return oci_err_sys(err, "bind source '%s'", m->source);
		is_dir = S_ISDIR(st.st_mode);
	}
	bool created = false;
	_cleanup_close_ int fd = open_dest(rootfd, m->destination, is_dir, &created, err);
	if (fd < 0)
		return fd;
	char target[64];
	fdpath(fd, target, sizeof(target));

	if (streq(m->type, "cgroup") || streq(m->type, "cgroup2")) {
		int r = mount_cgroup(rootfd, m, target, o, err);
		if (r < 0)
			return r;
	} else if (m->bind) {
		if (tree >= 0) {
			if (syscall(SYS_move_mount, tree, "", fd, "",
				    MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
				return oci_err_sys(err, "attach the id-mapped '%s' on '%s'",
						   m->source, m->destination);
		} else if (mount(m->source, target, NULL, MS_BIND | (m->flags & MS_REC), NULL) <
			   0) {
			return oci_err_sys(err, "bind '%s' on '%s'", m->source, m->destination);
		}
		unsigned long extra = m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT);
		if (extra) {
			_cleanup_close_ int again =
			    oci_open_in_root(rootfd, m->destination, O_PATH, 0, err);
			if (again < 0)
				return again;
			char ap[64];
			fdpath(again, ap, sizeof(ap));
			if (remount_bind(ap, extra, m->destination, err) < 0)
				return -(*err)->code;
		}
	} else {
		unsigned long fl = m->flags & ~(MS_BIND | MS_REC);
		/* tmpcopyup: what was below the tmpfs, opened before it covers it */
		_cleanup_close_ int below = -1;
		/* a mount point we had to create has nothing to copy, and the tmpfs
		 * keeps its own mode (1777), as with runc */
		if (m->tmpcopyup && !created) {
			below = oci_open_in_root(rootfd, m->destination, O_RDONLY | O_DIRECTORY, 0,
						 err);
			if (below < 0)
				return below;
			/* writable first; the flags (ro...) come back after the copy */
			if (mount(m->source, target, m->type, fl & ~MS_RDONLY, m->data) < 0)
				return oci_err_sys(err, "mount %s on '%s'", m->type,
						   m->destination);
			_cleanup_close_ int top = oci_open_in_root(rootfd, m->destination,
								   O_RDONLY | O_DIRECTORY, 0, err);
			if (top < 0)
				return top;
			struct stat st;
			if (fstat(below, &st) == 0) {
				(void)!fchmod(top, st.st_mode & 07777);
				(void)!fchown(top, st.st_uid, st.st_gid);
			}
			int r = copy_tree(below, top, m->destination, err);
			if (r < 0)
				return r;
			if (fl & MS_RDONLY) {
				char tp[64];
				fdpath(top, tp, sizeof(tp));
				if (mount(NULL, tp, NULL, MS_REMOUNT | fl, m->data) < 0)
					return oci_err_sys(err, "remount '%s' read-only",
							   m->destination);
			}
			goto propagation;
		}
		int rc = mount(m->source, target, m->type, fl, m->data);
		if (rc < 0 && o->userns && (errno == EPERM || errno == EACCES) &&
		    (streq(m->type, "sysfs") || streq(m->type, "mqueue"))) {
			/* not allowed in a user namespace without its own netns/ipcns:
			 * bind the host's, as runc does */
			const char *src = streq(m->type, "sysfs") ? "/sys" : "/dev/mqueue";
			rc = mount(src, target, NULL, MS_BIND | MS_REC, NULL);
			if (rc == 0) {
				_cleanup_close_ int again =
				    oci_open_in_root(rootfd, m->destination, O_PATH, 0, err);
				if (again < 0)
					return again;
				char ap[64];
				fdpath(again, ap, sizeof(ap));
				if (remount_bind(ap, fl & ~MS_REMOUNT, m->destination, err) < 0)
					return -(*err)->code;
			}
		}
		if (rc < 0)
			return oci_err_sys(err, "mount %s on '%s'", m->type, m->destination);
	}

propagation:
	if (m->propagation || m->rro) {
		_cleanup_close_ int again =
		    oci_open_in_root(rootfd, m->destination, O_PATH, 0, err);
		if (again < 0)
			return again;
		char ap[64];
		fdpath(again, ap, sizeof(ap));
		if (m->propagation && mount(NULL, ap, NULL, m->propagation, NULL) < 0)
			return oci_err_sys(err, "set propagation of '%s'", m->destination);
		if (m->rro) {
			struct mount_attr_compat a = {.attr_set = MOUNT_ATTR_RDONLY};
			if (syscall(SYS_mount_setattr, again, "", AT_EMPTY_PATH | AT_RECURSIVE, &a,
				    sizeof(a)) < 0)
				return oci_err_sys(err, "make '%s' recursively read-only",
						   m->destination);
		}
	}
	return 0;
}

static bool has_mount_at(const struct run_spec *s, const char *dest)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, dest))
			return true;
	return false;
}

static bool dev_is_bind(const struct run_spec *s)
{
	for (size_t i = 0; i < s->n_mounts; i++)
		if (streq(s->mounts[i].destination, "/dev") && s->mounts[i].bind)
			return true;
	return false;
}

static int make_device(int rootfd, const char *path, char type, dev_t dev, mode_t mode, uid_t uid,
		       gid_t gid, bool userns, struct oci_err **err)
{
	_cleanup_free_ char *name = NULL;
	_cleanup_close_ int pfd = oci_open_parent_in_root(rootfd, path, true, 0755, &name, err);
	if (pfd < 0)
		return pfd;
	if (!*name)
		return oci_err_set(err, EINVAL, "device path '%s'", path);
	unlinkat(pfd, name, 0);
	if (userns) {
		/* mknod is not allowed: bind the host's node */
		int f = openat(pfd, name, O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (f < 0)
			return oci_err_sys(err, "create '%s'", path);
		close(f);
		_cleanup_close_ int t = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		char tp[64];
		fdpath(t, tp, sizeof(tp));
		if (mount(path, tp, NULL, MS_BIND, NULL) < 0)
			return oci_err_sys(err, "bind device '%s'", path);
		return 0;
	}
	mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;
	if (mknodat(pfd, name, kind | (mode & 07777), dev) < 0)
		return oci_err_sys(err, "mknod '%s'", path);
	if (fchmodat(pfd, name, mode & 07777, 0) < 0)
		return oci_err_sys(err, "chmod '%s'", path);
	if (fchownat(pfd, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return oci_err_sys(err, "chown '%s'", path);
	return 0;
}

static int setup_dev(int rootfd, const struct run_spec *s, const struct run_rootfs_opts *o,
		     struct oci_err **err)
{
	static const struct {
		const char *path;
		unsigned maj, min;
	} defaults[] = {
	    {"/dev/null", 1, 3},   {"/dev/zero", 1, 5},	   {"/dev/full", 1, 7},
	    {"/dev/random", 1, 8}, {"/dev/urandom", 1, 9}, {"/dev/tty", 5, 0},
	};
	static const struct {
		const char *target, *link;
	} links[] = {
	    {"/proc/self/fd", "/dev/fd"},
	    {"/proc/self/fd/0", "/dev/stdin"},
	    {"/proc/self/fd/1", "/dev/stdout"},
	    {"/proc/self/fd/2", "/dev/stderr"},
	};
	int r;
	if (!dev_is_bind(s)) {
		for (size_t i = 0; i < ARRAY_SIZE(defaults); i++) {
			r = make_device(rootfd, defaults[i].path, 'c',
					makedev(defaults[i].maj, defaults[i].min), 0666, 0, 0,
					o->userns, err);
			if (r < 0)
				return r;
		}
		_cleanup_close_ int devfd =
		    oci_open_in_root(rootfd, "/dev", O_RDONLY | O_DIRECTORY, 0, err);
		if (devfd < 0)
			return devfd;
		for (size_t i = 0; i < ARRAY_SIZE(links); i++)
			if (symlinkat(links[i].target, devfd, links[i].link + 5) < 0 &&
			    errno != EEXIST)
				return oci_err_sys(err, "symlink '%s'", links[i].link);
		if (access("/proc/kcore", F_OK) == 0)
			(void)symlinkat("/proc/kcore", devfd, "core");
		if (has_mount_at(s, "/dev/pts")) {
			unlinkat(devfd, "ptmx", 0);
			if (symlinkat("pts/ptmx", devfd, "ptmx") < 0)
				return oci_err_sys(err, "symlink '/dev/ptmx'");
		}
		if (o->console_slave >= 0) {
			int f = openat(devfd, "console",
				       O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (f >= 0)
				close(f);
			_cleanup_close_ int t =
			    openat(devfd, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);
			char tp[64], sp[64];
			fdpath(t, tp, sizeof(tp));
			fdpath(o->console_slave, sp, sizeof(sp));
			if (t < 0 || mount(sp, tp, NULL, MS_BIND, NULL) < 0)
				return oci_err_sys(err, "bind the terminal on '/dev/console'");
		}
	}
	for (size_t i = 0; i < s->n_devices; i++) {
		const struct run_device *d = &s->devices[i];
		r = make_device(rootfd, d->path, d->type, makedev(d->major, d->minor),
				d->has_mode ? d->mode : 0666, d->has_uid ? d->uid : 0,
				d->has_gid ? d->gid : 0, o->userns, err);
		if (r < 0)
			return oci_err_wrap(err, "linux.devices[%zu]", i);
	}
	return 0;
}

int run_rootfs_prepare(const struct run_spec *s, const struct run_rootfs_opts *o,
		       struct oci_err **err)
{
	unsigned long prop = MS_SLAVE | MS_REC;
	if (s->rootfs_propagation && !(s->rootfs_propagation & MS_SHARED))
		prop = s->rootfs_propagation | MS_REC;
	if (mount(NULL, "/", NULL, prop, NULL) < 0)
		return oci_err_sys(err, "make '/' %s", prop & MS_PRIVATE ? "private" : "slave");
	struct stat st;
	if (stat(s->root_path, &st) < 0)
		return oci_err_sys(err, "root.path '%s'", s->root_path);
	if (!S_ISDIR(st.st_mode))
		return oci_err_set(err, ENOTDIR, "root.path: '%s' is not a directory",
				   s->root_path);
	if (mount(s->root_path, s->root_path, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_sys(err, "bind the rootfs '%s'", s->root_path);
	_cleanup_close_ int rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "open rootfs '%s'", s->root_path);
	for (size_t i = 0; i < s->n_mounts; i++) {
		int r = mount_one(rootfd, &s->mounts[i], o->idmap_trees ? o->idmap_trees[i] : -1, o,
				  err);
		if (r < 0)
			return oci_err_wrap(err, "mounts[%zu]", i);
		if (streq(s->mounts[i].destination, "/")) {
			/* a mount over the root itself (runc takes it too: oci-unpack's
			 * rootless overlay): the next mounts, /dev and pivot_root go
			 * on top of it, not on the directory it covers */
			close(rootfd);
			rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
			if (rootfd < 0)
				return oci_err_sys(err, "open rootfs '%s'", s->root_path);
		}
	}
	return setup_dev(rootfd, s, o, err);
}

int run_rootfs_make_cwd(const struct run_spec *s, struct oci_err **err)
{
	if (!s->has_process || streq(s->process.cwd, "/"))
		return 0;
	_cleanup_close_ int rootfd = open(s->root_path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (rootfd < 0)
		return oci_err_sys(err, "open rootfs '%s'", s->root_path);
	int fd = oci_open_in_root(rootfd, s->process.cwd, O_PATH | O_DIRECTORY, 0, err);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if ((*err)->code != ENOENT)
		return oci_err_wrap(err, "process.cwd");
	oci_err_clear(err);
	_cleanup_free_ char *name = NULL;
	fd = oci_open_parent_in_root(rootfd, s->process.cwd, true, 0755, &name, err);
	if (fd < 0)
		return oci_err_wrap(err, "process.cwd");
	if (*name && mkdirat(fd, name, 0755) < 0 && errno != EEXIST) {
		int r = oci_err_sys(err, "process.cwd: create '%s'", s->process.cwd);
		close(fd);
		return r;
	}
	close(fd);
	return 0;
}

static long pivot_root(const char *new_root, const char *put_old)
{
	return syscall(SYS_pivot_root, new_root, put_old);
}

/* runc's reOpenDevNull: stdio on the host's /dev/null (conmon's stdin)
 * becomes the container's /dev/null, so that criu finds its mount at
 * checkpoint ("Can't lookup mount" otherwise). No /dev/null inside: left. */
static int reopen_dev_null(struct oci_err **err)
{
	_cleanup_close_ int fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 0;
	struct stat null_st, st;
	if (fstat(fd, &null_st) < 0)
		return oci_err_sys(err, "stat the container's /dev/null");
	for (int i = 0; i < 3; i++) {
		if (fstat(i, &st) < 0)
			continue;
		if (S_ISCHR(st.st_mode) && st.st_rdev == null_st.st_rdev && dup2(fd, i) < 0)
			return oci_err_sys(err, "reopen fd %d on the container's /dev/null", i);
	}
	return 0;
}

static int enter_root(const struct run_spec *s, const struct run_rootfs_opts *o,
		      struct oci_err **err)
{
	if (o->no_pivot) {
		if (chdir(s->root_path) < 0)
			return oci_err_sys(err, "chdir '%s'", s->root_path);
		if (mount(s->root_path, "/", NULL, MS_MOVE, NULL) < 0)
			return oci_err_sys(err, "move the rootfs to '/'");
		if (chroot(".") < 0)
			return oci_err_sys(err, "chroot '%s'", s->root_path);
		if (chdir("/") < 0)
			return oci_err_sys(err, "chdir '/'");
		return 0;
	}
	_cleanup_close_ int oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int newroot = open(s->root_path, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0 || newroot < 0)
		return oci_err_sys(err, "open the roots for pivot_root");
	if (fchdir(newroot) < 0)
		return oci_err_sys(err, "chdir '%s'", s->root_path);
	if (pivot_root(".", ".") < 0)
		return oci_err_sys(err, "pivot_root to '%s'", s->root_path);
	if (fchdir(oldroot) < 0)
		return oci_err_sys(err, "chdir to the old root");
	if (mount(NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		return oci_err_sys(err, "make the old root slave");
	if (umount2(".", MNT_DETACH) < 0)
		return oci_err_sys(err, "unmount the old root");
	if (chdir("/") < 0)
		return oci_err_sys(err, "chdir '/'");
	return 0;
}

int run_rootfs_enter(const struct run_spec *s, const struct run_rootfs_opts *o,
		     struct oci_err **err)
{
	if (enter_root(s, o, err) < 0)
		return -1;
	return reopen_dev_null(err);
}

static int write_sysctl(const char *key, const char *value, struct oci_err **err)
{
	if (strstr(key, "..") || strchr(key, '/') != NULL)
		return oci_err_set(err, EINVAL, "linux.sysctl: invalid key '%s'", key);
	_cleanup_free_ char *path = xasprintf("/proc/sys/%s", key);
	for (char *p = path + strlen("/proc/sys/"); *p; p++)
		if (*p == '.')
			*p = '/';
	_cleanup_close_ int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return oci_err_sys(err, "linux.sysctl: '%s'", key);
	if (write(fd, value, strlen(value)) < 0)
		return oci_err_sys(err, "linux.sysctl: write '%s' to '%s'", value, key);
	return 0;
}

static int readonly_path(const char *path, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_sys(err, "linux.readonlyPaths: '%s'", path);
	}
	char p[64];
	fdpath(fd, p, sizeof(p));
	if (mount(p, p, NULL, MS_BIND | MS_REC, NULL) < 0)
		return oci_err_sys(err, "linux.readonlyPaths: bind '%s'", path);
	_cleanup_close_ int again = open(path, O_PATH | O_CLOEXEC);
	if (again < 0)
		return oci_err_sys(err, "linux.readonlyPaths: '%s'", path);
	fdpath(again, p, sizeof(p));
	if (remount_bind(p, MS_RDONLY | MS_REC | MS_NOSUID | MS_NODEV | MS_NOEXEC, path, err) < 0)
		return oci_err_wrap(err, "linux.readonlyPaths");
	return 0;
}

/* label: linux.mountLabel for the masking tmpfs, as runc does; NULL: none */
static int mask_path(const char *path, const char *label, struct oci_err **err)
{
	struct stat st;
	_cleanup_close_ int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_sys(err, "linux.maskedPaths: '%s'", path);
	}
	if (fstat(fd, &st) < 0)
		return oci_err_sys(err, "linux.maskedPaths: stat '%s'", path);
	char p[64];
	fdpath(fd, p, sizeof(p));
	if (S_ISDIR(st.st_mode)) {
		_cleanup_free_ char *data =
		    label && *label ? run_lsm_mount_data("size=0k", label) : xstrdup("size=0k");
		if (mount("tmpfs", p, "tmpfs", MS_RDONLY, data) < 0)
			return oci_err_sys(err, "linux.maskedPaths: mount tmpfs on '%s'", path);
	} else if (mount("/dev/null", p, NULL, MS_BIND, NULL) < 0) {
		return oci_err_sys(err, "linux.maskedPaths: bind /dev/null on '%s'", path);
	}
	return 0;
}

int run_rootfs_finalize(const struct run_spec *s, const struct run_rootfs_opts *o,
			struct oci_err **err)
{
	int r;
	for (size_t i = 0; s->sysctl && s->sysctl[i] && s->sysctl[i + 1]; i += 2) {
		r = write_sysctl(s->sysctl[i], s->sysctl[i + 1], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; s->readonly_paths && s->readonly_paths[i]; i++) {
		r = readonly_path(s->readonly_paths[i], err);
		if (r < 0)
			return r;
	}
	for (size_t i = 0; s->masked_paths && s->masked_paths[i]; i++) {
		r = mask_path(s->masked_paths[i], s->mount_label, err);
		if (r < 0)
			return r;
	}
	if (s->root_readonly) {
		if (remount_bind("/", MS_RDONLY, "/", err) < 0)
			return oci_err_wrap(err, "root.readonly");
	}
	if (s->rootfs_propagation && !o->no_pivot) {
		if (mount(NULL, "/", NULL, s->rootfs_propagation, NULL) < 0)
			return oci_err_sys(err, "linux.rootfsPropagation");
	}
	return 0;
}
