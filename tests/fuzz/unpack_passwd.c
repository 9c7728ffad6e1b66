/* Fuzzes the passwd/group lookup of oci-unpack (oci-unpack/passwd.c).
 * Input: "USER-SPEC\n--\nPASSWD\n--\nGROUP" written into a scratch rootfs. */
#include <fcntl.h>
#include <stdbool.h>
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

/* Removes the scratch rootfs at exit (libFuzzer and replay.c both exit()). */
static void remove_root(void)
{
	put("passwd", NULL);
	put("group", NULL);
	char *etc;
	if (asprintf(&etc, "%s/etc", root) >= 0) {
		rmdir(etc);
		free(etc);
	}
	rmdir(root);
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
		atexit(remove_root);
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
	/* numeric ids are taken as they are */
	char *end;
	unsigned long n = strtoul(spec, &end, 10);
	bool small = end - spec < 10; /* parse_id takes at most UINT32_MAX - 1 */
	if (rc >= 0 && small && *spec >= '0' && *spec <= '9' && (*end == '\0' || *end == ':') &&
	    u.uid != n)
		abort();
	if (rc >= 0 && *end == ':' && end[1] >= '0' && end[1] <= '9') {
		char *gend;
		unsigned long g = strtoul(end + 1, &gend, 10);
		if (*gend == '\0' && gend - end - 1 < 10 && u.gid != g)
			abort();
	}
	unpack_user_release(&u);
	oci_err_free(err);
	free(spec);
	free(passwd);
	free(group);
	return 0;
}
