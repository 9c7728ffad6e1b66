/* Fuzzes oci_ref_parse and oci_ref_parse_repo (common/ref.c); what parses
 * must print back to a string that parses to the same reference. */
#include "fuzz.h"
#include "ref.h"
#include "util.h"

static void check_roundtrip(const struct oci_ref *r)
{
	char *s = oci_ref_string(r);
	char *name = oci_ref_name(r);
	char *fam = oci_ref_familiar(r);
	(void)oci_ref_registry_host(r);
	struct oci_ref again = { 0 };
	struct oci_err *err = NULL;
	if (oci_ref_parse(s, &again, &err) < 0)
		abort(); /* the printed form must parse */
	char *s2 = oci_ref_string(&again);
	if (strcmp(s, s2) != 0)
		abort();
	free(s2);
	oci_ref_release(&again);
	/* the familiar form ("alpine:3.19") normalizes back to the same */
	struct oci_ref fam_ref = { 0 };
	if (oci_ref_parse(fam, &fam_ref, NULL) < 0)
		abort();
	char *s3 = oci_ref_string(&fam_ref);
	if (strcmp(s, s3) != 0)
		abort();
	free(s3);
	oci_ref_release(&fam_ref);
	free(s);
	free(name);
	free(fam);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_str(data, size);
	struct oci_ref r = { 0 };
	struct oci_err *err = NULL;
	int rc = oci_ref_parse(s, &r, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0)
		check_roundtrip(&r);
	oci_ref_release(&r);
	oci_err_free(err);
	err = NULL;

	struct oci_ref repo = { 0 };
	rc = oci_ref_parse_repo(s, &repo, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		if (repo.tag && strcmp(repo.tag, "latest") != 0)
			abort();
		char *n = oci_ref_name(&repo);
		free(n);
	}
	oci_ref_release(&repo);
	oci_err_free(err);
	free(s);
	return 0;
}
