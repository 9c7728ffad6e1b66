/* common/log.c: text and JSON formats, log files, level filtering. */
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "fs.h"
#include "log.h"
#include "tap.h"
#include "util.h"

static char *tmpdir;
static int saved_stderr = -1;

/* Sends fd 2 to a file until stderr_end() returns what was written. */
static char *stderr_file;
static void stderr_begin(void)
{
	free(stderr_file);
	stderr_file = xasprintf("%s/stderr", tmpdir);
	int fd = open(stderr_file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	saved_stderr = fcntl(2, F_DUPFD_CLOEXEC, 3);
	dup2(fd, 2);
	close(fd);
}

static char *stderr_end(void)
{
	dup2(saved_stderr, 2);
	close(saved_stderr);
	char *s = NULL;
	struct oci_err *err = NULL;
	if (oci_read_file(stderr_file, 0, &s, NULL, &err) < 0) {
		oci_err_free(err);
		return xstrdup("");
	}
	return s;
}

static char *read_log(const char *file)
{
	char *s = NULL;
	struct oci_err *err = NULL;
	if (oci_read_file(file, 0, &s, NULL, &err) < 0) {
		diag("read %s: %s", file, err->msg);
		oci_err_free(err);
		return xstrdup("");
	}
	return s;
}

static bool matches(const char *s, const char *re)
{
	regex_t rx;
	if (regcomp(&rx, re, REG_EXTENDED | REG_NOSUB) != 0)
		return false;
	bool m = regexec(&rx, s, 0, NULL, 0) == 0;
	regfree(&rx);
	return m;
}

int main(void)
{
	char tmpl[] = "/tmp/test-log.XXXXXX";
	if (!mkdtemp(tmpl))
		return 2;
	tmpdir = tmpl;
	_cleanup_err_ struct oci_err *err = NULL;

	/* Text to stderr, with the program's base name. */
	oci_log_init("/usr/local/bin/oci-test");
	is_str(oci_log_prog(), "oci-test", "prog is the base name");
	is_int(oci_log_get_level(), OCI_LOG_WARN, "default level is warning");
	stderr_begin();
	oci_error("cannot open '%s'", "x");
	oci_warn("careful");
	oci_info("not shown at the default level");
	oci_debug("nor this");
	_cleanup_free_ char *t1 = stderr_end();
	is_str(t1, "oci-test: error: cannot open 'x'\noci-test: warning: careful\n",
	       "text format and default filtering");

	oci_log_set_level(OCI_LOG_DEBUG);
	is_int(oci_log_get_level(), OCI_LOG_DEBUG, "level set to debug");
	stderr_begin();
	oci_info("i");
	oci_debug("d %d", 1);
	_cleanup_free_ char *t2 = stderr_end();
	is_str(t2, "oci-test: info: i\noci-test: debug: d 1\n", "debug shows info and debug");
	oci_log_set_level(OCI_LOG_ERROR);
	stderr_begin();
	oci_warn("hidden");
	oci_error("shown");
	_cleanup_free_ char *t3 = stderr_end();
	is_str(t3, "oci-test: error: shown\n", "error level hides warnings");

	stderr_begin();
	errno = EXDEV;
	oci_error("errno is kept");
	int e = errno;
	_cleanup_free_ char *t3b = stderr_end();
	is_int(e, EXDEV, "logging keeps errno");
	is_str(t3b, "oci-test: error: errno is kept\n", "error logged");

	/* Formats. */
	enum oci_log_format f = OCI_LOG_TEXT;
	is_int(oci_log_parse_format("json", &f), 0, "parse json");
	is_int(f, OCI_LOG_JSON, "json");
	is_int(oci_log_parse_format("text", &f), 0, "parse text");
	is_int(f, OCI_LOG_TEXT, "text");
	is_int(oci_log_parse_format("xml", &f), -EINVAL, "xml is refused");
	ok(oci_log_open(NULL, "yaml", &err) == -EINVAL && err && strstr(err->msg, "'yaml'"),
	   "open with an unknown format names it (%s)", err ? err->msg : "");
	oci_err_clear(&err);

	/* JSON to a file: one object per line. */
	_cleanup_free_ char *logf = xasprintf("%s/log.json", tmpl);
	is_int(oci_log_open(logf, "json", &err), 0, "open a JSON log file");
	oci_log_set_level(OCI_LOG_INFO);
	stderr_begin();
	oci_info("hello \"world\"\nsecond line");
	oci_warn("w");
	oci_debug("filtered");
	oci_error("bad thing");
	_cleanup_free_ char *e1 = stderr_end();
	is_str(e1, "oci-test: error: bad thing\n", "errors also go to stderr as text");
	_cleanup_free_ char *content = read_log(logf);
	int lines = 0;
	bool all_ok = true;
	const char *want_level[] = { "info", "warning", "error" };
	const char *want_msg[] = { "hello \"world\"\nsecond line", "w", "bad thing" };
	for (char *line = content, *nl; line && *line; line = nl + 1) {
		nl = strchr(line, '\n');
		if (!nl)
			break;
		*nl = '\0';
		json_error_t jerr;
		json_auto_t *o = json_loads(line, JSON_REJECT_DUPLICATES, &jerr);
		const char *level = o ? json_string_value(json_object_get(o, "level")) : NULL;
		const char *msg = o ? json_string_value(json_object_get(o, "msg")) : NULL;
		const char *when = o ? json_string_value(json_object_get(o, "time")) : NULL;
		bool good = o && json_object_size(o) == 3 && lines < 3 && level &&
			    streq(level, want_level[lines]) && msg && streq(msg, want_msg[lines]) &&
			    when &&
			    matches(when, "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}"
					  "\\.[0-9]{6}Z$");
		if (!good) {
			diag("  bad line %d: %s", lines, line);
			all_ok = false;
		}
		lines++;
	}
	is_int(lines, 3, "three lines (debug filtered)");
	ok(all_ok, "each line is {level, msg, time} with the right values");

	/* Appending and switching to text in a second file. */
	oci_warn("appended");
	_cleanup_free_ char *content2 = read_log(logf);
	ok(strstr(content2, "\"msg\":\"appended\"") != NULL, "later messages are appended");
	_cleanup_free_ char *logt = xasprintf("%s/log.txt", tmpl);
	oci_write_file_atomic(logt, "existing\n", 9, 0644, &err);
	is_int(oci_log_open(logt, "text", &err), 0, "open a text log file");
	oci_warn("in text");
	_cleanup_free_ char *content3 = read_log(logt);
	is_str(content3, "existing\noci-test: warning: in text\n", "text appended to the file");
	_cleanup_free_ char *content4 = read_log(logf);
	ok(!strstr(content4, "in text"), "the first file no longer receives messages");

	_cleanup_free_ char *logbad = xasprintf("%s/nodir/log", tmpl);
	ok(oci_log_open(logbad, "json", &err) == -ENOENT && err && strstr(err->msg, "nodir"),
	   "an unwritable log file is an error naming it");
	oci_err_clear(&err);
	oci_warn("still to the text file");
	_cleanup_free_ char *content5 = read_log(logt);
	ok(strstr(content5, "still to the text file") != NULL,
	   "a failed open keeps the previous destination");

	oci_log_close();
	stderr_begin();
	oci_warn("back on stderr");
	_cleanup_free_ char *t4 = stderr_end();
	is_str(t4, "oci-test: warning: back on stderr\n", "after close, stderr in text");

	/* JSON on stderr (no file). */
	is_int(oci_log_open(NULL, "json", &err), 0, "json on stderr");
	stderr_begin();
	oci_warn("j");
	_cleanup_free_ char *t5 = stderr_end();
	ok(startswith(t5, "{\"level\":\"warning\",\"msg\":\"j\",\"time\":\"") && endswith(t5, "\"}\n"),
	   "json line on stderr");
	oci_log_open(NULL, "text", &err);

	free(stderr_file);
	oci_rm_rf(tmpl, &err);
	done_testing();
	return exit_status();
}
