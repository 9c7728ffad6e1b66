/* The D-Bus client (oci-run/dbus.c) and the systemd driver's pure parts
 * (cgroup_systemd.c): marshalling against bytes worked out by hand from the
 * specification, a reply captured from systemd 252 on this machine, hostile
 * messages, unit names, the unit properties for v1 and v2 hosts; then a
 * real exchange with Debian's dbus-daemon when it is installed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../tap.h"
#include "cgroup_internal.h"
#include "dbus.h"
#include "resources.h"
#include "util.h"

static char *hex(const void *p, size_t n)
{
	char *s = xmalloc(n * 2 + 1);
	for (size_t i = 0; i < n; i++)
		sprintf(s + 2 * i, "%02x", ((const unsigned char *)p)[i]);
	s[2 * n] = 0;
	return s;
}

static size_t unhex(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; s[0] && s[1]; s += 2) {
		unsigned v;
		sscanf(s, "%2x", &v);
		out[n++] = (uint8_t)v;
	}
	return n;
}

/* Renders an a(sv) array written by w from position pos. */
static char *render(const struct dbus_writer *w, size_t pos, const char *sig)
{
	struct dbus_msg m = {.body = (uint8_t *)w->b.buf, .body_len = w->b.len};
	struct dbus_reader r;
	dbus_reader_init(&r, &m);
	r.pos = pos;
	struct sbuf out = SBUF_INIT;
	struct oci_err *e = NULL;
	if (dbus_r_format(&r, &sig, &out, &e) < 0) {
		diag("render: %s", e->msg);
		oci_err_free(e);
	}
	return sbuf_detach(&out, NULL);
}

static void test_writer(void)
{
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, "ab");
	size_t a = dbus_w_array_begin(&w, 8);
	dbus_w_struct(&w);
	dbus_w_str(&w, "X");
	dbus_w_variant(&w, "t");
	dbus_w_u64(&w, 5);
	dbus_w_array_end(&w, a);
	char *h = hex(w.b.buf, w.b.len);
	/* "ab"; pad; a(sv) length 24; pad to 8; ("X", t 5) */
	is_str(h,
	       "02000000616200"
	       "00"
	       "18000000"
	       "00000000"
	       "010000005800"
	       "017400"
	       "00000000000000"
	       "0500000000000000",
	       "writer: s then a(sv), aligned as the specification says");
	free(h);
	char *txt = render(&w, 0, "s");
	is_str(txt, "\"ab\"", "format: a string");
	free(txt);
	txt = render(&w, 8, "a(sv)");
	is_str(txt, "[(\"X\", t 5)]", "format: a(sv)");
	free(txt);
	dbus_w_release(&w);

	/* an empty array of structs still pads to its element alignment */
	struct dbus_writer e = DBUS_WRITER_INIT;
	dbus_w_byte(&e, 1);
	dbus_w_array_end(&e, dbus_w_array_begin(&e, 8));
	h = hex(e.b.buf, e.b.len);
	is_str(h, "01000000" "00000000", "writer: empty a(sv) keeps its padding");
	free(h);
	dbus_w_release(&e);
}

/* A method return systemd 252 sent here for Properties.Get(SystemState):
 * reply serial 1, sender org.freedesktop.systemd1, signature "v", body
 * s "running". */
static const char systemd_reply[] =
	"6c020101100000000100000037000000"
	"050175000100000007017300180000006f72672e667265656465736b746f702e73797374656d643100"
	"0000000000000008016700017600000173000007000000"
	"72756e6e696e6700";

static void test_parse(void)
{
	uint8_t buf[256];
	size_t n = unhex(systemd_reply, buf);
	is_int((int)n, 88, "captured reply: 88 bytes");
	size_t total = 0;
	struct oci_err *e = NULL;
	ok(dbus_msg_total_len(buf, &total, &e) == 0 && total == 88, "total length from the header");
	struct dbus_msg *m = NULL;
	ok(dbus_msg_parse(buf, n, &m, &e) == 0, "systemd's reply parses");
	if (!m) {
		diag("%s", e ? e->msg : "?");
		oci_err_clear(&e);
		return;
	}
	is_int(m->type, DBUS_METHOD_RETURN, "type: method return");
	is_int((int)m->reply_serial, 1, "reply serial");
	is_str(m->sender, "org.freedesktop.systemd1", "sender");
	is_str(m->signature, "v", "signature");
	struct dbus_reader r;
	dbus_reader_init(&r, m);
	struct sbuf out = SBUF_INIT;
	const char *sig = "v";
	ok(dbus_r_format(&r, &sig, &out, &e) == 0 && *sig == 0, "body reads");
	is_str(out.buf, "s \"running\"", "body: the variant");
	sbuf_release(&out);
	dbus_msg_free(m);

	/* a call we build parses back to the same fields */
	struct dbus_writer w = DBUS_WRITER_INIT;
	dbus_w_str(&w, "oci-run-x.scope");
	dbus_w_str(&w, "replace");
	struct sbuf msg = SBUF_INIT;
	dbus_msg_build_call(&msg, 7, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
			    "org.freedesktop.systemd1.Manager", "StopUnit", "ss", &w);
	m = NULL;
	ok(dbus_msg_parse((uint8_t *)msg.buf, msg.len, &m, &e) == 0, "our call parses");
	if (m) {
		is_int(m->type, DBUS_METHOD_CALL, "call: type");
		is_int((int)m->serial, 7, "call: serial");
		is_str(m->path, "/org/freedesktop/systemd1", "call: path");
		is_str(m->member, "StopUnit", "call: member");
		is_str(m->interface, "org.freedesktop.systemd1.Manager", "call: interface");
		is_str(m->destination, "org.freedesktop.systemd1", "call: destination");
		is_str(m->signature, "ss", "call: signature");
		is_int((int)m->body_len, (int)w.b.len, "call: body length");
		dbus_msg_free(m);
	}
	oci_err_clear(&e);

	/* hostile and broken messages: errors, never crashes */
	uint8_t bad[256];
	memcpy(bad, buf, n);
	bad[0] = 'x';
	ok(dbus_msg_total_len(bad, &total, &e) < 0 && strstr(e->msg, "endianness"),
	   "bad endianness byte: error");
	oci_err_clear(&e);
	memcpy(bad, buf, n);
	bad[3] = 2;
	ok(dbus_msg_total_len(bad, &total, &e) < 0 && strstr(e->msg, "version"),
	   "protocol version 2: error");
	oci_err_clear(&e);
	memcpy(bad, buf, n);
	bad[4] = 0xff, bad[5] = 0xff, bad[6] = 0xff, bad[7] = 0x7f;
	ok(dbus_msg_total_len(bad, &total, &e) < 0 && e->code == EMSGSIZE,
	   "a 2 GiB body: refused before reading it");
	oci_err_clear(&e);
	ok(dbus_msg_parse(buf, n - 1, &m, &e) < 0, "one byte short: error");
	oci_err_clear(&e);
	memcpy(bad, buf, n);
	bad[87] = 'x'; /* the body string's NUL */
	m = NULL;
	ok(dbus_msg_parse(bad, n, &m, &e) == 0, "a body is not checked when parsing the header");
	if (m) {
		dbus_reader_init(&r, m);
		sig = "v";
		ok(dbus_r_skip(&r, &sig, &e) < 0 && strstr(e->msg, "NUL"),
		   "string without its NUL: error");
		oci_err_clear(&e);
		dbus_msg_free(m);
	}
	memcpy(bad, buf, n);
	bad[71] = 1; /* padding before the body */
	ok(dbus_msg_parse(bad, n, &m, &e) < 0 && strstr(e->msg, "padding"),
	   "non-zero padding: error");
	oci_err_clear(&e);
	memcpy(bad, buf, n);
	bad[12] = 0x36; /* fields length one short: the last field overruns */
	ok(dbus_msg_parse(bad, n, &m, &e) < 0, "header fields overrun: error");
	oci_err_clear(&e);
	memcpy(bad, buf, n);
	bad[1] = 9;
	ok(dbus_msg_parse(bad, n, &m, &e) < 0 && strstr(e->msg, "type"), "unknown type: error");
	oci_err_clear(&e);

	/* nesting and signatures */
	struct dbus_writer deep = DBUS_WRITER_INIT;
	for (int i = 0; i < 40; i++)
		dbus_w_variant(&deep, "v");
	dbus_w_variant(&deep, "u");
	dbus_w_u32(&deep, 1);
	struct dbus_msg dm = {.body = (uint8_t *)deep.b.buf, .body_len = deep.b.len};
	dbus_reader_init(&r, &dm);
	sig = "v";
	ok(dbus_r_skip(&r, &sig, &e) < 0 && strstr(e->msg, "deep"), "40 nested variants: error");
	oci_err_clear(&e);
	dbus_reader_init(&r, &dm);
	sig = "(";
	ok(dbus_r_skip(&r, &sig, &e) < 0 && strstr(e->msg, "signature"),
	   "unterminated struct signature: error");
	oci_err_clear(&e);
	dbus_w_release(&deep);
	struct dbus_writer arr = DBUS_WRITER_INIT;
	dbus_w_u32(&arr, 1000); /* an array claiming more bytes than there are */
	dm = (struct dbus_msg){.body = (uint8_t *)arr.b.buf, .body_len = arr.b.len};
	dbus_reader_init(&r, &dm);
	sig = "ay";
	ok(dbus_r_skip(&r, &sig, &e) < 0 && strstr(e->msg, "truncated"),
	   "array longer than the message: error");
	oci_err_clear(&e);
	dbus_w_release(&arr);
	dbus_w_release(&w);
	sbuf_release(&msg);
}

static void test_units(void)
{
	struct run_sd_unit *u = NULL;
	struct oci_err *e = NULL;
	ok(run_cg_systemd_unit(NULL, "c1", &u, &e) == 0, "unit: default");
	if (u) {
		is_str(u->name, "oci-run-c1.scope", "unit: default name");
		is_str(u->slice, "system.slice", "unit: default slice");
		is_str(u->path, "/system.slice/oci-run-c1.scope", "unit: default path");
		run_sd_unit_free(u);
		u = NULL;
	}
	ok(run_cg_systemd_unit("machine-a.slice:libpod:abc", "x", &u, &e) == 0 &&
		   streq(u->name, "libpod-abc.scope") &&
		   streq(u->path, "/machine.slice/machine-a.slice/libpod-abc.scope"),
	   "unit: podman's form, nested slice");
	run_sd_unit_free(u);
	u = NULL;
	ok(run_cg_systemd_unit(":docker:abc", "x", &u, &e) == 0 && streq(u->slice, "system.slice"),
	   "unit: empty slice is system.slice");
	run_sd_unit_free(u);
	u = NULL;
	ok(run_cg_systemd_unit("user.slice::mine.slice", "x", &u, &e) == 0 && u->is_slice &&
		   streq(u->name, "mine.slice") && streq(u->path, "/user.slice/mine.slice"),
	   "unit: a slice of its own");
	run_sd_unit_free(u);
	u = NULL;
	ok(run_cg_systemd_unit("system.slice:a:b:c", "x", &u, &e) < 0 && strstr(e->msg, "slice:prefix:name"),
	   "unit: four parts: error");
	oci_err_clear(&e);
	ok(run_cg_systemd_unit("a--b.slice:p:n", "x", &u, &e) < 0 && strstr(e->msg, "invalid slice"),
	   "unit: bad slice: error");
	oci_err_clear(&e);
	ok(run_cg_systemd_unit("system.slice:p:a/b", "x", &u, &e) < 0, "unit: '/' in the name: error");
	oci_err_clear(&e);
}

static char *props(const struct run_resources *res, bool v2)
{
	struct dbus_writer w = DBUS_WRITER_INIT;
	size_t a = dbus_w_array_begin(&w, 8);
	struct oci_err *e = NULL;
	if (run_sd_resource_properties(&w, res, v2, &e) < 0) {
		diag("%s", e->msg);
		oci_err_free(e);
	}
	dbus_w_array_end(&w, a);
	char *s = render(&w, 0, "a(sv)");
	dbus_w_release(&w);
	return s;
}

static void test_properties(void)
{
	struct run_resources *res = run_resources_new();
	res->memory.has_limit = true;
	res->memory.limit = 64 << 20;
	res->memory.has_swap = true;
	res->memory.swap = 96 << 20;
	res->cpu.has_shares = true;
	res->cpu.shares = 1024;
	res->cpu.has_quota = res->cpu.has_period = true;
	res->cpu.quota = 33333;
	res->cpu.period = 100000;
	res->has_pids_limit = true;
	res->pids_limit = 0;
	res->blkio.has_weight = true;
	res->blkio.weight = 500;
	char *v1 = props(res, false);
	is_str(v1,
	       "[(\"MemoryLimit\", t 67108864), (\"CPUShares\", t 1024), "
	       "(\"CPUQuotaPeriodUSec\", t 100000), (\"CPUQuotaPerSecUSec\", t 340000), "
	       "(\"TasksMax\", t 18446744073709551615), (\"BlockIOWeight\", t 500)]",
	       "v1 properties: names, quota rounded up to a whole percent, no pids limit is "
	       "infinity");
	free(v1);
	res->cpu.cpus = xstrdup("0-2,9");
	char *v2 = props(res, true);
	is_str(v2,
	       "[(\"MemoryMax\", t 67108864), (\"MemorySwapMax\", t 33554432), "
	       "(\"CPUWeight\", t 39), (\"CPUQuotaPeriodUSec\", t 100000), "
	       "(\"CPUQuotaPerSecUSec\", t 340000), (\"AllowedCPUs\", ay [7, 2]), "
	       "(\"TasksMax\", t 18446744073709551615), (\"IOWeight\", t 4950)]",
	       "v2 properties: swap alone, weights converted, cpuset as a bitmask");
	free(v2);
	run_resources_free(res);

	res = run_resources_new();
	res->has_devices = true;
	run_resources_add_device(res, false, 'a', RUN_DEV_ANY, RUN_DEV_ANY, "rwm");
	run_resources_add_device(res, true, 'c', 1, 3, "rwm");
	run_resources_add_device(res, true, 'b', RUN_DEV_ANY, RUN_DEV_ANY, "m");
	run_resources_add_device(res, true, 'c', 1, 5, "r");
	char *d = props(res, false);
	is_str(d,
	       "[(\"DevicePolicy\", s \"strict\"), (\"DeviceAllow\", a(ss) [(\"/dev/char/1:3\", "
	       "\"rwm\"), (\"block-*\", \"m\"), (\"/dev/char/1:5\", \"r\")])]",
	       "devices: deny all then allows is DevicePolicy=strict with DeviceAllow");
	free(d);
	run_resources_add_device(res, false, 'c', 1, 5, "r");
	d = props(res, false);
	is_str(d, "[]", "devices: a deny after allows is left to cgroupfs");
	free(d);
	run_resources_add_device(res, true, 'a', RUN_DEV_ANY, RUN_DEV_ANY, "rwm");
	d = props(res, false);
	is_str(d, "[(\"DevicePolicy\", s \"auto\"), (\"DeviceAllow\", a(ss) [])]",
	       "devices: allow all last is DevicePolicy=auto");
	free(d);
	run_resources_free(res);

	uint8_t *mask = NULL;
	size_t n = 0;
	struct oci_err *e = NULL;
	ok(run_sd_cpuset_mask("0,8-9,15", &mask, &n, &e) == 0 && n == 2 && mask[0] == 1 &&
		   mask[1] == 0x83,
	   "cpuset mask: 0,8-9,15");
	free(mask);
	ok(run_sd_cpuset_mask("3-1", &mask, &n, &e) < 0 && strstr(e->msg, "'3-1'"),
	   "cpuset mask: reversed range: error");
	oci_err_clear(&e);
	ok(run_sd_cpuset_mask("1,x", &mask, &n, &e) < 0, "cpuset mask: junk: error");
	oci_err_clear(&e);
}

/* Against Debian's dbus-daemon: Hello, a call, an error reply, a signal. */
static bool match_owner_changed(const struct dbus_msg *m, void *data)
{
	return m->member && streq(m->member, "NameOwnerChanged");
}

static void test_daemon(void)
{
	const char *daemon = "/usr/bin/dbus-daemon";
	if (access(daemon, X_OK) < 0) {
		skip("dbus-daemon is not installed", "dbus-daemon exchange");
		return;
	}
	char dir[] = "/tmp/oci-dbus-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "mkdtemp");
		return;
	}
	char *conf = xasprintf("%s/bus.conf", dir), *sock = xasprintf("%s/bus", dir);
	FILE *f = fopen(conf, "w");
	fprintf(f, "<busconfig><type>session</type><listen>unix:path=%s</listen>"
		   "<auth>EXTERNAL</auth><policy context=\"default\">"
		   "<allow send_destination=\"*\" eavesdrop=\"true\"/><allow eavesdrop=\"true\"/>"
		   "<allow own=\"*\"/></policy></busconfig>\n",
		sock);
	fclose(f);
	pid_t pid = fork();
	if (pid == 0) {
		char *arg = xasprintf("--config-file=%s", conf);
		freopen("/dev/null", "w", stderr);
		execl(daemon, daemon, arg, "--nofork", "--nopidfile", (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && access(sock, F_OK) < 0; i++)
		usleep(10000);
	struct dbus_conn *c = NULL;
	struct oci_err *e = NULL;
	ok(dbus_connect(sock, true, 5000, &c, &e) == 0, "dbus-daemon: connect and Hello");
	if (e) {
		diag("%s", e->msg);
		oci_err_clear(&e);
	}
	if (c) {
		struct dbus_msg *m = NULL;
		ok(dbus_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			     "org.freedesktop.DBus", "GetId", NULL, NULL, &m, NULL, &e) == 0 &&
			   streq(m->signature, "s"),
		   "dbus-daemon: GetId answers a string");
		dbus_msg_free(m);
		m = NULL;
		char *ename = NULL;
		ok(dbus_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			     "org.freedesktop.DBus", "NoSuchMethod", NULL, NULL, &m, &ename, &e) < 0 &&
			   ename && streq(ename, "org.freedesktop.DBus.Error.UnknownMethod") &&
			   strstr(e->msg, "NoSuchMethod: org.freedesktop.DBus.Error.UnknownMethod"),
		   "dbus-daemon: an error reply names the error");
		free(ename);
		oci_err_clear(&e);
		struct dbus_writer w = DBUS_WRITER_INIT;
		dbus_w_str(&w, "type='signal',member='NameOwnerChanged'");
		ok(dbus_call(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
			     "org.freedesktop.DBus", "AddMatch", "s", &w, NULL, NULL, &e) == 0,
		   "dbus-daemon: AddMatch");
		dbus_w_release(&w);
		struct dbus_conn *c2 = NULL;
		ok(dbus_connect(sock, true, 5000, &c2, &e) == 0, "dbus-daemon: a second client");
		dbus_close(c2);
		ok(dbus_wait_signal(c, match_owner_changed, NULL, &m, &e) == 0 &&
			   streq(m->signature, "sss"),
		   "dbus-daemon: the signal about it arrives");
		dbus_msg_free(m);
		oci_err_clear(&e);
		dbus_close(c);
	}
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	ok(dbus_connect(sock, true, 1000, &c, &e) < 0 && strstr(e->msg, sock),
	   "no daemon: the error names the socket");
	oci_err_clear(&e);
	unlink(sock);
	unlink(conf);
	rmdir(dir);
	free(conf);
	free(sock);
}

int main(void)
{
	test_writer();
	test_parse();
	test_units();
	test_properties();
	test_daemon();
	done_testing();
	return exit_status();
}
