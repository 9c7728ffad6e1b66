/* /etc/subuid and /etc/subgid, and the mappings made from them. */
#include "subid.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "fs.h"
#include "util.h"

/* A decimal number of [0, 2^32) spanning exactly [s, s+n). */
static bool parse_u32(const char *s, size_t n, uint64_t *ret)
{
	if (n == 0 || n > 10)
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > UINT32_MAX)
		return false;
	*ret = v;
	return true;
}

static bool owner_matches(const char *owner, size_t n, const char *name, uint32_t uid)
{
	if (name && strlen(name) == n && memcmp(owner, name, n) == 0)
		return true;
	uint64_t v;
	return parse_u32(owner, n, &v) && v == uid;
}

size_t run_subid_parse(const char *text, size_t len, const char *name, uint32_t uid,
		       struct run_subid_range **ret)
{
	struct run_subid_range *v = NULL;
	size_t n = 0;
	const char *end = text + len;
	for (const char *line = text; line < end;) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *le = nl ? nl : end;
		const char *next = nl ? nl + 1 : end;
		if (le > line && le[-1] == '\r')
			le--;
		if (le == line || line[0] == '#') {
			line = next;
			continue;
		}
		/* owner:start:count, exactly three fields */
		const char *c1 = memchr(line, ':', (size_t)(le - line));
		const char *c2 = c1 ? memchr(c1 + 1, ':', (size_t)(le - c1 - 1)) : NULL;
		uint64_t start, count;
		if (c1 && c2 && c1 > line && !memchr(c2 + 1, ':', (size_t)(le - c2 - 1)) &&
		    owner_matches(line, (size_t)(c1 - line), name, uid) &&
		    parse_u32(c1 + 1, (size_t)(c2 - c1 - 1), &start) &&
		    parse_u32(c2 + 1, (size_t)(le - c2 - 1), &count) && count > 0 &&
		    start + count <= (uint64_t)UINT32_MAX + 1) {
			v = xrealloc(v, (n + 1) * sizeof(*v));
			v[n].start = (uint32_t)start;
			v[n].count = (uint32_t)count;
			n++;
		}
		line = next;
	}
	*ret = v;
	return n;
}

int run_subid_read(const char *file, const char *name, uint32_t uid, struct run_subid_range **ret,
		   size_t *ret_n, struct oci_err **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	struct oci_err *e = NULL;
	if (oci_read_file(file, 64u << 20, &text, &len, &e) < 0) {
		if (e->code == ENOENT) {
			oci_err_free(e);
			*ret = NULL;
			*ret_n = 0;
			return 0;
		}
		int code = e->code;
		oci_err_free(e);
		errno = code;
		return oci_err_sys(err, "read '%s'", file);
	}
	*ret_n = run_subid_parse(text, len, name, uid, ret);
	return 0;
}

static bool overlaps(uint64_t a, uint64_t an, uint64_t b, uint64_t bn)
{
	return a < b + bn && b < a + an;
}

size_t run_subid_default_map(uint32_t own, const struct run_subid_range *r, size_t n,
			     struct run_idmap **ret)
{
	struct run_idmap *m = xcalloc(n + 1, sizeof(*m));
	size_t k = 0;
	m[k++] = (struct run_idmap){.container_id = 0, .host_id = own, .size = 1};
	uint64_t next = 1; /* the next free container id */
	for (size_t i = 0; i < n && k < RUN_IDMAP_MAX_LINES; i++) {
		bool clash = false;
		for (size_t j = 0; j < k && !clash; j++)
			clash = overlaps(r[i].start, r[i].count, m[j].host_id, m[j].size);
		if (clash)
			continue;
		uint64_t room = (uint64_t)UINT32_MAX + 1 - next;
		if (room == 0)
			break;
		uint32_t size = (uint64_t)r[i].count < room ? r[i].count : (uint32_t)room;
		m[k++] = (struct run_idmap){
		    .container_id = (uint32_t)next, .host_id = r[i].start, .size = size};
		next += size;
	}
	*ret = m;
	return k;
}

uint64_t run_idmap_count(const struct run_idmap *m, size_t n)
{
	uint64_t t = 0;
	for (size_t i = 0; i < n; i++)
		t += m[i].size;
	return t > UINT32_MAX ? UINT32_MAX : t;
}

bool run_idmap_is_own_only(const struct run_idmap *m, size_t n, uint32_t own)
{
	return n == 1 && m[0].size == 1 && m[0].host_id == own;
}

char *run_subid_find_helper(const char *name, const char *path_env)
{
	if (!path_env)
		return NULL;
	for (const char *p = path_env;;) {
		size_t n = strcspn(p, ":");
		_cleanup_free_ char *cand =
		    n ? xasprintf("%.*s/%s", (int)n, p, name) : xasprintf("./%s", name);
		struct stat sb;
		if (stat(cand, &sb) == 0 && S_ISREG(sb.st_mode) && access(cand, X_OK) == 0)
			return TAKE_PTR(cand);
		if (!p[n])
			break;
		p += n + 1;
	}
	return NULL;
}

char **run_subid_helper_argv(const char *helper, pid_t pid, const struct run_idmap *m, size_t n)
{
	char **argv = NULL;
	char buf[32];
	oci_strv_push(&argv, helper);
	snprintf(buf, sizeof(buf), "%d", (int)pid);
	oci_strv_push(&argv, buf);
	for (size_t i = 0; i < n; i++) {
		snprintf(buf, sizeof(buf), "%u", (unsigned)m[i].container_id);
		oci_strv_push(&argv, buf);
		snprintf(buf, sizeof(buf), "%u", (unsigned)m[i].host_id);
		oci_strv_push(&argv, buf);
		snprintf(buf, sizeof(buf), "%u", (unsigned)m[i].size);
		oci_strv_push(&argv, buf);
	}
	return argv;
}
