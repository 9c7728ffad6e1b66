/* Image manifests and indexes, OCI and Docker schema2, parsed from the
 * bytes as received (the caller hashes those bytes; nothing is
 * re-serialised). One module per document type: this one for manifests
 * and indexes, image_config.h for image configs. */
#ifndef OCI_MANIFEST_H
#define OCI_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"
#include "layout.h"
#include "platform.h"

struct oci_manifest {
	char *media_type; /* from the document, or the Content-Type it came with */
	struct oci_descriptor config;
	struct oci_descriptor *layers;
	size_t n_layers;
	json_t *annotations; /* or NULL */
};

struct oci_index_entry {
	struct oci_descriptor desc;
	struct oci_platform platform; /* fields NULL when the entry has none */
	bool has_platform;
};

struct oci_index {
	char *media_type;
	struct oci_index_entry *manifests;
	size_t n_manifests;
};

bool oci_media_type_is_index(const char *mt);
bool oci_media_type_is_manifest(const char *mt);
bool oci_media_type_is_layer(const char *mt);

/* content_type may be NULL; its parameters ("; charset=...") are ignored,
 * and so are generic types (application/json, application/octet-stream,
 * text/plain) that some registries send. A mediaType in the body that
 * disagrees with content_type is an error (distribution-spec). With neither,
 * the type follows the shape ("manifests": index, "config": manifest).
 * Docker schema 1 is refused (ENOTSUP). name is used in messages; errors
 * name the JSON path ("NAME: layers[1].digest: invalid digest ..."). */
int oci_manifest_parse(const char *buf, size_t len, const char *content_type, const char *name,
		       struct oci_manifest *ret, struct oci_err **err);
void oci_manifest_release(struct oci_manifest *m);
int oci_index_parse(const char *buf, size_t len, const char *content_type, const char *name,
		    struct oci_index *ret, struct oci_err **err);
void oci_index_release(struct oci_index *x);
/* Picks the first entry that matches platform; -ENOENT with a message that
 * lists the platforms on offer. */
int oci_index_select(const struct oci_index *x, const struct oci_platform *platform,
		     const struct oci_index_entry **ret, struct oci_err **err);

/* Follows DESC in a layout down to one image manifest (through indexes,
 * choosing platform), and parses it. ret_desc gets the manifest's descriptor. */
int oci_layout_load_manifest(struct oci_layout *l, const struct oci_descriptor *desc,
			     const struct oci_platform *platform, struct oci_manifest *ret,
			     struct oci_descriptor *ret_desc, struct oci_err **err);

#endif
