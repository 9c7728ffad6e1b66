/* Endpoint records, STORE/networks/NAME/endpoints/ID.json: one per attached
 * namespace. They are the address leases too. */
#include <inttypes.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>

#include "json.h"
#include "net.h"
#include "util.h"

void net_endpoint_free(struct net_endpoint *e)
{
	if (!e)
		return;
	free(e->id);
	free(e->container);
	free(e->name);
	oci_strv_free(e->aliases);
	oci_strv_free(e->dns);
	free(e->netns);
	free(e->ifname);
	free(e->host_ifname);
	free(e->mac);
	free(e->ports);
	net_vlan_release(&e->vlan);
	oci_strv_free(e->cond4);
	oci_strv_free(e->cond6);
	free(e->created);
	free(e);
}

void net_endpoints_free(struct net_endpoint **v)
{
	if (!v)
		return;
	for (struct net_endpoint **p = v; *p; p++)
		net_endpoint_free(*p);
	free(v);
}

static void set_str(json_t *j, const char *k, const char *v)
{
	if (v)
		json_object_set_new(j, k, json_string(v));
}

json_t *net_endpoint_to_json(const struct net_endpoint *e)
{
	json_t *j = json_object();
	char *s;
	set_str(j, "id", e->id);
	set_str(j, "container", e->container);
	set_str(j, "name", e->name);
	if (e->aliases) {
		json_t *a = json_array();
		for (char **p = e->aliases; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, "aliases", a);
	}
	if (e->dns) {
		json_t *a = json_array();
		for (char **p = e->dns; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, "dns", a);
	}
	set_str(j, "netns", e->netns);
	json_object_set_new(j, "netnsDev", json_integer((json_int_t)e->ns_dev));
	json_object_set_new(j, "netnsIno", json_integer((json_int_t)e->ns_ino));
	set_str(j, "ifname", e->ifname);
	set_str(j, "hostIfname", e->host_ifname);
	json_object_set_new(j, "hostIfindex", json_integer(e->host_ifindex));
	set_str(j, "mac", e->mac);
	s = net_cidr_str(&e->ip, true);
	set_str(j, "ip", s);
	free(s);
	if (e->ip6.family) {
		s = net_cidr_str(&e->ip6, true);
		set_str(j, "ip6", s);
		free(s);
	}
	json_t *ports = json_array();
	for (size_t i = 0; i < e->n_ports; i++) {
		s = net_port_str(&e->ports[i]);
		json_array_append_new(ports, json_string(s));
		free(s);
	}
	json_object_set_new(j, "ports", ports);
	if (e->bw.ingress_rate || e->bw.egress_rate) {
		json_t *b = json_object();
		json_object_set_new(b, "ingressRate", json_integer((json_int_t)e->bw.ingress_rate));
		json_object_set_new(b, "ingressBurst", json_integer((json_int_t)e->bw.ingress_burst));
		json_object_set_new(b, "egressRate", json_integer((json_int_t)e->bw.egress_rate));
		json_object_set_new(b, "egressBurst", json_integer((json_int_t)e->bw.egress_burst));
		json_object_set_new(j, "bandwidth", b);
	}
	net_vlan_to_json(&e->vlan, j);
	if (e->masq_all)
		json_object_set_new(j, "masqAll", json_true());
	const struct {
		const char *key;
		char **v;
	} conds[] = { { "conditionsV4", e->cond4 }, { "conditionsV6", e->cond6 } };
	for (size_t i = 0; i < ARRAY_SIZE(conds); i++) {
		if (!conds[i].v)
			continue;
		json_t *a = json_array();
		for (char **p = conds[i].v; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, conds[i].key, a);
	}
	set_str(j, "created", e->created);
	return j;
}

static char *opt_dup(json_t *j, const char *k)
{
	json_t *v = json_object_get(j, k);
	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

static int endpoint_from_json(json_t *j, const char *file, struct net_endpoint **ret,
			      struct oci_err **err)
{
	_cleanup_(net_endpoint_freep) struct net_endpoint *e = xcalloc(1, sizeof(*e));
	const char *ip = NULL, *ip6 = NULL;
	int64_t dev = 0, ino = 0, idx = 0;
	json_t *ports = NULL;
	int r;
	if ((r = oci_json_get_str(j, "", "ip", &ip, err)) < 0 ||
	    (r = oci_json_opt_str(j, "", "ip6", &ip6, err)) < 0 ||
	    (r = oci_json_opt_int(j, "", "netnsDev", &dev, err)) < 0 ||
	    (r = oci_json_opt_int(j, "", "netnsIno", &ino, err)) < 0 ||
	    (r = oci_json_opt_int(j, "", "hostIfindex", &idx, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "aliases", &e->aliases, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "dns", &e->dns, err)) < 0 ||
	    (r = oci_json_opt_arr(j, "", "ports", &ports, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "masqAll", &e->masq_all, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "conditionsV4", &e->cond4, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "conditionsV6", &e->cond6, err)) < 0 ||
	    (r = net_vlan_from_cni(j, &e->vlan, err)) < 0)
		return oci_err_wrap(err, "%s", file);
	e->id = opt_dup(j, "id");
	e->container = opt_dup(j, "container");
	e->name = opt_dup(j, "name");
	e->netns = opt_dup(j, "netns");
	e->ifname = opt_dup(j, "ifname");
	e->host_ifname = opt_dup(j, "hostIfname");
	e->mac = opt_dup(j, "mac");
	e->created = opt_dup(j, "created");
	json_t *bw = json_object_get(j, "bandwidth");
	if (json_is_object(bw)) {
		e->bw.ingress_rate = (uint64_t)json_integer_value(json_object_get(bw, "ingressRate"));
		e->bw.ingress_burst = (uint64_t)json_integer_value(json_object_get(bw, "ingressBurst"));
		e->bw.egress_rate = (uint64_t)json_integer_value(json_object_get(bw, "egressRate"));
		e->bw.egress_burst = (uint64_t)json_integer_value(json_object_get(bw, "egressBurst"));
	}
	e->ns_dev = (uint64_t)dev;
	e->ns_ino = (uint64_t)ino;
	e->host_ifindex = (int)idx;
	if (!e->id || !e->ifname || !e->host_ifname)
		return oci_err_set(err, EINVAL, "%s: missing id, ifname or hostIfname", file);
	if ((r = net_cidr_parse(ip, true, &e->ip, err)) < 0 ||
	    (ip6 && (r = net_cidr_parse(ip6, true, &e->ip6, err)) < 0))
		return oci_err_wrap(err, "%s", file);
	if (ports) {
		size_t n = json_array_size(ports);
		e->ports = xcalloc(n ? n : 1, sizeof(*e->ports));
		for (size_t i = 0; i < n; i++) {
			json_t *p = json_array_get(ports, i);
			if (!json_is_string(p))
				return oci_err_set(err, EINVAL, "%s: ports[%zu]: expected a string",
						   file, i);
			if ((r = net_port_parse(json_string_value(p), &e->ports[i], err)) < 0)
				return oci_err_wrap(err, "%s", file);
		}
		e->n_ports = n;
	}
	*ret = TAKE_PTR(e);
	return 0;
}

static int cmp_ep(const void *a, const void *b)
{
	const struct net_endpoint *x = *(struct net_endpoint *const *)a;
	const struct net_endpoint *y = *(struct net_endpoint *const *)b;
	return strcmp(x->id, y->id);
}

int net_endpoints_load(struct net_ctx *ctx, const char *network, struct net_endpoint ***ret,
		       struct oci_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s/endpoints", ctx->dir, network);
	_cleanup_(net_endpoints_freep) struct net_endpoint **v = xcalloc(1, sizeof(*v));
	size_t n = 0;
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT) {
			*ret = TAKE_PTR(v);
			return 0;
		}
		return oci_err_sys(err, "open '%s'", dir);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !endswith(de->d_name, ".json"))
			continue;
		_cleanup_free_ char *f = xasprintf("%s/%s", dir, de->d_name);
		json_auto_t *j = NULL;
		struct net_endpoint *e = NULL;
		int r = oci_json_load_file(f, 0, &j, err);
		if (r == -ENOENT) {
			oci_err_clear(err);
			continue;
		}
		if (r < 0 || (r = endpoint_from_json(j, f, &e, err)) < 0)
			return r;
		v = xrealloc(v, (n + 2) * sizeof(*v));
		v[n++] = e;
		v[n] = NULL;
	}
	qsort(v, n, sizeof(*v), cmp_ep);
	*ret = TAKE_PTR(v);
	return 0;
}

int net_endpoint_save(struct net_ctx *ctx, const char *network, const struct net_endpoint *e,
		      struct oci_err **err)
{
	_cleanup_free_ char *dir = xasprintf("%s/%s/endpoints", ctx->dir, network);
	int r = net_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	json_auto_t *j = net_endpoint_to_json(e);
	_cleanup_free_ char *s = oci_json_dumps(j);
	_cleanup_free_ char *f = xasprintf("%s/%s.json", dir, e->id);
	return net_write_atomic(f, s, strlen(s), err);
}

int net_endpoint_remove(struct net_ctx *ctx, const char *network, const char *id,
			struct oci_err **err)
{
	_cleanup_free_ char *f = xasprintf("%s/%s/endpoints/%s.json", ctx->dir, network, id);
	if (unlink(f) < 0 && errno != ENOENT)
		return oci_err_sys(err, "remove '%s'", f);
	return 0;
}
