/* Cron expressions, field by field as Debian's cron reads them. */
#include "cron.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct cron_field {
	const char *what;
	int lo, hi;
	const char *const *names; /* names[i] is lo + i */
};

static const char *const month_names[] = { "jan", "feb", "mar", "apr", "may", "jun",
					   "jul", "aug", "sep", "oct", "nov", "dec", NULL };
static const char *const day_names[] = { "sun", "mon", "tue", "wed", "thu",
					 "fri", "sat", NULL };

static const struct cron_field fields[5] = {
	{ "minute", 0, 59, NULL },
	{ "hour", 0, 23, NULL },
	{ "day of month", 1, 31, NULL },
	{ "month", 1, 12, month_names },
	{ "day of week", 0, 7, day_names },
};

/* @words, as the five fields they stand for. */
static const char *const words[][2] = {
	{ "@yearly", "0 0 1 1 *" },  { "@annually", "0 0 1 1 *" },
	{ "@monthly", "0 0 1 * *" }, { "@weekly", "0 0 * * 0" },
	{ "@daily", "0 0 * * *" },   { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

/* A number or (where the field has them) a three-letter name. */
static const char *number(const char *p, const struct cron_field *f, int *out)
{
	if (isdigit((unsigned char)*p)) {
		long v = 0;
		while (isdigit((unsigned char)*p) && v < 1000)
			v = v * 10 + (*p++ - '0');
		*out = (int)v;
		return isdigit((unsigned char)*p) ? NULL : p;
	}
	for (int i = 0; f->names && f->names[i]; i++)
		if (strncasecmp(p, f->names[i], 3) == 0 && !isalpha((unsigned char)p[3])) {
			*out = f->lo + i;
			return p + 3;
		}
	return NULL;
}

/* One element of a list: "*", "N", "N-M", the first and last with "/STEP"
 * (not "N/STEP": Debian's cron refuses "5/15"). */
static const char *element(const char *p, const struct cron_field *f, uint64_t *bits)
{
	int a = f->lo, b = f->hi, step = 1;
	bool range = true;
	if (*p == '*') {
		p++;
	} else {
		if (!(p = number(p, f, &a)))
			return NULL;
		b = a;
		range = *p == '-';
		if (range && !(p = number(p + 1, f, &b)))
			return NULL;
	}
	if (*p == '/') {
		if (!range || !isdigit((unsigned char)p[1]) || !(p = number(p + 1, f, &step)) ||
		    step < 1)
			return NULL;
	}
	if (a < f->lo || b > f->hi || a > b)
		return NULL;
	for (int v = a; v <= b; v += step)
		*bits |= 1ULL << v;
	return p;
}

static int field(const char *text, size_t len, const struct cron_field *f, uint64_t *bits)
{
	char buf[256];
	if (len >= sizeof buf)
		return -1;
	memcpy(buf, text, len);
	buf[len] = 0;
	*bits = 0;
	const char *p = buf;
	for (;;) {
		if (!(p = element(p, f, bits)))
			return -1;
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

/* The five fields of TEXT: their starts and lengths. */
static int split(const char *text, const char *start[5], size_t len[5])
{
	const char *p = text;
	for (int i = 0; i < 5; i++) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			return -1;
		start[i] = p;
		while (*p && *p != ' ' && *p != '\t')
			p++;
		len[i] = (size_t)(p - start[i]);
	}
	while (*p == ' ' || *p == '\t')
		p++;
	return *p ? -1 : 0;
}

static const char *expand_word(const char *text, char *err, size_t errlen)
{
	for (size_t i = 0; i < sizeof words / sizeof *words; i++)
		if (strcmp(text, words[i][0]) == 0)
			return words[i][1];
	snprintf(err, errlen, "%s is not a schedule%s", text,
		 strcmp(text, "@reboot") == 0 ? " (it runs at boot, not at a time)" : "");
	return NULL;
}

int cron_parse(const char *text, struct sched_expr *e, char *err, size_t errlen)
{
	if (*text == '@' && !(text = expand_word(text, err, errlen)))
		return -1;
	const char *start[5];
	size_t len[5];
	uint64_t bits[5];
	if (split(text, start, len) < 0) {
		snprintf(err, errlen, "a cron expression has five fields");
		return -1;
	}
	for (int i = 0; i < 5; i++)
		if (field(start[i], len[i], &fields[i], &bits[i]) < 0) {
			snprintf(err, errlen, "cron %s field \"%.*s\" is unusable", fields[i].what,
				 (int)(len[i] > 40 ? 40 : len[i]), start[i]);
			return -1;
		}
	memset(e, 0, sizeof *e);
	e->dst = -1;
	e->cron = true;
	e->any_year = true;
	e->wild = *start[0] == '*' || *start[1] == '*';
	/* Debian's cron: both days restricted, either will do; a field that
	 * begins with '*' ("*" or "*\/2") makes them both needed. */
	e->day_or = *start[2] != '*' && *start[4] != '*';
	e->dom = (uint32_t)bits[2];
	e->months = (uint16_t)bits[3];
	e->dows = (uint8_t)((bits[4] | bits[4] >> 7) & 0x7f);
	static const int32_t second_zero = 0;
	if (sched_set_tods(e, (uint32_t)bits[1], bits[0], &second_zero, 1) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 0;
}
