/* Unit tests for common/image_config.c. */
#include <string.h>

#include "image_config.h"
#include "tap.h"
#include "util.h"

#define DA "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define DB "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define DC "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"
/* Computed with sha256sum: printf '%s %s' DA DB | sha256sum, and so on. */
#define CAB "sha256:51c0c8ace48498d6f5fee6b0592cc06f2da0f3cbe09c5a34a97dce85c3889676"
#define CABC "sha256:2fce7f8ce91bcf0a1428b36e1024639fdbd9469eea762dba98aa749631885106"

static const char full[] =
    "{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\","
    "\"created\":\"2024-01-01T00:00:00Z\",\"unknownField\":{\"x\":1},"
    "\"config\":{\"User\":\"1000:1000\",\"Env\":[\"PATH=/usr/bin:/bin\",\"A=b=c\"],"
    "\"Entrypoint\":[\"/entry\",\"-x\"],\"Cmd\":[\"serve\"],\"WorkingDir\":\"/app\","
    "\"ExposedPorts\":{\"80/tcp\":{},\"53/udp\":{}},\"Volumes\":{\"/data\":{}},"
    "\"Labels\":{\"maintainer\":\"me\",\"version\":\"1\"},\"StopSignal\":\"SIGQUIT\"},"
    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" DA "\",\"" DB "\"]},"
    "\"history\":[{\"created_by\":\"x\"}]}";

static void bad(const char *doc, const char *want)
{
	struct oci_image_config c;
	struct oci_err *err = NULL;
	int r = oci_image_config_parse(doc, strlen(doc), "config sha256:x", &c, &err);
	ok(r < 0 && err && strstr(err->msg, want), "rejected: %s", err ? err->msg : "(accepted)");
	if (r >= 0)
		oci_image_config_release(&c);
	oci_err_free(err);
}

int main(void)
{
	struct oci_image_config c;
	struct oci_err *err = NULL;
	int r = oci_image_config_parse(full, strlen(full), "config", &c, &err);
	if (!is_int(r, 0, "parses a full config"))
		diag("%s", err->msg);
	is_str(c.os, "linux", "os");
	is_str(c.arch, "arm64", "architecture");
	is_str(c.variant, "v8", "variant");
	is_str(c.user, "1000:1000", "User");
	is_int(oci_strv_len(c.env), 2, "two Env entries");
	is_str(c.env[1], "A=b=c", "Env keeps '=' in values");
	is_str(c.entrypoint[0], "/entry", "Entrypoint[0]");
	is_int(oci_strv_len(c.entrypoint), 2, "Entrypoint length");
	is_str(c.cmd[0], "serve", "Cmd");
	is_str(c.working_dir, "/app", "WorkingDir");
	is_int(oci_strv_len(c.exposed_ports), 2, "two exposed ports");
	ok(c.exposed_ports &&
	       (streq(c.exposed_ports[0], "80/tcp") || streq(c.exposed_ports[1], "80/tcp")),
	   "ExposedPorts keys");
	is_int(oci_strv_len(c.volumes), 1, "one volume");
	is_str(c.volumes[0], "/data", "Volumes key");
	is_int(oci_strv_len(c.labels), 4, "labels as key, value pairs");
	is_str(c.stop_signal, "SIGQUIT", "StopSignal");
	is_int(c.n_diff_ids, 2, "two diff_ids");
	is_str(c.diff_ids[1].str, DB, "diff_ids[1]");
	ok(c.json && json_object_get(c.json, "history"), "keeps the whole document");
	oci_image_config_release(&c);

	const char *min =
	    "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":null,\"User\":\"\"},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}";
	is_int(oci_image_config_parse(min, strlen(min), "config", &c, &err), 0,
	       "parses a minimal config");
	ok(c.user == NULL && c.cmd == NULL && c.entrypoint == NULL && c.working_dir == NULL,
	   "absent, null and empty fields are NULL");
	ok(c.env && c.env[0] == NULL, "Env is an empty vector");
	is_int(c.n_diff_ids, 0, "no layers");
	oci_image_config_release(&c);

	bad("{\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	    "config sha256:x: architecture: required field is missing");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Env\":[\"A\",1]},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	    "config.Env[1]: expected a string");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":\"sh\"},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	    "config.Cmd: expected an array");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"tarball\",\"diff_"
	    "ids\":[]}}",
	    "rootfs.type: 'tarball' is not 'layers'");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_"
	    "ids\":[\"sha256:12\"]}}",
	    "rootfs.diff_ids[0]: invalid digest 'sha256:12'");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\"}", "rootfs: required field is missing");
	bad("{\"architecture\":\"amd64\",\"architecture\":\"arm64\"}", "duplicate");
	bad("[1]", "expected an object");
	bad("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Labels\":{\"a\":1}},"
	    "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}",
	    "config.Labels.a: expected a string");

	/* chain IDs */
	struct oci_digest ids[3], chain[3];
	oci_digest_parse(DA, &ids[0], NULL);
	oci_digest_parse(DB, &ids[1], NULL);
	oci_digest_parse(DC, &ids[2], NULL);
	oci_chain_ids(ids, 3, chain);
	is_str(chain[0].str, DA, "ChainID(L0) = DiffID(L0)");
	is_str(chain[1].str, CAB, "ChainID(L1) = sha256(ChainID(L0) + ' ' + DiffID(L1))");
	is_str(chain[2].str, CABC, "ChainID(L2)");
	oci_chain_ids(ids, 0, chain);
	ok(1, "no layers: no chain IDs");

	done_testing();
	return exit_status();
}
