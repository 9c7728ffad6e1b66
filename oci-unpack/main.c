/* oci-unpack: the command line. */
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "log.h"
#include "unpack.h"
#include "util.h"

#define PROG "oci-unpack"

static const char usage[] =
	"Usage: oci-unpack [OPTION...] IMAGE BUNDLE\n"
	"       oci-unpack [OPTION...] mount|umount|rm|diff BUNDLE\n"
	"       oci-unpack [OPTION...] gc|ls\n"
	"\n"
	"Turns an image into a runtime bundle: each layer is extracted once into the\n"
	"store's layers/ (keyed by chain ID, shared by all bundles), an overlay of them\n"
	"is mounted at BUNDLE/rootfs and BUNDLE/config.json is made from the image\n"
	"config. IMAGE is a reference in the store (as oci-fetch stored it) or\n"
	"oci:DIR[:REF]. Prints the bundle's path.\n"
	"\n"
	"Commands:\n"
	"  mount BUNDLE        mount BUNDLE/rootfs again (after umount or a reboot)\n"
	"  umount BUNDLE       unmount BUNDLE/rootfs\n"
	"  rm BUNDLE           unmount and remove BUNDLE\n"
	"  diff BUNDLE         write BUNDLE's changes (upper dir) as an OCI layer tar\n"
	"  gc                  remove layers that no stored image and no bundle uses\n"
	"  ls                  list the store's layers: chain ID, size, users\n"
	"\n"
	"Options:\n"
	"      --store DIR       the store (default $OCI_ROOT or /var/lib/oci-tools)\n"
	"      --flat            copy the layers into a plain rootfs (no overlay)\n"
	"      --rootless        as umoci: files stay the caller's, their owners in the\n"
	"                        user.rootlesscontainers xattr, no devices, a user\n"
	"                        namespace in config.json (implied when not root)\n"
	"      --uid-map C:H[:N] map container uids C.. to host uids H.. (repeatable):\n"
	"                        owners (as root, with --flat) and config.json's\n"
	"                        uidMappings; rootless default 0:$(id -u):1\n"
	"      --gid-map C:H[:N] the same for gids\n"
	"  -j, --jobs N          extract up to N layers at once (default 2)\n"
	"  -o, --output FILE     diff: write the tar to FILE instead of stdout\n"
	"  -v, --verbose         more messages (repeat for debug)\n"
	"  -h, --help            show this help\n"
	"      --version         show the version\n";

enum { OPT_STORE = 256, OPT_FLAT, OPT_ROOTLESS, OPT_UID_MAP, OPT_GID_MAP, OPT_VERSION };

static int fail(struct oci_err *err)
{
	oci_error("%s", err->msg);
	oci_err_free(err);
	return 1;
}

static int usage_error(const char *msg)
{
	oci_error("%s", msg);
	fprintf(stderr, "Try 'oci-unpack --help' for more information.\n");
	return 2;
}

static void add_map(struct unpack_idmap **v, size_t *n, const struct unpack_idmap *m)
{
	*v = xrealloc(*v, (*n + 1) * sizeof(**v));
	(*v)[(*n)++] = *m;
}

static void opts_release(struct unpack_opts *o)
{
	free(o->uid_map);
	free(o->gid_map);
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, OPT_STORE },
		{ "flat", no_argument, NULL, OPT_FLAT },
		{ "rootless", no_argument, NULL, OPT_ROOTLESS },
		{ "uid-map", required_argument, NULL, OPT_UID_MAP },
		{ "gid-map", required_argument, NULL, OPT_GID_MAP },
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ NULL, 0, NULL, 0 },
	};
	_cleanup_(opts_release) struct unpack_opts o = { .jobs = 2 };
	const char *output = NULL;
	int verbose = 0, c;
	struct oci_err *err = NULL;

	oci_log_init(PROG);
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":j:o:vh", longopts, NULL)) != -1) {
		struct unpack_idmap m;
		long long n;
		switch (c) {
		case OPT_STORE:
			o.store = optarg;
			break;
		case OPT_FLAT:
			o.flat = true;
			break;
		case OPT_ROOTLESS:
			o.rootless = true;
			break;
		case OPT_UID_MAP:
		case OPT_GID_MAP:
			if (unpack_idmap_parse(optarg, &m, &err) < 0) {
				oci_error("%s", err->msg);
				oci_err_free(err);
				return 2;
			}
			if (c == OPT_UID_MAP)
				add_map(&o.uid_map, &o.n_uid_map, &m);
			else
				add_map(&o.gid_map, &o.n_gid_map, &m);
			break;
		case 'j':
			if (oci_parse_int64(optarg, 1, 64, &n) < 0)
				return usage_error("invalid --jobs: expected a number from 1 to 64");
			o.jobs = (int)n;
			break;
		case 'o':
			output = optarg;
			break;
		case 'v':
			verbose++;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case OPT_VERSION:
			printf("%s %s\n", PROG, OCI_TOOLS_VERSION);
			return 0;
		case ':': {
			_cleanup_free_ char *m2 = xasprintf("option '%s' needs a value",
							    argv[optind - 1]);
			return usage_error(m2);
		}
		default: {
			_cleanup_free_ char *m2 =
				optopt ? xasprintf("unknown option '-%c'", optopt)
				       : xasprintf("unknown option '%s'", argv[optind - 1]);
			return usage_error(m2);
		}
		}
	}
	if (verbose)
		oci_log_set_level(verbose > 1 ? OCI_LOG_DEBUG : OCI_LOG_INFO);
	if (verbose > 1)
		oci_log_set_level(OCI_LOG_DEBUG);

	int nargs = argc - optind;
	char **args = argv + optind;
	if (nargs < 1)
		return usage_error("missing IMAGE and BUNDLE");
	const char *cmd = args[0];
	if (o.rootless && geteuid() == 0 && !o.flat)
		return usage_error("--rootless as root needs --flat (root's layer store is not "
				   "rootless)");
	if (geteuid() != 0)
		o.rootless = true;
	if ((o.n_uid_map || o.n_gid_map) && !o.flat && !o.rootless)
		return usage_error("--uid-map and --gid-map need --flat or --rootless");
	if (o.rootless) {
		/* umoci --rootless: the caller's ids at 0 unless told otherwise */
		struct unpack_idmap m = { 0, (uint32_t)geteuid(), 1 };
		if (!o.n_uid_map)
			add_map(&o.uid_map, &o.n_uid_map, &m);
		m.outside = (uint32_t)getegid();
		if (!o.n_gid_map)
			add_map(&o.gid_map, &o.n_gid_map, &m);
	}

	if (streq(cmd, "mount") || streq(cmd, "umount") || streq(cmd, "rm") ||
	    streq(cmd, "diff")) {
		if (nargs != 2) {
			_cleanup_free_ char *m2 = xasprintf("'%s' takes one BUNDLE", cmd);
			return usage_error(m2);
		}
		if (streq(cmd, "mount"))
			return unpack_cmd_mount(args[1], &err) < 0 ? fail(err) : 0;
		if (streq(cmd, "umount"))
			return unpack_cmd_umount(args[1], &err) < 0 ? fail(err) : 0;
		if (streq(cmd, "rm"))
			return unpack_cmd_rm(o.store, args[1], &err) < 0 ? fail(err) : 0;
		int fd = 1;
		_cleanup_close_ int ofd = -1;
		if (output) {
			ofd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
			if (ofd < 0) {
				oci_error("cannot open '%s': %m", output);
				return 1;
			}
			fd = ofd;
		} else if (isatty(1)) {
			return usage_error("refusing to write a tar to a terminal: use -o FILE");
		}
		if (unpack_diff(args[1], fd, &err) < 0) {
			if (output)
				unlink(output);
			return fail(err);
		}
		return 0;
	}
	if (streq(cmd, "gc") && nargs == 1) {
		size_t n = 0;
		uint64_t bytes = 0;
		if (unpack_gc(o.store, &n, &bytes, &err) < 0)
			return fail(err);
		oci_info("removed %zu layers, %llu bytes", n, (unsigned long long)bytes);
		return 0;
	}
	if (streq(cmd, "ls") && nargs == 1)
		return unpack_ls(o.store, stdout, &err) < 0 ? fail(err) : 0;
	if (nargs != 2)
		return usage_error(nargs < 2 ? "missing BUNDLE" : "too many arguments");
	o.image = args[0];
	o.bundle = args[1];
	_cleanup_free_ char *bundle = NULL;
	int r = unpack_run(&o, &bundle, &err);
	if (r < 0)
		return fail(err);
	printf("%s\n", bundle);
	return fflush(stdout) == 0 ? 0 : 1;
}
