/* Fuzzes the passwd/group lookup of oci-unpack (oci-unpack/passwd.c).
 * Input: "USER-SPEC\n--\nPASSWD\n--\nGROUP" written into a scratch rootfs. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz.h"
#include "unpack.h"

static char *root;
static int rootfd = -1;

static void put(const char *name, const char *text)
{
	char *p;
	if (asprintf(&p, "%s/etc/%s", root, name) < 0)
		abort();
	if (!text) {
		unlink(p);
	} else {
		int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (fd < 0 || write(fd, text, strlen(text)) < 0)
			abort();
		close(fd);
	}
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!root) {
		char tmpl[] = "/tmp/oci-fuzz-root.XXXXXX";
		if (!mkdtemp(tmpl))
			abort();
		root = strdup(tmpl);
		char *etc;
		if (asprintf(&etc, "%s/etc", root) < 0 || mkdir(etc, 0755) < 0)
			abort();
		free(etc);
		rootfd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			abort();
	}
	char *spec, *rest, *passwd = NULL, *group = NULL;
	fuzz_split(data, size, &spec, &rest);
	if (rest) {
		fuzz_split((const uint8_t *)rest, strlen(rest), &passwd, &group);
		free(rest);
	}
	put("passwd", passwd);
	put("group", group);
	struct unpack_user u = { 0 };
	struct oci_err *err = NULL;
	int rc = unpack_user_resolve(rootfd, spec, &u, &err);
	fuzz_check_err(rc, err);
	if (rc >= 0 && u.n_additional_gids && !u.additional_gids)
		abort();
	unpack_user_release(&u);
	oci_err_free(err);
	free(spec);
	free(passwd);
	free(group);
	return 0;
}
