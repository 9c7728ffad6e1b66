#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <jansson.h>

#include "sbuf.h"
#include "util.h"

static struct {
	const char *prog;
	enum oci_log_level level;
	enum oci_log_format format;
	int fd; /* -1: stderr, text */
} logger = { "oci-tools", OCI_LOG_WARN, OCI_LOG_TEXT, -1 };

static const char *level_names[] = { "error", "warning", "info", "debug" };

void oci_log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	logger.prog = slash ? slash + 1 : prog;
}

const char *oci_log_prog(void)
{
	return logger.prog;
}

void oci_log_set_level(enum oci_log_level level)
{
	logger.level = level;
}

enum oci_log_level oci_log_get_level(void)
{
	return logger.level;
}

int oci_log_parse_format(const char *s, enum oci_log_format *ret)
{
	if (streq(s, "text"))
		*ret = OCI_LOG_TEXT;
	else if (streq(s, "json"))
		*ret = OCI_LOG_JSON;
	else
		return -EINVAL;
	return 0;
}

int oci_log_open(const char *file, const char *format, struct oci_err **err)
{
	enum oci_log_format fmt = OCI_LOG_TEXT;
	if (format && oci_log_parse_format(format, &fmt) < 0)
		return oci_err_set(err, EINVAL, "unknown log format '%s' (use text or json)", format);
	if (file) {
		int fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (fd < 0)
			return oci_err_sys(err, "open log file '%s'", file);
		oci_log_close();
		logger.fd = fd;
	}
	logger.format = fmt;
	return 0;
}

void oci_log_close(void)
{
	if (logger.fd >= 0)
		close(logger.fd);
	logger.fd = -1;
}

static void write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

void oci_log(enum oci_log_level level, const char *fmt, ...)
{
	if (level > logger.level)
		return;
	int saved = errno;
	va_list ap;
	_cleanup_sbuf_ struct sbuf line = SBUF_INIT;
	_cleanup_free_ char *msg = NULL;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);

	int fd = logger.fd >= 0 ? logger.fd : 2;
	if (logger.format == OCI_LOG_JSON) {
		struct timeval tv;
		struct tm tm;
		char when[64];
		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(when + n, sizeof(when) - n, ".%06ldZ", (long)tv.tv_usec);
		json_auto_t *o = json_pack("{s:s,s:s,s:s}", "level", level_names[level], "msg", msg,
					   "time", when);
		char *s = o ? json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		if (s) {
			sbuf_addstr(&line, s);
			free(s);
		}
	} else {
		sbuf_addf(&line, "%s: %s: %s", logger.prog, level_names[level], msg);
	}
	sbuf_addch(&line, '\n');
	write_all(fd, line.buf, line.len);
	/* An engine reads the log file; a person reads stderr: errors go to both. */
	if (level == OCI_LOG_ERROR && fd != 2) {
		sbuf_reset(&line);
		sbuf_addf(&line, "%s: %s: %s\n", logger.prog, level_names[level], msg);
		write_all(2, line.buf, line.len);
	}
	errno = saved;
}
