/* oci-unpack: extracting tars (made here with libarchive) in the layer
 * store's form and in flat form, digest checks, and diff of an upper dir. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <grp.h>
#include <stdio.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "digest.h"
#include "fs.h"
#include "tap.h"
#include "unpack.h"
#include "util.h"

struct ent {
	const char *name;
	char type; /* f d l h */
	const char *data; /* content, or link target */
	int mode;
};

/* Writes a tar of the entries to PATH (owned by uids[i]:gids[i] when
 * given, else 0:0) and returns its sha256. */
static void make_tar_owned(const char *path, const struct ent *e, size_t n, const int *uids,
			   const int *gids, struct oci_digest *ret)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_pax_restricted(a);
	archive_write_open_filename(a, path);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].name);
		archive_entry_set_mtime(ae, 1704067200, 0);
		archive_entry_set_perm(ae, e[i].mode ? e[i].mode : 0644);
		archive_entry_set_uid(ae, uids ? uids[i] : 0);
		archive_entry_set_gid(ae, gids ? gids[i] : 0);
		switch (e[i].type) {
		case 'd':
			archive_entry_set_filetype(ae, AE_IFDIR);
			break;
		case 'l':
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e[i].data);
			break;
		case 'h':
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_hardlink(ae, e[i].data);
			break;
		default:
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, e[i].data ? (la_int64_t)strlen(e[i].data) : 0);
		}
		archive_write_header(a, ae);
		if (e[i].type == 'f' && e[i].data)
			archive_write_data(a, e[i].data, strlen(e[i].data));
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	oci_digest_fd(OCI_DIGEST_SHA256, fd, ret, NULL, NULL);
	close(fd);
}

static void make_tar(const char *path, const struct ent *e, size_t n, struct oci_digest *ret)
{
	make_tar_owned(path, e, n, NULL, NULL, ret);
}

static int extract(const char *tar, const struct oci_digest *diff_id, const char *root, bool flat,
		   char ***implicit, struct oci_err **err)
{
	int fd = open(tar, O_RDONLY | O_CLOEXEC);
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct unpack_extract_opts o = { .flat = flat, .what = "test layer",
					 .ret_implicit = implicit };
	int r = unpack_extract(fd, NULL, diff_id, rootfd, &o, err);
	close(fd);
	close(rootfd);
	return r;
}

static char *slurp(const char *root, const char *name)
{
	char *p = oci_path_join(root, name), *s = NULL;
	size_t len;
	struct oci_err *err = NULL;
	if (oci_read_file(p, 0, &s, &len, &err) < 0)
		oci_err_free(err);
	free(p);
	return s;
}

static bool is_whiteout(const char *root, const char *name)
{
	char *p = oci_path_join(root, name);
	struct stat st;
	bool r = lstat(p, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(0, 0);
	free(p);
	return r;
}

static bool exists(const char *root, const char *name)
{
	char *p = oci_path_join(root, name);
	struct stat st;
	bool r = lstat(p, &st) == 0;
	free(p);
	return r;
}

static char *xattr_hex(const char *root, const char *name, const char *key)
{
	char *p = oci_path_join(root, name);
	unsigned char v[64];
	ssize_t n = lgetxattr(p, key, v, sizeof(v));
	free(p);
	char *hex = xcalloc(2 * sizeof(v) + 1, 1);
	for (ssize_t i = 0; i < n; i++)
		snprintf(hex + 2 * i, 3, "%02x", v[i]);
	return hex;
}

/* Rootless extraction by an unprivileged process (65534, in a child): a
 * directory its owner may not write still gets its files and keeps 0555,
 * owners go to user.rootlesscontainers, the opaque marker is
 * user.overlay.opaque. */
static void test_rootless(const char *dir)
{
	if (geteuid() != 0) {
		for (int i = 0; i < 6; i++)
			skip("needs root to run the extraction as another user", "rootless %d", i);
		return;
	}
	static const struct ent e[] = {
		{ "ro/", 'd', NULL, 0555 },	       { "ro/owned", 'f', "x", 0640 },
		{ "ro/rootfile", 'f', "y", 0644 },     { "op/", 'd', NULL, 0755 },
		{ "op/.wh..wh..opq", 'f', NULL, 0644 },
	};
	static const int uids[] = { 0, 1000, 0, 0, 0 }, gids[] = { 0, 1001, 0, 5, 0 };
	char *tar = oci_path_join(dir, "rl.tar"), *root = oci_path_join(dir, "rl");
	struct oci_digest d;
	make_tar_owned(tar, e, ARRAY_SIZE(e), uids, gids, &d);
	mkdir(root, 0755);
	(void)!chown(root, 65534, 65534);
	chmod(dir, 0755);
	pid_t pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		int fd = open(tar, O_RDONLY | O_CLOEXEC);
		int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		struct unpack_extract_opts o = { .rootless = true, .what = "rootless layer" };
		struct oci_err *err = NULL;
		int r = unpack_extract(fd, NULL, &d, rootfd, &o, &err);
		if (r < 0)
			fprintf(stderr, "# %s\n", err->msg);
		_exit(r < 0 ? 1 : 0);
	}
	int st = -1;
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0, "rootless: extracted as uid 65534");
	char *ro = oci_path_join(root, "ro");
	struct stat s1, s2;
	ok(stat(ro, &s1) == 0 && (s1.st_mode & 07777) == 0555 && exists(root, "ro/owned") &&
		   exists(root, "ro/rootfile"),
	   "rootless: the 0555 directory got its files and keeps its mode");
	char *hex = xattr_hex(root, "ro/owned", "user.rootlesscontainers");
	char *none = xattr_hex(root, "ro/rootfile", "user.rootlesscontainers");
	char *opq = oci_path_join(root, "op");
	char v[4] = "";
	ssize_t vn = getxattr(opq, "user.overlay.opaque", v, sizeof(v));
	ok(streq(hex, "08e80710e907") && !*none && stat(opq, &s2) == 0 && s2.st_uid == 65534 &&
		   s1.st_uid == 65534,
	   "rootless: 1000:1001 recorded (%s), 0:0 not, files the caller's", hex);
	ok(vn == 1 && v[0] == 'y' && getxattr(opq, "trusted.overlay.opaque", v, sizeof(v)) < 0,
	   "rootless: user.overlay.opaque=y, no trusted.overlay.opaque");
	free(hex), free(none), free(opq), free(ro), free(root);

	/* flat: a later layer deletes and adds in the lower layer's 0555
	 * directory; then the owner removes the whole tree */
	static const struct ent e2[] = {
		{ "ro/.wh.rootfile", 'f', NULL, 0644 },
		{ "ro/new", 'f', "n", 0644 },
	};
	char *tar2 = oci_path_join(dir, "rl2.tar"), *flat = oci_path_join(dir, "rlflat");
	struct oci_digest d2;
	make_tar(tar2, e2, ARRAY_SIZE(e2), &d2);
	mkdir(flat, 0755);
	(void)!chown(flat, 65534, 65534);
	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 ||
		    setresuid(65534, 65534, 65534) < 0)
			_exit(3);
		struct oci_err *err = NULL;
		int rootfd = open(flat, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		const char *tars[] = { tar, tar2 };
		const struct oci_digest *ds[] = { &d, &d2 };
		for (int i = 0; i < 2; i++) {
			int fd = open(tars[i], O_RDONLY | O_CLOEXEC);
			struct unpack_extract_opts o = { .rootless = true, .flat = true,
							 .what = "rootless layer" };
			if (unpack_extract(fd, NULL, ds[i], rootfd, &o, &err) < 0) {
				fprintf(stderr, "# %s\n", err->msg);
				_exit(1);
			}
			close(fd);
		}
		char *ro2 = oci_path_join(flat, "ro");
		struct stat s3;
		if (stat(ro2, &s3) < 0 || (s3.st_mode & 07777) != 0555 || exists(flat, "ro/rootfile") ||
		    !exists(flat, "ro/new"))
			_exit(2);
		if (unpack_rm_rfat(rootfd, "ro", &err) < 0) {
			fprintf(stderr, "# %s\n", err->msg);
			_exit(4);
		}
		_exit(0);
	}
	waitpid(pid, &st, 0);
	ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
	   "rootless flat: a whiteout and a file in a lower 0555 directory, which stays 0555, "
	   "and the owner removes it (status %d)", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	ok(exists(dir, "rlflat") && !exists(flat, "ro"), "rootless flat: the 0555 tree is gone");
	free(tar), free(tar2), free(flat);
}

int main(void)
{
	char tmpl[] = "/tmp/oci-unpack-extract.XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *tar1 = oci_path_join(dir, "1.tar"), *tar2 = oci_path_join(dir, "2.tar");
	char *layer1 = oci_path_join(dir, "l1"), *layer2 = oci_path_join(dir, "l2");
	char *flat = oci_path_join(dir, "flat");
	mkdir(layer1, 0755);
	mkdir(layer2, 0755);
	mkdir(flat, 0755);
	struct oci_err *err = NULL;
	struct oci_digest d1, d2;

	static const struct ent l1[] = {
		{ "etc/", 'd', NULL, 0755 },
		{ "etc/hosts", 'f', "127.0.0.1 localhost\n", 0644 },
		{ "opt/app/file", 'f', "one\n", 0600 },      /* opt/, opt/app/ implicit */
		{ "opt/app/link", 'h', "opt/app/file", 0 },
		{ "opt/app/sym", 'l', "../../etc/hosts", 0777 },
		{ "gone/", 'd', NULL, 0755 },
		{ "gone/x", 'f', "x", 0644 },
		{ "opq/", 'd', NULL, 0755 },
		{ "opq/old", 'f', "old", 0644 },
		{ "../../escape", 'f', "contained", 0644 },
		{ "/abs", 'f', "contained too", 0644 },
		{ "bin", 'd', NULL, 04755 },
	};
	make_tar(tar1, l1, ARRAY_SIZE(l1), &d1);
	static const struct ent l2[] = {
		{ "opq/new", 'f', "new", 0644 },
		{ "opq/.wh..wh..opq", 'f', "", 0 },  /* after an entry of the same layer */
		{ "gone/.wh.x", 'f', "", 0 },
		{ ".wh.gone", 'f', "", 0 },
		{ "etc/.wh.hosts", 'f', "", 0 },
		{ "etc/hosts", 'f', "readded\n", 0644 },   /* same layer: the file wins */
		{ "opt/app/file", 'f', "two\n", 0640 },
	};
	make_tar(tar2, l2, ARRAY_SIZE(l2), &d2);

	/* layer store form */
	char **implicit = NULL;
	ok(extract(tar1, &d1, layer1, false, &implicit, &err) == 0, "layer 1 extracts");
	if (err)
		diag("%s", err->msg), oci_err_clear(&err);
	char *s = slurp(layer1, "opt/app/file");
	is_str(s, "one\n", "file content");
	free(s);
	struct stat a, b;
	char *pa = oci_path_join(layer1, "opt/app/file"), *pb = oci_path_join(layer1, "opt/app/link");
	ok(stat(pa, &a) == 0 && stat(pb, &b) == 0 && a.st_ino == b.st_ino, "hardlink: same inode");
	ok((a.st_mode & 07777) == 0600 && a.st_mtime == 1704067200, "mode and mtime kept");
	free(pa);
	free(pb);
	ok(exists(layer1, "escape") && exists(layer1, "abs"), "../ and / names land in the root");
	ok(!exists(dir, "escape") && !exists("/", "abs"), "and not outside");
	char *bin = oci_path_join(layer1, "bin");
	ok(stat(bin, &a) == 0 && (a.st_mode & 07777) == 04755 && a.st_mtime == 1704067200,
	   "directory mode and mtime (set after its content)");
	free(bin);
	size_t ni = oci_strv_len(implicit);
	ok(ni == 2 && streq(implicit[0], "/opt") && streq(implicit[1], "/opt/app"),
	   "implicit directories reported: /opt, /opt/app (%zu)", ni);
	oci_strv_free(implicit);

	ok(extract(tar2, &d2, layer2, false, NULL, &err) == 0, "layer 2 extracts");
	if (err)
		diag("%s", err->msg), oci_err_clear(&err);
	ok(is_whiteout(layer2, "gone"), ".wh.gone: a 0/0 character device");
	ok(!is_whiteout(layer2, "etc/hosts"), "a whiteout of a file the layer has is not made");
	char v[8] = { 0 };
	char *opq = oci_path_join(layer2, "opq");
	ok(getxattr(opq, UNPACK_OVL_OPAQUE_XATTR, v, sizeof(v)) == 1 && v[0] == 'y',
	   "opaque directory: trusted.overlay.opaque=y");
	free(opq);
	ok(exists(layer2, "opq/new"), "the opaque dir keeps its own entry");

	/* flat form: both layers into one root */
	ok(extract(tar1, &d1, flat, true, NULL, &err) == 0 &&
		   extract(tar2, &d2, flat, true, NULL, &err) == 0,
	   "flat: both layers");
	if (err)
		diag("%s", err->msg), oci_err_clear(&err);
	ok(!exists(flat, "gone"), "flat: whiteout removes the directory");
	ok(!exists(flat, "opq/old") && exists(flat, "opq/new"),
	   "flat: opaque removes the lower entries, keeps the layer's own");
	s = slurp(flat, "etc/hosts");
	is_str(s, "readded\n", "flat: a file re-added in the whiteout's layer stays");
	free(s);
	s = slurp(flat, "opt/app/link");
	is_str(s, "one\n", "flat: replacing a hardlinked file leaves the other name alone");
	free(s);
	ok(!exists(flat, "gone/.wh.x") && !exists(flat, ".wh.gone"), "flat: no .wh. files");

	/* digests */
	struct oci_digest wrong;
	oci_digest_buf(OCI_DIGEST_SHA256, "x", 1, &wrong);
	char *l3 = oci_path_join(dir, "l3");
	mkdir(l3, 0755);
	ok(extract(tar1, &wrong, l3, false, NULL, &err) < 0 && err &&
		   strstr(err->msg, "diff_id") && strstr(err->msg, wrong.str),
	   "a wrong diff_id is an error naming it");
	oci_err_clear(&err);
	int fd = open(tar1, O_RDONLY | O_CLOEXEC);
	int rootfd = open(l3, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct unpack_extract_opts o = { .what = "blob" };
	ok(unpack_extract(fd, &wrong, &d1, rootfd, &o, &err) < 0 && err &&
		   strstr(err->msg, "digest mismatch"),
	   "a wrong blob digest is an error");
	oci_err_clear(&err);
	close(fd);
	close(rootfd);

	/* diff of an upper dir (the layer-2 form) back to a tar */
	char *out = oci_path_join(dir, "diff.tar");
	int ofd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ok(unpack_diff_dir(layer2, ofd, &err) == 0, "diff of layer 2's directory");
	close(ofd);
	struct archive *ar = archive_read_new();
	archive_read_support_format_tar(ar);
	archive_read_open_filename(ar, out, 65536);
	struct archive_entry *e;
	bool wh = false, opqwh = false, file = false, device = false;
	while (archive_read_next_header(ar, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);
		wh |= streq(p, ".wh.gone");
		opqwh |= streq(p, "opq/.wh..wh..opq");
		file |= streq(p, "opq/new");
		device |= archive_entry_filetype(e) == AE_IFCHR;
	}
	archive_read_free(ar);
	ok(wh && opqwh && file && !device, "diff: .wh.gone, opq/.wh..wh..opq, opq/new, no devices");

	test_rootless(dir);

	oci_rm_rf(dir, &err);
	free(tar1), free(tar2), free(layer1), free(layer2), free(flat), free(l3), free(out);
	done_testing();
	return exit_status();
}
