/* oci-run: a runc-compatible OCI runtime (command line only). */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint.h"
#include "container.h"
#include "err.h"
#include "exec.h"
#include "manage.h"
#include "resources.h"
#include "log.h"
#include "memfd_exec.h"
#include "runtime_spec.h"
#include "spec.h"
#include "util.h"

#define PROG "oci-run"

static const char usage_text[] =
    "Usage: oci-run [GLOBAL OPTIONS] COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Runs containers from OCI runtime bundles (config.json + rootfs), like runc.\n"
    "\n"
    "Commands:\n"
    "  create [--bundle DIR] [--pid-file F] [--pidfd-socket SOCK]\n"
    "         [--console-socket SOCK] [--no-pivot]\n"
    "         [--no-new-keyring] [--preserve-fds N] ID\n"
    "                      set up a container; its process waits for start\n"
    "  start ID            run the process of a created container\n"
    "  run [-d] [--bundle DIR] [create options] ID\n"
    "                      create and start; in the foreground wait for the\n"
    "                      process, return its status and delete the container\n"
    "  exec [--process FILE] [-d] [-t] [--console-socket SOCK] [--pid-file F]\n"
    "       [-e K=V] [--cwd DIR] [-u UID[:GID]] [--cap CAP] [--no-new-privs]\n"
    "       [--preserve-fds N] ID [COMMAND [ARG...]]\n"
    "                      run another process in a running container\n"
    "  state ID            print the state JSON\n"
    "  kill [--all] ID [SIGNAL]\n"
    "                      send SIGNAL (name or number, default TERM)\n"
    "  delete [--force] ID remove a stopped container (--force: kill it first)\n"
    "  list [--format table|json] [-q]\n"
    "  pause ID, resume ID freeze or thaw every process of the container\n"
    "  ps [--format table|json] ID\n"
    "                      the container's processes\n"
    "  events [--stats] [--interval S] ID\n"
    "                      memory, cpu and pids statistics as JSON lines\n"
    "  update [--resources FILE|-] [--memory N] [--pids-limit N] [--cpu-quota N]\n"
    "         [...runc's update flags] ID\n"
    "                      change the resources of a container\n"
    "  spec [--rootless] [--bundle DIR]\n"
    "                      write a default config.json\n"
    "  checkpoint [--image-path DIR] [--work-path DIR] [--leave-running]\n"
    "             [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks]\n"
    "             [--pre-dump] [--parent-path DIR]\n"
    "             [--manage-cgroups-mode soft|full|strict|ignore] ID\n"
    "                      save the container's processes with criu (default\n"
    "                      ./checkpoint); the container is deleted unless\n"
    "                      --leave-running or --pre-dump\n"
    "  restore [--image-path DIR] [--work-path DIR] [--bundle DIR] [-d]\n"
    "          [--pid-file F] [--console-socket SOCK] [--tcp-established]\n"
    "          [--ext-unix-sk] [--shell-job] [--file-locks] [--no-pivot]\n"
    "          [--manage-cgroups-mode MODE] ID\n"
    "                      a new container ID from the bundle, running the\n"
    "                      checkpointed processes; in the foreground like run\n"
    "  features            print the features JSON\n"
    "\n"
    "Global options:\n"
    "  --root DIR          state directory (default /run/oci-run; rootless:\n"
    "                      $XDG_RUNTIME_DIR/oci-run)\n"
    "  --log FILE          write messages to FILE\n"
    "  --log-format F      text or json\n"
    "  --debug             log debug messages\n"
    "  --systemd-cgroup    use the systemd cgroup driver\n"
    "  --criu PATH         the criu binary (default $OCI_RUN_CRIU, then PATH)\n"
    "  -h, --help          show this help\n"
    "  -v, --version       show the version\n"
    "\n"
    "Exit status: 0 success, 1 the operation failed, 2 bad usage; a foreground\n"
    "run returns the container's status (128+N when killed by signal N).\n";

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "%s: error: ", PROG);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, " (see '%s --help')\n", PROG);
	return 2;
}

static int fail(struct oci_err *e)
{
	oci_error("%s", e ? e->msg : "failed");
	oci_err_free(e);
	return 1;
}

enum {
	OPT_ROOT = 256,
	OPT_LOG,
	OPT_LOG_FORMAT,
	OPT_DEBUG,
	OPT_SYSTEMD_CGROUP,
	OPT_ROOTLESS,
	OPT_CRIU,
	OPT_PID_FILE,
	OPT_CONSOLE_SOCKET,
	OPT_NO_PIVOT,
	OPT_NO_NEW_KEYRING,
	OPT_PRESERVE_FDS,
	OPT_NO_SUBREAPER,
	OPT_KEEP,
	OPT_PIDFD_SOCKET,
	OPT_CWD,
	OPT_NO_NEW_PRIVS,
	OPT_IMAGE_PATH,
	OPT_WORK_PATH,
	OPT_PARENT_PATH,
	OPT_LEAVE_RUNNING,
	OPT_TCP_ESTABLISHED,
	OPT_EXT_UNIX_SK,
	OPT_SHELL_JOB,
	OPT_FILE_LOCKS,
	OPT_PRE_DUMP,
	OPT_MANAGE_CGROUPS_MODE,
};

static const struct option create_opts[] = {
    {"bundle", required_argument, NULL, 'b'},
    {"pid-file", required_argument, NULL, OPT_PID_FILE},
    {"pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET},
    {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
    {"no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING},
    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
    {"detach", no_argument, NULL, 'd'},
    {"keep", no_argument, NULL, OPT_KEEP},
    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int cmd_create_run(const struct run_global *g, bool is_run, int argc, char **argv,
			  char **full_argv)
{
	struct run_create_opts o = {0};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, is_run ? "+b:dh" : "+b:h", create_opts, NULL)) != -1) {
		long long n;
		switch (c) {
		case 'b':
			o.bundle = optarg;
			break;
		case 'd':
			if (!is_run)
				return usage_error("create: unknown option '%s'", "--detach");
			o.detach = true;
			break;
		case OPT_KEEP:
			o.keep = true;
			break;
		case OPT_NO_SUBREAPER:
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_PIDFD_SOCKET:
			o.pidfd_socket = optarg;
			break;
		case OPT_CONSOLE_SOCKET:
			o.console_socket = optarg;
			break;
		case OPT_NO_PIVOT:
			o.no_pivot = true;
			break;
		case OPT_NO_NEW_KEYRING:
			o.no_new_keyring = true;
			break;
		case OPT_PRESERVE_FDS:
			if (oci_parse_int64(optarg, 0, 1 << 20, &n) < 0)
				return usage_error("--preserve-fds: '%s' is not a number", optarg);
			o.preserve_fds = (int)n;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", is_run ? "run" : "create");
	const char *id = argv[optind];
	struct oci_err *e = NULL;
	/* CVE-2019-5736: the init must not run from the binary on disk */
	if (run_ensure_cloned_binary(full_argv, &e) < 0)
		return fail(e);
	if (!is_run)
		return run_create(g, id, &o, &e) < 0 ? fail(e) : 0;
	int status = 0;
	if (run_run(g, id, &o, &status, &e) < 0)
		return fail(e);
	return status;
}

static int cmd_exec(const struct run_global *g, int argc, char **argv, char **full_argv)
{
	static const struct option opts[] = {
	    {"process", required_argument, NULL, 'p'},
	    {"detach", no_argument, NULL, 'd'},
	    {"tty", no_argument, NULL, 't'},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"pidfd-socket", required_argument, NULL, OPT_PIDFD_SOCKET},
	    {"env", required_argument, NULL, 'e'},
	    {"cwd", required_argument, NULL, OPT_CWD},
	    {"user", required_argument, NULL, 'u'},
	    {"cap", required_argument, NULL, 'c'},
	    {"no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS},
	    {"preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct run_exec_opts o = {0};
	_cleanup_strv_ char **env = NULL;
	_cleanup_strv_ char **caps = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+p:dte:u:c:h", opts, NULL)) != -1) {
		long long n;
		switch (c) {
		case 'p':
			o.process_file = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case 't':
			o.tty = true;
			break;
		case OPT_CONSOLE_SOCKET:
			o.console_socket = optarg;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_PIDFD_SOCKET:
			o.pidfd_socket = optarg;
			break;
		case 'e':
			oci_strv_push(&env, optarg);
			break;
		case OPT_CWD:
			o.cwd = optarg;
			break;
		case 'u':
			o.user = optarg;
			break;
		case 'c':
			oci_strv_push(&caps, optarg);
			break;
		case OPT_NO_NEW_PRIVS:
			o.no_new_privs = true;
			break;
		case OPT_PRESERVE_FDS:
			if (oci_parse_int64(optarg, 0, 1 << 20, &n) < 0)
				return usage_error("--preserve-fds: '%s' is not a number", optarg);
			o.preserve_fds = (int)n;
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
	}
	if (optind >= argc)
		return usage_error("%s: needs a container id", "exec");
	const char *id = argv[optind++];
	if (!o.process_file && optind >= argc)
		return usage_error("exec: needs a command or --process FILE (container '%s')", id);
	if (o.process_file && optind < argc)
		return usage_error("exec: '%s': give a command or --process, not both",
				   argv[optind]);
	o.args = argv + optind;
	o.env = env;
	o.caps = caps;
	struct oci_err *e = NULL;
	if (run_ensure_cloned_binary(full_argv, &e) < 0)
		return fail(e);
	int status = 0;
	if (run_exec(g, id, &o, &status, &e) < 0)
		return fail(e);
	return status;
}

/* checkpoint and restore share runc's criu flags; each refuses the other's.
 * Long options also take one dash, as runc's Go flags do: containerd's shim
 * passes "-no-subreaper" to restore. */
static int cmd_criu(const struct run_global *g, bool restore, const char *criu, int argc,
		    char **argv)
{
	static const struct option opts[] = {
	    {"image-path", required_argument, NULL, OPT_IMAGE_PATH},
	    {"work-path", required_argument, NULL, OPT_WORK_PATH},
	    {"parent-path", required_argument, NULL, OPT_PARENT_PATH},
	    {"leave-running", no_argument, NULL, OPT_LEAVE_RUNNING},
	    {"tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED},
	    {"ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK},
	    {"shell-job", no_argument, NULL, OPT_SHELL_JOB},
	    {"file-locks", no_argument, NULL, OPT_FILE_LOCKS},
	    {"pre-dump", no_argument, NULL, OPT_PRE_DUMP},
	    {"manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE},
	    {"bundle", required_argument, NULL, 'b'},
	    {"detach", no_argument, NULL, 'd'},
	    {"pid-file", required_argument, NULL, OPT_PID_FILE},
	    {"console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET},
	    {"no-pivot", no_argument, NULL, OPT_NO_PIVOT},
	    {"no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = restore ? "restore" : "checkpoint";
	struct run_criu_opts o = {.criu = criu};
	int c, idx = 0;
	optind = 1;
	while ((c = getopt_long_only(argc, argv, restore ? "+b:dh" : "+h", opts, &idx)) != -1) {
		/* the options of the other command */
		bool ckpt_only = c == OPT_PARENT_PATH || c == OPT_LEAVE_RUNNING || c == OPT_PRE_DUMP;
		bool restore_only = c == 'b' || c == 'd' || c == OPT_PID_FILE ||
				    c == OPT_CONSOLE_SOCKET || c == OPT_NO_PIVOT ||
				    c == OPT_NO_SUBREAPER;
		if ((restore && ckpt_only) || (!restore && restore_only)) {
			fprintf(stderr, "%s: error: %s: unknown option '--%s' (see '%s --help')\n",
				PROG, name, opts[idx].name, PROG);
			return 2;
		}
		switch (c) {
		case OPT_IMAGE_PATH:
			o.image_path = optarg;
			break;
		case OPT_WORK_PATH:
			o.work_path = optarg;
			break;
		case OPT_PARENT_PATH:
			o.parent_path = optarg;
			break;
		case OPT_LEAVE_RUNNING:
			o.leave_running = true;
			break;
		case OPT_TCP_ESTABLISHED:
			o.tcp_established = true;
			break;
		case OPT_EXT_UNIX_SK:
			o.ext_unix_sk = true;
			break;
		case OPT_SHELL_JOB:
			o.shell_job = true;
			break;
		case OPT_FILE_LOCKS:
			o.file_locks = true;
			break;
		case OPT_PRE_DUMP:
			o.pre_dump = true;
			break;
		case OPT_MANAGE_CGROUPS_MODE:
			if (!run_criu_cgroups_mode_valid(optarg))
				return usage_error("--manage-cgroups-mode: '%s' is not soft, full, "
						   "strict or ignore",
						   optarg);
			o.cgroups_mode = optarg;
			break;
		case 'b':
			o.bundle = optarg;
			break;
		case 'd':
			o.detach = true;
			break;
		case OPT_PID_FILE:
			o.pid_file = optarg;
			break;
		case OPT_CONSOLE_SOCKET:
			o.console_socket = optarg;
			break;
		case OPT_NO_PIVOT:
			o.no_pivot = true;
			break;
		case OPT_NO_SUBREAPER:
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		default:
			return 2;
		}
		idx = 0;
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", name);
	struct oci_err *e = NULL;
	if (!restore)
		return run_checkpoint(g, argv[optind], &o, &e) < 0 ? fail(e) : 0;
	int status = 0;
	if (run_restore(g, argv[optind], &o, &status, &e) < 0)
		return fail(e);
	return status;
}

static int cmd_ps(const struct run_global *g, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *format = "table";
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:h", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (!streq(format, "table") && !streq(format, "json"))
		return usage_error("ps: unknown format '%s' (use table or json)", format);
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", "ps");
	struct oci_err *e = NULL;
	_cleanup_free_ char *out = NULL;
	if (run_ps(g, argv[optind], streq(format, "json"), &out, &e) < 0)
		return fail(e);
	fputs(out, stdout);
	return 0;
}

static int cmd_events(const struct run_global *g, int argc, char **argv)
{
	static const struct option opts[] = {{"stats", no_argument, NULL, 's'},
					     {"interval", required_argument, NULL, 'i'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool stats = false;
	long long interval = 5;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 's')
			stats = true;
		else if (c == 'i') {
			size_t len = strlen(optarg);
			_cleanup_free_ char *v = xstrdup(optarg);
			if (len > 1 && v[len - 1] == 's')
				v[len - 1] = '\0';
			if (oci_parse_int64(v, 1, 86400, &interval) < 0)
				return usage_error("--interval: '%s' is not a number of seconds",
						   optarg);
		} else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", "events");
	struct oci_err *e = NULL;
	return run_events(g, argv[optind], stats, (int)interval, &e) < 0 ? fail(e) : 0;
}

static int cmd_update(const struct run_global *g, int argc, char **argv)
{
	/* runc's flags, each taking a value, plus --resources/-r */
	size_t nflags = 0;
	while (run_update_flags[nflags])
		nflags++;
	_cleanup_free_ struct option *opts = xcalloc(nflags + 3, sizeof(struct option));
	for (size_t i = 0; i < nflags; i++)
		opts[i] =
		    (struct option){run_update_flags[i], required_argument, NULL, 1000 + (int)i};
	opts[nflags] = (struct option){"resources", required_argument, NULL, 'r'};
	opts[nflags + 1] = (struct option){"help", no_argument, NULL, 'h'};
	const char *file = NULL;
	_cleanup_strv_ char **flags = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+r:h", opts, NULL)) != -1) {
		if (c == 'r')
			file = optarg;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else if (c >= 1000 && c < 1000 + (int)nflags) {
			oci_strv_push(&flags, run_update_flags[c - 1000]);
			oci_strv_push(&flags, optarg);
		} else
			return 2;
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", "update");
	if (!file && !flags)
		return usage_error("update: give --resources FILE or resource flags (container "
				   "'%s')",
				   argv[optind]);
	struct oci_err *e = NULL;
	return run_update(g, argv[optind], file, flags, &e) < 0 ? fail(e) : 0;
}

static int cmd_id_only(const char *name, int argc, char **argv, const char **ret_id)
{
	static const struct option opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		}
		return 2;
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", name);
	*ret_id = argv[optind];
	return -1;
}

static int cmd_kill(const struct run_global *g, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"all", no_argument, NULL, 'a'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
	bool all = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+ah", opts, NULL)) != -1) {
		if (c == 'a')
			all = true;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (optind >= argc || argc - optind > 2)
		return usage_error("%s: usage: kill [--all] ID [SIGNAL]", "kill");
	int sig = SIGTERM;
	if (argc - optind == 2) {
		sig = run_signal_from_name(argv[optind + 1]);
		if (sig < 0)
			return usage_error("kill: unknown signal '%s'", argv[optind + 1]);
	}
	struct oci_err *e = NULL;
	return run_kill(g, argv[optind], sig, all, &e) < 0 ? fail(e) : 0;
}

static int cmd_delete(const struct run_global *g, int argc, char **argv)
{
	static const struct option opts[] = {{"force", no_argument, NULL, 'f'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+fh", opts, NULL)) != -1) {
		if (c == 'f')
			force = true;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (optind + 1 != argc)
		return usage_error("%s: needs exactly one container id", "delete");
	struct oci_err *e = NULL;
	return run_delete(g, argv[optind], force, &e) < 0 ? fail(e) : 0;
}

static int cmd_list(const struct run_global *g, int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'},
					     {"quiet", no_argument, NULL, 'q'},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *format = "table";
	bool quiet = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+f:qh", opts, NULL)) != -1) {
		if (c == 'f')
			format = optarg;
		else if (c == 'q')
			quiet = true;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (!streq(format, "table") && !streq(format, "json"))
		return usage_error("list: unknown format '%s' (use table or json)", format);
	if (optind != argc)
		return usage_error("list: unexpected argument '%s'", argv[optind]);
	struct oci_err *e = NULL;
	_cleanup_free_ char *out = NULL;
	if (run_list(g, format, quiet, &out, &e) < 0)
		return fail(e);
	fputs(out, stdout);
	return 0;
}

static int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = {{"bundle", required_argument, NULL, 'b'},
					     {"rootless", no_argument, NULL, OPT_ROOTLESS},
					     {"help", no_argument, NULL, 'h'},
					     {NULL, 0, NULL, 0}};
	const char *bundle = ".";
	bool rootless = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+b:h", opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == OPT_ROOTLESS)
			rootless = true;
		else if (c == 'h') {
			fputs(usage_text, stdout);
			return 0;
		} else
			return 2;
	}
	if (optind != argc)
		return usage_error("spec: unexpected argument '%s'", argv[optind]);
	struct oci_err *e = NULL;
	return run_spec_write(bundle, rootless, &e) < 0 ? fail(e) : 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"root", required_argument, NULL, OPT_ROOT},
	    {"log", required_argument, NULL, OPT_LOG},
	    {"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	    {"debug", no_argument, NULL, OPT_DEBUG},
	    {"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP},
	    {"rootless", required_argument, NULL, OPT_ROOTLESS},
	    {"criu", required_argument, NULL, OPT_CRIU},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'v'},
	    {NULL, 0, NULL, 0},
	};
	struct run_global g = {.root = "/run/oci-run"};
	const char *log_file = NULL, *log_format = NULL;
	bool root_given = false;
	const char *criu = NULL;
	int c;

	oci_log_init(PROG);
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "+hv", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT:
			g.root = optarg;
			root_given = true;
			break;
		case OPT_LOG:
			log_file = optarg;
			break;
		case OPT_LOG_FORMAT:
			log_format = optarg;
			break;
		case OPT_DEBUG:
			oci_log_set_level(OCI_LOG_DEBUG);
			break;
		case OPT_SYSTEMD_CGROUP:
			g.systemd_cgroup = true;
			break;
		case OPT_CRIU:
			criu = optarg;
			break;
		case OPT_ROOTLESS:
			break;
		case 'h':
			fputs(usage_text, stdout);
			return 0;
		case 'v':
			printf("%s %s\nspec: %s\n", PROG, OCI_TOOLS_VERSION,
			       OCI_RUNTIME_SPEC_VERSION);
			return 0;
		default:
			return 2;
		}
	}
	/* rootless: the state goes below $XDG_RUNTIME_DIR, as runc does */
	_cleanup_free_ char *user_root = NULL;
	if (!root_given && geteuid() != 0) {
		const char *xdg = getenv("XDG_RUNTIME_DIR");
		user_root = xdg && *xdg ? xasprintf("%s/oci-run", xdg)
					: xasprintf("/tmp/oci-run-%u", (unsigned)geteuid());
		g.root = user_root;
	}
	if (log_format) {
		enum oci_log_format f;
		if (oci_log_parse_format(log_format, &f) < 0)
			return usage_error("--log-format: unknown format '%s' (use text or json)",
					   log_format);
	}
	if (log_file || log_format) {
		struct oci_err *e = NULL;
		if (oci_log_open(log_file, log_format, &e) < 0)
			return fail(e);
	}
	if (optind >= argc)
		return usage_error("%s", "no command given");
	const char *cmd = argv[optind];
	int sub_argc = argc - optind;
	char **sub_argv = argv + optind;
	const char *id = NULL;
	struct oci_err *e = NULL;
	int r;

	if (streq(cmd, "create") || streq(cmd, "run"))
		return cmd_create_run(&g, streq(cmd, "run"), sub_argc, sub_argv, argv);
	if (streq(cmd, "start")) {
		if ((r = cmd_id_only(cmd, sub_argc, sub_argv, &id)) >= 0)
			return r;
		return run_start(&g, id, &e) < 0 ? fail(e) : 0;
	}
	if (streq(cmd, "state")) {
		if ((r = cmd_id_only(cmd, sub_argc, sub_argv, &id)) >= 0)
			return r;
		_cleanup_free_ char *json = NULL;
		if (run_state(&g, id, &json, &e) < 0)
			return fail(e);
		puts(json);
		return 0;
	}
	if (streq(cmd, "pause") || streq(cmd, "resume")) {
		if ((r = cmd_id_only(cmd, sub_argc, sub_argv, &id)) >= 0)
			return r;
		return run_pause(&g, id, streq(cmd, "pause"), &e) < 0 ? fail(e) : 0;
	}
	if (streq(cmd, "ps"))
		return cmd_ps(&g, sub_argc, sub_argv);
	if (streq(cmd, "events"))
		return cmd_events(&g, sub_argc, sub_argv);
	if (streq(cmd, "update"))
		return cmd_update(&g, sub_argc, sub_argv);
	if (streq(cmd, "exec"))
		return cmd_exec(&g, sub_argc, sub_argv, argv);
	if (streq(cmd, "kill"))
		return cmd_kill(&g, sub_argc, sub_argv);
	if (streq(cmd, "delete"))
		return cmd_delete(&g, sub_argc, sub_argv);
	if (streq(cmd, "list"))
		return cmd_list(&g, sub_argc, sub_argv);
	if (streq(cmd, "spec"))
		return cmd_spec(sub_argc, sub_argv);
	if (streq(cmd, "checkpoint") || streq(cmd, "restore"))
		return cmd_criu(&g, streq(cmd, "restore"), criu, sub_argc, sub_argv);
	if (streq(cmd, "criu-action")) {
		/* internal: criu's action script during restore */
		if (sub_argc != 3)
			return usage_error("%s: needs a container id and a bundle", cmd);
		return run_criu_action(&g, sub_argv[1], sub_argv[2], &e) < 0 ? fail(e) : 0;
	}
	if (streq(cmd, "features")) {
		if (sub_argc > 1 && (streq(sub_argv[1], "--help") || streq(sub_argv[1], "-h"))) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (sub_argc > 1)
			return usage_error("features: unexpected argument '%s'", sub_argv[1]);
		_cleanup_free_ char *json = run_features_json();
		puts(json);
		return 0;
	}
	return usage_error("unknown command '%s'", cmd);
}
