/* Image names with transports (oci:, oci-archive:, docker://) and bare
 * registry references. */
#include <stdlib.h>
#include <string.h>

#include "image_name.h"
#include "tap.h"
#include "util.h"

#define D256 "sha256:dbcc1c35ac38df41fd2f5e4130b32ffdb93ebae8b3dbe638c23575912276fc9c"

struct name_case {
	const char *in;
	int transport;
	const char *path;   /* OCI*: path; REGISTRY: normalized reference; NULL: error */
	const char *ref;    /* OCI*: layout ref; or the expected error */
	const char *string; /* oci_image_name_string */
};

static const struct name_case cases[] = {
    {"oci:/tmp/layout", OCI_TRANSPORT_OCI, "/tmp/layout", NULL, "oci:/tmp/layout"},
    {"oci:/tmp/layout:", OCI_TRANSPORT_OCI, "/tmp/layout", NULL, "oci:/tmp/layout"},
    {"oci:/tmp/layout:v1", OCI_TRANSPORT_OCI, "/tmp/layout", "v1", "oci:/tmp/layout:v1"},
    {"oci:rel/dir:latest", OCI_TRANSPORT_OCI, "rel/dir", "latest", "oci:rel/dir:latest"},
    /* split at the first ':' after the prefix: the rest is the ref, colons and all */
    {"oci:/tmp/x:docker.io/library/alpine:latest", OCI_TRANSPORT_OCI, "/tmp/x",
     "docker.io/library/alpine:latest", "oci:/tmp/x:docker.io/library/alpine:latest"},
    {"oci:/tmp/x:localhost:5000/app@" D256, OCI_TRANSPORT_OCI, "/tmp/x", "localhost:5000/app@" D256,
     "oci:/tmp/x:localhost:5000/app@" D256},
    {"oci:/tmp/x:My_Image--2+b", OCI_TRANSPORT_OCI, "/tmp/x", "My_Image--2+b",
     "oci:/tmp/x:My_Image--2+b"},
    {"oci-archive:/tmp/img.tar", OCI_TRANSPORT_OCI_ARCHIVE, "/tmp/img.tar", NULL,
     "oci-archive:/tmp/img.tar"},
    {"oci-archive:img.tar:1.0", OCI_TRANSPORT_OCI_ARCHIVE, "img.tar", "1.0",
     "oci-archive:img.tar:1.0"},
    /* registry references, plain or with docker:// */
    {"alpine", OCI_TRANSPORT_REGISTRY, "docker.io/library/alpine:latest", NULL,
     "docker.io/library/alpine:latest"},
    {"docker://alpine:3.19", OCI_TRANSPORT_REGISTRY, "docker.io/library/alpine:3.19", NULL,
     "docker.io/library/alpine:3.19"},
    {"docker://localhost:5000/app:1", OCI_TRANSPORT_REGISTRY, "localhost:5000/app:1", NULL,
     "localhost:5000/app:1"},
    {"localhost:5000/app@" D256, OCI_TRANSPORT_REGISTRY, "localhost:5000/app@" D256, NULL,
     "localhost:5000/app@" D256},
    /* "docker:" without "//" is an image called docker, as in Docker */
    {"docker:24-dind", OCI_TRANSPORT_REGISTRY, "docker.io/library/docker:24-dind", NULL,
     "docker.io/library/docker:24-dind"},
    /* "ocifoo:1" has no transport prefix */
    {"ocifoo:1", OCI_TRANSPORT_REGISTRY, "docker.io/library/ocifoo:1", NULL,
     "docker.io/library/ocifoo:1"},

    /* errors */
    {"oci:", 0, NULL, "image 'oci:': missing directory after 'oci:'", NULL},
    {"oci::tag", 0, NULL, "image 'oci::tag': missing directory after 'oci:'", NULL},
    {"oci-archive:", 0, NULL, "image 'oci-archive:': missing archive file after 'oci-archive:'",
     NULL},
    {"oci:/tmp/x:bad ref", 0, NULL,
     "image 'oci:/tmp/x:bad ref': invalid image name 'bad ref' in the layout", NULL},
    {"oci:/tmp/x:-v1", 0, NULL, "image 'oci:/tmp/x:-v1': invalid image name '-v1' in the layout",
     NULL},
    {"oci:/tmp/x:a//b", 0, NULL, "image 'oci:/tmp/x:a//b': invalid image name 'a//b' in the layout",
     NULL},
    {"oci:/tmp/x:v1:", 0, NULL, "image 'oci:/tmp/x:v1:': invalid image name 'v1:' in the layout",
     NULL},
    {"docker://", 0, NULL, "image 'docker://': invalid reference format", NULL},
    {"docker://Alpine", 0, NULL,
     "image 'docker://Alpine': invalid reference format: repository name (library/Alpine) must be "
     "lowercase",
     NULL},
    {"Alpine", 0, NULL,
     "image 'Alpine': invalid reference format: repository name (library/Alpine) must be lowercase",
     NULL},
    {"", 0, NULL, "image '': invalid reference format", NULL},
    {"dir:/tmp/x", 0, NULL,
     "image 'dir:/tmp/x': transport 'dir:' is not supported (use oci:DIR[:REF], "
     "oci-archive:FILE[:REF], docker://REF or REF)",
     NULL},
    {"docker-archive:/tmp/x.tar", 0, NULL,
     "image 'docker-archive:/tmp/x.tar': transport 'docker-archive:' is not supported (use "
     "oci:DIR[:REF], oci-archive:FILE[:REF], docker://REF or REF)",
     NULL},
    {"docker:/alpine", 0, NULL,
     "image 'docker:/alpine': invalid reference format (a registry image is written docker://REF "
     "or REF)",
     NULL},
};

static void check_case(const struct name_case *c)
{
	_cleanup_err_ struct oci_err *err = NULL;
	_cleanup_image_name_ struct oci_image_name n = {0};
	int r = oci_image_name_parse(c->in, &n, &err);

	if (!c->path) {
		ok(r < 0 && err && err->code == EINVAL, "'%s' is rejected (EINVAL)", c->in);
		is_str(err ? err->msg : NULL, c->ref, "'%s': error message", c->in);
		return;
	}
	if (!ok(r == 0, "'%s' parses", c->in)) {
		diag("  error: %s", err ? err->msg : "(none)");
		return;
	}
	is_int(n.transport, c->transport, "'%s': transport", c->in);
	if (c->transport == OCI_TRANSPORT_REGISTRY) {
		_cleanup_free_ char *s = oci_ref_string(&n.ref);
		is_str(s, c->path, "'%s': reference", c->in);
		is_str(n.path, NULL, "'%s': no path", c->in);
	} else {
		is_str(n.path, c->path, "'%s': path", c->in);
		is_str(n.layout_ref, c->ref, "'%s': layout ref", c->in);
	}
	_cleanup_free_ char *s = oci_image_name_string(&n);
	is_str(s, c->string, "'%s': reads back", c->in);
}

int main(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		check_case(&cases[i]);
	oci_image_name_release(NULL);
	struct oci_image_name empty = {0};
	oci_image_name_release(&empty);
	ok(1, "release of an empty name and of NULL");
	done_testing();
	return exit_status();
}
