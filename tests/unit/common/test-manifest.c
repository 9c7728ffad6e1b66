/* Unit tests for common/manifest.c. */
#include <stdlib.h>
#include <string.h>

#include "fs.h"
#include "manifest.h"
#include "tap.h"
#include "util.h"

#define DA "sha256:ca978112ca1bbdcafac231b39a23dc4da786eff8147c4e72b9807785afee48bb"
#define DB "sha256:3e23e8160039594a33894f6564e1b1348bbd7a0088d42c4acb73eeaed59c009d"
#define DC "sha256:2e7d2c03a9507ae265ecf5b5356885a53393a2029d241394997265a1a25aefc6"

static const char oci_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
    "\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"" DA
    "\",\"size\":7},"
    "\"layers\":[{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"" DB
    "\",\"size\":100},"
    "{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+zstd\",\"digest\":\"" DC
    "\",\"size\":200,"
    "\"annotations\":{\"x\":\"y\"}}],"
    "\"annotations\":{\"org.opencontainers.image.created\":\"2024\"}}";

static const char docker_manifest[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\","
    "\"config\":{\"mediaType\":\"application/vnd.docker.container.image.v1+json\",\"digest\":\"" DA
    "\",\"size\":1469},"
    "\"layers\":[{\"mediaType\":\"application/"
    "vnd.docker.image.rootfs.diff.tar.gzip\",\"digest\":\"" DB "\",\"size\":2}]}";

static const char oci_index[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DA
    "\",\"size\":1,"
    "\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DB
    "\",\"size\":2,"
    "\"platform\":{\"architecture\":\"arm64\",\"os\":\"linux\",\"variant\":\"v8\"}},"
    "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC
    "\",\"size\":3,"
    "\"platform\":{\"architecture\":\"arm\",\"os\":\"linux\",\"variant\":\"v7\"}}]}";

static const char docker_list[] =
    "{\"schemaVersion\":2,\"mediaType\":\"application/"
    "vnd.docker.distribution.manifest.list.v2+json\",\"manifests\":["
    "{\"mediaType\":\"application/vnd.docker.distribution.manifest.v2+json\",\"digest\":\"" DA
    "\",\"size\":1,"
    "\"platform\":{\"architecture\":\"ppc64le\",\"os\":\"linux\"}}]}";

static void manifest_bad(const char *doc, const char *ct, const char *want)
{
	struct oci_manifest m;
	struct oci_err *err = NULL;
	int r = oci_manifest_parse(doc, strlen(doc), ct, "manifest M", &m, &err);
	ok(r < 0 && err && strstr(err->msg, want), "manifest rejected: %s",
	   err ? err->msg : "(accepted)");
	if (r >= 0)
		oci_manifest_release(&m);
	oci_err_free(err);
}

static void index_bad(const char *doc, const char *ct, const char *want)
{
	struct oci_index x;
	struct oci_err *err = NULL;
	int r = oci_index_parse(doc, strlen(doc), ct, "index I", &x, &err);
	ok(r < 0 && err && strstr(err->msg, want), "index rejected: %s",
	   err ? err->msg : "(accepted)");
	if (r >= 0)
		oci_index_release(&x);
	oci_err_free(err);
}

static char *replace(const char *s, const char *from, const char *to)
{
	const char *p = strstr(s, from);
	if (!p)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
}

static void test_select(void)
{
	struct oci_index x;
	struct oci_err *err = NULL;
	is_int(oci_index_parse(oci_index, strlen(oci_index), NULL, "index", &x, &err), 0,
	       "parses an OCI index");
	is_int(x.n_manifests, 3, "three entries");
	ok(x.manifests[1].has_platform, "entry has a platform");
	is_str(x.manifests[1].platform.variant, "v8", "variant");
	const char *want[][2] = {{"linux/arm64", DB},
				 {"linux/arm", DC},
				 {"linux/amd64", DA},
				 {"linux/aarch64", DB},
				 {"linux/x86_64", DA}};
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		struct oci_platform p = {0};
		const struct oci_index_entry *e = NULL;
		oci_platform_parse(want[i][0], &p, NULL);
		int r = oci_index_select(&x, &p, &e, &err);
		ok(r == 0 && e && streq(e->desc.digest.str, want[i][1]), "select %s", want[i][0]);
		oci_err_clear(&err);
		oci_platform_release(&p);
	}
	struct oci_platform p = {0};
	const struct oci_index_entry *e = NULL;
	oci_platform_parse("linux/s390x", &p, NULL);
	int r = oci_index_select(&x, &p, &e, &err);
	ok(r == -ENOENT && err && strstr(err->msg, "no manifest for platform 'linux/s390x'") &&
	       strstr(err->msg, "linux/amd64, linux/arm64/v8, linux/arm/v7"),
	   "no match lists the platforms: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_platform_release(&p);
	e = NULL;
	is_int(oci_index_select(&x, NULL, &e, &err), 0, "NULL selects the host platform");
	oci_err_clear(&err);
	oci_index_release(&x);

	const char *noplat =
	    "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":"
	    "\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"" DC "\",\"size\":3}]}";
	is_int(oci_index_parse(noplat, strlen(noplat), NULL, "index", &x, &err), 0,
	       "an index without mediaType or platforms");
	is_str(x.media_type, OCI_MT_INDEX, "media type inferred from the shape");
	oci_platform_parse("linux/riscv64", &p, NULL);
	ok(oci_index_select(&x, &p, &e, &err) == 0 && streq(e->desc.digest.str, DC),
	   "an index without platforms gives its first manifest");
	oci_platform_release(&p);
	oci_index_release(&x);

	is_int(oci_index_parse(docker_list, strlen(docker_list), DOCKER_MT_LIST, "list", &x, &err),
	       0, "parses a Docker manifest list");
	is_str(x.manifests[0].platform.arch, "ppc64le", "list platform");
	oci_index_release(&x);
}

static void test_layout(void)
{
	_cleanup_free_ char *dir = NULL;
	struct oci_err *err = NULL;
	if (oci_mkdtemp("/tmp/test-manifest", &dir, &err) < 0) {
		diag("%s", err->msg);
		return;
	}
	_cleanup_(oci_layout_freep) struct oci_layout *l = NULL;
	_cleanup_free_ char *ld = oci_path_join(dir, "layout");
	is_int(oci_layout_open(ld, true, &l, &err), 0, "create a layout");
	struct oci_digest md, xd;
	is_int(oci_layout_blob_put(l, docker_manifest, strlen(docker_manifest), NULL, &md, &err), 0,
	       "store a manifest");
	_cleanup_free_ char *idx =
	    xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/"
		      "vnd.oci.image.index.v1+json\",\"manifests\":["
		      "{\"mediaType\":\"%s\",\"digest\":\"%s\",\"size\":%zu,\"platform\":{"
		      "\"architecture\":\"arm64\",\"os\":\"linux\"}}]}",
		      DOCKER_MT_MANIFEST, md.str, strlen(docker_manifest));
	is_int(oci_layout_blob_put(l, idx, strlen(idx), NULL, &xd, &err), 0, "store an index");
	struct oci_descriptor d = {
	    .media_type = (char *)OCI_MT_INDEX, .digest = xd, .size = (int64_t)strlen(idx)};
	struct oci_platform p = {0};
	oci_platform_parse("linux/arm64", &p, NULL);
	struct oci_manifest m;
	struct oci_descriptor got = {0};
	int r = oci_layout_load_manifest(l, &d, &p, &m, &got, &err);
	if (!is_int(r, 0, "load a manifest through an index"))
		diag("%s", err ? err->msg : "");
	if (r == 0) {
		is_str(got.digest.str, md.str, "ret_desc is the manifest's descriptor");
		is_str(m.media_type, DOCKER_MT_MANIFEST, "Docker manifest");
		is_int(m.n_layers, 1, "one layer");
		oci_manifest_release(&m);
		oci_descriptor_release(&got);
	}
	oci_platform_release(&p);
	oci_platform_parse("linux/amd64", &p, NULL);
	r = oci_layout_load_manifest(l, &d, &p, &m, NULL, &err);
	ok(r == -ENOENT && err && strstr(err->msg, "available: linux/arm64"),
	   "a platform the index lacks: %s", err ? err->msg : "");
	oci_err_clear(&err);
	oci_platform_release(&p);
	d.size = 3;
	r = oci_layout_load_manifest(l, &d, NULL, &m, NULL, &err);
	ok(r < 0 && err && strstr(err->msg, "descriptor says 3"), "size mismatch: %s",
	   err ? err->msg : "");
	oci_err_clear(&err);
	oci_rm_rf(dir, NULL);
}

int main(void)
{
	struct oci_manifest m;
	struct oci_err *err = NULL;

	ok(oci_media_type_is_index(DOCKER_MT_LIST) && oci_media_type_is_index(OCI_MT_INDEX),
	   "index media types");
	ok(oci_media_type_is_manifest(DOCKER_MT_MANIFEST) &&
	       !oci_media_type_is_manifest(OCI_MT_INDEX),
	   "manifest media types");
	ok(oci_media_type_is_layer(OCI_MT_LAYER_ZSTD) &&
	       oci_media_type_is_layer(DOCKER_MT_LAYER_GZIP) &&
	       !oci_media_type_is_layer(OCI_MT_CONFIG),
	   "layer media types");

	int r =
	    oci_manifest_parse(oci_manifest, strlen(oci_manifest), OCI_MT_MANIFEST, "m", &m, &err);
	if (!is_int(r, 0, "parses an OCI manifest"))
		diag("%s", err->msg);
	is_str(m.media_type, OCI_MT_MANIFEST, "media type");
	is_str(m.config.digest.str, DA, "config digest");
	is_int(m.config.size, 7, "config size");
	is_int(m.n_layers, 2, "two layers");
	is_str(m.layers[1].media_type, OCI_MT_LAYER_ZSTD, "layer media type");
	is_int(m.layers[1].size, 200, "layer size");
	ok(m.annotations && json_object_get(m.annotations, "org.opencontainers.image.created"),
	   "annotations");
	oci_manifest_release(&m);

	r = oci_manifest_parse(
	    docker_manifest, strlen(docker_manifest),
	    "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", "d", &m, &err);
	is_int(r, 0, "parses a Docker schema2 manifest (Content-Type with a parameter)");
	is_str(m.media_type, DOCKER_MT_MANIFEST, "Docker media type");
	is_str(m.layers[0].media_type, DOCKER_MT_LAYER_GZIP, "Docker layer");
	oci_manifest_release(&m);

	_cleanup_free_ char *nomt = replace(
	    oci_manifest, "\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",", "");
	is_int(oci_manifest_parse(nomt, strlen(nomt), NULL, "m", &m, &err), 0,
	       "a manifest without mediaType and no Content-Type");
	is_str(m.media_type, OCI_MT_MANIFEST, "inferred OCI");
	oci_manifest_release(&m);
	is_int(oci_manifest_parse(nomt, strlen(nomt), DOCKER_MT_MANIFEST, "m", &m, &err), 0,
	       "a manifest without mediaType takes the Content-Type");
	is_str(m.media_type, DOCKER_MT_MANIFEST, "from Content-Type");
	oci_manifest_release(&m);
	is_int(oci_manifest_parse(oci_manifest, strlen(oci_manifest), "application/json", "m", &m,
				  &err),
	       0, "a generic Content-Type is ignored");
	oci_manifest_release(&m);

	manifest_bad(
	    docker_manifest, OCI_MT_MANIFEST,
	    "manifest M: mediaType 'application/vnd.docker.distribution.manifest.v2+json' in the "
	    "body does not match the Content-Type 'application/vnd.oci.image.manifest.v1+json'");
	manifest_bad(oci_index, NULL, "manifest M: is an image index");
	manifest_bad("{\"schemaVersion\":1,\"name\":\"x\",\"fsLayers\":[]}", NULL,
		     "schema 1 is not supported");
	manifest_bad("{\"schemaVersion\":2,\"mediaType\":\"text/html\",\"config\":{}}", NULL,
		     "unsupported manifest media type 'text/html'");
	{
		_cleanup_free_ char *s =
		    replace(oci_manifest, "\"digest\":\"" DC "\"", "\"digest\":\"sha256:XYZ\"");
		manifest_bad(s, NULL, "manifest M: layers[1].digest: invalid digest 'sha256:XYZ'");
	}
	{
		_cleanup_free_ char *s = replace(oci_manifest, "\"size\":7", "\"size\":\"7\"");
		manifest_bad(s, NULL, "manifest M: config.size: expected an integer");
	}
	{
		_cleanup_free_ char *s = replace(oci_manifest, "\"layers\"", "\"nolayers\"");
		manifest_bad(s, NULL, "manifest M: layers: required field is missing");
	}
	{
		_cleanup_free_ char *s =
		    replace(oci_manifest, "\"schemaVersion\":2", "\"schemaVersion\":3");
		manifest_bad(s, NULL, "schemaVersion: 3 is not 2");
	}
	{
		_cleanup_free_ char *s = replace(oci_manifest, "\"schemaVersion\":2,",
						 "\"schemaVersion\":2,\"schemaVersion\":2,");
		manifest_bad(s, NULL, "duplicate");
	}
	{
		/* annotations are a string-to-string map (image-spec manifest.md) */
		_cleanup_free_ char *s = replace(oci_manifest, "created\":\"2024\"", "created\":2024");
		manifest_bad(s, NULL,
			     "manifest M: annotations.org.opencontainers.image.created: expected a string");
	}
	manifest_bad("{\"schemaVersion\":2,", NULL, "manifest M:1:");
	manifest_bad("[]", NULL, "expected an object");

	test_select();
	index_bad(oci_manifest, NULL, "index I: is an image manifest");
	index_bad(docker_list, OCI_MT_INDEX, "does not match the Content-Type");
	{
		_cleanup_free_ char *s =
		    replace(oci_index, "\"os\":\"linux\",\"variant\":\"v8\"", "\"variant\":\"v8\"");
		index_bad(s, NULL, "index I: manifests[1].platform.os: required field is missing");
	}
	{
		_cleanup_free_ char *s = replace(oci_index, "\"size\":2", "\"size\":-2");
		index_bad(s, NULL, "manifests[1].size: -2 is negative");
	}
	test_layout();

	done_testing();
	return exit_status();
}
