/* A small D-Bus client (see dbus.h). The wire format follows the D-Bus
 * specification: values aligned to their size relative to the message
 * start, a 16-byte fixed header, header fields as a(yv), the body 8-aligned. */
#include "dbus.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

#define DBUS_MAX_MESSAGE (128u << 20) /* the specification's limit: 2^27 */
#define DBUS_MAX_DEPTH 32
#define DBUS_MAX_QUEUED 256

enum {
	FIELD_PATH = 1,
	FIELD_INTERFACE = 2,
	FIELD_MEMBER = 3,
	FIELD_ERROR_NAME = 4,
	FIELD_REPLY_SERIAL = 5,
	FIELD_DESTINATION = 6,
	FIELD_SENDER = 7,
	FIELD_SIGNATURE = 8,
};

/* ------------------------------------------------------------ writing */

void dbus_w_release(struct dbus_writer *w)
{
	sbuf_release(&w->b);
}

void dbus_w_align(struct dbus_writer *w, size_t n)
{
	static const char zeros[8];
	size_t pad = (n - w->b.len % n) % n;
	sbuf_add(&w->b, zeros, pad);
}

void dbus_w_byte(struct dbus_writer *w, uint8_t v)
{
	sbuf_add(&w->b, &v, 1);
}

void dbus_w_u32(struct dbus_writer *w, uint32_t v)
{
	dbus_w_align(w, 4);
	uint8_t b[4] = {v, v >> 8, v >> 16, v >> 24};
	sbuf_add(&w->b, b, 4);
}

void dbus_w_bool(struct dbus_writer *w, bool v)
{
	dbus_w_u32(w, v ? 1 : 0);
}

void dbus_w_i32(struct dbus_writer *w, int32_t v)
{
	dbus_w_u32(w, (uint32_t)v);
}

void dbus_w_u64(struct dbus_writer *w, uint64_t v)
{
	dbus_w_align(w, 8);
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	sbuf_add(&w->b, b, 8);
}

void dbus_w_i64(struct dbus_writer *w, int64_t v)
{
	dbus_w_u64(w, (uint64_t)v);
}

void dbus_w_str(struct dbus_writer *w, const char *s)
{
	size_t n = strlen(s);
	dbus_w_u32(w, (uint32_t)n);
	sbuf_add(&w->b, s, n + 1);
}

void dbus_w_sig(struct dbus_writer *w, const char *s)
{
	size_t n = strlen(s);
	dbus_w_byte(w, (uint8_t)n);
	sbuf_add(&w->b, s, n + 1);
}

size_t dbus_w_array_begin(struct dbus_writer *w, size_t elem_align)
{
	dbus_w_u32(w, 0);
	size_t pos = w->b.len - 4;
	dbus_w_align(w, elem_align);
	/* remember where the elements start in the length slot for now */
	uint32_t start = (uint32_t)w->b.len;
	memcpy(w->b.buf + pos, &start, 4);
	return pos;
}

void dbus_w_array_end(struct dbus_writer *w, size_t pos)
{
	uint32_t start;
	memcpy(&start, w->b.buf + pos, 4);
	uint32_t n = (uint32_t)(w->b.len - start);
	uint8_t b[4] = {n, n >> 8, n >> 16, n >> 24};
	memcpy(w->b.buf + pos, b, 4);
}

void dbus_w_struct(struct dbus_writer *w)
{
	dbus_w_align(w, 8);
}

void dbus_w_variant(struct dbus_writer *w, const char *sig)
{
	dbus_w_sig(w, sig);
}

/* ------------------------------------------------------------ messages */

void dbus_msg_free(struct dbus_msg *m)
{
	if (!m)
		return;
	free(m->path);
	free(m->interface);
	free(m->member);
	free(m->error_name);
	free(m->destination);
	free(m->sender);
	free(m->signature);
	free(m->body);
	free(m);
}

static void field(struct dbus_writer *w, uint8_t code, const char *sig, const char *value)
{
	if (!value)
		return;
	dbus_w_struct(w);
	dbus_w_byte(w, code);
	dbus_w_variant(w, sig);
	if (streq(sig, "g"))
		dbus_w_sig(w, value);
	else
		dbus_w_str(w, value);
}

void dbus_msg_build_call(struct sbuf *out, uint32_t serial, const char *destination,
			 const char *path, const char *interface, const char *member,
			 const char *signature, const struct dbus_writer *body)
{
	struct dbus_writer h = DBUS_WRITER_INIT;
	size_t body_len = body ? body->b.len : 0;
	dbus_w_byte(&h, 'l');
	dbus_w_byte(&h, DBUS_METHOD_CALL);
	dbus_w_byte(&h, 0);
	dbus_w_byte(&h, 1);
	dbus_w_u32(&h, (uint32_t)body_len);
	dbus_w_u32(&h, serial);
	size_t a = dbus_w_array_begin(&h, 8);
	field(&h, FIELD_PATH, "o", path);
	field(&h, FIELD_INTERFACE, "s", interface);
	field(&h, FIELD_MEMBER, "s", member);
	field(&h, FIELD_DESTINATION, "s", destination);
	if (signature && *signature)
		field(&h, FIELD_SIGNATURE, "g", signature);
	dbus_w_array_end(&h, a);
	dbus_w_align(&h, 8);
	sbuf_add(out, h.b.buf, h.b.len);
	if (body_len)
		sbuf_add(out, body->b.buf, body_len);
	dbus_w_release(&h);
}

static uint32_t get_u32(const uint8_t *p, bool swap)
{
	if (swap)
		return (uint32_t)p[3] | (uint32_t)p[2] << 8 | (uint32_t)p[1] << 16 |
		       (uint32_t)p[0] << 24;
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

int dbus_msg_total_len(const uint8_t hdr[16], size_t *ret, struct oci_err **err)
{
	if (hdr[0] != 'l' && hdr[0] != 'B')
		return oci_err_set(err, EPROTO, "d-bus message: bad endianness byte 0x%02x", hdr[0]);
	if (hdr[3] != 1)
		return oci_err_set(err, EPROTO, "d-bus message: protocol version %u, not 1", hdr[3]);
	bool swap = hdr[0] == 'B';
	uint64_t body = get_u32(hdr + 4, swap), fields = get_u32(hdr + 12, swap);
	uint64_t total = align8(16 + fields) + body;
	if (total > DBUS_MAX_MESSAGE)
		return oci_err_set(err, EMSGSIZE, "d-bus message: %llu bytes, above the limit",
				   (unsigned long long)total);
	*ret = (size_t)total;
	return 0;
}

static int short_msg(struct oci_err **err)
{
	return oci_err_set(err, EPROTO, "d-bus message: truncated value");
}

/* The reader over a whole message, for its header fields. */
static void reader_over(struct dbus_reader *r, const uint8_t *p, size_t len, bool swap)
{
	*r = (struct dbus_reader){.p = p, .len = len, .swap = swap};
}

void dbus_reader_init(struct dbus_reader *r, const struct dbus_msg *m)
{
	reader_over(r, m->body, m->body_len, m->swap);
}

static int r_align(struct dbus_reader *r, size_t n, struct oci_err **err)
{
	size_t pos = (r->pos + n - 1) / n * n;
	if (pos > r->len)
		return short_msg(err);
	for (size_t i = r->pos; i < pos; i++)
		if (r->p[i] != 0)
			return oci_err_set(err, EPROTO, "d-bus message: non-zero padding");
	r->pos = pos;
	return 0;
}

int dbus_r_byte(struct dbus_reader *r, uint8_t *ret, struct oci_err **err)
{
	if (r->pos + 1 > r->len)
		return short_msg(err);
	*ret = r->p[r->pos++];
	return 0;
}

int dbus_r_u32(struct dbus_reader *r, uint32_t *ret, struct oci_err **err)
{
	int rc = r_align(r, 4, err);
	if (rc < 0)
		return rc;
	if (r->len - r->pos < 4)
		return short_msg(err);
	*ret = get_u32(r->p + r->pos, r->swap);
	r->pos += 4;
	return 0;
}

int dbus_r_u64(struct dbus_reader *r, uint64_t *ret, struct oci_err **err)
{
	int rc = r_align(r, 8, err);
	if (rc < 0)
		return rc;
	if (r->len - r->pos < 8)
		return short_msg(err);
	uint64_t lo = get_u32(r->p + r->pos, r->swap), hi = get_u32(r->p + r->pos + 4, r->swap);
	*ret = r->swap ? (lo << 32 | hi) : (hi << 32 | lo);
	r->pos += 8;
	return 0;
}

static int r_string_body(struct dbus_reader *r, size_t n, const char **ret, struct oci_err **err)
{
	if (r->len - r->pos < n + 1)
		return short_msg(err);
	const char *s = (const char *)r->p + r->pos;
	if (s[n] != 0 || memchr(s, 0, n))
		return oci_err_set(err, EPROTO, "d-bus message: string not NUL-terminated");
	r->pos += n + 1;
	*ret = s;
	return 0;
}

int dbus_r_str(struct dbus_reader *r, const char **ret, struct oci_err **err)
{
	uint32_t n;
	int rc = dbus_r_u32(r, &n, err);
	return rc < 0 ? rc : r_string_body(r, n, ret, err);
}

int dbus_r_sig(struct dbus_reader *r, const char **ret, struct oci_err **err)
{
	uint8_t n = 0;
	int rc = dbus_r_byte(r, &n, err);
	return rc < 0 ? rc : r_string_body(r, n, ret, err);
}

static size_t type_align(char c)
{
	switch (c) {
	case 'n':
	case 'q':
		return 2;
	case 'b':
	case 'i':
	case 'u':
	case 'h':
	case 's':
	case 'o':
	case 'a':
		return 4;
	case 'x':
	case 't':
	case 'd':
	case '(':
	case '{':
		return 8;
	default:
		return 1;
	}
}

/* The end of the single complete type at sig (NULL: malformed). */
static const char *type_end(const char *sig, int depth)
{
	if (depth > DBUS_MAX_DEPTH)
		return NULL;
	switch (*sig) {
	case 'y':
	case 'b':
	case 'n':
	case 'q':
	case 'i':
	case 'u':
	case 'x':
	case 't':
	case 'd':
	case 'h':
	case 's':
	case 'o':
	case 'g':
	case 'v':
		return sig + 1;
	case 'a':
		return type_end(sig + 1, depth + 1);
	case '(':
	case '{': {
		char close = *sig == '(' ? ')' : '}';
		const char *p = sig + 1;
		if (*p == close)
			return NULL; /* empty structs are not allowed */
		while (*p && *p != close) {
			p = type_end(p, depth + 1);
			if (!p)
				return NULL;
		}
		return *p == close ? p + 1 : NULL;
	}
	default:
		return NULL;
	}
}

/* Reads one value of the single complete type at *sig, rendering it into
 * out (busctl-like) unless out is NULL. */
static int walk(struct dbus_reader *r, const char **sig, struct sbuf *out, struct oci_err **err)
{
	const char *s = *sig;
	const char *end = type_end(s, 0);
	if (!end)
		return oci_err_set(err, EPROTO, "d-bus message: bad signature '%s'", s);
	if (++r->depth > DBUS_MAX_DEPTH) {
		r->depth--;
		return oci_err_set(err, EPROTO, "d-bus message: values nested too deep");
	}
	int rc = 0;
	const char *str;
	uint8_t b = 0;
	uint32_t u;
	uint64_t t;
	switch (*s) {
	case 'y':
		rc = dbus_r_byte(r, &b, err);
		if (rc == 0 && out)
			sbuf_addf(out, "%u", b);
		break;
	case 'n':
	case 'q':
		rc = r_align(r, 2, err);
		if (rc == 0 && r->len - r->pos < 2)
			rc = short_msg(err);
		if (rc == 0) {
			uint16_t v = r->swap ? (uint16_t)(r->p[r->pos] << 8 | r->p[r->pos + 1])
					     : (uint16_t)(r->p[r->pos + 1] << 8 | r->p[r->pos]);
			r->pos += 2;
			if (out)
				sbuf_addf(out, *s == 'n' ? "%d" : "%u",
					  *s == 'n' ? (int)(int16_t)v : (int)v);
		}
		break;
	case 'b':
	case 'i':
	case 'u':
	case 'h':
		rc = dbus_r_u32(r, &u, err);
		if (rc == 0 && out) {
			if (*s == 'b')
				sbuf_addstr(out, u ? "true" : "false");
			else if (*s == 'i')
				sbuf_addf(out, "%d", (int32_t)u);
			else
				sbuf_addf(out, "%u", u);
		}
		break;
	case 'x':
	case 't':
	case 'd':
		rc = dbus_r_u64(r, &t, err);
		if (rc == 0 && out) {
			if (*s == 'x')
				sbuf_addf(out, "%lld", (long long)(int64_t)t);
			else if (*s == 't')
				sbuf_addf(out, "%llu", (unsigned long long)t);
			else {
				double d;
				memcpy(&d, &t, sizeof(d));
				sbuf_addf(out, "%g", d);
			}
		}
		break;
	case 's':
	case 'o':
	case 'g':
		rc = *s == 'g' ? dbus_r_sig(r, &str, err) : dbus_r_str(r, &str, err);
		if (rc == 0 && out)
			sbuf_addf(out, "\"%s\"", str);
		break;
	case 'v': {
		rc = dbus_r_sig(r, &str, err);
		if (rc < 0)
			break;
		const char *inner = str;
		if (!*inner || type_end(inner, 0) != inner + strlen(inner)) {
			rc = oci_err_set(err, EPROTO, "d-bus message: bad variant signature '%s'",
					 str);
			break;
		}
		if (out)
			sbuf_addf(out, "%s ", str);
		rc = walk(r, &inner, out, err);
		break;
	}
	case 'a': {
		rc = dbus_r_u32(r, &u, err);
		if (rc < 0)
			break;
		rc = r_align(r, type_align(s[1]), err);
		if (rc < 0)
			break;
		if (u > r->len - r->pos) {
			rc = short_msg(err);
			break;
		}
		size_t stop = r->pos + u;
		if (out)
			sbuf_addch(out, '[');
		for (bool first = true; r->pos < stop; first = false) {
			const char *elem = s + 1;
			if (out && !first)
				sbuf_addstr(out, ", ");
			rc = walk(r, &elem, out, err);
			if (rc < 0)
				break;
		}
		if (rc == 0 && r->pos != stop)
			rc = oci_err_set(err, EPROTO, "d-bus message: array length mismatch");
		if (out)
			sbuf_addch(out, ']');
		break;
	}
	case '(':
	case '{': {
		rc = r_align(r, 8, err);
		if (out)
			sbuf_addch(out, '(');
		const char *p = s + 1;
		for (bool first = true; rc == 0 && p < end - 1; first = false) {
			if (out && !first)
				sbuf_addstr(out, ", ");
			rc = walk(r, &p, out, err);
		}
		if (out)
			sbuf_addch(out, ')');
		break;
	}
	}
	r->depth--;
	if (rc < 0)
		return rc;
	*sig = end;
	return 0;
}

int dbus_r_skip(struct dbus_reader *r, const char **sig, struct oci_err **err)
{
	return walk(r, sig, NULL, err);
}

int dbus_r_format(struct dbus_reader *r, const char **sig, struct sbuf *out,
		  struct oci_err **err)
{
	return walk(r, sig, out, err);
}

static void set_field(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

int dbus_msg_parse(const uint8_t *buf, size_t len, struct dbus_msg **ret, struct oci_err **err)
{
	size_t total;
	if (len < 16)
		return short_msg(err);
	int rc = dbus_msg_total_len(buf, &total, err);
	if (rc < 0)
		return rc;
	if (total != len)
		return oci_err_set(err, EPROTO, "d-bus message: length %zu, header says %zu", len,
				   total);
	if (buf[1] < DBUS_METHOD_CALL || buf[1] > DBUS_SIGNAL)
		return oci_err_set(err, EPROTO, "d-bus message: unknown type %u", buf[1]);
	_cleanup_(dbus_msg_freep) struct dbus_msg *m = xcalloc(1, sizeof(*m));
	m->swap = buf[0] == 'B';
	m->type = buf[1];
	m->flags = buf[2];
	m->serial = get_u32(buf + 8, m->swap);
	uint32_t fields_len = get_u32(buf + 12, m->swap);
	struct dbus_reader r;
	reader_over(&r, buf, 16 + (size_t)fields_len, m->swap);
	r.pos = 16;
	while (r.pos < r.len) {
		uint8_t code = 0;
		const char *sig, *s;
		if ((rc = r_align(&r, 8, err)) < 0 || (rc = dbus_r_byte(&r, &code, err)) < 0 ||
		    (rc = dbus_r_sig(&r, &sig, err)) < 0)
			return rc;
		if ((code == FIELD_REPLY_SERIAL) && streq(sig, "u")) {
			uint32_t u;
			if ((rc = dbus_r_u32(&r, &u, err)) < 0)
				return rc;
			m->reply_serial = u;
			continue;
		}
		char **dst = NULL;
		switch (code) {
		case FIELD_PATH:
			dst = &m->path;
			break;
		case FIELD_INTERFACE:
			dst = &m->interface;
			break;
		case FIELD_MEMBER:
			dst = &m->member;
			break;
		case FIELD_ERROR_NAME:
			dst = &m->error_name;
			break;
		case FIELD_DESTINATION:
			dst = &m->destination;
			break;
		case FIELD_SENDER:
			dst = &m->sender;
			break;
		case FIELD_SIGNATURE:
			dst = &m->signature;
			break;
		}
		bool want_sig = code == FIELD_SIGNATURE;
		if (dst && streq(sig, want_sig ? "g" : code == FIELD_PATH ? "o" : "s")) {
			rc = want_sig ? dbus_r_sig(&r, &s, err) : dbus_r_str(&r, &s, err);
			if (rc < 0)
				return rc;
			set_field(dst, s);
			continue;
		}
		/* an unknown field or an unexpected type: skip its value */
		if (!*sig || type_end(sig, 0) != sig + strlen(sig))
			return oci_err_set(err, EPROTO, "d-bus message: bad header field signature");
		if ((rc = dbus_r_skip(&r, &sig, err)) < 0)
			return rc;
	}
	if (r.pos != r.len)
		return oci_err_set(err, EPROTO, "d-bus message: header fields overrun");
	if (!m->signature)
		m->signature = xstrdup("");
	size_t body_off = align8(16 + (size_t)fields_len);
	for (size_t i = 16 + fields_len; i < body_off; i++)
		if (buf[i] != 0)
			return oci_err_set(err, EPROTO, "d-bus message: non-zero padding");
	m->body_len = len - body_off;
	m->body = xmalloc(m->body_len ? m->body_len : 1);
	memcpy(m->body, buf + body_off, m->body_len);
	if (m->type == DBUS_METHOD_CALL && (!m->path || !m->member))
		return oci_err_set(err, EPROTO, "d-bus message: method call without path or member");
	if (m->type == DBUS_SIGNAL && (!m->path || !m->member || !m->interface))
		return oci_err_set(err, EPROTO, "d-bus message: signal without path or member");
	if ((m->type == DBUS_METHOD_RETURN || m->type == DBUS_ERROR) && !m->reply_serial)
		return oci_err_set(err, EPROTO, "d-bus message: reply without a reply serial");
	if (m->type == DBUS_ERROR && !m->error_name)
		return oci_err_set(err, EPROTO, "d-bus message: error without a name");
	*ret = TAKE_PTR(m);
	return 0;
}

/* ------------------------------------------------------------ connection */

struct dbus_conn {
	int fd;
	bool bus;
	int timeout_ms;
	uint32_t serial;
	struct sbuf in; /* bytes read and not yet parsed */
	struct dbus_msg **queue;
	size_t n_queue;
	char *path;
};

bool dbus_is_bus(const struct dbus_conn *c)
{
	return c->bus;
}

void dbus_close(struct dbus_conn *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	sbuf_release(&c->in);
	for (size_t i = 0; i < c->n_queue; i++)
		dbus_msg_free(c->queue[i]);
	free(c->queue);
	free(c->path);
	free(c);
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int wait_fd(struct dbus_conn *c, short events, int64_t deadline, struct oci_err **err)
{
	for (;;) {
		int64_t left = deadline - now_ms();
		if (left <= 0)
			return oci_err_set(err, ETIMEDOUT, "d-bus '%s': no answer within %d ms",
					   c->path, c->timeout_ms);
		struct pollfd p = {.fd = c->fd, .events = events};
		int n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return oci_err_sys(err, "d-bus '%s': poll", c->path);
		if (n > 0)
			return 0;
	}
}

static int send_all(struct dbus_conn *c, const void *buf, size_t len, struct oci_err **err)
{
	int64_t deadline = now_ms() + c->timeout_ms;
	const char *p = buf;
	while (len > 0) {
		ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(c, POLLOUT, deadline, err);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return oci_err_sys(err, "d-bus '%s': send", c->path);
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads more bytes into c->in; an error at end of file. */
static int fill(struct dbus_conn *c, int64_t deadline, struct oci_err **err)
{
	for (;;) {
		sbuf_grow(&c->in, 4096);
		ssize_t n = recv(c->fd, c->in.buf + c->in.len, c->in.alloc - c->in.len - 1,
				 MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			int r = wait_fd(c, POLLIN, deadline, err);
			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return oci_err_sys(err, "d-bus '%s': recv", c->path);
		if (n == 0)
			return oci_err_set(err, ECONNRESET, "d-bus '%s': connection closed by the peer",
					   c->path);
		c->in.len += (size_t)n;
		c->in.buf[c->in.len] = 0;
		return 0;
	}
}

static void consume(struct dbus_conn *c, size_t n)
{
	memmove(c->in.buf, c->in.buf + n, c->in.len - n);
	sbuf_truncate(&c->in, c->in.len - n);
}

static int read_msg(struct dbus_conn *c, int64_t deadline, struct dbus_msg **ret,
		    struct oci_err **err)
{
	int r;
	while (c->in.len < 16)
		if ((r = fill(c, deadline, err)) < 0)
			return r;
	size_t total;
	if ((r = dbus_msg_total_len((const uint8_t *)c->in.buf, &total, err)) < 0)
		return oci_err_wrap(err, "d-bus '%s'", c->path);
	while (c->in.len < total)
		if ((r = fill(c, deadline, err)) < 0)
			return r;
	r = dbus_msg_parse((const uint8_t *)c->in.buf, total, ret, err);
	consume(c, total);
	return r < 0 ? oci_err_wrap(err, "d-bus '%s'", c->path) : 0;
}

static int read_line(struct dbus_conn *c, int64_t deadline, char **ret, struct oci_err **err)
{
	for (;;) {
		char *nl = memmem(c->in.buf, c->in.len, "\r\n", 2);
		if (nl) {
			size_t n = (size_t)(nl - c->in.buf);
			*ret = xstrndup(c->in.buf, n);
			consume(c, n + 2);
			return 0;
		}
		if (c->in.len > 16384)
			return oci_err_set(err, EPROTO, "d-bus '%s': authentication line too long",
					   c->path);
		int r = fill(c, deadline, err);
		if (r < 0)
			return r;
	}
}

static int authenticate(struct dbus_conn *c, struct oci_err **err)
{
	_cleanup_free_ char *uid = xasprintf("%u", (unsigned)geteuid());
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	sbuf_add(&out, "", 1);
	sbuf_addstr(&out, "AUTH EXTERNAL ");
	for (const char *p = uid; *p; p++)
		sbuf_addf(&out, "%02x", (unsigned char)*p);
	/* BEGIN goes with AUTH, before the OK (as sd-bus clients do): sent
	 * after the OK, it can reach systemd in one read with the first
	 * message, which systemd 252 then leaves unprocessed */
	sbuf_addstr(&out, "\r\nBEGIN\r\n");
	int r = send_all(c, out.buf, out.len, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *line = NULL;
	if ((r = read_line(c, now_ms() + c->timeout_ms, &line, err)) < 0)
		return r;
	if (!startswith(line, "OK "))
		return oci_err_set(err, EACCES, "d-bus '%s': authentication refused: '%s'", c->path,
				   line);
	return 0;
}

int dbus_connect(const char *path, bool bus, int timeout_ms, struct dbus_conn **ret,
		 struct oci_err **err)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	if (strlen(path) >= sizeof(sa.sun_path))
		return oci_err_set(err, ENAMETOOLONG, "d-bus socket path '%s' is too long", path);
	strcpy(sa.sun_path, path);
	_cleanup_(dbus_closep) struct dbus_conn *c = xcalloc(1, sizeof(*c));
	c->fd = -1;
	c->bus = bus;
	c->timeout_ms = timeout_ms;
	c->path = xstrdup(path);
	sbuf_init(&c->in);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return oci_err_sys(err, "d-bus: socket");
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		return oci_err_sys(err, "d-bus: connect to '%s'", path);
	int r = authenticate(c, err);
	if (r < 0)
		return r;
	if (bus) {
		_cleanup_(dbus_msg_freep) struct dbus_msg *reply = NULL;
		r = dbus_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			      "org.freedesktop.DBus", "Hello", NULL, NULL, &reply, NULL, err);
		if (r < 0)
			return r;
	}
	*ret = TAKE_PTR(c);
	return 0;
}

static void enqueue(struct dbus_conn *c, struct dbus_msg *m)
{
	if (c->n_queue == DBUS_MAX_QUEUED) {
		dbus_msg_free(c->queue[0]);
		memmove(c->queue, c->queue + 1, (c->n_queue - 1) * sizeof(*c->queue));
		c->n_queue--;
	}
	c->queue = xrealloc(c->queue, (c->n_queue + 1) * sizeof(*c->queue));
	c->queue[c->n_queue++] = m;
}

int dbus_call(struct dbus_conn *c, const char *destination, const char *path,
	      const char *interface, const char *member, const char *signature,
	      const struct dbus_writer *body, struct dbus_msg **ret, char **ret_error_name,
	      struct oci_err **err)
{
	if (ret_error_name)
		*ret_error_name = NULL;
	uint32_t serial = ++c->serial;
	_cleanup_sbuf_ struct sbuf out = SBUF_INIT;
	dbus_msg_build_call(&out, serial, destination, path, interface, member, signature, body);
	int r = send_all(c, out.buf, out.len, err);
	if (r < 0)
		return r;
	int64_t deadline = now_ms() + c->timeout_ms;
	for (;;) {
		struct dbus_msg *m = NULL;
		if ((r = read_msg(c, deadline, &m, err)) < 0)
			return oci_err_wrap(err, "%s", member);
		if (m->type == DBUS_SIGNAL) {
			enqueue(c, m);
			continue;
		}
		if ((m->type != DBUS_METHOD_RETURN && m->type != DBUS_ERROR) ||
		    m->reply_serial != serial) {
			dbus_msg_free(m);
			continue;
		}
		if (m->type == DBUS_ERROR) {
			const char *text = "";
			struct dbus_reader rd;
			dbus_reader_init(&rd, m);
			struct oci_err *e = NULL;
			if (m->signature[0] == 's' && dbus_r_str(&rd, &text, &e) < 0) {
				oci_err_free(e);
				text = "";
			}
			r = oci_err_set(err, EIO, "%s: %s%s%s", member, m->error_name,
					*text ? ": " : "", text);
			if (ret_error_name)
				*ret_error_name = xstrdup(m->error_name);
			dbus_msg_free(m);
			return r;
		}
		if (ret)
			*ret = m;
		else
			dbus_msg_free(m);
		return 0;
	}
}

int dbus_wait_signal(struct dbus_conn *c, bool (*match)(const struct dbus_msg *m, void *data),
		     void *data, struct dbus_msg **ret, struct oci_err **err)
{
	for (size_t i = 0; i < c->n_queue; i++) {
		if (match(c->queue[i], data)) {
			*ret = c->queue[i];
			memmove(c->queue + i, c->queue + i + 1,
				(c->n_queue - i - 1) * sizeof(*c->queue));
			c->n_queue--;
			return 0;
		}
	}
	int64_t deadline = now_ms() + c->timeout_ms;
	for (;;) {
		struct dbus_msg *m = NULL;
		int r = read_msg(c, deadline, &m, err);
		if (r < 0)
			return r;
		if (m->type == DBUS_SIGNAL && match(m, data)) {
			*ret = m;
			return 0;
		}
		dbus_msg_free(m);
	}
}
