/* A small D-Bus client: enough of the wire protocol (marshalling, SASL
 * EXTERNAL, method calls, signals) to drive systemd's manager for the
 * systemd cgroup driver, without libdbus or sd-bus.
 *
 * Writing: the caller appends values in the order of a signature it also
 * passes to dbus_call(); dbus_w_* align each value as the specification
 * says. Reading: a dbus_reader walks one message's body. Both are pure and
 * tested on bytes (tests/unit/oci-run/test-dbus.c). */
#ifndef OCI_RUN_DBUS_H
#define OCI_RUN_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "err.h"
#include "sbuf.h"

/* ------------------------------------------------------------ writing */

/* A body under construction. Offsets are relative to its start, which the
 * message puts at an 8-aligned position, so alignment is preserved. */
struct dbus_writer {
	struct sbuf b;
};
#define DBUS_WRITER_INIT { .b = SBUF_INIT }

void dbus_w_release(struct dbus_writer *w);
void dbus_w_align(struct dbus_writer *w, size_t n);
void dbus_w_byte(struct dbus_writer *w, uint8_t v);
void dbus_w_bool(struct dbus_writer *w, bool v);
void dbus_w_u32(struct dbus_writer *w, uint32_t v);
void dbus_w_i32(struct dbus_writer *w, int32_t v);
void dbus_w_u64(struct dbus_writer *w, uint64_t v);
void dbus_w_i64(struct dbus_writer *w, int64_t v);
/* 's' and 'o' */
void dbus_w_str(struct dbus_writer *w, const char *s);
/* 'g' */
void dbus_w_sig(struct dbus_writer *w, const char *s);
/* An array: begin returns the position of its length, end patches it.
 * elem_align is the alignment of the element type (8 for structs). */
size_t dbus_w_array_begin(struct dbus_writer *w, size_t elem_align);
void dbus_w_array_end(struct dbus_writer *w, size_t pos);
/* '(' or '{': aligns to 8. */
void dbus_w_struct(struct dbus_writer *w);
/* 'v': writes the signature of the value that follows. */
void dbus_w_variant(struct dbus_writer *w, const char *sig);

/* ------------------------------------------------------------ messages */

enum dbus_type {
	DBUS_METHOD_CALL = 1,
	DBUS_METHOD_RETURN = 2,
	DBUS_ERROR = 3,
	DBUS_SIGNAL = 4,
};

struct dbus_msg {
	enum dbus_type type;
	uint8_t flags;
	uint32_t serial;
	uint32_t reply_serial; /* 0: none */
	char *path, *interface, *member, *error_name, *destination, *sender;
	char *signature; /* "" when there is no body */
	bool swap;	 /* big-endian message */
	uint8_t *body;
	size_t body_len;
};

void dbus_msg_free(struct dbus_msg *m);
DEFINE_CLEANUP(struct dbus_msg *, dbus_msg_free)

/* A whole method call message (little-endian) into out. */
void dbus_msg_build_call(struct sbuf *out, uint32_t serial, const char *destination,
			 const char *path, const char *interface, const char *member,
			 const char *signature, const struct dbus_writer *body);
/* How many bytes the message starting with the 16 bytes hdr has in all;
 * an error for a malformed or oversized fixed header. */
int dbus_msg_total_len(const uint8_t hdr[16], size_t *ret, struct oci_err **err);
/* Parses one whole message (len bytes from dbus_msg_total_len). */
int dbus_msg_parse(const uint8_t *buf, size_t len, struct dbus_msg **ret, struct oci_err **err);

/* ------------------------------------------------------------ reading */

struct dbus_reader {
	const uint8_t *p;
	size_t len, pos;
	bool swap;
	int depth;
};

void dbus_reader_init(struct dbus_reader *r, const struct dbus_msg *m);
int dbus_r_byte(struct dbus_reader *r, uint8_t *ret, struct oci_err **err);
int dbus_r_u32(struct dbus_reader *r, uint32_t *ret, struct oci_err **err);
int dbus_r_u64(struct dbus_reader *r, uint64_t *ret, struct oci_err **err);
/* 's' and 'o': points into the message. */
int dbus_r_str(struct dbus_reader *r, const char **ret, struct oci_err **err);
int dbus_r_sig(struct dbus_reader *r, const char **ret, struct oci_err **err);
/* Skips one complete value of the single complete type at *sig and
 * advances *sig past it. */
int dbus_r_skip(struct dbus_reader *r, const char **sig, struct oci_err **err);
/* The same, rendering the value as text (busctl-like: 12, "str", true,
 * [a, b], (a, b), t 5 for a variant) into out: for logs and tests. */
int dbus_r_format(struct dbus_reader *r, const char **sig, struct sbuf *out,
		  struct oci_err **err);

/* ------------------------------------------------------------ connection */

struct dbus_conn;

/* Connects to the unix socket path and authenticates (EXTERNAL, with the
 * effective uid). bus: the peer is a message bus (send Hello, address
 * systemd by name); otherwise a direct connection (systemd's private
 * socket). timeout_ms bounds every wait on this connection. */
int dbus_connect(const char *path, bool bus, int timeout_ms, struct dbus_conn **ret,
		 struct oci_err **err);
void dbus_close(struct dbus_conn *c);
DEFINE_CLEANUP(struct dbus_conn *, dbus_close)
bool dbus_is_bus(const struct dbus_conn *c);

/* Calls a method and waits for its reply. A D-Bus error reply becomes an
 * error with code EIO whose message is "NAME: TEXT"; *ret_error_name (if
 * not NULL) gets a copy of NAME. Signals that arrive meanwhile are queued
 * for dbus_wait_signal(). */
int dbus_call(struct dbus_conn *c, const char *destination, const char *path,
	      const char *interface, const char *member, const char *signature,
	      const struct dbus_writer *body, struct dbus_msg **ret, char **ret_error_name,
	      struct oci_err **err);
/* Waits for a signal for which match(msg, data) returns true, taking queued
 * ones first. ETIMEDOUT after the connection's timeout. */
int dbus_wait_signal(struct dbus_conn *c, bool (*match)(const struct dbus_msg *m, void *data),
		     void *data, struct dbus_msg **ret, struct oci_err **err);

#endif
