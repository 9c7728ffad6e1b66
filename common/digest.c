/* Content digests "alg:hex" (sha256, sha512) through OpenSSL's EVP API. */
#include "digest.h"

#include <string.h>
#include <openssl/evp.h>

#include "util.h"

struct oci_hasher {
	enum oci_digest_alg alg;
	EVP_MD_CTX *ctx;
};

static const struct {
	const char *name;
	size_t hex_len;
} algs[] = {
    [OCI_DIGEST_SHA256] = {"sha256", 64},
    [OCI_DIGEST_SHA512] = {"sha512", 128},
};

const char *oci_digest_alg_name(enum oci_digest_alg alg)
{
	if ((size_t)alg >= ARRAY_SIZE(algs))
		return "unknown";
	return algs[alg].name;
}

static const EVP_MD *alg_md(enum oci_digest_alg alg)
{
	return alg == OCI_DIGEST_SHA512 ? EVP_sha512() : EVP_sha256();
}

int oci_digest_parse(const char *s, struct oci_digest *ret, struct oci_err **err)
{
	if (!s)
		return oci_err_set(err, EINVAL, "invalid digest: missing");
	const char *colon = strchr(s, ':');
	if (!colon)
		return oci_err_set(err, EINVAL, "invalid digest '%s': expected 'algorithm:hex'", s);
	size_t alen = (size_t)(colon - s);
	const char *hex = colon + 1;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(algs); i++)
		if (strlen(algs[i].name) == alen && memcmp(algs[i].name, s, alen) == 0)
			break;
	if (i == ARRAY_SIZE(algs))
		return oci_err_set(
		    err, EINVAL,
		    "invalid digest '%s': unsupported algorithm '%.*s' (use sha256 or sha512)", s,
		    (int)alen, s);
	size_t hlen = strlen(hex);
	if (hlen != algs[i].hex_len)
		return oci_err_set(err, EINVAL,
				   "invalid digest '%s': %s needs %zu hex digits, got %zu", s,
				   algs[i].name, algs[i].hex_len, hlen);
	for (size_t k = 0; k < hlen; k++) {
		char c = hex[k];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return oci_err_set(err, EINVAL,
					   "invalid digest '%s': '%c' is not a lowercase hex digit",
					   s, c);
	}
	ret->alg = (enum oci_digest_alg)i;
	memcpy(ret->str, s, alen + 1 + hlen);
	ret->str[alen + 1 + hlen] = '\0';
	return 0;
}

const char *oci_digest_hex(const struct oci_digest *d)
{
	const char *c = strchr(d->str, ':');
	return c ? c + 1 : d->str;
}

bool oci_digest_equal(const struct oci_digest *a, const struct oci_digest *b)
{
	return a->alg == b->alg && streq(a->str, b->str);
}

struct oci_hasher *oci_hasher_new(enum oci_digest_alg alg)
{
	struct oci_hasher *h = xcalloc(1, sizeof(*h));
	h->alg = alg;
	h->ctx = EVP_MD_CTX_new();
	if (!h->ctx || EVP_DigestInit_ex(h->ctx, alg_md(alg), NULL) != 1)
		abort(); /* only fails on out-of-memory */
	return h;
}

void oci_hasher_update(struct oci_hasher *h, const void *data, size_t len)
{
	if (len && EVP_DigestUpdate(h->ctx, data, len) != 1)
		abort();
}

static void format_digest(enum oci_digest_alg alg, const unsigned char *md, unsigned n,
			  struct oci_digest *ret)
{
	static const char hexd[] = "0123456789abcdef";
	size_t off = strlen(algs[alg].name);
	memcpy(ret->str, algs[alg].name, off);
	ret->str[off++] = ':';
	for (unsigned i = 0; i < n; i++) {
		ret->str[off++] = hexd[md[i] >> 4];
		ret->str[off++] = hexd[md[i] & 15];
	}
	ret->str[off] = '\0';
	ret->alg = alg;
}

void oci_hasher_final(struct oci_hasher *h, struct oci_digest *ret)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;
	if (EVP_DigestFinal_ex(h->ctx, md, &n) != 1)
		abort();
	format_digest(h->alg, md, n, ret);
}

struct oci_hasher *oci_hasher_dup(const struct oci_hasher *h)
{
	struct oci_hasher *c = xcalloc(1, sizeof(*c));
	c->alg = h->alg;
	c->ctx = EVP_MD_CTX_new();
	if (!c->ctx || EVP_MD_CTX_copy_ex(c->ctx, h->ctx) != 1)
		abort();
	return c;
}

void oci_hasher_free(struct oci_hasher *h)
{
	if (!h)
		return;
	EVP_MD_CTX_free(h->ctx);
	free(h);
}

void oci_digest_buf(enum oci_digest_alg alg, const void *data, size_t len, struct oci_digest *ret)
{
	_cleanup_(oci_hasher_freep) struct oci_hasher *h = oci_hasher_new(alg);
	oci_hasher_update(h, data, len);
	oci_hasher_final(h, ret);
}

int oci_digest_fd(enum oci_digest_alg alg, int fd, struct oci_digest *ret, off_t *ret_size,
		  struct oci_err **err)
{
	_cleanup_(oci_hasher_freep) struct oci_hasher *h = oci_hasher_new(alg);
	_cleanup_free_ char *buf = xmalloc(1 << 16);
	off_t total = 0;
	for (;;) {
		ssize_t n = read(fd, buf, 1 << 16);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_sys(err, "read");
		}
		if (n == 0)
			break;
		oci_hasher_update(h, buf, (size_t)n);
		total += n;
	}
	oci_hasher_final(h, ret);
	if (ret_size)
		*ret_size = total;
	return 0;
}

int oci_digest_verify(const struct oci_digest *expected, const struct oci_digest *got,
		      const char *what, struct oci_err **err)
{
	if (oci_digest_equal(expected, got))
		return 0;
	return oci_err_set(err, EILSEQ, "digest mismatch for %s: expected %s, got %s",
			   what ? what : "content", expected->str, got->str);
}
