/* Name resolution for a network: one small server process per network,
 * listening on the gateway address (UDP port 53), that answers A and AAAA
 * queries for the names and aliases of the network's endpoints (also with
 * ".NETWORK" appended) and forwards every other query, unchanged, to the
 * upstream resolvers (the network's --dns-upstream, else the host's
 * /etc/resolv.conf). It rereads its hosts file on SIGHUP and whenever the
 * file changes. */
#include <arpa/inet.h>
#include <ctype.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#include "net.h"
#include "sbuf.h"
#include "util.h"

#define DNS_MAX_PENDING 128
#define DNS_FORWARD_TIMEOUT_MS 4000
#define DNS_TTL 5

/* ---- the client side: hosts file, start, stop ---- */

static char *pid_file(struct net_ctx *ctx, const char *network)
{
	return xasprintf("%s/%s/dns.pid", ctx->dir, network);
}

/* The pid of the running server of a network, or 0. */
static pid_t server_pid(struct net_ctx *ctx, const char *network)
{
	_cleanup_free_ char *pf = pid_file(ctx, network);
	_cleanup_free_ char *s = NULL;
	if (net_sysctl_read(pf, &s, NULL) < 0)
		return 0;
	uint64_t pid;
	if (net_parse_uint(s, 1, 1 << 22, &pid) < 0)
		return 0;
	/* The pid must still be our server for this network (pids are reused). */
	_cleanup_free_ char *cmdf = xasprintf("/proc/%llu/cmdline", (unsigned long long)pid);
	_cleanup_close_ int fd = open(cmdf, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	bool serve = false, mine = false;
	for (char *p = buf; p < buf + n; p += strlen(p) + 1) {
		if (streq(p, "dns-serve"))
			serve = true;
		if (streq(p, pf))
			mine = true;
	}
	return serve && mine ? (pid_t)pid : 0;
}

static int write_hosts(struct net_ctx *ctx, const struct net_network *n, struct oci_err **err)
{
	_cleanup_(net_endpoints_freep) struct net_endpoint **eps = NULL;
	int r = net_endpoints_load(ctx, n->name, &eps, err);
	if (r < 0)
		return r;
	_cleanup_sbuf_ struct sbuf sb = SBUF_INIT;
	for (struct net_endpoint **e = eps; *e; e++) {
		for (char **u = (*e)->dns; u && *u; u++) {
			_cleanup_free_ char *a = net_cidr_str(&(*e)->ip, false);
			sbuf_addf(&sb, "@upstream %s %s\n", a, *u);
		}
		if (!(*e)->name && !(*e)->aliases)
			continue;
		const struct net_cidr *ips[] = { &(*e)->ip, &(*e)->ip6 };
		for (size_t i = 0; i < 2; i++) {
			if (!ips[i]->family)
				continue;
			_cleanup_free_ char *a = net_cidr_str(ips[i], false);
			sbuf_addstr(&sb, a);
			if ((*e)->name)
				sbuf_addf(&sb, " %s", (*e)->name);
			for (char **al = (*e)->aliases; al && *al; al++)
				sbuf_addf(&sb, " %s", *al);
			sbuf_addch(&sb, '\n');
		}
	}
	_cleanup_free_ char *f = xasprintf("%s/%s/hosts", ctx->dir, n->name);
	return net_write_atomic(f, sb.buf, sb.len, err);
}

static int self_exe(char **ret, struct oci_err **err)
{
	_cleanup_free_ char *buf = xmalloc(4096);
	ssize_t n = readlink("/proc/self/exe", buf, 4095);
	if (n < 0)
		return oci_err_sys(err, "readlink /proc/self/exe");
	buf[n] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

static int server_start(struct net_ctx *ctx, const struct net_network *n, struct oci_err **err)
{
	_cleanup_free_ char *exe = NULL;
	int r = self_exe(&exe, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *gw = net_cidr_str(&n->gateway, false);
	_cleanup_free_ char *hosts = xasprintf("%s/%s/hosts", ctx->dir, n->name);
	_cleanup_free_ char *pf = pid_file(ctx, n->name);
	_cleanup_strv_ char **argv = NULL;
	oci_strv_push(&argv, "oci-net");
	oci_strv_push(&argv, "dns-serve");
	oci_strv_push(&argv, "--listen");
	oci_strv_push(&argv, gw);
	_cleanup_free_ char *gw6 = n->ipv6 ? net_cidr_str(&n->gateway6, false) : NULL;
	if (gw6) {
		oci_strv_push(&argv, "--listen");
		oci_strv_push(&argv, gw6);
	}
	oci_strv_push(&argv, "--hosts");
	oci_strv_push(&argv, hosts);
	oci_strv_push(&argv, "--pid-file");
	oci_strv_push(&argv, pf);
	oci_strv_push(&argv, "--domain");
	oci_strv_push(&argv, n->name);
	oci_strv_push(&argv, "--ready-fd");
	oci_strv_push(&argv, "3");
	for (char **u = n->dns_upstreams; u && *u; u++) {
		oci_strv_push(&argv, "--upstream");
		oci_strv_push(&argv, *u);
	}
	int pfd[2];
	if (pipe2(pfd, O_CLOEXEC) < 0)
		return oci_err_sys(err, "pipe");
	_cleanup_close_ int rfd = pfd[0];
	pid_t child = fork();
	if (child < 0) {
		close(pfd[1]);
		return oci_err_sys(err, "fork");
	}
	if (child == 0) {
		/* A daemon: a new session, reparented to init, stdio on /dev/null. */
		setsid();
		pid_t g = fork();
		if (g != 0)
			_exit(g < 0 ? 1 : 0);
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (nul < 0 || dup2(nul, 0) < 0 || dup2(nul, 1) < 0 || dup2(nul, 2) < 0 ||
		    dup2(pfd[1], 3) < 0)
			_exit(127);
		/* Nothing else of the caller's (a test runner's pipes) stays open. */
		close_range(4, ~0U, 0);
		if (chdir("/") < 0)
			_exit(127);
		/* Run as a server, not as a CNI plugin again. */
		unsetenv("CNI_COMMAND");
		sigset_t all;
		sigemptyset(&all);
		sigprocmask(SIG_SETMASK, &all, NULL);
		execv(exe, argv);
		_exit(127);
	}
	close(pfd[1]);
	int status;
	while (waitpid(child, &status, 0) < 0 && errno == EINTR)
		;
	/* Wait for "R" (ready) or "E:message". */
	char buf[512];
	size_t got = 0;
	struct pollfd p = { .fd = rfd, .events = POLLIN };
	for (;;) {
		int pr = poll(&p, 1, 5000);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return oci_err_set(err, ETIMEDOUT, "DNS server of network '%s' did not start",
					   n->name);
		ssize_t k = read(rfd, buf + got, sizeof(buf) - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		got += (size_t)k;
		if (got == sizeof(buf) - 1)
			break;
	}
	buf[got] = '\0';
	if (got > 0 && buf[0] == 'R')
		return 0;
	if (got > 2 && buf[0] == 'E')
		return oci_err_set(err, EIO, "DNS server of network '%s': %s", n->name, buf + 2);
	return oci_err_set(err, EIO, "DNS server of network '%s' exited at start", n->name);
}

int net_dns_update(struct net_ctx *ctx, const struct net_network *n, bool start,
		   struct oci_err **err)
{
	int r = write_hosts(ctx, n, err);
	if (r < 0)
		return r;
	pid_t pid = server_pid(ctx, n->name);
	if (pid > 0) {
		kill(pid, SIGHUP);
		return 0;
	}
	return start ? server_start(ctx, n, err) : 0;
}

int net_dns_stop(struct net_ctx *ctx, const char *network, struct oci_err **err)
{
	pid_t pid = server_pid(ctx, network);
	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		/* Wait (up to 2 s) for it to let go of the address. */
		for (int i = 0; i < 200 && kill(pid, 0) == 0; i++) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	_cleanup_free_ char *pf = pid_file(ctx, network);
	unlink(pf);
	(void)err;
	return 0;
}

/* ---- the server ---- */

struct dns_host {
	char *name; /* lowercase, no final dot */
	int family;
	unsigned char addr[16];
};

/* A container's own upstream (connect --dns): queries from client go there. */
struct dns_client_upstream {
	int family;
	unsigned char client[16];
	struct sockaddr_storage up;
	socklen_t up_len;
};

struct dns_pending {
	int fd;
	int client_fd;
	struct sockaddr_storage client;
	socklen_t client_len;
	uint16_t id;
	struct timespec deadline;
};

struct dns_server {
	const struct net_dns_serve_opts *o;
	int fd;      /* the socket of the query being handled */
	int fds[2];  /* the listening sockets */
	size_t n_fds;
	int tcp_fds[2]; /* and their TCP twins */
	size_t n_tcp;
	struct dns_host *hosts;
	size_t n_hosts;
	struct timespec hosts_mtime;
	struct sockaddr_storage *ups;
	socklen_t *ups_len;
	size_t n_ups;
	struct dns_client_upstream *cups;
	size_t n_cups;
	struct dns_pending pending[DNS_MAX_PENDING];
	size_t n_pending;
};

static volatile sig_atomic_t got_hup, got_term;
static void on_hup(int sig)
{
	(void)sig;
	got_hup = 1;
}
static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static int parse_upstream(const char *u, struct sockaddr_storage *ss, socklen_t *len);

static void hosts_clear(struct dns_server *s)
{
	free(s->cups);
	s->cups = NULL;
	s->n_cups = 0;
	for (size_t i = 0; i < s->n_hosts; i++)
		free(s->hosts[i].name);
	free(s->hosts);
	s->hosts = NULL;
	s->n_hosts = 0;
}

static void lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

static void hosts_load(struct dns_server *s)
{
	struct stat st;
	if (stat(s->o->hosts_file, &st) < 0) {
		hosts_clear(s);
		return;
	}
	s->hosts_mtime = st.st_mtim;
	_cleanup_fclose_ FILE *f = fopen(s->o->hosts_file, "re");
	if (!f)
		return;
	hosts_clear(s);
	_cleanup_free_ char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *tok = strtok_r(line, " \t\n", &save);
		unsigned char addr[16];
		int family;
		if (tok && streq(tok, "@upstream")) {
			/* "@upstream CLIENT_IP SERVER[:PORT]" */
			char *cl = strtok_r(NULL, " \t\n", &save);
			char *up = strtok_r(NULL, " \t\n", &save);
			struct dns_client_upstream cu = { 0 };
			if (!cl || !up || parse_upstream(up, &cu.up, &cu.up_len) < 0)
				continue;
			if (inet_pton(AF_INET, cl, cu.client) == 1)
				cu.family = AF_INET;
			else if (inet_pton(AF_INET6, cl, cu.client) == 1)
				cu.family = AF_INET6;
			else
				continue;
			s->cups = xrealloc(s->cups, (s->n_cups + 1) * sizeof(*s->cups));
			s->cups[s->n_cups++] = cu;
			continue;
		}
		if (!tok || tok[0] == '#')
			continue;
		if (inet_pton(AF_INET, tok, addr) == 1)
			family = AF_INET;
		else if (inet_pton(AF_INET6, tok, addr) == 1)
			family = AF_INET6;
		else
			continue;
		while ((tok = strtok_r(NULL, " \t\n", &save))) {
			s->hosts = xrealloc(s->hosts, (s->n_hosts + 1) * sizeof(*s->hosts));
			struct dns_host *h = &s->hosts[s->n_hosts++];
			h->name = xstrdup(tok);
			lower(h->name);
			h->family = family;
			memcpy(h->addr, addr, sizeof(addr));
		}
	}
}

static void hosts_maybe_reload(struct dns_server *s)
{
	struct stat st;
	if (got_hup) {
		got_hup = 0;
		hosts_load(s);
		return;
	}
	if (stat(s->o->hosts_file, &st) == 0 &&
	    (st.st_mtim.tv_sec != s->hosts_mtime.tv_sec || st.st_mtim.tv_nsec != s->hosts_mtime.tv_nsec))
		hosts_load(s);
}

int net_dns_parse_question(const unsigned char *msg, size_t len, char *name, size_t name_size,
			   uint16_t *ret_type, size_t *ret_end)
{
	if (len < 12 || name_size < 2)
		return -EINVAL;
	uint16_t qd = (uint16_t)(msg[4] << 8 | msg[5]);
	if (qd != 1)
		return -EINVAL;
	size_t off = 12, out = 0;
	for (;;) {
		if (off >= len)
			return -EINVAL;
		unsigned l = msg[off++];
		if (l == 0)
			break;
		if (l & 0xc0)
			return -EINVAL; /* no compression in a question */
		if (off + l > len || out + l + 2 > name_size || out + l + 1 > 254)
			return -EINVAL;
		if (out)
			name[out++] = '.';
		for (unsigned i = 0; i < l; i++) {
			char c = (char)msg[off + i];
			if (c == '.' || c == '\0')
				return -EINVAL;
			name[out++] = (char)tolower((unsigned char)c);
		}
		off += l;
	}
	name[out] = '\0';
	if (off + 4 > len)
		return -EINVAL;
	*ret_type = (uint16_t)(msg[off] << 8 | msg[off + 1]);
	uint16_t qclass = (uint16_t)(msg[off + 2] << 8 | msg[off + 3]);
	if (qclass != 1 && qclass != 255)
		return -EINVAL;
	*ret_end = off + 4;
	return 0;
}

/* Looks name up (also without the ".DOMAIN" suffix); returns whether any host matched. */
static bool lookup(struct dns_server *s, const char *name, const struct dns_host **match,
		   size_t max, size_t *n_match, uint16_t qtype)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", name);
	size_t bl = strlen(buf);
	if (s->o->domain) {
		size_t dl = strlen(s->o->domain);
		if (bl > dl + 1 && buf[bl - dl - 1] == '.' && strcasecmp(buf + bl - dl, s->o->domain) == 0)
			buf[bl - dl - 1] = '\0';
	}
	bool found = false;
	*n_match = 0;
	for (size_t i = 0; i < s->n_hosts; i++) {
		const struct dns_host *h = &s->hosts[i];
		if (!streq(h->name, buf))
			continue;
		found = true;
		bool want = qtype == 255 || (qtype == 1 && h->family == AF_INET) ||
			    (qtype == 28 && h->family == AF_INET6);
		if (want && *n_match < max)
			match[(*n_match)++] = h;
	}
	return found;
}

/* Builds an answer to the query q (question ending at qend) into out[512];
 * returns its length (0: none). */
static size_t build_reply(const unsigned char *q, size_t qend, int rcode,
			  const struct dns_host **ans, size_t n_ans, unsigned char *out)
{
	if (qend > 512 - 12)
		return 0;
	memcpy(out, q, qend);
	out[2] = (unsigned char)(0x80 | (q[2] & 0x79) | 0x04); /* QR, opcode, AA, RD */
	out[3] = (unsigned char)(0x80 | (rcode & 0xf));        /* RA */
	out[6] = out[7] = 0;
	out[8] = out[9] = out[10] = out[11] = 0;
	size_t off = qend, cnt = 0;
	for (size_t i = 0; i < n_ans; i++) {
		size_t alen = ans[i]->family == AF_INET ? 4 : 16;
		if (off + 12 + alen > 512)
			break;
		uint16_t type = ans[i]->family == AF_INET ? 1 : 28;
		unsigned char *p = out + off;
		p[0] = 0xc0;
		p[1] = 12;
		p[2] = (unsigned char)(type >> 8);
		p[3] = (unsigned char)type;
		p[4] = 0;
		p[5] = 1;
		p[6] = p[7] = p[8] = 0;
		p[9] = DNS_TTL;
		p[10] = 0;
		p[11] = (unsigned char)alen;
		memcpy(p + 12, ans[i]->addr, alen);
		off += 12 + alen;
		cnt++;
	}
	out[6] = (unsigned char)(cnt >> 8);
	out[7] = (unsigned char)cnt;
	return off;
}


int net_dns_ptr_parse(const char *name, unsigned char ret[4])
{
	static const char suffix[] = ".in-addr.arpa";
	size_t len = strlen(name), sl = sizeof(suffix) - 1;
	if (len <= sl || !streq(name + len - sl, suffix))
		return -EINVAL;
	_cleanup_free_ char *labels = xstrndup(name, len - sl);
	unsigned char ip[4];
	char *p = labels;
	for (int i = 3; i >= 0; i--) {
		char *dot = strchr(p, '.');
		if ((i > 0) != (dot != NULL))
			return -EINVAL;
		if (dot)
			*dot = '\0';
		uint64_t v;
		if (net_parse_uint(p, 0, 255, &v) < 0)
			return -EINVAL;
		ip[i] = (unsigned char)v;
		p = dot ? dot + 1 : p;
	}
	memcpy(ret, ip, sizeof(ip));
	return 0;
}

/* A PTR answer for "D.C.B.A.in-addr.arpa" when A.B.C.D is one of ours:
 * "NAME.DOMAIN." (the first name listed for the address). Returns its
 * length in out[512], 0 when the query is not such a one. */
static size_t build_ptr(struct dns_server *s, const unsigned char *q, size_t qend,
			const char *name, uint16_t qtype, unsigned char *out)
{
	unsigned char ip[4];
	if (qtype != 12 || net_dns_ptr_parse(name, ip) < 0)
		return 0;
	const struct dns_host *h = NULL;
	for (size_t i = 0; i < s->n_hosts && !h; i++)
		if (s->hosts[i].family == AF_INET && memcmp(s->hosts[i].addr, ip, 4) == 0)
			h = &s->hosts[i];
	if (!h)
		return 0;
	size_t off = build_reply(q, qend, 0, NULL, 0, out);
	if (!off)
		return 0;
	char fqdn[300];
	snprintf(fqdn, sizeof(fqdn), "%s%s%s", h->name, s->o->domain ? "." : "",
		 s->o->domain ? s->o->domain : "");
	unsigned char rdata[300];
	size_t rl = 0;
	for (char *lab = fqdn; *lab;) {
		size_t l = strcspn(lab, ".");
		if (l == 0 || l > 63 || rl + l + 2 > sizeof(rdata))
			return 0;
		rdata[rl++] = (unsigned char)l;
		memcpy(rdata + rl, lab, l);
		rl += l;
		lab += l;
		if (*lab == '.')
			lab++;
	}
	rdata[rl++] = 0;
	if (off + 12 + rl > 512)
		return 0;
	unsigned char *p = out + off;
	p[0] = 0xc0;
	p[1] = 12;
	p[2] = 0;
	p[3] = 12; /* PTR */
	p[4] = 0;
	p[5] = 1;
	p[6] = p[7] = p[8] = 0;
	p[9] = DNS_TTL;
	p[10] = (unsigned char)(rl >> 8);
	p[11] = (unsigned char)rl;
	memcpy(p + 12, rdata, rl);
	out[7] = 1; /* one answer */
	return off + 12 + rl;
}

static void reply(struct dns_server *s, const unsigned char *q, size_t qend, int rcode,
		  const struct dns_host **ans, size_t n_ans, const struct sockaddr *to,
		  socklen_t tolen)
{
	unsigned char out[512];
	size_t len = build_reply(q, qend, rcode, ans, n_ans, out);
	if (len)
		sendto(s->fd, out, len, 0, to, tolen);
}

/* The upstream for a client: its own (connect --dns), else the network's. */
static const struct sockaddr_storage *pick_upstream(struct dns_server *s,
						    const struct sockaddr_storage *from,
						    socklen_t *ret_len)
{
	const struct sockaddr_storage *up = s->n_ups ? &s->ups[0] : NULL;
	socklen_t up_len = s->n_ups ? s->ups_len[0] : 0;
	/* The client's own upstream first (the first one listed for it). */
	for (size_t i = 0; i < s->n_cups; i++) {
		const struct dns_client_upstream *cu = &s->cups[i];
		const void *a = from->ss_family == AF_INET
					? (const void *)&((const struct sockaddr_in *)from)->sin_addr
					: (const void *)&((const struct sockaddr_in6 *)from)->sin6_addr;
		if (cu->family == from->ss_family &&
		    memcmp(cu->client, a, cu->family == AF_INET ? 4 : 16) == 0) {
			up = &cu->up;
			up_len = cu->up_len;
			break;
		}
	}
	*ret_len = up_len;
	return up;
}

static void forward(struct dns_server *s, const unsigned char *q, size_t len,
		    const struct sockaddr_storage *from, socklen_t fromlen, size_t qend)
{
	socklen_t up_len = 0;
	const struct sockaddr_storage *up = pick_upstream(s, from, &up_len);
	if (!up || s->n_pending >= DNS_MAX_PENDING) {
		reply(s, q, qend, 2 /* SERVFAIL */, NULL, 0, (const struct sockaddr *)from, fromlen);
		return;
	}
	int fd = socket(up->ss_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return;
	if (connect(fd, (const struct sockaddr *)up, up_len) < 0 || send(fd, q, len, 0) < 0) {
		close(fd);
		reply(s, q, qend, 2, NULL, 0, (const struct sockaddr *)from, fromlen);
		return;
	}
	struct dns_pending *p = &s->pending[s->n_pending++];
	p->fd = fd;
	p->client_fd = s->fd;
	p->client = *from;
	p->client_len = fromlen;
	p->id = (uint16_t)(q[0] << 8 | q[1]);
	clock_gettime(CLOCK_MONOTONIC, &p->deadline);
	p->deadline.tv_sec += DNS_FORWARD_TIMEOUT_MS / 1000;
}

static void pending_drop(struct dns_server *s, size_t i)
{
	close(s->pending[i].fd);
	s->pending[i] = s->pending[--s->n_pending];
}

static void handle_query(struct dns_server *s)
{
	unsigned char q[4096];
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	ssize_t n = recvfrom(s->fd, q, sizeof(q), 0, (struct sockaddr *)&from, &fromlen);
	if (n < 12 || (q[2] & 0x80))
		return;
	char name[256];
	uint16_t qtype;
	size_t qend;
	if (net_dns_parse_question(q, (size_t)n, name, sizeof(name), &qtype, &qend) < 0) {
		q[4] = q[5] = 0; /* no question to echo */
		reply(s, q, 12, 1 /* FORMERR */, NULL, 0, (struct sockaddr *)&from, fromlen);
		return;
	}
	if (((q[2] >> 3) & 0xf) != 0) {
		reply(s, q, qend, 4 /* NOTIMP */, NULL, 0, (struct sockaddr *)&from, fromlen);
		return;
	}
	hosts_maybe_reload(s);
	unsigned char pout[512];
	size_t plen = build_ptr(s, q, qend, name, qtype, pout);
	if (plen) {
		sendto(s->fd, pout, plen, 0, (struct sockaddr *)&from, fromlen);
		return;
	}
	const struct dns_host *ans[16];
	size_t n_ans;
	if (lookup(s, name, ans, ARRAY_SIZE(ans), &n_ans, qtype)) {
		reply(s, q, qend, 0, ans, n_ans, (struct sockaddr *)&from, fromlen);
		return;
	}
	forward(s, q, (size_t)n, &from, fromlen, qend);
}

/* Reads or writes exactly len bytes (the socket has timeouts); 0 or -1. */
static int io_full(int fd, void *buf, size_t len, bool writing)
{
	unsigned char *p = buf;
	while (len) {
		ssize_t n = writing ? write(fd, p, len) : read(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = DNS_FORWARD_TIMEOUT_MS / 1000 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One DNS-over-TCP connection (in a child process): length-prefixed queries,
 * answered from the names or relayed to the upstream over TCP. */
static void tcp_session(struct dns_server *s, int cfd, const struct sockaddr_storage *from)
{
	static unsigned char q[65535], a[65535];
	set_timeouts(cfd);
	for (;;) {
		unsigned char lb[2];
		if (io_full(cfd, lb, 2, false) < 0)
			return;
		size_t len = (size_t)(lb[0] << 8 | lb[1]);
		if (len < 12 || io_full(cfd, q, len, false) < 0)
			return;
		char name[256];
		uint16_t qtype;
		size_t qend;
		if (net_dns_parse_question(q, len, name, sizeof(name), &qtype, &qend) < 0)
			return;
		hosts_maybe_reload(s);
		const struct dns_host *ans[16];
		size_t n_ans, alen = build_ptr(s, q, qend, name, qtype, a);
		if (alen) {
			/* answered */
		} else if (lookup(s, name, ans, ARRAY_SIZE(ans), &n_ans, qtype)) {
			alen = build_reply(q, qend, 0, ans, n_ans, a);
		} else {
			socklen_t up_len = 0;
			const struct sockaddr_storage *up = pick_upstream(s, from, &up_len);
			int ufd = up ? socket(up->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0) : -1;
			if (ufd >= 0) {
				set_timeouts(ufd);
				if (connect(ufd, (const struct sockaddr *)up, up_len) == 0 &&
				    io_full(ufd, lb, 2, true) == 0 && io_full(ufd, q, len, true) == 0 &&
				    io_full(ufd, lb, 2, false) == 0) {
					alen = (size_t)(lb[0] << 8 | lb[1]);
					if (io_full(ufd, a, alen, false) < 0)
						alen = 0;
				}
				close(ufd);
			}
			if (!alen)
				alen = build_reply(q, qend, 2 /* SERVFAIL */, NULL, 0, a);
		}
		if (!alen)
			return;
		lb[0] = (unsigned char)(alen >> 8);
		lb[1] = (unsigned char)alen;
		if (io_full(cfd, lb, 2, true) < 0 || io_full(cfd, a, alen, true) < 0)
			return;
	}
}

static void handle_tcp(struct dns_server *s, int lfd)
{
	struct sockaddr_storage from;
	socklen_t fromlen = sizeof(from);
	int cfd = accept4(lfd, (struct sockaddr *)&from, &fromlen, SOCK_CLOEXEC);
	if (cfd < 0)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		tcp_session(s, cfd, &from);
		_exit(0);
	}
	close(cfd);
}

static void handle_answer(struct dns_server *s, size_t i)
{
	unsigned char buf[4096];
	struct dns_pending *p = &s->pending[i];
	ssize_t n = recv(p->fd, buf, sizeof(buf), 0);
	if (n < 12 || (uint16_t)(buf[0] << 8 | buf[1]) != p->id)
		return; /* keep waiting for the real answer until the deadline */
	sendto(p->client_fd, buf, (size_t)n, 0, (struct sockaddr *)&p->client, p->client_len);
	pending_drop(s, i);
}

static int parse_upstream(const char *u, struct sockaddr_storage *ss, socklen_t *len)
{
	_cleanup_free_ char *h = xstrdup(u);
	uint64_t port = 53;
	char *host = h;
	const char *port_s = NULL;
	if (h[0] == '[') {
		char *c = strchr(h, ']');
		if (!c || (c[1] && c[1] != ':'))
			return -EINVAL;
		*c = '\0';
		host = h + 1;
		if (c[1] == ':')
			port_s = c + 2;
	} else if (strchr(h, ':') && strchr(h, ':') == strrchr(h, ':')) {
		char *c = strchr(h, ':');
		*c = '\0';
		port_s = c + 1;
	}
	if (port_s && net_parse_uint(port_s, 1, 65535, &port) < 0)
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)port);
		*len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*a6);
	} else {
		return -EINVAL;
	}
	return 0;
}

bool net_upstream_valid(const char *u)
{
	struct sockaddr_storage ss;
	socklen_t len;
	return parse_upstream(u, &ss, &len) == 0;
}

static void add_upstream(struct dns_server *s, const char *u)
{
	struct sockaddr_storage ss;
	socklen_t len;
	if (parse_upstream(u, &ss, &len) < 0)
		return;
	s->ups = xrealloc(s->ups, (s->n_ups + 1) * sizeof(*s->ups));
	s->ups_len = xrealloc(s->ups_len, (s->n_ups + 1) * sizeof(*s->ups_len));
	s->ups[s->n_ups] = ss;
	s->ups_len[s->n_ups] = len;
	s->n_ups++;
}

static void ready_msg(int fd, const char *msg)
{
	if (fd < 0)
		return;
	if (write(fd, msg, strlen(msg)) < 0) {
		/* The starter is gone; nothing to tell. */
	}
	close(fd);
}

int net_dns_serve(const struct net_dns_serve_opts *o, struct oci_err **err)
{
	struct dns_server s = { .o = o, .fd = -1 };
	int r = 0;
	if (o->upstreams) {
		for (char **u = o->upstreams; *u; u++)
			add_upstream(&s, *u);
	} else {
		_cleanup_fclose_ FILE *f = fopen("/etc/resolv.conf", "re");
		char line[512];
		while (f && fgets(line, sizeof(line), f)) {
			char ns[256];
			if (sscanf(line, " nameserver %255s", ns) == 1)
				add_upstream(&s, ns);
		}
	}
	int port = o->listen_port ? o->listen_port : 53;
	for (char **l = o->listen; l && *l && s.n_fds < ARRAY_SIZE(s.fds); l++) {
		struct sockaddr_storage ss;
		socklen_t sslen;
		if (parse_upstream(*l, &ss, &sslen) < 0) {
			r = oci_err_set(err, EINVAL, "--listen '%s' is not an address", *l);
			goto fail;
		}
		if (ss.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = htons((uint16_t)port);
		else
			((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)port);
		int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			r = oci_err_sys(err, "socket");
			goto fail;
		}
		s.fds[s.n_fds++] = fd;
		int one = 1;
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET)
			setsockopt(fd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		else
			setsockopt(fd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&ss, sslen) < 0) {
			r = oci_err_sys(err, "bind %s port %d", *l, port);
			goto fail;
		}
		int tfd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (tfd < 0) {
			r = oci_err_sys(err, "socket");
			goto fail;
		}
		s.tcp_fds[s.n_tcp++] = tfd;
		setsockopt(tfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (ss.ss_family == AF_INET)
			setsockopt(tfd, IPPROTO_IP, IP_FREEBIND, &one, sizeof(one));
		else
			setsockopt(tfd, IPPROTO_IPV6, IPV6_FREEBIND, &one, sizeof(one));
		if (bind(tfd, (struct sockaddr *)&ss, sslen) < 0 || listen(tfd, 64) < 0) {
			r = oci_err_sys(err, "listen on %s TCP port %d", *l, port);
			goto fail;
		}
	}
	struct sigaction sa = { .sa_handler = on_hup };
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	/* TCP sessions run in children nobody waits for. */
	struct sigaction chld = { .sa_handler = SIG_IGN, .sa_flags = SA_NOCLDWAIT };
	sigaction(SIGCHLD, &chld, NULL);
	signal(SIGPIPE, SIG_IGN);
	hosts_load(&s);
	if (o->pid_file) {
		_cleanup_free_ char *pid = xasprintf("%d\n", (int)getpid());
		if ((r = net_write_atomic(o->pid_file, pid, strlen(pid), err)) < 0)
			goto fail;
	}
	ready_msg(o->ready_fd, "R");

	while (!got_term) {
		struct pollfd pfds[DNS_MAX_PENDING + 4];
		size_t nf = s.n_fds + s.n_tcp;
		for (size_t i = 0; i < s.n_fds; i++)
			pfds[i] = (struct pollfd){ .fd = s.fds[i], .events = POLLIN };
		for (size_t i = 0; i < s.n_tcp; i++)
			pfds[s.n_fds + i] = (struct pollfd){ .fd = s.tcp_fds[i], .events = POLLIN };
		for (size_t i = 0; i < s.n_pending; i++)
			pfds[nf + i] = (struct pollfd){ .fd = s.pending[i].fd, .events = POLLIN };
		int pr = poll(pfds, nf + s.n_pending, 500);
		if (got_hup)
			hosts_maybe_reload(&s);
		if (pr < 0) {
			if (errno == EINTR)
				continue;
			r = oci_err_sys(err, "poll");
			break;
		}
		/* Answers first (indexes shift as entries are dropped: go backwards). */
		size_t np = s.n_pending;
		for (size_t i = np; i > 0; i--)
			if (pfds[nf + i - 1].revents)
				handle_answer(&s, i - 1);
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (size_t i = s.n_pending; i > 0; i--)
			if (now.tv_sec > s.pending[i - 1].deadline.tv_sec ||
			    (now.tv_sec == s.pending[i - 1].deadline.tv_sec &&
			     now.tv_nsec >= s.pending[i - 1].deadline.tv_nsec))
				pending_drop(&s, i - 1);
		for (size_t i = 0; i < s.n_fds; i++) {
			if (pfds[i].revents & POLLIN) {
				s.fd = s.fds[i];
				handle_query(&s);
			}
		}
		for (size_t i = 0; i < s.n_tcp; i++)
			if (pfds[s.n_fds + i].revents & POLLIN)
				handle_tcp(&s, s.tcp_fds[i]);
	}
	if (o->pid_file)
		unlink(o->pid_file);
fail:
	if (r < 0 && err && *err) {
		_cleanup_free_ char *m = xasprintf("E:%s", (*err)->msg);
		ready_msg(o->ready_fd, m);
	}
	while (s.n_pending)
		pending_drop(&s, 0);
	for (size_t i = 0; i < s.n_fds; i++)
		close(s.fds[i]);
	for (size_t i = 0; i < s.n_tcp; i++)
		close(s.tcp_fds[i]);
	hosts_clear(&s);
	free(s.ups);
	free(s.ups_len);
	return r;
}
