/* The image configuration (image-spec config.md, Docker's image JSON). */
#include "image_config.h"

#include <string.h>

#include "json.h"
#include "util.h"

/* The keys of an object of objects ("ExposedPorts": {"80/tcp": {}}). */
static int opt_keys(json_t *obj, const char *path, const char *key, char ***ret,
		    struct oci_err **err)
{
	json_t *o = NULL;
	int r = oci_json_opt_obj(obj, path, key, &o, err);
	if (r <= 0)
		return r;
	char **v = xcalloc(json_object_size(o) + 1, sizeof(char *));
	size_t i = 0;
	const char *k;
	json_t *e;
	json_object_foreach (o, k, e) {
		v[i++] = xstrdup(k);
	}
	*ret = v;
	return 1;
}

/* An optional string; "" counts as absent. */
static int opt_nonempty(json_t *obj, const char *path, const char *key, char **ret,
			struct oci_err **err)
{
	const char *s = NULL;
	int r = oci_json_opt_str(obj, path, key, &s, err);
	if (r > 0 && *s)
		*ret = xstrdup(s);
	return r;
}

int oci_image_config_parse(const char *buf, size_t len, const char *name,
			   struct oci_image_config *ret, struct oci_err **err)
{
	if (!name)
		name = "image config";
	json_auto_t *doc = NULL;
	int r = oci_json_load_buf(buf, len, name, &doc, err);
	if (r < 0)
		return r;
	r = oci_json_expect(doc, JSON_OBJECT, "", err);
	if (r < 0)
		return oci_err_wrap(err, "%s", name);

	struct oci_image_config c = {0};
	const char *os = NULL, *arch = NULL, *variant = NULL;
	json_t *cfg = NULL, *rootfs = NULL, *ids = NULL;
	const char *type = NULL;
	if ((r = oci_json_get_str(doc, "", "architecture", &arch, err)) < 0 ||
	    (r = oci_json_get_str(doc, "", "os", &os, err)) < 0 ||
	    (r = oci_json_opt_str(doc, "", "variant", &variant, err)) < 0)
		goto fail;
	c.os = xstrdup(os);
	c.arch = xstrdup(arch);
	c.variant = variant && *variant ? xstrdup(variant) : NULL;

	if ((r = oci_json_opt_obj(doc, "", "config", &cfg, err)) < 0)
		goto fail;
	if (cfg) {
		if ((r = opt_nonempty(cfg, "config", "User", &c.user, err)) < 0 ||
		    (r = oci_json_opt_strv(cfg, "config", "Env", &c.env, err)) < 0 ||
		    (r = oci_json_opt_strv(cfg, "config", "Entrypoint", &c.entrypoint, err)) < 0 ||
		    (r = oci_json_opt_strv(cfg, "config", "Cmd", &c.cmd, err)) < 0 ||
		    (r = opt_nonempty(cfg, "config", "WorkingDir", &c.working_dir, err)) < 0 ||
		    (r = opt_keys(cfg, "config", "ExposedPorts", &c.exposed_ports, err)) < 0 ||
		    (r = opt_keys(cfg, "config", "Volumes", &c.volumes, err)) < 0 ||
		    (r = oci_json_opt_str_map(cfg, "config", "Labels", &c.labels, err)) < 0 ||
		    (r = opt_nonempty(cfg, "config", "StopSignal", &c.stop_signal, err)) < 0)
			goto fail;
	}
	if (!c.env)
		c.env = xcalloc(1, sizeof(char *));

	if ((r = oci_json_get_obj(doc, "", "rootfs", &rootfs, err)) < 0 ||
	    (r = oci_json_get_str(rootfs, "rootfs", "type", &type, err)) < 0)
		goto fail;
	if (!streq(type, "layers")) {
		r = oci_err_set(err, EINVAL, "rootfs.type: '%s' is not 'layers'", type);
		goto fail;
	}
	if ((r = oci_json_get_arr(rootfs, "rootfs", "diff_ids", &ids, err)) < 0)
		goto fail;
	c.n_diff_ids = json_array_size(ids);
	c.diff_ids = xcalloc(c.n_diff_ids + 1, sizeof(*c.diff_ids));
	for (size_t i = 0; i < c.n_diff_ids; i++) {
		json_t *e = json_array_get(ids, i);
		_cleanup_free_ char *p = oci_json_path_index("rootfs.diff_ids", i);
		if ((r = oci_json_expect(e, JSON_STRING, p, err)) < 0)
			goto fail;
		r = oci_digest_parse(json_string_value(e), &c.diff_ids[i], err);
		if (r < 0) {
			oci_err_wrap(err, "%s", p);
			goto fail;
		}
	}
	c.json = json_incref(doc);
	*ret = c;
	return 0;
fail:
	oci_image_config_release(&c);
	return oci_err_wrap(err, "%s", name);
}

void oci_image_config_release(struct oci_image_config *c)
{
	if (!c)
		return;
	free(c->os);
	free(c->arch);
	free(c->variant);
	free(c->user);
	oci_strv_free(c->env);
	oci_strv_free(c->entrypoint);
	oci_strv_free(c->cmd);
	free(c->working_dir);
	oci_strv_free(c->exposed_ports);
	oci_strv_free(c->volumes);
	oci_strv_free(c->labels);
	free(c->stop_signal);
	free(c->diff_ids);
	json_decref(c->json);
	memset(c, 0, sizeof(*c));
}

void oci_chain_ids(const struct oci_digest *diff_ids, size_t n, struct oci_digest *ret)
{
	for (size_t i = 0; i < n; i++) {
		if (i == 0) {
			ret[0] = diff_ids[0];
			continue;
		}
		struct oci_hasher *h = oci_hasher_new(OCI_DIGEST_SHA256);
		oci_hasher_update(h, ret[i - 1].str, strlen(ret[i - 1].str));
		oci_hasher_update(h, " ", 1);
		oci_hasher_update(h, diff_ids[i].str, strlen(diff_ids[i].str));
		oci_hasher_final(h, &ret[i]);
		oci_hasher_free(h);
	}
}
