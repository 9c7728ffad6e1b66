/* Fuzzes oci_digest_parse (common/digest.c): what it accepts is a known
 * algorithm, a colon and lowercase hex of the exact length. */
#include "digest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct oci_digest d;
	struct oci_err *err = NULL;
	int rc = oci_digest_parse(s, &d, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		const char *hex = oci_digest_hex(&d);
		size_t want = d.alg == OCI_DIGEST_SHA256 ? 64 : 128;
		if (strlen(hex) != want || strspn(hex, "0123456789abcdef") != want)
			abort();
		if (strcmp(d.str, s) != 0)
			abort();
		struct oci_digest again;
		if (oci_digest_parse(d.str, &again, NULL) < 0 || !oci_digest_equal(&d, &again))
			abort();
	}
	oci_err_free(err);
	free(s);
	return 0;
}
