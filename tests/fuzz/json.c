/* Fuzzes oci_json_load_buf and the getters (common/json.c): every getter is
 * called on every key of the root object (and of one nested object). */
#include <jansson.h>

#include "fuzz.h"
#include "json.h"
#include "util.h"

static void getters(json_t *obj, const char *path)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v) {
		struct oci_err *err = NULL;
		const char *s;
		int64_t i;
		bool b;
		json_t *o;
		char **strv;
		int rc;
#define TRY(call)                         \
	do {                              \
		rc = (call);              \
		fuzz_check_err(rc, err);  \
		oci_err_free(err);        \
		err = NULL;               \
	} while (0)
		TRY(oci_json_get_str(obj, path, key, &s, &err));
		TRY(oci_json_opt_str(obj, path, key, &s, &err));
		TRY(oci_json_get_int(obj, path, key, &i, &err));
		TRY(oci_json_opt_int(obj, path, key, &i, &err));
		TRY(oci_json_opt_int_range(obj, path, key, -5, 70000, &i, &err));
		TRY(oci_json_opt_int_range(obj, path, key, INT64_MIN, INT64_MAX, &i, &err));
		TRY(oci_json_opt_bool(obj, path, key, &b, &err));
		TRY(oci_json_get_obj(obj, path, key, &o, &err));
		TRY(oci_json_opt_obj(obj, path, key, &o, &err));
		TRY(oci_json_get_arr(obj, path, key, &o, &err));
		TRY(oci_json_opt_arr(obj, path, key, &o, &err));
		strv = NULL;
		TRY(oci_json_opt_strv(obj, path, key, &strv, &err));
		if (rc > 0 && !strv)
			abort();
		oci_strv_free(strv);
		strv = NULL;
		TRY(oci_json_opt_str_map(obj, path, key, &strv, &err));
		if (rc > 0) {
			size_t n = 0;
			while (strv && strv[n])
				n++;
			if (n % 2)
				abort();
		}
		oci_strv_free(strv);
		TRY(oci_json_expect(v, JSON_STRING, path, &err));
		char *p = oci_json_path_key(path, key);
		char *q = oci_json_path_index(p, 3);
		free(q);
		free(p);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *j = NULL;
	struct oci_err *err = NULL;
	int rc = oci_json_load_buf((const char *)data, size, "fuzz", &j, &err);
	fuzz_check_err(rc, err);
	oci_err_free(err);
	if (rc < 0)
		return 0;
	if (!j)
		abort();
	if (json_is_object(j)) {
		getters(j, "");
		const char *key;
		json_t *v;
		json_object_foreach(j, key, v) {
			if (json_is_object(v)) {
				getters(v, key);
				break;
			}
		}
	}
	free(oci_json_dumps(j));
	free(oci_json_dumps_compact(j));
	json_decref(j);
	return 0;
}
