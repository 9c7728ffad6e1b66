/* oci-run/lsm.c: what goes into the attr files and mount data, against
 * plain files standing for /proc/self/attr/... (this host has neither
 * AppArmor nor SELinux, so the real files cannot be written). */
#include "tap.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "fs.h"
#include "lsm.h"
#include "spec.h"
#include "util.h"

static char *root;

static char *slurp(const char *path)
{
	char *buf = NULL;
	size_t len;
	struct oci_err *e = NULL;
	if (oci_read_file(path, 4096, &buf, &len, &e) < 0) {
		oci_err_free(e);
		return xstrdup("(unreadable)");
	}
	return buf;
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static void test_apparmor(void)
{
	_cleanup_free_ char *aa = xasprintf("%s/apparmor-exec", root);
	_cleanup_free_ char *fb = xasprintf("%s/exec", root);
	struct oci_err *e = NULL;
	touch(aa);
	touch(fb);
	ok(run_lsm_apparmor_apply_at(aa, fb, "docker-default", &e) == 0,
	   "apparmor: the profile is written");
	_cleanup_free_ char *got = slurp(aa);
	is_str(got, "exec docker-default", "apparmor: as \"exec PROFILE\" to attr/apparmor/exec");
	_cleanup_free_ char *none = slurp(fb);
	is_str(none, "", "apparmor: the fallback file is left alone when the first exists");

	/* kernels before 5.8: no attr/apparmor/ folder */
	_cleanup_free_ char *missing = xasprintf("%s/no/such/exec", root);
	ok(run_lsm_apparmor_apply_at(missing, fb, "p2", &e) == 0, "apparmor: fallback works");
	_cleanup_free_ char *got2 = slurp(fb);
	is_str(got2, "exec p2", "apparmor: the fallback attr/exec gets \"exec PROFILE\"");

	/* neither file: an error naming the field and the profile */
	_cleanup_free_ char *missing2 = xasprintf("%s/no/such/exec2", root);
	ok(run_lsm_apparmor_apply_at(missing, missing2, "p3", &e) < 0, "apparmor: no file fails");
	ok(e && strstr(e->msg, "process.apparmorProfile 'p3'") != NULL,
	   "apparmor: error names it: %s", e ? e->msg : "(none)");
	oci_err_free(e);
}

static void test_selinux(void)
{
	_cleanup_free_ char *f = xasprintf("%s/se-exec", root);
	struct oci_err *e = NULL;
	touch(f);
	ok(run_lsm_selinux_apply_at(f, "system_u:system_r:container_t:s0:c1,c2", &e) == 0,
	   "selinux: the label is written");
	_cleanup_free_ char *got = slurp(f);
	is_str(got, "system_u:system_r:container_t:s0:c1,c2", "selinux: the label as it is");
	_cleanup_free_ char *missing = xasprintf("%s/nope/exec", root);
	ok(run_lsm_selinux_apply_at(missing, "l", &e) < 0, "selinux: a missing file fails");
	ok(e && strstr(e->msg, "process.selinuxLabel 'l'") != NULL, "selinux: error names it: %s",
	   e ? e->msg : "(none)");
	oci_err_free(e);
}

static void test_mount_data(void)
{
	_cleanup_free_ char *a = run_lsm_mount_data(NULL, "system_u:object_r:container_file_t:s0");
	is_str(a, "context=\"system_u:object_r:container_file_t:s0\"", "mount data: label alone");
	_cleanup_free_ char *b = run_lsm_mount_data("mode=755,size=65536k", "x:y:z:s0");
	is_str(b, "mode=755,size=65536k,context=\"x:y:z:s0\"", "mount data: appended");
	_cleanup_free_ char *c = run_lsm_mount_data("", "l");
	is_str(c, "context=\"l\"", "mount data: empty data");
}

static struct run_spec *parse(const char *proc_extra, const char *linux_extra)
{
	_cleanup_free_ char *doc = xasprintf(
	    "{\"ociVersion\": \"1.2.0\", \"root\": {\"path\": \"rootfs\"}, "
	    "\"process\": {\"cwd\": \"/\", \"args\": [\"sh\"], \"user\": {\"uid\": 0, \"gid\": "
	    "0}%s}, "
	    "\"mounts\": [{\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", "
	    "\"options\": [\"nosuid\", \"mode=755\"]}, {\"destination\": \"/x\", \"type\": "
	    "\"none\", "
	    "\"source\": \"/tmp\", \"options\": [\"bind\"]}, {\"destination\": \"/sys\", \"type\": "
	    "\"sysfs\", \"source\": \"sysfs\"}], "
	    "\"linux\": {\"namespaces\": [{\"type\": \"mount\"}]%s}}",
	    proc_extra, linux_extra);
	struct run_spec *s = NULL;
	struct oci_err *e = NULL;
	if (run_spec_parse(doc, strlen(doc), "/b", &s, &e) < 0) {
		diag("parse: %s", e->msg);
		oci_err_free(e);
		return NULL;
	}
	return s;
}

static void test_spec(void)
{
	struct run_spec *s =
	    parse(", \"apparmorProfile\": \"prof\", \"selinuxLabel\": \"a:b:c:s0\"", "");
	ok(s != NULL, "spec: the fields parse");
	if (!s)
		return;
	is_str(s->process.apparmor_profile, "prof", "spec: process.apparmorProfile");
	is_str(s->process.selinux_label, "a:b:c:s0", "spec: process.selinuxLabel");
	struct run_process *d = run_process_dup(&s->process);
	is_str(d->apparmor_profile, "prof", "spec: a copied process keeps its profile");
	run_process_free(d);
	struct oci_err *e = NULL;
	bool aa = run_lsm_apparmor_enabled(), se = run_lsm_selinux_enabled();
	diag("host: apparmor %s, selinux %s", aa ? "on" : "off", se ? "on" : "off");
	int r = run_lsm_prepare(s, &e);
	if (aa && se) {
		ok(r == 0, "prepare: both enabled, no error");
	} else {
		ok(r < 0 && e, "prepare: a module asked for and absent is an error");
		ok(e && strstr(e->msg, aa ? "process.selinuxLabel" : "process.apparmorProfile"),
		   "prepare: the error names the field: %s", e ? e->msg : "(none)");
	}
	oci_err_free(e);
	e = NULL;
	run_spec_free(s);

	s = parse("", ", \"mountLabel\": \"m:n:o:s0\"");
	ok(s != NULL, "spec: linux.mountLabel parses");
	if (!s)
		return;
	is_str(s->mount_label, "m:n:o:s0", "spec: linux.mountLabel");
	r = run_lsm_prepare(s, &e);
	if (se) {
		ok(r == 0, "prepare: mount label with SELinux");
		is_str(s->mounts[0].data, "mode=755,context=\"m:n:o:s0\"",
		       "prepare: tmpfs labelled");
		ok(!s->mounts[1].data || !strstr(s->mounts[1].data, "context="),
		   "prepare: a bind mount is not labelled");
		ok(!s->mounts[2].data || !strstr(s->mounts[2].data, "context="),
		   "prepare: sysfs is not labelled");
	} else {
		ok(r < 0 && e && strstr(e->msg, "linux.mountLabel: 'm:n:o:s0'"),
		   "prepare: mount label without SELinux: %s", e ? e->msg : "(none)");
		is_str(s->mounts[0].data, "mode=755",
		       "prepare: on error the mount data is untouched");
	}
	oci_err_free(e);
	/* what prepare does with SELinux enabled */
	run_lsm_label_mounts(s);
	is_str(s->mounts[0].data, "mode=755,context=\"m:n:o:s0\"", "label mounts: tmpfs labelled");
	ok(!s->mounts[1].data || !strstr(s->mounts[1].data, "context="),
	   "label mounts: a bind mount is not labelled");
	ok(!s->mounts[2].data || !strstr(s->mounts[2].data, "context="),
	   "label mounts: sysfs is not labelled");
	run_spec_free(s);

	s = parse(", \"apparmorProfile\": \"\", \"selinuxLabel\": \"\"", ", \"mountLabel\": \"\"");
	ok(s && !s->process.apparmor_profile && !s->process.selinux_label,
	   "spec: empty strings ask for nothing");
	if (s) {
		e = NULL;
		ok(run_lsm_prepare(s, &e) == 0, "prepare: nothing asked, no error");
		oci_err_free(e);
	}
	run_spec_free(s);
	s = parse(", \"apparmorProfile\": 3", "");
	ok(s == NULL, "spec: a non-string apparmorProfile is refused");
	run_spec_free(s);
}

int main(void)
{
	struct oci_err *e = NULL;
	if (oci_mkdtemp("/tmp/test-lsm", &root, &e) < 0) {
		diag("mkdtemp: %s", e->msg);
		return 1;
	}
	test_apparmor();
	test_selinux();
	test_mount_data();
	test_spec();
	oci_rm_rf(root, &e);
	free(root);
	done_testing();
	return exit_status();
}
