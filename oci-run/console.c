/* The container's terminal. */
#include "console.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>

#include "sync.h"
#include "util.h"

int run_console_connect(const char *path, int *ret_fd, struct oci_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return oci_err_set(err, ENAMETOOLONG, "--console-socket: '%s' is too long", path);
	strcpy(sa.sun_path, path);
	_cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return oci_err_sys(err, "socket");
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return oci_err_sys(err, "--console-socket: connect '%s'", path);
	*ret_fd = TAKE_FD(fd);
	return 0;
}

int run_console_setup(const struct run_process *p, int sock, bool bind_console,
		      struct oci_err **err)
{
	_cleanup_close_ int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return oci_err_sys(err, "process.terminal: open '/dev/ptmx'");
	int unlock = 0;
	if (ioctl(master, TIOCSPTLCK, &unlock) < 0)
		return oci_err_sys(err, "process.terminal: unlock the pty");
	_cleanup_close_ int slave = ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		return oci_err_sys(err, "process.terminal: open the pty slave");
	if (p->console_height || p->console_width) {
		struct winsize ws = {.ws_row = (unsigned short)p->console_height,
				     .ws_col = (unsigned short)p->console_width};
		if (ioctl(slave, TIOCSWINSZ, &ws) < 0)
			return oci_err_sys(err, "process.consoleSize");
	}
	if (fchown(slave, p->uid, p->gid) < 0 && errno != EINVAL)
		return oci_err_sys(err, "process.terminal: chown the pty");
	int pn = -1;
	ioctl(master, TIOCGPTN, &pn);
	char name[64];
	snprintf(name, sizeof(name), "/dev/pts/%d", pn);
	int r = run_send_fd(sock, master, name, err);
	if (r < 0)
		return r;
	if (bind_console) {
		/* /dev/console: the terminal, as runc does */
		int f = open("/dev/console", O_CREAT | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f >= 0)
			close(f);
		char sp[64];
		snprintf(sp, sizeof(sp), "/proc/self/fd/%d", slave);
		if (mount(sp, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return oci_err_sys(err, "process.terminal: bind the pty on '/dev/console'");
	}
	if (setsid() < 0)
		return oci_err_sys(err, "setsid");
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		return oci_err_sys(err, "process.terminal: set the controlling terminal");
	for (int i = 0; i < 3; i++)
		if (dup2(slave, i) < 0)
			return oci_err_sys(err, "dup2");
	return 0;
}
