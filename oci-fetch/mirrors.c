/* registries.conf (containers-registries.conf(5), version 2): [[registry]]
 * entries with prefix, location, insecure, blocked, mirror-by-digest-only
 * and [[registry.mirror]] lists; the mirrors of a reference are tried in
 * order, then the registry itself. Only the TOML this file uses is read:
 * tables, arrays of tables, strings, booleans (arrays are skipped). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "util.h"

static void entry_release(struct fetch_regconf_entry *e)
{
	free(e->prefix);
	free(e->location);
	for (size_t k = 0; k < e->n_mirrors; k++) {
		free(e->mirrors[k].location);
		free(e->mirrors[k].pull_from_mirror);
	}
	free(e->mirrors);
	memset(e, 0, sizeof(*e));
}

void fetch_regconf_release(struct fetch_regconf *c)
{
	for (size_t i = 0; i < c->n; i++)
		entry_release(&c->entries[i]);
	free(c->entries);
	oci_strv_free(c->search);
	free(c->search_origin);
	free(c->mode_origin);
	for (size_t i = 0; i < c->n_aliases; i++) {
		free(c->aliases[i].name);
		free(c->aliases[i].value);
		free(c->aliases[i].origin);
	}
	free(c->aliases);
	memset(c, 0, sizeof(*c));
}

/* 1 when the array text s (from its '[') is closed, 0 when it goes on. */
static int array_closed(const char *s)
{
	int depth = 0;
	char q = 0;
	for (const char *p = s; *p; p++) {
		if (q) {
			if (q == '"' && *p == '\\' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#') {
			while (p[1] && p[1] != '\n')
				p++;
		} else if (*p == '[') {
			depth++;
		} else if (*p == ']' && --depth == 0) {
			return 1;
		}
	}
	return 0;
}

/* Collects an array value that may span lines: from first (just after
 * '=') to its closing ']', consuming the lines it takes. */
static int collect_array(const char *first, const char **line, int *lineno, struct sbuf *out)
{
	sbuf_addstr(out, first);
	while (!array_closed(out->buf)) {
		if (!*line || !**line)
			return -EINVAL;
		const char *nl = strchr(*line, '\n');
		sbuf_addch(out, '\n');
		sbuf_add(out, *line, nl ? (size_t)(nl - *line) : strlen(*line));
		*line = nl ? nl + 1 : NULL;
		(*lineno)++;
	}
	return 0;
}

/* Parses "[ "a", 'b', ]" into a list of strings. */
static int parse_string_array(const char *s, char ***ret)
{
	const char *p = s;
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p != '[')
		return -EINVAL;
	p++;
	char **v = NULL;
	bool need_comma = false;
	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '#') {
			if (*p == '#')
				while (p[1] && p[1] != '\n')
					p++;
			p++;
		}
		if (*p == ']') {
			p++;
			break;
		}
		if (*p == ',' && need_comma) {
			need_comma = false;
			p++;
			continue;
		}
		if (need_comma || (*p != '"' && *p != '\'')) {
			oci_strv_free(v);
			return -EINVAL;
		}
		struct sbuf sb = SBUF_INIT;
		char q = *p++;
		for (; *p && *p != q; p++) {
			if (q == '"' && *p == '\\' && p[1])
				p++;
			sbuf_addch(&sb, *p);
		}
		if (*p != q) {
			sbuf_release(&sb);
			oci_strv_free(v);
			return -EINVAL;
		}
		p++;
		char *str = sbuf_detach(&sb, NULL);
		oci_strv_push(&v, str);
		free(str);
		need_comma = true;
	}
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	if (*p && *p != '#') {
		oci_strv_free(v);
		return -EINVAL;
	}
	if (!v)
		v = xcalloc(1, sizeof(*v));
	*ret = v;
	return 0;
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

/* "name" of [aliases]: a short name, no tag or digest. */
static bool alias_name_ok(const char *s)
{
	struct oci_err *e = NULL;
	struct oci_ref r = { 0 };
	bool ok = *s && fetch_is_short_name(s) && !strchr(s, ':') && !strchr(s, '@') &&
		  oci_ref_parse_repo(s, &r, &e) >= 0;
	oci_ref_release(&r);
	oci_err_clear(&e);
	return ok;
}

/* its value: registry/path, no tag or digest */
static bool alias_value_ok(const char *s)
{
	const char *slash = strrchr(s, '/');
	struct oci_err *e = NULL;
	struct oci_ref r = { 0 };
	bool ok = slash && !fetch_is_short_name(s) && !strchr(slash, ':') && !strchr(s, '@') &&
		  oci_ref_parse_repo(s, &r, &e) >= 0;
	oci_ref_release(&r);
	oci_err_clear(&e);
	return ok;
}

int fetch_regconf_parse(const char *text, const char *name, struct fetch_regconf *ret,
			struct oci_err **err)
{
	struct fetch_regconf c = { 0 };
	enum { SEC_TOP, SEC_REGISTRY, SEC_MIRROR, SEC_ALIASES, SEC_OTHER } sec = SEC_TOP;
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
			} else if (!arr && streq(tt, "aliases")) {
				sec = SEC_ALIASES;
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
		if (sec == SEC_TOP && streq(key, "unqualified-search-registries")) {
			_cleanup_sbuf_ struct sbuf arr = SBUF_INIT;
			char **v = NULL;
			int at = lineno;
			if (collect_array(p + 1, &line, &lineno, &arr) < 0 ||
			    parse_string_array(arr.buf, &v) < 0) {
				fetch_regconf_release(&c);
				return oci_err_set(err, EINVAL,
						   "%s:%d: unqualified-search-registries must be an array of strings",
						   name, at);
			}
			for (size_t i = 0; v[i]; i++) {
				if (!*v[i] || strchr(v[i], '/')) {
					int r = oci_err_set(err, EINVAL,
							    "%s:%d: unqualified-search-registries: '%s' is not a host[:port]",
							    name, at, v[i]);
					oci_strv_free(v);
					fetch_regconf_release(&c);
					return r;
				}
			}
			oci_strv_free(c.search);
			c.search = v;
			c.has_search = true;
			free(c.search_origin);
			c.search_origin = xstrdup(name);
			continue;
		}
		enum val_type vt;
		_cleanup_free_ char *sv = NULL;
		bool bv = false;
		if (parse_value(p + 1, &vt, &sv, &bv, &depth) < 0) {
			fetch_regconf_release(&c);
			return oci_err_set(err, EINVAL, "%s:%d: invalid value for '%s'", name, lineno,
					   key);
		}
		if (sec == SEC_TOP && streq(key, "short-name-mode")) {
			enum fetch_short_name_mode m = FETCH_SHORT_NAME_UNSET;
			if (vt == VAL_STRING && streq(sv, "enforcing"))
				m = FETCH_SHORT_NAME_ENFORCING;
			else if (vt == VAL_STRING && streq(sv, "permissive"))
				m = FETCH_SHORT_NAME_PERMISSIVE;
			else if (vt == VAL_STRING && streq(sv, "disabled"))
				m = FETCH_SHORT_NAME_DISABLED;
			else if (!(vt == VAL_STRING && !*sv)) {
				fetch_regconf_release(&c);
				return oci_err_set(err, EINVAL,
						   "%s:%d: short-name-mode must be enforcing, permissive or disabled",
						   name, lineno);
			}
			c.short_name_mode = m;
			free(c.mode_origin);
			c.mode_origin = m ? xstrdup(name) : NULL;
		} else if (sec == SEC_ALIASES) {
			const char *bad = vt != VAL_STRING ? "its value must be a string"
					  : !alias_name_ok(key) ? "the name must be a short name without tag or digest"
					  : *sv && !alias_value_ok(sv) ? "the value must be a fully-qualified name without tag or digest"
									: NULL;
			if (bad) {
				int r = oci_err_set(err, EINVAL, "%s:%d: alias '%s': %s", name, lineno, key,
						    bad);
				fetch_regconf_release(&c);
				return r;
			}
			c.aliases = xrealloc(c.aliases, (c.n_aliases + 1) * sizeof(*c.aliases));
			c.aliases[c.n_aliases++] = (struct fetch_regconf_alias){
				.name = xstrdup(key), .value = TAKE_PTR(sv), .origin = xstrdup(name) };
		} else if (sec == SEC_REGISTRY) {
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

void fetch_regconf_merge(struct fetch_regconf *dst, struct fetch_regconf *src)
{
	/* [[registry]] tables: the same prefix replaces, others are added */
	for (size_t i = 0; i < src->n; i++) {
		struct fetch_regconf_entry *e = &src->entries[i];
		size_t k;
		for (k = 0; k < dst->n; k++)
			if (streq(dst->entries[k].prefix, e->prefix))
				break;
		if (k == dst->n) {
			dst->entries = xrealloc(dst->entries, (dst->n + 1) * sizeof(*dst->entries));
			dst->n++;
		} else {
			entry_release(&dst->entries[k]);
		}
		dst->entries[k] = *e;
	}
	free(src->entries);
	src->entries = NULL;
	src->n = 0;
	if (src->has_search) {
		oci_strv_free(dst->search);
		free(dst->search_origin);
		dst->search = TAKE_PTR(src->search);
		dst->search_origin = TAKE_PTR(src->search_origin);
		dst->has_search = true;
	}
	if (src->short_name_mode) {
		dst->short_name_mode = src->short_name_mode;
		free(dst->mode_origin);
		dst->mode_origin = TAKE_PTR(src->mode_origin);
	}
	/* aliases: a later file overrides; "" erases */
	for (size_t i = 0; i < src->n_aliases; i++) {
		struct fetch_regconf_alias *a = &src->aliases[i];
		size_t k;
		for (k = 0; k < dst->n_aliases; k++)
			if (streq(dst->aliases[k].name, a->name))
				break;
		if (k == dst->n_aliases) {
			dst->aliases = xrealloc(dst->aliases, (dst->n_aliases + 1) * sizeof(*dst->aliases));
			dst->n_aliases++;
		} else {
			free(dst->aliases[k].name);
			free(dst->aliases[k].value);
			free(dst->aliases[k].origin);
		}
		dst->aliases[k] = *a;
	}
	free(src->aliases);
	src->aliases = NULL;
	src->n_aliases = 0;
	fetch_regconf_release(src);
}

static int load_file(const char *file, struct fetch_regconf *into, struct oci_err **err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (oci_read_file(file, 4 << 20, &text, &len, err) < 0)
		return oci_err_wrap(err, "registries configuration");
	struct fetch_regconf c = { 0 };
	if (fetch_regconf_parse(text, file, &c, err) < 0)
		return -(*err)->code;
	fetch_regconf_merge(into, &c);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.conf files of DIR, in alphanumerical order (none when DIR is absent). */
static int load_dir(const char *dir, struct fetch_regconf *into, struct oci_err **err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return oci_err_sys(err, "registries configuration: open '%s'", dir);
	}
	_cleanup_strv_ char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && endswith(de->d_name, ".conf"))
			oci_strv_push(&names, de->d_name);
	size_t n = oci_strv_len(names);
	if (n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *f = xasprintf("%s/%s", dir, names[i]);
		struct stat st;
		if (stat(f, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		if (load_file(f, into, err) < 0)
			return -(*err)->code;
	}
	return 0;
}

int fetch_regconf_load(const struct fetch_opts *o, struct fetch_regconf *ret, struct oci_err **err)
{
	memset(ret, 0, sizeof(*ret));
	const char *e = secure_getenv("CONTAINERS_REGISTRIES_CONF");
	if (o->registries_conf || (e && *e)) {
		/* a file named on purpose is read alone */
		int r = load_file(o->registries_conf ? o->registries_conf : e, ret, err);
		if (r < 0)
			fetch_regconf_release(ret);
		return r;
	}
	const char *x = secure_getenv("XDG_CONFIG_HOME");
	const char *h = secure_getenv("HOME");
	_cleanup_free_ char *user_base = x && *x ? xasprintf("%s/containers", x)
				       : h && *h ? xasprintf("%s/.config/containers", h)
						 : NULL;
	_cleanup_free_ char *user = user_base ? xasprintf("%s/registries.conf", user_base) : NULL;
	_cleanup_free_ char *user_d = user_base ? xasprintf("%s/registries.conf.d", user_base) : NULL;
	int r = 0;
	if (user && access(user, F_OK) == 0) {
		r = load_file(user, ret, err);
	} else {
		if (access("/etc/containers/registries.conf", F_OK) == 0)
			r = load_file("/etc/containers/registries.conf", ret, err);
		if (r >= 0)
			r = load_dir("/etc/containers/registries.conf.d", ret, err);
	}
	if (r >= 0 && user_d)
		r = load_dir(user_d, ret, err);
	if (r < 0)
		fetch_regconf_release(ret);
	return r;
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
