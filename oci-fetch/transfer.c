/* Parallel blob downloads with curl multi: each blob streams through a
 * layout blob writer that hashes as it writes; an interrupted transfer
 * keeps its partial file and resumes with Range; 5xx, 429 and dropped
 * connections are retried with backoff; a digest mismatch stores nothing. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fetch.h"
#include "log.h"
#include "util.h"

struct wqueue;

struct job {
	struct fetch_blob *blob;
	size_t index;
	CURL *curl;
	struct curl_slist *headers;
	struct oci_blob_writer *writer;
	int64_t pos;        /* bytes in the writer */
	int64_t requested;  /* Range start asked for, 0 for none */
	long status;        /* of the last response seen */
	bool checked;       /* first body byte checked against status/range */
	int64_t range_start;
	bool have_range;
	long retry_after;
	int attempts;
	bool renewed, need_renew;
	bool active, finished;
	long long retry_at_ms;
	struct oci_err *werr; /* write error (disk, or a bad range) */
	/* commit (verify, fsync, rename) runs on its own thread so that the
	 * fsync of one blob does not stall the transfers of the others */
	pthread_t commit_thread;
	bool committing;
	int commit_rc;
	struct oci_err *commit_err;
	const char *host, *repo;
	char errbuf[CURL_ERROR_SIZE];
	struct fetch_progress *pg;
	struct wqueue *wq;
};

struct chunk {
	struct chunk *next;
	size_t len;
	char data[];
};

#define WQ_MAX_BYTES (16u << 20)

/* Hashing and writing run on a worker thread per blob, fed through a
 * bounded queue, so that the thread running curl only receives. */
struct wqueue {
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done;
	struct chunk *head, *tail;
	size_t bytes;
	bool busy, stop;
	struct oci_blob_writer *writer;
	struct oci_err *err; /* first write error */
	pthread_t thread;
	int kick_fd;        /* the partial file, to start its writeback early */
	size_t unkicked;    /* bytes written since the last kick */
};

static void *wq_main(void *arg)
{
	struct wqueue *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (!q->head && !q->stop)
			pthread_cond_wait(&q->cv_work, &q->mu);
		if (!q->head)
			break;
		struct chunk *c = q->head;
		q->head = c->next;
		if (!q->head)
			q->tail = NULL;
		q->busy = true;
		bool failed = q->err != NULL;
		pthread_mutex_unlock(&q->mu);
		struct oci_err *e = NULL;
		if (!failed)
			oci_blob_writer_write(q->writer, c->data, c->len, &e);
		/* start writing back to disk while the download goes on, so that
		 * the fsync at commit finds little left to do */
		q->unkicked += c->len;
		if (q->kick_fd >= 0 && q->unkicked >= (8u << 20)) {
			sync_file_range(q->kick_fd, 0, 0, SYNC_FILE_RANGE_WRITE);
			q->unkicked = 0;
		}
		pthread_mutex_lock(&q->mu);
		if (e && !q->err)
			q->err = e;
		else
			oci_err_free(e);
		q->bytes -= c->len;
		q->busy = false;
		free(c);
		pthread_cond_broadcast(&q->cv_done);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

static struct wqueue *wq_new(struct oci_layout *l, const struct oci_digest *d,
			     struct oci_blob_writer *w)
{
	struct wqueue *q = xcalloc(1, sizeof(*q));
	/* the partial file's name is part of the layout format (layout.h) */
	_cleanup_free_ char *rel = xasprintf("blobs/%s/.partial-%s", oci_digest_alg_name(d->alg),
					     oci_digest_hex(d));
	q->kick_fd = openat(l->dirfd, rel, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv_work, NULL);
	pthread_cond_init(&q->cv_done, NULL);
	q->writer = w;
	if (pthread_create(&q->thread, NULL, wq_main, q) != 0) {
		if (q->kick_fd >= 0)
			close(q->kick_fd);
		pthread_mutex_destroy(&q->mu);
		pthread_cond_destroy(&q->cv_work);
		pthread_cond_destroy(&q->cv_done);
		free(q);
		return NULL; /* the caller writes synchronously */
	}
	return q;
}

/* Queues data; waits while the queue is full. -1 when a write failed. */
static int wq_push(struct wqueue *q, const void *data, size_t len)
{
	struct chunk *c = xmalloc(sizeof(*c) + len);
	c->next = NULL;
	c->len = len;
	memcpy(c->data, data, len);
	pthread_mutex_lock(&q->mu);
	while (q->bytes >= WQ_MAX_BYTES && !q->err)
		pthread_cond_wait(&q->cv_done, &q->mu);
	if (q->err) {
		pthread_mutex_unlock(&q->mu);
		free(c);
		return -1;
	}
	if (q->tail)
		q->tail->next = c;
	else
		q->head = c;
	q->tail = c;
	q->bytes += len;
	pthread_cond_signal(&q->cv_work);
	pthread_mutex_unlock(&q->mu);
	return 0;
}

/* Waits until everything queued is written; hands over a write error. */
static void wq_drain(struct wqueue *q, struct oci_err **ret_err)
{
	pthread_mutex_lock(&q->mu);
	while (q->head || q->busy)
		pthread_cond_wait(&q->cv_done, &q->mu);
	if (q->err && ret_err && !*ret_err)
		*ret_err = TAKE_PTR(q->err);
	pthread_mutex_unlock(&q->mu);
}

static void wq_free(struct wqueue *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->mu);
	q->stop = true;
	pthread_cond_signal(&q->cv_work);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->thread, NULL);
	for (struct chunk *c = q->head, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	oci_err_free(q->err);
	if (q->kick_fd >= 0)
		close(q->kick_fd);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv_work);
	pthread_cond_destroy(&q->cv_done);
	free(q);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static size_t job_header(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t len = size * nmemb;
	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		j->have_range = false;
		j->retry_after = -1;
		return len;
	}
	if (len > 12 && !strncasecmp(buf, "Retry-After:", 12)) {
		_cleanup_free_ char *v = xstrndup(buf + 12, len - 12);
		j->retry_after = fetch_retry_after_parse(v);
	}
	if (len > 14 && !strncasecmp(buf, "Content-Range:", 14)) {
		_cleanup_free_ char *v = xstrndup(buf + 14, len - 14);
		int64_t a, b, t;
		if (fetch_content_range_parse(v, &a, &b, &t) == 0) {
			j->range_start = a;
			j->have_range = true;
		}
	}
	return len;
}

static size_t job_write(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct job *j = ud;
	size_t len = size * nmemb;
	if (!j->checked) {
		j->checked = true;
		curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &j->status);
		if (j->status != 200 && j->status != 206)
			return len; /* an error body: ignore it */
		if (j->status == 200 && j->pos > 0) {
			/* the server ignored Range: start again */
			if (oci_blob_writer_restart(j->writer, &j->werr) < 0)
				return 0;
			j->pos = 0;
		} else if (j->status == 206) {
			if (!j->have_range || j->range_start != j->pos) {
				oci_err_set(&j->werr, EPROTO,
					    "blob %s: server answered Range bytes=%lld- with a different range",
					    j->blob->digest.str, (long long)j->pos);
				return 0;
			}
		}
	}
	if (j->status != 200 && j->status != 206)
		return len;
	if (j->blob->size >= 0 && j->pos + (int64_t)len > j->blob->size) {
		oci_err_set(&j->werr, EPROTO, "blob %s: server sent more than the %lld bytes expected",
			    j->blob->digest.str, (long long)j->blob->size);
		return 0;
	}
	if (j->wq) {
		if (wq_push(j->wq, buf, len) < 0)
			return 0; /* the error is collected by wq_drain */
	} else if (oci_blob_writer_write(j->writer, buf, len, &j->werr) < 0) {
		return 0;
	}
	j->pos += len;
	j->blob->done = j->pos;
	fetch_progress_update(j->pg, j->index, j->pos);
	return len;
}

static int job_start(struct fetch_registry *r, const char *repo, struct job *j, CURLM *m,
		     struct oci_err **err)
{
	_cleanup_free_ char *scope = fetch_scope(repo, false);
	_cleanup_free_ char *authz = NULL;
	if (fetch_registry_authorization(r, scope, j->need_renew, &authz, err) < 0)
		return -(*err)->code;
	if (!j->curl)
		j->curl = curl_easy_init();
	else
		curl_easy_reset(j->curl);
	CURL *c = j->curl;
	fetch_registry_setup_curl(r, c);
	_cleanup_free_ char *url = xasprintf("%s/v2/%s/blobs/%s%s", r->base, repo,
					     j->blob->digest.str, r->query);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, j->errbuf);
	curl_easy_setopt(c, CURLOPT_PRIVATE, j);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, job_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, j);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, job_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, j);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_slist_free_all(j->headers);
	j->headers = NULL;
	if (authz) {
		_cleanup_free_ char *h = xasprintf("Authorization: %s", authz);
		j->headers = curl_slist_append(j->headers, h);
	}
	j->need_renew = false;
	j->requested = j->pos;
	if (j->pos > 0) {
		_cleanup_free_ char *rg = xasprintf("%lld-", (long long)j->pos);
		curl_easy_setopt(c, CURLOPT_RANGE, rg);
		oci_debug("blob %s: resuming at byte %lld", j->blob->digest.str, (long long)j->pos);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, j->headers);
	j->errbuf[0] = 0;
	j->checked = false;
	j->status = 0;
	j->have_range = false;
	j->active = true;
	CURLMcode mc = curl_multi_add_handle(m, c);
	if (mc != CURLM_OK)
		return oci_err_set(err, EIO, "curl_multi_add_handle: %s", curl_multi_strerror(mc));
	return 0;
}

static void *commit_main(void *arg)
{
	struct job *j = arg;
	struct oci_digest got;
	j->commit_rc = oci_blob_writer_commit(j->writer, &got, &j->commit_err);
	if (j->commit_rc < 0) {
		/* a digest mismatch: keep nothing of it */
		oci_blob_writer_abort(j->writer, false);
		oci_err_wrap(&j->commit_err, "blob %s from %s/%s", j->blob->digest.str, j->host,
			     j->repo);
	}
	oci_blob_writer_free(j->writer);
	j->writer = NULL;
	return NULL;
}

/* Decides what to do after a transfer ended: 1 done, 0 retry later, <0 error. */
static int job_finish(struct fetch_registry *r, const char *repo, struct job *j, CURLcode cc,
		      struct oci_err **err)
{
	const struct fetch_opts *o = r->opts;
	int retries = o->retry_times >= 0 ? o->retry_times : 0;
	if (j->wq)
		wq_drain(j->wq, &j->werr);
	if (j->werr) {
		/* our own write failed: disk error or protocol mismatch, fatal */
		*err = TAKE_PTR(j->werr);
		return oci_err_wrap(err, "pulling from %s/%s", r->host, repo);
	}
	long st = 0;
	curl_easy_getinfo(j->curl, CURLINFO_RESPONSE_CODE, &st);
	bool retryable;
	_cleanup_free_ char *why = NULL;
	if (cc != CURLE_OK) {
		retryable = true;
		why = xstrdup(j->errbuf[0] ? j->errbuf : curl_easy_strerror(cc));
	} else if (st == 200 || st == 206) {
		if (j->blob->size >= 0 && j->pos < j->blob->size) {
			retryable = true;
			why = xasprintf("connection closed after %lld of %lld bytes", (long long)j->pos,
					(long long)j->blob->size);
		} else {
			j->host = r->host;
			j->repo = repo;
			wq_free(j->wq);
			j->wq = NULL;
			fetch_progress_done(j->pg, j->index, "done");
			if (pthread_create(&j->commit_thread, NULL, commit_main, j) != 0) {
				commit_main(j); /* no thread: commit here */
				if (j->commit_rc < 0) {
					*err = TAKE_PTR(j->commit_err);
					return j->commit_rc;
				}
				return 1;
			}
			j->committing = true;
			return 1;
		}
	} else if (st == 401 && !j->renewed) {
		j->renewed = true;
		j->need_renew = true;
		j->attempts = 0;
		j->retry_at_ms = 0;
		return 0;
	} else if (st >= 500 || st == 429 || st == 408) {
		retryable = true;
		why = xasprintf("HTTP %ld", st);
	} else if (st == 416 && j->pos > 0) {
		/* our partial file is bad or complete: start over */
		if (oci_blob_writer_restart(j->writer, err) < 0)
			return -(*err)->code;
		j->pos = 0;
		retryable = true;
		why = xstrdup("HTTP 416 for the resumed range");
	} else {
		const char *hint = st == 404 ? " (blob unknown)" : st == 401 || st == 403 ? " (access denied)" : "";
		return oci_err_set(err, st == 404 ? ENOENT : st == 401 || st == 403 ? EACCES : EIO,
				   "GET blob %s from %s/%s: HTTP %ld%s", j->blob->digest.str, r->host,
				   repo, st, hint);
	}
	if (retryable) {
		if (j->pos > j->requested)
			j->attempts = 0; /* progress was made: resume freely */
		if (j->attempts >= retries)
			return oci_err_set(err, EIO, "GET blob %s from %s/%s: %s (after %d %s)",
					   j->blob->digest.str, r->host, repo, why, j->attempts + 1,
					   j->attempts ? "attempts" : "attempt");
		long d = o->retry_delay_ms > 0 ? o->retry_delay_ms : 500;
		for (int i = 0; i < j->attempts && d < 30000; i++)
			d *= 2;
		if (j->pos > j->requested)
			d = 0; /* a drop after progress: resume right away */
		if (j->retry_after > 0 && j->retry_after * 1000 > d)
			d = j->retry_after < 60 ? j->retry_after * 1000 : 60000;
		j->attempts++;
		j->retry_at_ms = now_ms() + d;
		oci_debug("blob %s: %s; retry %d at byte %lld", j->blob->digest.str, why,
			  j->attempts, (long long)j->pos);
	}
	return 0;
}

int fetch_download_blobs(struct fetch_registry *r, const char *repo, struct oci_layout *l,
			 struct fetch_blob *blobs, size_t n, struct fetch_progress *pg,
			 struct oci_err **err)
{
	int jobs = r->opts->jobs > 0 ? r->opts->jobs : 6;
	struct job *js = xcalloc(n ? n : 1, sizeof(*js));
	size_t todo = 0;
	int ret = 0;
	CURLM *m = curl_multi_init();
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, (long)jobs);

	for (size_t i = 0; i < n; i++) {
		js[i].blob = &blobs[i];
		js[i].index = i;
		js[i].pg = pg;
		if (oci_layout_has_blob(l, &blobs[i].digest)) {
			blobs[i].skipped = true;
			js[i].finished = true;
			fetch_progress_start(pg, i, blobs[i].digest.str, blobs[i].size);
			fetch_progress_done(pg, i, "exists");
			continue;
		}
		todo++;
	}

	size_t active = 0;
	while (todo > 0) {
		/* start what can start */
		long long now = now_ms();
		long wait_ms = 1000;
		for (size_t i = 0; i < n && (int)active < jobs; i++) {
			struct job *j = &js[i]; /* in manifest order */
			if (j->finished || j->active)
				continue;
			if (j->retry_at_ms > now) {
				if (j->retry_at_ms - now < wait_ms)
					wait_ms = (long)(j->retry_at_ms - now);
				continue;
			}
			if (!j->writer) {
				if (oci_layout_blob_writer(l, &j->blob->digest, j->blob->size, &j->writer,
							   err) < 0) {
					ret = oci_err_wrap(err, "blob %s", j->blob->digest.str);
					goto out;
				}
				if (oci_layout_has_blob(l, &j->blob->digest)) {
					/* another process finished it while we waited for its lock */
					oci_blob_writer_abort(j->writer, false);
					oci_blob_writer_free(j->writer);
					j->writer = NULL;
					j->blob->skipped = true;
					j->finished = true;
					todo--;
					fetch_progress_done(pg, j->index, "exists");
					continue;
				}
				j->pos = oci_blob_writer_offset(j->writer);
				if (j->blob->size > 0 && j->pos == j->blob->size) {
					/* a complete partial left by a killed pull: verify it, no request */
					struct oci_digest got;
					struct oci_err *e2 = NULL;
					int cr = oci_blob_writer_commit(j->writer, &got, &e2);
					oci_err_clear(&e2);
					oci_blob_writer_free(j->writer);
					j->writer = NULL;
					if (cr >= 0) {
						j->finished = true;
						todo--;
						fetch_progress_start(pg, j->index, j->blob->digest.str, j->blob->size);
						fetch_progress_done(pg, j->index, "done");
						continue;
					}
					/* it was bad (and is gone): start over */
					if (oci_layout_blob_writer(l, &j->blob->digest, j->blob->size,
								   &j->writer, err) < 0) {
						ret = oci_err_wrap(err, "blob %s", j->blob->digest.str);
						goto out;
					}
					j->pos = oci_blob_writer_offset(j->writer);
				}
				j->wq = wq_new(l, &j->blob->digest, j->writer);
				fetch_progress_start(pg, j->index, j->blob->digest.str, j->blob->size);
			}
			if ((ret = job_start(r, repo, j, m, err)) < 0)
				goto out;
			active++;
		}
		int running = 0;
		CURLMcode mc = curl_multi_perform(m, &running);
		if (mc != CURLM_OK) {
			ret = oci_err_set(err, EIO, "curl: %s", curl_multi_strerror(mc));
			goto out;
		}
		CURLMsg *msg;
		int left;
		bool any = false;
		while ((msg = curl_multi_info_read(m, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct job *j = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&j);
			CURLcode cc = msg->data.result;
			curl_multi_remove_handle(m, msg->easy_handle);
			j->active = false;
			active--;
			any = true;
			int k = job_finish(r, repo, j, cc, err);
			if (k < 0) {
				ret = k;
				goto out;
			}
			if (k > 0) {
				j->finished = true;
				todo--;
			}
		}
		if (any)
			continue;
		if (active == 0) {
			if (todo > 0 && wait_ms > 0)
				fetch_sleep_ms(wait_ms);
			continue;
		}
		curl_multi_poll(m, NULL, 0, (int)(wait_ms < 1000 ? wait_ms : 1000), NULL);
	}
out:
	for (size_t i = 0; i < n; i++) {
		struct job *j = &js[i];
		if (j->committing) {
			pthread_join(j->commit_thread, NULL);
			j->committing = false;
			if (j->commit_rc < 0 && ret >= 0) {
				*err = TAKE_PTR(j->commit_err);
				ret = j->commit_rc;
			}
			oci_err_free(j->commit_err);
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct job *j = &js[i];
		if (j->curl) {
			if (j->active)
				curl_multi_remove_handle(m, j->curl);
			curl_easy_cleanup(j->curl);
		}
		curl_slist_free_all(j->headers);
		if (j->wq) {
			wq_drain(j->wq, NULL);
			wq_free(j->wq);
			j->wq = NULL;
		}
		if (j->writer) {
			/* keep what arrived for a later resume, unless it is bad */
			oci_blob_writer_abort(j->writer, true);
			oci_blob_writer_free(j->writer);
		}
		oci_err_free(j->werr);
	}
	curl_multi_cleanup(m);
	free(js);
	return ret;
}
