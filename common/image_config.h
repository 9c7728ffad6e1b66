/* The image configuration (image-spec config.md; Docker's is the same
 * shape): what oci-unpack turns into a bundle's config.json and oci-build
 * writes. */
#ifndef OCI_IMAGE_CONFIG_H
#define OCI_IMAGE_CONFIG_H

#include <stddef.h>
#include <jansson.h>

#include "digest.h"
#include "err.h"

struct oci_image_config {
	char *os, *arch, *variant;
	char *user;	      /* or NULL */
	char **env;	      /* "K=V" */
	char **entrypoint;    /* or NULL */
	char **cmd;	      /* or NULL */
	char *working_dir;    /* or NULL */
	char **exposed_ports; /* "80/tcp" */
	char **volumes;	      /* "/data" */
	char **labels;	      /* alternating keys and values */
	char *stop_signal;    /* or NULL */
	struct oci_digest *diff_ids;
	size_t n_diff_ids;
	json_t *json; /* the whole document */
};

int oci_image_config_parse(const char *buf, size_t len, const char *name,
			   struct oci_image_config *ret, struct oci_err **err);
void oci_image_config_release(struct oci_image_config *c);

/* Chain IDs (image-spec config.md "Layer ChainID"): ret[i] for layers 0..i. */
void oci_chain_ids(const struct oci_digest *diff_ids, size_t n, struct oci_digest *ret);

#endif
