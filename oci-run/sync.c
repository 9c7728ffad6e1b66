/* The parent <-> init protocol (see sync.h). */
#include "sync.h"

#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "run_seccomp.h"
#include "util.h"

#define SYNC_MAX 8192

struct wire {
	int type;
	int value;
};

int run_sync_send(int fd, int type, int value, const char *text, struct oci_err **err)
{
	struct wire w = {type, value};
	struct iovec iov[2] = {{&w, sizeof(w)}, {(void *)(text ? text : ""), 0}};
	if (text)
		iov[1].iov_len = strnlen(text, SYNC_MAX - sizeof(w) - 1);
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	while (sendmsg(fd, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "sync with container init");
	}
	return 0;
}

int run_sync_recv(int fd, struct run_sync_msg *ret, struct oci_err **err)
{
	_cleanup_free_ char *buf = xmalloc(SYNC_MAX);
	ssize_t n;
	while ((n = recv(fd, buf, SYNC_MAX - 1, 0)) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "sync with container init");
	}
	if (n == 0)
		return oci_err_set(err, EPIPE, "container init exited unexpectedly");
	if ((size_t)n < sizeof(struct wire))
		return oci_err_set(err, EPROTO, "short message from container init");
	struct wire w;
	memcpy(&w, buf, sizeof(w));
	buf[n] = '\0';
	ret->type = w.type;
	ret->value = w.value;
	ret->text = (size_t)n > sizeof(w) ? xstrdup(buf + sizeof(w)) : NULL;
	return 0;
}

int run_sync_expect(int fd, int type, int *ret_value, struct oci_err **err)
{
	struct run_sync_msg m = {0};
	int r = run_sync_recv(fd, &m, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = m.text;
	if (m.type == RUN_SYNC_ERROR)
		return oci_err_set(err, m.value > 0 ? m.value : EIO, "%s",
				   text ? text : "container init failed");
	if (m.type != type)
		return oci_err_set(err, EPROTO,
				   "unexpected message %d from container init (want %d)", m.type,
				   type);
	if (ret_value)
		*ret_value = m.value;
	return 0;
}

int run_send_fd(int sock, int fd, const char *text, struct oci_err **err)
{
	char data[64];
	snprintf(data, sizeof(data), "%s", text && *text ? text : "-");
	struct iovec iov = {data, strlen(data)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof(u));
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	while (sendmsg(sock, &mh, MSG_NOSIGNAL) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "send the terminal to the console socket");
	}
	return 0;
}

int run_recv_fd(int sock, int *ret_fd, struct oci_err **err)
{
	char data[256];
	struct iovec iov = {data, sizeof(data)};
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf)};
	ssize_t n;
	while ((n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC)) < 0) {
		if (errno != EINTR)
			return oci_err_sys(err, "receive the terminal");
	}
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (n == 0 || !c || c->cmsg_type != SCM_RIGHTS)
		return oci_err_set(err, EPROTO, "no terminal received from container init");
	memcpy(ret_fd, CMSG_DATA(c), sizeof(int));
	return 0;
}

int run_sync_seccomp_apply(int sync_fd, const struct run_seccomp *sc, struct oci_err **err)
{
	int nfd = -1;
	int r = run_seccomp_apply(sc, &nfd, err);
	if (r < 0 || nfd < 0)
		return r;
	if ((r = run_sync_send(sync_fd, RUN_SYNC_SECCOMP, 0, NULL, err)) >= 0 &&
	    (r = run_send_fd(sync_fd, nfd, "seccomp", err)) >= 0)
		r = run_sync_expect(sync_fd, RUN_SYNC_SECCOMP_ACK, NULL, err);
	close(nfd);
	return r;
}
