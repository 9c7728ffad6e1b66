/* Choice of the store: --store, $OCI_ROOT, root's default, XDG/HOME. */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store.h"
#include "tap.h"
#include "util.h"

static char *store_for(const char *opt, uid_t euid, char **ret_err)
{
	_cleanup_err_ struct oci_err *err = NULL;
	char *path = NULL;
	*ret_err = NULL;
	if (oci_store_path_euid(opt, euid, &path, &err) < 0) {
		*ret_err = xstrdup(err->msg);
		return NULL;
	}
	return path;
}

static void check(const char *opt, uid_t euid, const char *want, const char *name)
{
	_cleanup_free_ char *e = NULL;
	_cleanup_free_ char *got = store_for(opt, euid, &e);
	if (!is_str(got, want, "%s", name) && e)
		diag("  error: %s", e);
}

static void check_err(const char *opt, uid_t euid, const char *want, const char *name)
{
	_cleanup_free_ char *e = NULL;
	_cleanup_free_ char *got = store_for(opt, euid, &e);
	ok(!got, "%s: fails", name);
	is_str(e, want, "%s: message", name);
}

int main(void)
{
	char tmpl[] = "/tmp/test-store.XXXXXX";
	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	if (chdir(tmpl) < 0) {
		perror("chdir");
		return 1;
	}
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	_cleanup_free_ char *rel_want = xasprintf("%s/rel/store", cwd);
	_cleanup_free_ char *parent_want = xasprintf("%s/st", cwd);

	unsetenv("OCI_ROOT");
	setenv("HOME", "/home/someone", 1);
	setenv("XDG_DATA_HOME", "/xdg/data", 1);

	/* --store wins over everything */
	setenv("OCI_ROOT", "/env/root", 1);
	check("/opt/store", 1000, "/opt/store", "--store wins over OCI_ROOT");
	check("/opt/store", 0, "/opt/store", "--store wins as root");
	check("/opt//store/./x/..//", 0, "/opt/store", "--store is cleaned");
	check("rel/store", 0, rel_want, "a relative --store is made absolute");
	check("rel/./sub/../store/", 1000, rel_want,
	      "a relative --store is made absolute and clean");
	check("sub/../st", 0, parent_want, "a relative --store with .. is resolved lexically");
	check_err("", 0, "--store: the store directory is empty", "an empty --store");

	/* then $OCI_ROOT */
	check(NULL, 0, "/env/root", "OCI_ROOT as root");
	check(NULL, 1000, "/env/root", "OCI_ROOT rootless");
	setenv("OCI_ROOT", "rel/store", 1);
	check(NULL, 1000, rel_want, "a relative OCI_ROOT is made absolute");
	setenv("OCI_ROOT", "", 1);
	check(NULL, 0, "/var/lib/oci-tools", "an empty OCI_ROOT is ignored");
	unsetenv("OCI_ROOT");

	/* defaults */
	check(NULL, 0, "/var/lib/oci-tools", "root's default");
	check(NULL, 1000, "/xdg/data/oci-tools", "rootless default under XDG_DATA_HOME");
	setenv("XDG_DATA_HOME", "/xdg/data/", 1);
	check(NULL, 1000, "/xdg/data/oci-tools", "XDG_DATA_HOME with a trailing slash");
	setenv("XDG_DATA_HOME", "relative/xdg", 1);
	check(NULL, 1000, "/home/someone/.local/share/oci-tools",
	      "a relative XDG_DATA_HOME is ignored");
	setenv("XDG_DATA_HOME", "", 1);
	check(NULL, 1000, "/home/someone/.local/share/oci-tools", "an empty XDG_DATA_HOME");
	unsetenv("XDG_DATA_HOME");
	check(NULL, 1000, "/home/someone/.local/share/oci-tools", "rootless default under HOME");
	unsetenv("HOME");
	/* Without HOME the password database has the answer, or there is none. */
	{
		_cleanup_free_ char *e = NULL;
		_cleanup_free_ char *got = store_for(NULL, 0x7ffffff0, &e);
		is_str(e, "cannot choose a store: HOME is not set (set OCI_ROOT or use --store)",
		       "no HOME and no passwd entry: error");
		ok(!got, "no HOME and no passwd entry: no path");
		_cleanup_free_ char *e0 = NULL;
		_cleanup_free_ char *got0 = store_for(NULL, 0, &e0);
		is_str(got0, "/var/lib/oci-tools", "no HOME does not matter to root");
	}
	setenv("HOME", "/home/someone", 1);

	/* oci_store_path uses the real euid */
	{
		_cleanup_err_ struct oci_err *err = NULL;
		_cleanup_free_ char *p = NULL;
		ok(oci_store_path(NULL, &p, &err) == 0, "oci_store_path succeeds");
		is_str(p,
		       geteuid() == 0 ? "/var/lib/oci-tools"
				      : "/home/someone/.local/share/oci-tools",
		       "oci_store_path follows geteuid()");
	}

	/* folders */
	{
		_cleanup_free_ char *i = oci_store_images_dir("/s");
		_cleanup_free_ char *l = oci_store_layers_dir("/s/");
		_cleanup_free_ char *c = oci_store_containers_dir("/s");
		_cleanup_free_ char *v = oci_store_volumes_dir("/s");
		_cleanup_free_ char *n = oci_store_networks_dir("/s");
		is_str(i, "/s/images", "images dir");
		is_str(l, "/s/layers", "layers dir (store with a trailing slash)");
		is_str(c, "/s/containers", "containers dir");
		is_str(v, "/s/volumes", "volumes dir");
		is_str(n, "/s/networks", "networks dir");
	}

	if (chdir("/") < 0 || rmdir(tmpl) < 0)
		diag("cannot remove %s", tmpl);
	done_testing();
	return exit_status();
}
