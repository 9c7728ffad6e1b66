/* Short-name resolution (containers-registries.conf(5)): the parsed
 * [aliases], unqualified-search-registries and short-name-mode, drop-in
 * merging, and fetch_short_name_resolve as a pure function of them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct fetch_regconf *c, struct oci_err **err)
{
	memset(c, 0, sizeof(*c));
	return fetch_regconf_parse(text, "test.conf", c, err);
}

/* "cand1 | cand2 [why origin]" or "error: MSG" */
static char *resolve(const struct fetch_regconf *c, const struct fetch_regconf *cache,
		     const char *input)
{
	struct fetch_short_resolved r;
	struct oci_err *err = NULL;
	if (fetch_short_name_resolve(c, cache, input, &r, &err) < 0) {
		char *s = xasprintf("error: %s", err->msg);
		oci_err_free(err);
		return s;
	}
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; r.candidates[i]; i++)
		sbuf_addf(&sb, "%s%s", i ? " | " : "", r.candidates[i]);
	static const char *why[] = { "qualified", "docker", "alias", "search" };
	sbuf_addf(&sb, " [%s%s%s]", why[r.why], r.origin ? " " : "", r.origin ? r.origin : "");
	fetch_short_resolved_release(&r);
	return sbuf_detach(&sb, NULL);
}

static void is_resolved(const struct fetch_regconf *c, const struct fetch_regconf *cache,
			const char *input, const char *want)
{
	char *got = resolve(c, cache, input);
	is_str(got, want, "resolve '%s'", input);
	free(got);
}

static void test_is_short(void)
{
	ok(fetch_is_short_name("alpine"), "alpine is short");
	ok(fetch_is_short_name("alpine:3.19"), "alpine:3.19 is short");
	ok(fetch_is_short_name("user/app@sha256:abc"), "user/app@digest is short");
	ok(fetch_is_short_name("a/b/c"), "a/b/c is short");
	ok(!fetch_is_short_name("docker.io/alpine"), "docker.io/alpine is qualified");
	ok(!fetch_is_short_name("localhost/app"), "localhost/app is qualified");
	ok(!fetch_is_short_name("host:5000/app"), "host:5000/app is qualified");
	ok(!fetch_is_short_name("Registry/app"), "an uppercase first component is a host (Docker)");
	ok(fetch_is_short_name("localhostx/app"), "localhostx/app is short");
}

static void test_resolve(void)
{
	struct oci_err *err = NULL;
	struct fetch_regconf c;

	/* nothing about short names: Docker's rule */
	is_resolved(NULL, NULL, "alpine", "docker.io/alpine [docker]");
	ok(parse("[[registry]]\nlocation = \"x.io\"\n", &c, &err) == 0, "a conf without search");
	is_resolved(&c, NULL, "user/app:1", "docker.io/user/app:1 [docker]");
	is_resolved(&c, NULL, "quay.io/app", "quay.io/app [qualified]");
	fetch_regconf_release(&c);

	/* search registries, in order (permissive by default) */
	ok(parse("unqualified-search-registries = [\"one.example:5000\", 'two.example']\n", &c,
		 &err) == 0,
	   "search list");
	is_resolved(&c, NULL, "app:1", "one.example:5000/app:1 | two.example/app:1 [search test.conf]");
	is_resolved(&c, NULL, "ns/app@sha256:abababababababababababababababababababababababababababababababab",
		    "one.example:5000/ns/app@sha256:abababababababababababababababababababababababababababababababab | two.example/ns/app@sha256:abababababababababababababababababababababababababababababababab [search test.conf]");
	fetch_regconf_release(&c);

	/* enforcing: one candidate is fine, several are an error naming them */
	ok(parse("unqualified-search-registries = [\"one.example\"]\nshort-name-mode = \"enforcing\"\n",
		 &c, &err) == 0,
	   "enforcing, one registry");
	is_resolved(&c, NULL, "app", "one.example/app [search test.conf]");
	fetch_regconf_release(&c);
	ok(parse("unqualified-search-registries = [\n  \"one.example\", # first\n  \"two.example\",\n]\n"
		 "short-name-mode = \"enforcing\"\n",
		 &c, &err) == 0,
	   "enforcing, two registries (multi-line array, comment, trailing comma)");
	is_resolved(&c, NULL, "app",
		    "error: short name 'app' is ambiguous: it could be 'one.example/app' or 'two.example/app', and short-name-mode is enforcing in 'test.conf' (use a fully-qualified name or an [aliases] entry)");
	/* a qualified name is not concerned */
	is_resolved(&c, NULL, "one.example/app", "one.example/app [qualified]");
	fetch_regconf_release(&c);

	/* disabled: every registry, no error */
	ok(parse("unqualified-search-registries = [\"a.example\", \"b.example\"]\n"
		 "short-name-mode = 'disabled'\n",
		 &c, &err) == 0,
	   "disabled");
	is_resolved(&c, NULL, "app", "a.example/app | b.example/app [search test.conf]");
	fetch_regconf_release(&c);

	/* an empty list: short names are refused */
	ok(parse("unqualified-search-registries = []\n", &c, &err) == 0, "empty search list");
	is_resolved(&c, NULL, "app",
		    "error: short name 'app' has no alias and unqualified-search-registries is empty in 'test.conf': use a fully-qualified name");
	fetch_regconf_release(&c);

	/* aliases win over the search list; tag and digest are kept */
	ok(parse("unqualified-search-registries = [\"a.example\", \"b.example\"]\n"
		 "short-name-mode = \"enforcing\"\n"
		 "[aliases]\n"
		 "\"app\" = \"c.example/team/app\"\n"
		 "\"ns/tool\" = \"localhost:5000/tools/tool\"\n",
		 &c, &err) == 0,
	   "aliases");
	is_resolved(&c, NULL, "app", "c.example/team/app [alias test.conf]");
	is_resolved(&c, NULL, "app:2", "c.example/team/app:2 [alias test.conf]");
	is_resolved(&c, NULL, "ns/tool@sha256:abababababababababababababababababababababababababababababababab", "localhost:5000/tools/tool@sha256:abababababababababababababababababababababababababababababababab [alias test.conf]");
	/* short-name-aliases.conf has precedence */
	struct fetch_regconf cache;
	memset(&cache, 0, sizeof(cache));
	ok(fetch_regconf_parse("[aliases]\n\"app\" = \"d.example/app\"\n", "cache.conf", &cache,
			       &err) == 0,
	   "cache aliases");
	is_resolved(&c, &cache, "app:1", "d.example/app:1 [alias cache.conf]");
	is_resolved(&c, &cache, "ns/tool", "localhost:5000/tools/tool [alias test.conf]");
	fetch_regconf_release(&cache);
	fetch_regconf_release(&c);
}

static void test_merge(void)
{
	struct oci_err *err = NULL;
	struct fetch_regconf c, d;
	parse("unqualified-search-registries = [\"a.example\"]\n"
	      "[aliases]\n\"app\" = \"a.example/app\"\n\"gone\" = \"a.example/gone\"\n"
	      "[[registry]]\nprefix = \"a.example\"\nlocation = \"a.example\"\n",
	      &c, &err);
	memset(&d, 0, sizeof(d));
	ok(fetch_regconf_parse("unqualified-search-registries = [\"b.example\", \"c.example\"]\n"
			       "short-name-mode = \"enforcing\"\n"
			       "[aliases]\n\"gone\" = \"\"\n\"new\" = \"b.example/new\"\n"
			       "[[registry]]\nprefix = \"a.example\"\nlocation = \"mirror.example\"\n",
			       "drop-in.conf", &d, &err) == 0,
	   "a drop-in");
	fetch_regconf_merge(&c, &d);
	is_int((int)c.n, 1, "same prefix: one [[registry]]");
	is_str(c.entries[0].location, "mirror.example", "the drop-in's table replaced it");
	is_str(c.search[0], "b.example", "the drop-in's search list");
	is_str(c.search_origin, "drop-in.conf", "its origin");
	ok(c.short_name_mode == FETCH_SHORT_NAME_ENFORCING, "the drop-in's mode");
	is_resolved(&c, NULL, "app", "a.example/app [alias test.conf]");
	is_resolved(&c, NULL, "new", "b.example/new [alias drop-in.conf]");
	/* "" erased the alias: the search list, enforcing with two */
	char *got = resolve(&c, NULL, "gone");
	ok(!strncmp(got, "error: short name 'gone' is ambiguous", 37), "an erased alias: %s", got);
	free(got);
	fetch_regconf_release(&c);
}

static void bad(const char *text, const char *want)
{
	struct fetch_regconf c;
	struct oci_err *err = NULL;
	int r = parse(text, &c, &err);
	ok(r == -EINVAL && err && !strcmp(err->msg, want), "refused: %s", err ? err->msg : "(accepted)");
	if (r == 0)
		fetch_regconf_release(&c);
	oci_err_clear(&err);
}

static void test_errors(void)
{
	bad("short-name-mode = \"strict\"\n",
	    "test.conf:1: short-name-mode must be enforcing, permissive or disabled");
	bad("unqualified-search-registries = \"a.example\"\n",
	    "test.conf:1: unqualified-search-registries must be an array of strings");
	bad("unqualified-search-registries = [\"a.example\"\n",
	    "test.conf:1: unqualified-search-registries must be an array of strings");
	bad("unqualified-search-registries = [\"a.example/ns\"]\n",
	    "test.conf:1: unqualified-search-registries: 'a.example/ns' is not a host[:port]");
	bad("[aliases]\n\"quay.io/app\" = \"quay.io/app\"\n",
	    "test.conf:2: alias 'quay.io/app': the name must be a short name without tag or digest");
	bad("[aliases]\n\"app:1\" = \"quay.io/app\"\n",
	    "test.conf:2: alias 'app:1': the name must be a short name without tag or digest");
	bad("[aliases]\n\"app\" = \"app\"\n",
	    "test.conf:2: alias 'app': the value must be a fully-qualified name without tag or digest");
	bad("[aliases]\n\"app\" = \"quay.io/app:1\"\n",
	    "test.conf:2: alias 'app': the value must be a fully-qualified name without tag or digest");
	bad("[aliases]\n\"app\" = \"quay.io/a\"\n\"app\" = \"quay.io/b\"\n",
	    "test.conf:3: duplicate key 'app'");
}

int main(void)
{
	test_is_short();
	test_resolve();
	test_merge();
	test_errors();
	done_testing();
	return exit_status();
}
