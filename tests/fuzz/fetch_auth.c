/* Fuzzes oci-fetch's header parsers (oci-fetch/auth.c): WWW-Authenticate
 * challenges, Content-Range and base64 decoding. */
#include "fetch.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct fetch_challenge c = { 0 };
	struct oci_err *err = NULL;
	int rc = fetch_challenge_parse(s, &c, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0 && (!c.scheme || (strcmp(c.scheme, "bearer") == 0 && (!c.realm || !*c.realm))))
		abort();
	fetch_challenge_release(&c);
	oci_err_free(err);

	int64_t start = 0, end = 0, total = 0;
	if (fetch_content_range_parse(s, &start, &end, &total) >= 0) {
		if (start < 0 || end < start || (total != -1 && total <= end))
			abort();
	}

	char *dec = NULL;
	size_t len = 0;
	if (fetch_base64_decode(s, &dec, &len) >= 0) {
		if (!dec || dec[len] != '\0')
			abort();
		char *enc = fetch_base64_encode(dec, len);
		char *dec2 = NULL;
		size_t len2 = 0;
		if (fetch_base64_decode(enc, &dec2, &len2) < 0 || len2 != len ||
		    memcmp(dec, dec2, len) != 0)
			abort();
		free(dec2);
		free(enc);
	}
	free(dec);
	free(s);
	return 0;
}
