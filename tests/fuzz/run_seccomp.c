/* Fuzzes oci-run's seccomp profile parser (oci-run/seccomp.c
 * run_seccomp_parse) and, for small profiles, the BPF build with
 * libseccomp (run_seccomp_prepare; nothing is loaded). */
#include <jansson.h>

#include "fuzz.h"
#include "json.h"
#include "run_seccomp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	if (oci_json_load_buf((const char *)data, size, "fuzz", &j, NULL) < 0)
		return 0;
	struct run_seccomp *sc = NULL;
	struct oci_err *err = NULL;
	int rc = run_seccomp_parse(j, "linux.seccomp", &sc, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	err = NULL;
	if (rc >= 0 && sc && sc->n_rules < 64) {
		rc = run_seccomp_prepare(sc, &err);
		fuzz_check_err(rc, err);
		oci_err_free(err);
	}
	run_seccomp_free(sc);
	json_decref(j);
	return 0;
}
