/* Fuzzes oci_manifest_parse, oci_index_parse and oci_index_select
 * (common/manifest.c). The first byte picks the Content-Type. */
#include "fuzz.h"
#include "manifest.h"

static const char *const content_types[] = {
	NULL,
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.docker.distribution.manifest.v2+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/json; charset=utf-8",
	"application/vnd.docker.distribution.manifest.v1+prettyjws",
	"text/plain",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *ct = content_types[data[0] % (sizeof(content_types) / sizeof(*content_types))];
	const char *buf = (const char *)data + 1;
	size_t len = size - 1;

	struct oci_manifest m = { 0 };
	struct oci_err *err = NULL;
	int rc = oci_manifest_parse(buf, len, ct, "fuzz", &m, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		if (!m.config.media_type || (m.n_layers && !m.layers))
			abort();
		for (size_t i = 0; i < m.n_layers; i++)
			if (!m.layers[i].media_type)
				abort();
	}
	oci_manifest_release(&m);
	oci_err_free(err);
	err = NULL;

	struct oci_index x = { 0 };
	rc = oci_index_parse(buf, len, ct, "fuzz", &x, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0) {
		struct oci_platform want = { .os = (char *)"linux", .arch = (char *)"amd64" };
		const struct oci_index_entry *e = NULL;
		struct oci_err *err2 = NULL;
		int r2 = oci_index_select(&x, &want, &e, &err2);
		fuzz_check_err(r2, err2);
		if (r2 >= 0 && !e)
			abort();
		oci_err_free(err2);
	}
	oci_index_release(&x);
	oci_err_free(err);
	return 0;
}
