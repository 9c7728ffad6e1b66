/* Unit tests for common/digest.c. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "tap.h"
#include "util.h"

#define ABC256 "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
#define ABC512                                                                                     \
	"sha512:ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274"       \
	"fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
#define EMPTY256 "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

static void parse_bad(const char *s, const char *want_in_msg)
{
	struct oci_digest d;
	struct oci_err *err = NULL;
	int r = oci_digest_parse(s, &d, &err);
	ok(r == -EINVAL && err && strstr(err->msg, want_in_msg), "rejects '%s' (%s)", s,
	   err ? err->msg : "no error");
	oci_err_free(err);
}

int main(void)
{
	struct oci_digest d, e;
	struct oci_err *err = NULL;

	/* parse */
	is_int(oci_digest_parse(ABC256, &d, &err), 0, "parses a sha256 digest");
	is_str(d.str, ABC256, "keeps the string");
	is_int(d.alg, OCI_DIGEST_SHA256, "alg is sha256");
	is_str(oci_digest_hex(&d), ABC256 + 7, "hex part");
	is_int(oci_digest_parse(ABC512, &e, &err), 0, "parses a sha512 digest");
	is_int(e.alg, OCI_DIGEST_SHA512, "alg is sha512");
	is_str(oci_digest_alg_name(e.alg), "sha512", "alg name");
	ok(!oci_digest_equal(&d, &e), "different digests are not equal");
	ok(err == NULL, "no error set on success");

	parse_bad("sha256:abc", "needs 64 hex digits");
	parse_bad(ABC256 "0", "needs 64 hex digits");
	parse_bad("sha256:BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD",
		  "lowercase hex");
	parse_bad("sha256:zz7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "lowercase hex");
	parse_bad("md5:d41d8cd98f00b204e9800998ecf8427e", "unsupported algorithm 'md5'");
	parse_bad("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "expected 'algorithm:hex'");
	parse_bad("", "expected 'algorithm:hex'");
	parse_bad("sha256:", "needs 64 hex digits");
	parse_bad("sha512:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "needs 128 hex digits");
	parse_bad(":abc", "unsupported algorithm");

	/* known vectors */
	oci_digest_buf(OCI_DIGEST_SHA256, "abc", 3, &d);
	is_str(d.str, ABC256, "sha256('abc')");
	oci_digest_buf(OCI_DIGEST_SHA512, "abc", 3, &d);
	is_str(d.str, ABC512, "sha512('abc')");
	oci_digest_buf(OCI_DIGEST_SHA256, "", 0, &d);
	is_str(d.str, EMPTY256, "sha256('')");
	/* FIPS 180-2 two-block vector */
	const char *v2 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	oci_digest_buf(OCI_DIGEST_SHA256, v2, strlen(v2), &d);
	is_str(d.str, "sha256:248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
	       "sha256 of the 448-bit FIPS vector");

	/* streaming == one-shot, over a buffer that is not a block multiple */
	size_t n = 1000003;
	_cleanup_free_ unsigned char *big = xmalloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (unsigned char)(i * 31 + (i >> 7));
	for (int a = 0; a < 2; a++) {
		struct oci_digest one, str;
		oci_digest_buf((enum oci_digest_alg)a, big, n, &one);
		struct oci_hasher *h = oci_hasher_new((enum oci_digest_alg)a);
		size_t off = 0, step = 1;
		while (off < n) {
			size_t k = step < n - off ? step : n - off;
			oci_hasher_update(h, big + off, k);
			off += k;
			step = step * 3 + 1;
		}
		oci_hasher_final(h, &str);
		oci_hasher_free(h);
		is_str(str.str, one.str, "%s: streaming in uneven chunks equals one-shot",
		       oci_digest_alg_name((enum oci_digest_alg)a));
	}

	/* dup: the copy continues independently */
	{
		struct oci_hasher *h = oci_hasher_new(OCI_DIGEST_SHA256);
		oci_hasher_update(h, "ab", 2);
		struct oci_hasher *c = oci_hasher_dup(h);
		oci_hasher_update(h, "c", 1);
		oci_hasher_update(c, "x", 1);
		struct oci_digest dh, dc, want;
		oci_hasher_final(h, &dh);
		oci_hasher_final(c, &dc);
		oci_digest_buf(OCI_DIGEST_SHA256, "abx", 3, &want);
		is_str(dh.str, ABC256, "original after dup hashes 'abc'");
		is_str(dc.str, want.str, "dup hashes 'abx'");
		oci_hasher_free(h);
		oci_hasher_free(c);
		oci_hasher_free(NULL);
		ok(1, "oci_hasher_free(NULL) is a no-op");
	}

	/* fd */
	{
		char tmpl[] = "/tmp/test-digest.XXXXXX";
		int fd = mkstemp(tmpl);
		ok(fd >= 0 && write(fd, big, n) == (ssize_t)n, "wrote a temporary file");
		lseek(fd, 0, SEEK_SET);
		off_t size = 0;
		struct oci_digest one;
		oci_digest_buf(OCI_DIGEST_SHA512, big, n, &one);
		is_int(oci_digest_fd(OCI_DIGEST_SHA512, fd, &d, &size, &err), 0, "oci_digest_fd");
		is_str(d.str, one.str, "fd digest equals buffer digest");
		is_int(size, n, "fd size");
		close(fd);
		unlink(tmpl);
	}

	/* verify */
	oci_digest_parse(ABC256, &d, NULL);
	oci_digest_parse(EMPTY256, &e, NULL);
	is_int(oci_digest_verify(&d, &d, "blob", &err), 0, "verify equal digests");
	ok(oci_digest_verify(&d, &e, "layer 'x'", &err) < 0 && err &&
	       strstr(err->msg,
		      "digest mismatch for layer 'x': expected " ABC256 ", got " EMPTY256),
	   "verify names both digests: %s", err ? err->msg : "");
	oci_err_clear(&err);

	done_testing();
	return exit_status();
}
