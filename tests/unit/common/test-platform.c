/* Platform parsing, normalization and matching, after containerd's
 * platforms package. */
#include <stdlib.h>
#include <string.h>

#include "platform.h"
#include "tap.h"
#include "util.h"

struct parse_case {
	const char *in;
	const char *want;  /* oci_platform_string, "%H" = host arch; NULL: error */
	const char *extra; /* os_version, or the expected error */
};

static const struct parse_case cases[] = {
    {"linux/amd64", "linux/amd64", NULL},
    {"linux/x86_64", "linux/amd64", NULL},
    {"linux/x86-64", "linux/amd64", NULL},
    {"Linux/AMD64", "linux/amd64", NULL},
    {"linux/amd64/v1", "linux/amd64", NULL},
    {"linux/amd64/v3", "linux/amd64/v3", NULL},
    {"linux/aarch64", "linux/arm64", NULL},
    {"linux/arm64", "linux/arm64", NULL},
    {"linux/arm64/v8", "linux/arm64/v8", NULL},
    {"linux/arm64/8", "linux/arm64/v8", NULL},
    {"linux/aarch64/v8", "linux/arm64/v8", NULL},
    {"linux/arm64/v9", "linux/arm64/v9", NULL},
    {"linux/arm", "linux/arm", NULL},
    {"linux/arm/v7", "linux/arm/v7", NULL},
    {"linux/arm/7", "linux/arm/v7", NULL},
    {"linux/arm/v6", "linux/arm/v6", NULL},
    {"linux/arm/6", "linux/arm/v6", NULL},
    {"linux/arm/5", "linux/arm/v5", NULL},
    {"linux/armhf", "linux/arm", NULL},
    {"linux/armel", "linux/arm/v6", NULL},
    {"linux/i386", "linux/386", NULL},
    {"linux/386", "linux/386", NULL},
    {"linux/ppc64le", "linux/ppc64le", NULL},
    {"linux/s390x", "linux/s390x", NULL},
    {"linux/riscv64", "linux/riscv64", NULL},
    {"linux/mystery", "linux/mystery", NULL}, /* os/arch pairs are not checked */
    {"macos/arm64", "darwin/arm64", NULL},
    {"windows/amd64", "windows/amd64", NULL},
    {"windows(10.0.17763)/amd64", "windows/amd64", "10.0.17763"},
    {"windows(10.0.17763+win32k)/amd64", "windows/amd64", "10.0.17763"},
    {"windows(10%2E0)/amd64", "windows/amd64", "10.0"},
    /* one component: an os gets the host's arch, an arch the host's os */
    {"linux", "linux/%H", NULL},
    {"Windows", "windows/%H", NULL},
    {"arm64", "linux/arm64", NULL},
    {"aarch64", "linux/arm64", NULL},
    {"x86_64", "linux/amd64", NULL},
    {"armhf", "linux/arm", NULL},
    {"armel", "linux/arm/v6", NULL},
    {"i386", "linux/386", NULL},
    /* errors */
    {"", NULL, "invalid platform '': '' is not a valid os"},
    {"/amd64", NULL, "invalid platform '/amd64': '' is not a valid os"},
    {"linux/", NULL, "invalid platform 'linux/': '' is not a valid component"},
    {"linux/amd 64", NULL, "invalid platform 'linux/amd 64': 'amd 64' is not a valid component"},
    {"linux//v7", NULL, "invalid platform 'linux//v7': '' is not a valid component"},
    {"linux/amd64/v8/x", NULL,
     "invalid platform 'linux/amd64/v8/x': too many components (expected os[/arch[/variant]])"},
    {"linux/*", NULL, "invalid platform 'linux/*': wildcards are not supported"},
    {"foo", NULL, "invalid platform 'foo': unknown operating system or architecture"},
    {"linux(/amd64", NULL, "invalid platform 'linux(/amd64': 'linux(' is not a valid os"},
    {"windows(1+)/amd64", NULL,
     "invalid platform 'windows(1+)/amd64': 'windows(1+)' is not a valid os"},
    {"windows(10%zz)/amd64", NULL,
     "invalid platform 'windows(10%zz)/amd64': invalid os version '10%zz'"},
};

static void check_parse(const struct parse_case *c, const char *host_arch)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_platform_ struct oci_platform p = {0};
	int r = oci_platform_parse(c->in, &p, &err);

	if (!c->want) {
		ok(r < 0, "'%s' is rejected", c->in);
		is_str(err ? err->msg : NULL, c->extra, "'%s': error message", c->in);
		return;
	}
	if (!ok(r == 0, "'%s' parses", c->in)) {
		diag("  error: %s", err ? err->msg : "(none)");
		return;
	}
	_cleanup_free_ char *want = NULL;
	const char *h = strstr(c->want, "%H");
	if (h)
		want = xasprintf("%.*s%s", (int)(h - c->want), c->want, host_arch);
	else
		want = xstrdup(c->want);
	_cleanup_free_ char *s = oci_platform_string(&p);
	is_str(s, want, "'%s' is %s", c->in, c->want);
	is_str(p.os_version, c->extra, "'%s': os version", c->in);
}

static void check_normalize(void)
{
	struct {
		const char *os, *arch, *variant;
		const char *want_os, *want_arch, *want_variant;
	} n[] = {
	    {"Linux", "aarch64", NULL, "linux", "arm64", NULL},
	    {"linux", "arm64", "v8", "linux", "arm64", NULL},
	    {"linux", "arm", NULL, "linux", "arm", "v7"},
	    {"linux", "armhf", NULL, "linux", "arm", "v7"},
	    {"linux", "armel", NULL, "linux", "arm", "v6"},
	    {"linux", "x86_64", "v1", "linux", "amd64", NULL},
	    {"linux", "X86_64", "V2", "linux", "amd64", "v2"},
	    {"linux", "i386", "v5", "linux", "386", NULL},
	    {"macos", "arm64", NULL, "darwin", "arm64", NULL},
	    {NULL, "amd64", NULL, "linux", "amd64", NULL},
	};
	for (size_t i = 0; i < ARRAY_SIZE(n); i++) {
		_cleanup_platform_ struct oci_platform p = {
		    .os = n[i].os ? xstrdup(n[i].os) : NULL,
		    .arch = xstrdup(n[i].arch),
		    .variant = n[i].variant ? xstrdup(n[i].variant) : NULL,
		};
		oci_platform_normalize(&p);
		ok(streq(p.os, n[i].want_os) && streq(p.arch, n[i].want_arch) &&
		       ((!p.variant && !n[i].want_variant) ||
			(p.variant && n[i].want_variant && streq(p.variant, n[i].want_variant))),
		   "normalize %s/%s/%s -> %s/%s/%s", n[i].os ? n[i].os : "(null)", n[i].arch,
		   n[i].variant ? n[i].variant : "-", n[i].want_os, n[i].want_arch,
		   n[i].want_variant ? n[i].want_variant : "-");
	}
}

static void parse_or_die(const char *s, struct oci_platform *p)
{
	_cleanup_err_ struct oci_err *err = NULL;
	if (oci_platform_parse(s, p, &err) < 0) {
		diag("cannot parse '%s': %s", s, err->msg);
		abort();
	}
}

static void check_match(void)
{
	struct {
		const char *want, *have;
		bool match;
	} m[] = {
	    {"linux/arm64", "linux/arm64/v8", true},
	    {"linux/arm64/v8", "linux/arm64", true},
	    {"linux/arm64/v8", "linux/aarch64", true},
	    {"linux/arm/v7", "linux/arm", true},
	    {"linux/arm/v7", "linux/armhf", true},
	    {"linux/arm/v6", "linux/arm", false},
	    {"linux/arm/v6", "linux/armel", true},
	    {"linux/arm", "linux/arm/v6", true}, /* no variant asked for */
	    {"linux/amd64", "linux/arm64", false},
	    {"linux/amd64", "windows/amd64", false},
	    {"linux/amd64", "Linux/x86_64", true},
	    {"linux/amd64/v1", "linux/amd64", true},
	    {"linux/amd64/v3", "linux/amd64", false},
	    {"linux/386", "linux/i386", true},
	    {"windows(10.0.17763)/amd64", "windows(10.0.17763.5458)/amd64", true},
	    {"windows(10.0.17763)/amd64", "windows(10.0.20348.1)/amd64", false},
	    {"windows(10.0.17763)/amd64", "windows(10.0.177631)/amd64", false},
	    {"windows/amd64", "windows(10.0.20348.1)/amd64", true},
	};
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		_cleanup_platform_ struct oci_platform w = {0}, h = {0};
		parse_or_die(m[i].want, &w);
		parse_or_die(m[i].have, &h);
		is_int(oci_platform_match(&w, &h), m[i].match, "want %s, have %s: %s", m[i].want,
		       m[i].have, m[i].match ? "match" : "no match");
	}
	/* raw structs as they come from an image index */
	struct oci_platform want = {.os = "linux", .arch = "arm64"};
	struct oci_platform have = {.os = "linux", .arch = "arm64", .variant = "v8"};
	ok(oci_platform_match(&want, &have), "index entry arm64/v8 matches linux/arm64");
	struct oci_platform want_v7 = {.os = "linux", .arch = "arm", .variant = "v7"};
	struct oci_platform have_arm = {.os = "linux", .arch = "arm"};
	ok(oci_platform_match(&want_v7, &have_arm), "index entry arm (no variant) is arm/v7");
}

int main(void)
{
	_cleanup_platform_ struct oci_platform host = {0};
	oci_platform_host(&host);
	ok(host.os && host.arch && *host.arch, "host platform has os and arch");
	is_str(host.os, "linux", "host os is linux");
#if defined(__x86_64__)
	is_str(host.arch, "amd64", "host arch of an x86_64 build is amd64");
	is_str(host.variant, NULL, "no variant on amd64");
#elif defined(__aarch64__)
	is_str(host.arch, "arm64", "host arch of an aarch64 build is arm64");
	is_str(host.variant, "v8", "arm64 host has variant v8");
#endif
	_cleanup_free_ char *hs = oci_platform_string(&host);
	diag("host platform: %s", hs);
	{
		_cleanup_platform_ struct oci_platform p = {0};
		parse_or_die(hs, &p);
		ok(oci_platform_match(&p, &host), "the host's own string matches the host");
	}

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_parse(&cases[i], host.arch);
	check_normalize();
	check_match();

	struct oci_platform empty = {0};
	_cleanup_free_ char *u = oci_platform_string(&empty);
	is_str(u, "unknown", "string of an empty platform");
	oci_platform_release(&empty);
	oci_platform_release(NULL);
	ok(1, "release of an empty platform and of NULL");
	done_testing();
	return exit_status();
}
