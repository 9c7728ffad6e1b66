/* copy SRC DEST, as skopeo copy: a registry to a local destination is a
 * pull, a local source to a registry is a push, and registry to registry
 * goes through a temporary layout (pull, then push). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fetch.h"
#include "fs.h"
#include "util.h"

static bool is_local(const char *s)
{
	return startswith(s, "oci:") || startswith(s, "oci-archive:") || startswith(s, "dir:") ||
	       startswith(s, "docker-archive:");
}

int fetch_cmd_copy(const struct fetch_opts *o, const char *src, const char *dest,
		   struct sbuf *out, struct oci_err **err)
{
	bool src_local = is_local(src), dest_local = is_local(dest);
	if (src_local && dest_local)
		return oci_err_set(err, EINVAL,
				   "copy between two local images ('%s', '%s') is not supported: one side must be a registry",
				   src, dest);
	if (!src_local && dest_local)
		return fetch_cmd_pull(o, src, dest, out, err);
	if (src_local)
		return fetch_cmd_push(o, src, dest, out, err);
	/* registry to registry */
	_cleanup_free_ char *tmp = NULL;
	if (oci_mkdtemp("/tmp/oci-fetch-copy", &tmp, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *layout = xasprintf("oci:%s/layout:copy", tmp);
	struct sbuf ignored = SBUF_INIT;
	struct fetch_opts po = *o;
	po.format = FETCH_FORMAT_TEXT;
	int r = fetch_cmd_pull(&po, src, layout, &ignored, err);
	sbuf_release(&ignored);
	if (r >= 0)
		r = fetch_cmd_push(o, layout, dest, out, err);
	struct oci_err *e2 = NULL;
	oci_rm_rf(tmp, &e2);
	oci_err_clear(&e2);
	return r;
}
