/* Progress on stderr: one bar per blob, redrawn in place, when stderr is a
 * terminal; otherwise a rate line every few seconds and one per finished
 * blob, so logs of CI jobs show that something moves. -q: nothing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch.h"
#include "util.h"

struct pg_item {
	char digest[20];
	int64_t total, done;
	const char *state;
	bool started;
};

struct fetch_progress {
	bool quiet, tty;
	size_t n;
	struct pg_item *items;
	long long t0, last_draw;
	int64_t last_bytes;
	long long last_rate_t;
	size_t drawn_lines;
};

static long long mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

struct fetch_progress *fetch_progress_new(const struct fetch_opts *o, size_t n)
{
	struct fetch_progress *p = xcalloc(1, sizeof(*p));
	p->quiet = o->quiet || o->progress == -2;
	p->tty = o->progress == 1 || (o->progress == -1 && isatty(2));
	p->n = n;
	p->items = xcalloc(n ? n : 1, sizeof(*p->items));
	p->t0 = p->last_rate_t = mono_ms();
	return p;
}

static void human(char *buf, size_t len, double v)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	int i = 0;
	while (v >= 1024 && i < 4) {
		v /= 1024;
		i++;
	}
	snprintf(buf, len, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

static void draw(struct fetch_progress *p, bool force)
{
	long long now = mono_ms();
	if (!force && now - p->last_draw < 100)
		return;
	p->last_draw = now;
	if (p->drawn_lines)
		fprintf(stderr, "\033[%zuA", p->drawn_lines);
	p->drawn_lines = 0;
	for (size_t i = 0; i < p->n; i++) {
		struct pg_item *it = &p->items[i];
		if (!it->started)
			continue;
		char a[32], b[32];
		human(a, sizeof(a), (double)it->done);
		human(b, sizeof(b), (double)(it->total > 0 ? it->total : 0));
		int width = 30, fill = it->total > 0 ? (int)(width * it->done / it->total) : 0;
		if (fill > width)
			fill = width;
		fprintf(stderr, "\r\033[K%s [", it->digest);
		for (int k = 0; k < width; k++)
			fputc(k < fill ? '=' : (k == fill ? '>' : ' '), stderr);
		fprintf(stderr, "] %s / %s %s\n", a, b, it->state ? it->state : "");
		p->drawn_lines++;
	}
	fflush(stderr);
}

static void rate_line(struct fetch_progress *p, bool force)
{
	long long now = mono_ms();
	if (!force && now - p->last_rate_t < 2000)
		return;
	int64_t total = 0, done = 0;
	for (size_t i = 0; i < p->n; i++) {
		total += p->items[i].total > 0 ? p->items[i].total : 0;
		done += p->items[i].done;
	}
	double secs = (now - p->last_rate_t) / 1000.0;
	char a[32], b[32], c[32];
	human(a, sizeof(a), (double)done);
	human(b, sizeof(b), (double)total);
	human(c, sizeof(c), secs > 0 ? (done - p->last_bytes) / secs : 0);
	fprintf(stderr, "%s: %s of %s, %s/s\n", "oci-fetch", a, b, c);
	p->last_rate_t = now;
	p->last_bytes = done;
}

void fetch_progress_start(struct fetch_progress *p, size_t i, const char *digest, int64_t total)
{
	if (!p || i >= p->n)
		return;
	struct pg_item *it = &p->items[i];
	const char *h = strchr(digest, ':');
	snprintf(it->digest, sizeof(it->digest), "%.12s", h ? h + 1 : digest);
	it->total = total;
	it->started = true;
	it->state = "";
	if (!p->quiet && p->tty)
		draw(p, true);
}

void fetch_progress_update(struct fetch_progress *p, size_t i, int64_t done)
{
	if (!p || i >= p->n)
		return;
	p->items[i].done = done;
	if (p->quiet)
		return;
	if (p->tty)
		draw(p, false);
	else
		rate_line(p, false);
}

void fetch_progress_done(struct fetch_progress *p, size_t i, const char *what)
{
	if (!p || i >= p->n)
		return;
	struct pg_item *it = &p->items[i];
	if (streq(what, "done") || streq(what, "exists") || streq(what, "pushed") ||
	    streq(what, "mounted"))
		it->done = it->total > 0 ? it->total : it->done;
	it->state = streq(what, "exists") ? "already exists" : what;
	if (p->quiet)
		return;
	if (p->tty) {
		draw(p, true);
	} else if (!streq(what, "exists")) {
		char a[32];
		human(a, sizeof(a), (double)it->done);
		fprintf(stderr, "oci-fetch: blob %s: %s (%s)\n", it->digest, what, a);
	}
}

void fetch_progress_free(struct fetch_progress *p)
{
	if (!p)
		return;
	free(p->items);
	free(p);
}
