/* Fuzzes the auth file parser (oci-fetch/credentials.c, docker config.json
 * or containers auth.json) and the signature policy checker (policy.c).
 * PATH points nowhere, so credential helpers named in the file are not found. */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "fetch.h"
#include "fuzz.h"
#include "json.h"
#include "ref.h"

static char *file;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!file) {
		setenv("PATH", "/nonexistent-fuzz-path", 1);
		if (asprintf(&file, "%s/oci-fuzz-auth.%d.json", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
			     (int)getpid()) < 0)
			abort();
	}
	int fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	static const char *const hosts[] = { "docker.io", "localhost:5000", "quay.io" };
	for (size_t i = 0; i < 3; i++) {
		struct fetch_creds c = { 0 };
		struct oci_err *err = NULL;
		int rc = fetch_creds_from_file(file, hosts[i], &c, &err);
		fuzz_check_err(rc, err);
		if (rc > 0 && !c.username && !c.identity_token)
			abort();
		fetch_creds_release(&c);
		oci_err_free(err);
	}
	unlink(file);

	json_t *j = NULL;
	if (oci_json_load_buf((const char *)data, size, "policy", &j, NULL) >= 0) {
		struct oci_ref r = { 0 };
		if (oci_ref_parse("docker.io/library/alpine:3.19", &r, NULL) < 0)
			abort();
		struct oci_err *err = NULL;
		int rc = fetch_policy_check_json(j, "policy.json", &r, &err);
		fuzz_check_err(rc, err);
		oci_err_free(err);
		oci_ref_release(&r);
		json_decref(j);
	}
	return 0;
}
