/* Where the default store lives, and its folders:
 *   --store DIR, else $OCI_ROOT, else /var/lib/oci-tools as root and
 *   $XDG_DATA_HOME/oci-tools (~/.local/share/oci-tools) otherwise.
 * A program passes the chosen store on to the siblings it runs with --store. */
#ifndef OCI_STORE_H
#define OCI_STORE_H

#include <sys/types.h>

#include "err.h"

#define OCI_STORE_DEFAULT_ROOT "/var/lib/oci-tools"

/* opt is the --store value or NULL. The result is absolute and clean
 * (a relative --store or $OCI_ROOT is taken from the current directory;
 * a relative $XDG_DATA_HOME is ignored, as the XDG spec says). The
 * environment is read with secure_getenv. Caller frees. */
int oci_store_path(const char *opt, char **ret, struct oci_err **err);
/* The same for a given effective uid (0 chooses OCI_STORE_DEFAULT_ROOT):
 * for tests, and for a program that acts for another user. */
int oci_store_path_euid(const char *opt, uid_t euid, char **ret, struct oci_err **err);

/* Folders inside the store (caller frees). */
char *oci_store_images_dir(const char *store);	   /* images/: one OCI layout */
char *oci_store_layers_dir(const char *store);	   /* layers/ */
char *oci_store_containers_dir(const char *store); /* containers/ */
char *oci_store_volumes_dir(const char *store);	   /* volumes/ */
char *oci_store_networks_dir(const char *store);   /* networks/ */

#endif
