/* Config.User → process.user (image-spec conversion.md): numeric ids are
 * taken as they are, names are looked up in the rootfs's /etc/passwd and
 * /etc/group (read inside the root: symlinks cannot lead out of it), and a
 * user given without a group gets the supplementary groups it belongs to. */
#include "unpack.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

#define DB_MAX (16 * 1024 * 1024)

void unpack_user_release(struct unpack_user *u)
{
	free(u->additional_gids);
	free(u->home);
	memset(u, 0, sizeof(*u));
}

/* Reads /etc/NAME of the root, or NULL when it does not exist. */
static int read_db(int rootfd, const char *path, char **ret, struct oci_err **err)
{
	*ret = NULL;
	_cleanup_close_ int fd = oci_open_in_root(rootfd, path, O_RDONLY, 0, err);
	if (fd < 0) {
		if (*err && (*err)->code == ENOENT) {
			oci_err_clear(err);
			return 0;
		}
		return oci_err_wrap(err, "reading '%s' of the image", path);
	}
	struct sbuf sb = SBUF_INIT;
	char buf[65536];
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			sbuf_release(&sb);
			return oci_err_sys(err, "reading '%s' of the image", path);
		}
		if (n == 0)
			break;
		sbuf_add(&sb, buf, (size_t)n);
		if (sb.len > DB_MAX) {
			sbuf_release(&sb);
			return oci_err_set(err, EFBIG, "'%s' of the image is too large", path);
		}
	}
	*ret = sbuf_detach(&sb, NULL);
	return 0;
}

static bool parse_id(const char *s, uint32_t *ret)
{
	long long v;
	if (!*s || oci_parse_int64(s, 0, UINT32_MAX - 1, &v) < 0)
		return false;
	*ret = (uint32_t)v;
	return true;
}

/* Splits a colon-separated line into at most n fields (in place). */
static size_t fields(char *line, char **f, size_t n)
{
	size_t i = 0;
	f[i++] = line;
	for (char *p = line; *p && i < n; p++) {
		if (*p == ':') {
			*p = '\0';
			f[i++] = p + 1;
		}
	}
	return i;
}

struct pw {
	bool found;
	uint32_t uid, gid;
	char *name, *home;
};

/* Finds a passwd entry by name (name != NULL) or by uid. */
static void find_passwd(char *db, const char *name, uint32_t uid, struct pw *ret)
{
	char *save = NULL;
	for (char *line = strtok_r(db, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *f[7];
		if (line[0] == '#' || fields(line, f, 7) < 7)
			continue;
		uint32_t u, g;
		if (!parse_id(f[2], &u) || !parse_id(f[3], &g))
			continue;
		if (name ? streq(f[0], name) : u == uid) {
			ret->found = true;
			ret->uid = u;
			ret->gid = g;
			ret->name = xstrdup(f[0]);
			ret->home = xstrdup(f[5]);
			return;
		}
	}
}

static bool member_of(char *list, const char *user)
{
	char *save = NULL;
	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save))
		if (streq(m, user))
			return true;
	return false;
}

int unpack_user_resolve(int rootfd, const char *spec, struct unpack_user *ret,
			struct oci_err **err)
{
	struct unpack_user u = { 0 };
	if (!spec || !*spec)
		spec = "0";
	_cleanup_free_ char *user = xstrdup(spec);
	char *group = strchr(user, ':');
	if (group)
		*group++ = '\0';
	if (!*user)
		return oci_err_set(err, EINVAL, "invalid User '%s': no user", spec);

	_cleanup_free_ char *passwd = NULL, *groupdb = NULL;
	int r = read_db(rootfd, "/etc/passwd", &passwd, err);
	if (r < 0)
		return r;
	struct pw pw = { 0 };
	uint32_t uid = 0;
	bool numeric = parse_id(user, &uid);
	if (passwd) {
		_cleanup_free_ char *copy = xstrdup(passwd);
		find_passwd(copy, numeric ? NULL : user, uid, &pw);
	}
	if (!numeric && !pw.found)
		return oci_err_set(err, ENOENT, "User '%s': no user '%s' in the image's /etc/passwd",
				   spec, user);
	u.uid = numeric ? uid : pw.uid;
	u.gid = pw.found ? pw.gid : 0;
	u.home = pw.found && *pw.home ? xstrdup(pw.home) : NULL;

	if (group || (pw.found && !numeric)) {
		r = read_db(rootfd, "/etc/group", &groupdb, err);
		if (r < 0)
			goto fail;
	}
	if (group) {
		uint32_t gid;
		if (parse_id(group, &gid)) {
			u.gid = gid;
		} else {
			bool found = false;
			char *save = NULL;
			for (char *line = groupdb ? strtok_r(groupdb, "\n", &save) : NULL; line;
			     line = strtok_r(NULL, "\n", &save)) {
				char *f[4];
				if (fields(line, f, 4) < 3)
					continue;
				if (streq(f[0], group) && parse_id(f[2], &gid)) {
					found = true;
					break;
				}
			}
			if (!found) {
				r = oci_err_set(err, ENOENT,
						"User '%s': no group '%s' in the image's /etc/group",
						spec, group);
				goto fail;
			}
			u.gid = gid;
		}
	} else if (pw.found && !numeric && groupdb) {
		/* Supplementary groups of a named user (not when a group is given). */
		char *save = NULL;
		for (char *line = strtok_r(groupdb, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save)) {
			char *f[4];
			uint32_t gid;
			if (fields(line, f, 4) < 4 || !parse_id(f[2], &gid))
				continue;
			if (gid == u.gid || !member_of(f[3], pw.name))
				continue;
			u.additional_gids = xrealloc(u.additional_gids,
						     (u.n_additional_gids + 1) * sizeof(uint32_t));
			u.additional_gids[u.n_additional_gids++] = gid;
		}
	}
	free(pw.name);
	free(pw.home);
	*ret = u;
	return 0;
fail:
	free(pw.name);
	free(pw.home);
	unpack_user_release(&u);
	return r;
}
