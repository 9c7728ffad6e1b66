/* Messages to stderr as "prog: level: msg", and runc's --log FILE
 * --log-format text|json that container engines pass to a runtime.
 *
 * The logger is the one piece of process-wide state in the library: a
 * program configures it once in main(). Library code logs only at debug. */
#ifndef OCI_LOG_H
#define OCI_LOG_H

#include "err.h"

enum oci_log_level {
	OCI_LOG_ERROR = 0,
	OCI_LOG_WARN = 1,
	OCI_LOG_INFO = 2,
	OCI_LOG_DEBUG = 3,
};

enum oci_log_format {
	OCI_LOG_TEXT = 0,
	OCI_LOG_JSON = 1,
};

/* Sets the program name shown before each message. */
void oci_log_init(const char *prog);
const char *oci_log_prog(void);
void oci_log_set_level(enum oci_log_level level);
enum oci_log_level oci_log_get_level(void);
/* Sends messages to FILE (appended; created 0600) instead of stderr; with the
 * json format each message is one line {"level","msg","time"} as runc writes. */
int oci_log_open(const char *file, const char *format, struct oci_err **err);
int oci_log_parse_format(const char *s, enum oci_log_format *ret);
void oci_log_close(void);

void oci_log(enum oci_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define oci_error(...) oci_log(OCI_LOG_ERROR, __VA_ARGS__)
#define oci_warn(...) oci_log(OCI_LOG_WARN, __VA_ARGS__)
#define oci_info(...) oci_log(OCI_LOG_INFO, __VA_ARGS__)
#define oci_debug(...) oci_log(OCI_LOG_DEBUG, __VA_ARGS__)

#endif
