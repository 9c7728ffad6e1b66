/* JSON over jansson: loading with duplicate keys rejected and errors that
 * name the file, line and column; typed getters whose errors name the JSON
 * path ("process.args[0]: expected a string"). The caller adds the file name
 * with oci_err_wrap(err, "%s", file).
 *
 * path is the dotted path of obj itself ("" for the document root); the
 * getters append ".key". Optional getters return 0 when the key is absent or
 * null (leaving *ret untouched) and 1 when it was found. */
#ifndef OCI_JSON_H
#define OCI_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

#include "err.h"

/* jansson provides json_auto_t (json_decrefp). */

/* Reads and parses a whole file; max_size bounds what is read (0: 64 MiB). */
int oci_json_load_file(const char *file, size_t max_size, json_t **ret, struct oci_err **err);
/* Parses a buffer; name is used in messages ("manifest sha256:..."). */
int oci_json_load_buf(const char *buf, size_t len, const char *name, json_t **ret,
		      struct oci_err **err);

/* "parent.key", or "key" when parent is empty. Caller frees. */
char *oci_json_path_key(const char *parent, const char *key);
/* "parent[i]". Caller frees. */
char *oci_json_path_index(const char *parent, size_t i);

/* Type checks of a value at a path, with the error "PATH: expected a TYPE". */
int oci_json_expect(json_t *v, json_type type, const char *path, struct oci_err **err);

int oci_json_get_str(json_t *obj, const char *path, const char *key, const char **ret,
		     struct oci_err **err);
int oci_json_opt_str(json_t *obj, const char *path, const char *key, const char **ret,
		     struct oci_err **err);
int oci_json_get_int(json_t *obj, const char *path, const char *key, int64_t *ret,
		     struct oci_err **err);
int oci_json_opt_int(json_t *obj, const char *path, const char *key, int64_t *ret,
		     struct oci_err **err);
/* Integer in [min, max], else "PATH: N is out of range [min, max]". */
int oci_json_opt_int_range(json_t *obj, const char *path, const char *key, int64_t min,
			   int64_t max, int64_t *ret, struct oci_err **err);
int oci_json_opt_bool(json_t *obj, const char *path, const char *key, bool *ret,
		      struct oci_err **err);
int oci_json_get_obj(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err);
int oci_json_opt_obj(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err);
int oci_json_get_arr(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err);
int oci_json_opt_arr(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err);
/* An array of strings as a NULL-terminated vector (caller frees with oci_strv_free). */
int oci_json_opt_strv(json_t *obj, const char *path, const char *key, char ***ret,
		      struct oci_err **err);
/* An object of string values as "KEY=VALUE" lines or as a vector of
 * alternating keys and values; here: a vector of "k", "v", "k", "v", NULL. */
int oci_json_opt_str_map(json_t *obj, const char *path, const char *key, char ***ret,
			 struct oci_err **err);

/* Writes v as indented JSON with sorted keys and a final newline. */
int oci_json_dump_fd(json_t *v, int fd, struct oci_err **err);
/* Serialises v (indented, sorted); caller frees. */
char *oci_json_dumps(json_t *v);
/* Compact, sorted, for documents that are hashed (manifests, configs). */
char *oci_json_dumps_compact(json_t *v);

#endif
