/* Mounting the bundle's overlay: lowerdir = the image's layers, top first,
 * named by their short links relative to the layers directory (so that up
 * to a few hundred layers fit in one page of mount options); when even that
 * is too long, the new mount API adds the lowers one at a time
 * ("lowerdir+", Linux 6.8). */
#include "unpack.h"

#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fs.h"
#include "sbuf.h"
#include "util.h"

#ifndef FSOPEN_CLOEXEC
#define FSOPEN_CLOEXEC 0x1
#endif
#ifndef FSMOUNT_CLOEXEC
#define FSMOUNT_CLOEXEC 0x1
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x4
#endif
#define OVL_FSCONFIG_SET_STRING 1
#define OVL_FSCONFIG_CMD_CREATE 6


static int mount_new_api(const char *layers_dir, char *const *lowers, const char *upper,
			 const char *work, const char *target, struct oci_err **err)
{
	_cleanup_close_ int fs = (int)syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC);
	if (fs < 0)
		return oci_err_sys(err, "fsopen overlay");
	for (char *const *l = lowers; *l; l++) {
		_cleanup_free_ char *p = oci_path_join(layers_dir, *l);
		if (syscall(SYS_fsconfig, fs, OVL_FSCONFIG_SET_STRING, "lowerdir+", p, 0) < 0)
			return oci_err_sys(err, "overlay lowerdir+ '%s'", p);
	}
	if (syscall(SYS_fsconfig, fs, OVL_FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, OVL_FSCONFIG_SET_STRING, "workdir", work, 0) < 0 ||
	    syscall(SYS_fsconfig, fs, OVL_FSCONFIG_SET_STRING, "redirect_dir", "off", 0) < 0 ||
	    syscall(SYS_fsconfig, fs, OVL_FSCONFIG_SET_STRING, "metacopy", "off", 0) < 0)
		return oci_err_sys(err, "overlay options");
	if (syscall(SYS_fsconfig, fs, OVL_FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return oci_err_sys(err, "creating the overlay");
	_cleanup_close_ int mfd = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0);
	if (mfd < 0)
		return oci_err_sys(err, "fsmount");
	if (syscall(SYS_move_mount, mfd, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
		return oci_err_sys(err, "mounting the overlay on '%s'", target);
	return 0;
}

int unpack_overlay_mount(const char *layers_dir, char *const *lowers, const char *upper,
			 const char *work, const char *target, struct oci_err **err)
{
	_cleanup_sbuf_ struct sbuf data = SBUF_INIT;
	sbuf_addstr(&data, "lowerdir=");
	for (char *const *l = lowers; *l; l++) {
		if (l != lowers)
			sbuf_addch(&data, ':');
		sbuf_addstr(&data, *l);
	}
	sbuf_addf(&data, ",upperdir=%s,workdir=%s", upper, work);
	/* `diff` reads the upper dir as plain files and whiteouts: no
	 * metadata-only copy-ups, no renamed-directory redirects, whatever the
	 * module's defaults are. */
	sbuf_addstr(&data, ",redirect_dir=off,metacopy=off");
	/* Options are split at ',' and lowerdir at ':': paths holding those
	 * (or '\\') go through the new mount API, one value per key. */
	bool special = strpbrk(upper, ",:\\") || strpbrk(work, ",:\\");
	for (char *const *l = lowers; *l && !special; l++)
		special = strpbrk(*l, ",:\\") != NULL;
	if (data.len > UNPACK_MOUNT_DATA_MAX || special)
		return mount_new_api(layers_dir, lowers, upper, work, target, err);

	/* The lowers are relative to layers_dir: mount from there. */
	_cleanup_close_ int cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (chdir(layers_dir) < 0)
		return oci_err_sys(err, "chdir '%s'", layers_dir);
	int r = mount("overlay", target, "overlay", 0, data.buf);
	int saved = errno;
	if (cwd >= 0 && fchdir(cwd) < 0) {
		/* the old cwd is gone; stay where we are */
	}
	if (r < 0) {
		errno = saved;
		return oci_err_sys(err, "mounting the overlay on '%s'", target);
	}
	return 0;
}

bool unpack_is_mountpoint(const char *path)
{
	struct stat st, pst;
	if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return false;
	_cleanup_free_ char *parent = oci_path_join(path, "..");
	if (stat(parent, &pst) < 0)
		return false;
	if (st.st_dev != pst.st_dev)
		return true;
	/* same device: a bind mount or an overlay of the same fs would differ
	 * in mount id; check /proc/self/mountinfo for the path */
	_cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return false;
	_cleanup_free_ char *real = realpath(path, NULL);
	if (!real)
		return false;
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok = strtok_r(line, " ", &save);
		for (int i = 0; tok && i < 4; i++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && streq(tok, real))
			return true;
	}
	return false;
}

int unpack_umount(const char *target, struct oci_err **err)
{
	/* an unprivileged caller may not even try (EPERM): nothing mounted,
	 * nothing to do (a rootless bundle's overlay lives in the container) */
	if (geteuid() != 0 && !unpack_is_mountpoint(target))
		return 0;
	if (umount2(target, UMOUNT_NOFOLLOW) < 0) {
		if (errno == EINVAL || errno == ENOENT)
			return 0; /* not mounted */
		return oci_err_sys(err, "unmounting '%s'", target);
	}
	return 0;
}
