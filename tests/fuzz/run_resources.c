/* Fuzzes oci-run's LinuxResources parser (oci-run/resources.c): a JSON
 * document, or (when the input has no '{') the `update` flags: the first
 * byte picks the flag, the rest is its value; also the size parsers. */
#include "fuzz.h"
#include "resources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_resources *r = NULL;
	struct oci_err *err = NULL;
	int rc = run_resources_parse((const char *)data, size, "fuzz", &r, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		struct run_resources *m = run_resources_new();
		run_resources_merge(m, r);
		run_resources_add_default_devices(m);
		run_resources_free(m);
	}
	run_resources_free(r);
	oci_err_free(err);
	err = NULL;

	if (size < 1)
		return 0;
	size_t nflags = 0;
	while (run_update_flags[nflags])
		nflags++;
	char *v = fuzz_str(data + 1, size - 1);
	struct run_resources *u = run_resources_new();
	rc = run_resources_set_flag(u, run_update_flags[data[0] % nflags], v, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	run_resources_free(u);
	int64_t n;
	(void)run_parse_memory_size(v, &n);
	(void)run_hugepage_size_bytes(v);
	free(v);
	return 0;
}
