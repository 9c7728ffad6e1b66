/* oci-run/subid.c: /etc/subuid parsing and crun's rootless mappings; the
 * user namespace checks of run_ns_prepare_userns for root. */
#include "tap.h"

#include <sched.h>
#include <stdlib.h>

#include "linux_ns.h"
#include "spec.h"
#include "subid.h"
#include "util.h"

static char *ranges_str(const char *text, const char *name, uint32_t uid)
{
	struct run_subid_range *r = NULL;
	size_t n = run_subid_parse(text, strlen(text), name, uid, &r);
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%u+%u", out, i ? " " : "", (unsigned)r[i].start,
				    (unsigned)r[i].count);
		free(out);
		out = t;
	}
	if (n == 0 && r)
		diag("no ranges but a non-NULL array");
	free(r);
	return out;
}

static void is_ranges(const char *text, const char *name, uint32_t uid, const char *want,
		      const char *what)
{
	char *got = ranges_str(text, name, uid);
	is_str(got, want, "parse: %s", what);
	free(got);
}

static char *map_str(const struct run_idmap *m, size_t n)
{
	char *out = xstrdup("");
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s%u:%u:%u", out, i ? " " : "", (unsigned)m[i].container_id,
				    (unsigned)m[i].host_id, (unsigned)m[i].size);
		free(out);
		out = t;
	}
	return out;
}

static void is_default_map(uint32_t own, const struct run_subid_range *r, size_t n,
			   const char *want, const char *what)
{
	struct run_idmap *m = NULL;
	size_t k = run_subid_default_map(own, r, n, &m);
	char *got = map_str(m, k);
	is_str(got, want, "default map: %s", what);
	free(got);
	free(m);
}

static struct run_spec *parse(const char *linux_json)
{
	char *doc = xasprintf("{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
			      "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": "
			      "{\"uid\": 0, \"gid\": 0}}, \"linux\": %s}",
			      linux_json);
	struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	if (run_spec_parse(doc, strlen(doc), "/b", &s, &e) < 0) {
		diag("parse: %s", e->msg);
		oci_err_free(e);
	}
	free(doc);
	return s;
}

int main(void)
{
	/* the file format */
	is_ranges("", "alice", 1000, "", "empty file");
	is_ranges("alice:100000:65536\n", "alice", 1000, "100000+65536", "by name");
	is_ranges("1000:200000:65536\n", "alice", 1000, "200000+65536", "by uid");
	is_ranges("1000:200000:65536\n", NULL, 1000, "200000+65536", "by uid, no passwd entry");
	is_ranges("alice:100000:65536", "alice", 1000, "100000+65536", "no final newline");
	is_ranges("bob:100000:65536\n10000:1:2\n", "alice", 1000, "", "other users only");
	is_ranges("alicex:1:2\nalic:3:4\n01000x:5:6\n", "alice", 1000, "",
		  "no prefix or partial matches");
	is_ranges("# comment alice:1:2\n\nalice:100000:10\r\n", "alice", 1000, "100000+10",
		  "comments, blank lines, CRLF");
	is_ranges("alice:100000:10\nbob:5:5\n1000:300000:20\nalice:400000:30\n", "alice", 1000,
		  "100000+10 300000+20 400000+30", "several ranges in file order");
	is_ranges("alice:1:0\nalice:x:5\nalice:5\nalice:1:2:3\n:1:2\nalice:-1:5\n"
		  "alice:4294967295:2\nalice:99999999999:1\nalice: 1:2\nalice:7:8\n",
		  "alice", 1000, "7+8", "malformed lines skipped");
	is_ranges("alice:4294967295:1\n", "alice", 1000, "4294967295+1", "the last id");
	is_ranges(":10:5\nalice:1:2\n", "", 1000, "", "empty name matches no empty owner");

	/* crun's mappings: own id at 0, subordinate ids from 1 */
	struct run_subid_range one[] = {{200000, 65536}};
	is_default_map(1000, one, 1, "0:1000:1 1:200000:65536", "one range");
	is_default_map(1000, NULL, 0, "0:1000:1", "no range: own id alone");
	struct run_subid_range two[] = {{100000, 10}, {300000, 20}};
	is_default_map(1000, two, 2, "0:1000:1 1:100000:10 11:300000:20", "ranges follow on");
	struct run_subid_range clash[] = {{999, 5}, {100000, 10}, {100005, 10}, {100010, 1}};
	is_default_map(1000, clash, 4, "0:1000:1 1:100000:10 11:100010:1",
		       "overlaps with own id or an earlier range left out");
	struct run_subid_range huge[] = {{1, 4294967295u}};
	is_default_map(0, huge, 1, "0:0:1 1:1:4294967295", "the whole id space");
	struct run_subid_range full[] = {{2000, 4294967295u - 2000 + 1}, {1001, 10}};
	is_default_map(1000, full, 2, "0:1000:1 1:2000:4294965296 4294965297:1001:10",
		       "a lower range after a higher one");
	struct run_subid_range fill[] = {{10, 4294967285u}, {1, 5}};
	is_default_map(0, fill, 2, "0:0:1 1:10:4294967285 4294967286:1:5", "second range fits");
	struct run_subid_range *many = xcalloc(400, sizeof(*many));
	for (size_t i = 0; i < 400; i++)
		many[i] = (struct run_subid_range){(uint32_t)(100000 + 10 * i), 10};
	struct run_idmap *m = NULL;
	size_t k = run_subid_default_map(1000, many, 400, &m);
	is_int(k, RUN_IDMAP_MAX_LINES, "at most %d lines", RUN_IDMAP_MAX_LINES);
	is_int(m[k - 1].container_id, 1 + 10 * (RUN_IDMAP_MAX_LINES - 2), "last line continues");
	free(m);
	free(many);

	/* what an unprivileged writer may write itself */
	struct run_idmap own[] = {{0, 1000, 1}};
	struct run_idmap multi[] = {{0, 1000, 1}, {1, 100000, 65536}};
	struct run_idmap wide[] = {{0, 1000, 2}};
	ok(run_idmap_is_own_only(own, 1, 1000), "0 1000 1 is the caller's own");
	ok(!run_idmap_is_own_only(own, 1, 1001), "0 1000 1 is not uid 1001's");
	ok(!run_idmap_is_own_only(multi, 2, 1000), "two lines take the helper");
	ok(!run_idmap_is_own_only(wide, 1, 1000), "size 2 takes the helper");
	is_int(run_idmap_count(multi, 2), 65537, "count of ids");

	/* the helper's command line and lookup */
	char **argv = run_subid_helper_argv("/usr/bin/newuidmap", 42, multi, 2);
	char *joined = xstrdup("");
	for (size_t i = 0; argv[i]; i++) {
		char *t = xasprintf("%s%s%s", joined, i ? " " : "", argv[i]);
		free(joined);
		joined = t;
	}
	is_str(joined, "/usr/bin/newuidmap 42 0 1000 1 1 100000 65536", "helper argv");
	free(joined);
	oci_strv_free(argv);
	char *sh = run_subid_find_helper("sh", "/nonexistent::/bin");
	ok(sh && endswith(sh, "/sh"), "helper found in a later PATH part (%s)", sh ? sh : "none");
	free(sh);
	ok(!run_subid_find_helper("no-such-helper-xyz", "/bin:/usr/bin"), "missing helper: NULL");
	ok(!run_subid_find_helper("sh", NULL), "no PATH: NULL");
	char *dir = run_subid_find_helper("tmp", "/");
	ok(!dir, "a directory is no helper");
	free(dir);

	/* root: a new user namespace needs its mappings; nothing is added */
	struct oci_err *e = NULL;
	struct run_spec *s =
	    parse("{\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"mount\"}]}");
	ok(s && run_ns_prepare_userns(s, 0, 0, &e) < 0 && e &&
	       strstr(e->msg, "linux.uidMappings: a new user namespace needs uidMappings and "
			      "gidMappings"),
	   "root: user namespace without maps is an error (%s)", e ? e->msg : "no error");
	oci_err_free(e);
	e = NULL;
	run_spec_free(s);
	s = parse("{\"namespaces\": [{\"type\": \"mount\"}]}");
	ok(s && run_ns_prepare_userns(s, 0, 0, &e) == 0 && !(s->ns_flags & CLONE_NEWUSER) &&
	       s->n_namespaces == 1,
	   "root: no user namespace added");
	run_spec_free(s);
	s = parse("{\"namespaces\": [{\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}, "
		  "{\"type\": \"mount\"}]}");
	ok(s && run_ns_prepare_userns(s, 1000, 1000, &e) == 0 && s->n_uid_mappings == 0,
	   "rootless joining a user namespace: no mappings made");
	run_spec_free(s);
	s = parse("{\"namespaces\": [{\"type\": \"user\"}, {\"type\": \"mount\"}], "
		  "\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}], "
		  "\"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}");
	ok(s && run_ns_prepare_userns(s, 1000, 1000, &e) == 0 && s->n_uid_mappings == 1 &&
	       !s->uid_mappings_auto && !s->gid_mappings_auto,
	   "rootless with its own single mappings: kept as they are");
	run_spec_free(s);

	done_testing();
	return exit_status();
}
