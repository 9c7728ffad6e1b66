/* common/json.c: loading (duplicates, positions, size limit) and typed getters. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "json.h"
#include "tap.h"
#include "util.h"

static json_t *parse(const char *s)
{
	json_t *v = NULL;
	_cleanup_err_ struct oci_err *err = NULL;
	if (oci_json_load_buf(s, strlen(s), "test", &v, &err) < 0) {
		diag("parse failed: %s", err->msg);
		exit(2);
	}
	return v;
}

/* Checks that the last call failed with message MSG. */
#define is_err(r, err, code, want_msg, ...)                                                     \
	do {                                                                               \
		ok((r) == -(code) && (err) && streq((err)->msg, (want_msg)), __VA_ARGS__);      \
		if (!((err) && streq((err)->msg, (want_msg))))                                  \
			diag("  got: %s (r=%d)", (err) ? (err)->msg : "no error", (int)(r)); \
		oci_err_clear(&(err));                                                     \
	} while (0)

int main(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	json_t *v = NULL;
	int r;

	/* Loading. */
	const char *dup = "{\n  \"a\": 1,\n  \"a\": 2\n}";
	r = oci_json_load_buf(dup, strlen(dup), "dup.json", &v, &err);
	diag("duplicate key message: %s", err ? err->msg : "none");
	ok(r == -EINVAL && !v && err && startswith(err->msg, "dup.json:3:") &&
		   strstr(err->msg, "duplicate"),
	   "duplicate keys rejected with file:line:col (%s)", err ? err->msg : "");
	oci_err_clear(&err);
	const char *bad = "{\"a\": [1, 2,]}";
	r = oci_json_load_buf(bad, strlen(bad), "bad.json", &v, &err);
	ok(r == -EINVAL && err && startswith(err->msg, "bad.json:1:") &&
		   strstr(err->msg, "invalid JSON"),
	   "syntax error names file:line:col (%s)", err ? err->msg : "");
	oci_err_clear(&err);
	r = oci_json_load_buf("", 0, "empty", &v, &err);
	ok(r == -EINVAL && err && startswith(err->msg, "empty:"), "empty input is an error");
	oci_err_clear(&err);
	const char *nested_dup = "{\"x\": {\"k\": 1, \"k\": 1}}";
	r = oci_json_load_buf(nested_dup, strlen(nested_dup), "n", &v, &err);
	ok(r == -EINVAL, "duplicate keys in a nested object rejected");
	oci_err_clear(&err);

	char tmpl[] = "/tmp/test-json.XXXXXX";
	if (!mkdtemp(tmpl))
		return 2;
	_cleanup_free_ char *file = xasprintf("%s/c.json", tmpl);
	const char *doc = "{\"process\": {\"args\": [\"sh\", 5], \"cwd\": \"/\", \"env\": [\"A=1\"],"
			  " \"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 1.5},"
			  " \"rlimits\": null, \"oom\": -1001},"
			  " \"annotations\": {\"k1\": \"v1\", \"k2\": \"v2\"},"
			  " \"badmap\": {\"k\": 1}}";
	is_int(oci_write_file_atomic(file, doc, strlen(doc), 0644, &err), 0, "write a file");
	is_int(oci_json_load_file(file, 0, &v, &err), 0, "load a file");
	ok(json_is_object(v), "an object");
	json_decref(TAKE_PTR(v));
	r = oci_json_load_file(file, 10, &v, &err);
	ok(r == -EFBIG && !v && err && strstr(err->msg, file), "size limit (%s)",
	   err ? err->msg : "");
	oci_err_clear(&err);
	_cleanup_free_ char *missing = xasprintf("%s/missing.json", tmpl);
	r = oci_json_load_file(missing, 0, &v, &err);
	ok(r == -ENOENT && err && strstr(err->msg, "missing.json"), "missing file names it");
	oci_err_clear(&err);
	_cleanup_free_ char *dupfile = xasprintf("%s/dup.json", tmpl);
	oci_write_file_atomic(dupfile, dup, strlen(dup), 0644, &err);
	r = oci_json_load_file(dupfile, 0, &v, &err);
	_cleanup_free_ char *want_prefix = xasprintf("%s:3:", dupfile);
	ok(r == -EINVAL && err && startswith(err->msg, want_prefix),
	   "a file's duplicate key names path:line:col (%s)", err ? err->msg : "");
	oci_err_clear(&err);

	/* Getters. */
	json_auto_t *root = parse(doc);
	json_t *proc = NULL, *user = NULL, *arr = NULL;
	is_int(oci_json_get_obj(root, "", "process", &proc, &err), 0, "get_obj process");
	const char *s = NULL;
	is_int(oci_json_get_str(proc, "process", "cwd", &s, &err), 0, "get_str cwd");
	is_str(s, "/", "cwd value");
	r = oci_json_get_str(proc, "process", "nope", &s, &err);
	is_err(r, err, EINVAL, "process.nope: required field is missing", "missing required string");
	r = oci_json_get_str(proc, "process", "rlimits", &s, &err);
	is_err(r, err, EINVAL, "process.rlimits: required field is missing", "null counts as missing");
	s = "untouched";
	is_int(oci_json_opt_str(proc, "process", "nope", &s, &err), 0, "opt_str absent is 0");
	is_str(s, "untouched", "and leaves *ret alone");
	is_int(oci_json_opt_str(proc, "process", "rlimits", &s, &err), 0, "opt_str null is 0");
	is_int(oci_json_opt_str(proc, "process", "cwd", &s, &err), 1, "opt_str present is 1");
	r = oci_json_get_str(proc, "process", "terminal", &s, &err);
	is_err(r, err, EINVAL, "process.terminal: expected a string, got a boolean", "wrong type");
	r = oci_json_get_int(root, "", "annotations", &(int64_t){ 0 }, &err);
	is_err(r, err, EINVAL, "annotations: expected an integer, got an object",
	       "top-level path has no leading dot");

	_cleanup_strv_ char **args = NULL;
	r = oci_json_opt_strv(proc, "process", "args", &args, &err);
	is_err(r, err, EINVAL, "process.args[1]: expected a string, got an integer",
	       "array element of the wrong type");
	ok(!args, "no vector on error");
	_cleanup_strv_ char **env = NULL;
	is_int(oci_json_opt_strv(proc, "process", "env", &env, &err), 1, "opt_strv env");
	ok(env && oci_strv_len(env) == 1 && streq(env[0], "A=1") && !env[1], "env vector");
	_cleanup_strv_ char **none = NULL;
	is_int(oci_json_opt_strv(proc, "process", "nope", &none, &err), 0, "opt_strv absent");
	ok(!none, "absent vector stays NULL");

	is_int(oci_json_get_arr(proc, "process", "args", &arr, &err), 0, "get_arr");
	is_int(json_array_size(arr), 2, "two elements");
	_cleanup_free_ char *p0 = oci_json_path_index("process.args", 0);
	r = oci_json_expect(json_array_get(arr, 1), JSON_STRING, "process.args[1]", &err);
	is_err(r, err, EINVAL, "process.args[1]: expected a string, got an integer", "expect()");
	is_str(p0, "process.args[0]", "path_index");
	_cleanup_free_ char *pk = oci_json_path_key("", "a");
	is_str(pk, "a", "path_key of the root");
	_cleanup_free_ char *pk2 = oci_json_path_key("a.b", "c");
	is_str(pk2, "a.b.c", "path_key nested");
	r = oci_json_expect(root, JSON_ARRAY, "", &err);
	is_err(r, err, EINVAL, "(root): expected an array, got an object", "expect() on the root");
	r = oci_json_get_arr(proc, "process", "cwd", &arr, &err);
	is_err(r, err, EINVAL, "process.cwd: expected an array, got a string", "get_arr wrong type");
	json_t *o = NULL;
	is_int(oci_json_opt_obj(proc, "process", "rlimits", &o, &err), 0, "opt_obj null is 0");
	is_int(oci_json_opt_arr(proc, "process", "nope", &arr, &err), 0, "opt_arr absent is 0");

	is_int(oci_json_get_obj(proc, "process", "user", &user, &err), 0, "get_obj user");
	int64_t i = -5;
	is_int(oci_json_get_int(user, "process.user", "uid", &i, &err), 0, "get_int uid");
	is_int(i, 0, "uid 0");
	r = oci_json_get_int(user, "process.user", "gid", &i, &err);
	is_err(r, err, EINVAL, "process.user.gid: expected an integer, got a number",
	       "a real is not an integer");
	r = oci_json_get_int(user, "process.user", "umask", &i, &err);
	is_err(r, err, EINVAL, "process.user.umask: required field is missing", "missing int");
	i = 77;
	is_int(oci_json_opt_int(user, "process.user", "umask", &i, &err), 0, "opt_int absent");
	is_int(i, 77, "untouched");
	is_int(oci_json_opt_int_range(proc, "process", "oom", -1000, 1000, &i, &err) < 0, 1,
	       "out of range");
	is_str(err ? err->msg : NULL, "process.oom: -1001 is out of range [-1000, 1000]",
	       "range message");
	ok(err && err->code == ERANGE, "range error code is ERANGE");
	oci_err_clear(&err);
	is_int(i, 77, "out of range leaves *ret");
	is_int(oci_json_opt_int_range(proc, "process", "oom", -1001, 0, &i, &err), 1, "in range");
	is_int(i, -1001, "value");

	bool b = false;
	is_int(oci_json_opt_bool(proc, "process", "terminal", &b, &err), 1, "opt_bool");
	ok(b, "true");
	r = oci_json_opt_bool(proc, "process", "cwd", &b, &err);
	is_err(r, err, EINVAL, "process.cwd: expected a boolean, got a string", "bool wrong type");

	_cleanup_strv_ char **map = NULL;
	is_int(oci_json_opt_str_map(root, "", "annotations", &map, &err), 1, "str_map");
	ok(map && oci_strv_len(map) == 4, "two pairs");
	bool found = false;
	for (size_t k = 0; map && map[k]; k += 2)
		if (streq(map[k], "k2") && streq(map[k + 1], "v2"))
			found = true;
	ok(found, "k2=v2 in the map");
	_cleanup_strv_ char **bmap = NULL;
	r = oci_json_opt_str_map(root, "", "badmap", &bmap, &err);
	is_err(r, err, EINVAL, "badmap.k: expected a string, got an integer", "str_map bad value");
	ok(!bmap, "no map on error");

	/* Getters on something that is not an object. */
	r = oci_json_get_str(arr, "x.y", "z", &s, &err);
	is_err(r, err, EINVAL, "x.y: expected an object, got an array", "get_str on an array");
	r = oci_json_opt_str(arr, "x.y", "z", &s, &err);
	is_err(r, err, EINVAL, "x.y: expected an object, got an array", "opt_str on an array");
	r = oci_json_get_str(NULL, "x.y", "z", &s, &err);
	is_err(r, err, EINVAL, "x.y.z: required field is missing", "get_str in an absent object");
	is_int(oci_json_opt_str(NULL, "x.y", "z", &s, &err), 0, "opt_str in an absent object is 0");
	json_t *jnull = json_object_get(proc, "rlimits");
	is_int(oci_json_opt_str(jnull, "process.rlimits", "z", &s, &err), 0,
	       "opt_str in a null object is 0");
	r = oci_json_get_int(jnull, "process.rlimits", "z", &i, &err);
	is_err(r, err, EINVAL, "process.rlimits.z: required field is missing",
	       "get_int in a null object");

	/* Output. */
	json_auto_t *small = parse("{\"b\": 1, \"a\": [true]}");
	_cleanup_free_ char *pretty = oci_json_dumps(small);
	is_str(pretty, "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}", "dumps: indented, sorted");
	_cleanup_free_ char *compact = oci_json_dumps_compact(small);
	is_str(compact, "{\"a\":[true],\"b\":1}", "dumps_compact");
	_cleanup_free_ char *out = xasprintf("%s/out.json", tmpl);
	int fd = open(out, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	is_int(oci_json_dump_fd(small, fd, &err), 0, "dump_fd");
	close(fd);
	_cleanup_free_ char *back = NULL;
	oci_read_file(out, 0, &back, NULL, &err);
	_cleanup_free_ char *want = xasprintf("%s\n", pretty);
	is_str(back, want, "dump_fd wrote it with a final newline");

	oci_rm_rf(tmpl, &err);
	done_testing();
	return exit_status();
}
