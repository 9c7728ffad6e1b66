/* The bridge plugin's vlan, vlanTrunk and preserveDefaultVlan. */
#include <jansson.h>

#include "net.h"
#include "tap.h"
#include "util.h"

static int parse(const char *text, struct net_vlan *v, struct oci_err **err)
{
	json_t *j = json_loads(text, 0, NULL);
	int r = net_vlan_from_cni(j, v, err);
	json_decref(j);
	return r;
}

static void bad(const char *text, const char *msg)
{
	struct net_vlan v = { 0 };
	struct oci_err *err = NULL;
	is_int(parse(text, &v, &err), -EINVAL, "%s is refused", text);
	ok(err && strstr(err->msg, msg), "error says '%s': %s", msg, err ? err->msg : "(none)");
	oci_err_free(err);
}

int main(void)
{
	struct net_vlan v = { 0 };
	struct oci_err *err = NULL;

	is_int(parse("{}", &v, &err), 0, "no VLAN keys");
	ok(v.vid == 0 && v.n_trunk == 0 && !v.drop_default, "no VLAN keys: nothing");
	is_int(parse("{\"vlan\": 100}", &v, &err), 0, "vlan 100");
	is_int(v.vid, 100, "access VLAN 100");
	ok(!v.drop_default, "the default VLAN is kept by default");
	is_int(parse("{\"vlan\": 0, \"preserveDefaultVlan\": false}", &v, &err), 0, "vlan 0");
	ok(v.vid == 0 && v.drop_default, "vlan 0, preserveDefaultVlan false");

	is_int(parse("{\"vlanTrunk\": [{\"id\": 42}, {\"minID\": 10, \"maxID\": 12}, {\"id\": 11},"
		     " {\"minID\": 4093, \"maxID\": 4094, \"id\": 1}]}", &v, &err), 0, "vlanTrunk");
	is_int((int)v.n_trunk, 7, "7 trunk VLANs (duplicates merged)");
	if (v.n_trunk == 7) {
		const int want[] = { 1, 10, 11, 12, 42, 4093, 4094 };
		bool same = true;
		for (int i = 0; i < 7; i++)
			same = same && v.trunk[i] == want[i];
		ok(same, "sorted: 1 10 11 12 42 4093 4094");
	}
	json_t *j = json_object();
	v.drop_default = true;
	net_vlan_to_json(&v, j);
	char *s = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	is_str(s, "{\"preserveDefaultVlan\":false,\"vlanTrunk\":[{\"id\":1},{\"maxID\":12,\"minID\":10},"
		  "{\"id\":42},{\"maxID\":4094,\"minID\":4093}]}", "written back as ranges");
	struct net_vlan back = { 0 };
	is_int(net_vlan_from_cni(j, &back, &err), 0, "read back");
	ok(back.n_trunk == 7 && back.drop_default && back.trunk[6] == 4094, "the same VLANs read back");
	struct net_vlan cp;
	net_vlan_copy(&cp, &back);
	ok(cp.n_trunk == 7 && cp.trunk != back.trunk && cp.trunk[3] == 12, "copied");
	net_vlan_release(&cp);
	net_vlan_release(&back);
	free(s);
	json_decref(j);
	net_vlan_release(&v);

	bad("{\"vlan\": 4095}", "vlan must be a number from 0 to 4094");
	bad("{\"vlan\": -1}", "vlan must be a number from 0 to 4094");
	bad("{\"vlan\": \"10\"}", "vlan must be a number");
	bad("{\"vlan\": 10, \"vlanTrunk\": [{\"id\": 20}]}", "vlan and vlanTrunk cannot be set together");
	bad("{\"vlanTrunk\": {\"id\": 20}}", "vlanTrunk must be a list");
	bad("{\"vlanTrunk\": [{\"id\": 0}]}", "vlanTrunk[0].id must be a number from 1 to 4094");
	bad("{\"vlanTrunk\": [{\"id\": 5}, {\"minID\": 30, \"maxID\": 20}]}",
	    "vlanTrunk[1]: minID 30 is greater than maxID 20");
	bad("{\"vlanTrunk\": [{\"minID\": 3}]}", "vlanTrunk[0]: minID and maxID go together");
	bad("{\"vlanTrunk\": [{}]}", "vlanTrunk[0]: needs id or minID and maxID");
	bad("{\"vlanTrunk\": [{\"maxID\": 4095, \"minID\": 1}]}", "vlanTrunk[0].maxID");
	bad("{\"preserveDefaultVlan\": \"no\"}", "preserveDefaultVlan must be true or false");
	done_testing();
	return exit_status();
}
