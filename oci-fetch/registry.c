/* The registry HTTP API v2 client over libcurl: https first (plain http
 * only for insecure registries and loopback), auth challenges, bearer
 * tokens cached per scope and renewed on 401, retries with backoff. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define USER_AGENT "oci-fetch/" OCI_TOOLS_VERSION

void fetch_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

bool fetch_host_is_loopback(const char *host)
{
	_cleanup_free_ char *h = NULL;
	if (host[0] == '[') {
		const char *e = strchr(host, ']');
		h = xstrndup(host + 1, e ? (size_t)(e - host - 1) : strlen(host + 1));
	} else {
		const char *c = strrchr(host, ':');
		h = c ? xstrndup(host, c - host) : xstrdup(host);
	}
	if (streq(h, "localhost") || endswith(h, ".localhost"))
		return true;
	struct in_addr a4;
	if (inet_pton(AF_INET, h, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	struct in6_addr a6;
	if (inet_pton(AF_INET6, h, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6);
	return false;
}

void fetch_response_release(struct fetch_response *r)
{
	sbuf_release(&r->body);
	free(r->content_type);
	free(r->digest);
	free(r->location);
	free(r->www_auth);
	free(r->link);
	free(r->range);
	memset(r, 0, sizeof(*r));
}

long fetch_retry_after_parse(const char *v)
{
	while (*v == ' ')
		v++;
	if (!*v)
		return -1;
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (end != v && !errno && n >= 0 && (*end == 0 || *end == ' ' || *end == '\r'))
		return n;
	/* an HTTP date: wait a little rather than parse clocks */
	return isalpha((unsigned char)*v) ? 1 : -1;
}

char *fetch_scope(const char *repo, bool push)
{
	return xasprintf("repository:%s:%s", repo, push ? "pull,push" : "pull");
}

char *fetch_http_error(const struct fetch_response *resp)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "HTTP %ld", resp->status);
	if (resp->body.len && resp->body.len < 65536) {
		json_t *j = json_loadb(resp->body.buf, resp->body.len, JSON_REJECT_DUPLICATES, NULL);
		json_t *errs = j ? json_object_get(j, "errors") : NULL;
		if (json_is_array(errs) && json_array_size(errs) > 0) {
			json_t *e0 = json_array_get(errs, 0);
			const char *code = json_string_value(json_object_get(e0, "code"));
			const char *msg = json_string_value(json_object_get(e0, "message"));
			sbuf_addf(&sb, " (%s%s%s)", code ? code : "", code && msg ? ": " : "",
				  msg ? msg : "");
		}
		json_decref(j);
	}
	return sbuf_detach(&sb, NULL);
}

int fetch_registry_open(const struct fetch_opts *o, const char *host, bool insecure,
			struct fetch_registry **ret, struct oci_err **err)
{
	_cleanup_(fetch_registry_freep) struct fetch_registry *r = xcalloc(1, sizeof(*r));
	r->opts = o;
	r->host = xstrdup(host);
	r->query = xstrdup("");
	/* --tls-verify=true wins over registries.conf, as in skopeo */
	r->insecure = o->tls == FETCH_TLS_NOVERIFY || (insecure && o->tls != FETCH_TLS_VERIFY);
	r->verify = !r->insecure;
	if (fetch_tls_load(o->cert_dir, host, &r->tls, err) < 0)
		return oci_err_wrap(err, "registry '%s'", host);
	if (o->creds) {
		const char *c = strchr(o->creds, ':');
		r->creds.username = c ? xstrndup(o->creds, c - o->creds) : xstrdup(o->creds);
		r->creds.password = xstrdup(c ? c + 1 : "");
		r->have_creds = true;
	} else if (!o->no_creds) {
		int k = fetch_creds_lookup(o, host, &r->creds, err);
		if (k < 0)
			return k;
		r->have_creds = k > 0;
	}
	r->share = curl_share_init();
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(r->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	r->curl = curl_easy_init();
	if (!r->curl)
		return oci_err_set(err, ENOMEM, "curl_easy_init failed");
	*ret = TAKE_PTR(r);
	return 0;
}

void fetch_registry_free(struct fetch_registry *r)
{
	if (!r)
		return;
	if (r->curl)
		curl_easy_cleanup(r->curl);
	if (r->share)
		curl_share_cleanup(r->share);
	free(r->host);
	free(r->base);
	free(r->query);
	fetch_tls_release(&r->tls);
	fetch_creds_release(&r->creds);
	fetch_challenge_release(&r->challenge);
	for (size_t i = 0; i < r->n_tokens; i++) {
		free(r->tokens[i].scope);
		free(r->tokens[i].token);
	}
	free(r->tokens);
	free(r);
}

void fetch_registry_setup_curl(struct fetch_registry *r, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, 60L);
	curl_easy_setopt(c, CURLOPT_SHARE, r->share);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	fetch_tls_apply(&r->tls, r->verify, c);
	if (oci_log_get_level() >= OCI_LOG_DEBUG && secure_getenv("OCI_FETCH_CURL_VERBOSE"))
		curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
}

/* ---- headers and bodies ---- */
struct xfer_ctx {
	struct fetch_response *resp;
	bool no_body;
	const char *body;
	size_t body_len, body_pos;
	int body_fd;
	int64_t fd_left;
};

static char *header_value(const char *line, size_t len, const char *name)
{
	size_t n = strlen(name);
	if (len <= n || strncasecmp(line, name, n) || line[n] != ':')
		return NULL;
	const char *v = line + n + 1, *end = line + len;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
		end--;
	return xstrndup(v, end - v);
}

static void set_hdr(char **slot, char *v)
{
	if (v) {
		free(*slot);
		*slot = v;
	}
}

static size_t on_header(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct xfer_ctx *x = ud;
	size_t len = size * nmemb;
	if (len >= 5 && !strncmp(buf, "HTTP/", 5)) {
		/* a new response (after a redirect or 100-continue): reset */
		free(x->resp->content_type);
		x->resp->content_type = NULL;
		x->resp->content_length = -1;
		x->resp->retry_after = -1;
		return len;
	}
	set_hdr(&x->resp->content_type, header_value(buf, len, "Content-Type"));
	set_hdr(&x->resp->digest, header_value(buf, len, "Docker-Content-Digest"));
	set_hdr(&x->resp->location, header_value(buf, len, "Location"));
	set_hdr(&x->resp->www_auth, header_value(buf, len, "WWW-Authenticate"));
	set_hdr(&x->resp->link, header_value(buf, len, "Link"));
	set_hdr(&x->resp->range, header_value(buf, len, "Range"));
	_cleanup_free_ char *ra = header_value(buf, len, "Retry-After");
	if (ra)
		x->resp->retry_after = fetch_retry_after_parse(ra);
	_cleanup_free_ char *cl = header_value(buf, len, "Content-Length");
	if (cl)
		x->resp->content_length = strtoll(cl, NULL, 10);
	return len;
}

static size_t on_body(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct xfer_ctx *x = ud;
	size_t len = size * nmemb;
	if (x->no_body)
		return len;
	if (x->resp->body.len + len > (64u << 20))
		return 0; /* manifests and error bodies are small */
	sbuf_add(&x->resp->body, buf, len);
	return len;
}

static size_t on_read(char *buf, size_t size, size_t nmemb, void *ud)
{
	struct xfer_ctx *x = ud;
	size_t want = size * nmemb;
	if (x->body_fd >= 0) {
		ssize_t n;
		if ((int64_t)want > x->fd_left)
			want = (size_t)x->fd_left;
		if (want == 0)
			return 0;
		do
			n = read(x->body_fd, buf, want);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return CURL_READFUNC_ABORT;
		x->fd_left -= n;
		return (size_t)n;
	}
	size_t left = x->body_len - x->body_pos;
	if (want > left)
		want = left;
	memcpy(buf, x->body + x->body_pos, want);
	x->body_pos += want;
	return want;
}

static char *make_url(struct fetch_registry *r, const char *url)
{
	if (startswith(url, "http://") || startswith(url, "https://"))
		return xstrdup(url);
	return xasprintf("%s%s", r->base, url);
}

/* One attempt. Returns the CURLcode. */
static CURLcode perform(struct fetch_registry *r, const struct fetch_request *req,
			const char *authz, struct fetch_response *resp, char *errbuf)
{
	CURL *c = r->curl;
	curl_easy_reset(c);
	fetch_registry_setup_curl(r, c);
	_cleanup_free_ char *url = make_url(r, req->url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	errbuf[0] = 0;
	_cleanup_(curl_slist_free_allp) struct curl_slist *h = NULL;
	_cleanup_free_ char *ah = NULL, *ch = NULL, *ct = NULL, *cr = NULL;
	if (authz) {
		ah = xasprintf("Authorization: %s", authz);
		h = curl_slist_append(h, ah);
	}
	if (req->accept) {
		ch = xasprintf("Accept: %s", req->accept);
		h = curl_slist_append(h, ch);
	}
	if (req->content_type) {
		ct = xasprintf("Content-Type: %s", req->content_type);
		h = curl_slist_append(h, ct);
	}
	if (req->content_range) {
		cr = xasprintf("Content-Range: %s", req->content_range);
		h = curl_slist_append(h, cr);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);

	struct xfer_ctx x = { .resp = resp, .no_body = req->no_body, .body = req->body,
			      .body_len = req->body_len, .body_fd = req->body_fd,
			      .fd_left = req->body_fd_len };
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	bool has_body = req->body || req->body_fd >= 0;
	int64_t blen = req->body_fd >= 0 ? req->body_fd_len : (int64_t)req->body_len;
	if (streq(req->method, "HEAD")) {
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	} else if (streq(req->method, "GET")) {
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	} else if (streq(req->method, "PUT") || streq(req->method, "PATCH")) {
		curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &x);
		curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)(has_body ? blen : 0));
		if (streq(req->method, "PATCH"))
			curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PATCH");
	} else if (streq(req->method, "POST")) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &x);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(has_body ? blen : 0));
	} else {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
	}
	/* manifests and tags may redirect too; curl drops Authorization
	 * when the host changes (CURLOPT_UNRESTRICTED_AUTH is off) */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, streq(req->method, "GET") || streq(req->method, "HEAD") ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);

	resp->content_length = -1;
	resp->retry_after = -1;
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	return cc;
}

static void reset_response(struct fetch_response *resp)
{
	fetch_response_release(resp);
	sbuf_init(&resp->body);
}

static long backoff_ms(const struct fetch_opts *o, int attempt)
{
	long d = o->retry_delay_ms > 0 ? o->retry_delay_ms : 500;
	for (int i = 0; i < attempt && d < 30000; i++)
		d *= 2;
	return d;
}

int fetch_registry_do(struct fetch_registry *r, const struct fetch_request *req,
		      struct fetch_response *resp, struct oci_err **err)
{
	char errbuf[CURL_ERROR_SIZE];
	bool renewed = false;
	int retries = r->opts->retry_times >= 0 ? r->opts->retry_times : 0;
	off_t fd_start = req->body_fd >= 0 ? lseek(req->body_fd, 0, SEEK_CUR) : 0;
	_cleanup_free_ char *authz = NULL;
	if (fetch_registry_authorization(r, req->scope, false, &authz, err) < 0)
		return -(*err)->code;

	for (int attempt = 0;; attempt++) {
		reset_response(resp);
		if (req->body_fd >= 0 && lseek(req->body_fd, fd_start, SEEK_SET) < 0)
			return oci_err_sys(err, "seek");
		CURLcode cc = perform(r, req, authz, resp, errbuf);
		if (cc != CURLE_OK) {
			if (attempt < retries) {
				oci_debug("%s %s: %s; retrying", req->method, req->url,
					  errbuf[0] ? errbuf : curl_easy_strerror(cc));
				fetch_sleep_ms(backoff_ms(r->opts, attempt));
				continue;
			}
			return oci_err_set(err, EIO, "%s %s%s: %s", req->method,
					   startswith(req->url, "/") ? r->base : "", req->url,
					   errbuf[0] ? errbuf : curl_easy_strerror(cc));
		}
		if (resp->status == 401 && !renewed && resp->www_auth && !r->opts->registry_token) {
			renewed = true;
			struct fetch_challenge ch;
			struct oci_err *e2 = NULL;
			if (fetch_challenge_parse(resp->www_auth, &ch, &e2) < 0) {
				oci_err_clear(&e2);
				return 0; /* caller reports the 401 */
			}
			bool useful = r->have_creds || streq(ch.scheme, "bearer");
			fetch_challenge_release(&r->challenge);
			r->challenge = ch;
			r->have_challenge = true;
			if (!useful)
				return 0;
			free(authz);
			authz = NULL;
			/* a bearer challenge names the scope it needs */
			const char *scope = req->scope;
			if (streq(ch.scheme, "bearer") && ch.scope && !scope)
				scope = ch.scope;
			if (fetch_registry_authorization(r, scope, true, &authz, err) < 0)
				return -(*err)->code;
			if (!authz)
				return 0;
			attempt--;
			continue;
		}
		if ((resp->status >= 500 || resp->status == 429) && attempt < retries) {
			long d = backoff_ms(r->opts, attempt);
			if (resp->retry_after > 0 && resp->retry_after * 1000 > d)
				d = resp->retry_after < 60 ? resp->retry_after * 1000 : 60000;
			oci_debug("%s %s: HTTP %ld; retrying in %ld ms", req->method, req->url,
				  resp->status, d);
			fetch_sleep_ms(d);
			continue;
		}
		return 0;
	}
}

int fetch_registry_ping(struct fetch_registry *r, struct oci_err **err)
{
	char errbuf[CURL_ERROR_SIZE];
	struct fetch_request req = { .method = "GET", .url = "/v2/", .body_fd = -1 };
	const char *schemes[2] = { "https", "http" };
	/* plain http: insecure registries, and loopback unless --tls-verify=true */
	bool plain_ok = r->insecure ||
			(fetch_host_is_loopback(r->host) && r->opts->tls != FETCH_TLS_VERIFY);
	_cleanup_free_ char *first_error = NULL;
	for (int i = 0; i < (plain_ok ? 2 : 1); i++) {
		free(r->base);
		r->base = xasprintf("%s://%s", schemes[i], r->host);
		struct fetch_response resp = { 0 };
		sbuf_init(&resp.body);
		CURLcode cc = perform(r, &req, NULL, &resp, errbuf);
		if (cc != CURLE_OK) {
			if (!first_error)
				first_error = xasprintf("%s", errbuf[0] ? errbuf : curl_easy_strerror(cc));
			fetch_response_release(&resp);
			/* a server that speaks TLS with a certificate we do not
			 * trust is not a plain http server: say so */
			if (i == 0 && (cc == CURLE_PEER_FAILED_VERIFICATION || cc == CURLE_SSL_CERTPROBLEM ||
				       cc == CURLE_SSL_CACERT_BADFILE || cc == CURLE_SSL_ISSUER_ERROR))
				return oci_err_set(err, EPERM,
						   "registry '%s': TLS certificate not trusted: %s (use --cert-dir DIR with its CA, or --tls-verify=false)",
						   r->host, first_error);
			continue;
		}
		if (i == 1 && resp.status == 400 && first_error) {
			/* "Client sent an HTTP request to an HTTPS server" */
			fetch_response_release(&resp);
			return oci_err_set(err, EPROTO, "registry '%s': https failed: %s", r->host,
					   first_error);
		}
		if (resp.status == 401 && resp.www_auth) {
			struct fetch_challenge ch;
			struct oci_err *e2 = NULL;
			if (fetch_challenge_parse(resp.www_auth, &ch, &e2) >= 0) {
				fetch_challenge_release(&r->challenge);
				r->challenge = ch;
				r->have_challenge = true;
			} else {
				oci_err_clear(&e2);
			}
		} else if (resp.status != 200 && resp.status != 401 && resp.status != 404) {
			/* 404: not a v2 registry root, but go on (some proxies) */
			_cleanup_free_ char *he = fetch_http_error(&resp);
			fetch_response_release(&resp);
			return oci_err_set(err, EIO, "registry '%s': GET %s/v2/: %s", r->host, r->base,
					   he);
		}
		fetch_response_release(&resp);
		oci_debug("registry %s: using %s", r->host, r->base);
		return 0;
	}
	return oci_err_set(err, EHOSTUNREACH, "registry '%s' is not reachable over %s: %s", r->host,
			   plain_ok ? "https or http" : "https", first_error ? first_error : "?");
}

/* ---- tokens ---- */
static const struct fetch_token *token_find(struct fetch_registry *r, const char *scope)
{
	time_t now = time(NULL);
	for (size_t i = 0; i < r->n_tokens; i++)
		if (streq(r->tokens[i].scope, scope) && r->tokens[i].expires > now + 5)
			return &r->tokens[i];
	return NULL;
}

static void token_put(struct fetch_registry *r, const char *scope, const char *token, long expires_in)
{
	for (size_t i = 0; i < r->n_tokens; i++) {
		if (streq(r->tokens[i].scope, scope)) {
			free(r->tokens[i].token);
			r->tokens[i].token = xstrdup(token);
			r->tokens[i].expires = time(NULL) + expires_in;
			return;
		}
	}
	r->tokens = xrealloc(r->tokens, (r->n_tokens + 1) * sizeof(*r->tokens));
	r->tokens[r->n_tokens++] = (struct fetch_token){ .scope = xstrdup(scope),
							  .token = xstrdup(token),
							  .expires = time(NULL) + expires_in };
}

static void add_query(struct sbuf *sb, CURL *c, const char *name, const char *value)
{
	char *e = curl_easy_escape(c, value, 0);
	sbuf_addf(sb, "%c%s=%s", strchr(sb->buf, '?') ? '&' : '?', name, e);
	curl_free(e);
}

static int get_token(struct fetch_registry *r, const char *scope, char **ret, long *ret_expires,
		     struct oci_err **err)
{
	const struct fetch_challenge *ch = &r->challenge;
	_cleanup_(curl_easy_cleanupp) CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE] = "";
	_cleanup_sbuf_ struct sbuf url = SBUF_INIT;
	_cleanup_sbuf_ struct sbuf post = SBUF_INIT;
	bool oauth = r->have_creds && r->creds.identity_token;
	sbuf_addstr(&url, ch->realm);
	if (!oauth) {
		if (ch->service)
			add_query(&url, c, "service", ch->service);
		if (scope) {
			/* several scopes separated by blanks become several parameters */
			_cleanup_free_ char *s = xstrdup(scope);
			char *save = NULL;
			for (char *t = strtok_r(s, " ", &save); t; t = strtok_r(NULL, " ", &save))
				add_query(&url, c, "scope", t);
		}
	} else {
		char *e;
		sbuf_addstr(&post, "grant_type=refresh_token&client_id=oci-fetch");
		e = curl_easy_escape(c, r->creds.identity_token, 0);
		sbuf_addf(&post, "&refresh_token=%s", e);
		curl_free(e);
		if (ch->service) {
			e = curl_easy_escape(c, ch->service, 0);
			sbuf_addf(&post, "&service=%s", e);
			curl_free(e);
		}
		if (scope) {
			e = curl_easy_escape(c, scope, 0);
			sbuf_addf(&post, "&scope=%s", e);
			curl_free(e);
		}
	}
	fetch_registry_setup_curl(r, c);
	curl_easy_setopt(c, CURLOPT_URL, url.buf);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	if (oauth) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, post.buf);
	} else if (r->have_creds && r->creds.username) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, r->creds.username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, r->creds.password);
	}
	struct fetch_response resp = { 0 };
	sbuf_init(&resp.body);
	struct xfer_ctx x = { .resp = &resp, .body_fd = -1 };
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, &x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &x);
	CURLcode cc = CURLE_OK;
	int retries = r->opts->retry_times >= 0 ? r->opts->retry_times : 0;
	for (int attempt = 0; attempt <= retries; attempt++) {
		reset_response(&resp);
		cc = curl_easy_perform(c);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp.status);
		if (cc == CURLE_OK && resp.status < 500 && resp.status != 429)
			break;
		if (attempt < retries)
			fetch_sleep_ms(backoff_ms(r->opts, attempt));
	}
	if (cc != CURLE_OK) {
		fetch_response_release(&resp);
		return oci_err_set(err, EIO, "token server '%s': %s", ch->realm,
				   errbuf[0] ? errbuf : curl_easy_strerror(cc));
	}
	if (resp.status != 200) {
		_cleanup_free_ char *he = fetch_http_error(&resp);
		long st = resp.status;
		fetch_response_release(&resp);
		return oci_err_set(err, st == 401 || st == 403 ? EACCES : EIO,
				   "token server '%s' refused %s for %s: %s%s", ch->realm,
				   scope ? scope : "access", r->host, he,
				   st == 401 ? " (wrong credentials? try oci-fetch login)" : "");
	}
	json_t *j = json_loadb(resp.body.buf, resp.body.len, JSON_REJECT_DUPLICATES, NULL);
	fetch_response_release(&resp);
	const char *tok = j ? json_string_value(json_object_get(j, "token")) : NULL;
	if (!tok || !*tok)
		tok = j ? json_string_value(json_object_get(j, "access_token")) : NULL;
	if (!tok || !*tok) {
		json_decref(j);
		return oci_err_set(err, EPROTO, "token server '%s' sent no token", ch->realm);
	}
	json_t *ei = json_object_get(j, "expires_in");
	long exp = json_is_integer(ei) ? (long)json_integer_value(ei) : 60;
	if (exp < 60)
		exp = 60;
	*ret = xstrdup(tok);
	*ret_expires = exp;
	json_decref(j);
	return 0;
}

int fetch_registry_authorization(struct fetch_registry *r, const char *scope, bool renew,
				 char **ret, struct oci_err **err)
{
	*ret = NULL;
	if (r->opts->registry_token) {
		*ret = xasprintf("Bearer %s", r->opts->registry_token);
		return 0;
	}
	if (!r->have_challenge)
		return 0;
	if (streq(r->challenge.scheme, "basic")) {
		if (!r->have_creds || !r->creds.username)
			return 0;
		_cleanup_free_ char *up = xasprintf("%s:%s", r->creds.username, r->creds.password);
		_cleanup_free_ char *b = fetch_base64_encode(up, strlen(up));
		explicit_bzero(up, strlen(up));
		*ret = xasprintf("Basic %s", b);
		return 0;
	}
	const char *key = scope ? scope : "";
	if (!renew) {
		const struct fetch_token *t = token_find(r, key);
		if (t) {
			*ret = xasprintf("Bearer %s", t->token);
			return 0;
		}
	}
	_cleanup_free_ char *tok = NULL;
	long exp = 60;
	if (get_token(r, scope, &tok, &exp, err) < 0)
		return -(*err)->code;
	token_put(r, key, tok, exp);
	*ret = xasprintf("Bearer %s", tok);
	return 0;
}
