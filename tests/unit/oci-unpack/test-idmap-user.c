/* oci-unpack: id maps, the path set, and User resolution through a root's
 * /etc/passwd and /etc/group. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs.h"
#include "tap.h"
#include "unpack.h"
#include "util.h"

static void test_idmap(void)
{
	struct unpack_idmap m[2];
	struct oci_err *err = NULL;
	ok(unpack_idmap_parse("0:100000:65536", &m[0], &err) == 0, "parse a map");
	is_int(m[0].inside, 0, "inside");
	is_int(m[0].outside, 100000, "outside");
	is_int(m[0].len, 65536, "length");
	ok(unpack_idmap_parse("65536:5000:10", &m[1], &err) == 0, "parse a second map");
	uint32_t id = 0;
	ok(unpack_idmap_apply(m, 2, 1000, &id) == 0 && id == 101000, "1000 -> 101000");
	ok(unpack_idmap_apply(m, 2, 65537, &id) == 0 && id == 5001, "65537 -> 5001");
	ok(unpack_idmap_apply(m, 2, 70000, &id) < 0, "an id outside the maps fails");
	ok(unpack_idmap_apply(NULL, 0, 42, &id) == 0 && id == 42, "no map: identity");
	/* umoci's container:host[:size]: the size defaults to 1 */
	ok(unpack_idmap_parse("0:1000", &m[0], &err) == 0 && m[0].inside == 0 &&
		   m[0].outside == 1000 && m[0].len == 1,
	   "CONTAINER:HOST is a map of one id");
	static const char *const bad[] = { "",	      "1",	"1:2:3:4", "a:2:3", "1:2:0",
					   "-1:2:3", "4294967295:0:2", "1:2:", ":2", "1::3" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		int r = unpack_idmap_parse(bad[i], &m[0], &err);
		ok(r < 0 && err && strstr(err->msg, bad[i]), "'%s' is refused, naming it", bad[i]);
		oci_err_clear(&err);
	}
}

static void test_rootless_xattr(void)
{
	unsigned char buf[16];
	uint32_t u = 1, g = 1;
	/* umoci writes 1000:1000 as 08 e8 07 10 e8 07 */
	size_t n = unpack_rootless_xattr_encode(1000, 1000, buf);
	ok(n == 6 && memcmp(buf, "\x08\xe8\x07\x10\xe8\x07", 6) == 0, "1000:1000 encoded");
	ok(unpack_rootless_xattr_decode(buf, n, &u, &g) == 0 && u == 1000 && g == 1000,
	   "and decoded");
	n = unpack_rootless_xattr_encode(UNPACK_ROOTLESS_NOOP, 5, buf);
	ok(n == 8 && unpack_rootless_xattr_decode(buf, n, &u, &g) == 0 &&
		   u == UNPACK_ROOTLESS_NOOP && g == 5,
	   "the no-op id (4294967295) takes five bytes and comes back");
	ok(unpack_rootless_xattr_decode("\x10\x07", 2, &u, &g) == 0 && u == 0 && g == 7,
	   "a missing field is 0 (proto3)");
	ok(unpack_rootless_xattr_decode("\x08", 1, &u, &g) < 0, "a cut varint is refused");
	ok(unpack_rootless_xattr_decode("\x18\x01", 2, &u, &g) < 0, "an unknown field is refused");
	ok(unpack_rootless_xattr_decode("\x08\xff\xff\xff\xff\x1f", 6, &u, &g) < 0,
	   "a value over 32 bits is refused");
}

static void test_pathset(void)
{
	struct unpack_pathset *s = unpack_pathset_new();
	unpack_pathset_add(s, "/a/b/c");
	ok(unpack_pathset_has(s, "/a/b/c"), "has the path");
	ok(unpack_pathset_has(s, "/a/b") && unpack_pathset_has(s, "/a"), "and its ancestors");
	ok(!unpack_pathset_has(s, "/a/b/c/d") && !unpack_pathset_has(s, "/a/x"), "not others");
	unpack_pathset_add_one(s, "/x/y");
	ok(unpack_pathset_has(s, "/x/y") && !unpack_pathset_has(s, "/x"), "add_one: no ancestors");
	for (int i = 0; i < 5000; i++) {
		char p[64];
		snprintf(p, sizeof(p), "/many/%d", i);
		unpack_pathset_add(s, p);
	}
	ok(unpack_pathset_has(s, "/many/0") && unpack_pathset_has(s, "/many/4999") &&
		   !unpack_pathset_has(s, "/many/5000"),
	   "5000 entries after growing");
	unpack_pathset_clear(s);
	ok(!unpack_pathset_has(s, "/a"), "clear empties it");
	unpack_pathset_free(s);
	unpack_pathset_free(NULL);
}

static void write_file(const char *dir, const char *name, const char *content)
{
	char *p = oci_path_join(dir, name);
	FILE *f = fopen(p, "w");
	fputs(content, f);
	fclose(f);
	free(p);
}

static void test_user(void)
{
	char tmpl[] = "/tmp/oci-unpack-user.XXXXXX";
	char *root = mkdtemp(tmpl);
	char *etc = oci_path_join(root, "etc");
	mkdir(etc, 0755);
	write_file(root, "etc/passwd",
		   "root:x:0:0:root:/root:/bin/sh\n"
		   "# a comment\n"
		   "app:x:1000:1000:App:/home/app:/bin/sh\n"
		   "broken line\n"
		   "web:x:33:33::/var/www:/bin/false\n");
	write_file(root, "etc/group",
		   "root:x:0:\n"
		   "app:x:1000:\n"
		   "wheel:x:10:root,app\n"
		   "audio:x:29:web,app\n"
		   "www:x:33:\n");
	int rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct unpack_user u;
	struct oci_err *err = NULL;

	ok(unpack_user_resolve(rootfd, "app", &u, &err) == 0, "resolve 'app'");
	ok(u.uid == 1000 && u.gid == 1000, "app is 1000:1000");
	ok(u.n_additional_gids == 2 && u.additional_gids[0] == 10 && u.additional_gids[1] == 29,
	   "app's supplementary groups: wheel, audio");
	is_str(u.home, "/home/app", "app's home");
	unpack_user_release(&u);

	ok(unpack_user_resolve(rootfd, "1000", &u, &err) == 0 && u.uid == 1000 && u.gid == 1000 &&
		   u.n_additional_gids == 0,
	   "numeric 1000: gid from passwd, no additional gids");
	unpack_user_release(&u);
	ok(unpack_user_resolve(rootfd, "4242", &u, &err) == 0 && u.uid == 4242 && u.gid == 0,
	   "a numeric uid not in passwd is kept, gid 0");
	unpack_user_release(&u);
	ok(unpack_user_resolve(rootfd, "app:www", &u, &err) == 0 && u.uid == 1000 &&
		   u.gid == 33 && u.n_additional_gids == 0,
	   "app:www: the named group, no additional gids");
	unpack_user_release(&u);
	ok(unpack_user_resolve(rootfd, "33:7", &u, &err) == 0 && u.uid == 33 && u.gid == 7,
	   "33:7 verbatim");
	unpack_user_release(&u);
	ok(unpack_user_resolve(rootfd, "", &u, &err) == 0 && u.uid == 0 && u.gid == 0,
	   "no User: root");
	unpack_user_release(&u);
	ok(unpack_user_resolve(rootfd, "ghost", &u, &err) < 0 && strstr(err->msg, "ghost"),
	   "an unknown user is an error naming it");
	oci_err_clear(&err);
	ok(unpack_user_resolve(rootfd, "app:nogroup", &u, &err) < 0 &&
		   strstr(err->msg, "nogroup"),
	   "an unknown group is an error naming it");
	oci_err_clear(&err);

	/* /etc/passwd as a symlink out of the root is read inside the root */
	char *pw = oci_path_join(root, "etc/passwd");
	unlink(pw);
	ok(symlink("/../../../../etc/shadow-does-not-matter", pw) == 0, "passwd -> outside");
	ok(unpack_user_resolve(rootfd, "root", &u, &err) < 0, "then 'root' is not found");
	oci_err_clear(&err);
	unlink(pw);
	ok(symlink("/etc/passwd.real", pw) == 0, "passwd -> /etc/passwd.real (absolute)");
	write_file(root, "etc/passwd.real", "svc:x:500:501::/srv:/bin/sh\n");
	ok(unpack_user_resolve(rootfd, "svc", &u, &err) == 0 && u.uid == 500 && u.gid == 501,
	   "an absolute symlink resolves inside the root");
	unpack_user_release(&u);

	close(rootfd);
	oci_rm_rf(root, &err);
	free(pw);
	free(etc);
}

int main(void)
{
	test_idmap();
	test_rootless_xattr();
	test_pathset();
	test_user();
	done_testing();
	return exit_status();
}
