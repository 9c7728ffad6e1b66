/* Fuzzes oci_platform_parse, normalize, string and match (common/platform.c). */
#include "fuzz.h"
#include "platform.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct oci_platform p = { 0 };
	struct oci_err *err = NULL;
	int rc = oci_platform_parse(s, &p, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		char *str = oci_platform_string(&p);
		struct oci_platform again = { 0 };
		struct oci_err *err2 = NULL;
		if (oci_platform_parse(str, &again, &err2) < 0)
			abort(); /* the printed form must parse */
		/* the printed form has no os.version: match it as WANT */
		if (!oci_platform_match(&again, &p))
			abort();
		oci_platform_release(&again);
		free(str);
		struct oci_platform host = { 0 };
		oci_platform_host(&host);
		(void)oci_platform_match(&p, &host);
		(void)oci_platform_match(&host, &p);
		oci_platform_normalize(&p);
		oci_platform_release(&host);
	}
	oci_platform_release(&p);
	oci_err_free(err);
	free(s);
	return 0;
}
