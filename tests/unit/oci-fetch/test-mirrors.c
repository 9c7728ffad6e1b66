/* registries.conf parsing and the endpoints tried for a reference. */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "tap.h"

static const char conf[] =
	"# comment\n"
	"unqualified-search-registries = [\"docker.io\",\n"
	"   \"quay.io\"]   # multi-line array\n"
	"short-name-mode = \"enforcing\"\n"
	"\n"
	"[[registry]]\n"
	"prefix = \"example.com/foo\"\n"
	"location = \"internal.example.com/bar\"\n"
	"insecure = false\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = \"mirror-1.local:5000/m\"\n"
	"insecure = true\n"
	"\n"
	"[[registry.mirror]]\n"
	"location = 'mirror-2.local'\n"
	"pull-from-mirror = \"digest-only\"\n"
	"\n"
	"[[registry]]\n"
	"location = \"docker.io\"\n"
	"[[registry.mirror]]\n"
	"location = \"hub-mirror.local\"\n"
	"pull-from-mirror = \"tag-only\"\n"
	"\n"
	"[[registry]]\n"
	"prefix = \"*.blocked.org\"\n"
	"blocked = true\n"
	"\n"
	"[[registry]]\n"
	"location = \"plain.local:5000\"\n"
	"insecure = true\n"
	"[aliases]\n"
	"\"busybox\" = \"docker.io/library/busybox\"\n";

static void expect_endpoints(const struct fetch_regconf *c, const char *s, bool by_digest,
			     const char *want)
{
	struct oci_ref ref = { 0 };
	struct oci_err *err = NULL;
	if (oci_ref_parse(s, &ref, &err) < 0) {
		ok(0, "parse ref '%s': %s", s, err->msg);
		oci_err_free(err);
		return;
	}
	struct fetch_endpoint *e = NULL;
	size_t n = 0;
	struct sbuf sb = SBUF_INIT;
	if (fetch_endpoints(c, &ref, by_digest, false, &e, &n, &err) < 0) {
		sbuf_addf(&sb, "error: %s", err->msg);
		oci_err_free(err);
	}
	for (size_t i = 0; i < n; i++)
		sbuf_addf(&sb, "%s%s%s/%s", i ? " " : "", e[i].insecure ? "!" : "", e[i].host,
			  e[i].repo);
	is_str(sb.buf, want, "endpoints of %s%s", s, by_digest ? " (by digest)" : "");
	sbuf_release(&sb);
	fetch_endpoints_free(e, n);
	oci_ref_release(&ref);
}

static void bad(const char *text, const char *want_in_msg)
{
	struct fetch_regconf c;
	struct oci_err *err = NULL;
	int r = fetch_regconf_parse(text, "r.conf", &c, &err);
	ok(r < 0 && err && strstr(err->msg, want_in_msg), "rejected with '%s' (%s)", want_in_msg,
	   err ? err->msg : "accepted");
	if (r >= 0)
		fetch_regconf_release(&c);
	oci_err_free(err);
}

int main(void)
{
	struct fetch_regconf c;
	struct oci_err *err = NULL;
	int r = fetch_regconf_parse(conf, "registries.conf", &c, &err);
	if (!ok(r == 0, "parse the sample registries.conf")) {
		diag("%s", err->msg);
		return 1;
	}
	is_int(c.n, 4, "four [[registry]] tables");
	is_str(c.entries[0].prefix, "example.com/foo", "prefix");
	is_str(c.entries[0].location, "internal.example.com/bar", "location");
	is_int(c.entries[0].n_mirrors, 2, "two mirrors");
	ok(c.entries[0].mirrors[0].insecure, "first mirror insecure");
	is_str(c.entries[0].mirrors[1].location, "mirror-2.local", "literal string");
	is_str(c.entries[0].mirrors[1].pull_from_mirror, "digest-only", "pull-from-mirror");
	is_str(c.entries[1].prefix, "docker.io", "prefix defaults to location");
	ok(c.entries[2].blocked, "blocked");
	ok(c.entries[3].insecure, "insecure registry");

	expect_endpoints(&c, "example.com/foo/app:1", false,
			 "!mirror-1.local:5000/m/app internal.example.com/bar/app");
	expect_endpoints(&c, "example.com/foo/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			 true, "!mirror-1.local:5000/m/app mirror-2.local/app internal.example.com/bar/app");
	/* prefix matches whole path components only */
	expect_endpoints(&c, "example.com/foobar/app", false, "example.com/foobar/app");
	expect_endpoints(&c, "alpine", false,
			 "hub-mirror.local/library/alpine registry-1.docker.io/library/alpine");
	expect_endpoints(&c, "alpine@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			 true, "registry-1.docker.io/library/alpine");
	expect_endpoints(&c, "x.blocked.org/a/b", false,
			 "error: registry for 'x.blocked.org/a/b' is blocked in registries.conf (prefix '*.blocked.org')");
	expect_endpoints(&c, "plain.local:5000/a", false, "!plain.local:5000/a");
	expect_endpoints(&c, "quay.io/a/b:1", false, "quay.io/a/b");
	fetch_regconf_release(&c);

	/* no configuration at all */
	struct fetch_regconf empty = { 0 };
	expect_endpoints(&empty, "localhost:5000/x", false, "localhost:5000/x");

	bad("[[registry]]\nprefix = \"x\n", "r.conf:2");
	bad("[[registry.mirror]]\nlocation = \"m\"\n", "before any [[registry]]");
	bad("[[registry]]\ninsecure = true\n", "neither prefix nor location");
	bad("[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\ninsecure = true\n", "has no location");
	bad("[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"m\"\npull-from-mirror = \"sometimes\"\n",
	    "pull-from-mirror");
	bad("[[registry]\n", "r.conf:1");
	bad("just words\n", "r.conf:1");
	bad("[[registry]]\nlocation = maybe\n", "invalid value for 'location'");
	/* TOML forbids a key twice in one table (a second prefix used to leak the first) */
	bad("[[registry]]\nprefix = \"a\"\nlocation = \"b\"\nprefix = \"c\"\n",
	    "r.conf:4: duplicate key 'prefix'");
	bad("[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\nlocation = \"m\"\nlocation = \"n\"\n",
	    "r.conf:5: duplicate key 'location'");
	{
		struct fetch_regconf c2;
		struct oci_err *err2 = NULL;
		int r2 = fetch_regconf_parse("[[registry]]\nlocation = \"a\"\n[[registry.mirror]]\n"
					    "location = \"m\"\n[[registry]]\nlocation = \"b\"\n",
					    "r.conf", &c2, &err2);
		ok(r2 == 0 && c2.n == 2, "the same key in the next table is no duplicate (%s)",
		   err2 ? err2->msg : "ok");
		if (r2 == 0)
			fetch_regconf_release(&c2);
		oci_err_free(err2);
	}
	done_testing();
	return exit_status();
}
