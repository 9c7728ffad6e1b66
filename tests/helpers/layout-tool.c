/* layout-tool: a small command line over common/layout.h, for the
 * end-to-end tests of the OCI image layout store. */
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "digest.h"
#include "fs.h"
#include "json.h"
#include "layout.h"
#include "log.h"
#include "util.h"

static const char usage[] =
    "Usage: layout-tool [OPTIONS] COMMAND DIR [ARGS...]\n"
    "Commands:\n"
    "  init DIR                                  create an empty layout\n"
    "  put-blob DIR FILE                         store FILE, print its digest\n"
    "  cat-blob DIR DIGEST                       write a blob to stdout\n"
    "  set-ref DIR NAME DIGEST MEDIATYPE SIZE    tag a manifest\n"
    "  add-image DIR NAME                        store a random image, tag it, print its digest\n"
    "  list DIR                                  NAME<TAB>DIGEST<TAB>MEDIATYPE<TAB>SIZE\n"
    "  resolve DIR NAME                          print the digest of NAME\n"
    "  rm-ref DIR NAME                           untag\n"
    "  gc DIR                                    remove unreferenced blobs\n"
    "  verify DIR                                check everything reachable\n"
    "Options:\n"
    "  -d, --digest DIGEST     put-blob: expected digest (resumable partial write)\n"
    "  -c, --chunk N           write in chunks of N bytes (default 65536)\n"
    "  -w, --delay-ms N        sleep N ms after each chunk\n"
    "  -s, --layer-size N      add-image: layer size in bytes (default 4096)\n"
    "  -h, --help              show this help\n"
    "  -V, --version           show the version\n";

struct opts {
	const char *digest;
	size_t chunk;
	long delay_ms;
	size_t layer_size;
};

static void delay(const struct opts *o)
{
	if (o->delay_ms > 0) {
		struct timespec ts = {o->delay_ms / 1000, (o->delay_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static int write_chunks(struct oci_blob_writer *w, const char *data, size_t len,
			const struct opts *o, struct oci_err **err)
{
	for (size_t off = 0; off < len;) {
		size_t n = len - off < o->chunk ? len - off : o->chunk;
		int r = oci_blob_writer_write(w, data + off, n, err);
		if (r < 0)
			return r;
		off += n;
		delay(o);
	}
	return 0;
}

static int cmd_put_blob(struct oci_layout *l, const char *file, const struct opts *o,
			struct oci_err **err)
{
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	int r = oci_read_file(file, 0, &buf, &len, err);
	if (r < 0)
		return r;
	struct oci_digest expected, got;
	_cleanup_(oci_blob_writer_freep) struct oci_blob_writer *w = NULL;
	if (o->digest) {
		r = oci_digest_parse(o->digest, &expected, err);
		if (r < 0)
			return r;
		r = oci_layout_blob_writer(l, &expected, (int64_t)len, &w, err);
	} else {
		r = oci_layout_blob_writer(l, NULL, -1, &w, err);
	}
	if (r < 0)
		return r;
	int64_t off = oci_blob_writer_offset(w);
	if (off > 0)
		fprintf(stderr, "layout-tool: resuming at %" PRId64 "\n", off);
	if ((size_t)off > len)
		off = 0;
	r = write_chunks(w, buf + off, len - (size_t)off, o, err);
	if (r < 0)
		return r;
	r = oci_blob_writer_commit(w, &got, err);
	if (r < 0)
		return r;
	printf("%s\n", got.str);
	return 0;
}

static int cmd_cat_blob(struct oci_layout *l, const char *dg, struct oci_err **err)
{
	struct oci_digest d;
	int r = oci_digest_parse(dg, &d, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0;
	r = oci_layout_blob_read(l, &d, 0, &buf, &len, err);
	if (r < 0)
		return r;
	fwrite(buf, 1, len, stdout);
	return 0;
}

static int cmd_set_ref(struct oci_layout *l, char **args, struct oci_err **err)
{
	_cleanup_descriptor_ struct oci_descriptor d = {0};
	int r = oci_digest_parse(args[1], &d.digest, err);
	if (r < 0)
		return r;
	long long size;
	if (oci_parse_int64(args[3], 0, INT64_MAX, &size) < 0)
		return oci_err_set(err, EINVAL, "invalid size '%s'", args[3]);
	d.size = size;
	d.media_type = xstrdup(args[2]);
	return oci_layout_set_ref(l, args[0], &d, err);
}

static int put_json(struct oci_layout *l, json_t *doc, struct oci_digest *ret, int64_t *ret_size,
		    struct oci_err **err)
{
	_cleanup_free_ char *s = oci_json_dumps_compact(doc);
	*ret_size = (int64_t)strlen(s);
	return oci_layout_blob_put(l, s, strlen(s), NULL, ret, err);
}

static int cmd_add_image(struct oci_layout *l, const char *name, const struct opts *o,
			 struct oci_err **err)
{
	/* A random layer, written in chunks (so that kill -9 can land mid-write). */
	_cleanup_free_ char *layer = xmalloc(o->layer_size + 1);
	size_t got = 0;
	while (got < o->layer_size) {
		ssize_t n = getrandom(layer + got, o->layer_size - got, 0);
		if (n <= 0)
			return oci_err_sys(err, "getrandom");
		got += (size_t)n;
	}
	_cleanup_(oci_blob_writer_freep) struct oci_blob_writer *w = NULL;
	int r = oci_layout_blob_writer(l, NULL, -1, &w, err);
	if (r < 0)
		return r;
	r = write_chunks(w, layer, o->layer_size, o, err);
	if (r < 0)
		return r;
	struct oci_digest ld, cd, md;
	r = oci_blob_writer_commit(w, &ld, err);
	if (r < 0)
		return r;
	delay(o);

	unsigned long long nonce = 0;
	if (getrandom(&nonce, sizeof(nonce), 0) != sizeof(nonce))
		nonce = (unsigned long long)time(NULL);
	_cleanup_free_ char *nonce_s = xasprintf("%016llx", nonce);
	json_auto_t *config =
	    json_pack("{s:s, s:s, s:{s:[s], s:[s], s:{s:s}}, s:{s:s, s:[s]}}", "architecture",
		      "amd64", "os", "linux", "config", "Env", "PATH=/bin", "Cmd", "/bin/sh",
		      "Labels", "nonce", nonce_s, "rootfs", "type", "layers", "diff_ids", ld.str);
	int64_t csize = 0, msize = 0;
	r = put_json(l, config, &cd, &csize, err);
	if (r < 0)
		return r;
	delay(o);
	json_auto_t *manifest =
	    json_pack("{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2,
		      "mediaType", OCI_MT_MANIFEST, "config", "mediaType", OCI_MT_CONFIG, "digest",
		      cd.str, "size", (json_int_t)csize, "layers", "mediaType", OCI_MT_LAYER_TAR,
		      "digest", ld.str, "size", (json_int_t)o->layer_size);
	r = put_json(l, manifest, &md, &msize, err);
	if (r < 0)
		return r;
	delay(o);
	_cleanup_descriptor_ struct oci_descriptor d = {0};
	d.media_type = xstrdup(OCI_MT_MANIFEST);
	d.digest = md;
	d.size = msize;
	r = oci_layout_set_ref(l, name, &d, err);
	if (r < 0)
		return r;
	printf("%s\n", md.str);
	return 0;
}

static int cmd_list(struct oci_layout *l, struct oci_err **err)
{
	struct oci_descriptor *v = NULL;
	size_t n = 0;
	int r = oci_layout_list(l, &v, &n, err);
	if (r < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		printf("%s\t%s\t%s\t%" PRId64 "\n", v[i].ref_name ? v[i].ref_name : "-",
		       v[i].digest.str, v[i].media_type, v[i].size);
	oci_descriptors_free(v, n);
	return 0;
}

static int cmd_resolve(struct oci_layout *l, const char *name, struct oci_err **err)
{
	_cleanup_descriptor_ struct oci_descriptor d = {0};
	int r = oci_layout_resolve(l, name, &d, err);
	if (r < 0)
		return r;
	printf("%s\n", d.digest.str);
	return 0;
}

static int cmd_gc(struct oci_layout *l, struct oci_err **err)
{
	size_t n = 0;
	uint64_t bytes = 0;
	int r = oci_layout_gc(l, &n, &bytes, err);
	if (r < 0)
		return r;
	printf("removed %zu blobs, %" PRIu64 " bytes\n", n, bytes);
	return 0;
}

static const struct {
	const char *name;
	int nargs; /* after DIR */
	bool create;
} commands[] = {
    {"init", 0, true},	    {"put-blob", 1, true}, {"cat-blob", 1, false}, {"set-ref", 4, false},
    {"add-image", 1, true}, {"list", 0, false},	   {"resolve", 1, false},  {"rm-ref", 1, false},
    {"gc", 0, false},	    {"verify", 0, false},
};

static int run(const char *cmd, const char *dir, char **args, const struct opts *o, bool create,
	       struct oci_err **err)
{
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	int r = oci_layout_open(dir, create, &l, err);
	if (r < 0)
		return r;
	if (streq(cmd, "init"))
		return 0;
	if (streq(cmd, "put-blob"))
		return cmd_put_blob(l, args[0], o, err);
	if (streq(cmd, "cat-blob"))
		return cmd_cat_blob(l, args[0], err);
	if (streq(cmd, "set-ref"))
		return cmd_set_ref(l, args, err);
	if (streq(cmd, "add-image"))
		return cmd_add_image(l, args[0], o, err);
	if (streq(cmd, "list"))
		return cmd_list(l, err);
	if (streq(cmd, "resolve"))
		return cmd_resolve(l, args[0], err);
	if (streq(cmd, "rm-ref"))
		return oci_layout_remove_ref(l, args[0], err);
	if (streq(cmd, "gc"))
		return cmd_gc(l, err);
	return oci_layout_verify(l, err);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"digest", required_argument, NULL, 'd'},
	    {"chunk", required_argument, NULL, 'c'},
	    {"delay-ms", required_argument, NULL, 'w'},
	    {"layer-size", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {NULL, 0, NULL, 0},
	};
	struct opts o = {.chunk = 65536, .layer_size = 4096};
	long long v;
	int c;
	oci_log_init("layout-tool");
	while ((c = getopt_long(argc, argv, "d:c:w:s:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'd':
			o.digest = optarg;
			break;
		case 'c':
		case 'w':
		case 's':
			if (oci_parse_int64(optarg, c == 'w' ? 0 : 1, 1LL << 32, &v) < 0) {
				fprintf(stderr, "layout-tool: error: invalid number '%s'\n",
					optarg);
				return 2;
			}
			if (c == 'c')
				o.chunk = (size_t)v;
			else if (c == 'w')
				o.delay_ms = (long)v;
			else
				o.layer_size = (size_t)v;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 'V':
			printf("layout-tool %s\n", OCI_TOOLS_VERSION);
			return 0;
		default:
			fputs("Try 'layout-tool --help'.\n", stderr);
			return 2;
		}
	}
	if (optind + 2 > argc) {
		fputs(usage, stderr);
		return 2;
	}
	const char *cmd = argv[optind], *dir = argv[optind + 1];
	char **args = argv + optind + 2;
	int nargs = argc - optind - 2;
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!streq(commands[i].name, cmd))
			continue;
		if (nargs != commands[i].nargs) {
			fprintf(stderr, "layout-tool: error: '%s' takes %d argument(s) after DIR\n",
				cmd, commands[i].nargs);
			return 2;
		}
		struct oci_err *err = NULL;
		int r = run(cmd, dir, args, &o, commands[i].create, &err);
		if (fflush(stdout) != 0 && r >= 0)
			r = oci_err_sys(&err, "write to stdout");
		if (r < 0) {
			fprintf(stderr, "layout-tool: error: %s\n", err ? err->msg : "failed");
			oci_err_free(err);
			return 1;
		}
		return 0;
	}
	fprintf(stderr, "layout-tool: error: unknown command '%s'\n", cmd);
	return 2;
}
