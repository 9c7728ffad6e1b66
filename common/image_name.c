/* Image names with a transport, as skopeo spells them: oci:DIR[:REF],
 * oci-archive:FILE[:REF], docker://REF, or a bare registry reference. */
#include "image_name.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "util.h"

static bool is_alnum(char c)
{
	return isalnum((unsigned char)c) != 0;
}

/* containers/image's check of a name inside a layout (the
 * org.opencontainers.image.ref.name annotation): components of
 * alphanumerics joined by one of - . _ : @ + or by "--", separated by '/'. */
static bool valid_layout_ref(const char *s)
{
	size_t i = 0, n = strlen(s);
	for (;;) {
		/* one component */
		for (;;) {
			size_t start = i;
			while (i < n && is_alnum(s[i]))
				i++;
			if (i == start)
				return false;
			if (i == n)
				return true;
			if (s[i] == '/')
				break;
			if (s[i] == '-' && i + 1 < n && s[i + 1] == '-')
				i += 2;
			else if (strchr("-._:@+", s[i]))
				i++;
			else
				return false;
		}
		i++; /* the '/' */
	}
}

static int parse_layout(const char *s, enum oci_transport t, const char *prefix,
			struct oci_image_name *ret, struct oci_err **err)
{
	const char *rest = s + strlen(prefix);
	const char *colon = strchr(rest, ':');
	size_t plen = colon ? (size_t)(colon - rest) : strlen(rest);
	const char *ref = colon ? colon + 1 : "";

	if (plen == 0)
		return oci_err_set(err, EINVAL, "image '%s': missing %s after '%s'", s,
				   t == OCI_TRANSPORT_OCI ? "directory" : "archive file", prefix);
	if (*ref && !valid_layout_ref(ref))
		return oci_err_set(err, EINVAL, "image '%s': invalid image name '%s' in the layout",
				   s, ref);
	memset(ret, 0, sizeof(*ret));
	ret->transport = t;
	ret->path = xstrndup(rest, plen);
	ret->layout_ref = *ref ? xstrdup(ref) : NULL;
	return 0;
}

/* Transports that skopeo knows and this suite does not. */
static const char *unsupported_transport(const char *s)
{
	static const char *const names[] = {
	    "containers-storage", "dir",    "docker", "docker-archive",
	    "docker-daemon",	  "ostree", "sif",    "tarball",
	};
	const char *colon = strchr(s, ':');
	if (!colon)
		return NULL;
	size_t n = (size_t)(colon - s);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (strlen(names[i]) == n && strncmp(s, names[i], n) == 0)
			return names[i];
	return NULL;
}

int oci_image_name_parse(const char *s, struct oci_image_name *ret, struct oci_err **err)
{
	if (startswith(s, "oci:"))
		return parse_layout(s, OCI_TRANSPORT_OCI, "oci:", ret, err);
	if (startswith(s, "oci-archive:"))
		return parse_layout(s, OCI_TRANSPORT_OCI_ARCHIVE, "oci-archive:", ret, err);

	const char *refstr = startswith(s, "docker://") ? s + strlen("docker://") : s;
	struct oci_ref ref;
	_cleanup_err_ struct oci_err *e = NULL;
	if (oci_ref_parse(refstr, &ref, &e) < 0) {
		const char *t = refstr == s ? unsupported_transport(s) : NULL;
		if (t && streq(t, "docker"))
			return oci_err_set(
			    err, EINVAL,
			    "image '%s': %s (a registry image is written docker://REF or REF)", s,
			    e->msg);
		if (t)
			return oci_err_set(
			    err, EINVAL,
			    "image '%s': transport '%s:' is not supported (use oci:DIR[:REF], "
			    "oci-archive:FILE[:REF], docker://REF or REF)",
			    s, t);
		return oci_err_set(err, e->code, "image '%s': %s", s, e->msg);
	}
	memset(ret, 0, sizeof(*ret));
	ret->transport = OCI_TRANSPORT_REGISTRY;
	ret->ref = ref;
	return 0;
}

void oci_image_name_release(struct oci_image_name *n)
{
	if (!n)
		return;
	free(n->path);
	free(n->layout_ref);
	oci_ref_release(&n->ref);
	memset(n, 0, sizeof(*n));
}

char *oci_image_name_string(const struct oci_image_name *n)
{
	const char *prefix;
	switch (n->transport) {
	case OCI_TRANSPORT_OCI:
		prefix = "oci:";
		break;
	case OCI_TRANSPORT_OCI_ARCHIVE:
		prefix = "oci-archive:";
		break;
	default:
		return oci_ref_string(&n->ref);
	}
	if (n->layout_ref)
		return xasprintf("%s%s:%s", prefix, n->path, n->layout_ref);
	return xasprintf("%s%s", prefix, n->path);
}
