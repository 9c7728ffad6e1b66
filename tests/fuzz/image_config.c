/* Fuzzes oci_image_config_parse (common/image_config.c) and the chain IDs. */
#include "fuzz.h"
#include "image_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_image_config c = { 0 };
	struct oci_err *err = NULL;
	int rc = oci_image_config_parse((const char *)data, size, "fuzz", &c, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0 && c.n_diff_ids && c.n_diff_ids < 4096) {
		struct oci_digest *chain = calloc(c.n_diff_ids, sizeof(*chain));
		oci_chain_ids(c.diff_ids, c.n_diff_ids, chain);
		free(chain);
	}
	oci_image_config_release(&c);
	oci_err_free(err);
	return 0;
}
