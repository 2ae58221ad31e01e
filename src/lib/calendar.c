/* Calendar events: [WEEKDAYS] [[YEAR-]MONTH-DAY] [HH:MM[:SS]] [ZONE], the
 * shorthands (daily, weekly, ...) and @SECONDS, read as systemd reads
 * them (see hbrun(1)). */
#include "calendar.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tz.h"
#include "tz_abbr.h"

struct cal_field {
	int64_t lo, hi;
	int64_t one;   /* a unit: seconds are kept in microseconds */
	bool end;      /* counted from the month's end ("~") */
};

/* A field's values: a bit set (bit v - lo), or without one (seconds) a
 * list, growing up to SCHED_TODS_MAX. */
struct cal_values {
	uint64_t *bits;
	int32_t *list;
	size_t n, cap;
	/* The first value an open repetition ("10/33") reaches past the
	 * field's end (of December's days for a day), the least of them; 0
	 * none: systemd's search carries it into the next unit. */
	int64_t over;
};

static const char *const shorthands[][2] = {
	{ "minutely", "*-*-* *:*:00" },
	{ "hourly", "*-*-* *:00:00" },
	{ "daily", "*-*-* 00:00:00" },
	{ "monthly", "*-*-01 00:00:00" },
	{ "weekly", "Mon *-*-* 00:00:00" },
	{ "yearly", "*-01-01 00:00:00" },
	{ "annually", "*-01-01 00:00:00" },
	{ "quarterly", "*-01,04,07,10-01 00:00:00" },
	{ "semiannually", "*-01,07-01 00:00:00" },
};

static const char *const weekdays[] = { "sunday", "monday", "tuesday", "wednesday",
					"thursday", "friday", "saturday" };

/* Six digits of a second's fraction, rounded by the seventh as systemd
 * rounds them; further digits count for nothing. */
static const char *fraction(const char *p, int64_t *us)
{
	int64_t f = 0;
	int n = 0;
	for (; isdigit((unsigned char)*p); p++, n++) {
		if (n < 6)
			f = f * 10 + (*p - '0');
		else if (n == 6 && *p >= '5')
			f++;
	}
	for (; n < 6; n++)
		f *= 10;
	*us = f;
	return p;
}

/* Digits, and for seconds a fraction ("1.5"); in the field's units. */
static const char *value(const char *p, const struct cal_field *f, int64_t *out)
{
	if (!isdigit((unsigned char)*p))
		return NULL;
	int64_t v = 0, us = 0;
	while (isdigit((unsigned char)*p) && v < 100000)
		v = v * 10 + (*p++ - '0');
	if (f->one > 1 && *p == '.' && isdigit((unsigned char)p[1]))
		p = fraction(p + 1, &us);
	*out = v * f->one + us;
	return p;
}

static int64_t year_of(int64_t v)
{
	return v < 70 ? v + 2000 : v < 100 ? v + 1900 : v;
}

static int put(struct cal_values *out, const struct cal_field *f, int64_t v)
{
	if (out->bits) {
		out->bits[(v - f->lo) / 64] |= 1ULL << ((v - f->lo) % 64);
		return 0;
	}
	if (out->n == out->cap) {
		size_t cap = out->cap ? out->cap * 2 : 64;
		int32_t *grown = realloc(out->list, cap * sizeof *grown);
		if (!grown)
			return -1;
		out->list = grown;
		out->cap = cap;
	}
	out->list[out->n++] = (int32_t)v;
	return 0;
}

/* Every value of A..B by R (one unit without R) into OUT. */
static int put_run(struct cal_values *out, const struct cal_field *f, int64_t a, int64_t b,
		   int64_t r)
{
	if (!out->bits && (b - a) / r >= (int64_t)(SCHED_TODS_MAX - out->n))
		return -1; /* more due times than a day may have */
	for (int64_t v = a; v <= b; v += r)
		if (put(out, f, v) < 0)
			return -1;
	return 0;
}

/* One element: "*", "A", "A..B", "A/R", "A..B/R"; its values into OUT. */
static const char *element(const char *p, const struct cal_field *f, struct cal_values *out)
{
	int64_t a, b, r = 0;
	if (*p == '*') {
		if (f->end || put_run(out, f, f->lo, f->hi, f->one) < 0)
			return NULL;
		return p + 1;
	}
	if (!(p = value(p, f, &a)))
		return NULL;
	bool range = p[0] == '.' && p[1] == '.';
	b = a;
	if (range && !(p = value(p + 2, f, &b)))
		return NULL;
	if (*p == '/' && (!(p = value(p + 1, f, &r)) || r < 1))
		return NULL;
	if (f->lo == SCHED_YEAR_MIN) {
		a = year_of(a);
		b = year_of(b);
	}
	/* As systemd: a repetition must repeat within the field at least
	 * once; from the month's end it counts back past its start; a range
	 * of seconds without a repetition must span a second at least. */
	if (a < f->lo || b > f->hi || a > b || (r && f->end && (range || a <= r)) ||
	    (r && !range && !f->end && a + r > f->hi) ||
	    (range && f->one > 1 && b - a < f->one && !r))
		return NULL;
	if (r && !range && !f->end)
		b = f->hi;
	if (r && !range) {
		int64_t over = f->end ? 32 - a + r * ((a - 1) / r + 1) : a + r * ((f->hi - a) / r + 1);
		if (!out->over || over < out->over)
			out->over = over;
	}
	if (put_run(out, f, a, b, r ? r : f->one) < 0)
		return NULL;
	if (r && f->end) /* "~7/2": the 7th last day, then every 2nd to the end */
		for (int64_t v = a; v >= 1; v -= r)
			out->bits[0] |= 1ULL << (v - f->lo);
	return p;
}

/* A comma list of elements, up to END (a character not in it). */
static const char *list(const char *p, const struct cal_field *f, struct cal_values *out)
{
	for (;;) {
		if (!(p = element(p, f, out)))
			return NULL;
		if (*p != ',')
			return p;
		p++;
	}
}

/* A bit set field's list; its carry past the end into *OVER (or NULL). */
static const char *list_bits(const char *p, const struct cal_field *f, uint64_t *bits,
			     int64_t *over)
{
	struct cal_values out = { .bits = bits };
	p = list(p, f, &out);
	if (over)
		*over = out.over;
	return p;
}

/* A weekday's full name or its first three letters, any case. */
static const char *weekday(const char *p, int *out)
{
	for (int i = 0; i < 7; i++) {
		size_t full = strlen(weekdays[i]);
		size_t n = strncasecmp(p, weekdays[i], full) == 0 ? full
			   : strncasecmp(p, weekdays[i], 3) == 0 ? 3 : 0;
		if (n && !isalpha((unsigned char)p[n])) {
			*out = i;
			return p + n;
		}
	}
	return NULL;
}

/* "Mon,Wed..Fri" (or "Wed-Fri"): Monday first, so "Sat..Mon" is no range. */
static int parse_weekdays(const char *p, uint8_t *dows)
{
	*dows = 0;
	for (;;) {
		int a, b;
		if (!(p = weekday(p, &a)))
			return -1;
		b = a;
		if (p[0] == '.' && p[1] != '.')
			return -1;
		if (p[0] == '.')
			p++;
		if ((*p == '-' || *p == '.') && !(p = weekday(p + 1, &b)))
			return -1;
		int ma = (a + 6) % 7, mb = (b + 6) % 7;
		if (ma > mb)
			return -1;
		for (int v = ma; v <= mb; v++)
			*dows |= (uint8_t)(1u << ((v + 1) % 7));
		if (!*p)
			return 0;
		if (*p++ != ',')
			return -1;
	}
}

static const struct cal_field f_year = { SCHED_YEAR_MIN, SCHED_YEAR_MAX, 1, false };
static const struct cal_field f_month = { 1, 12, 1, false };
static const struct cal_field f_day = { 1, 31, 1, false };
static const struct cal_field f_end = { 1, 28, 1, true };
static const struct cal_field f_hour = { 0, 23, 1, false };
static const struct cal_field f_minute = { 0, 59, 1, false };
static const struct cal_field f_second = { 0, 60LL * SCHED_US - 1, SCHED_US, false };

/* [YEAR-]MONTH-DAY, or MONTH~DAY / YEAR-MONTH~DAY counting from the end. */
static int parse_date(const char *p, struct sched_expr *e)
{
	int seps = 0;
	for (const char *q = p; *q; q++)
		seps += *q == '-' || *q == '~';
	if (seps < 1 || seps > 2)
		return -1;
	uint64_t m = 0, d = 0;
	if (seps == 2) {
		uint64_t y[4] = { 0 };
		if (!(p = list_bits(p, &f_year, y, NULL)) || *p++ != '-')
			return -1;
		e->any_year = false;
		memcpy(e->years, y, sizeof y);
	}
	if (!(p = list_bits(p, &f_month, &m, NULL)) || (*p != '-' && *p != '~'))
		return -1;
	bool end = *p++ == '~';
	int64_t over;
	if (!(p = list_bits(p, end ? &f_end : &f_day, &d, &over)) || *p)
		return -1;
	/* Past December 31 (when it is no day of the list) the search
	 * keeps the carried day of January. */
	if (over - 31 >= 2 && !(end ? d & 1 : d >> 30 & 1))
		e->carry_jan = (int)(over - 31);
	e->months = (uint16_t)(m << 1);
	if (end)
		e->dom_end = (uint32_t)(d << 1);
	else
		e->dom = (uint32_t)(d << 1);
	return 0;
}

static int cmp32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* The seconds of P (microseconds of a minute) into SECS, ascending, once
 * each. */
static const char *parse_seconds(const char *p, struct cal_values *secs)
{
	if (!(p = list(p, &f_second, secs)))
		return NULL;
	qsort(secs->list, secs->n, sizeof *secs->list, cmp32);
	size_t w = 0;
	for (size_t i = 0; i < secs->n; i++)
		if (w == 0 || secs->list[w - 1] != secs->list[i])
			secs->list[w++] = secs->list[i];
	secs->n = w;
	return p;
}

/* HH:MM[:SS]: hours and minutes into HM (their carries into OVER),
 * seconds into SECS (0 when none are given). */
static int parse_time(const char *p, uint64_t hm[2], int64_t over[2], struct cal_values *secs)
{
	static const struct cal_field none = { 0, 0, 1, false };
	hm[0] = hm[1] = 0;
	if (!(p = list_bits(p, &f_hour, &hm[0], &over[0])) || *p++ != ':' ||
	    !(p = list_bits(p, &f_minute, &hm[1], &over[1])))
		return -1;
	if (*p == ':' && !(p = parse_seconds(p + 1, secs)))
		return -1;
	if (secs->n == 0 && put(secs, &none, 0) < 0)
		return -1;
	return *p ? -1 : 0;
}

/* "@SECONDS": that one instant, in UTC. */
static int parse_instant(const char *p, struct sched_expr *e, char **zone)
{
	char *end;
	long long t = strtoll(p + 1, &end, 10);
	if (!isdigit((unsigned char)p[1]) || *end || t < 0 || t > 7258118399LL)
		return -1;
	int64_t y;
	int m, d;
	tz_civil_from_days(t / 86400, &y, &m, &d);
	int s = (int)(t % 86400);
	e->any_year = false;
	e->years[(y - SCHED_YEAR_MIN) / 64] |= 1ULL << ((y - SCHED_YEAR_MIN) % 64);
	e->months = (uint16_t)(1u << m);
	e->dom = 1u << d;
	e->dows = 0x7f;
	*zone = strdup("UTC");
	if (!*zone)
		return -1;
	int32_t sec = s % 60 * SCHED_US;
	return sched_set_tods(e, 1u << (s / 3600), 1ULL << (s / 60 % 60), &sec, 1);
}

/* Where in minute M of hour H systemd's search resumes when it came from
 * the minute before: a repetition of seconds carried RHO past that
 * minute's end, and the search keeps the remainder below the highest unit
 * that changed: the fraction into the next minute, the seconds too into
 * the next hour (when minute 59 is due). */
static int64_t resume_at(uint32_t hours, uint64_t minutes, int h, int m, int64_t rho)
{
	if (rho <= 0)
		return 0;
	if (m > 0)
		return minutes >> (m - 1) & 1 ? rho % SCHED_US : 0;
	return h > 0 && hours >> (h - 1) & 1 && minutes >> 59 & 1 ? rho : 0;
}

/* Where a day's search resumes after carrying past the previous due
 * day's end: seconds past 23:59, minutes past 23:xx, or hours past the
 * last due one (into a new month only: into another day the hours start
 * again). */
static void carry_at(struct sched_expr *e, uint32_t hours, uint64_t minutes,
		     const int64_t over[3])
{
	const int64_t min_us = 60LL * SCHED_US;
	if (hours >> 23 & 1) {
		if (minutes >> 59 & 1)
			e->carry_at = over[2] ? over[2] - min_us : 0;
		else
			e->carry_at = over[1] ? (over[1] - 60) * min_us : 0;
	} else if (over[0]) {
		e->carry_at = (over[0] - 24) * 60 * min_us;
		e->carry_month = true;
	}
}

/* A carried day's times: from where the search resumes on, all the
 * seconds (SECS, NSECS) of the minute it lands in when it lands at its
 * start, though coming from the minute before the day's other times skip
 * some there.  Returns 0, or -1 when out of memory. */
static int carry_day(struct sched_expr *e, const int32_t *secs, size_t nsecs)
{
	const int64_t min_us = 60LL * SCHED_US;
	size_t i = 0, pre = 0;
	while (i < e->ntods && e->tods[i] < e->carry_at)
		i++;
	if (i == e->ntods)
		e->carry_at = 0; /* cannot be: the repetition repeats within its field */
	if (!e->carry_at)
		return 0;
	int64_t minute = e->tods[i] - e->tods[i] % min_us;
	if (e->carry_at % min_us == 0)
		while (pre < nsecs && minute + secs[pre] < e->tods[i])
			pre++;
	e->carry_idx = i;
	e->ncarry = pre + e->ntods - i;
	if (pre) {
		e->carry_tods = malloc(e->ncarry * sizeof *e->carry_tods);
		if (!e->carry_tods)
			return -1;
		for (size_t k = 0; k < pre; k++)
			e->carry_tods[k] = minute + secs[k];
		memcpy(e->carry_tods + pre, e->tods + i, (e->ntods - i) * sizeof *e->tods);
	}
	struct sched_tods d = sched_tods_of(e, true);
	sched_tod_gaps(d.t, d.n, &e->carry_min_gap, &e->carry_max_gap, &e->carry_max_at);
	return 0;
}

/* The times of a day as systemd's search walks them: a repetition that
 * carries past its field's end (OVER: hours, minutes, seconds) skips
 * what lies before its remainder in the next unit.  Returns 0, or -1. */
static int carry(struct sched_expr *e, uint32_t hours, uint64_t minutes, const int32_t *secs,
		 size_t nsecs, const int64_t over[3])
{
	const int64_t min_us = 60LL * SCHED_US;
	int64_t rho = over[2] ? over[2] - min_us : 0;
	size_t w = 0;
	for (size_t i = 0; i < e->ntods; i++) {
		int64_t t = e->tods[i];
		int h = (int)(t / (60 * min_us)), m = (int)(t / min_us % 60);
		if (t % min_us >= resume_at(hours, minutes, h, m, rho))
			e->tods[w++] = t;
	}
	e->ntods = w;
	sched_tod_gaps(e->tods, e->ntods, &e->tod_min_gap, &e->tod_max_gap, &e->tod_max_at);
	carry_at(e, hours, minutes, over);
	return carry_day(e, secs, nsecs);
}

/* The event without its zone: up to three words. */
static int words_into(char *p, struct sched_expr *e, struct cal_values *secs)
{
	char *word[4] = { NULL };
	int n = 0;
	for (char *tok = strtok(p, " "); tok; tok = strtok(NULL, " "))
		if (n == 3 || !(word[n++] = tok))
			return -1;
	int i = 0;
	e->dows = 0x7f;
	e->any_year = true;
	e->months = 0x1ffe;
	e->dom = 0xfffffffe;
	uint64_t hm[2] = { 1, 1 }; /* 00:00:00 without a time */
	int64_t over[3] = { 0, 0, 0 };
	if (i < n && isalpha((unsigned char)*word[i]) && parse_weekdays(word[i++], &e->dows) < 0)
		return -1;
	if (i < n && !strchr(word[i], ':') && parse_date(word[i++], e) < 0)
		return -1;
	if (i < n && parse_time(word[i++], hm, over, secs) < 0)
		return -1;
	if (i < n || n == 0)
		return -1;
	static const int32_t zero = 0;
	const int32_t *sec_list = secs->n ? secs->list : &zero;
	size_t nsecs = secs->n ? secs->n : 1;
	if (sched_set_tods(e, (uint32_t)hm[0], hm[1], sec_list, nsecs))
		return -1;
	over[2] = secs->over;
	return carry(e, (uint32_t)hm[0], hm[1], sec_list, nsecs, over);
}

static int parse_words(char *p, struct sched_expr *e)
{
	struct cal_values secs = { 0 };
	int r = words_into(p, e, &secs);
	free(secs.list);
	return r;
}

/* A last word that is "UTC", the local zone's abbreviation (*DST 0 or 1,
 * before a zone file of that name, as systemd reads it) or a zone of the
 * tz database names the zone. */
static char *split_zone(char *text, int *dst)
{
	char *space = strrchr(text, ' ');
	if (!space)
		return NULL;
	const char *name = space + 1;
	if (strcasecmp(name, "UTC") == 0) {
		name = "UTC";
	} else if ((*dst = tz_abbr_local(name)) >= 0) {
		*space = 0;
		return NULL;
	} else if (!isalpha((unsigned char)*name) || !tz_load(name, NULL, 0)) {
		return NULL;
	}
	char *zone = strdup(name);
	if (zone)
		*space = 0;
	return zone;
}

int calendar_parse(const char *text, struct sched_expr *e, char **zone, char *err,
		   size_t errlen)
{
	memset(e, 0, sizeof *e);
	e->dst = -1;
	*zone = NULL;
	size_t len = strlen(text);
	char *copy = len && len < 1024 && text[0] != ' ' && text[len - 1] != ' '
		     ? strdup(text) : NULL;
	int r = -1;
	if (copy) {
		*zone = split_zone(copy, &e->dst);
		const char *body = copy;
		for (size_t i = 0; i < sizeof shorthands / sizeof *shorthands; i++)
			if (strcasecmp(copy, shorthands[i][0]) == 0)
				body = shorthands[i][1];
		char *words = strdup(body);
		if (copy[0] == '@') { /* an instant is UTC, whatever zone follows */
			free(*zone);
			*zone = NULL;
			e->dst = -1;
			r = parse_instant(copy, e, zone);
		}
		else if (words)
			r = parse_words(words, e);
		free(words);
	}
	free(copy);
	if (r < 0) {
		free(*zone);
		*zone = NULL;
		sched_expr_free(e);
		snprintf(err, errlen, "\"%.60s\" is neither a cron expression nor a calendar event",
			 text);
	}
	return r;
}
