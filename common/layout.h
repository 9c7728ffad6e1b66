/* An OCI image layout on disk (image-spec image-layout.md): `oci-layout`,
 * `index.json`, `blobs/<alg>/<hex>`. Safe for concurrent use by several
 * processes: blobs are written to a temporary name, verified, fsynced and
 * renamed; index.json is rewritten atomically while holding the lock file
 * `index.json.lock`. A process killed at any point leaves a layout that
 * reads and validates; partial blobs (`blobs/<alg>/.partial-<hex>`) are
 * resumed or removed by gc. */
#ifndef OCI_LAYOUT_H
#define OCI_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "digest.h"
#include "err.h"

#define OCI_ANNOTATION_REF_NAME "org.opencontainers.image.ref.name"

#define OCI_MT_INDEX "application/vnd.oci.image.index.v1+json"
#define OCI_MT_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define OCI_MT_CONFIG "application/vnd.oci.image.config.v1+json"
#define OCI_MT_LAYER_TAR "application/vnd.oci.image.layer.v1.tar"
#define OCI_MT_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define OCI_MT_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define OCI_MT_EMPTY "application/vnd.oci.empty.v1+json"
#define DOCKER_MT_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define DOCKER_MT_LIST "application/vnd.docker.distribution.manifest.list.v2+json"
#define DOCKER_MT_CONFIG "application/vnd.docker.container.image.v1+json"
#define DOCKER_MT_LAYER_GZIP "application/vnd.docker.image.rootfs.diff.tar.gzip"
#define DOCKER_MT_LAYER_FOREIGN "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip"

struct oci_layout {
	int dirfd;
	char *path;
	/* Private: a shared lock on `.gc.lock`, taken when this handle first
	 * writes a blob and held until oci_layout_free(), so that a concurrent
	 * gc (which takes it exclusively) never removes a blob between its
	 * write and the set_ref that references it. -1 until then. */
	int gc_lock_fd;
};

/* Files of a layout besides the spec's: `index.json.lock` (serialises
 * index.json updates), `.gc.lock` (see struct oci_layout), and in
 * blobs/<alg>/ the hidden `.partial-<hex>` and `.tmp-<random>` files of
 * writers, each flock()ed while in use. */

/* Opens the layout at PATH; with create, makes it (and PATH) when missing.
 * Errors name what is wrong ("'DIR' is not an OCI image layout: no oci-layout file"). */
int oci_layout_open(const char *path, bool create, struct oci_layout **ret, struct oci_err **err);
void oci_layout_free(struct oci_layout *l);
DEFINE_CLEANUP(struct oci_layout *, oci_layout_free)

/* --- blobs --- */
/* "blobs/sha256/<hex>" relative to the layout, caller frees. */
char *oci_layout_blob_relpath(const struct oci_digest *d);
char *oci_layout_blob_path(const struct oci_layout *l, const struct oci_digest *d);
bool oci_layout_has_blob(const struct oci_layout *l, const struct oci_digest *d);
/* Opens a blob read-only. -ENOENT (with an error naming the digest) when absent. */
int oci_layout_blob_open(const struct oci_layout *l, const struct oci_digest *d, int *ret_fd,
			 struct oci_err **err);
/* Reads a whole blob (at most max bytes) and verifies its digest. */
int oci_layout_blob_read(const struct oci_layout *l, const struct oci_digest *d, size_t max,
			 char **ret, size_t *ret_len, struct oci_err **err);
/* Stores a buffer as a blob; with expected set, a different digest is an
 * error and nothing is stored. *ret_digest may be NULL. */
int oci_layout_blob_put(struct oci_layout *l, const void *data, size_t len,
			const struct oci_digest *expected, struct oci_digest *ret_digest,
			struct oci_err **err);

/* Streaming writer. With an expected digest the data goes to
 * `.partial-<hex>` under an exclusive lock, so an interrupted write can be
 * resumed: *ret_offset (from oci_blob_writer_offset) tells how many bytes
 * are already there and already hashed. Without one it goes to a unique
 * temporary name. commit verifies digest (and size when >= 0), fsyncs,
 * renames into place; abort (or free without commit) keeps a partial file
 * for resumption when keep_partial is true and removes it otherwise. */
/* When the blob is already stored, the writer is complete from the start:
 * offset is the blob's size, writes are dropped and commit succeeds (so a
 * caller can skip the download when offset == expected size). When another
 * writer (in any process, this one included) holds the partial file, this
 * one never waits: it writes to a private temporary file from offset 0 and
 * commit verifies and stores it the same way. */
struct oci_blob_writer;
int oci_layout_blob_writer(struct oci_layout *l, const struct oci_digest *expected,
			   int64_t expected_size, struct oci_blob_writer **ret,
			   struct oci_err **err);
int64_t oci_blob_writer_offset(const struct oci_blob_writer *w);
/* Drops what a partial file held and starts from zero (a server that
 * ignores Range). */
int oci_blob_writer_restart(struct oci_blob_writer *w, struct oci_err **err);
int oci_blob_writer_write(struct oci_blob_writer *w, const void *data, size_t len,
			  struct oci_err **err);
int oci_blob_writer_commit(struct oci_blob_writer *w, struct oci_digest *ret_digest,
			   struct oci_err **err);
void oci_blob_writer_abort(struct oci_blob_writer *w, bool keep_partial);
/* Without a commit or abort before, free keeps a `.partial-<hex>` (it can be
 * resumed; gc removes it when nobody holds it) and removes a `.tmp-*`. */
void oci_blob_writer_free(struct oci_blob_writer *w);
DEFINE_CLEANUP(struct oci_blob_writer *, oci_blob_writer_free)

/* --- descriptors and index.json --- */
struct oci_descriptor {
	char *media_type;
	struct oci_digest digest;
	int64_t size;
	char *ref_name; /* org.opencontainers.image.ref.name, or NULL */
	json_t *json;	/* the whole descriptor as read (platform, annotations...) */
};
void oci_descriptor_release(struct oci_descriptor *d);
/* For a struct oci_descriptor variable (zero-initialise it). */
#define _cleanup_descriptor_ _cleanup_(oci_descriptor_release)
void oci_descriptor_copy(struct oci_descriptor *dst, const struct oci_descriptor *src);
/* Parses a descriptor object at a JSON path (errors name the path). */
int oci_descriptor_from_json(json_t *obj, const char *path, struct oci_descriptor *ret,
			     struct oci_err **err);
/* A new JSON object for the descriptor: json if set, else built from the fields. */
json_t *oci_descriptor_to_json(const struct oci_descriptor *d);

/* All manifests of index.json, in order. *ret is an array of n descriptors
 * (free each with oci_descriptor_release, then the array). */
int oci_layout_list(struct oci_layout *l, struct oci_descriptor **ret, size_t *ret_n,
		    struct oci_err **err);
void oci_descriptors_free(struct oci_descriptor *v, size_t n);
/* Finds the manifest whose ref.name is NAME (-ENOENT with "no image 'NAME' in LAYOUT"). */
int oci_layout_resolve(struct oci_layout *l, const char *name, struct oci_descriptor *ret,
		       struct oci_err **err);
/* Adds d under ref.name NAME, replacing any other entry of that name.
 * The blob, and every blob it reaches (manifests of an index, config and
 * layers of a manifest), must be present. Atomic under the lock. */
int oci_layout_set_ref(struct oci_layout *l, const char *name, const struct oci_descriptor *d,
		       struct oci_err **err);
/* As oci_layout_set_ref, for an image index copied without its image
 * manifests (skopeo's --multi-arch index-only): the manifests that the index
 * names directly may be absent; those that are present must be complete.
 * For a descriptor that is not an index it is oci_layout_set_ref. */
int oci_layout_set_ref_index_only(struct oci_layout *l, const char *name,
				  const struct oci_descriptor *d, struct oci_err **err);
/* Removes the entry NAME (-ENOENT when there is none). */
int oci_layout_remove_ref(struct oci_layout *l, const char *name, struct oci_err **err);

/* Removes every blob no index.json entry reaches (through indexes,
 * manifests, configs and layers), and stale partial/temporary files not
 * locked by a writer. Returns how many files and bytes it removed.
 * It first waits until no other handle that has written blobs is open (in
 * any process, including this one: call it on the handle you wrote with),
 * so that a blob stored but not yet tagged is never removed. A reachable
 * manifest that does not parse stops it before anything is removed. */
int oci_layout_gc(struct oci_layout *l, size_t *ret_blobs, uint64_t *ret_bytes,
		  struct oci_err **err);

/* Checks the layout: oci-layout and index.json parse, every blob reachable
 * from index.json is present with its digest and size (every blob is
 * re-hashed). The error names the first problem and the path to it
 * ("index.json: manifests[0] (sha256:...).layers[1]: blob sha256:... is
 * missing"). */
int oci_layout_verify(struct oci_layout *l, struct oci_err **err);

#endif
