/* Credentials: docker's config.json and containers' auth.json ("auths",
 * "credHelpers", "credsStore"), docker-credential-* helpers, and the file
 * that login/logout update. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exec.h"
#include "fetch.h"
#include "fs.h"
#include "json.h"
#include "util.h"

void fetch_creds_release(struct fetch_creds *c)
{
	free(c->username);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->identity_token);
	memset(c, 0, sizeof(*c));
}

/* "https://index.docker.io/v1/" -> "index.docker.io"; "host:5000" stays. */
static char *normalize_key(const char *key)
{
	const char *p = key;
	if (startswith(p, "https://"))
		p += 8;
	else if (startswith(p, "http://"))
		p += 7;
	size_t n = strcspn(p, "/");
	return xstrndup(p, n);
}

static bool is_docker_hub(const char *h)
{
	return streq(h, "docker.io") || streq(h, "index.docker.io") ||
	       streq(h, "registry-1.docker.io");
}

static bool host_matches(const char *key, const char *host)
{
	_cleanup_free_ char *k = normalize_key(key);
	if (streq(k, host))
		return true;
	return is_docker_hub(k) && is_docker_hub(host);
}

int fetch_creds_helper_get(const char *helper, const char *host, struct fetch_creds *ret,
			   struct oci_err **err)
{
	_cleanup_free_ char *prog = xasprintf("docker-credential-%s", helper);
	char *argv[] = { prog, (char *)"get", NULL };
	/* The registry on stdin, JSON on stdout; found in PATH, as docker does. */
	struct oci_exec x = { .argv = argv, .search = "", .in = host, .in_len = strlen(host),
			      .out_mode = OCI_EXEC_CAPTURE, .max_capture = 1 << 20 };
	_cleanup_exec_result_ struct oci_exec_result res = { 0 };
	int r = oci_exec_run(&x, &res, err);
	if (r == -ENOENT || (r == 0 && res.status == 127)) {
		oci_err_clear(err);
		return oci_err_set(err, ENOENT, "credential helper '%s' not found in PATH", prog);
	}
	if (r < 0)
		return oci_err_wrap(err, "credential helper '%s'", prog);
	if (res.out_truncated)
		return oci_err_set(err, EFBIG, "credential helper '%s': reading its output failed",
				   prog);
	/* "credentials not found in native keychain" is exit 1: no creds */
	if (res.status != 0)
		return 0;
	json_auto_t *j = NULL;
	if (oci_json_load_buf(res.out, res.out_len, prog, &j, err) < 0)
		return oci_err_wrap(err, "credential helper '%s'", prog);
	const char *user = NULL, *secret = NULL;
	if (oci_json_opt_str(j, "", "Username", &user, err) < 0 ||
	    oci_json_opt_str(j, "", "Secret", &secret, err) < 0)
		return oci_err_wrap(err, "credential helper '%s'", prog);
	if (!secret)
		return 0;
	memset(ret, 0, sizeof(*ret));
	if (user && streq(user, "<token>")) {
		ret->identity_token = xstrdup(secret);
	} else {
		ret->username = xstrdup(user ? user : "");
		ret->password = xstrdup(secret);
	}
	return 1;
}

int fetch_creds_from_file(const char *file, const char *host, struct fetch_creds *ret,
			  struct oci_err **err)
{
	json_auto_t *j = NULL;
	if (access(file, F_OK) < 0)
		return 0;
	if (oci_json_load_file(file, 1 << 20, &j, err) < 0)
		return oci_err_wrap(err, "auth file '%s'", file);
	if (!json_is_object(j))
		return oci_err_set(err, EINVAL, "auth file '%s': expected a JSON object", file);

	/* credHelpers first: they name the helper for one registry */
	json_t *helpers = json_object_get(j, "credHelpers");
	if (json_is_object(helpers)) {
		const char *k;
		json_t *v;
		json_object_foreach(helpers, k, v) {
			if (json_is_string(v) && host_matches(k, host)) {
				int r = fetch_creds_helper_get(json_string_value(v), host, ret, err);
				if (r != 0)
					return r < 0 ? oci_err_wrap(err, "auth file '%s'", file) : r;
			}
		}
	}
	json_t *auths = json_object_get(j, "auths");
	if (json_is_object(auths)) {
		const char *k;
		json_t *v;
		json_object_foreach(auths, k, v) {
			if (!json_is_object(v) || !host_matches(k, host))
				continue;
			json_t *a = json_object_get(v, "auth");
			json_t *idt = json_object_get(v, "identitytoken");
			if (json_is_string(a) && json_string_length(a) > 0) {
				_cleanup_free_ char *dec = NULL;
				size_t len;
				if (fetch_base64_decode(json_string_value(a), &dec, &len) < 0)
					return oci_err_set(err, EINVAL,
							   "auth file '%s': invalid base64 in auths.\"%s\".auth",
							   file, k);
				char *colon = memchr(dec, ':', len);
				if (!colon)
					return oci_err_set(err, EINVAL,
							   "auth file '%s': auths.\"%s\".auth is not USER:PASSWORD",
							   file, k);
				memset(ret, 0, sizeof(*ret));
				ret->username = xstrndup(dec, colon - dec);
				ret->password = xstrdup(colon + 1);
				explicit_bzero(dec, len);
				if (json_is_string(idt))
					ret->identity_token = xstrdup(json_string_value(idt));
				return 1;
			}
			if (json_is_string(idt)) {
				memset(ret, 0, sizeof(*ret));
				ret->identity_token = xstrdup(json_string_value(idt));
				return 1;
			}
		}
	}
	json_t *store = json_object_get(j, "credsStore");
	if (json_is_string(store) && json_string_length(store) > 0) {
		int r = fetch_creds_helper_get(json_string_value(store), host, ret, err);
		if (r < 0)
			return oci_err_wrap(err, "auth file '%s'", file);
		return r;
	}
	return 0;
}

static char *home_path(const char *rel)
{
	const char *home = secure_getenv("HOME");
	if (!home || !*home)
		return NULL;
	return xasprintf("%s/%s", home, rel);
}

static char **default_auth_files(void)
{
	char **v = NULL;
	const char *e = secure_getenv("REGISTRY_AUTH_FILE");
	if (e && *e)
		oci_strv_push(&v, e);
	e = secure_getenv("XDG_RUNTIME_DIR");
	if (e && *e) {
		_cleanup_free_ char *p = xasprintf("%s/containers/auth.json", e);
		oci_strv_push(&v, p);
	}
	e = secure_getenv("XDG_CONFIG_HOME");
	_cleanup_free_ char *cfg = e && *e ? xasprintf("%s/containers/auth.json", e)
					   : home_path(".config/containers/auth.json");
	if (cfg)
		oci_strv_push(&v, cfg);
	e = secure_getenv("DOCKER_CONFIG");
	_cleanup_free_ char *dc = e && *e ? xasprintf("%s/config.json", e)
					  : home_path(".docker/config.json");
	if (dc)
		oci_strv_push(&v, dc);
	return v;
}

int fetch_creds_lookup(const struct fetch_opts *o, const char *host, struct fetch_creds *ret,
		       struct oci_err **err)
{
	if (o->authfile)
		return fetch_creds_from_file(o->authfile, host, ret, err);
	_cleanup_strv_ char **files = default_auth_files();
	for (char **f = files; f && *f; f++) {
		int r = fetch_creds_from_file(*f, host, ret, err);
		if (r != 0)
			return r;
	}
	return 0;
}

char *fetch_creds_write_path(const struct fetch_opts *o)
{
	if (o->authfile)
		return xstrdup(o->authfile);
	const char *e = secure_getenv("REGISTRY_AUTH_FILE");
	if (e && *e)
		return xstrdup(e);
	e = secure_getenv("XDG_RUNTIME_DIR");
	if (e && *e)
		return xasprintf("%s/containers/auth.json", e);
	e = secure_getenv("XDG_CONFIG_HOME");
	if (e && *e)
		return xasprintf("%s/containers/auth.json", e);
	return home_path(".config/containers/auth.json");
}

static int load_or_empty(const char *file, json_t **ret, struct oci_err **err)
{
	if (access(file, F_OK) < 0) {
		*ret = json_object();
		return 0;
	}
	if (oci_json_load_file(file, 1 << 20, ret, err) < 0)
		return oci_err_wrap(err, "auth file '%s'", file);
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		return oci_err_set(err, EINVAL, "auth file '%s': expected a JSON object", file);
	}
	return 0;
}

static int save(const char *file, json_t *j, struct oci_err **err)
{
	_cleanup_free_ char *dir = xstrdup(file);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = 0;
		if (oci_mkdir_p(dir, 0700, err) < 0)
			return oci_err_wrap(err, "auth file '%s'", file);
	}
	_cleanup_free_ char *s = oci_json_dumps(j);
	if (oci_write_file_atomic(file, s, strlen(s), 0600, err) < 0)
		return oci_err_wrap(err, "auth file '%s'", file);
	return 0;
}

int fetch_creds_store(const char *file, const char *host, const char *user, const char *pass,
		      struct oci_err **err)
{
	json_auto_t *j = NULL;
	if (load_or_empty(file, &j, err) < 0)
		return -(*err)->code;
	json_t *auths = json_object_get(j, "auths");
	if (!json_is_object(auths)) {
		auths = json_object();
		json_object_set_new(j, "auths", auths);
	}
	/* drop other spellings of the same registry */
	const char *k;
	json_t *v;
	void *tmp;
	json_object_foreach_safe(auths, tmp, k, v) {
		if (host_matches(k, host))
			json_object_del(auths, k);
	}
	_cleanup_free_ char *up = xasprintf("%s:%s", user, pass);
	_cleanup_free_ char *enc = fetch_base64_encode(up, strlen(up));
	explicit_bzero(up, strlen(up));
	json_object_set_new(auths, host, json_pack("{s:s}", "auth", enc));
	return save(file, j, err);
}

int fetch_creds_erase(const char *file, const char *host, struct oci_err **err)
{
	if (access(file, F_OK) < 0)
		return 0;
	json_auto_t *j = NULL;
	if (load_or_empty(file, &j, err) < 0)
		return -(*err)->code;
	json_t *auths = json_object_get(j, "auths");
	int removed = 0;
	if (json_is_object(auths)) {
		const char *k;
		json_t *v;
		void *tmp;
		json_object_foreach_safe(auths, tmp, k, v) {
			if (host_matches(k, host)) {
				json_object_del(auths, k);
				removed = 1;
			}
		}
	}
	if (!removed)
		return 0;
	if (save(file, j, err) < 0)
		return -(*err)->code;
	return 1;
}

static int read_password_stdin(char **ret, struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	int r = oci_read_fd(0, 1 << 20, &sb);
	if (r < 0)
		return oci_err_set(err, -r, "reading the password from stdin failed");
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sbuf_truncate(&sb, sb.len - 1);
	if (!sb.len)
		return oci_err_set(err, EINVAL, "empty password on stdin");
	*ret = sbuf_detach(&sb, NULL);
	return 0;
}

static char *login_host(const char *registry)
{
	_cleanup_free_ char *h = normalize_key(registry);
	if (is_docker_hub(h))
		return xstrdup("docker.io");
	return TAKE_PTR(h);
}

int fetch_cmd_login(const struct fetch_opts *o, const char *registry, struct oci_err **err)
{
	_cleanup_free_ char *host = login_host(registry);
	_cleanup_free_ char *user = NULL, *pass = NULL;
	if (o->creds) {
		const char *c = strchr(o->creds, ':');
		if (!c)
			return oci_err_set(err, EINVAL, "--creds must be USER:PASSWORD");
		user = xstrndup(o->creds, c - o->creds);
		pass = xstrdup(c + 1);
	} else {
		if (!o->username)
			return oci_err_set(err, EINVAL,
					   "login to '%s' needs --username (or --creds USER:PASSWORD)",
					   host);
		user = xstrdup(o->username);
		if (!o->password_stdin)
			return oci_err_set(err, EINVAL,
					   "login to '%s' needs --password-stdin (or --creds USER:PASSWORD)",
					   host);
		if (read_password_stdin(&pass, err) < 0)
			return -(*err)->code;
	}

	/* check the credentials against the registry before saving them */
	struct fetch_opts o2 = *o;
	o2.creds = NULL;
	o2.no_creds = true;
	_cleanup_(fetch_registry_freep) struct fetch_registry *r = NULL;
	const char *reghost = streq(host, "docker.io") ? "registry-1.docker.io" : host;
	if (fetch_registry_open(&o2, reghost, false, &r, err) < 0)
		return -(*err)->code;
	r->creds.username = xstrdup(user);
	r->creds.password = xstrdup(pass);
	r->have_creds = true;
	if (fetch_registry_ping(r, err) < 0)
		return oci_err_wrap(err, "login to '%s'", host);
	if (r->have_challenge) {
		_cleanup_free_ char *authz = NULL;
		if (fetch_registry_authorization(r, NULL, true, &authz, err) < 0)
			return oci_err_wrap(err, "login to '%s'", host);
		struct fetch_request req = { .method = "GET", .url = "/v2/", .body_fd = -1,
					     .no_body = true };
		struct fetch_response resp = { 0 };
		int rr = fetch_registry_do(r, &req, &resp, err);
		long st = resp.status;
		_cleanup_free_ char *he = fetch_http_error(&resp);
		fetch_response_release(&resp);
		if (rr < 0)
			return oci_err_wrap(err, "login to '%s'", host);
		if (st == 401 || st == 403)
			return oci_err_set(err, EACCES, "login to '%s' failed: %s: wrong username or password",
					   host, he);
		if (st != 200)
			return oci_err_set(err, EIO, "login to '%s' failed: %s", host, he);
	}
	_cleanup_free_ char *file = fetch_creds_write_path(o);
	if (!file)
		return oci_err_set(err, EINVAL, "no place for the auth file: set --authfile or HOME");
	if (fetch_creds_store(file, host, user, pass, err) < 0)
		return -(*err)->code;
	explicit_bzero(pass, strlen(pass));
	return 0;
}

int fetch_cmd_logout(const struct fetch_opts *o, const char *registry, bool all,
		     struct oci_err **err)
{
	_cleanup_free_ char *file = fetch_creds_write_path(o);
	if (!file)
		return oci_err_set(err, EINVAL, "no auth file: set --authfile or HOME");
	if (all) {
		if (unlink(file) < 0 && errno != ENOENT)
			return oci_err_sys(err, "removing '%s'", file);
		return 0;
	}
	_cleanup_free_ char *host = login_host(registry);
	int r = fetch_creds_erase(file, host, err);
	if (r < 0)
		return r;
	if (r == 0)
		return oci_err_set(err, ENOENT, "not logged in to '%s' (no entry in '%s')", host, file);
	return 0;
}
