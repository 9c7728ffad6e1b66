/* Fuzzes oci-run's D-Bus message parser (oci-run/dbus.c), which reads what
 * systemd or a bus daemon sends: the fixed header's length check, the
 * header fields, then a walk of the body by its signature (rendered as
 * text, and skipped). A message that parses must have a body that is either
 * read whole by its signature or refused with an error. */
#include "dbus.h"
#include "fuzz.h"
#include "sbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oci_err *err = NULL;
	size_t total = 0;
	if (size < 16)
		return 0;
	int rc = dbus_msg_total_len(data, &total, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	err = NULL;
	if (rc < 0 || total != size)
		return 0;
	struct dbus_msg *m = NULL;
	rc = dbus_msg_parse(data, size, &m, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	err = NULL;
	if (rc < 0)
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		struct dbus_reader r;
		dbus_reader_init(&r, m);
		struct sbuf out = SBUF_INIT;
		const char *sig = m->signature;
		while (*sig) {
			rc = pass ? dbus_r_skip(&r, &sig, &err) : dbus_r_format(&r, &sig, &out, &err);
			fuzz_check_err(rc, err);
			oci_err_free(err);
			err = NULL;
			if (rc < 0)
				break;
		}
		if (rc == 0 && r.pos > m->body_len)
			abort();
		sbuf_release(&out);
	}
	dbus_msg_free(m);
	return 0;
}
