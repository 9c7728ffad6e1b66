/* Names of images as the user writes them on a command line. A known
 * transport prefix wins and is split at the first ':' after it, as skopeo
 * does: "oci:DIR[:REF]", "oci-archive:FILE[:REF]", "docker://REF". Anything
 * else is a registry reference, normalized (oci_ref_parse), whose full form
 * is its ref.name in the store. */
#ifndef OCI_IMAGE_NAME_H
#define OCI_IMAGE_NAME_H

#include "err.h"
#include "ref.h"

enum oci_transport {
	OCI_TRANSPORT_REGISTRY = 0, /* plain reference or docker:// */
	OCI_TRANSPORT_OCI = 1,	    /* oci:DIR[:REF] */
	OCI_TRANSPORT_OCI_ARCHIVE = 2,
};

struct oci_image_name {
	enum oci_transport transport;
	char *path;	    /* OCI, OCI_ARCHIVE: the directory or file */
	char *layout_ref;   /* OCI, OCI_ARCHIVE: the ref.name inside, or NULL */
	struct oci_ref ref; /* REGISTRY: the normalized reference */
};

int oci_image_name_parse(const char *s, struct oci_image_name *ret, struct oci_err **err);
void oci_image_name_release(struct oci_image_name *n);
static inline void oci_image_name_releasep(struct oci_image_name *n)
{
	oci_image_name_release(n);
}
#define _cleanup_image_name_ _cleanup_(oci_image_name_releasep)
/* How the name reads back ("oci:/tmp/x:tag", "docker.io/library/alpine:latest"). */
char *oci_image_name_string(const struct oci_image_name *n);

#endif
