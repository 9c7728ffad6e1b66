/* oci-archive (a tar of an OCI layout, as skopeo writes it) and skopeo's
 * dir: format, as destinations of a pull and sources of a push. The tar
 * code knows only what these archives hold: folders and regular files,
 * ustar headers with PAX "path" and "size" records for long entries. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fetch.h"
#include "fs.h"
#include "json.h"
#include "manifest.h"
#include "util.h"

#define BLOCK 512

struct ustar {
	char name[100], mode[8], uid[8], gid[8], size[12], mtime[12], chksum[8], typeflag;
	char linkname[100], magic[6], version[2], uname[32], gname[32], devmajor[8],
		devminor[8], prefix[155], pad[12];
};

/* n-1 octal digits and a NUL (the caller keeps v in range) */
static void octal(char *dst, size_t n, uint64_t v)
{
	char tmp[32];
	int len = snprintf(tmp, sizeof(tmp), "%0*" PRIo64, (int)n - 1, v);
	if (len < 0 || (size_t)len >= n)
		len = (int)n - 1;
	memcpy(dst, tmp + (len - ((int)n - 1)), n - 1);
	dst[n - 1] = 0;
}

static int write_header(int fd, const char *name, char type, mode_t mode, uint64_t size,
			time_t mtime, struct oci_err **err)
{
	char block[BLOCK];
	if (strlen(name) >= 100 || size > 077777777777ULL) {
		/* a PAX header carries what ustar cannot */
		struct sbuf rec = SBUF_INIT;
		char line[64];
		const char *keys[2] = { "path", "size" };
		for (int i = 0; i < 2; i++) {
			_cleanup_free_ char *val = i == 0 ? xstrdup(name) : xasprintf("%" PRIu64, size);
			size_t base = strlen(keys[i]) + strlen(val) + 3; /* ' ', '=', '\n' */
			size_t len = base + 1;
			while (len != base + (size_t)snprintf(line, sizeof(line), "%zu", len))
				len = base + (size_t)snprintf(line, sizeof(line), "%zu", len);
			sbuf_addf(&rec, "%zu %s=%s\n", len, keys[i], val);
		}
		int r = write_header(fd, "PaxHeader", 'x', 0644, rec.len, mtime, err);
		if (r >= 0) {
			size_t padded = (rec.len + BLOCK - 1) / BLOCK * BLOCK;
			sbuf_grow(&rec, padded - rec.len);
			memset(rec.buf + rec.len, 0, padded - rec.len);
			if ((r = oci_write_all(fd, rec.buf, padded)) < 0) {
				errno = -r;
				r = oci_err_sys(err, "write archive");
			}
		}
		sbuf_release(&rec);
		if (r < 0)
			return r;
		_cleanup_free_ char *shortname = xstrndup(name, 99);
		return write_header(fd, shortname, type, mode, size > 077777777777ULL ? 0 : size, mtime,
				    err);
	}
	memset(block, 0, sizeof(block));
	struct ustar *h = (struct ustar *)block;
	memcpy(h->name, name, strlen(name));
	octal(h->mode, sizeof(h->mode), mode & 07777);
	octal(h->uid, sizeof(h->uid), 0);
	octal(h->gid, sizeof(h->gid), 0);
	octal(h->size, sizeof(h->size), size);
	octal(h->mtime, sizeof(h->mtime), (uint64_t)(mtime > 0 ? mtime : 0));
	h->typeflag = type;
	memcpy(h->magic, "ustar", 6);
	memcpy(h->version, "00", 2);
	memset(h->chksum, ' ', sizeof(h->chksum));
	unsigned sum = 0;
	for (size_t i = 0; i < BLOCK; i++)
		sum += (unsigned char)block[i];
	snprintf(h->chksum, sizeof(h->chksum), "%06o", sum);
	h->chksum[7] = ' ';
	int r = oci_write_all(fd, block, BLOCK);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "write archive");
	}
	return 0;
}

static int copy_fd(int in, int out, uint64_t size, struct oci_err **err)
{
	_cleanup_free_ char *buf = xmalloc(1 << 20);
	uint64_t done = 0;
	while (done < size) {
		ssize_t n = read(in, buf, size - done < (1 << 20) ? size - done : (1 << 20));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? oci_err_sys(err, "read") : oci_err_set(err, EIO, "short read");
		int r = oci_write_all(out, buf, (size_t)n);
		if (r < 0) {
			errno = -r;
			return oci_err_sys(err, "write");
		}
		done += (uint64_t)n;
	}
	return 0;
}

static int add_file(int out, const char *root, const char *rel, struct oci_err **err)
{
	_cleanup_free_ char *path = xasprintf("%s/%s", root, rel);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return oci_err_sys(err, "'%s'", path);
	if (write_header(out, rel, '0', 0644, (uint64_t)st.st_size, st.st_mtime, err) < 0)
		return -(*err)->code;
	if (copy_fd(fd, out, (uint64_t)st.st_size, err) < 0)
		return oci_err_wrap(err, "'%s'", path);
	size_t pad = (BLOCK - st.st_size % BLOCK) % BLOCK;
	char zeros[BLOCK] = { 0 };
	int r = oci_write_all(out, zeros, pad);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "write archive");
	}
	return 0;
}

static int pad_block(int out, uint64_t size, struct oci_err **err)
{
	size_t pad = (BLOCK - size % BLOCK) % BLOCK;
	char zeros[BLOCK] = { 0 };
	int r = oci_write_all(out, zeros, pad);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "write archive");
	}
	return 0;
}

static int add_bytes(int out, const char *name, const void *data, size_t len, struct oci_err **err)
{
	if (write_header(out, name, '0', 0644, len, 0, err) < 0)
		return -(*err)->code;
	int r = oci_write_all(out, data, len);
	if (r < 0) {
		errno = -r;
		return oci_err_sys(err, "write archive");
	}
	return pad_block(out, len, err);
}

static int add_path_as(int out, const char *path, const char *name, struct oci_err **err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return oci_err_sys(err, "'%s'", path);
	if (write_header(out, name, '0', 0644, (uint64_t)st.st_size, st.st_mtime, err) < 0)
		return -(*err)->code;
	if (copy_fd(fd, out, (uint64_t)st.st_size, err) < 0)
		return oci_err_wrap(err, "'%s'", path);
	return pad_block(out, (uint64_t)st.st_size, err);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Writes the layout at DIR as a tar to FILE (through a temporary name). */
int fetch_write_oci_archive(const char *dir, const char *file, struct oci_err **err)
{
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", file, (int)getpid());
	_cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		return oci_err_sys(err, "create '%s'", tmp);
	int r = add_file(out, dir, "oci-layout", err);
	if (r >= 0)
		r = add_file(out, dir, "index.json", err);
	if (r >= 0)
		r = write_header(out, "blobs/", '5', 0755, 0, 0, err);
	_cleanup_closedir_ DIR *algs = NULL;
	_cleanup_free_ char *bdir = xasprintf("%s/blobs", dir);
	if (r >= 0 && !(algs = opendir(bdir)))
		r = oci_err_sys(err, "'%s'", bdir);
	struct dirent *a;
	while (r >= 0 && (a = readdir(algs))) {
		if (a->d_name[0] == '.')
			continue;
		_cleanup_free_ char *rel = xasprintf("blobs/%s/", a->d_name);
		r = write_header(out, rel, '5', 0755, 0, 0, err);
		_cleanup_free_ char *adir = xasprintf("%s/%s", bdir, a->d_name);
		_cleanup_closedir_ DIR *d = r >= 0 ? opendir(adir) : NULL;
		if (r >= 0 && !d) {
			r = oci_err_sys(err, "'%s'", adir);
			break;
		}
		_cleanup_strv_ char **names = NULL;
		struct dirent *e;
		while (d && (e = readdir(d)))
			if (e->d_name[0] != '.') /* no partial or temporary files */
				oci_strv_push(&names, e->d_name);
		if (names)
			qsort(names, oci_strv_len(names), sizeof(char *), cmp_str);
		for (char **n = names; r >= 0 && n && *n; n++) {
			_cleanup_free_ char *brel = xasprintf("blobs/%s/%s", a->d_name, *n);
			r = add_file(out, dir, brel, err);
		}
	}
	if (r >= 0) {
		char zeros[2 * BLOCK] = { 0 };
		if ((r = oci_write_all(out, zeros, sizeof(zeros))) < 0) {
			errno = -r;
			r = oci_err_sys(err, "write '%s'", tmp);
		}
	}
	if (r >= 0 && fsync(out) < 0)
		r = oci_err_sys(err, "fsync '%s'", tmp);
	if (r >= 0 && rename(tmp, file) < 0)
		r = oci_err_sys(err, "rename '%s' to '%s'", tmp, file);
	if (r < 0)
		unlink(tmp);
	return r;
}

static uint64_t parse_octal(const char *s, size_t n)
{
	uint64_t v = 0;
	if ((unsigned char)s[0] & 0x80) { /* base-256 */
		for (size_t i = 1; i < n; i++)
			v = (v << 8) | (unsigned char)s[i];
		return v;
	}
	for (size_t i = 0; i < n && s[i]; i++) {
		if (s[i] == ' ')
			continue;
		if (s[i] < '0' || s[i] > '7')
			break;
		v = v * 8 + (uint64_t)(s[i] - '0');
	}
	return v;
}

static bool safe_name(const char *n)
{
	if (!*n || n[0] == '/')
		return false;
	for (const char *p = n; *p;) {
		size_t l = strcspn(p, "/");
		if (l == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p += l;
		while (*p == '/')
			p++;
	}
	return true;
}

static int read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = read(fd, (char *)buf + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return (int)done;
		done += (size_t)n;
	}
	return (int)done;
}

/* Extracts an oci-archive (folders and regular files only) into DIR. */
int fetch_read_oci_archive(const char *file, const char *dir, struct oci_err **err)
{
	_cleanup_close_ int in = open(file, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return oci_err_sys(err, "open archive '%s'", file);
	char block[BLOCK];
	_cleanup_free_ char *pax_path = NULL;
	int64_t pax_size = -1;
	for (;;) {
		int n = read_full(in, block, BLOCK);
		if (n < 0) {
			errno = -n;
			return oci_err_sys(err, "read archive '%s'", file);
		}
		if (n == 0)
			break;
		if (n < BLOCK)
			return oci_err_set(err, EINVAL, "archive '%s' is truncated", file);
		bool zero = true;
		for (int i = 0; i < BLOCK && zero; i++)
			zero = block[i] == 0;
		if (zero)
			break;
		struct ustar *h = (struct ustar *)block;
		if (memcmp(h->magic, "ustar", 5))
			return oci_err_set(err, EINVAL, "'%s' is not a tar archive", file);
		uint64_t size = parse_octal(h->size, sizeof(h->size));
		if (pax_size >= 0)
			size = (uint64_t)pax_size;
		_cleanup_free_ char *name = NULL;
		if (pax_path) {
			name = TAKE_PTR(pax_path);
		} else {
			_cleanup_free_ char *nm = xstrndup(h->name, sizeof(h->name));
			_cleanup_free_ char *px = xstrndup(h->prefix, sizeof(h->prefix));
			name = *px ? xasprintf("%s/%s", px, nm) : xstrdup(nm);
		}
		pax_size = -1;
		if (h->typeflag == 'x' || h->typeflag == 'g') {
			if (size > (1 << 20))
				return oci_err_set(err, EINVAL, "archive '%s': PAX header too big", file);
			_cleanup_free_ char *rec = xmalloc(size + 1);
			size_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
			_cleanup_free_ char *all = xmalloc(padded ? padded : 1);
			if (read_full(in, all, padded) != (int)padded)
				return oci_err_set(err, EINVAL, "archive '%s' is truncated", file);
			memcpy(rec, all, size);
			rec[size] = 0;
			if (h->typeflag == 'g')
				continue;
			for (char *p = rec; *p;) {
				char *nl = strchr(p, '\n');
				char *sp = strchr(p, ' ');
				if (!nl || !sp || sp > nl)
					break;
				char *eq = memchr(sp, '=', (size_t)(nl - sp));
				if (eq) {
					_cleanup_free_ char *k = xstrndup(sp + 1, (size_t)(eq - sp - 1));
					_cleanup_free_ char *v = xstrndup(eq + 1, (size_t)(nl - eq - 1));
					if (streq(k, "path")) {
						free(pax_path);
						pax_path = TAKE_PTR(v);
					} else if (streq(k, "size")) {
						pax_size = strtoll(v, NULL, 10);
					}
				}
				p = nl + 1;
			}
			continue;
		}
		while (startswith(name, "./"))
			memmove(name, name + 2, strlen(name) - 1);
		if (!*name || streq(name, "."))
			continue;
		if (!safe_name(name))
			return oci_err_set(err, EINVAL, "archive '%s': unsafe entry name '%s'", file, name);
		_cleanup_free_ char *path = xasprintf("%s/%s", dir, name);
		if (h->typeflag == '5') {
			if (oci_mkdir_p(path, 0755, err) < 0)
				return -(*err)->code;
			continue;
		}
		if (h->typeflag != '0' && h->typeflag != 0)
			return oci_err_set(err, EINVAL, "archive '%s': entry '%s' is not a file or folder",
					   file, name);
		_cleanup_free_ char *parent = xstrdup(path);
		*strrchr(parent, '/') = 0;
		if (oci_mkdir_p(parent, 0755, err) < 0)
			return -(*err)->code;
		_cleanup_close_ int out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
					       0644);
		if (out < 0)
			return oci_err_sys(err, "create '%s'", path);
		if (copy_fd(in, out, size, err) < 0)
			return oci_err_wrap(err, "archive '%s': entry '%s'", file, name);
		size_t pad = (BLOCK - size % BLOCK) % BLOCK;
		if (pad && read_full(in, block, pad) != (int)pad)
			return oci_err_set(err, EINVAL, "archive '%s' is truncated", file);
	}
	return 0;
}

/* skopeo's dir: format from a layout holding one image under NAME:
 * manifest.json (the manifest or index as stored), NAME-less blobs by hex,
 * instance manifests of an index as HEX.manifest.json, and "version". */
int fetch_write_dir(struct oci_layout *l, const char *name, const char *dir, struct oci_err **err)
{
	struct oci_descriptor d = { 0 };
	if (oci_layout_resolve(l, name, &d, err) < 0)
		return -(*err)->code;
	int r = oci_mkdir_p(dir, 0755, err);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (r >= 0)
		r = oci_layout_blob_read(l, &d.digest, 64 << 20, &data, &len, err);
	json_t *doc = r >= 0 ? json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (r >= 0 && !doc)
		r = oci_err_set(err, EINVAL, "manifest %s is not JSON", d.digest.str);
	/* the descriptors to copy: config and layers, or each instance's */
	json_t *todo = json_array();
	json_t *mans = doc ? json_object_get(doc, "manifests") : NULL;
	if (r >= 0 && json_is_array(mans)) {
		size_t i;
		json_t *m;
		json_array_foreach(mans, i, m) {
			struct oci_digest md;
			struct oci_err *e2 = NULL;
			const char *ds = json_string_value(json_object_get(m, "digest"));
			if (!ds || oci_digest_parse(ds, &md, &e2) < 0 || !oci_layout_has_blob(l, &md)) {
				oci_err_clear(&e2);
				continue;
			}
			_cleanup_free_ char *md_data = NULL;
			size_t md_len;
			if ((r = oci_layout_blob_read(l, &md, 64 << 20, &md_data, &md_len, err)) < 0)
				break;
			_cleanup_free_ char *mf = xasprintf("%s/%s.manifest.json", dir, oci_digest_hex(&md));
			if ((r = oci_write_file_atomic(mf, md_data, md_len, 0644, err)) < 0)
				break;
			json_t *inst = json_loadb(md_data, md_len, JSON_REJECT_DUPLICATES, NULL);
			json_t *cfg = inst ? json_object_get(inst, "config") : NULL;
			if (cfg)
				json_array_append(todo, cfg);
			json_t *ls = inst ? json_object_get(inst, "layers") : NULL;
			size_t k;
			json_t *lv;
			json_array_foreach(ls, k, lv) json_array_append(todo, lv);
			json_decref(inst);
		}
	} else if (r >= 0) {
		json_t *cfg = json_object_get(doc, "config");
		if (cfg)
			json_array_append(todo, cfg);
		json_t *ls = json_object_get(doc, "layers");
		size_t k;
		json_t *lv;
		json_array_foreach(ls, k, lv) json_array_append(todo, lv);
	}
	size_t i;
	json_t *b;
	json_array_foreach(todo, i, b) {
		if (r < 0)
			break;
		struct oci_digest bd;
		const char *ds = json_string_value(json_object_get(b, "digest"));
		if (!ds || oci_digest_parse(ds, &bd, err) < 0) {
			r = ds ? -(*err)->code : oci_err_set(err, EINVAL, "descriptor without digest");
			break;
		}
		_cleanup_free_ char *src = oci_layout_blob_path(l, &bd);
		_cleanup_free_ char *dst = xasprintf("%s/%s", dir, oci_digest_hex(&bd));
		if (access(dst, F_OK) == 0)
			continue;
		if (link(src, dst) == 0)
			continue;
		_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (in < 0 || fstat(in, &st) < 0) {
			r = oci_err_sys(err, "'%s'", src);
			break;
		}
		_cleanup_free_ char *tmp = xasprintf("%s.tmp", dst);
		_cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (out < 0) {
			r = oci_err_sys(err, "create '%s'", tmp);
			break;
		}
		if ((r = copy_fd(in, out, (uint64_t)st.st_size, err)) < 0)
			break;
		if (rename(tmp, dst) < 0) {
			r = oci_err_sys(err, "rename '%s'", tmp);
			break;
		}
	}
	json_decref(todo);
	json_decref(doc);
	if (r >= 0) {
		_cleanup_free_ char *mf = xasprintf("%s/manifest.json", dir);
		r = oci_write_file_atomic(mf, data, len, 0644, err);
	}
	if (r >= 0) {
		_cleanup_free_ char *vf = xasprintf("%s/version", dir);
		const char v[] = "Directory Transport Version: 1.1\n";
		r = oci_write_file_atomic(vf, v, sizeof(v) - 1, 0644, err);
	}
	oci_descriptor_release(&d);
	return r;
}

/* docker save's format (docker load and skopeo's docker-archive: read it):
 * manifest.json [{Config, RepoTags, Layers}], the config as HEX.json and
 * each layer blob, as stored, as HEX.tar. */
int fetch_write_docker_archive(struct oci_layout *l, const char *name, const char *repotag,
			       const char *file, struct oci_err **err)
{
	struct oci_descriptor d = { 0 };
	if (oci_layout_resolve(l, name, &d, err) < 0)
		return -(*err)->code;
	struct oci_manifest m = { 0 };
	struct oci_descriptor md = { 0 };
	int r = oci_layout_load_manifest(l, &d, NULL, &m, &md, err);
	oci_descriptor_release(&d);
	if (r < 0)
		return r;
	_cleanup_free_ char *tmp = xasprintf("%s.tmp-%d", file, (int)getpid());
	_cleanup_close_ int out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0)
		r = oci_err_sys(err, "create '%s'", tmp);
	json_t *entry = json_object();
	json_t *layers = json_array();
	json_object_set_new(entry, "Layers", layers);
	json_t *tags = json_array();
	if (repotag)
		json_array_append_new(tags, json_string(repotag));
	json_object_set_new(entry, "RepoTags", tags);
	if (r >= 0) {
		_cleanup_free_ char *cname = xasprintf("%s.json", oci_digest_hex(&m.config.digest));
		_cleanup_free_ char *cpath = oci_layout_blob_path(l, &m.config.digest);
		json_object_set_new(entry, "Config", json_string(cname));
		r = add_path_as(out, cpath, cname, err);
	}
	for (size_t i = 0; r >= 0 && i < m.n_layers; i++) {
		_cleanup_free_ char *lname = xasprintf("%s.tar", oci_digest_hex(&m.layers[i].digest));
		_cleanup_free_ char *lpath = oci_layout_blob_path(l, &m.layers[i].digest);
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			dup = dup || oci_digest_equal(&m.layers[k].digest, &m.layers[i].digest);
		json_array_append_new(layers, json_string(lname));
		if (!dup)
			r = add_path_as(out, lpath, lname, err);
	}
	if (r >= 0) {
		json_t *doc = json_array();
		json_array_append(doc, entry);
		char *js = json_dumps(doc, JSON_COMPACT);
		json_decref(doc);
		r = add_bytes(out, "manifest.json", js, strlen(js), err);
		free(js);
	}
	json_decref(entry);
	if (r >= 0) {
		char zeros[2 * BLOCK] = { 0 };
		if ((r = oci_write_all(out, zeros, sizeof(zeros))) < 0) {
			errno = -r;
			r = oci_err_sys(err, "write '%s'", tmp);
		}
	}
	if (r >= 0 && fsync(out) < 0)
		r = oci_err_sys(err, "fsync '%s'", tmp);
	if (r >= 0 && rename(tmp, file) < 0)
		r = oci_err_sys(err, "rename '%s' to '%s'", tmp, file);
	if (r < 0 && out >= 0)
		unlink(tmp);
	oci_manifest_release(&m);
	oci_descriptor_release(&md);
	return r;
}

/* Turns skopeo's dir: format into an OCI layout at OUT (blobs hard-linked
 * where possible), the top manifest named "latest". */
int fetch_read_dir(const char *dir, const char *out, struct oci_err **err)
{
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	if (oci_layout_open(out, true, &l, err) < 0)
		return -(*err)->code;
	_cleanup_free_ char *mpath = xasprintf("%s/manifest.json", dir);
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (oci_read_file(mpath, 64 << 20, &data, &len, err) < 0)
		return oci_err_wrap(err, "'%s' is not a dir: image", dir);
	_cleanup_closedir_ DIR *d = opendir(dir);
	if (!d)
		return oci_err_sys(err, "'%s'", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		size_t n = strlen(e->d_name);
		bool blob = n == 64 && strspn(e->d_name, "0123456789abcdef") == 64;
		bool inst = n == 64 + strlen(".manifest.json") && endswith(e->d_name, ".manifest.json") &&
			    strspn(e->d_name, "0123456789abcdef") == 64;
		if (!blob && !inst)
			continue;
		_cleanup_free_ char *hex = xstrndup(e->d_name, 64);
		_cleanup_free_ char *ds = xasprintf("sha256:%s", hex);
		struct oci_digest dg;
		if (oci_digest_parse(ds, &dg, err) < 0)
			return -(*err)->code;
		if (oci_layout_has_blob(l, &dg))
			continue;
		_cleanup_free_ char *src = xasprintf("%s/%s", dir, e->d_name);
		_cleanup_free_ char *dst = oci_layout_blob_path(l, &dg);
		if (link(src, dst) == 0)
			continue;
		/* another file system: copy through a verified writer */
		_cleanup_close_ int in = open(src, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (in < 0 || fstat(in, &st) < 0)
			return oci_err_sys(err, "'%s'", src);
		_cleanup_(oci_blob_writer_freep) struct oci_blob_writer *w = NULL;
		if (oci_layout_blob_writer(l, &dg, st.st_size, &w, err) < 0)
			return -(*err)->code;
		if (oci_blob_writer_offset(w) > 0 && oci_blob_writer_restart(w, err) < 0)
			return -(*err)->code;
		_cleanup_free_ char *buf = xmalloc(1 << 20);
		for (;;) {
			ssize_t k = read(in, buf, 1 << 20);
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				return oci_err_sys(err, "read '%s'", src);
			if (k == 0)
				break;
			if (oci_blob_writer_write(w, buf, (size_t)k, err) < 0)
				return -(*err)->code;
		}
		if (oci_blob_writer_commit(w, NULL, err) < 0)
			return oci_err_wrap(err, "'%s'", src);
	}
	struct oci_digest md;
	if (oci_layout_blob_put(l, data, len, NULL, &md, err) < 0)
		return -(*err)->code;
	json_t *doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
	const char *mt = doc ? json_string_value(json_object_get(doc, "mediaType")) : NULL;
	struct oci_descriptor desc = { .media_type = xstrdup(mt ? mt : OCI_MT_MANIFEST),
				       .digest = md, .size = (int64_t)len };
	json_decref(doc);
	int r = oci_layout_set_ref(l, "latest", &desc, err);
	oci_descriptor_release(&desc);
	return r;
}
