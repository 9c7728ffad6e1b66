/* oci-run/spec.c: config.json into structs, with errors naming the field. */
#include "tap.h"

#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>

#include "spec.h"
#include "util.h"

static const char *base_linux =
    "\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"mount\"}, "
    "{\"type\": \"network\", \"path\": \"/run/netns/x\"}, {\"type\": \"uts\"}]}";

static struct run_spec *parse(const char *extra, char **ret_err)
{
	/* the default process unless extra has its own */
	const char *proc = startswith(extra, "\"process\"")
			       ? ""
			       : "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": "
				 "{\"uid\": 1, \"gid\": 2}}, ";
	_cleanup_free_ char *doc = xasprintf(
	    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\", \"readonly\": true}, "
	    "%s%s}",
	    proc, extra);
	struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	*ret_err = NULL;
	if (run_spec_parse(doc, strlen(doc), "/b", &s, &e) < 0) {
		*ret_err = xstrdup(e->msg);
		oci_err_free(e);
		return NULL;
	}
	return s;
}

static void expect_error(const char *extra, const char *want, const char *name)
{
	char *msg = NULL;
	struct run_spec *s = parse(extra, &msg);
	ok(!s && msg && strstr(msg, want), "%s: %s", name, msg ? msg : "(parsed)");
	run_spec_free(s);
	free(msg);
}

int main(void)
{
	char *msg = NULL;
	struct run_spec *s = parse(base_linux, &msg);
	ok(s != NULL, "a minimal config parses (%s)", msg ? msg : "ok");
	if (!s)
		return exit_status();
	is_str(s->root_path, "/b/rootfs", "root.path is made absolute against the bundle");
	ok(s->root_readonly, "root.readonly");
	is_int(s->process.uid, 1, "uid");
	is_int(s->process.gid, 2, "gid");
	ok(s->ns_flags == (CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWUTS), "ns flags");
	const struct run_ns *n = run_spec_ns(s, CLONE_NEWNET);
	ok(n && n->path && streq(n->path, "/run/netns/x"), "network namespace path");
	ok(run_spec_ns(s, CLONE_NEWIPC) == NULL, "no ipc namespace");
	run_spec_free(s);

	/* mount options */
	struct run_mount m = {0};
	const char *opts[] = {"rbind", "ro", "nosuid", "rslave", "size=1m", "mode=755", "rro"};
	for (size_t i = 0; i < ARRAY_SIZE(opts); i++)
		run_mount_add_option(&m, opts[i]);
	ok(m.bind && (m.flags & MS_REC) && (m.flags & MS_RDONLY) && (m.flags & MS_NOSUID),
	   "rbind, ro, nosuid");
	is_int(m.propagation, MS_SLAVE | MS_REC, "rslave");
	ok(m.rro, "rro");
	is_str(m.data, "size=1m,mode=755", "other options become data");
	run_mount_add_option(&m, "rw");
	ok(!(m.flags & MS_RDONLY), "a later rw clears ro");
	free(m.data);

	/* signals and capabilities */
	is_int(run_signal_from_name("KILL"), SIGKILL, "KILL");
	is_int(run_signal_from_name("SIGTERM"), SIGTERM, "SIGTERM");
	is_int(run_signal_from_name("9"), 9, "9");
	is_int(run_signal_from_name("sigusr1"), SIGUSR1, "sigusr1");
	is_int(run_signal_from_name("RTMIN+2"), SIGRTMIN + 2, "RTMIN+2");
	is_int(run_signal_from_name("NOPE"), -1, "unknown signal");
	is_int(run_signal_from_name("0"), -1, "signal 0 is refused");
	is_int(run_cap_from_name("CAP_SYS_ADMIN"), 21, "CAP_SYS_ADMIN");
	is_int(run_cap_from_name("CAP_CHECKPOINT_RESTORE"), 40, "CAP_CHECKPOINT_RESTORE");
	is_str(run_cap_name(0), "CAP_CHOWN", "cap 0");

	/* rlimits, hooks, devices, sysctl */
	s = parse(
	    "\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"user\": {\"uid\": 0, \"gid\": 0},"
	    " \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"soft\": 10, \"hard\": 20}],"
	    " \"capabilities\": {\"bounding\": [\"CAP_KILL\"], \"ambient\": [\"CAP_KILL\"]}},"
	    " \"hooks\": {\"poststop\": [{\"path\": \"/bin/x\", \"timeout\": 5}]},"
	    " \"linux\": {\"namespaces\": [{\"type\": \"mount\"}], \"sysctl\": {\"a.b\": \"1\"},"
	    " \"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"major\": 1, \"minor\": 2}]}",
	    &msg);
	ok(s != NULL, "a fuller config parses (%s)", msg ? msg : "ok");
	if (s) {
		is_int(s->process.n_rlimits, 1, "one rlimit");
		is_int(s->process.rlimits[0].resource, RLIMIT_NOFILE, "RLIMIT_NOFILE");
		is_int(s->process.caps[RUN_CAP_BOUNDING], 1ULL << 5, "bounding CAP_KILL");
		is_int(s->process.caps[RUN_CAP_AMBIENT], 1ULL << 5, "ambient CAP_KILL");
		is_int(s->hooks.n[RUN_HOOK_POSTSTOP], 1, "one poststop hook");
		is_int(s->hooks.v[RUN_HOOK_POSTSTOP][0].timeout, 5, "hook timeout");
		is_str(s->sysctl[0], "a.b", "sysctl key");
		is_int(s->devices[0].type, 'c', "device type");
	}
	run_spec_free(s);
	free(msg);

	/* errors name the field */
	expect_error("\"process\": {\"cwd\": \"/\", \"user\": {\"uid\": 0, \"gid\": 0}}",
		     "config.json: process.args: required field is missing",
		     "process.args missing");
	expect_error("\"process\": {\"cwd\": \"rel\", \"args\": [\"x\"], \"user\": {\"uid\": 0, "
		     "\"gid\": 0}}",
		     "process.cwd: 'rel' is not an absolute path", "relative cwd");
	expect_error("\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"env\": [\"NOEQUALS\"], "
		     "\"user\": {\"uid\": 0, \"gid\": 0}}",
		     "process.env[0]: 'NOEQUALS' is not KEY=VALUE", "env without =");
	expect_error("\"process\": {\"cwd\": \"/\", \"args\": [\"x\"], \"user\": {\"uid\": -1, "
		     "\"gid\": 0}}",
		     "process.user.uid", "negative uid");
	expect_error("\"mounts\": [{\"destination\": \"/x\", \"source\": \"/y\", \"options\": "
		     "[\"bind\", \"idmap\"]}]",
		     "mounts[0]: idmap needs uidMappings and gidMappings", "idmap without maps");
	expect_error("\"mounts\": [{\"destination\": \"/x\", \"type\": \"tmpfs\", \"options\": "
		     "[\"idmap\"]}]",
		     "mounts[0].options: idmap is supported on bind mounts only", "idmap on tmpfs");
	expect_error(
	    "\"mounts\": [{\"destination\": \"/x\", \"source\": \"/y\", \"options\": "
	    "[\"bind\"], \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}]",
	    "mounts[0].uidMappings: mappings need the idmap or ridmap option",
	    "mappings without idmap");
	expect_error("\"mounts\": [{\"destination\": \"/x\"}]", "mounts[0].type",
		     "mount without type");
	expect_error("\"hooks\": {\"prestart\": [{\"path\": \"rel\"}]}",
		     "hooks.prestart[0].path: 'rel' is not an absolute path", "relative hook path");
	expect_error("\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"pid\"}]}",
		     "linux.namespaces[1].type: namespace 'pid' given twice", "namespace twice");
	{
		/* crun's default for a rootless caller; root's error comes later
		 * (run_ns_prepare_userns, tests/unit/oci-run/test-subid.c) */
		char *umsg = NULL;
		struct run_spec *us =
		    parse("\"linux\": {\"namespaces\": [{\"type\": \"user\"}]}", &umsg);
		ok(us && us->n_uid_mappings == 0, "a user namespace without maps parses (%s)",
		   umsg ? umsg : "ok");
		run_spec_free(us);
		free(umsg);
	}
	expect_error("\"linux\": {\"rootfsPropagation\": \"sideways\"}",
		     "linux.rootfsPropagation: unknown propagation 'sideways'", "bad propagation");
	expect_error("\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"z\"}]}",
		     "linux.devices[0].type", "bad device type");
	expect_error("\"linux\": {\"timeOffsets\": {\"monotonic\": {\"secs\": 1}}}",
		     "linux.timeOffsets: needs a time namespace", "time offsets without time ns");
	expect_error("\"hostname\": \"h\"", "hostname: setting it needs a new uts namespace",
		     "hostname without uts");
	done_testing();
	return exit_status();
}
