/* registries.conf (containers-registries.conf(5), version 2): [[registry]]
 * entries with prefix, location, insecure, blocked, mirror-by-digest-only
 * and [[registry.mirror]] lists; the mirrors of a reference are tried in
 * order, then the registry itself. Only the TOML this file uses is read:
 * tables, arrays of tables, strings, booleans (arrays are skipped). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "util.h"

void fetch_regconf_release(struct fetch_regconf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct fetch_regconf_entry *e = &c->entries[i];
		free(e->prefix);
		free(e->location);
		for (size_t k = 0; k < e->n_mirrors; k++) {
			free(e->mirrors[k].location);
			free(e->mirrors[k].pull_from_mirror);
		}
		free(e->mirrors);
	}
	free(c->entries);
	memset(c, 0, sizeof(*c));
}

void fetch_endpoints_free(struct fetch_endpoint *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(e[i].host);
		free(e[i].repo);
		free(e[i].ns);
	}
	free(e);
}

static const char *skip_blank(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

enum val_type { VAL_STRING, VAL_BOOL, VAL_OTHER };

/* Parses a value at p: "basic", 'literal', true/false; arrays and numbers
 * are skipped (arrays may span lines: *depth counts open brackets). */
static int parse_value(const char *p, enum val_type *type, char **str, bool *b, int *depth)
{
	p = skip_blank(p);
	if (*p == '"') {
		struct sbuf sb = SBUF_INIT;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1]) {
				p++;
				switch (*p) {
				case 'n': sbuf_addch(&sb, '\n'); break;
				case 't': sbuf_addch(&sb, '\t'); break;
				default: sbuf_addch(&sb, *p);
				}
			} else {
				sbuf_addch(&sb, *p);
			}
		}
		if (*p != '"') {
			sbuf_release(&sb);
			return -EINVAL;
		}
		*type = VAL_STRING;
		*str = sbuf_detach(&sb, NULL);
		p++;
	} else if (*p == '\'') {
		const char *e = strchr(p + 1, '\'');
		if (!e)
			return -EINVAL;
		*type = VAL_STRING;
		*str = xstrndup(p + 1, e - p - 1);
		p = e + 1;
	} else if (startswith(p, "true")) {
		*type = VAL_BOOL;
		*b = true;
		p += 4;
	} else if (startswith(p, "false")) {
		*type = VAL_BOOL;
		*b = false;
		p += 5;
	} else if (*p == '[') {
		*type = VAL_OTHER;
		bool in_str = false;
		for (; *p; p++) {
			if (*p == '"')
				in_str = !in_str;
			else if (!in_str && *p == '[')
				(*depth)++;
			else if (!in_str && *p == ']')
				(*depth)--;
			else if (!in_str && *p == '#')
				break;
		}
		return 0;
	} else if (isdigit((unsigned char)*p) || *p == '-' || *p == '+') {
		*type = VAL_OTHER;
		while (*p && !isspace((unsigned char)*p) && *p != '#')
			p++;
	} else {
		return -EINVAL;
	}
	p = skip_blank(p);
	if (*p && *p != '#' && *p != '\r')
		return -EINVAL;
	return 0;
}

int fetch_regconf_parse(const char *text, const char *name, struct fetch_regconf *ret,
			struct oci_err **err)
{
	struct fetch_regconf c = { 0 };
	enum { SEC_TOP, SEC_REGISTRY, SEC_MIRROR, SEC_OTHER } sec = SEC_TOP;
	int lineno = 0, depth = 0;
	_cleanup_strv_ char **keys = NULL; /* keys of the current table (TOML: no duplicates) */
	const char *line = text;
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		_cleanup_free_ char *l = nl ? xstrndup(line, nl - line) : xstrdup(line);
		line = nl ? nl + 1 : NULL;
		lineno++;
		const char *p = skip_blank(l);
		if (depth > 0) {
			/* inside a multi-line array: count brackets outside strings */
			bool in_str = false;
			for (; *p && depth > 0; p++) {
				if (*p == '"')
					in_str = !in_str;
				else if (!in_str && *p == '[')
					depth++;
				else if (!in_str && *p == ']')
					depth--;
			}
			continue;
		}
		if (!*p || *p == '#' || *p == '\r')
			continue;
		if (*p == '[') {
			bool arr = p[1] == '[';
			const char *s = p + (arr ? 2 : 1);
			const char *e = strchr(s, ']');
			if (!e || (arr && e[1] != ']')) {
				fetch_regconf_release(&c);
				return oci_err_set(err, EINVAL, "%s:%d: unterminated table header", name,
						   lineno);
			}
			oci_strv_free(keys);
			keys = NULL;
			_cleanup_free_ char *t = xstrndup(s, e - s);
			char *tt = t;
			while (*tt == ' ')
				tt++;
			for (char *z = tt + strlen(tt); z > tt && z[-1] == ' ';)
				*--z = 0;
			if (arr && streq(tt, "registry")) {
				c.entries = xrealloc(c.entries, (c.n + 1) * sizeof(*c.entries));
				memset(&c.entries[c.n], 0, sizeof(c.entries[0]));
				c.n++;
				sec = SEC_REGISTRY;
			} else if (arr && streq(tt, "registry.mirror")) {
				if (!c.n) {
					fetch_regconf_release(&c);
					return oci_err_set(err, EINVAL,
							   "%s:%d: [[registry.mirror]] before any [[registry]]",
							   name, lineno);
				}
				struct fetch_regconf_entry *en = &c.entries[c.n - 1];
				en->mirrors = xrealloc(en->mirrors, (en->n_mirrors + 1) * sizeof(*en->mirrors));
				memset(&en->mirrors[en->n_mirrors], 0, sizeof(en->mirrors[0]));
				en->n_mirrors++;
				sec = SEC_MIRROR;
			} else {
				sec = SEC_OTHER;
			}
			continue;
		}
		/* key = value; keys may be quoted ([aliases] "name" = "...") */
		_cleanup_free_ char *key = NULL;
		if (*p == '"' || *p == '\'') {
			const char *e = strchr(p + 1, *p);
			if (!e) {
				fetch_regconf_release(&c);
				return oci_err_set(err, EINVAL, "%s:%d: unterminated quoted key", name,
						   lineno);
			}
			key = xstrndup(p + 1, e - p - 1);
			p = e + 1;
		} else {
			const char *k = p;
			while (*p && (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.'))
				p++;
			key = xstrndup(k, p - k);
		}
		p = skip_blank(p);
		if (!*key || *p != '=') {
			fetch_regconf_release(&c);
			return oci_err_set(err, EINVAL, "%s:%d: expected KEY = VALUE", name, lineno);
		}
		for (size_t i = 0; keys && keys[i]; i++) {
			if (streq(keys[i], key)) {
				fetch_regconf_release(&c);
				return oci_err_set(err, EINVAL, "%s:%d: duplicate key '%s'", name, lineno,
						   key);
			}
		}
		oci_strv_push(&keys, key);
		enum val_type vt;
		_cleanup_free_ char *sv = NULL;
		bool bv = false;
		if (parse_value(p + 1, &vt, &sv, &bv, &depth) < 0) {
			fetch_regconf_release(&c);
			return oci_err_set(err, EINVAL, "%s:%d: invalid value for '%s'", name, lineno,
					   key);
		}
		if (sec == SEC_REGISTRY) {
			struct fetch_regconf_entry *en = &c.entries[c.n - 1];
			if (streq(key, "prefix") && vt == VAL_STRING)
				en->prefix = TAKE_PTR(sv);
			else if (streq(key, "location") && vt == VAL_STRING)
				en->location = TAKE_PTR(sv);
			else if (streq(key, "insecure") && vt == VAL_BOOL)
				en->insecure = bv;
			else if (streq(key, "blocked") && vt == VAL_BOOL)
				en->blocked = bv;
			else if (streq(key, "mirror-by-digest-only") && vt == VAL_BOOL)
				en->mirror_by_digest_only = bv;
		} else if (sec == SEC_MIRROR) {
			struct fetch_regconf_entry *en = &c.entries[c.n - 1];
			struct fetch_regconf_mirror *m = &en->mirrors[en->n_mirrors - 1];
			if (streq(key, "location") && vt == VAL_STRING)
				m->location = TAKE_PTR(sv);
			else if (streq(key, "insecure") && vt == VAL_BOOL)
				m->insecure = bv;
			else if (streq(key, "pull-from-mirror") && vt == VAL_STRING) {
				if (!streq(sv, "all") && !streq(sv, "digest-only") && !streq(sv, "tag-only")) {
					fetch_regconf_release(&c);
					return oci_err_set(err, EINVAL,
							   "%s:%d: pull-from-mirror must be all, digest-only or tag-only",
							   name, lineno);
				}
				m->pull_from_mirror = TAKE_PTR(sv);
			}
		}
	}
	for (size_t i = 0; i < c.n; i++) {
		struct fetch_regconf_entry *en = &c.entries[i];
		if (!en->prefix && !en->location) {
			fetch_regconf_release(&c);
			return oci_err_set(err, EINVAL, "%s: [[registry]] #%zu has neither prefix nor location",
					   name, i + 1);
		}
		if (!en->prefix)
			en->prefix = xstrdup(en->location);
		if (!en->location && !startswith(en->prefix, "*."))
			en->location = xstrdup(en->prefix);
		for (size_t k = 0; k < en->n_mirrors; k++)
			if (!en->mirrors[k].location) {
				int r = oci_err_set(err, EINVAL, "%s: a mirror of '%s' has no location",
						    name, en->prefix);
				fetch_regconf_release(&c);
				return r;
			}
	}
	*ret = c;
	return 0;
}

int fetch_regconf_load(const struct fetch_opts *o, struct fetch_regconf *ret, struct oci_err **err)
{
	memset(ret, 0, sizeof(*ret));
	_cleanup_free_ char *file = NULL;
	if (o->registries_conf) {
		file = xstrdup(o->registries_conf);
	} else {
		const char *e = secure_getenv("CONTAINERS_REGISTRIES_CONF");
		if (e && *e) {
			file = xstrdup(e);
		} else {
			const char *x = secure_getenv("XDG_CONFIG_HOME");
			const char *h = secure_getenv("HOME");
			_cleanup_free_ char *user = x && *x ? xasprintf("%s/containers/registries.conf", x)
							  : h && *h ? xasprintf("%s/.config/containers/registries.conf", h)
								    : NULL;
			if (user && access(user, F_OK) == 0)
				file = TAKE_PTR(user);
			else if (access("/etc/containers/registries.conf", F_OK) == 0)
				file = xstrdup("/etc/containers/registries.conf");
			else
				return 0;
		}
	}
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (oci_read_file(file, 4 << 20, &text, &len, err) < 0)
		return oci_err_wrap(err, "registries configuration");
	return fetch_regconf_parse(text, file, ret, err);
}

static size_t prefix_match(const char *prefix, const char *name)
{
	if (startswith(prefix, "*.")) {
		/* *.example.com matches hosts below example.com */
		size_t hl = strcspn(name, "/");
		size_t pl = strlen(prefix + 1);
		if (hl > pl && !strncmp(name + hl - pl, prefix + 1, pl))
			return hl;
		return 0;
	}
	size_t n = strlen(prefix);
	if (strncmp(prefix, name, n))
		return 0;
	if (name[n] == 0 || name[n] == '/')
		return n;
	return 0;
}

const struct fetch_regconf_entry *fetch_regconf_find(const struct fetch_regconf *c,
						     const char *name)
{
	const struct fetch_regconf_entry *best = NULL;
	size_t best_len = 0;
	for (size_t i = 0; c && i < c->n; i++) {
		size_t m = prefix_match(c->entries[i].prefix, name);
		if (m > best_len) {
			best_len = m;
			best = &c->entries[i];
		}
	}
	return best;
}

static void push_endpoint(struct fetch_endpoint **v, size_t *n, const char *location,
			  const char *rest, bool insecure, bool mirror)
{
	_cleanup_free_ char *full = xasprintf("%s%s", location, rest);
	size_t hl = strcspn(full, "/");
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	struct fetch_endpoint *e = &(*v)[(*n)++];
	memset(e, 0, sizeof(*e));
	_cleanup_free_ char *host = xstrndup(full, hl);
	if (streq(host, "docker.io") || streq(host, "index.docker.io")) {
		e->host = xstrdup("registry-1.docker.io");
		/* one-word names on Docker Hub live under library/ */
		const char *r = full[hl] ? full + hl + 1 : "";
		e->repo = strchr(r, '/') ? xstrdup(r) : xasprintf("library/%s", r);
	} else {
		e->host = TAKE_PTR(host);
		e->repo = xstrdup(full[hl] ? full + hl + 1 : "");
	}
	e->insecure = insecure;
	e->is_mirror = mirror;
}

int fetch_endpoints(const struct fetch_regconf *c, const struct oci_ref *ref, bool by_digest,
		    bool push, struct fetch_endpoint **ret, size_t *ret_n, struct oci_err **err)
{
	_cleanup_free_ char *name = oci_ref_name(ref);
	const struct fetch_regconf_entry *en = fetch_regconf_find(c, name);
	struct fetch_endpoint *v = NULL;
	size_t n = 0;
	if (!en) {
		v = xcalloc(1, sizeof(*v));
		v->host = xstrdup(oci_ref_registry_host(ref));
		v->repo = xstrdup(ref->path);
		*ret = v;
		*ret_n = 1;
		return 0;
	}
	if (en->blocked)
		return oci_err_set(err, EPERM, "registry for '%s' is blocked in registries.conf (prefix '%s')",
				   name, en->prefix);
	const char *rest;
	if (startswith(en->prefix, "*."))
		rest = name + strcspn(name, "/");
	else
		rest = name + strlen(en->prefix);
	if (!push) {
		for (size_t i = 0; i < en->n_mirrors; i++) {
			const struct fetch_regconf_mirror *m = &en->mirrors[i];
			const char *pf = m->pull_from_mirror;
			if (en->mirror_by_digest_only && !by_digest)
				continue;
			if (pf && streq(pf, "digest-only") && !by_digest)
				continue;
			if (pf && streq(pf, "tag-only") && by_digest)
				continue;
			push_endpoint(&v, &n, m->location, rest, m->insecure, true);
			v[n - 1].ns = xstrdup(ref->domain);
		}
	}
	if (startswith(en->prefix, "*."))
		push_endpoint(&v, &n, name, "", en->insecure, false);
	else
		push_endpoint(&v, &n, en->location, rest, en->insecure, false);
	*ret = v;
	*ret_n = n;
	return 0;
}

int fetch_endpoints_for(const struct fetch_opts *o, const struct oci_ref *ref, bool by_digest,
			bool push, struct fetch_endpoint **ret, size_t *ret_n, struct oci_err **err)
{
	struct fetch_regconf conf = { 0 };
	int r = fetch_regconf_load(o, &conf, err);
	if (r >= 0)
		r = fetch_endpoints(&conf, ref, by_digest, push, ret, ret_n, err);
	fetch_regconf_release(&conf);
	return r;
}
