/* Auth files: docker config.json and containers auth.json, lookups with
 * docker.io's aliases, login writes and logout erases. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "json.h"
#include "tap.h"
#include "util.h"

static char *dir;

static char *write_tmp(const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	struct oci_err *err = NULL;
	if (oci_write_file_atomic(p, text, strlen(text), 0600, &err) < 0) {
		diag("%s", err->msg);
		oci_err_free(err);
	}
	return p;
}

static void lookup(const char *file, const char *host, int want, const char *user, const char *pass)
{
	struct fetch_creds c = { 0 };
	struct oci_err *err = NULL;
	int r = fetch_creds_from_file(file, host, &c, &err);
	if (want < 0) {
		ok(r < 0, "error for %s: %s", host, err ? err->msg : "none");
	} else if (want == 0) {
		ok(r == 0, "no credentials for %s", host);
	} else {
		ok(r == 1 && c.username && !strcmp(c.username, user) && !strcmp(c.password, pass),
		   "credentials for %s: %s", host, r == 1 ? c.username : err ? err->msg : "none");
	}
	fetch_creds_release(&c);
	oci_err_free(err);
}

int main(void)
{
	char tmpl[] = "/tmp/test-credentials.XXXXXX";
	dir = mkdtemp(tmpl);
	if (!dir)
		return 1;

	/* "user:pass" = dXNlcjpwYXNz; "hub:h:x" = aHViOmg6eA== */
	char *f = write_tmp("config.json",
			    "{\"auths\":{"
			    "\"localhost:5000\":{\"auth\":\"dXNlcjpwYXNz\"},"
			    "\"https://index.docker.io/v1/\":{\"auth\":\"aHViOmg6eA==\"},"
			    "\"http://other.example:8080/v2/\":{\"auth\":\"dXNlcjpwYXNz\"},"
			    "\"empty.example\":{}"
			    "}}");
	lookup(f, "localhost:5000", 1, "user", "pass");
	lookup(f, "registry-1.docker.io", 1, "hub", "h:x");
	lookup(f, "docker.io", 1, "hub", "h:x");
	lookup(f, "other.example:8080", 1, "user", "pass");
	lookup(f, "localhost:5001", 0, NULL, NULL);
	lookup(f, "empty.example", 0, NULL, NULL);
	free(f);

	f = write_tmp("bad1.json", "{\"auths\":{\"h\":{\"auth\":\"!!!\"}}}");
	lookup(f, "h", -1, NULL, NULL);
	free(f);
	f = write_tmp("bad2.json", "{\"auths\":{\"h\":{\"auth\":\"bm9jb2xvbg==\"}}}"); /* "nocolon" */
	lookup(f, "h", -1, NULL, NULL);
	free(f);
	f = write_tmp("bad3.json", "[1,2]");
	lookup(f, "h", -1, NULL, NULL);
	free(f);
	f = write_tmp("bad4.json", "{\"auths\":");
	lookup(f, "h", -1, NULL, NULL);
	free(f);
	char *missing = xasprintf("%s/missing.json", dir);
	lookup(missing, "h", 0, NULL, NULL);

	/* a credential helper that is not installed is an error naming it */
	f = write_tmp("helper.json", "{\"credHelpers\":{\"h.example\":\"oci-test-no-such-helper\"}}");
	{
		struct fetch_creds c = { 0 };
		struct oci_err *err = NULL;
		int r = fetch_creds_from_file(f, "h.example", &c, &err);
		ok(r < 0 && err && strstr(err->msg, "docker-credential-oci-test-no-such-helper"),
		   "missing helper: %s", err ? err->msg : "no error");
		oci_err_free(err);
		lookup(f, "other.example", 0, NULL, NULL);
	}
	free(f);

	/* store, then read back; a second store replaces; erase removes */
	char *nf = xasprintf("%s/sub/dir/auth.json", dir);
	struct oci_err *err = NULL;
	ok(fetch_creds_store(nf, "localhost:5000", "a", "b:c", &err) == 0, "store creates folders and file");
	struct stat st;
	ok(stat(nf, &st) == 0 && (st.st_mode & 0777) == 0600, "auth file is 0600");
	lookup(nf, "localhost:5000", 1, "a", "b:c");
	ok(fetch_creds_store(nf, "other:1", "x", "y", &err) == 0, "store a second registry");
	ok(fetch_creds_store(nf, "localhost:5000", "a2", "b2", &err) == 0, "store replaces");
	lookup(nf, "localhost:5000", 1, "a2", "b2");
	lookup(nf, "other:1", 1, "x", "y");
	is_int(fetch_creds_erase(nf, "localhost:5000", &err), 1, "erase an entry");
	lookup(nf, "localhost:5000", 0, NULL, NULL);
	lookup(nf, "other:1", 1, "x", "y");
	is_int(fetch_creds_erase(nf, "localhost:5000", &err), 0, "erase again: nothing");
	/* the file keeps other keys */
	char *kf = write_tmp("keep.json", "{\"auths\":{},\"credsStore\":\"\",\"HttpHeaders\":{\"X\":\"1\"}}");
	ok(fetch_creds_store(kf, "r:1", "u", "p", &err) == 0, "store into a file with other keys");
	json_t *j = NULL;
	ok(oci_json_load_file(kf, 0, &j, &err) == 0 && json_object_get(j, "HttpHeaders"),
	   "other keys are kept");
	json_decref(j);

	struct oci_err *e2 = NULL;
	oci_rm_rf(dir, &e2);
	oci_err_free(e2);
	free(nf);
	free(kf);
	free(missing);
	done_testing();
	return exit_status();
}
