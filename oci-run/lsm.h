/* Linux security modules: AppArmor profiles and SELinux labels, applied as
 * runc does (the label of the next execve through /proc/self/attr). */
#ifndef OCI_RUN_LSM_H
#define OCI_RUN_LSM_H

#include <stdbool.h>

#include "err.h"
#include "spec.h"

/* Whether the host runs AppArmor (/sys/module/apparmor/parameters/enabled
 * says Y) or SELinux (selinuxfs at /sys/fs/selinux). */
bool run_lsm_apparmor_enabled(void);
bool run_lsm_selinux_enabled(void);

/* Checks, before anything is created, that what process.apparmorProfile,
 * process.selinuxLabel and linux.mountLabel ask for is on this host (a
 * one-line error naming the field otherwise), then puts the mount label
 * into the data of the tmpfs, mqueue and devpts mounts as context="...".
 * linux.intelRdt, not done, is refused here too. */
int run_lsm_prepare(struct run_spec *s, struct oci_err **err);
/* The same check for one process (`exec`). */
int run_lsm_check_process(const struct run_process *p, struct oci_err **err);

/* Sets the profile and label the next execve takes on; called in the init
 * (or the exec'd process) while it still has its capabilities. */
int run_lsm_apply_exec(const struct run_process *p, struct oci_err **err);

/* The pieces, with the files as parameters (for tests). The AppArmor
 * profile goes to apparmor_path as "exec PROFILE", or to fallback_path when
 * the first does not exist (kernels before 5.8). */
int run_lsm_apparmor_apply_at(const char *apparmor_path, const char *fallback_path,
			      const char *profile, struct oci_err **err);
int run_lsm_selinux_apply_at(const char *path, const char *label, struct oci_err **err);
/* The mount label into the tmpfs, mqueue and devpts mounts (no check). */
void run_lsm_label_mounts(struct run_spec *s);
/* data (may be NULL) with context="LABEL" added; a new string. */
char *run_lsm_mount_data(const char *data, const char *label);

#endif
