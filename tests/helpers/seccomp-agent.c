/* A seccomp agent for SCMP_ACT_NOTIFY tests (runc's protocol): listens on a
 * unix socket and takes N connections (default 1: the container; more for
 * exec'd processes). Each brings one message, the container process state
 * JSON with the notify fd as SCM_RIGHTS, written to STATE-FILE (the first)
 * or STATE-FILE.2, .3, ... Every notified syscall is answered with the value
 * VAL (success). Exits when N fds were received and no process uses any of
 * them any more. Prints "ready" on stdout once listening.
 *   seccomp-agent SOCKET STATE-FILE VAL [N] */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <linux/seccomp.h>

static int die(const char *what)
{
	fprintf(stderr, "seccomp-agent: %s: %s\n", what, strerror(errno));
	return 1;
}

/* Has buf[0..n) a whole top-level JSON object (braces outside strings)? */
static int json_complete(const char *buf, size_t n)
{
	int depth = 0, in_str = 0, esc = 0, seen = 0;
	for (size_t i = 0; i < n; i++) {
		char c = buf[i];
		if (in_str) {
			if (esc)
				esc = 0;
			else if (c == '\\')
				esc = 1;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{') {
			depth++;
			seen = 1;
		} else if (c == '}' && --depth == 0 && seen) {
			return 1;
		}
	}
	return 0;
}

/* Receives one state message and its fd on a new connection. */
static int take(int lfd, const char *state_file, int index, int *ret_fd)
{
	int afd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (afd < 0)
		return die("accept");
	static char buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(int) * 4)];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) - 1 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cm.b,
			     .msg_controllen = sizeof(cm.b) };
	ssize_t n = recvmsg(afd, &mh, MSG_CMSG_CLOEXEC);
	if (n < 0)
		return die("recvmsg");
	/* runc keeps the connection open after its message: read until the
	 * JSON object is complete, not until EOF */
	size_t got = (size_t)n;
	ssize_t k;
	while (!json_complete(buf, got) && got < sizeof(buf) - 1 &&
	       (k = read(afd, buf + got, sizeof(buf) - 1 - got)) > 0)
		got += (size_t)k;
	buf[got] = 0;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int nfd = -1;
	if (c && c->cmsg_type == SCM_RIGHTS)
		memcpy(&nfd, CMSG_DATA(c), sizeof(int));
	char path[4096];
	if (index == 0)
		snprintf(path, sizeof(path), "%s", state_file);
	else
		snprintf(path, sizeof(path), "%s.%d", state_file, index + 1);
	FILE *f = fopen(path, "we");
	if (!f)
		return die("state file");
	fprintf(f, "%s\n", buf);
	fclose(f);
	close(afd);
	if (nfd < 0) {
		fprintf(stderr, "seccomp-agent: no fd received\n");
		return 1;
	}
	*ret_fd = nfd;
	return 0;
}

/* Answers one notification on nfd; 1 when nfd hung up. */
static int answer(int nfd, long long val)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	memset(&req, 0, sizeof(req));
	memset(&resp, 0, sizeof(resp));
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
		return errno == EINTR || errno == ENOENT ? 0 : die("SECCOMP_IOCTL_NOTIF_RECV");
	resp.id = req.id;
	resp.val = val;
	if (ioctl(nfd, SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0 && errno != ENOENT)
		return die("SECCOMP_IOCTL_NOTIF_SEND");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: seccomp-agent SOCKET STATE-FILE VAL [N]\n");
		return 2;
	}
	long long val = atoll(argv[3]);
	int want = argc == 5 ? atoi(argv[4]) : 1;
	if (want < 1 || want > 16) {
		fprintf(stderr, "seccomp-agent: N must be in [1, 16]\n");
		return 2;
	}
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(argv[1]) >= sizeof(sa.sun_path))
		return die("socket path too long");
	strcpy(sa.sun_path, argv[1]);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
		return die("listen");
	printf("ready\n");
	fflush(stdout);
	struct pollfd p[17];
	int nfds[16];
	int taken = 0, active = 0;
	for (;;) {
		int np = 0;
		if (taken < want)
			p[np++] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < active; i++)
			p[np++] = (struct pollfd){ .fd = nfds[i], .events = POLLIN };
		if (np == 0)
			return 0; /* every fd taken and hung up */
		int r = poll(p, (nfds_t)np, 60000);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return die("poll");
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (p[i].fd == lfd) {
				int nfd;
				if (take(lfd, argv[2], taken, &nfd))
					return 1;
				taken++;
				nfds[active++] = nfd;
			} else if (p[i].revents & POLLIN) {
				if (answer(p[i].fd, val))
					return 1;
			} else if (p[i].revents & (POLLHUP | POLLERR)) {
				for (int k = 0; k < active; k++)
					if (nfds[k] == p[i].fd) {
						close(nfds[k]);
						nfds[k] = nfds[--active];
						break;
					}
			}
		}
	}
}
