/* Fuzzes oci_image_name_parse (common/image_name.c) and its printed form. */
#include "fuzz.h"
#include "image_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct oci_image_name n = { 0 };
	struct oci_err *err = NULL;
	int rc = oci_image_name_parse(s, &n, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		char *back = oci_image_name_string(&n);
		struct oci_image_name again = { 0 };
		struct oci_err *err2 = NULL;
		if (oci_image_name_parse(back, &again, &err2) < 0)
			abort(); /* the printed form must parse */
		char *back2 = oci_image_name_string(&again);
		if (strcmp(back, back2) != 0)
			abort();
		free(back2);
		oci_image_name_release(&again);
		free(back);
	}
	oci_image_name_release(&n);
	oci_err_free(err);
	free(s);
	return 0;
}
