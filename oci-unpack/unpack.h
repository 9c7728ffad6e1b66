/* oci-unpack's modules: image → layers in the store (or a flat copy) →
 * overlay mount → bundle config.json. main.c only parses the command line. */
#ifndef UNPACK_H
#define UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <jansson.h>

#include "digest.h"
#include "err.h"
#include "image_config.h"
#include "layout.h"
#include "manifest.h"

/* ---- id maps (--uid-map/--gid-map "inside:outside[:length]", umoci's
 * container:host[:size]; the length defaults to 1) ---- */
struct unpack_idmap {
	uint32_t inside, outside, len;
};
int unpack_idmap_parse(const char *s, struct unpack_idmap *ret, struct oci_err **err);
/* Maps an id through the ranges; n == 0 maps every id to itself. */
int unpack_idmap_apply(const struct unpack_idmap *m, size_t n, uint32_t id, uint32_t *ret);

/* ---- a set of paths (flat mode: what the current layer wrote) ---- */
struct unpack_pathset;
struct unpack_pathset *unpack_pathset_new(void);
void unpack_pathset_free(struct unpack_pathset *s);
DEFINE_CLEANUP(struct unpack_pathset *, unpack_pathset_free)
/* Adds a clean absolute path and all its ancestors. */
void unpack_pathset_add(struct unpack_pathset *s, const char *path);
/* Adds PATH alone. */
void unpack_pathset_add_one(struct unpack_pathset *s, const char *path);
bool unpack_pathset_has(const struct unpack_pathset *s, const char *path);
void unpack_pathset_clear(struct unpack_pathset *s);

/* ---- removal (whiteout.c) ---- */
/* oci_rm_rfat/oci_rm_rf that, for an unprivileged caller refused on the
 * way, makes the tree's directories owner-writable and tries again (an
 * image's 0555 directories, extracted rootless). */
int unpack_rm_rfat(int dirfd, const char *name, struct oci_err **err);
int unpack_rm_rf(const char *path, struct oci_err **err);

/* ---- whiteouts (whiteout.c) ---- */
#define UNPACK_WH_PREFIX ".wh."
#define UNPACK_WH_OPAQUE ".wh..wh..opq"
#define UNPACK_OVL_OPAQUE_XATTR "trusted.overlay.opaque"
/* The same for an overlay mounted in a user namespace (option userxattr). */
#define UNPACK_OVL_OPAQUE_XATTR_USER "user.overlay.opaque"
/* rootless-containers.io: the owner a file has in the image when the
 * unpacker could not give it (protobuf Resource {uint32 uid = 1; uint32
 * gid = 2}, 4294967295 for "the file's own"), as umoci --rootless writes it. */
#define UNPACK_ROOTLESS_XATTR "user.rootlesscontainers"
#define UNPACK_ROOTLESS_NOOP 4294967295u
/* Encodes (uid, gid) as that protobuf message into buf (at least 12 bytes);
 * returns its length. */
size_t unpack_rootless_xattr_encode(uint32_t uid, uint32_t gid, unsigned char *buf);
/* Decodes it: -EINVAL for anything else. */
int unpack_rootless_xattr_decode(const void *buf, size_t len, uint32_t *ret_uid,
				 uint32_t *ret_gid);

/* Overlay form in a layer directory: a 0/0 character device NAME. */
int unpack_whiteout_overlay(int parentfd, const char *name, struct oci_err **err);
/* Overlay form of an opaque directory (the xattr on dirfd: user.overlay.
 * when user_xattr, for a rootless store). */
int unpack_opaque_overlay(int dirfd, bool user_xattr, struct oci_err **err);
/* Flat form: removes NAME from the lower layers (a no-op when missing or
 * written by the current layer). */
int unpack_whiteout_flat(int rootfd, const char *path, const struct unpack_pathset *cur,
			 struct oci_err **err);
/* Flat form of an opaque directory: removes everything below PATH that the
 * current layer did not write. */
int unpack_opaque_flat(int rootfd, const char *path, const struct unpack_pathset *cur,
		       struct oci_err **err);

/* ---- extraction (extract.c) ---- */
struct unpack_extract_opts {
	bool flat;           /* whiteouts become deletions */
	/* As umoci --rootless: files stay the caller's (owned by the maps' host
	 * ids of 0 when root), the image's owner other than 0:0 goes into the
	 * user.rootlesscontainers xattr, device nodes are skipped with a
	 * warning, opaque directories get user.overlay.opaque, and directories
	 * stay writable by their owner until the end of the layer. */
	bool rootless;
	/* Root of a user namespace (userns.c): ids are chowned as they are,
	 * device nodes are skipped with a warning, xattrs the namespace may
	 * not set (trusted.*) are left out. */
	bool userns;
	const struct unpack_idmap *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
	const char *what;    /* "layer sha256:..." in messages */
	/* When set, gets the directories that were created only because an
	 * entry below them had no directory entry (their metadata then comes
	 * from the lower layers: see layer_store.c). */
	char ***ret_implicit;
	int64_t blob_size; /* checked when > 0 (with blob_digest) */
};

/* Reads the layer blob from blobfd (tar, tar+gzip or tar+zstd: detected),
 * and writes its entries below rootfd, never outside it. Verifies the blob
 * digest (when blob_digest is set) and the uncompressed digest against
 * diff_id (when set) while extracting; a mismatch is an error after which
 * the caller must discard what was written. */
int unpack_extract(int blobfd, const struct oci_digest *blob_digest,
		   const struct oci_digest *diff_id, int rootfd,
		   const struct unpack_extract_opts *o, struct oci_err **err);

/* ---- the image (image.c) ---- */
struct unpack_image {
	struct oci_layout *layout;
	char *name; /* as shown in messages and recorded */
	struct oci_manifest manifest;
	struct oci_descriptor manifest_desc;
	struct oci_image_config config;
	struct oci_digest *chain_ids; /* one per layer */
	size_t n_layers;
};
/* IMAGE: "oci:DIR[:REF]" or a reference in the store's images/ layout. */
int unpack_image_open(const char *store, const char *image, struct unpack_image *ret,
		      struct oci_err **err);
void unpack_image_release(struct unpack_image *im);

/* ---- the layer store (layer_store.c) ---- */
/* Makes sure every layer of the image is extracted, complete, into
 * store/layers/<chain hex>/diff, extracting those that are not under each
 * layer's lock, up to jobs at a time. (*ret_links)[i] is layer i's short
 * link name ("l/XXXX"). */
int unpack_layers_ensure_all(const char *layers_dir, struct unpack_image *im, int jobs,
			     bool rootless, char ***ret_links, struct oci_err **err);
/* A store's layers are either all extracted by root (trusted.overlay.
 * xattrs) or all rootless (user.overlay.: layers/rootless exists): refuses
 * the other kind, marks an empty store. */
int unpack_store_check_kind(const char *layers_dir, bool rootless, struct oci_err **err);
/* Store-wide lock: shared for unpack and rm, exclusive for gc. */
int unpack_store_lock(const char *layers_dir, bool exclusive, int *ret_fd, struct oci_err **err);

/* overlayfs stacks at most this many lower layers (OVL_MAX_STACK). */
#define UNPACK_MAX_LOWERS 500

/* ---- overlay (overlay.c) ---- */
/* Mount options longer than this go through the new mount API (one page
 * is the limit of mount(2)'s data). */
#define UNPACK_MOUNT_DATA_MAX 4000
/* Mounts an overlay at target: lowers (top first) are paths relative to
 * layers_dir (short links), upper and work absolute. */
int unpack_overlay_mount(const char *layers_dir, char *const *lowers, const char *upper,
			 const char *work, const char *target, struct oci_err **err);
int unpack_umount(const char *target, struct oci_err **err);
bool unpack_is_mountpoint(const char *path);

/* ---- users (passwd.c) ---- */
struct unpack_user {
	uint32_t uid, gid;
	uint32_t *additional_gids;
	size_t n_additional_gids;
	char *home; /* or NULL */
};
/* Resolves Config.User ("", "name", "uid", "name:group", ...) through
 * rootfd's /etc/passwd and /etc/group. */
int unpack_user_resolve(int rootfd, const char *spec, struct unpack_user *ret,
			struct oci_err **err);
void unpack_user_release(struct unpack_user *u);

/* ---- config.json (bundle_config.c) ---- */
/* How the bundle is made, for config.json. */
struct unpack_bundle_opts {
	bool rootless; /* `runc spec --rootless`'s defaults */
	/* when set: linux.uidMappings/gidMappings and a user namespace */
	const struct unpack_idmap *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
	/* when set: the rootfs is this overlay mount (borrowed), mounts[0] at "/",
	 * made by the runtime in the container's user namespace */
	json_t *root_mount;
};
/* Builds config.json for the image from the default spec. rootfd: the
 * bundle's rootfs (for User). */
int unpack_bundle_config(const struct oci_image_config *c, int rootfd,
			 const struct unpack_bundle_opts *bo, json_t **ret, struct oci_err **err);

/* ---- a user namespace of the maps (userns.c) ---- */
/* Whether the maps are more than the caller's own uid and gid (and so
 * take a user namespace made by newuidmap/newgidmap). */
bool unpack_maps_need_userns(const struct unpack_idmap *uid_map, size_t n_uid,
			     const struct unpack_idmap *gid_map, size_t n_gid, uid_t euid, gid_t egid);
/* Makes the calling (single-threaded) process root of a new user namespace
 * with these maps, written by newuidmap and newgidmap; the maps must hold
 * the caller's own uid and gid, and 0. */
int unpack_userns_enter(const struct unpack_idmap *uid_map, size_t n_uid,
			const struct unpack_idmap *gid_map, size_t n_gid, struct oci_err **err);

/* ---- commands (unpack.c, flat.c, diff.c, gc.c) ---- */
struct unpack_opts {
	const char *store; /* --store or NULL */
	const char *image;
	const char *bundle;
	bool flat;
	bool rootless; /* --rootless, or not root */
	bool userns;   /* extracting in a user namespace of the maps (userns.c) */
	struct unpack_idmap *uid_map, *gid_map;
	size_t n_uid_map, n_gid_map;
	int jobs;
};
#define UNPACK_RECORD "oci-unpack.json"

int unpack_run(const struct unpack_opts *o, char **ret_bundle, struct oci_err **err);
int unpack_flat(const struct unpack_opts *o, struct unpack_image *im, const char *bundle,
		struct oci_err **err);
int unpack_cmd_umount(const char *bundle, struct oci_err **err);
/* Mounts an overlay bundle's rootfs again (after umount or a reboot). */
int unpack_cmd_mount(const char *bundle, struct oci_err **err);
int unpack_cmd_rm(const char *store, const char *bundle, struct oci_err **err);
/* Writes the upper dir's changes as an OCI layer tar to fd. */
int unpack_diff(const char *bundle, int outfd, struct oci_err **err);
int unpack_diff_dir(const char *upper, int outfd, struct oci_err **err);
int unpack_gc(const char *store, size_t *ret_removed, uint64_t *ret_bytes, struct oci_err **err);
int unpack_ls(const char *store, FILE *out, struct oci_err **err);

/* The maps of a rootless bundle's record ([[container, host, size]...]),
 * appended to *ret. */
void unpack_record_maps(json_t *a, struct unpack_idmap **ret, size_t *ret_n);

/* Bundle records in the store (layers/bundles/<sha256 of path>). */
char *unpack_bundle_record_path(const char *layers_dir, const char *bundle);

#endif
