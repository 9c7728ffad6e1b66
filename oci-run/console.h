/* process.terminal: a pty inside the container whose master is sent over
 * the --console-socket (SCM_RIGHTS, as containerd and conmon expect). */
#ifndef OCI_RUN_CONSOLE_H
#define OCI_RUN_CONSOLE_H

#include <stdbool.h>

#include "err.h"
#include "spec.h"

/* Connects to the unix socket PATH (in the caller's mount namespace). */
int run_console_connect(const char *path, int *ret_fd, struct oci_err **err);
/* In the init after entering the rootfs: opens /dev/ptmx, sends the master
 * on sock, binds the slave on /dev/console (when bind_console: the init,
 * not exec) and makes it the controlling terminal and stdio. */
int run_console_setup(const struct run_process *p, int sock, bool bind_console,
		      struct oci_err **err);

#endif
