/* Fuzzes oci-run's config.json parser (oci-run/spec.c run_spec_parse) and
 * the process document parser (run_process_parse, run_process_dup). */
#include "fuzz.h"
#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run_spec *s = NULL;
	struct oci_err *err = NULL;
	int rc = run_spec_parse((const char *)data, size, "/fuzz/bundle", &s, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0 && !s)
		abort();
	run_spec_free(s);
	oci_err_free(err);
	err = NULL;

	struct run_process *p = NULL;
	rc = run_process_parse((const char *)data, size, "process.json", &p, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		struct run_process *d = run_process_dup(p);
		run_process_free(d);
	}
	run_process_free(p);
	oci_err_free(err);
	return 0;
}
