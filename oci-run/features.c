/* `oci-run features`: what this runtime implements (features-schema.json).
 * Only what works is listed. */
#include "container.h"

#include <jansson.h>

#include "caps.h"
#include "cgroup.h"
#include "lsm.h"
#include "runtime_spec.h"
#include "spec.h"
#include "run_seccomp.h"
#include "util.h"

static json_t *strv(const char *const *v)
{
	json_t *a = json_array();
	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

char *run_features_json(void)
{
	static const char *const hooks[] = {"prestart",
					    "createRuntime",
					    "createContainer",
					    "startContainer",
					    "poststart",
					    "poststop",
					    NULL};
	static const char *const ns[] = {"cgroup", "ipc", "mount", "network", "pid",
					 "user",   "uts", "time",  NULL};
	json_t *f = json_object();
	json_object_set_new(f, "ociVersionMin", json_string("1.0.0"));
	json_object_set_new(f, "ociVersionMax", json_string(OCI_RUNTIME_SPEC_VERSION));
	json_object_set_new(f, "hooks", strv(hooks));
	json_object_set_new(f, "mountOptions", strv(run_mount_option_names));
	json_t *l = json_object();
	json_object_set_new(l, "namespaces", strv(ns));
	json_t *caps = json_array();
	for (int c = 0; c <= run_cap_max(); c++)
		json_array_append_new(caps, json_string(run_cap_name(c)));
	json_object_set_new(l, "capabilities", caps);
	json_t *cg = json_object();
	bool v1 = false, v2 = false, systemd = false;
	run_cgroup_features(&v1, &v2, &systemd);
	json_object_set_new(cg, "v1", json_boolean(v1));
	json_object_set_new(cg, "v2", json_boolean(v2));
	json_object_set_new(cg, "systemd", json_boolean(systemd));
	json_object_set_new(cg, "systemdUser", json_false());
	json_object_set_new(cg, "rdma", json_false());
	json_object_set_new(l, "cgroup", cg);
	json_object_set_new(l, "seccomp", run_seccomp_features());
	json_t *off = json_object();
	json_object_set_new(off, "enabled", json_false());
	json_t *aa = json_object(), *se = json_object();
	json_object_set_new(aa, "enabled", json_boolean(run_lsm_apparmor_enabled()));
	json_object_set_new(se, "enabled", json_boolean(run_lsm_selinux_enabled()));
	json_object_set_new(l, "apparmor", aa);
	json_object_set_new(l, "selinux", se);
	json_object_set_new(l, "intelRdt", json_deep_copy(off));
	json_t *me = json_object();
	json_t *idm = json_object();
	json_object_set_new(idm, "enabled", json_true());
	json_object_set_new(me, "idmap", idm);
	json_object_set_new(l, "mountExtensions", me);
	json_decref(off);
	json_object_set_new(f, "linux", l);
	json_t *ann = json_object();
	json_object_set_new(ann, "org.opencontainers.runtime-spec.features.version",
			    json_string(OCI_RUNTIME_SPEC_VERSION));
	/* checkpoint and restore are there (through criu, found at run time),
	 * announced as runc does */
	json_object_set_new(ann, "org.opencontainers.runc.checkpoint.enabled", json_string("true"));
	json_object_set_new(f, "annotations", ann);
	char *s = json_dumps(f, JSON_INDENT(2) | JSON_SORT_KEYS);
	json_decref(f);
	return s;
}
