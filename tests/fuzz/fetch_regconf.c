/* Fuzzes the registries.conf parser (oci-fetch/mirrors.c) and the endpoint
 * lookup for a few references. */
#include "fetch.h"
#include "fuzz.h"
#include "ref.h"

static const char *const refs[] = {
	"docker.io/library/alpine:3.19",
	"localhost:5000/a/b@sha256:0000000000000000000000000000000000000000000000000000000000000000",
	"quay.io/x/y",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct fetch_regconf c = { 0 };
	struct oci_err *err = NULL;
	int rc = fetch_regconf_parse(s, "fuzz.conf", &c, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	if (rc >= 0) {
		for (size_t i = 0; i < sizeof(refs) / sizeof(*refs); i++) {
			struct oci_ref r = { 0 };
			if (oci_ref_parse(refs[i], &r, NULL) < 0)
				abort();
			char *name = oci_ref_name(&r);
			(void)fetch_regconf_find(&c, name);
			free(name);
			for (int k = 0; k < 4; k++) {
				struct fetch_endpoint *e = NULL;
				size_t n = 0;
				struct oci_err *err2 = NULL;
				int r2 = fetch_endpoints(&c, &r, k & 1, k & 2, &e, &n, &err2);
				fuzz_check_err(r2, err2);
				if (r2 >= 0) {
					for (size_t j = 0; j < n; j++)
						if (!e[j].host || !e[j].repo)
							abort();
					fetch_endpoints_free(e, n);
				}
				oci_err_free(err2);
			}
			oci_ref_release(&r);
		}
	}
	fetch_regconf_release(&c);
	free(s);
	return 0;
}
