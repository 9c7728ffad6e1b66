/* VLANs of bridge ports, as the CNI bridge plugin configures them: an
 * access port ("vlan": the port's PVID, untagged) or a trunk port
 * ("vlanTrunk": tagged VLANs), with or without the default VLAN 1
 * ("preserveDefaultVlan"). link.c puts them on the ports. */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "util.h"

void net_vlan_release(struct net_vlan *v)
{
	free(v->trunk);
	*v = (struct net_vlan){ 0 };
}

void net_vlan_copy(struct net_vlan *dst, const struct net_vlan *src)
{
	*dst = *src;
	dst->trunk = NULL;
	if (src->n_trunk) {
		dst->trunk = xcalloc(src->n_trunk, sizeof(*dst->trunk));
		memcpy(dst->trunk, src->trunk, src->n_trunk * sizeof(*dst->trunk));
	}
}

/* A VLAN ID of key in o (1 to 4094); 0 when absent. */
static int trunk_id(json_t *o, const char *key, size_t i, json_int_t *ret, struct oci_err **err)
{
	json_t *v = json_object_get(o, key);
	*ret = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 4094)
		return oci_err_set(err, EINVAL, "vlanTrunk[%zu].%s must be a number from 1 to 4094",
				   i, key);
	*ret = json_integer_value(v);
	return 1;
}

int net_vlan_from_cni(json_t *conf, struct net_vlan *ret, struct oci_err **err)
{
	struct net_vlan v = { 0 };
	json_t *vid = json_object_get(conf, "vlan");
	if (vid && !json_is_null(vid)) {
		if (!json_is_integer(vid) || json_integer_value(vid) < 0 ||
		    json_integer_value(vid) > 4094)
			return oci_err_set(err, EINVAL, "vlan must be a number from 0 to 4094");
		v.vid = (unsigned)json_integer_value(vid);
	}
	json_t *pd = json_object_get(conf, "preserveDefaultVlan");
	if (pd && !json_is_boolean(pd))
		return oci_err_set(err, EINVAL, "preserveDefaultVlan must be true or false");
	v.drop_default = json_is_false(pd);
	json_t *tr = json_object_get(conf, "vlanTrunk");
	if (tr && !json_is_null(tr)) {
		if (!json_is_array(tr))
			return oci_err_set(err, EINVAL, "vlanTrunk must be a list");
		/* A set of 4095 bits, then the sorted list. */
		_cleanup_free_ unsigned char *set = xcalloc(4095, 1);
		for (size_t i = 0; i < json_array_size(tr); i++) {
			json_t *o = json_array_get(tr, i);
			json_int_t lo = 0, hi = 0, id = 0;
			if (!json_is_object(o))
				return oci_err_set(err, EINVAL, "vlanTrunk[%zu] must be an object", i);
			int has_lo = trunk_id(o, "minID", i, &lo, err);
			int has_hi = has_lo < 0 ? -1 : trunk_id(o, "maxID", i, &hi, err);
			int has_id = has_hi < 0 ? -1 : trunk_id(o, "id", i, &id, err);
			if (has_lo < 0 || has_hi < 0 || has_id < 0)
				return -EINVAL;
			if (has_lo != has_hi)
				return oci_err_set(err, EINVAL, "vlanTrunk[%zu]: minID and maxID go together",
						   i);
			if (has_lo && lo > hi)
				return oci_err_set(err, EINVAL,
						   "vlanTrunk[%zu]: minID %lld is greater than maxID %lld",
						   i, (long long)lo, (long long)hi);
			if (!has_lo && !has_id)
				return oci_err_set(err, EINVAL, "vlanTrunk[%zu]: needs id or minID and maxID",
						   i);
			for (json_int_t k = lo; has_lo && k <= hi; k++)
				set[k] = 1;
			if (has_id)
				set[id] = 1;
		}
		for (unsigned k = 1; k <= 4094; k++) {
			if (!set[k])
				continue;
			v.trunk = xrealloc(v.trunk, (v.n_trunk + 1) * sizeof(*v.trunk));
			v.trunk[v.n_trunk++] = (uint16_t)k;
		}
	}
	if (v.vid && v.n_trunk) {
		net_vlan_release(&v);
		return oci_err_set(err, EINVAL, "vlan and vlanTrunk cannot be set together");
	}
	*ret = v;
	return 0;
}

void net_vlan_to_json(const struct net_vlan *v, json_t *j)
{
	if (v->vid)
		json_object_set_new(j, "vlan", json_integer(v->vid));
	if (v->n_trunk) {
		/* Ranges of consecutive IDs as {"minID", "maxID"}, single ones as {"id"}. */
		json_t *a = json_array();
		for (size_t i = 0; i < v->n_trunk;) {
			size_t k = i;
			while (k + 1 < v->n_trunk && v->trunk[k + 1] == v->trunk[k] + 1)
				k++;
			json_t *o = json_object();
			if (k == i) {
				json_object_set_new(o, "id", json_integer(v->trunk[i]));
			} else {
				json_object_set_new(o, "minID", json_integer(v->trunk[i]));
				json_object_set_new(o, "maxID", json_integer(v->trunk[k]));
			}
			json_array_append_new(a, o);
			i = k + 1;
		}
		json_object_set_new(j, "vlanTrunk", a);
	}
	if (v->drop_default)
		json_object_set_new(j, "preserveDefaultVlan", json_false());
}
