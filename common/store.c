/* The default store's location and its folders. */
#include "store.h"

#include <errno.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fs.h"
#include "util.h"

/* Makes PATH absolute (against the current directory) and clean. */
static int absolute_path(const char *path, char **ret, struct oci_err **err)
{
	if (path[0] == '/') {
		*ret = oci_path_clean(path);
		return 0;
	}
	_cleanup_free_ char *cwd = getcwd(NULL, 0);
	if (!cwd)
		return oci_err_sys(err, "store '%s': cannot get the current directory", path);
	_cleanup_free_ char *joined = oci_path_join(cwd, path);
	*ret = oci_path_clean(joined);
	return 0;
}

int oci_store_path_euid(const char *opt, uid_t euid, char **ret, struct oci_err **err)
{
	_cleanup_free_ char *dflt = NULL;
	const char *path;

	if (opt) {
		if (!*opt)
			return oci_err_set(err, EINVAL, "--store: the store directory is empty");
		path = opt;
	} else if ((path = secure_getenv("OCI_ROOT")) && *path) {
		/* the environment names it */
	} else if (euid == 0) {
		path = OCI_STORE_DEFAULT_ROOT;
	} else {
		/* XDG: a relative $XDG_DATA_HOME is invalid and ignored. */
		const char *xdg = secure_getenv("XDG_DATA_HOME");
		const char *home = secure_getenv("HOME");
		if (xdg && xdg[0] == '/') {
			dflt = oci_path_join(xdg, "oci-tools");
		} else {
			if (!home || !*home) {
				struct passwd *pw = getpwuid(euid);
				home = pw && pw->pw_dir && *pw->pw_dir ? pw->pw_dir : NULL;
			}
			if (!home)
				return oci_err_set(err, ENOENT,
						   "cannot choose a store: HOME is not set (set "
						   "OCI_ROOT or use --store)");
			dflt = xasprintf("%s/.local/share/oci-tools", home);
		}
		path = dflt;
	}
	return absolute_path(path, ret, err);
}

int oci_store_path(const char *opt, char **ret, struct oci_err **err)
{
	return oci_store_path_euid(opt, geteuid(), ret, err);
}

char *oci_store_images_dir(const char *store)
{
	return oci_path_join(store, "images");
}

char *oci_store_layers_dir(const char *store)
{
	return oci_path_join(store, "layers");
}

char *oci_store_containers_dir(const char *store)
{
	return oci_path_join(store, "containers");
}

char *oci_store_volumes_dir(const char *store)
{
	return oci_path_join(store, "volumes");
}

char *oci_store_networks_dir(const char *store)
{
	return oci_path_join(store, "networks");
}
