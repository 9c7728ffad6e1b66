/* The OCI image layout store (image-spec image-layout.md).
 *
 * Concurrency and crashes:
 * - a blob is written to a hidden name in blobs/<alg>/ (`.tmp-<random>`, or
 *   `.partial-<hex>` when its digest is known so that it can be resumed),
 *   flock()ed while in use, hashed as it is written, fsynced, then renamed to
 *   its digest and the directory fsynced: a blob name always holds the
 *   complete content;
 * - index.json is read, changed and rewritten (temporary file, fsync,
 *   rename) while holding an exclusive flock on index.json.lock, so
 *   concurrent updates never lose one another and readers, who take no
 *   lock, see the old or the new file;
 * - a handle that writes blobs holds a shared flock on .gc.lock; gc takes it
 *   exclusively, then the index lock, so it never sweeps a blob that a live
 *   writer has stored but not yet referenced;
 * - when a layout is created index.json is written before oci-layout, the
 *   file that marks the folder as a layout. */
#include "layout.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "fs.h"
#include "json.h"
#include "lock.h"
#include "sbuf.h"
#include "util.h"

#define LAYOUT_FILE "oci-layout"
#define INDEX_FILE "index.json"
#define INDEX_LOCK "index.json.lock"
#define GC_LOCK ".gc.lock"
#define PARTIAL_PREFIX ".partial-"
#define TMP_PREFIX ".tmp-"
#define LAYOUT_CONTENT "{\"imageLayoutVersion\":\"1.0.0\"}\n"
/* Manifests and indexes are small; this bounds what gc and verify read. */
#define MANIFEST_MAX (64u << 20)
#define MAX_DEPTH 16

static const char *alg_names[] = {"sha256", "sha512"};

/* --- small helpers --- */

static void random_hex(char *out, size_t n)
{
	static const char hexd[] = "0123456789abcdef";
	unsigned char rnd[32];
	if (n > 2 * sizeof(rnd))
		n = 2 * sizeof(rnd);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		uint64_t x =
		    ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)out ^ (uint64_t)time(NULL);
		for (size_t i = 0; i < sizeof(rnd); i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			rnd[i] = (unsigned char)(x >> 56);
		}
	}
	for (size_t i = 0; i < n; i++)
		out[i] = hexd[(rnd[i / 2] >> ((i & 1) ? 0 : 4)) & 15];
	out[n] = '\0';
}

static int fsync_dirat(int dirfd, const char *name)
{
	_cleanup_close_ int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

/* Takes flock op on fd, retrying on EINTR. */
static int flock_retry(int fd, int op)
{
	while (flock(fd, op) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return 0;
}

static const char *layout_name(const struct oci_layout *l)
{
	return l->path;
}

/* --- opening and creating --- */

static int empty_index(char **ret)
{
	json_auto_t *root = json_pack("{s:i, s:s, s:[]}", "schemaVersion", 2, "mediaType",
				      OCI_MT_INDEX, "manifests");
	if (!root)
		return -ENOMEM;
	*ret = oci_json_dumps(root);
	return 0;
}

static int ensure_dirat(int dirfd, const char *name, struct oci_err **err)
{
	if (mkdirat(dirfd, name, 0755) < 0) {
		if (errno != EEXIST)
			return oci_err_sys(err, "create '%s'", name);
		return 0;
	}
	/* Make the new directory entry durable before anything inside it. */
	_cleanup_free_ char *parent = xstrdup(name);
	char *slash = strrchr(parent, '/');
	if (slash)
		*slash = '\0';
	fsync_dirat(dirfd, slash ? parent : ".");
	return 0;
}

static int ensure_layout(struct oci_layout *l, struct oci_err **err)
{
	int r = ensure_dirat(l->dirfd, "blobs", err);
	if (r < 0)
		return r;
	r = ensure_dirat(l->dirfd, "blobs/sha256", err);
	if (r < 0)
		return r;
	if (faccessat(l->dirfd, LAYOUT_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0 &&
	    faccessat(l->dirfd, INDEX_FILE, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;

	_cleanup_close_ int lock = -1;
	r = oci_lock_pathat(l->dirfd, INDEX_LOCK, true, &lock, err);
	if (r < 0)
		return r;
	/* index.json first: oci-layout is what marks a complete layout. */
	if (faccessat(l->dirfd, INDEX_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		_cleanup_free_ char *s = NULL;
		if (empty_index(&s) < 0)
			return oci_err_set(err, ENOMEM, "create index.json");
		size_t n = strlen(s);
		s = xrealloc(s, n + 2);
		s[n] = '\n';
		s[n + 1] = '\0';
		r = oci_write_file_atomicat(l->dirfd, INDEX_FILE, s, n + 1, 0644, err);
		if (r < 0)
			return r;
	}
	if (faccessat(l->dirfd, LAYOUT_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		r = oci_write_file_atomicat(l->dirfd, LAYOUT_FILE, LAYOUT_CONTENT,
					    strlen(LAYOUT_CONTENT), 0644, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_layout_file(struct oci_layout *l, struct oci_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	if (faccessat(l->dirfd, LAYOUT_FILE, F_OK, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT)
			return oci_err_set(err, ENOENT,
					   "'%s' is not an OCI image layout: no oci-layout file",
					   l->path);
		return oci_err_sys(err, "'%s/oci-layout'", l->path);
	}
	int r = oci_read_fileat(l->dirfd, LAYOUT_FILE, 1 << 20, &buf, &len, err);
	if (r < 0)
		return oci_err_wrap(err, "'%s'", l->path);
	json_auto_t *root = NULL;
	_cleanup_free_ char *name = xasprintf("%s/oci-layout", l->path);
	r = oci_json_load_buf(buf, len, name, &root, err);
	if (r < 0)
		return r;
	const char *v = NULL;
	r = oci_json_get_str(root, "", "imageLayoutVersion", &v, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	if (!startswith(v, "1."))
		return oci_err_set(err, ENOTSUP, "%s: unsupported imageLayoutVersion '%s'", name,
				   v);
	return 0;
}

int oci_layout_open(const char *path, bool create, struct oci_layout **ret, struct oci_err **err)
{
	int r;
	if (!path || !*path)
		return oci_err_set(err, EINVAL, "empty layout path");
	if (create) {
		r = oci_mkdir_p(path, 0755, err);
		if (r < 0)
			return oci_err_wrap(err, "create layout '%s'", path);
	}
	_cleanup_(oci_layout_freep) struct oci_layout *l = xcalloc(1, sizeof(*l));
	l->gc_lock_fd = -1;
	l->path = xstrdup(path);
	l->dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (l->dirfd < 0) {
		if (errno == ENOENT)
			return oci_err_set(err, ENOENT, "layout '%s' does not exist", path);
		return oci_err_sys(err, "open layout '%s'", path);
	}
	if (create) {
		r = ensure_layout(l, err);
		if (r < 0)
			return oci_err_wrap(err, "create layout '%s'", path);
	}
	r = check_layout_file(l, err);
	if (r < 0)
		return r;
	*ret = TAKE_PTR(l);
	return 0;
}

void oci_layout_free(struct oci_layout *l)
{
	if (!l)
		return;
	if (l->dirfd >= 0)
		close(l->dirfd);
	if (l->gc_lock_fd >= 0)
		close(l->gc_lock_fd);
	free(l->path);
	free(l);
}

/* Holds the shared gc lock for the life of the handle (see the top). */
static int hold_gc_lock(struct oci_layout *l, struct oci_err **err)
{
	if (l->gc_lock_fd >= 0)
		return 0;
	int r = oci_lock_pathat(l->dirfd, GC_LOCK, false, &l->gc_lock_fd, err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	return 0;
}

/* --- blobs --- */

char *oci_layout_blob_relpath(const struct oci_digest *d)
{
	return xasprintf("blobs/%s/%s", oci_digest_alg_name(d->alg), oci_digest_hex(d));
}

char *oci_layout_blob_path(const struct oci_layout *l, const struct oci_digest *d)
{
	_cleanup_free_ char *rel = oci_layout_blob_relpath(d);
	return oci_path_join(l->path, rel);
}

bool oci_layout_has_blob(const struct oci_layout *l, const struct oci_digest *d)
{
	_cleanup_free_ char *rel = oci_layout_blob_relpath(d);
	struct stat st;
	return fstatat(l->dirfd, rel, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode);
}

int oci_layout_blob_open(const struct oci_layout *l, const struct oci_digest *d, int *ret_fd,
			 struct oci_err **err)
{
	_cleanup_free_ char *rel = oci_layout_blob_relpath(d);
	int fd = openat(l->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		if (errno == ENOENT)
			return oci_err_set(err, ENOENT, "blob %s not found in '%s'", d->str,
					   layout_name(l));
		return oci_err_sys(err, "open blob %s in '%s'", d->str, layout_name(l));
	}
	*ret_fd = fd;
	return 0;
}

int oci_layout_blob_read(const struct oci_layout *l, const struct oci_digest *d, size_t max,
			 char **ret, size_t *ret_len, struct oci_err **err)
{
	_cleanup_close_ int fd = -1;
	int r = oci_layout_blob_open(l, d, &fd, err);
	if (r < 0)
		return r;
	struct stat st;
	if (fstat(fd, &st) < 0)
		return oci_err_sys(err, "blob %s", d->str);
	if (max && (uint64_t)st.st_size > max)
		return oci_err_set(err, EFBIG, "blob %s: %lld bytes, more than the limit of %zu",
				   d->str, (long long)st.st_size, max);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	sbuf_grow(&sb, (size_t)st.st_size + 1);
	r = oci_read_fd(fd, max, &sb);
	if (r == -EFBIG)
		return oci_err_set(err, EFBIG, "blob %s: more than the limit of %zu bytes", d->str,
				   max);
	if (r < 0)
		return oci_err_set(err, -r, "read blob %s: %s", d->str, strerror(-r));
	struct oci_digest got;
	oci_digest_buf(d->alg, sb.buf, sb.len, &got);
	_cleanup_free_ char *what = xasprintf("blob in '%s'", layout_name(l));
	r = oci_digest_verify(d, &got, what, err);
	if (r < 0)
		return r;
	size_t len = 0;
	*ret = sbuf_detach(&sb, &len);
	if (ret_len)
		*ret_len = len;
	return 0;
}

struct oci_blob_writer {
	struct oci_layout *l;
	bool has_expected;
	bool resumable; /* writing to .partial-<hex>, which outlives the writer */
	struct oci_digest expected;
	int64_t expected_size;
	enum oci_digest_alg alg;
	int algfd;  /* blobs/<alg> */
	char *name; /* the hidden name in blobs/<alg> */
	int fd;	    /* holds an exclusive flock */
	int64_t offset;
	struct oci_hasher *h;
	bool done;
	bool present; /* the blob was already stored: writes are dropped */
};

static int open_alg_dir(struct oci_layout *l, enum oci_digest_alg alg, int *ret,
			struct oci_err **err)
{
	_cleanup_free_ char *rel = xasprintf("blobs/%s", oci_digest_alg_name(alg));
	int r = ensure_dirat(l->dirfd, "blobs", err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	r = ensure_dirat(l->dirfd, rel, err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	int fd = openat(l->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return oci_err_sys(err, "open '%s/%s'", l->path, rel);
	*ret = fd;
	return 0;
}

/* Opens and locks NAME in dirfd, making sure the locked inode is still the
 * one at NAME (a writer that held it may have renamed it into place, or gc
 * removed it, while we waited). */
static int open_locked(int dirfd, const char *name, bool create, bool wait, int *ret_fd)
{
	for (;;) {
		_cleanup_close_ int fd = openat(
		    dirfd, name,
		    O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY | (create ? O_CREAT : 0), 0644);
		if (fd < 0)
			return -errno;
		int r = flock_retry(fd, LOCK_EX | (wait ? 0 : LOCK_NB));
		if (r < 0)
			return r;
		struct stat a, b;
		if (fstat(fd, &a) < 0)
			return -errno;
		if (fstatat(dirfd, name, &b, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno != ENOENT)
				return -errno;
			if (!create)
				return -ENOENT;
			continue;
		}
		if (a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
			if (!create)
				return -ENOENT;
			continue;
		}
		*ret_fd = TAKE_FD(fd);
		return 0;
	}
}

/* Hashes what a partial file already holds, restoring the hasher's state. */
static int rehash_partial(struct oci_blob_writer *w, struct oci_err **err)
{
	struct stat st;
	if (fstat(w->fd, &st) < 0)
		return oci_err_sys(err, "partial blob %s", w->expected.str);
	if (w->expected_size >= 0 && st.st_size > w->expected_size) {
		/* More than the blob can hold: start over. */
		if (ftruncate(w->fd, 0) < 0)
			return oci_err_sys(err, "truncate partial blob %s", w->expected.str);
		st.st_size = 0;
	}
	if (lseek(w->fd, 0, SEEK_SET) < 0)
		return oci_err_sys(err, "partial blob %s", w->expected.str);
	_cleanup_free_ char *buf = xmalloc(1 << 16);
	int64_t total = 0;
	while (total < st.st_size) {
		size_t want = (size_t)(st.st_size - total) < (1 << 16)
				  ? (size_t)(st.st_size - total)
				  : (1 << 16);
		ssize_t n = read(w->fd, buf, want);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_sys(err, "read partial blob %s", w->expected.str);
		}
		if (n == 0)
			break;
		oci_hasher_update(w->h, buf, (size_t)n);
		total += n;
	}
	/* Whatever followed (a concurrent truncate cannot happen: we hold the
	 * lock) is dropped so that offset and file agree. */
	if (ftruncate(w->fd, total) < 0 || lseek(w->fd, total, SEEK_SET) < 0)
		return oci_err_sys(err, "partial blob %s", w->expected.str);
	w->offset = total;
	return 0;
}

static void writer_finish(struct oci_blob_writer *w, bool unlink_file);

/* With an expected digest: is that blob already in the layout (with the
 * expected size)? Then the writer is complete from the start. */
static bool blob_already_stored(struct oci_blob_writer *w)
{
	struct stat st;
	if (fstatat(w->algfd, oci_digest_hex(&w->expected), &st, AT_SYMLINK_NOFOLLOW) < 0 ||
	    !S_ISREG(st.st_mode))
		return false;
	if (w->expected_size >= 0 && st.st_size != w->expected_size)
		return false;
	w->present = true;
	w->offset = st.st_size;
	return true;
}

static int writer_new(struct oci_layout *l, enum oci_digest_alg alg,
		      const struct oci_digest *expected, int64_t expected_size,
		      struct oci_blob_writer **ret, struct oci_err **err)
{
	int r = hold_gc_lock(l, err);
	if (r < 0)
		return r;
	_cleanup_(oci_blob_writer_freep) struct oci_blob_writer *w = xcalloc(1, sizeof(*w));
	w->l = l;
	w->fd = -1;
	w->algfd = -1;
	w->expected_size = expected_size;
	w->alg = expected ? expected->alg : alg;
	w->done = true; /* nothing to clean up until the file exists */
	if (expected) {
		w->has_expected = true;
		w->expected = *expected;
	}
	r = open_alg_dir(l, w->alg, &w->algfd, err);
	if (r < 0)
		return r;
	w->h = oci_hasher_new(w->alg);
	if (expected) {
		if (blob_already_stored(w)) {
			*ret = TAKE_PTR(w);
			return 0;
		}
		w->name = xasprintf(PARTIAL_PREFIX "%s", oci_digest_hex(expected));
		r = open_locked(w->algfd, w->name, true, false, &w->fd);
		if (r == -EWOULDBLOCK) {
			/* Another writer (in another process, or in this one, where
			 * waiting would never end) has the partial: write to a
			 * private temporary file instead, without resume. */
			free(w->name);
			w->name = NULL;
		} else if (r < 0) {
			errno = -r;
			return oci_err_sys(err, "open partial blob %s in '%s'", expected->str,
					   l->path);
		} else {
			w->done = false;
			w->resumable = true;
			if (blob_already_stored(w)) {
				/* A writer finished it just before we took the lock. */
				writer_finish(w, true);
				w->done = true;
				*ret = TAKE_PTR(w);
				return 0;
			}
			r = rehash_partial(w, err);
			if (r < 0)
				return r;
		}
	}
	if (!w->name) {
		for (int tries = 0; w->fd < 0; tries++) {
			char hex[25];
			random_hex(hex, 24);
			free(w->name);
			w->name = xasprintf(TMP_PREFIX "%s", hex);
			w->fd = openat(w->algfd, w->name,
				       O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
			if (w->fd < 0 && (errno != EEXIST || tries > 16))
				return oci_err_sys(err, "create temporary blob in '%s'", l->path);
		}
		w->done = false;
		/* Tell gc it is in use. */
		r = flock_retry(w->fd, LOCK_EX);
		if (r < 0) {
			errno = -r;
			return oci_err_sys(err, "lock temporary blob in '%s'", l->path);
		}
	}
	*ret = TAKE_PTR(w);
	return 0;
}

int oci_layout_blob_writer(struct oci_layout *l, const struct oci_digest *expected,
			   int64_t expected_size, struct oci_blob_writer **ret,
			   struct oci_err **err)
{
	return writer_new(l, OCI_DIGEST_SHA256, expected, expected_size, ret, err);
}

int64_t oci_blob_writer_offset(const struct oci_blob_writer *w)
{
	return w->offset;
}

static const char *writer_what(const struct oci_blob_writer *w)
{
	return w->has_expected ? w->expected.str : "new blob";
}

int oci_blob_writer_restart(struct oci_blob_writer *w, struct oci_err **err)
{
	if (w->present)
		return 0;
	if (w->done)
		return oci_err_set(err, EINVAL, "blob writer already finished");
	if (ftruncate(w->fd, 0) < 0 || lseek(w->fd, 0, SEEK_SET) < 0)
		return oci_err_sys(err, "restart %s", writer_what(w));
	oci_hasher_free(w->h);
	w->h = oci_hasher_new(w->alg);
	w->offset = 0;
	return 0;
}

int oci_blob_writer_write(struct oci_blob_writer *w, const void *data, size_t len,
			  struct oci_err **err)
{
	if (w->present)
		return 0;
	if (w->done)
		return oci_err_set(err, EINVAL, "blob writer already finished");
	if (w->expected_size >= 0 && (uint64_t)w->offset + len > (uint64_t)w->expected_size)
		return oci_err_set(err, EFBIG,
				   "blob %s: more data than the expected %" PRId64 " bytes",
				   writer_what(w), w->expected_size);
	int r = oci_write_all(w->fd, data, len);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "write blob %s in '%s'", writer_what(w), w->l->path);
	}
	oci_hasher_update(w->h, data, len);
	w->offset += (int64_t)len;
	return 0;
}

static void writer_finish(struct oci_blob_writer *w, bool unlink_file)
{
	if (w->done)
		return;
	if (unlink_file && w->fd >= 0)
		unlinkat(w->algfd, w->name, 0); /* we hold its lock: it is ours */
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	w->done = true;
}

int oci_blob_writer_commit(struct oci_blob_writer *w, struct oci_digest *ret_digest,
			   struct oci_err **err)
{
	if (w->present) {
		if (ret_digest)
			*ret_digest = w->expected;
		return 0;
	}
	if (w->done)
		return oci_err_set(err, EINVAL, "blob writer already finished");
	if (w->expected_size >= 0 && w->offset < w->expected_size)
		/* Incomplete: keep the partial for a later resume. */
		return oci_err_set(err, EIO,
				   "blob %s is incomplete: %" PRId64 " of %" PRId64 " bytes",
				   writer_what(w), w->offset, w->expected_size);
	struct oci_digest got;
	_cleanup_(oci_hasher_freep) struct oci_hasher *h = oci_hasher_dup(w->h);
	oci_hasher_final(h, &got);
	if (w->has_expected) {
		_cleanup_free_ char *what = xasprintf("blob written to '%s'", w->l->path);
		int r = oci_digest_verify(&w->expected, &got, what, err);
		if (r < 0) {
			writer_finish(w, true);
			return r;
		}
	}
	if (fsync(w->fd) < 0) {
		int r = oci_err_sys(err, "fsync blob %s in '%s'", got.str, w->l->path);
		writer_finish(w, !w->resumable);
		return r;
	}
	if (renameat(w->algfd, w->name, w->algfd, oci_digest_hex(&got)) < 0) {
		int r = oci_err_sys(err, "store blob %s in '%s'", got.str, w->l->path);
		writer_finish(w, !w->resumable);
		return r;
	}
	if (fsync(w->algfd) < 0) {
		int r = oci_err_sys(err, "fsync '%s/blobs/%s'", w->l->path,
				    oci_digest_alg_name(w->alg));
		writer_finish(w, false);
		return r;
	}
	writer_finish(w, false);
	if (ret_digest)
		*ret_digest = got;
	return 0;
}

void oci_blob_writer_abort(struct oci_blob_writer *w, bool keep_partial)
{
	if (!w)
		return;
	writer_finish(w, !(keep_partial && w->resumable));
}

void oci_blob_writer_free(struct oci_blob_writer *w)
{
	if (!w)
		return;
	oci_blob_writer_abort(w, true);
	if (w->algfd >= 0)
		close(w->algfd);
	oci_hasher_free(w->h);
	free(w->name);
	free(w);
}

int oci_layout_blob_put(struct oci_layout *l, const void *data, size_t len,
			const struct oci_digest *expected, struct oci_digest *ret_digest,
			struct oci_err **err)
{
	struct oci_digest got;
	oci_digest_buf(expected ? expected->alg : OCI_DIGEST_SHA256, data, len, &got);
	if (expected) {
		_cleanup_free_ char *what = xasprintf("blob for '%s'", l->path);
		int r = oci_digest_verify(expected, &got, what, err);
		if (r < 0)
			return r;
	}
	int r = hold_gc_lock(l, err);
	if (r < 0)
		return r;
	if (!oci_layout_has_blob(l, &got)) {
		_cleanup_(oci_blob_writer_freep) struct oci_blob_writer *w = NULL;
		/* A unique temporary name: the content is all here, nothing to resume. */
		r = writer_new(l, got.alg, NULL, (int64_t)len, &w, err);
		if (r < 0)
			return r;
		r = oci_blob_writer_write(w, data, len, err);
		if (r < 0)
			return r;
		struct oci_digest stored;
		r = oci_blob_writer_commit(w, &stored, err);
		if (r < 0)
			return r;
	}
	if (ret_digest)
		*ret_digest = got;
	return 0;
}

/* --- descriptors --- */

void oci_descriptor_release(struct oci_descriptor *d)
{
	if (!d)
		return;
	free(d->media_type);
	free(d->ref_name);
	json_decref(d->json);
	memset(d, 0, sizeof(*d));
}

void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src)
{
	dst->media_type = src->media_type ? xstrdup(src->media_type) : NULL;
	dst->digest = src->digest;
	dst->size = src->size;
	dst->ref_name = src->ref_name ? xstrdup(src->ref_name) : NULL;
	dst->json = src->json ? json_deep_copy(src->json) : NULL;
}

void oci_descriptors_free(struct oci_descriptor *v, size_t n)
{
	if (!v)
		return;
	for (size_t i = 0; i < n; i++)
		oci_descriptor_release(&v[i]);
	free(v);
}

int oci_descriptor_from_json(json_t *obj, const char *path, struct oci_descriptor *ret,
			     struct oci_err **err)
{
	const char *p = path && *path ? path : "(root)";
	int r = oci_json_expect(obj, JSON_OBJECT, p, err);
	if (r < 0)
		return r;
	const char *mt = NULL, *dg = NULL;
	int64_t size = 0;
	r = oci_json_get_str(obj, path, "mediaType", &mt, err);
	if (r < 0)
		return r;
	r = oci_json_get_str(obj, path, "digest", &dg, err);
	if (r < 0)
		return r;
	r = oci_json_get_int(obj, path, "size", &size, err);
	if (r < 0)
		return r;
	if (size < 0) {
		_cleanup_free_ char *k = oci_json_path_key(path, "size");
		return oci_err_set(err, EINVAL, "%s: %" PRId64 " is negative", k, size);
	}
	struct oci_digest d;
	r = oci_digest_parse(dg, &d, err);
	if (r < 0) {
		_cleanup_free_ char *k = oci_json_path_key(path, "digest");
		return oci_err_wrap(err, "%s", k);
	}
	json_t *ann = NULL;
	r = oci_json_opt_obj(obj, path, "annotations", &ann, err);
	if (r < 0)
		return r;
	const char *ref = NULL;
	if (ann) {
		_cleanup_free_ char *ap = oci_json_path_key(path, "annotations");
		const char *k;
		json_t *v;
		json_object_foreach (ann, k, v) {
			if (!json_is_string(v)) {
				_cleanup_free_ char *kp = oci_json_path_key(ap, k);
				return oci_json_expect(v, JSON_STRING, kp, err);
			}
		}
		json_t *rv = json_object_get(ann, OCI_ANNOTATION_REF_NAME);
		ref = rv ? json_string_value(rv) : NULL;
	}
	memset(ret, 0, sizeof(*ret));
	ret->media_type = xstrdup(mt);
	ret->digest = d;
	ret->size = size;
	ret->ref_name = ref ? xstrdup(ref) : NULL;
	ret->json = json_incref(obj);
	return 0;
}

json_t *oci_descriptor_to_json(const struct oci_descriptor *d)
{
	json_t *o = d->json ? json_deep_copy(d->json) : json_object();
	if (d->media_type)
		json_object_set_new(o, "mediaType", json_string(d->media_type));
	json_object_set_new(o, "digest", json_string(d->digest.str));
	json_object_set_new(o, "size", json_integer(d->size));
	if (d->ref_name) {
		json_t *ann = json_object_get(o, "annotations");
		if (!json_is_object(ann)) {
			ann = json_object();
			json_object_set_new(o, "annotations", ann);
		}
		json_object_set_new(ann, OCI_ANNOTATION_REF_NAME, json_string(d->ref_name));
	}
	return o;
}

/* --- index.json --- */

/* Loads index.json and checks its shape; *ret_manifests borrows from *ret. */
static int load_index(struct oci_layout *l, bool missing_ok, json_t **ret, json_t **ret_manifests,
		      struct oci_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	_cleanup_free_ char *name = xasprintf("%s/index.json", l->path);
	_cleanup_close_ int fd = openat(l->dirfd, INDEX_FILE, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	json_auto_t *root = NULL;
	if (fd < 0 && errno == ENOENT && missing_ok) {
		_cleanup_free_ char *s = NULL;
		if (empty_index(&s) < 0)
			return oci_err_set(err, ENOMEM, "%s", name);
		int r = oci_json_load_buf(s, strlen(s), name, &root, err);
		if (r < 0)
			return r;
	} else {
		if (fd < 0) {
			if (errno == ENOENT)
				return oci_err_set(err, ENOENT,
						   "'%s' is not an OCI image layout: no index.json",
						   l->path);
			return oci_err_sys(err, "open '%s'", name);
		}
		int r = oci_read_fileat(l->dirfd, INDEX_FILE, MANIFEST_MAX, &buf, &len, err);
		if (r < 0)
			return oci_err_wrap(err, "'%s'", l->path);
		r = oci_json_load_buf(buf, len, name, &root, err);
		if (r < 0)
			return r;
	}
	int r = oci_json_expect(root, JSON_OBJECT, "", err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	int64_t sv = 0;
	r = oci_json_get_int(root, "", "schemaVersion", &sv, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	if (sv != 2)
		return oci_err_set(err, EINVAL, "%s: schemaVersion: %" PRId64 " is not 2", name,
				   sv);
	const char *mt = NULL;
	r = oci_json_opt_str(root, "", "mediaType", &mt, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	if (mt && !streq(mt, OCI_MT_INDEX))
		return oci_err_set(err, EINVAL, "%s: mediaType: '%s' is not '%s'", name, mt,
				   OCI_MT_INDEX);
	json_t *m = NULL;
	r = oci_json_get_arr(root, "", "manifests", &m, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);
	*ret_manifests = m;
	*ret = TAKE_PTR(root);
	return 0;
}

static int parse_entries(struct oci_layout *l, json_t *manifests, struct oci_descriptor **ret,
			 size_t *ret_n, struct oci_err **err)
{
	size_t n = json_array_size(manifests);
	struct oci_descriptor *v = xcalloc(n + 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *p = oci_json_path_index("manifests", i);
		int r = oci_descriptor_from_json(json_array_get(manifests, i), p, &v[i], err);
		if (r < 0) {
			oci_descriptors_free(v, i);
			return oci_err_wrap(err, "%s/index.json", l->path);
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

int oci_layout_list(struct oci_layout *l, struct oci_descriptor **ret, size_t *ret_n,
		    struct oci_err **err)
{
	json_auto_t *root = NULL;
	json_t *m = NULL;
	int r = load_index(l, false, &root, &m, err);
	if (r < 0)
		return r;
	return parse_entries(l, m, ret, ret_n, err);
}

int oci_layout_resolve(struct oci_layout *l, const char *name, struct oci_descriptor *ret,
		       struct oci_err **err)
{
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	int r = oci_layout_list(l, &v, &n, err);
	if (r < 0)
		return r;
	ssize_t found = -1;
	for (size_t i = 0; i < n && found < 0; i++)
		if (v[i].ref_name && streq(v[i].ref_name, name))
			found = (ssize_t)i;
	/* A digest names the entry with that digest, when it has no such name. */
	for (size_t i = 0; i < n && found < 0; i++)
		if (streq(v[i].digest.str, name))
			found = (ssize_t)i;
	if (found < 0) {
		oci_descriptors_free(v, n);
		return oci_err_set(err, ENOENT, "no image '%s' in '%s'", name, l->path);
	}
	*ret = v[found];
	memset(&v[found], 0, sizeof(v[found]));
	oci_descriptors_free(v, n);
	return 0;
}

static int check_ref_name(const char *name, struct oci_err **err)
{
	if (!name || !*name)
		return oci_err_set(err, EINVAL, "empty image name");
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return oci_err_set(
			    err, EINVAL,
			    "invalid image name '%s': it contains a space or a control character",
			    name);
	return 0;
}

/* Runs fn on index.json's manifests array under the index lock and writes
 * the result back atomically when fn returns > 0. */
typedef int (*index_edit_fn)(struct oci_layout *l, json_t *manifests, void *ctx,
			     struct oci_err **err);

static int index_edit(struct oci_layout *l, index_edit_fn fn, void *ctx, struct oci_err **err)
{
	_cleanup_close_ int lock = -1;
	int r = oci_lock_pathat(l->dirfd, INDEX_LOCK, true, &lock, err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	json_auto_t *root = NULL;
	json_t *m = NULL;
	r = load_index(l, true, &root, &m, err);
	if (r < 0)
		return r;
	/* Validate every entry before changing anything. */
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	r = parse_entries(l, m, &v, &n, err);
	if (r < 0)
		return r;
	oci_descriptors_free(v, n);
	r = fn(l, m, ctx, err);
	if (r <= 0)
		return r;
	json_object_set_new(root, "schemaVersion", json_integer(2));
	json_object_set_new(root, "mediaType", json_string(OCI_MT_INDEX));
	_cleanup_free_ char *s = oci_json_dumps(root);
	size_t len = strlen(s);
	s = xrealloc(s, len + 2);
	s[len] = '\n';
	s[len + 1] = '\0';
	r = oci_write_file_atomicat(l->dirfd, INDEX_FILE, s, len + 1, 0644, err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	return 0;
}

static const char *entry_ref_name(json_t *e)
{
	json_t *ann = json_object_get(e, "annotations");
	json_t *v = ann ? json_object_get(ann, OCI_ANNOTATION_REF_NAME) : NULL;
	return v ? json_string_value(v) : NULL;
}

struct set_ref_ctx {
	const char *name;
	const struct oci_descriptor *d;
	bool index_only; /* the manifests of an index may be absent */
};

static int check_complete(struct oci_layout *l, json_t *desc, bool index_only,
			  struct oci_err **err);

static int set_ref_fn(struct oci_layout *l, json_t *m, void *vctx, struct oci_err **err)
{
	struct set_ref_ctx *ctx = vctx;
	/* Under the lock, so that gc (which holds it too) cannot race us. */
	if (!oci_layout_has_blob(l, &ctx->d->digest))
		return oci_err_set(err, ENOENT, "cannot tag '%s': blob %s not found in '%s'",
				   ctx->name, ctx->d->digest.str, l->path);
	json_t *e = oci_descriptor_to_json(ctx->d);
	/* Nothing half-done is tagged: everything it reaches must be here. */
	int r = check_complete(l, e, ctx->index_only, err);
	if (r < 0) {
		json_decref(e);
		return oci_err_wrap(err, "cannot tag '%s' in '%s'", ctx->name, l->path);
	}
	json_t *ann = json_object_get(e, "annotations");
	if (!json_is_object(ann)) {
		ann = json_object();
		json_object_set_new(e, "annotations", ann);
	}
	json_object_set_new(ann, OCI_ANNOTATION_REF_NAME, json_string(ctx->name));
	bool placed = false;
	for (size_t i = 0; i < json_array_size(m);) {
		const char *rn = entry_ref_name(json_array_get(m, i));
		if (rn && streq(rn, ctx->name)) {
			if (!placed) {
				json_array_set(m, i, e);
				placed = true;
				i++;
			} else {
				json_array_remove(m, i);
			}
			continue;
		}
		i++;
	}
	if (!placed)
		json_array_append(m, e);
	json_decref(e);
	return 1;
}

static int set_ref(struct oci_layout *l, const char *name, const struct oci_descriptor *d,
		   bool index_only, struct oci_err **err)
{
	int r = check_ref_name(name, err);
	if (r < 0)
		return r;
	if (!d->media_type || !*d->media_type)
		return oci_err_set(err, EINVAL, "cannot tag '%s': descriptor has no media type",
				   name);
	if (d->size < 0)
		return oci_err_set(err, EINVAL, "cannot tag '%s': negative size", name);
	struct set_ref_ctx ctx = {.name = name, .d = d, .index_only = index_only};
	return index_edit(l, set_ref_fn, &ctx, err);
}

int oci_layout_set_ref(struct oci_layout *l, const char *name, const struct oci_descriptor *d,
		       struct oci_err **err)
{
	return set_ref(l, name, d, false, err);
}

int oci_layout_set_ref_index_only(struct oci_layout *l, const char *name,
				  const struct oci_descriptor *d, struct oci_err **err)
{
	return set_ref(l, name, d, true, err);
}

static int remove_ref_fn(struct oci_layout *l, json_t *m, void *vctx, struct oci_err **err)
{
	const char *name = vctx;
	bool removed = false;
	for (size_t i = 0; i < json_array_size(m);) {
		const char *rn = entry_ref_name(json_array_get(m, i));
		if (rn && streq(rn, name)) {
			json_array_remove(m, i);
			removed = true;
			continue;
		}
		i++;
	}
	if (!removed)
		return oci_err_set(err, ENOENT, "no image '%s' in '%s'", name, l->path);
	return 1;
}

int oci_layout_remove_ref(struct oci_layout *l, const char *name, struct oci_err **err)
{
	int r = check_ref_name(name, err);
	if (r < 0)
		return r;
	return index_edit(l, remove_ref_fn, (void *)name, err);
}

/* --- reachability (gc and verify) --- */

static bool is_index_mt(const char *mt)
{
	return mt && (streq(mt, OCI_MT_INDEX) || streq(mt, DOCKER_MT_LIST));
}

static bool is_manifest_mt(const char *mt)
{
	return mt && (streq(mt, OCI_MT_MANIFEST) || streq(mt, DOCKER_MT_MANIFEST));
}

struct walk {
	struct oci_layout *l;
	bool verify;  /* check presence, size and digest of everything */
	bool require; /* check presence of everything */
	bool index_only; /* ...but the manifests named by the top index */
	json_t *seen; /* digest -> true */
};

static int walk_desc(struct walk *w, json_t *obj, const char *path, int depth,
		     struct oci_err **err);

static int walk_children(struct walk *w, json_t *doc, const char *path, int depth,
			 struct oci_err **err)
{
	static const char *arrays[] = {"manifests", "layers", "blobs"};
	static const char *singles[] = {"config"};
	for (size_t a = 0; a < ARRAY_SIZE(arrays); a++) {
		json_t *arr = NULL;
		int r = oci_json_opt_arr(doc, path, arrays[a], &arr, err);
		if (r < 0)
			return r;
		for (size_t i = 0; arr && i < json_array_size(arr); i++) {
			_cleanup_free_ char *k = oci_json_path_key(path, arrays[a]);
			_cleanup_free_ char *p = oci_json_path_index(k, i);
			r = walk_desc(w, json_array_get(arr, i), p, depth + 1, err);
			if (r < 0)
				return r;
		}
	}
	for (size_t s = 0; s < ARRAY_SIZE(singles); s++) {
		json_t *o = NULL;
		int r = oci_json_opt_obj(doc, path, singles[s], &o, err);
		if (r < 0)
			return r;
		if (o) {
			_cleanup_free_ char *p = oci_json_path_key(path, singles[s]);
			r = walk_desc(w, o, p, depth + 1, err);
			if (r < 0)
				return r;
		}
	}
	/* A referrer's subject is kept when it is here, and not required. */
	json_t *subj = json_object_get(doc, "subject");
	if (json_is_object(subj)) {
		json_t *dg = json_object_get(subj, "digest");
		struct oci_digest d;
		if (json_is_string(dg) && oci_digest_parse(json_string_value(dg), &d, NULL) == 0 &&
		    oci_layout_has_blob(w->l, &d)) {
			_cleanup_free_ char *p = oci_json_path_key(path, "subject");
			int r = walk_desc(w, subj, p, depth + 1, err);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

static int walk_desc(struct walk *w, json_t *obj, const char *path, int depth, struct oci_err **err)
{
	_cleanup_descriptor_ struct oci_descriptor d = {0};
	int r = oci_descriptor_from_json(obj, path, &d, err);
	if (r < 0)
		return r;
	json_t *seen = json_object_get(w->seen, d.digest.str);
	if (seen) {
		/* Every descriptor of a blob must give its size. */
		if (w->verify && json_integer_value(seen) != d.size)
			return oci_err_set(
			    err, EINVAL,
			    "%s: blob %s has %" PRId64 " bytes, the descriptor says %" PRId64, path,
			    d.digest.str, (int64_t)json_integer_value(seen), d.size);
		return 0;
	}
	json_object_set_new(w->seen, d.digest.str, json_integer(d.size));
	if (depth > MAX_DEPTH)
		return oci_err_set(err, ELOOP, "%s: indexes nested more than %d deep", path,
				   MAX_DEPTH);
	bool nested = is_index_mt(d.media_type) || is_manifest_mt(d.media_type);

	if (!oci_layout_has_blob(w->l, &d.digest)) {
		/* Foreign (non-distributable) layers are fetched from their urls
		 * when needed, and may be absent. */
		bool foreign = streq(d.media_type, DOCKER_MT_LAYER_FOREIGN) ||
			       strstr(d.media_type, ".nondistributable.");
		if (w->index_only && depth == 1 && nested)
			return 0;
		if ((w->verify || w->require) && !foreign) {
			/* the manifest of a platform: say which (an index copied
			 * without its manifests, e.g. by --multi-arch index-only) */
			json_t *pl = nested ? json_object_get(obj, "platform") : NULL;
			const char *os = json_string_value(json_object_get(pl, "os"));
			const char *arch = json_string_value(json_object_get(pl, "architecture"));
			const char *var = json_string_value(json_object_get(pl, "variant"));
			if (os && arch)
				return oci_err_set(err, ENOENT,
						   "%s: the manifest for platform '%s/%s%s%s' (blob %s) is missing",
						   path, os, arch, var ? "/" : "", var ? var : "",
						   d.digest.str);
			return oci_err_set(err, ENOENT, "%s: blob %s is missing", path,
					   d.digest.str);
		}
		return 0;
	}
	if (w->verify) {
		_cleanup_close_ int fd = -1;
		r = oci_layout_blob_open(w->l, &d.digest, &fd, err);
		if (r < 0)
			return oci_err_wrap(err, "%s", path);
		struct oci_digest got;
		off_t size = 0;
		r = oci_digest_fd(d.digest.alg, fd, &got, &size, err);
		if (r < 0)
			return oci_err_wrap(err, "%s: blob %s", path, d.digest.str);
		if (!oci_digest_equal(&got, &d.digest))
			return oci_err_set(err, EILSEQ,
					   "%s: blob %s is corrupt: its content hashes to %s", path,
					   d.digest.str, got.str);
		if ((int64_t)size != d.size)
			return oci_err_set(
			    err, EINVAL, "%s: blob %s has %lld bytes, the descriptor says %" PRId64,
			    path, d.digest.str, (long long)size, d.size);
	}
	if (!nested)
		return 0;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	r = oci_layout_blob_read(w->l, &d.digest, MANIFEST_MAX, &buf, &len, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", path);
	json_auto_t *doc = NULL;
	_cleanup_free_ char *name = xasprintf("%s (%s)", path, d.digest.str);
	r = oci_json_load_buf(buf, len, name, &doc, err);
	if (r < 0)
		return r;
	r = oci_json_expect(doc, JSON_OBJECT, name, err);
	if (r < 0)
		return r;
	return walk_children(w, doc, name, depth, err);
}

static int walk_index(struct walk *w, json_t *manifests, struct oci_err **err)
{
	for (size_t i = 0; i < json_array_size(manifests); i++) {
		_cleanup_free_ char *p = oci_json_path_index("index.json: manifests", i);
		int r = walk_desc(w, json_array_get(manifests, i), p, 0, err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_complete(struct oci_layout *l, json_t *desc, bool index_only,
			  struct oci_err **err)
{
	json_auto_t *seen = json_object();
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	struct walk w = {.l = l, .require = true, .index_only = index_only && is_index_mt(mt),
			 .seen = seen};
	return walk_desc(&w, desc, "descriptor", 0, err);
}

static bool is_hex_name(const char *s, size_t len)
{
	if (strlen(s) != len)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

/* Removes a hidden writer file when no writer holds its lock. */
static int remove_stale(int dirfd, const char *name, uint64_t *ret_bytes)
{
	_cleanup_close_ int fd = -1;
	int r = open_locked(dirfd, name, false, false, &fd);
	if (r < 0)
		return r; /* in use (EWOULDBLOCK) or gone */
	struct stat st;
	if (fstat(fd, &st) == 0)
		*ret_bytes += (uint64_t)st.st_size;
	if (unlinkat(dirfd, name, 0) < 0)
		return -errno;
	return 0;
}

static int sweep_alg(struct oci_layout *l, enum oci_digest_alg alg, json_t *seen, size_t *n_blobs,
		     uint64_t *n_bytes, struct oci_err **err)
{
	_cleanup_free_ char *rel = xasprintf("blobs/%s", alg_names[alg]);
	int dfd = openat(l->dirfd, rel, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0) {
		if (errno == ENOENT)
			return 0;
		return oci_err_sys(err, "open '%s/%s'", l->path, rel);
	}
	_cleanup_closedir_ DIR *dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return oci_err_sys(err, "read '%s/%s'", l->path, rel);
	}
	size_t hexlen = alg == OCI_DIGEST_SHA512 ? 128 : 64;
	bool removed = false;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(dir))) {
		const char *n = de->d_name;
		if (startswith(n, PARTIAL_PREFIX) || startswith(n, TMP_PREFIX)) {
			uint64_t b = 0;
			if (remove_stale(dirfd(dir), n, &b) == 0) {
				(*n_blobs)++;
				*n_bytes += b;
				removed = true;
			}
			continue;
		}
		if (!is_hex_name(n, hexlen))
			continue;
		_cleanup_free_ char *dg = xasprintf("%s:%s", alg_names[alg], n);
		if (json_object_get(seen, dg))
			continue;
		struct stat st;
		if (fstatat(dirfd(dir), n, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (unlinkat(dirfd(dir), n, 0) < 0)
			return oci_err_sys(err, "remove '%s/%s/%s'", l->path, rel, n);
		(*n_blobs)++;
		*n_bytes += (uint64_t)st.st_size;
		removed = true;
	}
	if (removed)
		fsync(dirfd(dir));
	return 0;
}

/* index.json and oci-layout temporaries left by a killed writer. */
static void sweep_root(struct oci_layout *l)
{
	int dfd = openat(l->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return;
	_cleanup_closedir_ DIR *dir = fdopendir(dfd);
	if (!dir) {
		close(dfd);
		return;
	}
	struct dirent *de;
	while ((de = readdir(dir)))
		if (startswith(de->d_name, "." INDEX_FILE ".tmp-") ||
		    startswith(de->d_name, "." LAYOUT_FILE ".tmp-"))
			unlinkat(dirfd(dir), de->d_name, 0);
}

int oci_layout_gc(struct oci_layout *l, size_t *ret_blobs, uint64_t *ret_bytes,
		  struct oci_err **err)
{
	/* Wait until no other handle may hold blobs it has not tagged yet. */
	_cleanup_close_ int own = -1;
	int gcfd = l->gc_lock_fd;
	if (gcfd < 0) {
		int r = oci_lock_pathat(l->dirfd, GC_LOCK, true, &own, err);
		if (r < 0)
			return oci_err_wrap(err, "layout '%s'", l->path);
	} else {
		int r = flock_retry(gcfd, LOCK_EX);
		if (r < 0) {
			errno = -r;
			return oci_err_sys(err, "lock '%s/%s'", l->path, GC_LOCK);
		}
	}
	_cleanup_close_ int lock = -1;
	int r = oci_lock_pathat(l->dirfd, INDEX_LOCK, true, &lock, err);
	if (r >= 0) {
		json_auto_t *root = NULL;
		json_t *m = NULL;
		r = load_index(l, false, &root, &m, err);
		json_auto_t *seen = json_object();
		struct walk w = {.l = l, .verify = false, .seen = seen};
		if (r >= 0)
			r = walk_index(&w, m, err);
		if (r < 0)
			r = oci_err_wrap(err, "gc of '%s' stopped, nothing removed", l->path);
		size_t nb = 0;
		uint64_t bytes = 0;
		for (size_t a = 0; r >= 0 && a < ARRAY_SIZE(alg_names); a++)
			r = sweep_alg(l, (enum oci_digest_alg)a, seen, &nb, &bytes, err);
		if (r >= 0) {
			sweep_root(l);
			if (ret_blobs)
				*ret_blobs = nb;
			if (ret_bytes)
				*ret_bytes = bytes;
		}
	}
	if (gcfd >= 0)
		flock_retry(gcfd, LOCK_SH);
	return r < 0 ? r : 0;
}

int oci_layout_verify(struct oci_layout *l, struct oci_err **err)
{
	int r = check_layout_file(l, err);
	if (r < 0)
		return r;
	json_auto_t *root = NULL;
	json_t *m = NULL;
	r = load_index(l, false, &root, &m, err);
	if (r < 0)
		return r;
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	r = parse_entries(l, m, &v, &n, err);
	if (r < 0)
		return r;
	oci_descriptors_free(v, n);
	json_auto_t *seen = json_object();
	struct walk w = {.l = l, .verify = true, .seen = seen};
	r = walk_index(&w, m, err);
	if (r < 0)
		return oci_err_wrap(err, "layout '%s'", l->path);
	return 0;
}
