/* Image references, after Docker's distribution/reference
 * (ParseNormalizedNamed followed by TagNameOnly) and go-digest's validation
 * of the digest part. The grammar is matched by hand, component by
 * component; the choices the Go regexps make (domain first when it fits,
 * tag after the last ':' of the last path component) are reproduced. */
#include "ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "sbuf.h"
#include "util.h"

#define REF_NAME_MAX 255 /* RepositoryNameTotalLengthMax: the path alone */
#define REF_TAG_MAX 128

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_ascii_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_word(char c)
{
	return is_ascii_alnum(c) || c == '_';
}

static bool is_hex_any(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_hex_lower(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static bool has_upper(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] >= 'A' && s[i] <= 'Z')
			return true;
	return false;
}

/* [a-z0-9]+ ( ([._]|__|-+) [a-z0-9]+ )* */
static bool match_path_component(const char *s, size_t n)
{
	size_t i = 0;
	for (;;) {
		size_t start = i;
		while (i < n && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == n)
			return true;
		if (s[i] == '.') {
			i++;
		} else if (s[i] == '_') {
			i++;
			if (i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return false;
		}
	}
}

/* path-component ( '/' path-component )* */
static bool match_remote_name(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i == n || s[i] == '/') {
			if (!match_path_component(s + start, i - start))
				return false;
			start = i + 1;
		}
	}
	return true;
}

/* [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9] */
static bool match_domain_component(const char *s, size_t n)
{
	if (n == 0 || !is_ascii_alnum(s[0]) || !is_ascii_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_ascii_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

/* (domain-name | '[' ipv6 ']') (':' [0-9]+)? */
static bool match_domain_and_port(const char *s, size_t n)
{
	size_t host_end;
	if (n > 0 && s[0] == '[') {
		size_t i = 1;
		while (i < n && (is_hex_any(s[i]) || s[i] == ':'))
			i++;
		if (i == 1 || i >= n || s[i] != ']')
			return false;
		host_end = i + 1;
	} else {
		const char *colon = memchr(s, ':', n);
		host_end = colon ? (size_t)(colon - s) : n;
		size_t start = 0;
		for (size_t i = 0; i <= host_end; i++) {
			if (i == host_end || s[i] == '.') {
				if (!match_domain_component(s + start, i - start))
					return false;
				start = i + 1;
			}
		}
	}
	if (host_end == n)
		return true;
	if (s[host_end] != ':' || host_end + 1 == n)
		return false;
	for (size_t i = host_end + 1; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* [\w][\w.-]{0,127} */
static bool match_tag(const char *s, size_t n)
{
	if (n == 0 || n > REF_TAG_MAX || !is_word(s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!is_word(s[i]) && s[i] != '.' && s[i] != '-')
			return false;
	return true;
}

/* [A-Za-z][A-Za-z0-9]*([-_+.][A-Za-z][A-Za-z0-9]*)* ':' [[:xdigit:]]{32,} */
static bool match_digest_pattern(const char *s, size_t n)
{
	const char *colon = memchr(s, ':', n);
	if (!colon)
		return false;
	size_t alen = (size_t)(colon - s), i = 0;
	for (;;) {
		if (i >= alen || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
			return false;
		i++;
		while (i < alen && is_ascii_alnum(s[i]))
			i++;
		if (i == alen)
			break;
		if (!strchr("-_+.", s[i]))
			return false;
		i++;
	}
	size_t hlen = n - alen - 1;
	if (hlen < 32)
		return false;
	for (size_t j = alen + 1; j < n; j++)
		if (!is_hex_any(s[j]))
			return false;
	return true;
}

/* go-digest's anchored DigestRegexp, used only to choose between its two
 * messages: [a-z0-9]+([.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+ */
static bool match_go_digest_regexp(const char *s)
{
	const char *colon = strchr(s, ':');
	if (!colon)
		return false;
	size_t alen = (size_t)(colon - s), i = 0;
	for (;;) {
		size_t start = i;
		while (i < alen && is_lower_alnum(s[i]))
			i++;
		if (i == start)
			return false;
		if (i == alen)
			break;
		if (!strchr(".+_-", s[i]))
			return false;
		i++;
	}
	if (!colon[1])
		return false;
	for (const char *p = colon + 1; *p; p++)
		if (!is_ascii_alnum(*p) && !strchr("=_-", *p))
			return false;
	return true;
}

/* go-digest's Digest.Validate with sha256, sha384 and sha512 registered. */
static const char *validate_digest(const char *d)
{
	static const struct {
		const char *alg;
		size_t hexlen;
	} algs[] = {{"sha256", 64}, {"sha384", 96}, {"sha512", 128}};
	const char *colon = strchr(d, ':');
	if (!colon || colon == d || !colon[1])
		return "invalid checksum digest format";
	size_t alen = (size_t)(colon - d);
	for (size_t i = 0; i < ARRAY_SIZE(algs); i++) {
		if (strlen(algs[i].alg) != alen || strncmp(d, algs[i].alg, alen) != 0)
			continue;
		const char *hex = colon + 1;
		if (strlen(hex) != algs[i].hexlen)
			return "invalid checksum digest format";
		for (const char *p = hex; *p; p++)
			if (!is_hex_lower(*p))
				return "invalid checksum digest format";
		return NULL;
	}
	if (!match_go_digest_regexp(d))
		return "invalid checksum digest format";
	return "unsupported digest algorithm";
}

struct ref_parts {
	const char *domain; /* may be NULL: the name has no domain */
	size_t domain_len;
	const char *path;
	size_t path_len;
	const char *tag; /* NULL when absent */
	size_t tag_len;
	const char *digest; /* NULL when absent; runs to the end of the string */
};

/* The anchored ReferenceRegexp: name (':' tag)? ('@' digest)? */
static bool match_reference(const char *s, struct ref_parts *p)
{
	size_t n = strlen(s), left = n;
	memset(p, 0, sizeof(*p));

	const char *at = strchr(s, '@');
	if (at) {
		if (!match_digest_pattern(at + 1, strlen(at + 1)))
			return false;
		p->digest = at + 1;
		left = (size_t)(at - s);
	}

	/* A ':' after the last '/' can only start the tag: the name holds a
	 * ':' only in the port of its domain, which a '/' follows. */
	size_t name_len = left;
	const char *slash = NULL, *colon = NULL;
	for (size_t i = 0; i < left; i++) {
		if (s[i] == '/')
			slash = s + i;
		else if (s[i] == ':')
			colon = s + i;
	}
	if (colon && (!slash || colon > slash)) {
		p->tag = colon + 1;
		p->tag_len = left - (size_t)(colon - s) - 1;
		if (!match_tag(p->tag, p->tag_len))
			return false;
		name_len = (size_t)(colon - s);
	}

	/* name: (domain '/')? remote-name, the domain taken when it fits. */
	const char *first = memchr(s, '/', name_len);
	if (first) {
		size_t dlen = (size_t)(first - s);
		if (match_domain_and_port(s, dlen) &&
		    match_remote_name(first + 1, name_len - dlen - 1)) {
			p->domain = s;
			p->domain_len = dlen;
			p->path = first + 1;
			p->path_len = name_len - dlen - 1;
			return true;
		}
	}
	if (!match_remote_name(s, name_len))
		return false;
	p->path = s;
	p->path_len = name_len;
	return true;
}

static void ref_clear(struct oci_ref *r)
{
	memset(r, 0, sizeof(*r));
}

/* distribution/reference's Parse, on a string that names a repository. */
static int ref_parse_any(const char *s, struct oci_ref *ret, struct oci_err **err)
{
	struct ref_parts p;

	if (!*s)
		return oci_err_set(err, EINVAL, "repository name must have at least one component");
	if (!match_reference(s, &p)) {
		_cleanup_free_ char *lower = xstrdup(s);
		bool changed = false;
		for (char *c = lower; *c; c++) {
			if (*c >= 'A' && *c <= 'Z') {
				*c = (char)(*c - 'A' + 'a');
				changed = true;
			}
		}
		if (changed && match_reference(lower, &p))
			return oci_err_set(err, EINVAL, "repository name must be lowercase");
		return oci_err_set(err, EINVAL, "invalid reference format");
	}
	if (p.path_len > REF_NAME_MAX)
		return oci_err_set(err, EINVAL,
				   "repository name must not be more than %d characters",
				   REF_NAME_MAX);
	if (p.digest) {
		const char *msg = validate_digest(p.digest);
		if (msg)
			return oci_err_set(err, EINVAL, "%s", msg);
	}

	ref_clear(ret);
	ret->domain = p.domain ? xstrndup(p.domain, p.domain_len) : xstrdup("");
	ret->path = xstrndup(p.path, p.path_len);
	ret->tag = p.tag ? xstrndup(p.tag, p.tag_len) : NULL;
	ret->digest = p.digest ? xstrdup(p.digest) : NULL;
	return 0;
}

static bool is_identifier(const char *s)
{
	size_t n = strlen(s);
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex_lower(s[i]))
			return false;
	return true;
}

/* splitDockerDomain: returns the string "domain/remainder" to parse and
 * points *ret_remainder into it. */
static char *split_docker_domain(const char *s, const char **ret_remainder)
{
	const char *slash = strchr(s, '/');
	char *full;
	size_t dlen;

	if (!slash) {
		full = xasprintf("%s/%s%s", OCI_REF_DEFAULT_DOMAIN, OCI_REF_OFFICIAL_PREFIX, s);
		*ret_remainder = full + strlen(OCI_REF_DEFAULT_DOMAIN) + 1;
		return full;
	}

	dlen = (size_t)(slash - s);
	const char *rest = slash + 1;
	if (dlen == strlen("localhost") && strncmp(s, "localhost", dlen) == 0) {
		full = xstrdup(s);
	} else if (dlen == strlen(OCI_REF_LEGACY_DOMAIN) &&
		   strncmp(s, OCI_REF_LEGACY_DOMAIN, dlen) == 0) {
		full = xasprintf("%s/%s", OCI_REF_DEFAULT_DOMAIN, rest);
	} else if (memchr(s, '.', dlen) || memchr(s, ':', dlen) || has_upper(s, dlen)) {
		full = xstrdup(s);
	} else {
		full = xasprintf("%s/%s", OCI_REF_DEFAULT_DOMAIN, s);
	}

	const char *remainder = strchr(full, '/') + 1;
	if (startswith(full, OCI_REF_DEFAULT_DOMAIN "/") && !strchr(remainder, '/')) {
		char *canon = xasprintf("%s/%s%s", OCI_REF_DEFAULT_DOMAIN, OCI_REF_OFFICIAL_PREFIX,
					remainder);
		free(full);
		full = canon;
		remainder = strchr(full, '/') + 1;
	}
	*ret_remainder = remainder;
	return full;
}

/* ParseNormalizedNamed, without TagNameOnly. */
static int ref_parse_normalized(const char *s, struct oci_ref *ret, struct oci_err **err)
{
	if (is_identifier(s))
		return oci_err_set(
		    err, EINVAL,
		    "invalid repository name (%s), cannot specify 64-byte hexadecimal strings", s);

	const char *remainder;
	_cleanup_free_ char *full = split_docker_domain(s, &remainder);
	const char *colon = strchr(remainder, ':');
	size_t rlen = colon ? (size_t)(colon - remainder) : strlen(remainder);
	if (has_upper(remainder, rlen))
		return oci_err_set(
		    err, EINVAL,
		    "invalid reference format: repository name (%.*s) must be lowercase", (int)rlen,
		    remainder);
	return ref_parse_any(full, ret, err);
}

int oci_ref_parse(const char *s, struct oci_ref *ret, struct oci_err **err)
{
	struct oci_ref r;
	int rc = ref_parse_normalized(s, &r, err);
	if (rc < 0)
		return rc;
	if (!r.tag && !r.digest)
		r.tag = xstrdup(OCI_REF_DEFAULT_TAG);
	*ret = r;
	return 0;
}

int oci_ref_parse_repo(const char *s, struct oci_ref *ret, struct oci_err **err)
{
	struct oci_ref r;
	int rc = ref_parse_normalized(s, &r, err);
	if (rc < 0)
		return rc;
	if (r.tag || r.digest) {
		oci_ref_release(&r);
		return oci_err_set(
		    err, EINVAL,
		    "invalid repository name '%s': a tag or digest is not allowed here", s);
	}
	*ret = r;
	return 0;
}

void oci_ref_release(struct oci_ref *r)
{
	if (!r)
		return;
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
	ref_clear(r);
}

static void add_name(struct sbuf *sb, const char *domain, const char *path)
{
	if (domain && *domain) {
		sbuf_addstr(sb, domain);
		sbuf_addch(sb, '/');
	}
	sbuf_addstr(sb, path ? path : "");
}

static char *ref_format(const struct oci_ref *r, const char *domain, const char *path)
{
	struct sbuf sb = SBUF_INIT;
	add_name(&sb, domain, path);
	if (r->tag) {
		sbuf_addch(&sb, ':');
		sbuf_addstr(&sb, r->tag);
	}
	if (r->digest) {
		sbuf_addch(&sb, '@');
		sbuf_addstr(&sb, r->digest);
	}
	return sbuf_detach(&sb, NULL);
}

char *oci_ref_string(const struct oci_ref *r)
{
	return ref_format(r, r->domain, r->path);
}

char *oci_ref_name(const struct oci_ref *r)
{
	struct sbuf sb = SBUF_INIT;
	add_name(&sb, r->domain, r->path);
	return sbuf_detach(&sb, NULL);
}

/* Whether the first component of path, were it the start of a name, would
 * be taken for a registry (split_docker_domain's test). */
static bool path_starts_like_domain(const char *path)
{
	const char *slash = strchr(path, '/');
	if (!slash)
		return false;
	size_t n = (size_t)(slash - path);
	return (n == strlen("localhost") && strncmp(path, "localhost", n) == 0) ||
	       memchr(path, '.', n) || memchr(path, ':', n) || has_upper(path, n);
}

char *oci_ref_familiar(const struct oci_ref *r)
{
	const char *domain = r->domain, *path = r->path ? r->path : "";
	/* "docker.io/foo.com/app" keeps its domain: "foo.com/app" is another image */
	if (domain && streq(domain, OCI_REF_DEFAULT_DOMAIN) && !path_starts_like_domain(path)) {
		domain = NULL;
		if (startswith(path, OCI_REF_OFFICIAL_PREFIX) &&
		    !strchr(path + strlen(OCI_REF_OFFICIAL_PREFIX), '/'))
			path += strlen(OCI_REF_OFFICIAL_PREFIX);
	}
	return ref_format(r, domain, path);
}

const char *oci_ref_registry_host(const struct oci_ref *r)
{
	if (!r->domain)
		return "";
	if (streq(r->domain, OCI_REF_DEFAULT_DOMAIN))
		return OCI_REF_DOCKER_HUB_HOST;
	return r->domain;
}
