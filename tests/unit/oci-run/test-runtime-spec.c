/* The default config (common/runtime_spec.c) as `runc spec` writes it. */
#include "tap.h"

#include "json.h"
#include "runtime_spec.h"
#include "util.h"

static bool has_ns(json_t *s, const char *type)
{
	json_t *ns = json_object_get(json_object_get(s, "linux"), "namespaces");
	size_t i;
	json_t *n;
	json_array_foreach (ns, i, n) {
		if (streq(json_string_value(json_object_get(n, "type")), type))
			return true;
	}
	return false;
}

int main(void)
{
	json_auto_t *s = oci_runtime_spec_default(false);
	is_str(json_string_value(json_object_get(s, "ociVersion")), OCI_RUNTIME_SPEC_BUNDLE_VERSION, "ociVersion");
	json_t *p = json_object_get(s, "process");
	ok(json_is_true(json_object_get(p, "terminal")), "terminal true");
	is_str(json_string_value(json_array_get(json_object_get(p, "args"), 0)), "sh", "args sh");
	is_str(json_string_value(json_object_get(json_object_get(s, "root"), "path")), "rootfs",
	       "root.path");
	is_int(json_array_size(json_object_get(s, "mounts")), 7, "seven mounts");
	ok(has_ns(s, "network") && has_ns(s, "pid") && has_ns(s, "cgroup") && !has_ns(s, "user"),
	   "namespaces");
	ok(json_object_get(json_object_get(s, "linux"), "resources") != NULL, "device rule");

	json_auto_t *r = oci_runtime_spec_default(true);
	ok(!has_ns(r, "network") && has_ns(r, "user"), "rootless namespaces");
	json_t *um = json_object_get(json_object_get(r, "linux"), "uidMappings");
	is_int(json_integer_value(json_object_get(json_array_get(um, 0), "hostID")), geteuid(),
	       "rootless uid mapping");
	is_str(json_string_value(
		   json_object_get(json_array_get(json_object_get(r, "mounts"), 5), "type")),
	       "none", "rootless /sys is a bind");
	done_testing();
	return exit_status();
}
