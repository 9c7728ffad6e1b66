/* The image config → the bundle's config.json (image-spec conversion.md),
 * on the defaults `runc spec` gives (common/runtime_spec.h), except that
 * process.terminal and root.readonly are false. */
#include "unpack.h"

#include <string.h>

#include "log.h"
#include "runtime_spec.h"
#include "sbuf.h"
#include "util.h"

#define ANN_EXPOSED_PORTS "org.opencontainers.image.exposedPorts"
#define ANN_STOP_SIGNAL "org.opencontainers.image.stopSignal"
#define ANN_VOLUMES "org.oci-tools.image.volumes"
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static bool env_has(json_t *env, const char *kv)
{
	size_t klen = strcspn(kv, "=");
	size_t i;
	json_t *v;
	json_array_foreach(env, i, v) {
		const char *s = json_string_value(v);
		if (s && strncmp(s, kv, klen) == 0 && s[klen] == '=')
			return true;
	}
	return false;
}

static void set_ann(json_t *ann, const char *key, const char *value)
{
	json_object_set_new(ann, key, json_string(value));
}

static char *join_csv(char **v)
{
	struct sbuf sb = SBUF_INIT;
	for (char **p = v; p && *p; p++) {
		if (p != v)
			sbuf_addch(&sb, ',');
		sbuf_addstr(&sb, *p);
	}
	return sbuf_detach(&sb, NULL);
}

static json_t *maps_json(const struct unpack_idmap *m, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		json_object_set_new(o, "containerID", json_integer(m[i].inside));
		json_object_set_new(o, "hostID", json_integer(m[i].outside));
		json_object_set_new(o, "size", json_integer(m[i].len));
		json_array_append_new(a, o);
	}
	return a;
}

static bool ns_has(json_t *nss, const char *type)
{
	size_t i;
	json_t *v;
	json_array_foreach(nss, i, v) {
		const char *t = json_string_value(json_object_get(v, "type"));
		if (t && streq(t, type))
			return true;
	}
	return false;
}

/* The user namespace and its mappings (umoci: whenever maps are given). */
static void set_userns(json_t *spec, const struct unpack_bundle_opts *bo)
{
	json_t *linux_ = json_object_get(spec, "linux");
	if (!linux_) {
		linux_ = json_object();
		json_object_set_new(spec, "linux", linux_);
	}
	json_t *nss = json_object_get(linux_, "namespaces");
	if (!nss) {
		nss = json_array();
		json_object_set_new(linux_, "namespaces", nss);
	}
	if (!ns_has(nss, "user")) {
		json_t *n = json_object();
		json_object_set_new(n, "type", json_string("user"));
		json_array_append_new(nss, n);
	}
	if (bo->n_uid_map)
		json_object_set_new(linux_, "uidMappings", maps_json(bo->uid_map, bo->n_uid_map));
	if (bo->n_gid_map)
		json_object_set_new(linux_, "gidMappings", maps_json(bo->gid_map, bo->n_gid_map));
}

static bool id_mapped(const struct unpack_idmap *m, size_t n, uint32_t id)
{
	uint32_t out;
	return n == 0 || unpack_idmap_apply(m, n, id, &out) == 0;
}

int unpack_bundle_config(const struct oci_image_config *c, int rootfd,
			 const struct unpack_bundle_opts *bo, json_t **ret, struct oci_err **err)
{
	static const struct unpack_bundle_opts none = { 0 };
	if (!bo)
		bo = &none;
	json_auto_t *spec = oci_runtime_spec_default(bo->rootless);
	json_t *proc = json_object_get(spec, "process");
	if (!proc) {
		proc = json_object();
		json_object_set_new(spec, "process", proc);
	}
	json_object_set_new(proc, "terminal", json_false());

	/* args: Entrypoint + Cmd */
	if (oci_strv_len(c->entrypoint) + oci_strv_len(c->cmd) > 0) {
		json_t *args = json_array();
		for (char **p = c->entrypoint; p && *p; p++)
			json_array_append_new(args, json_string(*p));
		for (char **p = c->cmd; p && *p; p++)
			json_array_append_new(args, json_string(*p));
		json_object_set_new(proc, "args", args);
	}

	/* user */
	struct unpack_user u = { 0 };
	int r = unpack_user_resolve(rootfd, c->user, &u, err);
	if (r < 0)
		return r;
	json_t *user = json_object();
	json_object_set_new(user, "uid", json_integer(u.uid));
	json_object_set_new(user, "gid", json_integer(u.gid));
	if (bo->rootless && (!id_mapped(bo->uid_map, bo->n_uid_map, u.uid) ||
			     !id_mapped(bo->gid_map, bo->n_gid_map, u.gid)))
		oci_warn("the image's user %u:%u is not in the uid and gid maps: the container "
			 "cannot switch to it (map it with --uid-map and --gid-map, from the "
			 "ranges of /etc/subuid and /etc/subgid)", u.uid, u.gid);
	/* rootless with only the caller's gid mapped: setgroups is denied (umoci
	 * drops them too) */
	bool groups = !bo->rootless || bo->n_gid_map > 1 ||
		      (bo->n_gid_map == 1 && bo->gid_map[0].len > 1);
	if (u.n_additional_gids && groups) {
		json_t *g = json_array();
		for (size_t i = 0; i < u.n_additional_gids; i++)
			json_array_append_new(g, json_integer(u.additional_gids[i]));
		json_object_set_new(user, "additionalGids", g);
	}
	json_object_set_new(proc, "user", user);

	/* env: the image's, plus PATH and HOME when it lacks them */
	json_t *env = json_array();
	for (char **p = c->env; p && *p; p++)
		json_array_append_new(env, json_string(*p));
	if (!env_has(env, DEFAULT_PATH))
		json_array_append_new(env, json_string(DEFAULT_PATH));
	if (!env_has(env, "HOME=")) {
		_cleanup_free_ char *h = xasprintf("HOME=%s", u.home ? u.home : "/");
		json_array_append_new(env, json_string(h));
	}
	json_object_set_new(proc, "env", env);
	unpack_user_release(&u);

	json_object_set_new(proc, "cwd",
			    json_string(c->working_dir && *c->working_dir ? c->working_dir : "/"));

	json_t *root = json_object();
	json_object_set_new(root, "path", json_string("rootfs"));
	json_object_set_new(root, "readonly", json_false());
	json_object_set_new(spec, "root", root);

	if (bo->rootless || bo->n_uid_map || bo->n_gid_map)
		set_userns(spec, bo);
	if (bo->root_mount) {
		json_t *mounts = json_object_get(spec, "mounts");
		if (!mounts) {
			mounts = json_array();
			json_object_set_new(spec, "mounts", mounts);
		}
		json_array_insert(mounts, 0, bo->root_mount);
	}

	/* annotations: implicit ones first, Labels win over them */
	json_t *ann = json_object();
	if (c->os)
		set_ann(ann, "org.opencontainers.image.os", c->os);
	if (c->arch)
		set_ann(ann, "org.opencontainers.image.architecture", c->arch);
	if (c->variant)
		set_ann(ann, "org.opencontainers.image.variant", c->variant);
	if (c->json) {
		const char *s = json_string_value(json_object_get(c->json, "author"));
		if (s)
			set_ann(ann, "org.opencontainers.image.author", s);
		s = json_string_value(json_object_get(c->json, "created"));
		if (s)
			set_ann(ann, "org.opencontainers.image.created", s);
	}
	if (c->stop_signal && *c->stop_signal)
		set_ann(ann, ANN_STOP_SIGNAL, c->stop_signal);
	if (oci_strv_len(c->exposed_ports)) {
		_cleanup_free_ char *s = join_csv(c->exposed_ports);
		set_ann(ann, ANN_EXPOSED_PORTS, s);
	}
	if (oci_strv_len(c->volumes)) {
		_cleanup_free_ char *s = join_csv(c->volumes);
		set_ann(ann, ANN_VOLUMES, s);
	}
	for (char **p = c->labels; p && p[0] && p[1]; p += 2)
		set_ann(ann, p[0], p[1]);
	if (json_object_size(ann))
		json_object_set_new(spec, "annotations", ann);
	else
		json_decref(ann);

	*ret = json_incref(spec);
	return 0;
}
