/* WWW-Authenticate challenges (RFC 7235), Content-Range, base64. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fetch.h"
#include "util.h"

void fetch_challenge_release(struct fetch_challenge *c)
{
	free(c->scheme);
	free(c->realm);
	free(c->service);
	free(c->scope);
	free(c->error);
	memset(c, 0, sizeof(*c));
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static bool is_token_char(char c)
{
	return c && (isalnum((unsigned char)c) || strchr("!#$%&'*+-.^_`|~", c));
}

/* Reads a quoted string or a bare value up to ',' or blank into *ret. */
static const char *read_value(const char *p, char **ret)
{
	struct sbuf sb = SBUF_INIT;
	if (*p == '"') {
		p++;
		while (*p && *p != '"') {
			if (*p == '\\' && p[1])
				p++;
			sbuf_addch(&sb, *p++);
		}
		if (*p == '"')
			p++;
	} else {
		while (*p && *p != ',' && *p != ' ' && *p != '\t')
			sbuf_addch(&sb, *p++);
	}
	*ret = sbuf_detach(&sb, NULL);
	return p;
}

int fetch_challenge_parse(const char *header, struct fetch_challenge *ret, struct oci_err **err)
{
	const char *p = header;
	struct fetch_challenge cur = { 0 };
	bool found = false, recording = false;

	while (*p) {
		p = skip_ws(p);
		while (*p == ',')
			p = skip_ws(p + 1);
		if (!*p)
			break;
		const char *s = p;
		while (is_token_char(*p))
			p++;
		if (p == s) {
			p++; /* stray character */
			continue;
		}
		_cleanup_free_ char *tok = xstrndup(s, p - s);
		const char *q = skip_ws(p);
		if (*q == '=' && q[1] != '=') {
			_cleanup_free_ char *value = NULL;
			p = read_value(skip_ws(q + 1), &value);
			if (!recording)
				continue;
			char **slot = NULL;
			if (!strcasecmp(tok, "realm"))
				slot = &cur.realm;
			else if (!strcasecmp(tok, "service"))
				slot = &cur.service;
			else if (!strcasecmp(tok, "scope"))
				slot = &cur.scope;
			else if (!strcasecmp(tok, "error"))
				slot = &cur.error;
			if (slot) {
				free(*slot);
				*slot = TAKE_PTR(value);
			}
			continue;
		}
		if (*q == '=') { /* token68 padding */
			while (*p == '=')
				p++;
			continue;
		}
		/* a new challenge */
		for (char *c = tok; *c; c++)
			*c = tolower((unsigned char)*c);
		recording = false;
		if (!found && (streq(tok, "bearer") || streq(tok, "basic"))) {
			cur.scheme = TAKE_PTR(tok);
			found = recording = true;
		}
	}
	if (!found) {
		fetch_challenge_release(&cur);
		return oci_err_set(err, EINVAL, "unsupported WWW-Authenticate challenge '%s'", header);
	}
	if (streq(cur.scheme, "bearer") && (!cur.realm || !*cur.realm)) {
		fetch_challenge_release(&cur);
		return oci_err_set(err, EINVAL, "bearer challenge without realm in '%s'", header);
	}
	*ret = cur;
	return 0;
}

int fetch_content_range_parse(const char *s, int64_t *ret_start, int64_t *ret_end,
			      int64_t *ret_total)
{
	char *end;
	s = skip_ws(s);
	if (strncasecmp(s, "bytes", 5))
		return -EINVAL;
	s = skip_ws(s + 5);
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	long long a = strtoll(s, &end, 10);
	if (errno || *end != '-')
		return -EINVAL;
	s = end + 1;
	if (!isdigit((unsigned char)*s))
		return -EINVAL;
	long long b = strtoll(s, &end, 10);
	if (errno || *end != '/' || b < a)
		return -EINVAL;
	s = end + 1;
	long long total = -1;
	if (*s == '*') {
		s++;
	} else {
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		total = strtoll(s, &end, 10);
		if (errno || total <= b)
			return -EINVAL;
		s = end;
	}
	s = skip_ws(s);
	if (*s && *s != '\r' && *s != '\n')
		return -EINVAL;
	*ret_start = a;
	*ret_end = b;
	*ret_total = total;
	return 0;
}

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

char *fetch_base64_encode(const void *data, size_t len)
{
	const unsigned char *d = data;
	struct sbuf sb = SBUF_INIT;
	for (size_t i = 0; i < len; i += 3) {
		unsigned v = d[i] << 16;
		if (i + 1 < len)
			v |= d[i + 1] << 8;
		if (i + 2 < len)
			v |= d[i + 2];
		sbuf_addch(&sb, b64[(v >> 18) & 63]);
		sbuf_addch(&sb, b64[(v >> 12) & 63]);
		sbuf_addch(&sb, i + 1 < len ? b64[(v >> 6) & 63] : '=');
		sbuf_addch(&sb, i + 2 < len ? b64[v & 63] : '=');
	}
	return sbuf_detach(&sb, NULL);
}

int fetch_base64_decode(const char *s, char **ret, size_t *ret_len)
{
	struct sbuf sb = SBUF_INIT;
	unsigned v = 0;
	int bits = 0;
	for (; *s && *s != '='; s++) {
		const char *c = strchr(b64, *s);
		if (!c || !*s) {
			if (*s == '\n' || *s == '\r')
				continue;
			sbuf_release(&sb);
			return -EINVAL;
		}
		v = (v << 6) | (unsigned)(c - b64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			sbuf_addch(&sb, (char)((v >> bits) & 0xff));
		}
	}
	*ret = sbuf_detach(&sb, ret_len);
	return 0;
}
