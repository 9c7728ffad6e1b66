/* OCI hook mode: oci-net as the createRuntime and poststop hooks of a
 * config.json. The runtime passes the state JSON on stdin (id, pid,
 * bundle, annotations); createRuntime attaches the container's namespace
 * (by pid) and poststop takes it off again. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "fs.h"
#include "json.h"
#include "net.h"
#include "sbuf.h"
#include "util.h"

/* The state JSON on stdin, at most 1 MiB. */
static int read_state(int fd, struct sbuf *sb, struct oci_err **err)
{
	int r = oci_read_fd(fd, 1u << 20, sb);
	if (r == -EFBIG)
		return oci_err_set(err, EFBIG, "container state on stdin is too large");
	if (r < 0)
		return oci_err_set(err, -r, "read the container state on stdin: %s", strerror(-r));
	return 0;
}

/* The root filesystem of a bundle: root.path of its config.json. */
static int hook_rootfs(const char *bundle, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *cfg = xasprintf("%s/config.json", bundle);
	json_auto_t *j = NULL;
	json_t *root = NULL;
	const char *path = NULL;
	int r;
	if ((r = oci_json_load_file(cfg, 0, &j, err)) < 0 ||
	    (r = oci_json_get_obj(j, "", "root", &root, err)) < 0 ||
	    (r = oci_json_get_str(root, "root", "path", &path, err)) < 0)
		return oci_err_wrap(err, "%s", cfg);
	*ret = path[0] == '/' ? xstrdup(path) : xasprintf("%s/%s", bundle, path);
	return 0;
}

int net_hook_run(struct net_ctx *ctx, const struct net_hook_opts *o, int in_fd,
		 struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	json_auto_t *st = NULL;
	const char *id = NULL, *name = NULL;
	int64_t pid = 0;
	json_t *ann = NULL;
	int r;
	if ((r = read_state(in_fd, &sb, err)) < 0 ||
	    (r = oci_json_load_buf(sb.buf, sb.len, "state", &st, err)) < 0)
		return r;
	if ((r = oci_json_get_str(st, "state", "id", &id, err)) < 0 ||
	    (r = oci_json_opt_int(st, "state", "pid", &pid, err)) < 0 ||
	    (r = oci_json_opt_obj(st, "state", "annotations", &ann, err)) < 0)
		return r;
	if (ann)
		name = json_string_value(json_object_get(ann, "org.oci-tools.net.name"));

	if (streq(o->stage, "createRuntime") || streq(o->stage, "prestart")) {
		if (streq(o->network, "host"))
			return 0;
		if (pid <= 0)
			return oci_err_set(err, EINVAL, "state: pid is missing: the container is not created");
		struct net_connect_opts c = o->connect;
		c.target = (struct net_target){ .container = id, .pid = (pid_t)pid };
		if (!c.name)
			c.name = name;
		_cleanup_free_ char *root = NULL;
		if (o->write_etc) {
			const char *bundle = NULL;
			if ((r = oci_json_get_str(st, "state", "bundle", &bundle, err)) < 0 ||
			    (r = hook_rootfs(bundle, &root, err)) < 0)
				return r;
			c.etc_root = root;
		}
		if (streq(o->network, "none")) {
			_cleanup_close_ int fd = -1;
			uint64_t dev, ino;
			if ((r = net_netns_open(&c.target, &fd, NULL, &dev, &ino, err)) < 0)
				return r;
			return net_in_netns(fd, net_link_lo_up_arg, NULL, err);
		}
		_cleanup_(net_endpoint_freep) struct net_endpoint *e = NULL;
		return net_connect(ctx, o->network, &c, &e, err);
	}
	if (streq(o->stage, "poststop")) {
		if (streq(o->network, "host") || streq(o->network, "none"))
			return 0;
		struct net_target t = { .container = id };
		return net_disconnect(ctx, o->network, &t, NULL, true, err);
	}
	return oci_err_set(err, EINVAL,
			   "hook stage '%s' is not supported (use createRuntime or poststop)",
			   o->stage);
}
