/* Trust policy scopes and requirements (containers-policy.json). */
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "tap.h"
#include "util.h"

static const char policy[] =
	"{\"default\":[{\"type\":\"insecureAcceptAnything\"}],"
	" \"transports\":{\"docker\":{"
	"   \"bad.example\":[{\"type\":\"reject\"}],"
	"   \"bad.example/team/ok\":[{\"type\":\"insecureAcceptAnything\"}],"
	"   \"bad.example/team/ok:pinned\":[{\"type\":\"reject\"}],"
	"   \"signed.example/app\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"/k\"}],"
	"   \"two.example\":[{\"type\":\"insecureAcceptAnything\"},{\"type\":\"reject\"}]"
	" }}}";

static void check(json_t *p, const char *refstr, int want, const char *in_msg)
{
	struct oci_ref ref = { 0 };
	struct oci_err *err = NULL;
	if (oci_ref_parse(refstr, &ref, &err) < 0) {
		ok(0, "parse %s: %s", refstr, err->msg);
		oci_err_free(err);
		return;
	}
	int r = fetch_policy_check_json(p, "p.json", &ref, &err);
	if (want == 0)
		ok(r == 0, "%s accepted%s%s", refstr, err ? ": " : "", err ? err->msg : "");
	else
		ok(r == want && err && strstr(err->msg, in_msg), "%s refused with '%s' (%s)", refstr,
		   in_msg, err ? err->msg : "accepted");
	oci_err_free(err);
	oci_ref_release(&ref);
}

int main(void)
{
	json_error_t je;
	json_t *p = json_loads(policy, 0, &je);
	if (!ok(p != NULL, "policy parses"))
		return 1;
	check(p, "alpine", 0, NULL);
	check(p, "bad.example/x/y:1", -EACCES, "transports.docker.\"bad.example\"");
	check(p, "bad.example/team/ok:1", 0, NULL);
	check(p, "bad.example/team/ok:pinned", -EACCES, "rejected");
	check(p, "bad.example/team/ok/sub:1", 0, NULL);
	check(p, "signed.example/app:1", -ENOTSUP, "signedBy");
	check(p, "signed.example/other:1", 0, NULL);
	check(p, "two.example/a:1", -EACCES, "rejected");
	json_decref(p);

	p = json_loads("{\"default\":[{\"type\":\"reject\"}]}", 0, &je);
	check(p, "quay.io/a/b", -EACCES, "(default)");
	json_decref(p);
	p = json_loads("{\"transports\":{}}", 0, &je);
	check(p, "quay.io/a/b", -EINVAL, "needs \"default\"");
	json_decref(p);
	p = json_loads("{\"default\":[{}]}", 0, &je);
	check(p, "quay.io/a/b", -EINVAL, "without \"type\"");
	json_decref(p);
	done_testing();
	return exit_status();
}
