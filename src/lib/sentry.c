#include "sentry.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

long long sentry_minutes(double seconds)
{
	if (!(seconds > 60.0)) /* NaN too */
		return 1;
	double m = ceil(seconds / 60.0);
	return m > SENTRY_MINUTES_MAX ? SENTRY_MINUTES_MAX : (long long)m;
}

const char *sentry_crontab(const char *expr)
{
	static const char *const words[][2] = {
		{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" },
		{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
		{ "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
		{ "@hourly", "0 * * * *" },
	};
	if (expr[0] != '@')
		return expr;
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcasecmp(expr, words[i][0]) == 0)
			return words[i][1];
	return NULL;
}

/* S as a JSON string, quotes included, at the end of the growing OUT. */
struct out {
	char *buf;
	size_t len, size;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->buf && o->len + n < o->size)
		memcpy(o->buf + o->len, s, n);
	o->len += n;
}

static void put_string(struct out *o, const char *s)
{
	put(o, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		char esc[8];
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			put(o, esc, 2);
		} else if (c < 0x20) {
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(o, esc, 6);
		} else {
			put(o, s, 1);
		}
	}
	put(o, "\"", 1);
}

static void put_text(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

static void put_number(struct out *o, const char *key, long long n)
{
	char buf[48];
	snprintf(buf, sizeof buf, ",\"%s\":%lld", key, n);
	put_text(o, buf);
}

/* An interval in the largest unit that measures it exactly, else in
 * minutes, rounded up: it must cover the whole gap. */
static void put_interval(struct out *o, long long secs)
{
	static const struct { long long secs; const char *unit; } units[] = {
		{ 604800, "week" }, { 86400, "day" }, { 3600, "hour" },
	};
	long long value = secs / 60 + (secs % 60 != 0);
	const char *unit = "minute";
	for (size_t i = 0; i < sizeof units / sizeof *units; i++)
		if (secs > 0 && secs % units[i].secs == 0) {
			value = secs / units[i].secs;
			unit = units[i].unit;
			break;
		}
	char buf[96];
	snprintf(buf, sizeof buf, "{\"type\":\"interval\",\"value\":%lld,"
		 "\"unit\":\"%s\"}", value < 1 ? 1 : value, unit);
	put_text(o, buf);
}

static void write_body(struct out *o, const char *status, const char *id,
		       const struct sentry_monitor *m)
{
	put_text(o, "{\"status\":");
	put_string(o, status);
	put_text(o, ",\"check_in_id\":");
	put_string(o, id);
	put_text(o, ",\"monitor_config\":{\"schedule\":");
	if (m->crontab) {
		put_text(o, "{\"type\":\"crontab\",\"value\":");
		put_string(o, m->crontab);
		put_text(o, "}");
	} else {
		put_interval(o, m->interval_s);
	}
	if (m->margin_min > 0)
		put_number(o, "checkin_margin", m->margin_min);
	if (m->max_runtime_min > 0)
		put_number(o, "max_runtime", m->max_runtime_min);
	if (m->timezone) {
		put_text(o, ",\"timezone\":");
		put_string(o, m->timezone);
	}
	put_text(o, "}}");
}

char *sentry_checkin_body(const char *status, const char *check_in_id,
			  const struct sentry_monitor *m)
{
	struct out o = { 0 };
	write_body(&o, status, check_in_id, m);
	o.size = o.len + 1;
	o.buf = malloc(o.size);
	if (!o.buf)
		return NULL;
	o.len = 0;
	write_body(&o, status, check_in_id, m);
	o.buf[o.len] = '\0';
	return o.buf;
}
