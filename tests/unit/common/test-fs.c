/* common/fs.c: resolution inside a root against hostile layouts (with
 * openat2 and with the fallback walk), paths, mkdir -p, atomic writes,
 * reading, rm -rf. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "sbuf.h"
#include "tap.h"
#include "util.h"

typedef int (*open_fn)(int, const char *, int, mode_t, struct oci_err **);
typedef int (*parent_fn)(int, const char *, bool, mode_t, char **, struct oci_err **);

static char *top;   /* temp dir */
static char *rootp; /* top/root */
static int rootfd = -1;
static ino_t inside_ino; /* root/etc/passwd */

static void must(int r, const char *what)
{
	if (r < 0) {
		perror(what);
		exit(2);
	}
}

static char *tpath(const char *rel)
{
	return xasprintf("%s/%s", top, rel);
}

static void mkfile(const char *rel, const char *content)
{
	_cleanup_free_ char *p = tpath(rel);
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	must(fd, p);
	must(oci_write_all(fd, content, strlen(content)), "write");
	close(fd);
}

static void mksym(const char *target, const char *rel)
{
	_cleanup_free_ char *p = tpath(rel);
	must(symlink(target, p), p);
}

static void mkd(const char *rel)
{
	_cleanup_free_ char *p = tpath(rel);
	must(mkdir(p, 0755), p);
}

static bool exists(const char *rel)
{
	_cleanup_free_ char *p = tpath(rel);
	struct stat st;
	return lstat(p, &st) == 0;
}

static void build_layout(void)
{
	mkd("root");
	mkd("root/etc");
	mkfile("root/etc/passwd", "inside\n");
	mkfile("outside", "outside\n");
	mkd("root/dir");
	mkd("root/dir/sub");
	mkd("root/created");
	mksym("/etc", "root/a");
	mksym("../../..", "root/b");
	mksym("/", "root/c");
	mksym("a", "root/d");
	mksym("d/passwd", "root/e");
	mksym("loop2", "root/loop1");
	mksym("loop1", "root/loop2");
	mksym("self", "root/self");
	mksym("../outside", "root/out");
	mksym("../../../../etc/passwd", "root/dir/up");
	mksym("etc/passwd", "root/lnkfile");
	mksym("/created", "root/sd");
	mksym("/etc/dangling-target", "root/dang");
	mksym("/etc/dangfile-target-openat2", "root/dangfile-openat2");
	mksym("/etc/dangfile-target-fallback", "root/dangfile-fallback");
	mksym("/etc/dangling-openat2", "root/dang-openat2");
	mksym("/etc/dangling-fallback", "root/dang-fallback");
	/* A chain of 40 links ends at etc/passwd; a chain of 41 is too long. */
	for (int i = 0; i < 41; i++) {
		_cleanup_free_ char *name = xasprintf("root/l%d", i);
		_cleanup_free_ char *target = i == 40 ? xstrdup("/etc/passwd") : xasprintf("l%d", i + 1);
		mksym(target, name);
	}
	struct stat st;
	_cleanup_free_ char *pw = tpath("root/etc/passwd");
	must(stat(pw, &st), pw);
	inside_ino = st.st_ino;
}

/* Opens PATH with fn and checks it is root/etc/passwd. */
static void expect_inside(open_fn fn, const char *kind, const char *path)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_close_ int fd = fn(rootfd, path, O_RDONLY, 0, &err);
	struct stat st;
	bool good = fd >= 0 && fstat(fd, &st) == 0 && st.st_ino == inside_ino;
	ok(good, "%s: '%s' opens root/etc/passwd", kind, path);
	if (!good && err)
		diag("  error: %s", err->msg);
}

static void expect_errno(open_fn fn, const char *kind, const char *path, int flags, int code)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_close_ int fd = fn(rootfd, path, flags, 0644, &err);
	ok(fd == -code && err && err->code == code, "%s: '%s' fails with %s", kind, path,
	   strerror(code));
	if (fd != -code)
		diag("  got %d (%s)", fd, err ? err->msg : "no error");
}

static bool same_file(int fd, const char *rel)
{
	struct stat a, b;
	_cleanup_free_ char *p = tpath(rel);
	return fd >= 0 && fstat(fd, &a) == 0 && stat(p, &b) == 0 && a.st_ino == b.st_ino &&
	       a.st_dev == b.st_dev;
}

static void test_open(open_fn fn, const char *kind)
{
	expect_inside(fn, kind, "etc/passwd");
	expect_inside(fn, kind, "/etc/passwd");
	expect_inside(fn, kind, "//etc//./passwd");
	expect_inside(fn, kind, "a/passwd");
	expect_inside(fn, kind, "b/etc/passwd");
	expect_inside(fn, kind, "c/etc/passwd");
	expect_inside(fn, kind, "c/../c/../../etc/passwd");
	expect_inside(fn, kind, "../../../../etc/passwd");
	expect_inside(fn, kind, "/../../etc/passwd");
	expect_inside(fn, kind, "d/passwd");
	expect_inside(fn, kind, "e");
	expect_inside(fn, kind, "dir/up");
	expect_inside(fn, kind, "dir/sub/../../etc/passwd");
	expect_inside(fn, kind, "lnkfile");
	expect_errno(fn, kind, "l1/x", O_RDONLY, ENOTDIR);
	expect_errno(fn, kind, "loop1", O_RDONLY, ELOOP);
	expect_errno(fn, kind, "self/x", O_RDONLY, ELOOP);
	expect_errno(fn, kind, "out", O_RDONLY, ENOENT);
	expect_errno(fn, kind, "b/outside", O_RDONLY, ENOENT);
	expect_errno(fn, kind, "etc/passwd/", O_RDONLY, ENOTDIR);
	expect_errno(fn, kind, "etc/passwd/x", O_RDONLY, ENOTDIR);
	expect_errno(fn, kind, "nonexistent", O_RDONLY, ENOENT);
	expect_errno(fn, kind, "lnkfile", O_RDONLY | O_NOFOLLOW, ELOOP);
	expect_errno(fn, kind, "etc/passwd", O_RDONLY | O_CREAT | O_EXCL, EEXIST);
	expect_errno(fn, kind, "lnkfile", O_WRONLY | O_CREAT | O_EXCL, EEXIST);

	/* l0 -> l1 -> ... -> l40 -> /etc/passwd: from l1 that is 40 symlinks
	 * (the limit, allowed), from l0 it is 41 (too many). */
	expect_inside(fn, kind, "l1");
	expect_inside(fn, kind, "dir/../l1");
	expect_errno(fn, kind, "l0", O_RDONLY, ELOOP);

	/* O_PATH|O_NOFOLLOW opens the symlink itself. */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_close_ int fd = fn(rootfd, "a", O_PATH | O_NOFOLLOW, 0, &err);
		struct stat st;
		ok(fd >= 0 && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode),
		   "%s: O_PATH|O_NOFOLLOW on 'a' opens the symlink", kind);
	}
	/* The root itself. */
	const char *roots[] = { "", ".", "/", "..", "c", "b/", "/../." };
	for (size_t i = 0; i < ARRAY_SIZE(roots); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_close_ int fd = fn(rootfd, roots[i], O_RDONLY | O_DIRECTORY, 0, &err);
		ok(same_file(fd, "root"), "%s: '%s' is the root", kind, roots[i]);
	}
	/* Creating through a symlinked directory stays inside. */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = xasprintf("sd/new-%s", kind);
		_cleanup_free_ char *where = xasprintf("root/created/new-%s", kind);
		_cleanup_close_ int fd = fn(rootfd, name, O_WRONLY | O_CREAT | O_EXCL, 0600, &err);
		ok(fd >= 0 && same_file(fd, where), "%s: O_CREAT 'sd/new' creates root/created/new",
		   kind);
		if (err)
			diag("  error: %s", err->msg);
		struct stat st;
		ok(fd >= 0 && fstat(fd, &st) == 0 && (st.st_mode & 07777) == 0600,
		   "%s: mode 0600 applied", kind);
		_cleanup_free_ char *host = xasprintf("/created/new-%s", kind);
		ok(access(host, F_OK) < 0, "%s: nothing created at '%s' on the host", kind, host);
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = xasprintf("b/escape-%s", kind);
		_cleanup_free_ char *where = xasprintf("root/escape-%s", kind);
		_cleanup_free_ char *outside = xasprintf("escape-%s", kind);
		_cleanup_close_ int fd = fn(rootfd, name, O_WRONLY | O_CREAT, 0644, &err);
		ok(fd >= 0 && same_file(fd, where), "%s: O_CREAT 'b/escape' creates root/escape", kind);
		ok(!exists(outside), "%s: nothing created next to the root", kind);
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = xasprintf("../../escape2-%s", kind);
		_cleanup_free_ char *where = xasprintf("root/escape2-%s", kind);
		_cleanup_close_ int fd = fn(rootfd, name, O_WRONLY | O_CREAT, 0644, &err);
		ok(fd >= 0 && same_file(fd, where), "%s: O_CREAT '../../escape2' stays in root", kind);
	}
	/* O_CREAT through a dangling absolute symlink creates its target in the root. */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = xasprintf("dangfile-%s", kind);
		_cleanup_free_ char *where = xasprintf("root/etc/dangfile-target-%s", kind);
		_cleanup_close_ int fd = fn(rootfd, name, O_WRONLY | O_CREAT, 0644, &err);
		ok(fd >= 0 && same_file(fd, where), "%s: O_CREAT through a dangling symlink creates %s",
		   kind, where);
		if (err)
			diag("  error: %s", err->msg);
		_cleanup_close_ int fd2 = fn(rootfd, "dang", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644, &err);
		ok(fd2 == -ELOOP, "%s: ... but not with O_NOFOLLOW", kind);
	}
	/* Writing through a symlink to a file writes the in-root target. */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_close_ int fd = fn(rootfd, "e", O_WRONLY | O_APPEND, 0, &err);
		ok(fd >= 0 && oci_write_all(fd, "", 0) == 0 && same_file(fd, "root/etc/passwd"),
		   "%s: O_WRONLY through 'e' opens root/etc/passwd", kind);
	}
	/* The error names the path. */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		int fd = fn(rootfd, "no/such", O_RDONLY, 0, &err);
		ok(fd == -ENOENT && err && strstr(err->msg, "'no/such'"),
		   "%s: error message names the path (%s)", kind, err ? err->msg : "none");
	}
}

static void test_parent(parent_fn fn, const char *kind)
{
	struct {
		const char *path;
		const char *dir; /* relative to top */
		const char *name;
	} cases[] = {
		{ "etc/passwd", "root/etc", "passwd" },
		{ "/etc/passwd", "root/etc", "passwd" },
		{ "a/passwd", "root/etc", "passwd" },
		{ "b/etc/x", "root/etc", "x" },
		{ "../../etc/y", "root/etc", "y" },
		{ "top", "root", "top" },
		{ "/", "root", "" },
		{ "lnkfile", "root", "lnkfile" },
		{ "dir/sub/", "root/dir", "sub" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
		_cleanup_close_ int fd = fn(rootfd, cases[i].path, false, 0755, &name, &err);
		ok(same_file(fd, cases[i].dir) && name && streq(name, cases[i].name),
		   "%s: parent of '%s' is %s, name '%s'", kind, cases[i].path, cases[i].dir,
		   cases[i].name);
		if (err)
			diag("  error: %s", err->msg);
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
		int fd = fn(rootfd, "missing/dir/file", false, 0755, &name, &err);
		ok(fd == -ENOENT && !name, "%s: missing parent without mkdirs is ENOENT", kind);
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
		int fd = fn(rootfd, "etc/..", false, 0755, &name, &err);
		ok(fd == -EINVAL, "%s: a path ending in '..' is refused", kind);
	}
	/* mkdirs: hostile paths create directories inside the root only. */
	struct {
		const char *path; /* %s: kind */
		const char *dir;
	} mk[] = {
		{ "x/y/z-%s/f", "root/x/y/z-%s" },
		{ "a/newdir-%s/f", "root/etc/newdir-%s" },
		{ "b/evil-%s/f", "root/evil-%s" },
		{ "../../../evil2/deep-%s/f", "root/evil2/deep-%s" },
		{ "c/etc/../sd/inner-%s/f", "root/created/inner-%s" },
		{ "dang-%s/f", "root/etc/dangling-%s" },
		{ "dang-%s/more/f", "root/etc/dangling-%s/more" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(mk); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		_cleanup_free_ char *path = xasprintf(mk[i].path, kind);
		_cleanup_free_ char *dir = xasprintf(mk[i].dir, kind);
#pragma GCC diagnostic pop
		_cleanup_close_ int fd = fn(rootfd, path, true, 0750, &name, &err);
		ok(same_file(fd, dir) && name && streq(name, "f"), "%s: mkdirs '%s' creates %s",
		   kind, path, dir);
		if (err)
			diag("  error: %s", err->msg);
		struct stat st;
		_cleanup_free_ char *full = tpath(dir);
		ok(lstat(full, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0750,
		   "%s: %s is a directory with mode 0750", kind, dir);
	}
	ok(!exists("evil") && !exists("../evil") && !exists("evil2"),
	   "%s: nothing created outside the root", kind);
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
		int fd = fn(rootfd, "loop1/x/f", true, 0755, &name, &err);
		ok(fd == -ELOOP, "%s: mkdirs through a loop is ELOOP", kind);
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *name = NULL;
		int fd = fn(rootfd, "etc/passwd/x/f", true, 0755, &name, &err);
		ok(fd == -ENOTDIR, "%s: mkdirs through a file is ENOTDIR", kind);
	}
}

static void test_resolve(void)
{
	struct {
		const char *path, *want;
	} cases[] = {
		{ "a/passwd", "/etc/passwd" },
		{ "b", "/" },
		{ "c", "/" },
		{ "", "/" },
		{ "/", "/" },
		{ "d/nonexistent", "/etc/nonexistent" },
		{ "dir/sub/..", "/dir" },
		{ "dir/up", "/etc/passwd" },
		{ "e", "/etc/passwd" },
		{ "../../x", "/x" },
		{ "dang", "/etc/dangling-target" },
		{ "lnkfile", "/etc/passwd" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *got = NULL;
		int r = oci_resolve_in_root(rootfd, cases[i].path, &got, &err);
		ok(r == 0 && got && streq(got, cases[i].want), "resolve '%s' is '%s' (got '%s')",
		   cases[i].path, cases[i].want, got ? got : err ? err->msg : "?");
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *got = NULL;
		int r = oci_resolve_in_root(rootfd, "loop1", &got, &err);
		ok(r == -ELOOP && !got, "resolve 'loop1' is ELOOP");
	}
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *got = NULL;
		int r = oci_resolve_in_root(rootfd, "missing/x", &got, &err);
		ok(r == -ENOENT && !got, "resolve 'missing/x' is ENOENT");
	}
}

static void test_paths(void)
{
	struct {
		const char *a, *b, *want;
	} joins[] = {
		{ "a", "b", "a/b" },       { "a/", "b", "a/b" },   { "a//", "/b", "a/b" },
		{ "/", "b", "/b" },        { "", "b", "b" },       { "a", "", "a" },
		{ "/x/y", "z/w", "/x/y/z/w" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(joins); i++) {
		_cleanup_free_ char *got = oci_path_join(joins[i].a, joins[i].b);
		is_str(got, joins[i].want, "join '%s' '%s'", joins[i].a, joins[i].b);
	}
	struct {
		const char *in, *want;
	} cleans[] = {
		{ "/", "/" },
		{ "", "." },
		{ ".", "." },
		{ "a//b/./c/", "a/b/c" },
		{ "/../..", "/" },
		{ "/a/../../b", "/b" },
		{ "../a", "../a" },
		{ "a/../..", ".." },
		{ "../../a/..", "../.." },
		{ "a/b/../../c", "c" },
		{ "//usr///bin/", "/usr/bin" },
		{ "a/..", "." },
		{ "/a/b/..", "/a" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cleans); i++) {
		_cleanup_free_ char *got = oci_path_clean(cleans[i].in);
		is_str(got, cleans[i].want, "clean '%s'", cleans[i].in);
	}
}

static void test_files(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_free_ char *deep = tpath("m/n/o/p");
	is_int(oci_mkdir_p(deep, 0755, &err), 0, "mkdir -p m/n/o/p");
	is_int(oci_mkdir_p(deep, 0755, &err), 0, "mkdir -p again is fine");
	struct stat st;
	ok(stat(deep, &st) == 0 && S_ISDIR(st.st_mode), "m/n/o/p is a directory");
	_cleanup_free_ char *fileish = tpath("outside/x");
	ok(oci_mkdir_p(fileish, 0755, &err) == -ENOTDIR && err && strstr(err->msg, "outside"),
	   "mkdir -p through a file fails naming it");
	oci_err_clear(&err);

	int tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	is_int(oci_mkdirat_p(tfd, "q/r/s", 0700, &err), 0, "mkdirat -p q/r/s");
	ok(exists("q/r/s"), "q/r/s exists");

	_cleanup_free_ char *f = tpath("m/file");
	is_int(oci_write_file_atomic(f, "hello", 5, 0640, &err), 0, "atomic write");
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	is_int(oci_read_file(f, 0, &data, &len, &err), 0, "read back");
	ok(len == 5 && data && streq(data, "hello"), "content and length");
	ok(stat(f, &st) == 0 && (st.st_mode & 0777) == 0640, "mode 0640 despite umask");
	free(TAKE_PTR(data));
	is_int(oci_write_file_atomicat(tfd, "m/file", "bye", 3, 0600, &err), 0, "atomic rewrite (at)");
	is_int(oci_read_fileat(tfd, "m/file", 0, &data, &len, &err), 0, "read back (at)");
	ok(len == 3 && streq(data, "bye"), "new content replaced the old");
	free(TAKE_PTR(data));
	/* No temporary files left over. */
	{
		_cleanup_free_ char *mdir = tpath("m");
		DIR *d = opendir(mdir);
		int n = 0;
		struct dirent *de;
		while (d && (de = readdir(d)))
			if (!streq(de->d_name, ".") && !streq(de->d_name, ".."))
				n++;
		if (d)
			closedir(d);
		is_int(n, 2, "no temporary file left next to it (n, file)");
	}
	/* Empty files and a limit. */
	is_int(oci_write_file_atomic(f, "", 0, 0644, &err), 0, "write empty");
	is_int(oci_read_file(f, 0, &data, &len, &err), 0, "read empty");
	ok(len == 0 && data && data[0] == '\0', "empty file reads as \"\"");
	free(TAKE_PTR(data));
	_cleanup_free_ char *big = xmalloc(200000);
	memset(big, 'x', 200000);
	is_int(oci_write_file_atomic(f, big, 200000, 0644, &err), 0, "write 200000 bytes");
	is_int(oci_read_file(f, 0, &data, &len, &err), 0, "read 200000 bytes");
	ok(len == 200000 && data[199999] == 'x' && data[200000] == '\0', "all of it, terminated");
	free(TAKE_PTR(data));
	ok(oci_read_file(f, 1000, &data, &len, &err) == -EFBIG && !data, "max 1000 is EFBIG");
	oci_err_clear(&err);
	is_int(oci_read_file(f, 200000, &data, &len, &err), 0, "max equal to size is fine");
	free(TAKE_PTR(data));
	_cleanup_free_ char *nof = tpath("nope");
	ok(oci_read_file(nof, 0, &data, &len, &err) == -ENOENT && err && strstr(err->msg, "nope"),
	   "reading a missing file names it");
	oci_err_clear(&err);
	_cleanup_free_ char *baddir = tpath("nodir/file");
	ok(oci_write_file_atomic(baddir, "x", 1, 0644, &err) == -ENOENT, "write in a missing dir");
	oci_err_clear(&err);
	close(tfd);

	/* write_all to a pipe */
	int p[2];
	must(pipe2(p, O_CLOEXEC), "pipe");
	is_int(oci_write_all(p[1], "abc", 3), 0, "write_all to a pipe");
	char buf[4] = { 0 };
	ok(read(p[0], buf, 3) == 3 && streq(buf, "abc"), "pipe got it");
	close(p[0]);
	is_int(oci_write_all(p[1], "abc", 3), -EPIPE, "write_all to a closed pipe is EPIPE");
	close(p[1]);

	_cleanup_free_ char *tmpd = NULL;
	_cleanup_free_ char *prefix = tpath("tmpd");
	is_int(oci_mkdtemp(prefix, &tmpd, &err), 0, "mkdtemp");
	ok(tmpd && startswith(tmpd, prefix) && strlen(tmpd) == strlen(prefix) + 7 &&
		   stat(tmpd, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 0777) == 0700,
	   "mkdtemp made %s (0700)", tmpd ? tmpd : "?");
	_cleanup_free_ char *badprefix = tpath("nodir/x");
	_cleanup_free_ char *tmp2 = NULL;
	ok(oci_mkdtemp(badprefix, &tmp2, &err) < 0 && !tmp2 && err, "mkdtemp in a missing dir fails");
	oci_err_clear(&err);
}

/* oci_read_fd: pipes and files, the cap, appending, a bad fd. */
static void test_read_fd(void)
{
	int p[2];
	must(pipe2(p, O_CLOEXEC), "pipe");
	must(oci_write_all(p[1], "state", 5), "write");
	close(p[1]);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	sbuf_addstr(&sb, "the ");
	is_int(oci_read_fd(p[0], 5, &sb), 0, "read_fd: a pipe, exactly its cap");
	ok(sb.len == 9 && streq(sb.buf, "the state"), "appended after what sb held");
	close(p[0]);

	/* More than a pipe or one 64 KiB step: a file of 200000 bytes. */
	int fd = memfd_create("read_fd", MFD_CLOEXEC);
	must(fd, "memfd_create");
	_cleanup_free_ char *big = xmalloc(200000);
	for (size_t i = 0; i < 200000; i++)
		big[i] = (char)('a' + i % 26);
	must(oci_write_all(fd, big, 200000), "write");
	sbuf_reset(&sb);
	must(lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1, "lseek");
	is_int(oci_read_fd(fd, 0, &sb), 0, "read_fd: 200000 bytes, no cap");
	ok(sb.len == 200000 && memcmp(sb.buf, big, 200000) == 0 && sb.buf[200000] == '\0',
	   "all of it, in order, NUL-terminated");
	sbuf_reset(&sb);
	must(lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1, "lseek");
	is_int(oci_read_fd(fd, 199999, &sb), -EFBIG, "read_fd: one byte over the cap is EFBIG");
	sbuf_reset(&sb);
	must(lseek(fd, 0, SEEK_SET) == 0 ? 0 : -1, "lseek");
	is_int(oci_read_fd(fd, 200000, &sb), 0, "read_fd: a cap equal to the size is fine");
	close(fd);

	sbuf_reset(&sb);
	is_int(oci_read_fd(-1, 0, &sb), -EBADF, "read_fd: a bad fd is -EBADF");
	ok(sb.len == 0 && sb.buf[0] == '\0', "sb still empty and terminated");
}

static void test_rm_rf(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	/* victim/ holds files, dirs, and symlinks pointing outside. */
	mkd("keep");
	mkfile("keep/precious", "x");
	mkd("victim");
	mkd("victim/d1");
	mkd("victim/d1/d2");
	mkfile("victim/d1/d2/f", "x");
	mkfile("victim/f", "x");
	_cleanup_free_ char *keep = tpath("keep");
	mksym(keep, "victim/abs-link");
	mksym("../keep", "victim/rel-link");
	mksym("../../keep/precious", "victim/d1/file-link");
	_cleanup_free_ char *fifo = tpath("victim/fifo");
	must(mkfifo(fifo, 0644), "mkfifo");
	_cleanup_free_ char *victim = tpath("victim");
	is_int(oci_rm_rf(victim, &err), 0, "rm -rf victim");
	if (err)
		diag("  error: %s", err->msg);
	ok(!exists("victim"), "victim is gone");
	ok(exists("keep/precious"), "what its symlinks point to survives");
	is_int(oci_rm_rf(victim, &err), 0, "rm -rf of a missing path is fine");

	/* A symlink given as the path: the link goes, not its target. */
	mksym(keep, "link-to-keep");
	_cleanup_free_ char *lk = tpath("link-to-keep");
	is_int(oci_rm_rf(lk, &err), 0, "rm -rf a symlink to a directory");
	ok(!exists("link-to-keep") && exists("keep/precious"), "only the link went");

	/* rm_rfat and a plain file. */
	int tfd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	mkfile("plain", "x");
	is_int(oci_rm_rfat(tfd, "plain", &err), 0, "rm_rfat a file");
	ok(!exists("plain"), "gone");

	/* A mount inside is not crossed. */
	mkd("mnt");
	mkd("mnt/m");
	_cleanup_free_ char *m = tpath("mnt/m");
	if (mount("tmpfs", m, "tmpfs", 0, "size=1m") < 0) {
		skip("cannot mount tmpfs (needs root)", "rm -rf stops at a mount point");
		skip("cannot mount tmpfs (needs root)", "the mount's content survives");
	} else {
		mkfile("mnt/m/inmount", "x");
		int r = oci_rm_rfat(tfd, "mnt", &err);
		ok(r == -EBUSY && err && strstr(err->msg, "mnt/m"),
		   "rm -rf stops at a mount point (%s)", err ? err->msg : "no error");
		oci_err_clear(&err);
		ok(exists("mnt/m/inmount"), "the mount's content survives");
		umount2(m, MNT_DETACH);
	}
	is_int(oci_rm_rfat(tfd, "mnt", &err), 0, "after umount it goes");

	/* A bind mount of a directory of the same filesystem (same st_dev). */
	mkd("bind");
	mkd("bind/b");
	_cleanup_free_ char *b = tpath("bind/b");
	if (mount(keep, b, NULL, MS_BIND, NULL) < 0) {
		skip("cannot bind mount (needs root)", "rm -rf stops at a bind mount");
		skip("cannot bind mount (needs root)", "the bind-mounted directory survives");
	} else {
		int r = oci_rm_rfat(tfd, "bind", &err);
		ok(r == -EBUSY && err && strstr(err->msg, "bind/b"),
		   "rm -rf stops at a bind mount of the same filesystem (%s)",
		   err ? err->msg : "no error");
		oci_err_clear(&err);
		ok(exists("keep/precious"), "the bind-mounted directory survives");
		umount2(b, MNT_DETACH);
	}
	is_int(oci_rm_rfat(tfd, "bind", &err), 0, "after umount it goes");

	/* A tree deeper than half the default descriptor limit. */
	{
		int cur = openat(tfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		must(mkdirat(cur, "deep", 0755), "mkdir deep");
		for (int i = 0; i < 700; i++) {
			int next = openat(cur, i ? "d" : "deep", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			must(next, "open deep");
			close(cur);
			cur = next;
			must(mkdirat(cur, "d", 0755), "mkdir d");
		}
		close(cur);
		/* With the usual soft limit of 1024: two descriptors per level would fail. */
		struct rlimit old, lim;
		getrlimit(RLIMIT_NOFILE, &old);
		lim = old;
		if (lim.rlim_cur > 1024)
			lim.rlim_cur = 1024;
		setrlimit(RLIMIT_NOFILE, &lim);
		is_int(oci_rm_rfat(tfd, "deep", &err), 0, "rm -rf a tree 700 levels deep (1024 fds)");
		setrlimit(RLIMIT_NOFILE, &old);
		if (err)
			diag("  error: %s", err->msg);
		oci_err_clear(&err);
		ok(!exists("deep"), "it is gone");
	}

	/* A long name still gets a temporary file within NAME_MAX. */
	char longname[256];
	memset(longname, 'n', 255);
	longname[255] = '\0';
	is_int(oci_write_file_atomicat(tfd, longname, "x", 1, 0644, &err), 0,
	       "atomic write of a 255-byte name");
	if (err)
		diag("  error: %s", err->msg);
	oci_err_clear(&err);
	unlinkat(tfd, longname, 0);
	close(tfd);
}

static int count_fds(void)
{
	int n = 0;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	while (d && (de = readdir(d)))
		n++;
	if (d)
		closedir(d);
	return n;
}

int main(void)
{
	umask(022);
	signal(SIGPIPE, SIG_IGN);
	char tmpl[] = "/tmp/test-fs.XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 2;
	}
	top = tmpl;
	build_layout();
	rootp = tpath("root");
	rootfd = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	must(rootfd, rootp);

	int fds = count_fds();
	test_open(oci_open_in_root, "openat2");
	test_open(oci_open_in_root_fallback, "fallback");
	test_parent(oci_open_parent_in_root, "openat2");
	test_parent(oci_open_parent_in_root_fallback, "fallback");
	test_resolve();
	is_int(count_fds(), fds, "no fd leaked by the in-root functions");
	test_paths();
	test_files();
	test_read_fd();
	test_rm_rf();
	is_int(count_fds(), fds, "no fd leaked at the end");

	close(rootfd);
	_cleanup_err_ struct oci_err *err = NULL;
	if (oci_rm_rf(top, &err) < 0)
		diag("cleanup: %s", err->msg);
	free(rootp);
	done_testing();
	return exit_status();
}
