/* A small CNI runtime (what libcni and cnitool do): runs the plugins of a
 * network configuration list (.conflist) in order for ADD, CHECK, STATUS
 * and GC and in reverse order for DEL, chaining each result into the next
 * plugin's prevResult. Honours cniVersion / cniVersions (the highest one we
 * support), disableCheck, disableGC, and the plugins' capabilities for
 * runtimeConfig. The result of ADD is cached in STORE/networks/.cni/ for
 * CHECK and DEL, as libcni caches it. Plugins are found in CNI_PATH; the
 * type "oci-net" falls back to this program itself. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "exec.h"
#include "json.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

static const char *const cnirun_versions[] = { "1.1.0", "1.0.0", "0.4.0", "0.3.1", "0.3.0", NULL };

static int version_rank(const char *v)
{
	for (int i = 0; cnirun_versions[i]; i++)
		if (streq(cnirun_versions[i], v))
			return 100 - i;
	return -1;
}

static int find_plugin(const char *type, const char *cni_path, char **ret, struct oci_err **err)
{
	if (!*type || strchr(type, '/') || type[0] == '.')
		return oci_err_set(err, EINVAL, "plugin type '%s' is not a file name", type);
	_cleanup_free_ char *dirs = xstrdup(cni_path ? cni_path : "");
	char *save = NULL;
	for (char *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
		_cleanup_free_ char *f = xasprintf("%s/%s", d, type);
		if (access(f, X_OK) == 0) {
			*ret = TAKE_PTR(f);
			return 0;
		}
	}
	if (streq(type, "oci-net")) {
		_cleanup_free_ char *self = xmalloc(4096);
		ssize_t n = readlink("/proc/self/exe", self, 4095);
		if (n > 0) {
			self[n] = '\0';
			*ret = TAKE_PTR(self);
			return 0;
		}
	}
	return oci_err_set(err, ENOENT, "plugin '%s' not found in CNI_PATH '%s'", type,
			   cni_path ? cni_path : "");
}

/* Runs one plugin; returns its exit status, *ret_out its stdout. */
static int exec_plugin(const char *path, const struct net_cnirun_opts *o, const char *command,
		       const char *input, char **ret_out, struct oci_err **err)
{
	struct oci_exec_var env[7] = {
		{ "CNI_COMMAND", command },
		{ "CNI_CONTAINERID", o->container ? o->container : "" },
		{ "CNI_NETNS", o->netns ? o->netns : "" },
		{ "CNI_IFNAME", o->ifname ? o->ifname : "eth0" },
		{ "CNI_PATH", o->cni_path ? o->cni_path : "" },
		{ "CNI_ARGS", o->args }, /* none: unset */
	};
	size_t n_env = 6;
	if (o->store)
		env[n_env++] = (struct oci_exec_var){ "OCI_ROOT", o->store };
	char *argv[] = { (char *)path, NULL };
	struct oci_exec x = { .argv = argv, .env = env, .n_env = n_env, .in = input,
			      .in_len = strlen(input), .out_mode = OCI_EXEC_CAPTURE };
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = oci_exec_run(&x, &res, err);
	if (r < 0)
		return r;
	*ret_out = TAKE_PTR(res.out);
	return res.status;
}

static char *cache_file(struct net_ctx *ctx, const char *name, const struct net_cnirun_opts *o)
{
	return xasprintf("%s/.cni/%s-%s-%s.json", ctx->dir, name, o->container ? o->container : "",
			 o->ifname ? o->ifname : "eth0");
}

int net_cnirun(struct net_ctx *ctx, const struct net_cnirun_opts *opts, char **ret_result,
	       struct oci_err **err)
{
	struct net_cnirun_opts oo = *opts;
	const struct net_cnirun_opts *o = &oo;
	if (!oo.store)
		oo.store = ctx->store;
	json_auto_t *list = NULL;
	int r = oci_json_load_file(o->conflist, 0, &list, err);
	if (r < 0)
		return r;
	const char *name = NULL, *ver = NULL;
	json_t *plugins = NULL, *versions = NULL;
	bool disable_check = false, disable_gc = false;
	if ((r = oci_json_get_str(list, "", "name", &name, err)) < 0 ||
	    (r = oci_json_opt_str(list, "", "cniVersion", &ver, err)) < 0 ||
	    (r = oci_json_opt_arr(list, "", "cniVersions", &versions, err)) < 0 ||
	    (r = oci_json_opt_bool(list, "", "disableCheck", &disable_check, err)) < 0 ||
	    (r = oci_json_opt_bool(list, "", "disableGC", &disable_gc, err)) < 0 ||
	    (r = oci_json_get_arr(list, "", "plugins", &plugins, err)) < 0)
		return oci_err_wrap(err, "%s", o->conflist);
	/* cniVersions (1.1): the highest we support; else cniVersion. */
	const char *use = NULL;
	for (size_t i = 0; i < json_array_size(versions); i++) {
		const char *v = json_string_value(json_array_get(versions, i));
		if (v && version_rank(v) > (use ? version_rank(use) : -1))
			use = v;
	}
	if (!use)
		use = ver;
	if (!use || version_rank(use) < 0)
		return oci_err_set(err, EINVAL, "%s: no supported cniVersion (have %s)", o->conflist,
				   use ? use : "none");
	if (json_array_size(plugins) == 0)
		return oci_err_set(err, EINVAL, "%s: plugins: expected at least one plugin", o->conflist);
	const char *cmd = o->command;
	bool is_add = streq(cmd, "ADD"), is_del = streq(cmd, "DEL"), is_check = streq(cmd, "CHECK");
	if ((is_check && disable_check) || (streq(cmd, "GC") && disable_gc))
		return 0;
	if ((streq(cmd, "GC") || streq(cmd, "STATUS")) && version_rank(use) < version_rank("1.1.0"))
		return oci_err_set(err, ENOTSUP, "%s: %s needs cniVersion 1.1.0", o->conflist, cmd);

	_cleanup_free_ char *cache = cache_file(ctx, name, o);
	json_auto_t *prev = NULL;
	if (is_del || is_check) {
		if (access(cache, F_OK) == 0 && oci_json_load_file(cache, 0, &prev, NULL) < 0)
			prev = NULL;
		if (is_check && !prev)
			return oci_err_set(err, ENOENT, "no cached result for '%s' on '%s': was it added?",
					   o->container ? o->container : "", name);
	}
	size_t n = json_array_size(plugins);
	for (size_t k = 0; k < n; k++) {
		size_t i = is_del ? n - 1 - k : k;
		json_t *pl = json_array_get(plugins, i);
		const char *type = json_string_value(json_object_get(pl, "type"));
		if (!json_is_object(pl) || !type)
			return oci_err_set(err, EINVAL, "%s: plugins[%zu]: missing type", o->conflist, i);
		json_auto_t *conf = json_deep_copy(pl);
		json_object_set_new(conf, "name", json_string(name));
		json_object_set_new(conf, "cniVersion", json_string(use));
		/* runtimeConfig: only the capabilities the plugin declares. */
		json_t *caps = json_object_get(pl, "capabilities");
		if (o->runtime_config && json_is_object(caps)) {
			json_t *rc = json_object();
			const char *key;
			json_t *v;
			json_object_foreach(o->runtime_config, key, v)
				if (json_is_true(json_object_get(caps, key)))
					json_object_set(rc, key, v);
			json_object_set_new(conf, "runtimeConfig", rc);
		}
		json_object_del(conf, "capabilities");
		if (prev && !streq(cmd, "GC") && !streq(cmd, "STATUS"))
			json_object_set(conf, "prevResult", prev);
		if (streq(cmd, "GC") && o->valid)
			json_object_set(conf, "cni.dev/valid-attachments", o->valid);
		_cleanup_free_ char *path = NULL;
		if ((r = find_plugin(type, o->cni_path, &path, err)) < 0)
			return r;
		_cleanup_free_ char *input = oci_json_dumps_compact(conf);
		_cleanup_free_ char *out = NULL;
		int st = exec_plugin(path, o, cmd, input, &out, err);
		if (st < 0)
			return st;
		if (st != 0) {
			json_auto_t *e = json_loads(out, 0, NULL);
			const char *msg = json_string_value(json_object_get(e, "msg"));
			const char *det = json_string_value(json_object_get(e, "details"));
			return oci_err_set(err, EIO, "plugin '%s' failed (%s): %s%s%s", type, cmd,
					   msg ? msg : "exit status", det ? ": " : "", det ? det : "");
		}
		if (is_add) {
			json_t *res = json_loads(out, 0, NULL);
			if (!json_is_object(res)) {
				json_decref(res);
				return oci_err_set(err, EINVAL, "plugin '%s' printed no result", type);
			}
			json_decref(prev);
			prev = res;
		}
	}
	if (is_add && prev) {
		_cleanup_free_ char *s = oci_json_dumps(prev);
		_cleanup_free_ char *d = xasprintf("%s/.cni", ctx->dir);
		if ((r = net_mkdir_p(d, 0700, err)) < 0 ||
		    (r = net_write_atomic(cache, s, strlen(s), err)) < 0)
			return r;
		if (ret_result)
			*ret_result = xstrdup(s);
	}
	if (is_del)
		unlink(cache);
	return 0;
}
