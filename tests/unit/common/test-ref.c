/* Image reference parsing, checked against the behaviour of Docker's
 * distribution/reference (ParseNormalizedNamed + TagNameOnly). */
#include <stdlib.h>
#include <string.h>

#include "ref.h"
#include "tap.h"
#include "util.h"

#define H64 "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"
#define D256 "sha256:" H64
#define H32 "0123456789abcdef0123456789abcdef"
#define D384 "sha384:" H32 H32 H32
#define D512 "sha512:" H64 H64
#define ID64 "1a3f5e7d9c1b3a5f7e9d1c3b5a7f9e1d3c5b7a9f1e3d5d7c9b1a3f5e7d9c1b3a"
#define BAD_LOWER(r) "invalid reference format: repository name (" r ") must be lowercase"

struct ref_case {
	const char *in;
	const char *string;   /* normalized; NULL: an error is expected */
	const char *familiar; /* or the expected error message */
};

static const struct ref_case cases[] = {
    /* Docker Hub: default domain, library/, latest */
    {"alpine", "docker.io/library/alpine:latest", "alpine:latest"},
    {"alpine:3.19", "docker.io/library/alpine:3.19", "alpine:3.19"},
    {"library/alpine", "docker.io/library/alpine:latest", "alpine:latest"},
    {"docker.io/alpine", "docker.io/library/alpine:latest", "alpine:latest"},
    {"docker.io/library/alpine:edge", "docker.io/library/alpine:edge", "alpine:edge"},
    {"index.docker.io/library/alpine", "docker.io/library/alpine:latest", "alpine:latest"},
    {"index.docker.io/alpine:1", "docker.io/library/alpine:1", "alpine:1"},
    {"index.docker.io/fooo/bar", "docker.io/fooo/bar:latest", "fooo/bar:latest"},
    {"user/app", "docker.io/user/app:latest", "user/app:latest"},
    {"user/app:v1.2", "docker.io/user/app:v1.2", "user/app:v1.2"},
    {"other/library", "docker.io/other/library:latest", "other/library:latest"},
    {"library/foo/bar", "docker.io/library/foo/bar:latest", "library/foo/bar:latest"},
    {"store/foo/bar", "docker.io/store/foo/bar:latest", "store/foo/bar:latest"},
    {"a/b/c/d/e", "docker.io/a/b/c/d/e:latest", "a/b/c/d/e:latest"},
    /* a Docker Hub path whose first component looks like a registry keeps
     * docker.io/ in the familiar form ("foo.com/app" would be another image) */
    {"docker.io/foo.com/app", "docker.io/foo.com/app:latest", "docker.io/foo.com/app:latest"},
    {"docker.io/localhost/app:1", "docker.io/localhost/app:1", "docker.io/localhost/app:1"},
    {"docker.io/library/foo.com", "docker.io/library/foo.com:latest", "foo.com:latest"},
    {"ubuntu-12.04-base", "docker.io/library/ubuntu-12.04-base:latest", "ubuntu-12.04-base:latest"},
    {"test_com/foo", "docker.io/test_com/foo:latest", "test_com/foo:latest"},
    {"dock__er/docker", "docker.io/dock__er/docker:latest", "dock__er/docker:latest"},
    {"docker---rules/docker", "docker.io/docker---rules/docker:latest",
     "docker---rules/docker:latest"},
    {"d/docker", "docker.io/d/docker:latest", "d/docker:latest"},
    {"thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev",
     "docker.io/library/thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest",
     "thisisthesongthatneverendsitgoesonandonandonthisisthesongthatnev:latest"},
    /* a 63-character hex name is a name */
    {"dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9",
     "docker.io/library/dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest",
     "dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9:latest"},
    /* a 64-hex name is accepted with an explicit domain */
    {"docker.io/" ID64, "docker.io/library/" ID64 ":latest", ID64 ":latest"},
    /* one word is never a domain, even when it looks like one */
    {"localhost", "docker.io/library/localhost:latest", "localhost:latest"},
    {"localhost:5000", "docker.io/library/localhost:5000", "localhost:5000"},
    {"example.com", "docker.io/library/example.com:latest", "example.com:latest"},
    {"192.168.0.1", "docker.io/library/192.168.0.1:latest", "192.168.0.1:latest"},
    {"192.168.0.1:80", "docker.io/library/192.168.0.1:80", "192.168.0.1:80"},
    {"alpine:5000", "docker.io/library/alpine:5000", "alpine:5000"},
    /* other registries */
    {"localhost/app", "localhost/app:latest", "localhost/app:latest"},
    {"localhost:5000/app:1", "localhost:5000/app:1", "localhost:5000/app:1"},
    {"localhost:5000/a/b/c", "localhost:5000/a/b/c:latest", "localhost:5000/a/b/c:latest"},
    {"example.com/app", "example.com/app:latest", "example.com/app:latest"},
    {"example.com:8000/private/moonbase", "example.com:8000/private/moonbase:latest",
     "example.com:8000/private/moonbase:latest"},
    {"127.0.0.1:5000/debian", "127.0.0.1:5000/debian:latest", "127.0.0.1:5000/debian:latest"},
    {"127.0.0.1:5000/library/debian", "127.0.0.1:5000/library/debian:latest",
     "127.0.0.1:5000/library/debian:latest"},
    {"192.168.0.1:8/debian", "192.168.0.1:8/debian:latest", "192.168.0.1:8/debian:latest"},
    {"test-com:8080/foo", "test-com:8080/foo:latest", "test-com:8080/foo:latest"},
    {"xn--n3h.com:18080/foo", "xn--n3h.com:18080/foo:latest", "xn--n3h.com:18080/foo:latest"},
    {"[::1]:5000/app", "[::1]:5000/app:latest", "[::1]:5000/app:latest"},
    {"[fc00::1]/app", "[fc00::1]/app:latest", "[fc00::1]/app:latest"},
    {"[fc00:1:2:3:4:5:6:7]:5000/library/debian", "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest",
     "[fc00:1:2:3:4:5:6:7]:5000/library/debian:latest"},
    /* an uppercase first component is a domain */
    {"Foo/bar", "Foo/bar:latest", "Foo/bar:latest"},
    {"FOO/bar:1", "FOO/bar:1", "FOO/bar:1"},
    /* '.' makes a domain candidate; when it is no valid host it stays in the path */
    {"a.b-c_d/x", "a.b-c_d/x:latest", "a.b-c_d/x:latest"},
    /* tags */
    {"alpine:Latest_1.0-x", "docker.io/library/alpine:Latest_1.0-x", "alpine:Latest_1.0-x"},
    {"alpine:_x", "docker.io/library/alpine:_x", "alpine:_x"},
    /* digests, with and without a tag: latest is not added to a digest */
    {"alpine@" D256, "docker.io/library/alpine@" D256, "alpine@" D256},
    {"alpine:3.19@" D256, "docker.io/library/alpine:3.19@" D256, "alpine:3.19@" D256},
    {"busybox:latest@" D256, "docker.io/library/busybox:latest@" D256, "busybox:latest@" D256},
    {"dmcgowan/myapp@" D256, "docker.io/dmcgowan/myapp@" D256, "dmcgowan/myapp@" D256},
    {"localhost:5000/app@" D256, "localhost:5000/app@" D256, "localhost:5000/app@" D256},
    {"registry.example.com:5000/team/app:1.0@" D256, "registry.example.com:5000/team/app:1.0@" D256,
     "registry.example.com:5000/team/app:1.0@" D256},
    {"alpine@" D384, "docker.io/library/alpine@" D384, "alpine@" D384},
    {"alpine@" D512, "docker.io/library/alpine@" D512, "alpine@" D512},

    /* errors, with Docker's messages */
    {"", NULL, "invalid reference format"},
    {"Alpine", NULL, BAD_LOWER("library/Alpine")},
    {"ALPINE:Latest", NULL, BAD_LOWER("library/ALPINE")},
    {"docker/Docker", NULL, BAD_LOWER("docker/Docker")},
    {"docker.io/docker/Docker", NULL, BAD_LOWER("docker/Docker")},
    {"example.com/App:1", NULL, BAD_LOWER("App")},
    {"Foo/Bar", NULL, BAD_LOWER("Bar")},
    {"Foo_Bar/baz", NULL, "repository name must be lowercase"},
    {ID64, NULL, "invalid repository name (" ID64 "), cannot specify 64-byte hexadecimal strings"},
    {"-docker", NULL, "invalid reference format"},
    {"-docker/docker", NULL, "invalid reference format"},
    {"docker-/docker", NULL, "invalid reference format"},
    {"-docker.io/docker/docker", NULL, "invalid reference format"},
    {"docker///docker", NULL, "invalid reference format"},
    {"docker.io/docker///docker", NULL, "invalid reference format"},
    {"docker/", NULL, "invalid reference format"},
    {"localhost:5000/", NULL, "invalid reference format"},
    {"____/____", NULL, "invalid reference format"},
    {"_docker/_docker", NULL, "invalid reference format"},
    {"dock..er/docker", NULL, "invalid reference format"},
    {"dock_.er/docker", NULL, "invalid reference format"},
    {"dock-.er/docker", NULL, "invalid reference format"},
    {"dock___er/docker", NULL, "invalid reference format"},
    {"https://github.com/docker/docker", NULL, "invalid reference format"},
    {"[fc00::1]", NULL, "invalid reference format"},
    {"[fc00::1]:5000", NULL, "invalid reference format"},
    {"fc00::1:5000/debian", NULL, "invalid reference format"},
    {"[fe80::1%eth0]:5000/debian", NULL, "invalid reference format"},
    {"[2001:db8:3:4::192.0.2.33]:5000/debian", NULL, "invalid reference format"},
    {"example.com:/foo", NULL, "invalid reference format"},
    {"example.com:50a/foo", NULL, "invalid reference format"},
    {"alpine:", NULL, "invalid reference format"},
    {"alpine:-tag", NULL, "invalid reference format"},
    {"alpine:.tag", NULL, "invalid reference format"},
    {"alpine:a/b", NULL, "invalid reference format"},
    {"alpine latest", NULL, "invalid reference format"},
    {"alpine:tag@", NULL, "invalid reference format"},
    {"a@b@c", NULL, "invalid reference format"},
    {"alpine@sha256:abc", NULL, "invalid reference format"},
    {"alpine@" H64, NULL, "invalid reference format"},
    {"alpine@sha256:" H32, NULL, "invalid checksum digest format"},
    {"alpine@sha256:DBCC1C35AC38DF41FD2F5E4130B32FFDB93EBAE8B3DBE638C23575912276FC9C", NULL,
     "invalid checksum digest format"},
    {"alpine@sha512:" H64, NULL, "invalid checksum digest format"},
    {"alpine@md5:" H32, NULL, "unsupported digest algorithm"},
    {"alpine@sha256+b64:" H64, NULL, "unsupported digest algorithm"},
    /* the lowercase check runs up to the first ':' of the remainder */
    {"alpine@Foo:" H32, NULL, BAD_LOWER("library/alpine@Foo")},
    {"alpine:1@Foo:" H32, NULL, "invalid checksum digest format"},
    {"alpine:1@x.y:" H32, NULL, "unsupported digest algorithm"},
    {"alpine:1@x..y:" H32, NULL, "invalid reference format"},
    {"alpine@SHA256:" H64, NULL, BAD_LOWER("library/alpine@SHA256")},
};

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void check_case(const struct ref_case *c)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_ref_ struct oci_ref ref = {0};
	int r = oci_ref_parse(c->in, &ref, &err);

	if (!c->string) {
		if (!ok(r < 0 && err, "'%s' is rejected", c->in))
			return;
		is_str(err->msg, c->familiar, "'%s': error message", c->in);
		return;
	}
	if (!ok(r == 0, "'%s' parses", c->in)) {
		diag("  error: %s", err ? err->msg : "(none)");
		return;
	}
	_cleanup_free_ char *s = oci_ref_string(&ref);
	_cleanup_free_ char *f = oci_ref_familiar(&ref);
	is_str(s, c->string, "'%s': normalized", c->in);
	is_str(f, c->familiar, "'%s': familiar", c->in);

	/* The normalized form parses back to itself. */
	_cleanup_err_ struct oci_err *err2 = NULL;
	_cleanup_ref_ struct oci_ref again = {0};
	_cleanup_free_ char *s2 = NULL;
	if (oci_ref_parse(s, &again, &err2) == 0)
		s2 = oci_ref_string(&again);
	is_str(s2, c->string, "'%s': normalized form is stable", c->in);
}

static void check_fields(void)
{
	_cleanup_err_ struct oci_err *err = NULL;
	{
		_cleanup_ref_ struct oci_ref r = {0};
		ok(oci_ref_parse("alpine", &r, &err) == 0, "fields: alpine parses");
		is_str(r.domain, "docker.io", "fields: domain");
		is_str(r.path, "library/alpine", "fields: path");
		is_str(r.tag, "latest", "fields: default tag");
		is_str(r.digest, NULL, "fields: no digest");
		_cleanup_free_ char *n = oci_ref_name(&r);
		is_str(n, "docker.io/library/alpine", "fields: name");
		is_str(oci_ref_registry_host(&r), "registry-1.docker.io",
		       "registry host of docker.io");
	}
	{
		_cleanup_ref_ struct oci_ref r = {0};
		ok(oci_ref_parse("localhost:5000/ns/app@" D256, &r, &err) == 0,
		   "fields: digest ref");
		is_str(r.domain, "localhost:5000", "fields: domain with port");
		is_str(r.path, "ns/app", "fields: path");
		is_str(r.tag, NULL, "fields: no tag added to a digest");
		is_str(r.digest, D256, "fields: digest");
		is_str(oci_ref_registry_host(&r), "localhost:5000", "registry host with port");
	}
	{
		_cleanup_ref_ struct oci_ref r = {0};
		ok(oci_ref_parse("a_b.c/foo", &r, &err) == 0, "fields: a_b.c/foo parses");
		is_str(r.domain, "", "fields: no domain for an invalid host");
		is_str(r.path, "a_b.c/foo", "fields: the whole name is the path");
		is_str(oci_ref_registry_host(&r), "", "registry host is empty without a domain");
	}
}

static void check_lengths(void)
{
	_cleanup_free_ char *a253 = repeat('a', 253), *a254 = repeat('a', 254);
	_cleanup_free_ char *ok255 = xasprintf("x/%s", a253);  /* path of 255 */
	_cleanup_free_ char *bad256 = xasprintf("x/%s", a254); /* path of 256 */
	_cleanup_free_ char *host_long = xasprintf("registry.example.com:5000/x/%s", a253);
	_cleanup_free_ char *t128 = repeat('t', 128), *t129 = repeat('t', 129);
	_cleanup_free_ char *tag128 = xasprintf("alpine:%s", t128);
	_cleanup_free_ char *tag129 = xasprintf("alpine:%s", t129);
	struct {
		const char *in, *err;
	} l[] = {
	    {ok255, NULL},
	    {bad256, "repository name must not be more than 255 characters"},
	    /* Only the path counts (distribution/reference v0.6), not the domain. */
	    {host_long, NULL},
	    {tag128, NULL},
	    {tag129, "invalid reference format"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(l); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_ref_ struct oci_ref r = {0};
		int rc = oci_ref_parse(l[i].in, &r, &err);
		if (!l[i].err)
			ok(rc == 0, "length case %zu parses (%zu chars)", i, strlen(l[i].in));
		else
			is_str(err ? err->msg : NULL, l[i].err, "length case %zu: %s", i, l[i].err);
	}
}

static void check_repo(void)
{
	struct {
		const char *in, *name, *err;
	} c[] = {
	    {"alpine", "docker.io/library/alpine", NULL},
	    {"localhost:5000/app", "localhost:5000/app", NULL},
	    {"index.docker.io/user/app", "docker.io/user/app", NULL},
	    {"alpine:1", NULL,
	     "invalid repository name 'alpine:1': a tag or digest is not allowed here"},
	    {"alpine@" D256, NULL,
	     "invalid repository name 'alpine@" D256 "': a tag or digest is not allowed here"},
	    {"Alpine", NULL, BAD_LOWER("library/Alpine")},
	};
	for (size_t i = 0; i < ARRAY_SIZE(c); i++) {
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_ref_ struct oci_ref r = {0};
		int rc = oci_ref_parse_repo(c[i].in, &r, &err);
		if (c[i].name) {
			_cleanup_free_ char *n = rc == 0 ? oci_ref_name(&r) : NULL;
			is_str(n, c[i].name, "repo '%s'", c[i].in);
			is_str(r.tag, NULL, "repo '%s' has no tag", c[i].in);
			_cleanup_free_ char *s = rc == 0 ? oci_ref_string(&r) : NULL;
			is_str(s, c[i].name, "repo '%s' string has no tag", c[i].in);
		} else {
			is_str(err ? err->msg : NULL, c[i].err, "repo '%s' is rejected", c[i].in);
		}
	}
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
	diag("%zu reference cases", ARRAY_SIZE(cases));
	check_fields();
	check_lengths();
	check_repo();
	{
		struct oci_ref r = {0};
		oci_ref_release(&r);
		oci_ref_release(NULL);
		ok(1, "release of an empty ref and of NULL");
	}
	done_testing();
	return exit_status();
}
