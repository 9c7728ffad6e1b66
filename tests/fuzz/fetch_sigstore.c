/* Fuzzes oci-fetch's sigstore signature inputs (oci-fetch/sigstore.c), which
 * come from a registry: the simple-signing payload parser (strict, as
 * containers/image parses it) and the strict base64 decoder of the
 * signature annotation. A payload that parses is written again by
 * fetch_sigstore_payload_make and must parse back to the same fields. */
#include "digest.h"
#include "fuzz.h"
#include "sigstore.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_err *err = NULL;
	char *s = fuzz_str(data, size);
	char *raw = NULL;
	size_t raw_len = 0;
	if (fetch_base64_decode_strict(s, &raw, &raw_len) == 0)
		free(raw);
	free(s);

	struct fetch_sigstore_payload p = {0};
	int rc = fetch_sigstore_payload_parse((const char *)data, size, &p, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	err = NULL;
	if (rc >= 0) {
		char *again = fetch_sigstore_payload_make(&p.digest, p.docker_reference,
							  p.has_timestamp ? p.timestamp : 0);
		struct fetch_sigstore_payload q = {0};
		if (fetch_sigstore_payload_parse(again, strlen(again), &q, &err) < 0)
			abort();
		if (strcmp(p.digest.str, q.digest.str) != 0 ||
		    strcmp(p.docker_reference, q.docker_reference) != 0)
			abort();
		fetch_sigstore_payload_release(&q);
		free(again);
	}
	fetch_sigstore_payload_release(&p);
	oci_err_free(err);
	return 0;
}
