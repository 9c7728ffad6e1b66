/* WWW-Authenticate challenges, Content-Range, base64, loopback hosts. */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "tap.h"
#include "util.h"

static void challenge(const char *hdr, const char *scheme, const char *realm, const char *service,
		      const char *scope)
{
	struct fetch_challenge c;
	struct oci_err *err = NULL;
	int r = fetch_challenge_parse(hdr, &c, &err);
	if (!ok(r == 0, "parse: %s", hdr)) {
		diag("error: %s", err ? err->msg : "?");
		oci_err_free(err);
		return;
	}
	is_str(c.scheme, scheme, "  scheme");
	is_str(c.realm, realm, "  realm");
	is_str(c.service, service, "  service");
	is_str(c.scope, scope, "  scope");
	fetch_challenge_release(&c);
}

static void bad_challenge(const char *hdr)
{
	struct fetch_challenge c;
	struct oci_err *err = NULL;
	int r = fetch_challenge_parse(hdr, &c, &err);
	ok(r < 0 && err && strstr(err->msg, "WWW-Authenticate") == NULL ? 1 : r < 0,
	   "rejected: '%s' (%s)", hdr, err ? err->msg : "accepted");
	oci_err_free(err);
}

static void range(const char *s, int want, long long a, long long b, long long t)
{
	int64_t ra = -7, rb = -7, rt = -7;
	int r = fetch_content_range_parse(s, &ra, &rb, &rt);
	struct sbuf shown = SBUF_INIT; /* CR and LF would break the TAP line */
	for (const char *p = s; *p; p++)
		sbuf_addstr(&shown, *p == '\r' ? "\\r" : *p == '\n' ? "\\n" : (char[]){ *p, 0 });
	if (want < 0)
		ok(r < 0, "content-range rejected: '%s'", shown.buf);
	else
		ok(r == 0 && ra == a && rb == b && rt == t,
		   "content-range '%s' = %lld-%lld/%lld (got %lld-%lld/%lld)", shown.buf, a, b, t,
		   (long long)ra, (long long)rb, (long long)rt);
	sbuf_release(&shown);
}

int main(void)
{
	challenge("Bearer realm=\"https://auth.docker.io/token\",service=\"registry.docker.io\","
		  "scope=\"repository:library/alpine:pull\"",
		  "bearer", "https://auth.docker.io/token", "registry.docker.io",
		  "repository:library/alpine:pull");
	challenge("Basic realm=\"Registry Realm\"", "basic", "Registry Realm", NULL, NULL);
	challenge("bearer realm=\"http://127.0.0.1:5001/token\"", "bearer", "http://127.0.0.1:5001/token",
		  NULL, NULL);
	/* blanks around '=' and commas, unquoted token values */
	challenge("Bearer  realm = \"https://r/t\" , service=reg ,scope=\"a:b:pull,push\"", "bearer",
		  "https://r/t", "reg", "a:b:pull,push");
	/* quoted-pair escapes */
	challenge("Bearer realm=\"https://r/t\\\"x\\\"\"", "bearer", "https://r/t\"x\"", NULL, NULL);
	/* several challenges: an unknown scheme first, then ours */
	challenge("Negotiate abc==, Bearer realm=\"https://r/t\",service=\"s\"", "bearer", "https://r/t",
		  "s", NULL);
	/* the first known one wins; the second does not overwrite it */
	challenge("Basic realm=\"x\", Bearer realm=\"https://r/t\"", "basic", "x", NULL, NULL);
	/* error= is recorded (insufficient_scope) */
	{
		struct fetch_challenge c;
		struct oci_err *err = NULL;
		fetch_challenge_parse("Bearer realm=\"https://r\",error=\"insufficient_scope\",scope=\"s\"", &c,
				      &err);
		is_str(c.error, "insufficient_scope", "error parameter kept");
		fetch_challenge_release(&c);
	}
	bad_challenge("");
	bad_challenge("Negotiate abc");
	bad_challenge("Bearer service=\"x\"");
	/* an empty realm is no token server either */
	bad_challenge("Bearer realm=\"\",service=\"x\"");
	bad_challenge("Bearer realm=");

	range("bytes 0-99/100", 0, 0, 99, 100);
	range("bytes 100-199/1000", 0, 100, 199, 1000);
	range("bytes 5-9/*", 0, 5, 9, -1);
	range("  bytes 1-1/2\r\n", 0, 1, 1, 2);
	range("bytes 9-5/100", -1, 0, 0, 0);
	range("bytes 0-99/99", -1, 0, 0, 0);
	range("bytes -1-5/10", -1, 0, 0, 0);
	range("items 0-1/2", -1, 0, 0, 0);
	range("bytes 0-1/2x", -1, 0, 0, 0);
	range("bytes 0-/2", -1, 0, 0, 0);

	const char *samples[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar", "user:p@ss:w0rd" };
	const char *want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy",
			       "dXNlcjpwQHNzOncwcmQ=" };
	for (size_t i = 0; i < ARRAY_SIZE(samples); i++) {
		char *e = fetch_base64_encode(samples[i], strlen(samples[i]));
		is_str(e, want[i], "base64('%s')", samples[i]);
		char *d = NULL;
		size_t len = 0;
		int r = fetch_base64_decode(e, &d, &len);
		ok(r == 0 && len == strlen(samples[i]) && memcmp(d, samples[i], len) == 0,
		   "base64 round trip '%s'", samples[i]);
		free(e);
		free(d);
	}
	{
		char *d = NULL;
		size_t len;
		ok(fetch_base64_decode("ab$c", &d, &len) < 0, "invalid base64 rejected");
		free(d);
	}

	ok(fetch_host_is_loopback("localhost:5000"), "localhost:5000 is loopback");
	ok(fetch_host_is_loopback("127.0.0.1:5000"), "127.0.0.1:5000 is loopback");
	ok(fetch_host_is_loopback("127.10.0.3"), "127.10.0.3 is loopback");
	ok(fetch_host_is_loopback("[::1]:5000"), "[::1]:5000 is loopback");
	ok(!fetch_host_is_loopback("128.0.0.1:5000"), "128.0.0.1 is not");
	ok(!fetch_host_is_loopback("localhost.example.com"), "localhost.example.com is not");
	ok(!fetch_host_is_loopback("registry-1.docker.io"), "docker hub is not");

	is_int(fetch_retry_after_parse("120"), 120, "Retry-After: 120");
	is_int(fetch_retry_after_parse(" 0\r\n"), 0, "Retry-After: 0 with CRLF");
	is_int(fetch_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT"), 1, "Retry-After: a date");
	is_int(fetch_retry_after_parse("-5"), -1, "Retry-After: negative");
	is_int(fetch_retry_after_parse(""), -1, "Retry-After: empty");

	char *s = fetch_scope("a/b", true);
	is_str(s, "repository:a/b:pull,push", "push scope");
	free(s);
	done_testing();
	return exit_status();
}
