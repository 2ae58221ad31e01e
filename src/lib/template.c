#include "template.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[FIELD_COUNT] = {
	[FIELD_TOKEN] = "token",
	[FIELD_RUN_ID] = "run_id",
	[FIELD_EXIT_STATUS] = "exit_status",
	[FIELD_DURATION_MS] = "duration_ms",
	[FIELD_MESSAGE] = "message",
	[FIELD_MONITOR] = "monitor",
	[FIELD_HOSTNAME] = "hostname",
	[FIELD_DURATION_S] = "duration_s",
	[FIELD_MAX_RSS_KB] = "max_rss_kb",
	[FIELD_CPU_MS] = "cpu_ms",
};

/* The field whose mark "{name}" starts at P, or -1; *LEN gets its length. */
static int field_at(const char *p, size_t *len)
{
	for (int f = 0; f < FIELD_COUNT; f++) {
		size_t n = strlen(field_names[f]);
		if (strncmp(p + 1, field_names[f], n) == 0 && p[n + 1] == '}') {
			*len = n + 2;
			return f;
		}
	}
	return -1;
}

/* Walk TEMPLATE, calling EMIT for each literal byte (F -1) or field.
 * Returns false at the first "{" that is neither "{{" nor a field. */
static bool walk(const char *template, const char **bad,
		 void (*emit)(void *ctx, int f, char c), void *ctx)
{
	for (const char *p = template; *p;) {
		size_t len = 1;
		int f = -1;
		if (*p == '{' && p[1] == '{') {
			len = 2;
		} else if (*p == '{' && (f = field_at(p, &len)) < 0) {
			if (bad)
				*bad = p;
			return false;
		}
		emit(ctx, f, *p);
		p += len;
	}
	return true;
}

static void ignore(void *ctx, int f, char c)
{
	(void)ctx, (void)f, (void)c;
}

bool template_valid(const char *template, const char **bad)
{
	return walk(template, bad, ignore, NULL);
}

struct use {
	enum template_field field;
	bool found;
};

static void note_use(void *ctx, int f, char c)
{
	struct use *u = ctx;
	(void)c;
	u->found |= f == (int)u->field;
}

bool template_uses(const char *template, enum template_field field)
{
	struct use u = { field, false };
	return walk(template, NULL, note_use, &u) && u.found;
}

static bool unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
	       c == '~';
}

/* The output, measured first (BUF NULL), then written. */
struct out {
	const struct template_values *vals;
	char *buf;
	size_t len;
};

static void put_char(struct out *o, char c)
{
	if (o->buf)
		o->buf[o->len] = c;
	o->len++;
}

static void put_escaped(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (unreserved(c)) {
			put_char(o, (char)c);
			continue;
		}
		put_char(o, '%');
		put_char(o, hex[c >> 4]);
		put_char(o, hex[c & 15]);
	}
}

static void emit_filled(void *ctx, int f, char c)
{
	struct out *o = ctx;
	if (f < 0)
		put_char(o, c);
	else
		put_escaped(o, o->vals->v[f]);
}

char *template_fill(const char *template, const struct template_values *vals)
{
	struct out o = { .vals = vals };
	if (!walk(template, NULL, emit_filled, &o))
		return NULL;
	o.buf = malloc(o.len + 1);
	if (!o.buf)
		return NULL;
	o.len = 0;
	walk(template, NULL, emit_filled, &o);
	o.buf[o.len] = '\0';
	return o.buf;
}

char *template_escape(const char *s)
{
	struct out o = { 0 };
	put_escaped(&o, s);
	o.buf = malloc(o.len + 1);
	if (!o.buf)
		return NULL;
	o.len = 0;
	put_escaped(&o, s);
	o.buf[o.len] = '\0';
	return o.buf;
}

char *template_literal(const char *text)
{
	size_t braces = 0;
	for (const char *p = text; *p; p++)
		braces += *p == '{';
	char *out = malloc(strlen(text) + braces + 1), *o = out;
	if (!out)
		return NULL;
	for (const char *p = text; *p; p++) {
		*o++ = *p;
		if (*p == '{')
			*o++ = '{';
	}
	*o = '\0';
	return out;
}
