/* Per-registry TLS material from certs.d folders (containers-certs.d(5)):
 * *.crt are extra CAs, NAME.cert + NAME.key a client certificate. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "util.h"

#define SYSTEM_CA_BUNDLE "/etc/ssl/certs/ca-certificates.crt"
#define SYSTEM_CA_DIR "/etc/ssl/certs"

void fetch_tls_release(struct fetch_tls_conf *t)
{
	free(t->ca_blob);
	free(t->cert);
	free(t->key);
	memset(t, 0, sizeof(*t));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int load_dir(const char *dir, struct sbuf *cas, bool *have_cas, struct fetch_tls_conf *t,
		    struct oci_err **err)
{
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return oci_err_sys(err, "certs folder '%s'", dir);
	}
	_cleanup_strv_ char **names = NULL;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			oci_strv_push(&names, e->d_name);
	if (!names)
		return 0;
	qsort(names, oci_strv_len(names), sizeof(char *), cmp_str);
	for (char **n = names; *n; n++) {
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, *n);
		if (endswith(*n, ".crt")) {
			_cleanup_free_ char *data = NULL;
			size_t len;
			if (oci_read_file(path, 1 << 20, &data, &len, err) < 0)
				return oci_err_wrap(err, "CA certificate");
			sbuf_add(cas, data, len);
			sbuf_addch(cas, '\n');
			*have_cas = true;
		} else if (endswith(*n, ".cert") && !t->cert) {
			_cleanup_free_ char *key = xasprintf("%.*s.key", (int)(strlen(path) - 5), path);
			if (access(key, R_OK) < 0)
				return oci_err_set(err, ENOENT,
						   "client certificate '%s' has no matching key '%s'", path,
						   key);
			t->cert = TAKE_PTR(path);
			t->key = TAKE_PTR(key);
		} else if (endswith(*n, ".key")) {
			_cleanup_free_ char *cert =
				xasprintf("%.*s.cert", (int)(strlen(path) - 4), path);
			if (access(cert, R_OK) < 0)
				return oci_err_set(err, ENOENT,
						   "client key '%s' has no matching certificate '%s'", path,
						   cert);
		}
	}
	return 0;
}

int fetch_tls_load(const char *cert_dir, const char *host, struct fetch_tls_conf *ret,
		   struct oci_err **err)
{
	struct fetch_tls_conf t = { 0 };
	_cleanup_sbuf_ struct sbuf cas = SBUF_INIT;
	bool have = false;
	int r;
	if (cert_dir) {
		r = load_dir(cert_dir, &cas, &have, &t, err);
	} else {
		_cleanup_free_ char *a = xasprintf("/etc/containers/certs.d/%s", host);
		_cleanup_free_ char *b = xasprintf("/etc/docker/certs.d/%s", host);
		r = load_dir(a, &cas, &have, &t, err);
		if (r >= 0)
			r = load_dir(b, &cas, &have, &t, err);
	}
	if (r < 0) {
		fetch_tls_release(&t);
		return r;
	}
	/* a hashed CA folder has links named like 4042bcee.0 */
	_cleanup_closedir_ DIR *cd = opendir(SYSTEM_CA_DIR);
	struct dirent *de;
	while (cd && (de = readdir(cd)))
		if (strlen(de->d_name) == 10 && de->d_name[8] == '.' && de->d_name[9] == '0') {
			t.system_capath = true;
			break;
		}
	if (have) {
		/* extra CAs come on top of the system ones */
		_cleanup_free_ char *sys = NULL;
		size_t len;
		struct oci_err *e2 = NULL;
		if (oci_read_file(SYSTEM_CA_BUNDLE, 16 << 20, &sys, &len, &e2) >= 0) {
			_cleanup_sbuf_ struct sbuf all = SBUF_INIT;
			sbuf_add(&all, sys, len);
			sbuf_addch(&all, '\n');
			sbuf_add(&all, cas.buf, cas.len);
			t.ca_blob = sbuf_detach(&all, &t.ca_len);
		} else {
			oci_err_clear(&e2);
			t.ca_blob = sbuf_detach(&cas, &t.ca_len);
		}
	}
	*ret = t;
	return 0;
}

void fetch_tls_apply(const struct fetch_tls_conf *t, bool verify, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, verify ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, verify ? 2L : 0L);
	if (t->ca_blob) {
		struct curl_blob blob = { .data = t->ca_blob, .len = t->ca_len,
					  .flags = CURL_BLOB_NOCOPY };
		curl_easy_setopt(c, CURLOPT_CAINFO_BLOB, &blob);
	} else if (verify && t->system_capath) {
		/* the hashed folder: OpenSSL loads only the CA it needs, where
		 * the bundle costs ~10 ms of parsing on every start */
		curl_easy_setopt(c, CURLOPT_CAINFO, NULL);
		curl_easy_setopt(c, CURLOPT_CAPATH, SYSTEM_CA_DIR);
	}
	if (t->cert) {
		curl_easy_setopt(c, CURLOPT_SSLCERT, t->cert);
		curl_easy_setopt(c, CURLOPT_SSLKEY, t->key);
	}
}
