/* Network definitions: STORE/networks/NAME/network.json, and the lock that
 * serialises every change to networks. */
#include <ctype.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "json.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

char *net_now_rfc3339(void)
{
	struct timespec ts;
	struct tm tm;
	char buf[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return xstrdup(buf);
}

char *net_random_hex(size_t n)
{
	unsigned char raw[32];
	if (n > 64)
		n = 64;
	size_t need = (n + 1) / 2, got = 0;
	while (got < need) {
		ssize_t r = getrandom(raw + got, need - got, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* Not expected on Linux; fall back to the clock. */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			for (; got < need; got++)
				raw[got] = (unsigned char)(ts.tv_nsec >> (got % 4 * 8)) ^ (unsigned char)getpid();
			break;
		}
		got += (size_t)r;
	}
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = "0123456789abcdef"[(raw[i / 2] >> (i % 2 ? 0 : 4)) & 0xf];
	s[n] = '\0';
	return s;
}

int net_mkdir_p(const char *path, mode_t mode, struct oci_err **err)
{
	_cleanup_free_ char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, mode) < 0 && errno != EEXIST)
			return oci_err_sys(err, "mkdir '%s'", p);
		*s = '/';
	}
	if (mkdir(p, mode) < 0 && errno != EEXIST)
		return oci_err_sys(err, "mkdir '%s'", p);
	return 0;
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int net_write_atomic(const char *path, const char *data, size_t len, struct oci_err **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
	_cleanup_close_ int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_err_sys(err, "create '%s'", tmp);
	if (write_all(fd, data, len) < 0) {
		int r = oci_err_sys(err, "write '%s'", tmp);
		unlink(tmp);
		return r;
	}
	if (rename(tmp, path) < 0) {
		int r = oci_err_sys(err, "rename '%s'", tmp);
		unlink(tmp);
		return r;
	}
	return 0;
}

int net_ctx_init(struct net_ctx *ctx, const char *store_opt, const char *default_subnet,
		 struct oci_err **err)
{
	*ctx = (struct net_ctx){ .lock_fd = -1 };
	const char *env = secure_getenv("OCI_ROOT");
	if (store_opt && *store_opt)
		ctx->store = xstrdup(store_opt);
	else if (env && *env)
		ctx->store = xstrdup(env);
	else if (geteuid() == 0)
		ctx->store = xstrdup("/var/lib/oci-tools");
	else {
		const char *xdg = secure_getenv("XDG_DATA_HOME");
		const char *home = secure_getenv("HOME");
		if (xdg && *xdg)
			ctx->store = xasprintf("%s/oci-tools", xdg);
		else if (home && *home)
			ctx->store = xasprintf("%s/.local/share/oci-tools", home);
		else
			return oci_err_set(err, EINVAL, "no store: set --store, OCI_ROOT or HOME");
	}
	ctx->dir = xasprintf("%s/networks", ctx->store);
	if (default_subnet) {
		struct net_cidr c;
		int r = net_cidr_parse(default_subnet, true, &c, err);
		if (r < 0)
			return oci_err_wrap(err, "default subnet");
		ctx->default_subnet = xstrdup(default_subnet);
	} else {
		ctx->default_subnet = xstrdup(NET_DEFAULT_SUBNET);
	}
	return 0;
}

void net_ctx_release(struct net_ctx *ctx)
{
	net_ctx_unlock(ctx);
	free(ctx->store);
	free(ctx->dir);
	free(ctx->default_subnet);
	ctx->store = ctx->dir = ctx->default_subnet = NULL;
}

int net_ctx_lock(struct net_ctx *ctx, struct oci_err **err)
{
	if (ctx->lock_fd >= 0)
		return 0;
	int r = net_mkdir_p(ctx->dir, 0755, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *p = xasprintf("%s/.lock", ctx->dir);
	_cleanup_close_ int fd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", p);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "lock '%s'", p);
	}
	ctx->lock_fd = TAKE_FD(fd);
	return 0;
}

void net_ctx_unlock(struct net_ctx *ctx)
{
	if (ctx->lock_fd >= 0)
		close(ctx->lock_fd);
	ctx->lock_fd = -1;
}

bool net_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > 64 || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return false;
	}
	return true;
}

void net_network_free(struct net_network *n)
{
	if (!n)
		return;
	free(n->name);
	free(n->id);
	free(n->bridge);
	oci_strv_free(n->dns_upstreams);
	oci_strv_free(n->routes);
	free(n->created);
	free(n);
}

char *net_network_dir(struct net_ctx *ctx, const char *name)
{
	return xasprintf("%s/%s", ctx->dir, name);
}

static void set_cidr(json_t *j, const char *key, const struct net_cidr *c, bool prefix)
{
	if (!c->family)
		return;
	char *s = net_cidr_str(c, prefix);
	json_object_set_new(j, key, json_string(s));
	free(s);
}

json_t *net_network_to_json(const struct net_network *n)
{
	json_t *j = json_object();
	json_object_set_new(j, "name", json_string(n->name));
	json_object_set_new(j, "id", json_string(n->id));
	json_object_set_new(j, "driver", json_string("bridge"));
	json_object_set_new(j, "bridge", json_string(n->bridge));
	set_cidr(j, "subnet", &n->subnet, true);
	set_cidr(j, "gateway", &n->gateway, false);
	json_object_set_new(j, "ipv6", json_boolean(n->ipv6));
	if (n->ipv6) {
		set_cidr(j, "subnet6", &n->subnet6, true);
		set_cidr(j, "gateway6", &n->gateway6, false);
	}
	json_object_set_new(j, "internal", json_boolean(n->internal));
	json_object_set_new(j, "masquerade", json_boolean(n->masquerade));
	json_object_set_new(j, "hairpin", json_boolean(n->hairpin));
	json_object_set_new(j, "isolatePorts", json_boolean(n->isolate_ports));
	json_object_set_new(j, "macSpoofCheck", json_boolean(n->mac_spoof_check));
	json_object_set_new(j, "dns", json_boolean(n->dns));
	json_object_set_new(j, "mtu", json_integer(n->mtu));
	if (n->vlan)
		json_object_set_new(j, "vlan", json_integer(n->vlan));
	if (n->dns_upstreams) {
		json_t *a = json_array();
		for (char **p = n->dns_upstreams; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, "dnsUpstreams", a);
	}
	if (n->routes) {
		json_t *a = json_array();
		for (char **p = n->routes; *p; p++)
			json_array_append_new(a, json_string(*p));
		json_object_set_new(j, "routes", a);
	}
	if (n->created)
		json_object_set_new(j, "created", json_string(n->created));
	return j;
}

static int get_cidr(json_t *j, const char *file, const char *key, bool prefix, bool required,
		    struct net_cidr *ret, struct oci_err **err)
{
	const char *s = NULL;
	int r = required ? oci_json_get_str(j, "", key, &s, err) : oci_json_opt_str(j, "", key, &s, err);
	if (r < 0)
		return oci_err_wrap(err, "%s", file);
	if (!s)
		return 0;
	if ((r = net_cidr_parse(s, prefix, ret, err)) < 0)
		return oci_err_wrap(err, "%s: %s", file, key);
	return 0;
}

int net_network_from_json(json_t *j, const char *file, struct net_network **ret,
			  struct oci_err **err)
{
	_cleanup_(net_network_freep) struct net_network *n = xcalloc(1, sizeof(*n));
	const char *name = NULL, *id = NULL, *bridge = NULL, *created = NULL;
	int64_t mtu = 0, vlan = 0;
	int r;
	n->dns = true;
	n->masquerade = true;
	n->hairpin = true;
	if ((r = oci_json_get_str(j, "", "name", &name, err)) < 0 ||
	    (r = oci_json_get_str(j, "", "id", &id, err)) < 0 ||
	    (r = oci_json_get_str(j, "", "bridge", &bridge, err)) < 0 ||
	    (r = oci_json_opt_str(j, "", "created", &created, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "ipv6", &n->ipv6, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "internal", &n->internal, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "masquerade", &n->masquerade, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "hairpin", &n->hairpin, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "isolatePorts", &n->isolate_ports, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "macSpoofCheck", &n->mac_spoof_check, err)) < 0 ||
	    (r = oci_json_opt_bool(j, "", "dns", &n->dns, err)) < 0 ||
	    (r = oci_json_opt_int_range(j, "", "mtu", 0, 65535, &mtu, err)) < 0 ||
	    (r = oci_json_opt_int_range(j, "", "vlan", 0, 4094, &vlan, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "dnsUpstreams", &n->dns_upstreams, err)) < 0 ||
	    (r = oci_json_opt_strv(j, "", "routes", &n->routes, err)) < 0)
		return oci_err_wrap(err, "%s", file);
	n->name = xstrdup(name);
	n->id = xstrdup(id);
	n->bridge = xstrdup(bridge);
	n->created = created ? xstrdup(created) : NULL;
	n->mtu = (unsigned)mtu;
	n->vlan = (unsigned)vlan;
	if ((r = get_cidr(j, file, "subnet", true, true, &n->subnet, err)) < 0 ||
	    (r = get_cidr(j, file, "gateway", false, true, &n->gateway, err)) < 0 ||
	    (r = get_cidr(j, file, "subnet6", true, n->ipv6, &n->subnet6, err)) < 0 ||
	    (r = get_cidr(j, file, "gateway6", false, n->ipv6, &n->gateway6, err)) < 0)
		return r;
	n->gateway.prefix = n->subnet.prefix;
	n->gateway6.prefix = n->subnet6.prefix;
	*ret = TAKE_PTR(n);
	return 0;
}

int net_network_load(struct net_ctx *ctx, const char *name, struct net_network **ret,
		     struct oci_err **err)
{
	if (!net_name_valid(name))
		return oci_err_set(err, EINVAL, "'%s' is not a valid network name", name);
	_cleanup_free_ char *file = xasprintf("%s/%s/network.json", ctx->dir, name);
	if (access(file, F_OK) < 0 && errno == ENOENT)
		return oci_err_set(err, ENOENT, "no such network '%s'", name);
	json_auto_t *j = NULL;
	int r = oci_json_load_file(file, 0, &j, err);
	if (r < 0)
		return r;
	return net_network_from_json(j, file, ret, err);
}

int net_network_save(struct net_ctx *ctx, const struct net_network *n, struct oci_err **err)
{
	_cleanup_free_ char *dir = net_network_dir(ctx, n->name);
	_cleanup_free_ char *epdir = xasprintf("%s/endpoints", dir);
	int r = net_mkdir_p(epdir, 0755, err);
	if (r < 0)
		return r;
	json_auto_t *j = net_network_to_json(n);
	_cleanup_free_ char *s = oci_json_dumps(j);
	_cleanup_free_ char *file = xasprintf("%s/network.json", dir);
	return net_write_atomic(file, s, strlen(s), err);
}

static int strcmp_ptr(const char **a, const char **b)
{
	return strcmp(*a, *b);
}

int net_network_list(struct net_ctx *ctx, char ***ret, struct oci_err **err)
{
	_cleanup_strv_ char **names = NULL;
	_cleanup_closedir_ DIR *d = opendir(ctx->dir);
	if (!d) {
		if (errno != ENOENT)
			return oci_err_sys(err, "open '%s'", ctx->dir);
		*ret = xcalloc(1, sizeof(char *));
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !net_name_valid(de->d_name))
			continue;
		_cleanup_free_ char *f = xasprintf("%s/%s/network.json", ctx->dir, de->d_name);
		if (access(f, F_OK) == 0)
			oci_strv_push(&names, de->d_name);
	}
	size_t n = oci_strv_len(names);
	if (!names)
		names = xcalloc(1, sizeof(char *));
	qsort(names, n, sizeof(char *), (int (*)(const void *, const void *))strcmp_ptr);
	*ret = TAKE_PTR(names);
	return 0;
}

/* Every subnet in use by another network, and on the host's interfaces. */
static int check_overlap(struct net_ctx *ctx, const char *name, const struct net_cidr *subnet,
			 struct oci_err **err)
{
	_cleanup_strv_ char **names = NULL;
	int r = net_network_list(ctx, &names, err);
	if (r < 0)
		return r;
	for (char **p = names; *p; p++) {
		_cleanup_(net_network_freep) struct net_network *o = NULL;
		if (streq(*p, name) || net_network_load(ctx, *p, &o, NULL) < 0)
			continue;
		if (net_cidr_overlaps(&o->subnet, subnet) ||
		    (o->ipv6 && net_cidr_overlaps(&o->subnet6, subnet))) {
			_cleanup_free_ char *s = net_cidr_str(subnet, true);
			return oci_err_set(err, EEXIST, "subnet %s overlaps network '%s'", s, *p);
		}
	}
	_cleanup_free_ char *desc = NULL;
	if (net_host_addr_conflict(subnet, &desc) > 0) {
		_cleanup_free_ char *s = net_cidr_str(subnet, true);
		return oci_err_set(err, EEXIST, "subnet %s overlaps the host's address %s", s, desc);
	}
	return 0;
}

static int pick_subnet(struct net_ctx *ctx, const char *name, struct net_cidr *ret,
		       struct oci_err **err)
{
	/* Docker's pool: 172.18.0.0/16 ... 172.31.0.0/16, then 192.168.N.0/20. */
	for (int i = 18; i <= 31; i++) {
		_cleanup_free_ char *s = xasprintf("172.%d.0.0/16", i);
		struct net_cidr c;
		net_cidr_parse(s, true, &c, NULL);
		if (check_overlap(ctx, name, &c, NULL) == 0) {
			*ret = c;
			return 0;
		}
	}
	for (int i = 0; i < 256; i += 16) {
		_cleanup_free_ char *s = xasprintf("192.168.%d.0/20", i);
		struct net_cidr c;
		net_cidr_parse(s, true, &c, NULL);
		if (check_overlap(ctx, name, &c, NULL) == 0) {
			*ret = c;
			return 0;
		}
	}
	return oci_err_set(err, ENOSPC, "no free subnet left in the default pools: use --subnet");
}

static int setup_family(const char *what, const char *subnet_s, const char *gw_s,
			int family, struct net_cidr *subnet, struct net_cidr *gw,
			struct oci_err **err)
{
	int r;
	if (subnet_s) {
		if ((r = net_cidr_parse(subnet_s, true, subnet, err)) < 0)
			return oci_err_wrap(err, "%s", what);
		if (subnet->family != family)
			return oci_err_set(err, EINVAL, "%s '%s' is not an IPv%d subnet", what,
					   subnet_s, family == AF_INET ? 4 : 6);
		int max = family == AF_INET ? 30 : 126;
		if (subnet->prefix > max)
			return oci_err_set(err, EINVAL, "%s '%s' is too small (at most /%d)", what,
					   subnet_s, max);
		net_cidr_network(subnet, subnet);
	}
	if (gw_s) {
		if ((r = net_ip_parse(gw_s, gw, err)) < 0)
			return oci_err_wrap(err, "gateway");
		gw->prefix = subnet->prefix;
		_cleanup_free_ char *s = net_cidr_str(subnet, true);
		if (!net_cidr_contains(subnet, gw))
			return oci_err_set(err, EINVAL, "gateway %s is not in subnet %s", gw_s, s);
		if (net_ipam_check(subnet, NULL, NULL, 0, gw, err) < 0)
			return oci_err_wrap(err, "gateway");
	} else {
		net_cidr_nth(subnet, 1, gw);
		gw->prefix = subnet->prefix;
	}
	return 0;
}

int net_network_new(struct net_ctx *ctx, const char *name, const struct net_create_opts *o,
		    struct net_network **ret, struct oci_err **err)
{
	int r;
	if (!net_name_valid(name))
		return oci_err_set(err, EINVAL,
				   "'%s' is not a valid network name (letters, digits, '_', '.', '-')",
				   name);
	_cleanup_(net_network_freep) struct net_network *n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(name);
	n->id = net_random_hex(64);
	n->internal = o->internal;
	n->masquerade = !o->no_masquerade;
	n->hairpin = !o->no_hairpin;
	n->isolate_ports = o->isolate_ports;
	n->mac_spoof_check = o->mac_spoof_check;
	n->dns = !o->no_dns;
	n->mtu = o->mtu ? o->mtu : 1500;
	if (o->vlan > 4094)
		return oci_err_set(err, EINVAL, "VLAN %u is not a number from 1 to 4094", o->vlan);
	n->vlan = o->vlan;
	n->created = net_now_rfc3339();
	for (char **u = o->dns_upstreams; u && *u; u++)
		if (!net_upstream_valid(*u))
			return oci_err_set(err, EINVAL, "--dns-upstream '%s' is not IP[:PORT]", *u);
	n->dns_upstreams = o->dns_upstreams ? oci_strv_dup(o->dns_upstreams) : NULL;
	for (char **p = o->routes; p && *p; p++) {
		struct net_cidr c;
		if ((r = net_cidr_parse(*p, true, &c, err)) < 0)
			return oci_err_wrap(err, "route");
		net_cidr_network(&c, &c);
		_cleanup_free_ char *s = net_cidr_str(&c, true);
		oci_strv_push(&n->routes, s);
	}
	if (o->bridge) {
		if (strlen(o->bridge) > 15 || !net_name_valid(o->bridge))
			return oci_err_set(err, EINVAL, "bridge name '%s' is not a valid interface name",
					   o->bridge);
		n->bridge = xstrdup(o->bridge);
	} else if (streq(name, NET_DEFAULT_NAME)) {
		n->bridge = xstrdup(NET_DEFAULT_BRIDGE);
	} else {
		n->bridge = xasprintf("oci-%.10s", n->id);
	}
	if (o->subnet) {
		if ((r = setup_family("subnet", o->subnet, o->gateway, AF_INET, &n->subnet,
				      &n->gateway, err)) < 0)
			return r;
	} else if (o->gateway) {
		return oci_err_set(err, EINVAL, "--gateway needs --subnet");
	} else {
		if ((r = pick_subnet(ctx, name, &n->subnet, err)) < 0)
			return r;
		net_cidr_nth(&n->subnet, 1, &n->gateway);
		n->gateway.prefix = n->subnet.prefix;
	}
	if ((r = check_overlap(ctx, name, &n->subnet, err)) < 0)
		return r;
	if (o->ipv6 || o->subnet6) {
		n->ipv6 = true;
		if (!o->subnet6)
			return oci_err_set(err, EINVAL, "--ipv6 needs --subnet6 (like fd00:1::/64)");
		if ((r = setup_family("subnet6", o->subnet6, o->gateway6, AF_INET6, &n->subnet6,
				      &n->gateway6, err)) < 0)
			return r;
		if ((r = check_overlap(ctx, name, &n->subnet6, err)) < 0)
			return r;
	} else if (o->gateway6) {
		return oci_err_set(err, EINVAL, "--gateway6 needs --subnet6");
	}
	*ret = TAKE_PTR(n);
	return 0;
}

int net_network_get(struct net_ctx *ctx, const char *name, bool create_default,
		    struct net_network **ret, struct oci_err **err)
{
	int r = net_network_load(ctx, name, ret, err);
	if (r != -ENOENT || !create_default || !streq(name, NET_DEFAULT_NAME))
		return r;
	oci_err_clear(err);
	struct net_create_opts o = { .subnet = ctx->default_subnet };
	_cleanup_(net_network_freep) struct net_network *n = NULL;
	if ((r = net_network_new(ctx, name, &o, &n, err)) < 0)
		return oci_err_wrap(err, "default network '%s'", name);
	if ((r = net_network_save(ctx, n, err)) < 0)
		return r;
	*ret = TAKE_PTR(n);
	return 0;
}
