#include "json.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

#define JSON_DEFAULT_MAX (64u << 20)

int oci_json_load_buf(const char *buf, size_t len, const char *name, json_t **ret,
		      struct oci_err **err)
{
	json_error_t jerr;
	json_t *v = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!v)
		return oci_err_set(err, EINVAL, "%s:%d:%d: invalid JSON: %s", name, jerr.line,
				   jerr.column, jerr.text);
	*ret = v;
	return 0;
}

int oci_json_load_file(const char *file, size_t max_size, json_t **ret, struct oci_err **err)
{
	_cleanup_close_ int fd = open(file, O_RDONLY | O_CLOEXEC);
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	if (!max_size)
		max_size = JSON_DEFAULT_MAX;
	if (fd < 0)
		return oci_err_sys(err, "open '%s'", file);
	int r = oci_read_fd(fd, max_size, &sb);
	if (r == -EFBIG)
		return oci_err_set(err, EFBIG, "%s: larger than %zu bytes", file, max_size);
	if (r < 0)
		return oci_err_set(err, -r, "read '%s': %s", file, strerror(-r));
	return oci_json_load_buf(sb.buf, sb.len, file, ret, err);
}

char *oci_json_path_key(const char *parent, const char *key)
{
	if (!parent || !*parent)
		return xstrdup(key);
	return xasprintf("%s.%s", parent, key);
}

char *oci_json_path_index(const char *parent, size_t i)
{
	return xasprintf("%s[%zu]", parent ? parent : "", i);
}

static const char *type_name(json_type t)
{
	switch (t) {
	case JSON_OBJECT:
		return "an object";
	case JSON_ARRAY:
		return "an array";
	case JSON_STRING:
		return "a string";
	case JSON_INTEGER:
		return "an integer";
	case JSON_REAL:
		return "a number";
	case JSON_TRUE:
	case JSON_FALSE:
		return "a boolean";
	case JSON_NULL:
		return "null";
	}
	return "a value";
}

int oci_json_expect(json_t *v, json_type type, const char *path, struct oci_err **err)
{
	json_type t = json_typeof(v);
	if (t == type || (type == JSON_TRUE && t == JSON_FALSE) ||
	    (type == JSON_FALSE && t == JSON_TRUE))
		return 0;
	return oci_err_set(err, EINVAL, "%s: expected %s, got %s", path && *path ? path : "(root)",
			   type_name(type), type_name(t));
}

/* Looks up key: 0 absent/null, 1 found with the right type, <0 error. */
static int lookup(json_t *obj, const char *path, const char *key, json_type type, bool required,
		  json_t **ret, struct oci_err **err)
{
	/* A NULL (or JSON null) obj is an absent parent, an optional object
	 * that was not there; anything else that is not an object is a type
	 * error rather than a missing field. */
	if (obj && !json_is_object(obj) && !json_is_null(obj))
		return oci_json_expect(obj, JSON_OBJECT, path, err);
	json_t *v = obj && json_is_object(obj) ? json_object_get(obj, key) : NULL;
	if (!v || json_is_null(v)) {
		if (!required)
			return 0;
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, EINVAL, "%s: required field is missing", p);
	}
	if (json_typeof(v) != type && !(type == JSON_TRUE && json_is_boolean(v))) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_json_expect(v, type, p, err);
	}
	*ret = v;
	return 1;
}

int oci_json_get_str(json_t *obj, const char *path, const char *key, const char **ret,
		     struct oci_err **err)
{
	json_t *v;
	int r = lookup(obj, path, key, JSON_STRING, true, &v, err);
	if (r > 0)
		*ret = json_string_value(v);
	return r < 0 ? r : 0;
}

int oci_json_opt_str(json_t *obj, const char *path, const char *key, const char **ret,
		     struct oci_err **err)
{
	json_t *v;
	int r = lookup(obj, path, key, JSON_STRING, false, &v, err);
	if (r > 0)
		*ret = json_string_value(v);
	return r;
}

int oci_json_get_int(json_t *obj, const char *path, const char *key, int64_t *ret,
		     struct oci_err **err)
{
	json_t *v;
	int r = lookup(obj, path, key, JSON_INTEGER, true, &v, err);
	if (r > 0)
		*ret = json_integer_value(v);
	return r < 0 ? r : 0;
}

int oci_json_opt_int(json_t *obj, const char *path, const char *key, int64_t *ret,
		     struct oci_err **err)
{
	json_t *v;
	int r = lookup(obj, path, key, JSON_INTEGER, false, &v, err);
	if (r > 0)
		*ret = json_integer_value(v);
	return r;
}

int oci_json_opt_int_range(json_t *obj, const char *path, const char *key, int64_t min,
			   int64_t max, int64_t *ret, struct oci_err **err)
{
	int64_t v;
	int r = oci_json_opt_int(obj, path, key, &v, err);
	if (r <= 0)
		return r;
	if (v < min || v > max) {
		_cleanup_free_ char *p = oci_json_path_key(path, key);
		return oci_err_set(err, ERANGE, "%s: %" PRId64 " is out of range [%" PRId64
				   ", %" PRId64 "]", p, v, min, max);
	}
	*ret = v;
	return 1;
}

int oci_json_opt_bool(json_t *obj, const char *path, const char *key, bool *ret,
		      struct oci_err **err)
{
	json_t *v;
	int r = lookup(obj, path, key, JSON_TRUE, false, &v, err);
	if (r > 0)
		*ret = json_is_true(v);
	return r;
}

int oci_json_get_obj(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err)
{
	int r = lookup(obj, path, key, JSON_OBJECT, true, ret, err);
	return r < 0 ? r : 0;
}

int oci_json_opt_obj(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err)
{
	return lookup(obj, path, key, JSON_OBJECT, false, ret, err);
}

int oci_json_get_arr(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err)
{
	int r = lookup(obj, path, key, JSON_ARRAY, true, ret, err);
	return r < 0 ? r : 0;
}

int oci_json_opt_arr(json_t *obj, const char *path, const char *key, json_t **ret,
		     struct oci_err **err)
{
	return lookup(obj, path, key, JSON_ARRAY, false, ret, err);
}

int oci_json_opt_strv(json_t *obj, const char *path, const char *key, char ***ret,
		      struct oci_err **err)
{
	json_t *arr;
	int r = lookup(obj, path, key, JSON_ARRAY, false, &arr, err);
	if (r <= 0)
		return r;
	_cleanup_free_ char *p = oci_json_path_key(path, key);
	size_t n = json_array_size(arr);
	_cleanup_strv_ char **v = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		json_t *e = json_array_get(arr, i);
		if (!json_is_string(e)) {
			_cleanup_free_ char *pi = oci_json_path_index(p, i);
			return oci_json_expect(e, JSON_STRING, pi, err);
		}
		v[i] = xstrdup(json_string_value(e));
	}
	oci_strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 1;
}

int oci_json_opt_str_map(json_t *obj, const char *path, const char *key, char ***ret,
			 struct oci_err **err)
{
	json_t *m;
	int r = lookup(obj, path, key, JSON_OBJECT, false, &m, err);
	if (r <= 0)
		return r;
	_cleanup_free_ char *p = oci_json_path_key(path, key);
	_cleanup_strv_ char **v = xcalloc(2 * json_object_size(m) + 1, sizeof(char *));
	size_t i = 0;
	const char *k;
	json_t *e;
	json_object_foreach(m, k, e)
	{
		if (!json_is_string(e)) {
			_cleanup_free_ char *pk = oci_json_path_key(p, k);
			return oci_json_expect(e, JSON_STRING, pk, err);
		}
		v[i++] = xstrdup(k);
		v[i++] = xstrdup(json_string_value(e));
	}
	oci_strv_free(*ret);
	*ret = TAKE_PTR(v);
	return 1;
}

char *oci_json_dumps(json_t *v)
{
	char *s = json_dumps(v, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		s = xstrdup("null");
	return s;
}

char *oci_json_dumps_compact(json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
	if (!s)
		s = xstrdup("null");
	return s;
}

int oci_json_dump_fd(json_t *v, int fd, struct oci_err **err)
{
	_cleanup_free_ char *s = oci_json_dumps(v);
	size_t n = strlen(s);
	const char *p = s;
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return oci_err_sys(err, "write JSON");
		}
		p += w;
		n -= (size_t)w;
	}
	if (write(fd, "\n", 1) != 1)
		return oci_err_sys(err, "write JSON");
	return 0;
}
