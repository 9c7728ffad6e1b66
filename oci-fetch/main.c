/* oci-fetch: pull and push images between OCI registries and OCI image
 * layouts. CLI only: the work is in pull.c, push.c, registry.c and friends. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "fetch.h"
#include "log.h"
#include "sbuf.h"
#include "sigstore.h"
#include "util.h"

#define PROG "oci-fetch"

static const char usage[] =
	"Usage: oci-fetch [OPTION...] COMMAND ARGS...\n"
	"Pull and push images between OCI registries and OCI image layouts.\n"
	"\n"
	"Commands:\n"
	"  pull REF [DEST]        pull REF into DEST (oci:DIR[:TAG], oci-archive:FILE[:TAG],\n"
	"                         docker-archive:FILE[:NAME:TAG], dir:DIR; default: the store);\n"
	"                         prints the manifest digest\n"
	"  push SRC REF           push SRC (a name in the store, oci:DIR[:TAG],\n"
	"                         oci-archive:FILE[:TAG] or dir:DIR) to REF\n"
	"  copy SRC DEST          as skopeo copy: pull, push, or registry to registry\n"
	"  inspect REF            print JSON about REF (digest, platforms, config, layers)\n"
	"                         without downloading layers\n"
	"  tags REPO              list the tags of REPO\n"
	"  referrers REF          print the referrers of REF (signatures, SBOMs...) as an\n"
	"                         image index (--artifact-type T: only those)\n"
	"  sign REF               sign REF's manifest (an index: and its manifests) with\n"
	"                         --key FILE and push the sigstore signature (.sig tag)\n"
	"  login REGISTRY         check and save credentials (-u USER --password-stdin)\n"
	"  logout REGISTRY        remove saved credentials (--all: every registry)\n"
	"\n"
	"Options:\n"
	"      --store DIR            the store (default $OCI_ROOT, else /var/lib/oci-tools)\n"
	"      --tls-verify=BOOL      verify TLS certificates (false also allows plain http)\n"
	"      --cert-dir DIR         CA certificates (*.crt) and client certificates\n"
	"                             (*.cert + *.key) instead of certs.d/HOST:PORT\n"
	"      --authfile FILE        credentials file (default: containers auth.json,\n"
	"                             then ~/.docker/config.json)\n"
	"      --creds USER[:PASS]    credentials for this command\n"
	"      --registry-token TOK   bearer token for this command\n"
	"      --no-creds             access the registry anonymously\n"
	"      --registries-conf FILE mirrors, insecure registries and short names\n"
	"                             (registries.conf: aliases, search registries)\n"
	"      --policy FILE          trust policy for pulls (containers-policy.json; default\n"
	"                             ~/.config/containers/policy.json, /etc/containers/...)\n"
	"      --insecure-policy      pull without checking the trust policy\n"
	"      --platform OS/ARCH[/VARIANT]  platform to pick from an index (default: host)\n"
	"      --override-os OS, --override-arch ARCH, --override-variant VARIANT\n"
	"                             change one part of the platform\n"
	"      --multi-arch WHICH     from an index: system (the --platform one, the\n"
	"                             default of pull), all (the index and every\n"
	"                             platform) or index-only (the index alone)\n"
	"      --all-platforms        the same as --multi-arch all\n"
	"  -j, --jobs N               parallel blob transfers (default 6)\n"
	"      --retry-times N        retries on 5xx, 429 and dropped connections (default 3)\n"
	"      --retry-delay DURATION first backoff delay, doubling (default 500ms)\n"
	"      --chunk-size BYTES     push: upload blobs larger than this in chunks\n"
	"      --page-size N          tags: ask for N tags per request (default 1000)\n"
	"      --artifact-type TYPE   referrers: only those of this artifactType\n"
	"      --key FILE             sign: PEM private key (ECDSA, RSA or Ed25519)\n"
	"      --sign-identity REF    sign, push, copy: the identity claimed (default: REF)\n"
	"      --sign-by-sigstore-private-key FILE  push, copy: sign what was pushed\n"
	"      --raw                  inspect: print the manifest or index as served\n"
	"      --config               inspect: print the image config as served\n"
	"  -u, --username USER        login: user name\n"
	"      --password-stdin       login: read the password from stdin\n"
	"  -a, --all                  logout: remove every saved credential\n"
	"      --progress=WHEN        auto, bar, plain or none (default auto: bars on a TTY)\n"
	"  -q, --quiet                no progress\n"
	"      --format FORMAT        text or json (pull, push, tags)\n"
	"  -v, --verbose              more messages (repeat for debug)\n"
	"  -h, --help                 show this help\n"
	"  -V, --version              show the version\n"
	"\n"
	"Exit status: 0 success, 1 the operation failed, 2 bad usage.\n";

enum {
	OPT_STORE = 256,
	OPT_TLS_VERIFY,
	OPT_CERT_DIR,
	OPT_AUTHFILE,
	OPT_CREDS,
	OPT_REGISTRY_TOKEN,
	OPT_NO_CREDS,
	OPT_REGISTRIES_CONF,
	OPT_PLATFORM,
	OPT_ALL_PLATFORMS,
	OPT_RETRY_TIMES,
	OPT_RETRY_DELAY,
	OPT_CHUNK_SIZE,
	OPT_PASSWORD_STDIN,
	OPT_PROGRESS,
	OPT_FORMAT,
	OPT_OVERRIDE_OS,
	OPT_OVERRIDE_ARCH,
	OPT_OVERRIDE_VARIANT,
	OPT_PAGE_SIZE,
	OPT_ARTIFACT_TYPE,
	OPT_RAW,
	OPT_CONFIG,
	OPT_POLICY,
	OPT_INSECURE_POLICY,
	OPT_KEY,
	OPT_SIGN_IDENTITY,
	OPT_SIGN_BY_SIGSTORE,
	OPT_MULTI_ARCH,
};

static const struct option long_opts[] = {
	{ "store", required_argument, NULL, OPT_STORE },
	{ "tls-verify", required_argument, NULL, OPT_TLS_VERIFY },
	{ "cert-dir", required_argument, NULL, OPT_CERT_DIR },
	{ "authfile", required_argument, NULL, OPT_AUTHFILE },
	{ "creds", required_argument, NULL, OPT_CREDS },
	{ "registry-token", required_argument, NULL, OPT_REGISTRY_TOKEN },
	{ "no-creds", no_argument, NULL, OPT_NO_CREDS },
	{ "registries-conf", required_argument, NULL, OPT_REGISTRIES_CONF },
	{ "platform", required_argument, NULL, OPT_PLATFORM },
	{ "all-platforms", no_argument, NULL, OPT_ALL_PLATFORMS },
	{ "multi-arch", required_argument, NULL, OPT_MULTI_ARCH },
	{ "override-os", required_argument, NULL, OPT_OVERRIDE_OS },
	{ "override-arch", required_argument, NULL, OPT_OVERRIDE_ARCH },
	{ "override-variant", required_argument, NULL, OPT_OVERRIDE_VARIANT },
	{ "jobs", required_argument, NULL, 'j' },
	{ "retry-times", required_argument, NULL, OPT_RETRY_TIMES },
	{ "retry-delay", required_argument, NULL, OPT_RETRY_DELAY },
	{ "chunk-size", required_argument, NULL, OPT_CHUNK_SIZE },
	{ "page-size", required_argument, NULL, OPT_PAGE_SIZE },
	{ "artifact-type", required_argument, NULL, OPT_ARTIFACT_TYPE },
	{ "raw", no_argument, NULL, OPT_RAW },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "insecure-policy", no_argument, NULL, OPT_INSECURE_POLICY },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "sign-identity", required_argument, NULL, OPT_SIGN_IDENTITY },
	{ "sign-by-sigstore-private-key", required_argument, NULL, OPT_SIGN_BY_SIGSTORE },
	{ "config", no_argument, NULL, OPT_CONFIG },
	{ "username", required_argument, NULL, 'u' },
	{ "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
	{ "all", no_argument, NULL, 'a' },
	{ "progress", required_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": error: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry '" PROG " --help' for more information.\n");
	exit(2);
}

static long long parse_num(const char *opt, const char *s, long long min, long long max)
{
	long long v;
	if (oci_parse_int64(s, min, max, &v) < 0) {
		fprintf(stderr, PROG ": error: invalid value '%s' for %s (expected %lld..%lld)\n", s,
			opt, min, max);
		exit(2);
	}
	return v;
}

/* "500ms", "2s", "1m", or a number of seconds. */
static int parse_duration_ms(const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || v < 0)
		die_usage("invalid duration '%s' for --retry-delay", s);
	double mult = 1000;
	if (streq(end, "ms"))
		mult = 1;
	else if (streq(end, "s") || !*end)
		mult = 1000;
	else if (streq(end, "m"))
		mult = 60000;
	else
		die_usage("invalid duration '%s' for --retry-delay", s);
	double ms = v * mult;
	if (ms > 3600000)
		die_usage("duration '%s' is too long for --retry-delay", s);
	return (int)ms;
}

static void need_args(const char *cmd, int have, int min, int max)
{
	if (have < min || have > max) {
		fprintf(stderr, PROG ": error: '%s' takes %s%d argument%s, got %d\n", cmd,
			min == max ? "" : have < min ? "at least " : "at most ",
			have < min ? min : max, (have < min ? min : max) == 1 ? "" : "s", have);
		fprintf(stderr, "Try '" PROG " --help' for more information.\n");
		exit(2);
	}
}

int main(int argc, char **argv)
{
	struct fetch_opts o = { .jobs = 6, .retry_times = 3, .retry_delay_ms = 500,
				.progress = -1, .chunk_size = 0 };
	bool logout_all = false;
	const char *artifact_type = NULL;
	const char *key_file = NULL, *sign_identity = NULL, *sign_key = NULL;
	int verbose = 0;
	oci_log_init(PROG);

	int c;
	/* GNU getopt permutes argv: options may come before or after the command */
	while ((c = getopt_long(argc, argv, "j:u:aqvhV", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_STORE: o.store = optarg; break;
		case OPT_TLS_VERIFY:
			if (streq(optarg, "true") || streq(optarg, "1"))
				o.tls = FETCH_TLS_VERIFY;
			else if (streq(optarg, "false") || streq(optarg, "0"))
				o.tls = FETCH_TLS_NOVERIFY;
			else
				die_usage("invalid value '%s' for --tls-verify (true or false)", optarg);
			break;
		case OPT_CERT_DIR: o.cert_dir = optarg; break;
		case OPT_AUTHFILE: o.authfile = optarg; break;
		case OPT_CREDS: o.creds = optarg; break;
		case OPT_REGISTRY_TOKEN: o.registry_token = optarg; break;
		case OPT_NO_CREDS: o.no_creds = true; break;
		case OPT_REGISTRIES_CONF: o.registries_conf = optarg; break;
		case OPT_PLATFORM: o.platform = optarg; break;
		case OPT_ALL_PLATFORMS:
		case OPT_MULTI_ARCH: {
			enum fetch_multi_arch m = FETCH_MULTI_ARCH_ALL;
			if (c == OPT_ALL_PLATFORMS)
				m = FETCH_MULTI_ARCH_ALL;
			else if (streq(optarg, "system"))
				m = FETCH_MULTI_ARCH_SYSTEM;
			else if (streq(optarg, "all"))
				m = FETCH_MULTI_ARCH_ALL;
			else if (streq(optarg, "index-only"))
				m = FETCH_MULTI_ARCH_INDEX_ONLY;
			else
				die_usage("invalid value '%s' for --multi-arch (system, all or index-only)", optarg);
			if (o.multi_arch && o.multi_arch != m)
				die_usage("%s: --multi-arch and --all-platforms disagree", "conflicting options");
			o.multi_arch = m;
			break;
		}
		case OPT_OVERRIDE_OS: o.override_os = optarg; break;
		case OPT_OVERRIDE_ARCH: o.override_arch = optarg; break;
		case OPT_OVERRIDE_VARIANT: o.override_variant = optarg; break;
		case 'j': o.jobs = (int)parse_num("--jobs", optarg, 1, 64); break;
		case OPT_RETRY_TIMES: o.retry_times = (int)parse_num("--retry-times", optarg, 0, 100); break;
		case OPT_RETRY_DELAY: o.retry_delay_ms = parse_duration_ms(optarg); break;
		case OPT_CHUNK_SIZE:
			o.chunk_size = parse_num("--chunk-size", optarg, 1024, 1LL << 40);
			break;
		case OPT_ARTIFACT_TYPE: artifact_type = optarg; break;
		case OPT_RAW: o.inspect_raw = true; break;
		case OPT_POLICY: o.policy = optarg; break;
		case OPT_INSECURE_POLICY: o.insecure_policy = true; break;
		case OPT_KEY: key_file = optarg; break;
		case OPT_SIGN_IDENTITY: sign_identity = optarg; break;
		case OPT_SIGN_BY_SIGSTORE: sign_key = optarg; break;
		case OPT_CONFIG: o.inspect_config = true; break;
		case OPT_PAGE_SIZE: o.page_size = (int)parse_num("--page-size", optarg, 1, 100000); break;
		case 'u': o.username = optarg; break;
		case OPT_PASSWORD_STDIN: o.password_stdin = true; break;
		case 'a': logout_all = true; break;
		case OPT_PROGRESS:
			if (streq(optarg, "auto"))
				o.progress = -1;
			else if (streq(optarg, "bar"))
				o.progress = 1;
			else if (streq(optarg, "plain"))
				o.progress = 0;
			else if (streq(optarg, "none"))
				o.progress = -2;
			else
				die_usage("invalid value '%s' for --progress (auto, bar, plain, none)", optarg);
			break;
		case 'q': o.quiet = true; break;
		case OPT_FORMAT:
			if (streq(optarg, "json"))
				o.format = FETCH_FORMAT_JSON;
			else if (streq(optarg, "text"))
				o.format = FETCH_FORMAT_TEXT;
			else
				die_usage("invalid value '%s' for --format (text or json)", optarg);
			break;
		case 'v': verbose++; break;
		case 'h': fputs(usage, stdout); return 0;
		case 'V': printf(PROG " %s\n", OCI_TOOLS_VERSION); return 0;
		default:
			fprintf(stderr, "Try '" PROG " --help' for more information.\n");
			return 2;
		}
	}
	char **args = NULL;
	while (optind < argc)
		oci_strv_push(&args, argv[optind++]);
	int nargs = (int)oci_strv_len(args);
	if (nargs == 0) {
		fprintf(stderr, PROG ": error: no command given\n");
		fprintf(stderr, "Try '" PROG " --help' for more information.\n");
		return 2;
	}
	if (verbose == 1)
		oci_log_set_level(OCI_LOG_INFO);
	else if (verbose >= 2)
		oci_log_set_level(OCI_LOG_DEBUG);

	const char *cmd = args[0];
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, PROG ": error: curl initialisation failed\n");
		return 1;
	}
	_cleanup_err_ struct oci_err *err = NULL;
	struct sbuf out = SBUF_INIT;
	int r;
	if (streq(cmd, "pull")) {
		need_args(cmd, nargs - 1, 1, 2);
		r = fetch_cmd_pull(&o, args[1], nargs > 2 ? args[2] : NULL, &out, &err);
	} else if (streq(cmd, "push")) {
		need_args(cmd, nargs - 1, 2, 2);
		r = fetch_cmd_push(&o, args[1], args[2], &out, &err);
		if (r >= 0 && sign_key)
			r = fetch_sign_pushed(&o, sign_key, sign_identity, args[2], &out, &err);
	} else if (streq(cmd, "copy")) {
		need_args(cmd, nargs - 1, 2, 2);
		r = sign_key ? fetch_sign_dest_check(args[2], &err) : 0;
		if (r >= 0)
			r = fetch_cmd_copy(&o, args[1], args[2], &out, &err);
		if (r >= 0 && sign_key)
			r = fetch_sign_pushed(&o, sign_key, sign_identity, args[2], &out, &err);
	} else if (streq(cmd, "inspect")) {
		need_args(cmd, nargs - 1, 1, 1);
		r = fetch_cmd_inspect(&o, args[1], &out, &err);
	} else if (streq(cmd, "tags")) {
		need_args(cmd, nargs - 1, 1, 1);
		r = fetch_cmd_tags(&o, args[1], &out, &err);
	} else if (streq(cmd, "referrers")) {
		need_args(cmd, nargs - 1, 1, 1);
		r = fetch_cmd_referrers(&o, args[1], artifact_type, &out, &err);
	} else if (streq(cmd, "sign")) {
		need_args(cmd, nargs - 1, 1, 1);
		if (!key_file) {
			fprintf(stderr, PROG ": error: 'sign' needs --key FILE\n");
			fprintf(stderr, "Try '" PROG " --help' for more information.\n");
			oci_strv_free(args);
			return 2;
		}
		r = fetch_cmd_sign(&o, key_file, sign_identity, args[1], &out, &err);
	} else if (streq(cmd, "login")) {
		need_args(cmd, nargs - 1, 1, 1);
		r = fetch_cmd_login(&o, args[1], &err);
		if (r >= 0 && !o.quiet)
			fprintf(stderr, "Login Succeeded!\n");
	} else if (streq(cmd, "logout")) {
		need_args(cmd, nargs - 1, logout_all ? 0 : 1, 1);
		r = fetch_cmd_logout(&o, nargs > 1 ? args[1] : "", logout_all, &err);
		if (r >= 0 && !o.quiet)
			fprintf(stderr, "Removed login credentials%s%s\n", logout_all ? "" : " for ",
				logout_all ? "" : args[1]);
	} else {
		fprintf(stderr, PROG ": error: unknown command '%s'\n", cmd);
		fprintf(stderr, "Try '" PROG " --help' for more information.\n");
		oci_strv_free(args);
		return 2;
	}
	if (r < 0) {
		oci_error("%s", err && err->msg ? err->msg : "failed");
		sbuf_release(&out);
		oci_strv_free(args);
		curl_global_cleanup();
		return r == -EINVAL && err && err->msg && strstr(err->msg, "--") ? 2 : 1;
	}
	fwrite(out.buf, 1, out.len, stdout);
	sbuf_release(&out);
	oci_strv_free(args);
	curl_global_cleanup();
	if (fflush(stdout) != 0) {
		fprintf(stderr, PROG ": error: writing to stdout failed\n");
		return 1;
	}
	return 0;
}
