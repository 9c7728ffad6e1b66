/* Unit tests for common/layout.c. */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "fs.h"
#include "json.h"
#include "layout.h"
#include "lock.h"
#include "manifest.h"
#include "platform.h"
#include "tap.h"
#include "util.h"

static char *dir;

static int count_files(const char *sub, const char *prefix)
{
	_cleanup_free_ char *p = oci_path_join(dir, sub);
	_cleanup_closedir_ DIR *d = opendir(p);
	int n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		if (!streq(de->d_name, ".") && !streq(de->d_name, "..") &&
		    (!prefix || startswith(de->d_name, prefix)))
			n++;
	return n;
}

static json_t *load(const char *name)
{
	_cleanup_free_ char *p = oci_path_join(dir, name);
	json_t *v = NULL;
	oci_json_load_file(p, 0, &v, NULL);
	return v;
}

static void put_str(struct oci_layout *l, const char *s, struct oci_digest *d)
{
	struct oci_err *err = NULL;
	if (oci_layout_blob_put(l, s, strlen(s), NULL, d, &err) < 0) {
		diag("put: %s", err->msg);
		oci_err_free(err);
	}
}

static void test_open(void)
{
	struct oci_layout *l = NULL;
	struct oci_err *err = NULL;
	_cleanup_free_ char *missing = oci_path_join(dir, "missing");
	ok(oci_layout_open(missing, false, &l, &err) == -ENOENT &&
	       strstr(err->msg, "does not exist"),
	   "open a missing folder: %s", err ? err->msg : "");
	oci_err_clear(&err);
	ok(oci_layout_open(dir, false, &l, &err) == -ENOENT &&
	       strstr(err->msg, "is not an OCI image layout: no oci-layout file"),
	   "open a plain folder: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_layout_open(dir, true, &l, &err), 0, "create a layout");
	oci_layout_free(l);
	json_t *v = load("oci-layout");
	is_str(v ? json_string_value(json_object_get(v, "imageLayoutVersion")) : NULL, "1.0.0",
	       "oci-layout holds imageLayoutVersion 1.0.0");
	json_decref(v);
	v = load("index.json");
	ok(v && json_integer_value(json_object_get(v, "schemaVersion")) == 2 &&
	       json_array_size(json_object_get(v, "manifests")) == 0 &&
	       streq(json_string_value(json_object_get(v, "mediaType")), OCI_MT_INDEX),
	   "index.json is an empty OCI index");
	json_decref(v);
	is_int(oci_layout_open(dir, true, &l, &err), 0, "creating again keeps the layout");
	oci_layout_free(l);
	oci_layout_free(NULL);
	_cleanup_free_ char *lf = oci_path_join(dir, "oci-layout");
	oci_write_file_atomic(lf, "{\"imageLayoutVersion\":\"2.0.0\"}", 30, 0644, NULL);
	ok(oci_layout_open(dir, false, &l, &err) < 0 &&
	       strstr(err->msg, "unsupported imageLayoutVersion '2.0.0'"),
	   "a future layout version: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_write_file_atomic(lf, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, NULL);
}

static void test_blobs(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	struct oci_digest d, e;
	const char *data = "hello blob";
	is_int(oci_layout_blob_put(l, data, strlen(data), NULL, &d, &err), 0, "put a blob");
	ok(oci_layout_has_blob(l, &d), "has the blob");
	_cleanup_free_ char *rel = oci_layout_blob_relpath(&d);
	_cleanup_free_ char *want = xasprintf("blobs/sha256/%s", oci_digest_hex(&d));
	is_str(rel, want, "relpath");
	_cleanup_free_ char *abs = oci_layout_blob_path(l, &d);
	_cleanup_free_ char *wabs = oci_path_join(dir, want);
	is_str(abs, wabs, "path");
	char *buf = NULL;
	size_t len = 0;
	is_int(oci_layout_blob_read(l, &d, 0, &buf, &len, &err), 0, "read it back");
	ok(len == strlen(data) && memcmp(buf, data, len) == 0, "same bytes");
	free(buf);
	ok(oci_layout_blob_read(l, &d, 3, &buf, &len, &err) == -EFBIG, "a read limit: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_layout_blob_put(l, data, strlen(data), &d, NULL, &err), 0,
	       "putting it again with its digest is fine");

	/* wrong expected digest: error, nothing stored */
	oci_digest_buf(OCI_DIGEST_SHA256, "other", 5, &e);
	int before = count_files("blobs/sha256", NULL);
	ok(oci_layout_blob_put(l, "xyz", 3, &e, NULL, &err) == -EILSEQ &&
	       strstr(err->msg, "digest mismatch"),
	   "put with a wrong digest fails: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(count_files("blobs/sha256", NULL), before, "and stores nothing");

	/* sha512 */
	oci_digest_buf(OCI_DIGEST_SHA512, "five", 4, &e);
	is_int(oci_layout_blob_put(l, "five", 4, &e, NULL, &err), 0, "put a sha512 blob");
	is_int(count_files("blobs/sha512", NULL), 1, "it lands in blobs/sha512");
	ok(oci_layout_blob_read(l, &e, 0, &buf, &len, &err) == 0 && len == 4,
	   "read the sha512 blob");
	free(buf);

	/* missing and corrupt */
	oci_digest_buf(OCI_DIGEST_SHA256, "absent", 6, &e);
	ok(oci_layout_blob_read(l, &e, 0, &buf, &len, &err) == -ENOENT && strstr(err->msg, e.str),
	   "a missing blob names its digest: %s", err ? err->msg : "");
	oci_err_clear(&err);
	ok(!oci_layout_has_blob(l, &e), "has_blob is false");
	_cleanup_free_ char *cpath = oci_layout_blob_path(l, &d);
	oci_write_file_atomic(cpath, "tampered", 8, 0644, NULL);
	ok(oci_layout_blob_read(l, &d, 0, &buf, &len, &err) == -EILSEQ &&
	       strstr(err->msg, "digest mismatch"),
	   "a corrupt blob is detected: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_layout_blob_put(l, data, strlen(data), NULL, NULL, NULL);
	ok(oci_layout_blob_read(l, &d, 0, &buf, &len, &err) < 0,
	   "put does not overwrite an existing blob name");
	oci_err_clear(&err);
	unlink(cpath);
	oci_layout_blob_put(l, data, strlen(data), NULL, NULL, NULL);
	ok(oci_layout_blob_read(l, &d, 0, &buf, &len, &err) == 0, "after removal put restores it");
	free(buf);
}

static void test_writer(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	size_t n = 300000;
	_cleanup_free_ char *data = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		data[i] = (char)(i * 7 + (i >> 9));
	struct oci_digest d, got;
	oci_digest_buf(OCI_DIGEST_SHA256, data, n, &d);
	_cleanup_free_ char *partial = xasprintf("blobs/sha256/.partial-%s", oci_digest_hex(&d));
	_cleanup_free_ char *ppath = oci_path_join(dir, partial);
	struct stat st;

	struct oci_blob_writer *w = NULL;
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0,
	       "open a writer with a digest");
	is_int(oci_blob_writer_offset(w), 0, "starts at 0");
	is_int(oci_blob_writer_write(w, data, 100000, &err), 0, "write a third");
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) == 0 && st.st_size == 100000, "free without commit keeps the partial");

	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "reopen");
	is_int(oci_blob_writer_offset(w), 100000, "resumes at the partial's size");
	ok(oci_blob_writer_commit(w, &got, &err) < 0 &&
	       strstr(err->msg, "incomplete: 100000 of 300000"),
	   "an early commit fails: %s", err ? err->msg : "");
	oci_err_clear(&err);
	ok(stat(ppath, &st) == 0, "and keeps the partial");
	is_int(oci_blob_writer_write(w, data + 100000, n - 100000, &err), 0, "write the rest");
	ok(oci_blob_writer_write(w, "x", 1, &err) == -EFBIG,
	   "more than the expected size fails: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_blob_writer_commit(w, &got, &err), 0, "commit");
	is_str(got.str, d.str, "the digest of the whole");
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) < 0, "the partial is gone");
	ok(oci_layout_has_blob(l, &d), "the blob is in place");
	_cleanup_free_ char *bpath = oci_layout_blob_path(l, &d);
	unlink(bpath);

	/* restart drops what a partial held */
	oci_write_file_atomic(ppath, "garbage", 7, 0644, NULL);
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "open over a bad partial");
	is_int(oci_blob_writer_offset(w), 7, "offset 7");
	is_int(oci_blob_writer_restart(w, &err), 0, "restart");
	is_int(oci_blob_writer_offset(w), 0, "offset 0 after restart");
	oci_blob_writer_write(w, data, n, &err);
	is_int(oci_blob_writer_commit(w, NULL, &err), 0, "commit after restart");
	oci_blob_writer_free(w);
	unlink(bpath);

	/* a partial longer than the blob starts over */
	_cleanup_free_ char *big = xcalloc(1, n + 10);
	oci_write_file_atomic(ppath, big, n + 10, 0644, NULL);
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0,
	       "open over an oversized partial");
	is_int(oci_blob_writer_offset(w), 0, "starts over");
	oci_blob_writer_abort(w, false);
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) < 0, "abort without keep removes the partial");

	/* wrong content of the right size */
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "open");
	oci_blob_writer_write(w, big, n, &err);
	ok(oci_blob_writer_commit(w, NULL, &err) == -EILSEQ && strstr(err->msg, "digest mismatch"),
	   "wrong content fails: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) < 0 && !oci_layout_has_blob(l, &d),
	   "and leaves neither partial nor blob");

	/* a blob that is already stored: the writer is complete from the start */
	oci_layout_blob_put(l, data, n, &d, NULL, &err);
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "open over a stored blob");
	is_int(oci_blob_writer_offset(w), n, "offset is the blob's size");
	is_int(oci_blob_writer_write(w, data, n, &err), 0, "writes are dropped");
	ok(oci_blob_writer_commit(w, &got, &err) == 0 && streq(got.str, d.str), "commit succeeds");
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) < 0, "no partial file");
	unlink(bpath);

	/* another process holds the partial: no waiting, a private file */
	int pfd[2];
	if (pipe(pfd) < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		struct oci_blob_writer *cw = NULL;
		close(pfd[0]);
		if (oci_layout_blob_writer(l, &d, (int64_t)n, &cw, NULL) < 0)
			_exit(1);
		oci_blob_writer_write(cw, data, n / 2, NULL);
		if (write(pfd[1], "x", 1) != 1)
			_exit(1);
		usleep(300000);
		oci_blob_writer_write(cw, data + n / 2, n - n / 2, NULL);
		_exit(oci_blob_writer_commit(cw, NULL, NULL) < 0 ? 1 : 0);
	}
	close(pfd[1]);
	char c;
	ok(read(pfd[0], &c, 1) == 1, "the other writer has started");
	close(pfd[0]);
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0,
	       "a second writer of the same blob opens without waiting");
	is_int(oci_blob_writer_offset(w), 0, "from offset 0");
	is_int(count_files("blobs/sha256", ".tmp-"), 1, "into a private temporary file");
	oci_blob_writer_write(w, data, n, &err);
	is_int(oci_blob_writer_commit(w, NULL, &err), 0, "and commits first");
	oci_blob_writer_free(w);
	int status = 0;
	waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the first writer commits too");
	ok(stat(ppath, &st) < 0 && oci_layout_has_blob(l, &d) &&
	       count_files("blobs/sha256", ".tmp-") == 0,
	   "blob present, no partial or temporary file");
	unlink(bpath);

	/* two writers of one blob in one process never deadlock */
	struct oci_blob_writer *w2 = NULL;
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "first writer");
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w2, &err), 0,
	       "second writer, same process");
	oci_blob_writer_write(w2, big, n, &err);
	ok(oci_blob_writer_commit(w2, NULL, &err) == -EILSEQ,
	   "the second one's bad data is refused");
	oci_err_clear(&err);
	oci_blob_writer_free(w2);
	is_int(count_files("blobs/sha256", ".tmp-"), 0, "its temporary file is removed");
	oci_blob_writer_write(w, data, n / 3, &err);
	oci_blob_writer_abort(w, true);
	oci_blob_writer_free(w);
	ok(stat(ppath, &st) == 0 && st.st_size == (off_t)(n / 3),
	   "abort with keep leaves the partial");
	is_int(oci_layout_blob_writer(l, &d, (int64_t)n, &w, &err), 0, "resume");
	is_int(oci_blob_writer_offset(w), n / 3, "at the kept offset");
	oci_blob_writer_write(w, data + n / 3, n - n / 3, &err);
	is_int(oci_blob_writer_commit(w, NULL, &err), 0, "commit the resumed blob");
	oci_blob_writer_free(w);
	unlink(bpath);

	/* no digest: a unique temporary name */
	is_int(oci_layout_blob_writer(l, NULL, -1, &w, &err), 0, "open a writer without a digest");
	is_int(count_files("blobs/sha256", ".tmp-"), 1, "a .tmp- file exists while writing");
	oci_blob_writer_write(w, data, 1000, &err);
	oci_blob_writer_write(w, data + 1000, 1000, &err);
	is_int(oci_blob_writer_commit(w, &got, &err), 0, "commit");
	oci_digest_buf(OCI_DIGEST_SHA256, data, 2000, &d);
	is_str(got.str, d.str, "digest of what was written");
	oci_blob_writer_free(w);
	is_int(count_files("blobs/sha256", ".tmp-"), 0, "no .tmp- file after commit");
	is_int(oci_layout_blob_writer(l, NULL, -1, &w, &err), 0, "another");
	oci_blob_writer_write(w, data, 10, &err);
	oci_blob_writer_free(w);
	is_int(count_files("blobs/sha256", ".tmp-"), 0, "free removes a .tmp- file");
}

static void make_image(struct oci_layout *l, const char *tag, struct oci_descriptor *ret)
{
	struct oci_digest cd, ld, md;
	_cleanup_free_ char *layer = xasprintf("layer of %s", tag);
	_cleanup_free_ char *cfg =
	    xasprintf("{\"architecture\":\"amd64\",\"os\":\"linux\",\"x\":\"%s\","
		      "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
		      tag);
	put_str(l, layer, &ld);
	put_str(l, cfg, &cd);
	_cleanup_free_ char *m =
	    xasprintf("{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		      "\"digest\":\"%s\",\"size\":%zu},"
		      "\"layers\":[{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
		      OCI_MT_MANIFEST, OCI_MT_CONFIG, cd.str, strlen(cfg), OCI_MT_LAYER_TAR, ld.str,
		      strlen(layer));
	put_str(l, m, &md);
	memset(ret, 0, sizeof(*ret));
	ret->media_type = xstrdup(OCI_MT_MANIFEST);
	ret->digest = md;
	ret->size = (int64_t)strlen(m);
}

static void test_refs(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	_cleanup_descriptor_ struct oci_descriptor a = {0};
	_cleanup_descriptor_ struct oci_descriptor b = {0};
	_cleanup_descriptor_ struct oci_descriptor r = {0};
	make_image(l, "a", &a);
	make_image(l, "b", &b);
	/* an entry with unknown fields, written by another tool */
	a.json = json_pack("{s:s, s:s, s:I, s:{s:s, s:s}, s:{s:s}, s:s}", "mediaType",
			   OCI_MT_MANIFEST, "digest", a.digest.str, "size", (json_int_t)a.size,
			   "platform", "os", "linux", "architecture", "amd64", "annotations",
			   "com.example.x", "kept", "x-unknown", "kept too");
	is_int(oci_layout_set_ref(l, "reg/app:1", &a, &err), 0, "set_ref app:1");
	is_int(oci_layout_set_ref(l, "reg/app:2", &b, &err), 0, "set_ref app:2");
	is_int(oci_layout_resolve(l, "reg/app:1", &r, &err), 0, "resolve app:1");
	is_str(r.digest.str, a.digest.str, "app:1 digest");
	is_str(r.ref_name, "reg/app:1", "ref_name");
	is_str(json_string_value(json_object_get(r.json, "x-unknown")), "kept too",
	       "unknown field kept");
	json_t *ann = json_object_get(r.json, "annotations");
	is_str(json_string_value(json_object_get(ann, "com.example.x")), "kept",
	       "other annotations kept");
	ok(json_object_get(r.json, "platform") != NULL, "platform kept");
	oci_descriptor_release(&r);

	/* replace app:1 with b: one entry of that name, in the same place */
	is_int(oci_layout_set_ref(l, "reg/app:1", &b, &err), 0, "replace app:1");
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	is_int(oci_layout_list(l, &v, &n, &err), 0, "list");
	is_int(n, 2, "still two entries");
	is_str(v[0].ref_name, "reg/app:1", "app:1 kept its place");
	is_str(v[0].digest.str, b.digest.str, "app:1 now points at b");
	oci_descriptors_free(v, n);

	/* resolve by digest */
	is_int(oci_layout_resolve(l, b.digest.str, &r, &err), 0, "resolve by digest");
	oci_descriptor_release(&r);
	ok(oci_layout_resolve(l, "nope", &r, &err) == -ENOENT &&
	       strstr(err->msg, "no image 'nope' in"),
	   "resolve a missing name: %s", err ? err->msg : "");
	oci_err_clear(&err);

	/* set_ref refuses a missing blob and bad names */
	_cleanup_descriptor_ struct oci_descriptor m = {0};
	m.media_type = xstrdup(OCI_MT_MANIFEST);
	oci_digest_buf(OCI_DIGEST_SHA256, "not stored", 10, &m.digest);
	m.size = 10;
	ok(oci_layout_set_ref(l, "x", &m, &err) == -ENOENT && strstr(err->msg, "not found"),
	   "set_ref of a missing blob: %s", err ? err->msg : "");
	oci_err_clear(&err);
	{
		/* a manifest whose layer is missing is not tagged */
		_cleanup_free_ char *mj = xasprintf(
		    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
		    "\"digest\":\"%s\",\"size\":10},\"layers\":[{\"mediaType\":\"%s\","
		    "\"digest\":\"%s\",\"size\":10}]}",
		    OCI_MT_MANIFEST, OCI_MT_CONFIG, b.digest.str, OCI_MT_LAYER_TAR, m.digest.str);
		_cleanup_descriptor_ struct oci_descriptor h = {0};
		h.media_type = xstrdup(OCI_MT_MANIFEST);
		h.size = (int64_t)strlen(mj);
		put_str(l, mj, &h.digest);
		ok(oci_layout_set_ref(l, "half", &h, &err) == -ENOENT &&
		       strstr(err->msg, "layers[0]") && strstr(err->msg, m.digest.str),
		   "set_ref of a manifest with a missing layer: %s", err ? err->msg : "");
		oci_err_clear(&err);
		ok(oci_layout_resolve(l, "half", &r, &err) == -ENOENT, "it is not tagged");
		oci_err_clear(&err);
	}
	ok(oci_layout_set_ref(l, "a b", &b, &err) == -EINVAL, "a name with a space: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	ok(oci_layout_set_ref(l, "", &b, &err) == -EINVAL, "an empty name");
	oci_err_clear(&err);

	is_int(oci_layout_remove_ref(l, "reg/app:2", &err), 0, "remove app:2");
	ok(oci_layout_remove_ref(l, "reg/app:2", &err) == -ENOENT, "removing it again: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_layout_verify(l, &err), 0, "verify");
	oci_err_clear(&err);

	/* top-level fields of index.json survive updates */
	json_t *idx = load("index.json");
	json_object_set_new(idx, "annotations", json_pack("{s:s}", "top", "level"));
	_cleanup_free_ char *s = oci_json_dumps(idx);
	_cleanup_free_ char *ip = oci_path_join(dir, "index.json");
	oci_write_file_atomic(ip, s, strlen(s), 0644, NULL);
	json_decref(idx);
	oci_layout_set_ref(l, "reg/app:3", &a, &err);
	idx = load("index.json");
	ok(idx && json_object_get(json_object_get(idx, "annotations"), "top"),
	   "top-level annotations kept");
	json_decref(idx);
	oci_layout_remove_ref(l, "reg/app:3", NULL);

	/* a broken index.json is an error, not silently replaced */
	_cleanup_free_ char *saved = NULL;
	size_t sl = 0;
	oci_read_file(ip, 0, &saved, &sl, NULL);
	oci_write_file_atomic(ip, "{\"schemaVersion\":2,\"manifests\":[{\"digest\":1}]}", 46, 0644,
			      NULL);
	ok(oci_layout_set_ref(l, "reg/x", &a, &err) < 0 && strstr(err->msg, "manifests[0]"),
	   "set_ref on a broken index.json fails: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_write_file_atomic(ip, saved, sl, 0644, NULL);
}

static void test_gc(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	_cleanup_descriptor_ struct oci_descriptor c = {0};
	make_image(l, "gc", &c);
	oci_layout_set_ref(l, "gc:1", &c, &err);
	struct oci_digest orphan;
	put_str(l, "an orphan", &orphan);
	/* a stale partial (its writer died) and a live one */
	_cleanup_free_ char *stale = oci_path_join(dir, "blobs/sha256/.partial-0123");
	oci_write_file_atomic(stale, "12345", 5, 0644, NULL);
	struct oci_digest live_d;
	oci_digest_buf(OCI_DIGEST_SHA256, "live", 4, &live_d);
	struct oci_blob_writer *w = NULL;
	oci_layout_blob_writer(l, &live_d, 4, &w, &err);
	oci_blob_writer_write(w, "li", 2, &err);

	size_t nb = 0;
	uint64_t bytes = 0;
	int r = oci_layout_gc(l, &nb, &bytes, &err);
	if (!is_int(r, 0, "gc"))
		diag("%s", err->msg);
	ok(!oci_layout_has_blob(l, &orphan), "the orphan is gone");
	ok(oci_layout_has_blob(l, &c.digest), "the tagged manifest stays");
	ok(access(stale, F_OK) < 0, "the stale partial is gone");
	is_int(count_files("blobs/sha256", ".partial-"), 1, "the live writer's partial stays");
	ok(nb >= 2 && bytes >= 9 + 5, "counts what it removed (%zu blobs, %llu bytes)", nb,
	   (unsigned long long)bytes);
	is_int(oci_blob_writer_write(w, "ve", 2, &err), 0, "the live writer goes on");
	is_int(oci_blob_writer_commit(w, NULL, &err), 0, "and commits");
	oci_blob_writer_free(w);

	/* everything unreferenced goes, including the sha512 blob from before */
	is_int(oci_layout_gc(l, &nb, &bytes, &err), 0, "gc again");
	ok(!oci_layout_has_blob(l, &live_d), "the untagged new blob is gone");
	is_int(count_files("blobs/sha512", NULL), 0, "blobs/sha512 is empty");
	is_int(oci_layout_verify(l, &err), 0, "verify after gc");
	oci_err_clear(&err);

	/* untag everything: gc empties blobs/ */
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	oci_layout_list(l, &v, &n, &err);
	for (size_t i = 0; i < n; i++)
		if (v[i].ref_name)
			oci_layout_remove_ref(l, v[i].ref_name, NULL);
	oci_descriptors_free(v, n);
	oci_layout_gc(l, &nb, &bytes, &err);
	is_int(count_files("blobs/sha256", NULL), 0,
	       "untagged layout: blobs/sha256 empty after gc");
}

static void test_verify(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	_cleanup_descriptor_ struct oci_descriptor c = {0};
	make_image(l, "verify", &c);
	oci_layout_set_ref(l, "v:1", &c, &err);
	is_int(oci_layout_verify(l, &err), 0, "verify a good layout");
	c.size += 1;
	oci_layout_set_ref(l, "v:2", &c, &err);
	ok(oci_layout_verify(l, &err) < 0 && strstr(err->msg, "the descriptor says"),
	   "a wrong size in index.json: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_layout_remove_ref(l, "v:2", NULL);
	_cleanup_free_ char *p = oci_layout_blob_path(l, &c.digest);
	unlink(p);
	ok(oci_layout_verify(l, &err) == -ENOENT && strstr(err->msg, "is missing"),
	   "a missing manifest: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_layout_remove_ref(l, "v:1", NULL);
}

/* An index copied without its manifests (--multi-arch index-only). */
static void test_index_only(struct oci_layout *l)
{
	struct oci_err *err = NULL;
	_cleanup_descriptor_ struct oci_descriptor a = {0};
	make_image(l, "index-only", &a);
	struct oci_digest absent;
	oci_digest_buf(OCI_DIGEST_SHA256, "an arm64 manifest not here", 26, &absent);
	_cleanup_free_ char *ij = xasprintf(
	    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%" PRId64
	    ",\"platform\":{\"os\":\"linux\",\"architecture\":\"amd64\"}},"
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":26,"
	    "\"platform\":{\"os\":\"linux\",\"architecture\":\"arm64\",\"variant\":\"v8\"}}]}",
	    OCI_MT_INDEX, OCI_MT_MANIFEST, a.digest.str, a.size, OCI_MT_MANIFEST, absent.str);
	_cleanup_descriptor_ struct oci_descriptor x = {0};
	x.media_type = xstrdup(OCI_MT_INDEX);
	x.size = (int64_t)strlen(ij);
	put_str(l, ij, &x.digest);

	ok(oci_layout_set_ref(l, "io:1", &x, &err) == -ENOENT &&
	       strstr(err->msg, "platform 'linux/arm64/v8'") && strstr(err->msg, absent.str),
	   "set_ref of an index without a manifest names its platform: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_layout_set_ref_index_only(l, "io:1", &x, &err), 0, "set_ref_index_only");
	oci_err_clear(&err);
	ok(oci_layout_verify(l, &err) == -ENOENT && strstr(err->msg, "platform 'linux/arm64/v8'"),
	   "verify names the missing platform manifest: %s", err ? err->msg : "");
	oci_err_clear(&err);

	_cleanup_platform_ struct oci_platform arm = {0}, amd = {0};
	oci_platform_parse("linux/arm64/v8", &arm, NULL);
	oci_platform_parse("linux/amd64", &amd, NULL);
	struct oci_manifest m = {0};
	ok(oci_layout_load_manifest(l, &x, &arm, &m, NULL, &err) == -ENOENT &&
	       strstr(err->msg, "for platform 'linux/arm64/v8'") && strstr(err->msg, absent.str) &&
	       strstr(err->msg, "index-only"),
	   "loading the absent platform's manifest says which: %s", err ? err->msg : "");
	oci_err_clear(&err);
	is_int(oci_layout_load_manifest(l, &x, &amd, &m, NULL, &err), 0,
	       "the present platform loads");
	oci_manifest_release(&m);
	oci_err_clear(&err);

	/* a manifest that is present must be complete */
	_cleanup_free_ char *hj = xasprintf(
	    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"config\":{\"mediaType\":\"%s\","
	    "\"digest\":\"%s\",\"size\":26},\"layers\":[]}",
	    OCI_MT_MANIFEST, OCI_MT_CONFIG, absent.str);
	struct oci_digest hd;
	put_str(l, hj, &hd);
	_cleanup_free_ char *ij2 = xasprintf(
	    "{\"schemaVersion\":2,\"mediaType\":\"%s\",\"manifests\":["
	    "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu}]}",
	    OCI_MT_INDEX, OCI_MT_MANIFEST, hd.str, strlen(hj));
	_cleanup_descriptor_ struct oci_descriptor x2 = {0};
	x2.media_type = xstrdup(OCI_MT_INDEX);
	x2.size = (int64_t)strlen(ij2);
	put_str(l, ij2, &x2.digest);
	ok(oci_layout_set_ref_index_only(l, "io:2", &x2, &err) == -ENOENT &&
	       strstr(err->msg, "config"),
	   "a present manifest with a missing config is refused: %s", err ? err->msg : "");
	oci_err_clear(&err);
	/* not an index: the same as set_ref */
	_cleanup_descriptor_ struct oci_descriptor h = {0};
	h.media_type = xstrdup(OCI_MT_MANIFEST);
	h.digest = hd;
	h.size = (int64_t)strlen(hj);
	ok(oci_layout_set_ref_index_only(l, "io:3", &h, &err) == -ENOENT,
	   "a manifest with a missing config is refused: %s", err ? err->msg : "");
	oci_err_clear(&err);

	/* gc keeps the index and its present manifest */
	size_t nb = 0;
	uint64_t bytes = 0;
	is_int(oci_layout_gc(l, &nb, &bytes, &err), 0, "gc with an index-only image: %s",
	       err ? err->msg : "");
	oci_err_clear(&err);
	ok(oci_layout_has_blob(l, &x.digest) && oci_layout_has_blob(l, &a.digest),
	   "gc kept the index and its manifest");
	oci_layout_remove_ref(l, "io:1", NULL);
}

static void test_descriptor(void)
{
	struct oci_err *err = NULL;
	struct oci_descriptor d = {0};
	json_t *o =
	    json_pack("{s:s, s:s, s:I, s:{s:s}}", "mediaType", OCI_MT_CONFIG, "digest",
		      "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb",
		      "size", (json_int_t)3, "annotations", OCI_ANNOTATION_REF_NAME, "n");
	is_int(oci_descriptor_from_json(o, "config", &d, &err), 0, "descriptor from JSON");
	is_str(d.ref_name, "n", "ref name");
	struct oci_descriptor c = {0};
	oci_descriptor_copy(&c, &d);
	oci_descriptor_release(&d);
	is_str(c.media_type, OCI_MT_CONFIG, "copy survives the original");
	json_t *back = oci_descriptor_to_json(&c);
	ok(json_equal(back, o), "to_json gives the same object");
	json_decref(back);
	oci_descriptor_release(&c);
	json_object_set_new(o, "size", json_string("3"));
	ok(oci_descriptor_from_json(o, "layers[2]", &d, &err) < 0 &&
	       strstr(err->msg, "layers[2].size: expected an integer"),
	   "errors name the path: %s", err ? err->msg : "");
	oci_err_clear(&err);
	json_object_set_new(o, "size", json_integer(3));
	json_object_set_new(o, "annotations", json_pack("{s:i}", "k", 1));
	ok(oci_descriptor_from_json(o, "config", &d, &err) < 0 &&
	       strstr(err->msg, "config.annotations.k: expected a string"),
	   "annotation values must be strings: %s", err ? err->msg : "");
	oci_err_clear(&err);
	json_decref(o);
}

/* Several processes tag at the same time; none is lost. */
static void test_concurrent(struct oci_layout *l)
{
	enum { PROCS = 8, EACH = 15 };
	_cleanup_descriptor_ struct oci_descriptor c = {0};
	make_image(l, "conc", &c);
	for (int p = 0; p < PROCS; p++) {
		pid_t pid = fork();
		if (pid == 0) {
			struct oci_layout *cl = NULL;
			if (oci_layout_open(dir, false, &cl, NULL) < 0)
				_exit(1);
			for (int i = 0; i < EACH; i++) {
				_cleanup_free_ char *name = xasprintf("conc/%d:%d", p, i);
				if (oci_layout_set_ref(cl, name, &c, NULL) < 0)
					_exit(1);
			}
			oci_layout_free(cl);
			_exit(0);
		}
	}
	int failed = 0, status;
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
			failed++;
	is_int(failed, 0, "%d processes tagging at once all succeed", PROCS);
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	oci_layout_list(l, &v, &n, NULL);
	size_t found = 0;
	for (size_t i = 0; i < n; i++)
		if (v[i].ref_name && startswith(v[i].ref_name, "conc/"))
			found++;
	oci_descriptors_free(v, n);
	is_int(found, PROCS * EACH, "all %d refs are present", PROCS * EACH);
}

static void test_lock(void)
{
	struct oci_err *err = NULL;
	_cleanup_free_ char *p = oci_path_join(dir, "test.lock");
	int a = -1, b = -1, c = -1;
	is_int(oci_lock_path(p, true, &a, &err), 0, "take an exclusive lock (creating the file)");
	ok(oci_trylock_path(p, false, &b, &err) == -EWOULDBLOCK &&
	       strstr(err->msg, "locked by another"),
	   "a second lock does not wait: %s", err ? err->msg : "");
	oci_err_clear(&err);
	close(a);
	is_int(oci_lock_path(p, false, &a, &err), 0, "shared lock");
	is_int(oci_trylock_path(p, false, &b, &err), 0, "a second shared lock");
	ok(oci_trylock_path(p, true, &c, &err) == -EWOULDBLOCK,
	   "no exclusive lock while shared ones are held");
	oci_err_clear(&err);
	close(a);
	close(b);
	is_int(oci_lock_pathat(AT_FDCWD, p, true, &c, &err), 0, "exclusive once they are released");
	ok(fcntl(c, F_GETFD) & FD_CLOEXEC, "the lock fd is close-on-exec");
	close(c);
	_cleanup_free_ char *bad = oci_path_join(dir, "no/such/dir/x.lock");
	ok(oci_lock_path(bad, true, &a, &err) == -ENOENT && strstr(err->msg, "open lock file"),
	   "a lock in a missing folder: %s", err ? err->msg : "");
	oci_err_clear(&err);
	unlink(p);
}

int main(void)
{
	struct oci_err *err = NULL;
	if (oci_mkdtemp("/tmp/test-layout", &dir, &err) < 0) {
		printf("Bail out! %s\n", err->msg);
		return 1;
	}
	test_lock();
	test_open();
	struct oci_layout *l = NULL;
	if (oci_layout_open(dir, false, &l, &err) < 0) {
		printf("Bail out! %s\n", err->msg);
		return 1;
	}
	test_blobs(l);
	test_writer(l);
	test_refs(l);
	test_verify(l);
	test_gc(l);
	test_descriptor();
	test_concurrent(l);
	test_index_only(l);
	oci_layout_free(l);
	oci_rm_rf(dir, NULL);
	free(dir);
	done_testing();
	return exit_status();
}
