/* Short-name resolution as containers-registries.conf(5) describes it:
 * [aliases] (short-name-aliases.conf first), then
 * unqualified-search-registries under short-name-mode. Where no
 * configuration says anything about short names, Docker's rule stays:
 * docker.io (library/ for one-word names). oci-fetch never prompts, so
 * enforcing mode with several search registries is an error, on a
 * terminal too. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "ref.h"
#include "util.h"

bool fetch_is_short_name(const char *s)
{
	const char *slash = strchr(s, '/');
	if (!slash)
		return true;
	size_t n = (size_t)(slash - s);
	if (n == strlen("localhost") && !strncmp(s, "localhost", n))
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '.' || s[i] == ':' || (s[i] >= 'A' && s[i] <= 'Z'))
			return false;
	return true;
}

void fetch_short_resolved_release(struct fetch_short_resolved *r)
{
	oci_strv_free(r->candidates);
	free(r->origin);
	memset(r, 0, sizeof(*r));
}

static const struct fetch_regconf_alias *find_alias(const struct fetch_regconf *c,
						    const char *name)
{
	for (size_t i = 0; c && i < c->n_aliases; i++)
		if (streq(c->aliases[i].name, name))
			return &c->aliases[i];
	return NULL;
}

int fetch_short_name_resolve(const struct fetch_regconf *conf, const struct fetch_regconf *cache,
			     const char *input, struct fetch_short_resolved *ret,
			     struct oci_err **err)
{
	memset(ret, 0, sizeof(*ret));
	if (!fetch_is_short_name(input)) {
		oci_strv_push(&ret->candidates, input);
		ret->why = FETCH_SHORT_QUALIFIED;
		return 0;
	}
	/* the repository without tag or digest ("image", "image:tag" and
	 * "image@digest" share an alias); the suffix is added back */
	const char *at = strchr(input, '@');
	const char *last = strrchr(input, '/');
	const char *colon = strchr(last ? last : input, ':');
	if (at && colon > at)
		colon = NULL;
	size_t nlen = colon ? (size_t)(colon - input) : at ? (size_t)(at - input) : strlen(input);
	_cleanup_free_ char *repo = xstrndup(input, nlen);
	const char *suffix = input + nlen;

	const struct fetch_regconf_alias *a = find_alias(cache, repo);
	if (!a || !*a->value)
		a = find_alias(conf, repo);
	if (a && *a->value) {
		_cleanup_free_ char *c = xasprintf("%s%s", a->value, suffix);
		oci_strv_push(&ret->candidates, c);
		ret->why = FETCH_SHORT_ALIAS;
		ret->origin = xstrdup(a->origin);
		return 0;
	}
	if (!conf || !conf->has_search) {
		/* Docker's rule where nothing says otherwise */
		_cleanup_free_ char *c = xasprintf("%s/%s", OCI_REF_DEFAULT_DOMAIN, input);
		oci_strv_push(&ret->candidates, c);
		ret->why = FETCH_SHORT_DOCKER;
		return 0;
	}
	size_t n = oci_strv_len(conf->search);
	if (n == 0)
		return oci_err_set(err, ENOENT,
				   "short name '%s' has no alias and unqualified-search-registries is empty in '%s': use a fully-qualified name",
				   input, conf->search_origin);
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *c = xasprintf("%s/%s", conf->search[i], input);
		struct oci_ref r = { 0 };
		struct oci_err *e2 = NULL;
		int rr = oci_ref_parse(c, &r, &e2);
		oci_ref_release(&r);
		if (rr < 0) {
			rr = oci_err_set(err, EINVAL, "short name '%s' with search registry '%s' (%s): %s",
					 input, conf->search[i], conf->search_origin, e2->msg);
			oci_err_clear(&e2);
			fetch_short_resolved_release(ret);
			return rr;
		}
		oci_strv_push(&ret->candidates, c);
	}
	ret->why = FETCH_SHORT_SEARCH;
	ret->origin = xstrdup(conf->search_origin);
	if (n > 1 && conf->short_name_mode == FETCH_SHORT_NAME_ENFORCING) {
		_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
		for (size_t i = 0; i < n; i++)
			sbuf_addf(&sb, "%s'%s'", i ? i + 1 == n ? " or " : ", " : "",
				  ret->candidates[i]);
		int rr = oci_err_set(err, EINVAL,
				     "short name '%s' is ambiguous: it could be %s, and short-name-mode is enforcing in '%s' (use a fully-qualified name or an [aliases] entry)",
				     input, sb.buf, conf->mode_origin ? conf->mode_origin : ret->origin);
		fetch_short_resolved_release(ret);
		return rr;
	}
	return 0;
}

/* $XDG_CACHE_HOME, else ~/.cache, /containers/short-name-aliases.conf */
static char *cache_aliases_path(void)
{
	const char *x = secure_getenv("XDG_CACHE_HOME");
	const char *h = secure_getenv("HOME");
	if (x && *x)
		return xasprintf("%s/containers/short-name-aliases.conf", x);
	if (h && *h)
		return xasprintf("%s/.cache/containers/short-name-aliases.conf", h);
	return NULL;
}

int fetch_short_name_resolve_for(const struct fetch_opts *o, const char *input,
				 struct fetch_short_resolved *ret, struct oci_err **err)
{
	memset(ret, 0, sizeof(*ret));
	if (!fetch_is_short_name(input)) {
		oci_strv_push(&ret->candidates, input);
		return 0;
	}
	struct fetch_regconf conf = { 0 }, cache = { 0 };
	int r = fetch_regconf_load(o, &conf, err);
	_cleanup_free_ char *cp = cache_aliases_path();
	if (r >= 0 && cp && access(cp, F_OK) == 0) {
		_cleanup_free_ char *text = NULL;
		size_t len;
		r = oci_read_file(cp, 4 << 20, &text, &len, err);
		if (r >= 0)
			r = fetch_regconf_parse(text, cp, &cache, err);
		if (r < 0)
			oci_err_wrap(err, "short-name aliases");
	}
	if (r >= 0)
		r = fetch_short_name_resolve(&conf, &cache, input, ret, err);
	fetch_regconf_release(&conf);
	fetch_regconf_release(&cache);
	return r;
}
