/* oci-fetch internals: options, registry client, auth, credentials, TLS,
 * transfers, mirrors and progress. main.c fills struct fetch_opts and calls
 * one fetch_cmd_*() per command. */
#ifndef OCI_FETCH_H
#define OCI_FETCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <curl/curl.h>

#include "err.h"
#include "layout.h"
#include "platform.h"
#include "ref.h"
#include "sbuf.h"

DEFINE_CLEANUP(CURL *, curl_easy_cleanup)
DEFINE_CLEANUP(struct curl_slist *, curl_slist_free_all)

enum fetch_format {
	FETCH_FORMAT_TEXT = 0,
	FETCH_FORMAT_JSON = 1,
};

enum fetch_tls {
	FETCH_TLS_DEFAULT = 0, /* verify, per registries.conf */
	FETCH_TLS_VERIFY = 1,  /* --tls-verify=true */
	FETCH_TLS_NOVERIFY = 2 /* --tls-verify=false: also allows plain http */
};

/* skopeo's --multi-arch: what to copy when the source is an image index. */
enum fetch_multi_arch {
	FETCH_MULTI_ARCH_DEFAULT = 0, /* pull: system; push: the image as the source names it */
	FETCH_MULTI_ARCH_SYSTEM,      /* the manifest of --platform (default: the host's) */
	FETCH_MULTI_ARCH_ALL,	      /* the index and every manifest (--all-platforms) */
	FETCH_MULTI_ARCH_INDEX_ONLY,  /* the index alone, none of its manifests */
};

struct fetch_opts {
	const char *store;     /* --store */
	enum fetch_tls tls;
	const char *cert_dir;  /* --cert-dir */
	const char *authfile;  /* --authfile */
	const char *creds;     /* --creds USER[:PASS] */
	const char *registry_token; /* --registry-token */
	bool no_creds;
	const char *registries_conf; /* --registries-conf */
	const char *policy;    /* --policy */
	bool insecure_policy;  /* --insecure-policy */
	const char *platform;  /* --platform */
	const char *override_os, *override_arch, *override_variant;
	enum fetch_multi_arch multi_arch; /* --multi-arch, --all-platforms */
	int jobs;              /* --jobs, default 6 */
	bool quiet;
	enum fetch_format format;
	int retry_times;       /* --retry-times, default 3 */
	int retry_delay_ms;    /* --retry-delay, default 500 ms (doubles) */
	bool inspect_raw;      /* inspect --raw: the manifest as served */
	bool inspect_config;   /* inspect --config: the config as served */
	int page_size;         /* tags: n= per page (default 1000) */
	int64_t chunk_size;    /* push: chunked uploads above this size (0: monolithic) */
	/* login */
	const char *username;
	bool password_stdin;
	int progress;          /* -1 auto (TTY), 0 rate lines, 1 bars */
};

/* ---- auth.c ---- */
struct fetch_challenge {
	char *scheme; /* "bearer", "basic" (lowercase) */
	char *realm;
	char *service;
	char *scope;
	char *error; /* error="insufficient_scope" etc */
};
/* Parses a WWW-Authenticate header value (RFC 7235 challenges); the first
 * challenge with a known scheme wins. */
int fetch_challenge_parse(const char *header, struct fetch_challenge *ret, struct oci_err **err);
void fetch_challenge_release(struct fetch_challenge *c);

/* Parses Content-Range "bytes START-END/TOTAL" (TOTAL may be '*'; -1 then). */
int fetch_content_range_parse(const char *s, int64_t *ret_start, int64_t *ret_end,
			      int64_t *ret_total);

/* Base64 of a buffer (caller frees), and decoding (NUL-terminated). */
char *fetch_base64_encode(const void *data, size_t len);
int fetch_base64_decode(const char *s, char **ret, size_t *ret_len);

/* ---- credentials.c ---- */
struct fetch_creds {
	char *username;
	char *password;
	char *identity_token; /* refresh token, or NULL */
};
void fetch_creds_release(struct fetch_creds *c);
/* Parses an auth file (docker config.json or containers auth.json) and
 * looks for HOST: auths (with docker.io's aliases), then credHelpers /
 * credsStore through docker-credential-NAME. Returns 1 found, 0 not. */
int fetch_creds_from_file(const char *file, const char *host, struct fetch_creds *ret,
			  struct oci_err **err);
/* Looks through --authfile or the default list of files for HOST. */
int fetch_creds_lookup(const struct fetch_opts *o, const char *host, struct fetch_creds *ret,
		       struct oci_err **err);
/* The file login writes to (--authfile, $REGISTRY_AUTH_FILE, else
 * $XDG_RUNTIME_DIR/containers/auth.json or ~/.config/containers/auth.json). */
char *fetch_creds_write_path(const struct fetch_opts *o);
int fetch_creds_store(const char *file, const char *host, const char *user, const char *pass,
		      struct oci_err **err);
/* Removes HOST from FILE; returns 1 when removed, 0 when absent. */
int fetch_creds_erase(const char *file, const char *host, struct oci_err **err);
/* Runs docker-credential-HELPER get with HOST on stdin. */
int fetch_creds_helper_get(const char *helper, const char *host, struct fetch_creds *ret,
			   struct oci_err **err);

/* ---- tls.c ---- */
struct fetch_tls_conf {
	char *ca_blob;  /* system CAs + certs.d *.crt, or NULL for curl's default */
	size_t ca_len;
	char *cert;     /* client certificate file (*.cert) */
	char *key;      /* its key (*.key) */
	bool system_capath; /* /etc/ssl/certs is a hashed CA folder */
};
/* Reads certs.d folders for HOST:PORT (cert_dir when set, else
 * /etc/containers/certs.d and /etc/docker/certs.d). */
int fetch_tls_load(const char *cert_dir, const char *host, struct fetch_tls_conf *ret,
		   struct oci_err **err);
void fetch_tls_release(struct fetch_tls_conf *t);
void fetch_tls_apply(const struct fetch_tls_conf *t, bool verify, CURL *c);

/* ---- mirrors.c ---- */
struct fetch_endpoint {
	char *host; /* "host[:port]" to contact */
	char *repo; /* the repository path on that host */
	char *ns;   /* for a mirror: the registry it mirrors (sent as ?ns=) */
	bool insecure;
	bool is_mirror;
};
struct fetch_regconf_mirror {
	char *location;
	bool insecure;
	char *pull_from_mirror; /* "all", "digest-only", "tag-only" or NULL */
};
struct fetch_regconf_entry {
	char *prefix;   /* or location when no prefix */
	char *location;
	bool insecure;
	bool blocked;
	bool mirror_by_digest_only;
	struct fetch_regconf_mirror *mirrors;
	size_t n_mirrors;
};
struct fetch_regconf_alias {
	char *name;   /* a short name, without tag or digest */
	char *value;  /* a fully-qualified name without tag or digest; "" erases */
	char *origin; /* the file that set it */
};
enum fetch_short_name_mode {
	FETCH_SHORT_NAME_UNSET = 0, /* permissive */
	FETCH_SHORT_NAME_ENFORCING,
	FETCH_SHORT_NAME_PERMISSIVE,
	FETCH_SHORT_NAME_DISABLED,
};
struct fetch_regconf {
	struct fetch_regconf_entry *entries;
	size_t n;
	/* unqualified-search-registries (has_search: the key was set, maybe to []) */
	char **search;
	bool has_search;
	char *search_origin;
	enum fetch_short_name_mode short_name_mode;
	char *mode_origin;
	struct fetch_regconf_alias *aliases; /* [aliases] */
	size_t n_aliases;
};
/* Parses the registries.conf (TOML, the subset: [[registry]] and
 * [[registry.mirror]] tables with string and boolean keys). */
int fetch_regconf_parse(const char *text, const char *name, struct fetch_regconf *ret,
			struct oci_err **err);
/* The registries.conf that o names (--registries-conf, else
 * $CONTAINERS_REGISTRIES_CONF: that file alone), else the user's
 * ($XDG_CONFIG_HOME or ~/.config/containers/registries.conf) with the *.conf
 * of its registries.conf.d, else /etc/containers/registries.conf with
 * /etc/containers/registries.conf.d/ and then the user's registries.conf.d/
 * (containers-registries.conf.d(5): later files override keys, add aliases
 * and replace [[registry]] tables of the same prefix). */
int fetch_regconf_load(const struct fetch_opts *o, struct fetch_regconf *ret, struct oci_err **err);
void fetch_regconf_release(struct fetch_regconf *c);
/* Moves what src sets into dst, as a drop-in file over the files before. */
void fetch_regconf_merge(struct fetch_regconf *dst, struct fetch_regconf *src);

/* ---- shortnames.c: short-name resolution (containers-registries.conf(5)) ---- */
/* A name without a registry: no '/', or a first component without '.' or
 * ':' that is not "localhost" and is lowercase (Docker's rule). */
bool fetch_is_short_name(const char *s);
enum fetch_short_why {
	FETCH_SHORT_QUALIFIED = 0, /* not a short name: as given */
	FETCH_SHORT_DOCKER,	   /* no alias, no search list: docker.io (Docker's rule) */
	FETCH_SHORT_ALIAS,	   /* an [aliases] entry */
	FETCH_SHORT_SEARCH,	   /* unqualified-search-registries */
};
struct fetch_short_resolved {
	char **candidates; /* references to try, in order, tag or digest kept */
	enum fetch_short_why why;
	char *origin;	   /* the file of the alias or of the search list */
};
void fetch_short_resolved_release(struct fetch_short_resolved *r);
/* Resolves INPUT (no transport prefix) under conf and the aliases of
 * cache (short-name-aliases.conf, which wins over conf's; may be NULL).
 * An alias gives one candidate; else unqualified-search-registries give
 * one per registry (several only in permissive or disabled mode: oci-fetch
 * never prompts, so enforcing with several is an error naming them); a
 * configuration without that key keeps Docker's docker.io; an empty list
 * is an error. */
int fetch_short_name_resolve(const struct fetch_regconf *conf, const struct fetch_regconf *cache,
			     const char *input, struct fetch_short_resolved *ret,
			     struct oci_err **err);
/* The same under the files of o, and $XDG_CACHE_HOME (else
 * ~/.cache)/containers/short-name-aliases.conf. */
int fetch_short_name_resolve_for(const struct fetch_opts *o, const char *input,
				 struct fetch_short_resolved *ret, struct oci_err **err);
/* The entry whose prefix matches "domain/path" longest, or NULL. */
const struct fetch_regconf_entry *fetch_regconf_find(const struct fetch_regconf *c,
						     const char *name);
/* Endpoints to try for a reference, mirrors first, in order; the last is
 * the registry itself. The path part of each location replaces the
 * matched prefix. */
int fetch_endpoints(const struct fetch_regconf *c, const struct oci_ref *ref, bool by_digest,
		    bool push, struct fetch_endpoint **ret, size_t *ret_n, struct oci_err **err);
void fetch_endpoints_free(struct fetch_endpoint *e, size_t n);
/* fetch_endpoints() under the registries.conf that o names (fetch_regconf_load). */
int fetch_endpoints_for(const struct fetch_opts *o, const struct oci_ref *ref, bool by_digest,
			bool push, struct fetch_endpoint **ret, size_t *ret_n, struct oci_err **err);

/* ---- registry.c ---- */
struct fetch_token {
	char *scope;
	char *token;
	time_t expires;
};

struct fetch_registry {
	const struct fetch_opts *opts;
	char *host;       /* "localhost:5000" (what credentials and certs.d are keyed by) */
	char *base;       /* "https://host" or "http://host", after ping */
	bool insecure;    /* plain http and no TLS verification allowed */
	bool verify;
	struct fetch_tls_conf tls;
	struct fetch_creds creds;
	bool have_creds;
	struct fetch_challenge challenge; /* from the last 401 */
	bool have_challenge;
	struct fetch_token *tokens;
	size_t n_tokens;
	char *query; /* "" or "?ns=REGISTRY" on a mirror (distribution's proxy convention) */
	CURL *curl; /* reused easy handle (connection reuse) */
	CURLSH *share;
};

struct fetch_response {
	long status;
	struct sbuf body;
	char *content_type;
	char *digest;   /* Docker-Content-Digest */
	char *location;
	char *www_auth;
	char *link;
	char *range;    /* Range header (uploads) */
	int64_t content_length;
	long retry_after; /* seconds from Retry-After, or -1 */
};
/* Parses a Retry-After value in seconds (an HTTP date counts as 1 s); -1 when invalid. */
long fetch_retry_after_parse(const char *v);
void fetch_response_release(struct fetch_response *r);

/* Opens a client for HOST (ping not done yet). */
int fetch_registry_open(const struct fetch_opts *o, const char *host, bool insecure,
			struct fetch_registry **ret, struct oci_err **err);
void fetch_registry_free(struct fetch_registry *r);
DEFINE_CLEANUP(struct fetch_registry *, fetch_registry_free)
/* GET /v2/: chooses https or http, records the auth challenge. */
int fetch_registry_ping(struct fetch_registry *r, struct oci_err **err);
/* Authorization header value for SCOPE (token fetched/renewed as needed), or NULL. */
int fetch_registry_authorization(struct fetch_registry *r, const char *scope, bool renew,
				 char **ret, struct oci_err **err);
/* Applies TLS and common options to an easy handle. */
void fetch_registry_setup_curl(struct fetch_registry *r, CURL *c);

struct fetch_request {
	const char *method; /* "GET", "HEAD", "PUT", "POST", "PATCH", "DELETE" */
	const char *url;    /* absolute, or a path starting with "/v2/" */
	const char *scope;  /* "repository:NAME:pull" */
	const char *accept;
	const char *content_type;
	const void *body;   /* in-memory body */
	size_t body_len;
	int body_fd;        /* or a file descriptor to upload from (-1) */
	int64_t body_fd_len;
	const char *content_range;
	bool no_body;       /* do not keep the response body */
};
/* One request with auth (retrying once after a 401 with a fresh token)
 * and retries with backoff on 5xx/429/transport errors. */
int fetch_registry_do(struct fetch_registry *r, const struct fetch_request *req,
		      struct fetch_response *resp, struct oci_err **err);
/* "repository:NAME:pull" (caller frees). */
char *fetch_scope(const char *repo, bool push);
/* One line from an HTTP error: "HTTP 404 (MANIFEST_UNKNOWN: manifest unknown)". */
char *fetch_http_error(const struct fetch_response *resp);

#define FETCH_ACCEPT_MANIFEST                                                            \
	"application/vnd.oci.image.index.v1+json, "                                      \
	"application/vnd.oci.image.manifest.v1+json, "                                   \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                    \
	"application/vnd.docker.distribution.manifest.v2+json"

/* ---- transfer.c ---- */
struct fetch_blob {
	struct oci_digest digest;
	int64_t size;
	const char *media_type;
	/* results */
	bool skipped;
	int64_t done;
};
struct fetch_progress;
/* Downloads BLOBS into the layout with N parallel transfers, verifying each
 * digest while streaming, resuming with Range after drops and retrying. */
int fetch_download_blobs(struct fetch_registry *r, const char *repo, struct oci_layout *l,
			 struct fetch_blob *blobs, size_t n, struct fetch_progress *pg,
			 struct oci_err **err);

/* ---- progress.c ---- */
struct fetch_progress *fetch_progress_new(const struct fetch_opts *o, size_t n);
void fetch_progress_start(struct fetch_progress *p, size_t i, const char *digest, int64_t total);
void fetch_progress_update(struct fetch_progress *p, size_t i, int64_t done);
void fetch_progress_done(struct fetch_progress *p, size_t i, const char *what);
void fetch_progress_free(struct fetch_progress *p);
DEFINE_CLEANUP(struct fetch_progress *, fetch_progress_free)

/* ---- commands (pull.c, push.c, login in credentials, inspect/tags in pull.c) ---- */
/* Each command appends its result (what main prints on stdout) to out. */
int fetch_cmd_pull(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err);
int fetch_cmd_push(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err);
/* skopeo copy: pull, push, or registry to registry through a temporary layout. */
int fetch_cmd_copy(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err);
int fetch_cmd_inspect(const struct fetch_opts *o, const char *ref, struct sbuf *out,
		      struct oci_err **err);
int fetch_cmd_tags(const struct fetch_opts *o, const char *repo, struct sbuf *out,
		   struct oci_err **err);
/* The referrers of REF (OCI 1.1 referrers API, else the sha256-<hex> tag),
 * optionally only those of one artifactType, as an image index. */
int fetch_cmd_referrers(const struct fetch_opts *o, const char *ref, const char *artifact_type,
			struct sbuf *out, struct oci_err **err);
int fetch_cmd_login(const struct fetch_opts *o, const char *registry, struct oci_err **err);
int fetch_cmd_logout(const struct fetch_opts *o, const char *registry, bool all,
		     struct oci_err **err);

/* The platform to pick from an index: --platform (else the host's) with
 * --override-os/--override-arch/--override-variant applied (pull.c). */
int fetch_platform_get(const struct fetch_opts *o, struct oci_platform *ret, struct oci_err **err);

/* ---- policy.c ---- */
/* --policy, else ~/.config/containers/policy.json, else
 * /etc/containers/policy.json, else NULL (no policy: accept). */
char *fetch_policy_path(const struct fetch_opts *o);
int fetch_policy_check_json(json_t *policy, const char *file, const struct oci_ref *ref,
			    struct oci_err **err);
int fetch_policy_check(const struct fetch_opts *o, const struct oci_ref *ref, struct oci_err **err);

/* ---- archive.c ---- */
int fetch_write_oci_archive(const char *dir, const char *file, struct oci_err **err);
int fetch_read_oci_archive(const char *file, const char *dir, struct oci_err **err);
int fetch_write_docker_archive(struct oci_layout *l, const char *name, const char *repotag,
			       const char *file, struct oci_err **err);
int fetch_read_dir(const char *dir, const char *out, struct oci_err **err);
int fetch_write_dir(struct oci_layout *l, const char *name, const char *dir, struct oci_err **err);

/* Sleep helper for backoffs (ms). */
void fetch_sleep_ms(long ms);
bool fetch_host_is_loopback(const char *host);

#endif
