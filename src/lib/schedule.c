/* Schedules: the union of cron expressions and calendar events, each in
 * its zone.  A due day's times are the same every day of a zone's plain
 * stretch (no change of offset), so the next due time and the gaps are
 * found a day at a time, never a due time at a time: only the days around
 * a change of offset are spelled out instant by instant, by the rules of
 * the scheduler that runs each grammar (see hbrun(1)). */
#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "cron.h"
#include "sched_expr.h"
#include "tz.h"
#include "tz_abbr.h"

#define DAY 86400
#define US SCHED_US /* instants here are microseconds since the epoch */
#define DAY_US ((int64_t)DAY * US)
#define SPAN_DAYS (29 * 366 + 3)
#define CRON_BIG_CHANGE (3 * 3600) /* cron takes it for a corrected clock */
#define CRON_SMALL_CHANGE 240      /* cron catches up on every job */

struct sched_item {
	struct sched_expr e;
	const struct tz_zone *zone;
	enum schedule_zone_from from;
};

struct schedule {
	struct sched_item *items;
	size_t n;
};

/* A run of instants of one item: one local day's. */
struct chunk {
	int64_t first, last, count;
	int64_t min_gap, max_gap, max_at;
};

/* Instants, growing. */
struct instants {
	int64_t *t;
	size_t n, cap;
};

static int instants_add(struct instants *v, int64_t t)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 2048;
		int64_t *t2 = realloc(v->t, cap * sizeof *t2);
		if (!t2)
			return -1;
		v->t = t2;
		v->cap = cap;
	}
	v->t[v->n++] = t;
	return 0;
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static void instants_sort(struct instants *v, size_t from)
{
	size_t up = from + 1;
	while (up < v->n && v->t[up - 1] < v->t[up])
		up++;
	if (up >= v->n)
		return; /* ascending already, the common case */
	qsort(v->t + from, v->n - from, sizeof *v->t, cmp64);
	size_t w = from;
	for (size_t i = from; i < v->n; i++)
		if (w == from || v->t[w - 1] != v->t[i])
			v->t[w++] = v->t[i];
	v->n = w;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

struct schedule *schedule_new(void)
{
	return calloc(1, sizeof(struct schedule));
}

void schedule_free(struct schedule *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		sched_expr_free(&s->items[i].e);
	free(s->items);
	free(s);
}

size_t schedule_count(const struct schedule *s)
{
	return s->n;
}

enum schedule_grammar schedule_grammar_of(const struct schedule *s, size_t i)
{
	return s->items[i].e.cron ? SCHEDULE_CRON : SCHEDULE_CALENDAR;
}

const char *schedule_zone_of(const struct schedule *s, size_t i,
			     enum schedule_zone_from *from)
{
	if (from)
		*from = s->items[i].from;
	return tz_name(s->items[i].zone);
}

struct schedule *schedule_parse(const char *text, const char *tz, char *err,
				size_t errlen)
{
	struct schedule *s = schedule_new();
	char *copy = s ? strdup(text) : NULL;
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		schedule_free(s);
		return NULL;
	}
	char *rest = copy, *one;
	while (s && (one = strsep(&rest, ";")))
		if (s->n == 64 || schedule_add(s, one, tz, err, errlen) < 0) {
			if (s->n == 64)
				snprintf(err, errlen, "more than 64 expressions");
			schedule_free(s);
			s = NULL;
		}
	free(copy);
	return s;
}

/* Five fields, or an @word (not "@123", a calendar event's instant). */
static int is_cron(const char *text)
{
	if (text[0] == '@')
		return isalpha((unsigned char)text[1]);
	int fields = 0;
	for (const char *p = text; *p;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p)
			break;
		fields++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return fields == 5;
}

static int parse_item(const char *text, const char *tz, struct sched_item *it, char *err,
		      size_t errlen)
{
	char *named = NULL;
	memset(it, 0, sizeof *it);
	if (is_cron(text) ? cron_parse(text, &it->e, err, errlen)
			  : calendar_parse(text, &it->e, &named, err, errlen))
		return -1;
	/* The local zone's abbreviation names the local zone, whatever TZ. */
	const char *zone = named ? named : it->e.dst >= 0 ? NULL : tz;
	it->from = named		   ? ZONE_FROM_EXPRESSION
		   : it->e.dst >= 0 ? ZONE_FROM_ABBREVIATION
		   : zone && *zone ? ZONE_FROM_TZ
				   : ZONE_FROM_LOCAL;
	it->zone = tz_load(zone, err, errlen);
	free(named);
	if (!it->zone) {
		sched_expr_free(&it->e);
		return -1;
	}
	return 0;
}

int schedule_add(struct schedule *s, const char *expr, const char *tz, char *err,
		 size_t errlen)
{
	char buf[1024];
	while (*expr == ' ' || *expr == '\t')
		expr++;
	size_t len = strlen(expr);
	while (len && strchr(" \t\r\n", expr[len - 1]))
		len--;
	if (!len || len >= sizeof buf) {
		snprintf(err, errlen, "the schedule is %s", len ? "too long" : "empty");
		return -1;
	}
	memcpy(buf, expr, len);
	buf[len] = 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)buf[i] < 0x20 || buf[i] == 0x7f) {
			snprintf(err, errlen, "the schedule holds a control character");
			return -1;
		}
	struct sched_item it;
	if (parse_item(buf, tz, &it, err, errlen) < 0)
		return -1;
	struct sched_item *items = realloc(s->items, (s->n + 1) * sizeof *items);
	if (!items) {
		sched_expr_free(&it.e);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	s->items = items;
	s->items[s->n++] = it;
	return 0;
}

/* --- one local day of one item --- */

/* Whether DAY is due to a search that started on FROM_DAY (INT64_MIN: a
 * running timer, long before): systemd's search skips the first days of
 * January when it carried a repetition of days past a due December. */
static bool day_due_from(const struct sched_expr *e, int64_t day, int64_t from_day)
{
	int64_t y;
	int m, d;
	tz_civil_from_days(day, &y, &m, &d);
	if (!sched_day_due(e, y, m, d, tz_weekday(day), tz_month_days(y, m)))
		return false;
	return !(e->carry_jan && m == 1 && d < e->carry_jan && from_day < day - (d - 1) &&
		 e->months >> 12 & 1 && sched_year_ok(e, y - 1));
}

static bool day_due(const struct sched_expr *e, int64_t day)
{
	return day_due_from(e, day, INT64_MIN);
}

/* Whether systemd's search reaches due DAY by carrying a repetition past
 * the previous due day's end (a month's for hours), having started before
 * DAY, on FROM_DAY: it then resumes at E->carry_at. */
static bool carried_into(const struct sched_expr *e, int64_t day, int64_t from_day)
{
	if (!e->carry_at || from_day >= day || !day_due_from(e, day - 1, from_day))
		return false;
	int64_t y;
	int m, d;
	tz_civil_from_days(day, &y, &m, &d);
	return !e->carry_month || d == 1;
}

/* Whether no change of offset touches DAY's instants; its offset then. */
static bool day_plain(const struct tz_zone *z, int64_t day, int32_t *off)
{
	int32_t lo, hi;
	tz_offset_range(z, &lo, &hi);
	int64_t a = day * DAY - hi - 1, b = (day + 1) * DAY - lo + 1;
	if (tz_changes_between(z, a, b))
		return false;
	*off = tz_offset_at(z, a);
	return true;
}

/* A local time that no instant shows, as the grammar's scheduler runs it:
 * systemd skips it; Debian's cron runs a fixed-time job right after a
 * change of less than 3 hours (every job after a change of minutes). */
static int skipped(const struct sched_item *it, int64_t local, struct instants *v)
{
	int64_t at;
	int32_t before, after;
	if (!it->e.cron || tz_skip_of(it->zone, floor_div(local, US), &at, &before, &after) < 0)
		return 0;
	int32_t d = after - before;
	if (d <= CRON_SMALL_CHANGE || (d < CRON_BIG_CHANGE && !it->e.wild))
		return instants_add(v, at * US);
	return 0;
}

/* A local time shown twice: systemd and cron run it at the first; cron
 * runs a wildcard job at both (it follows the clock), and every job after
 * a change of 3 hours or more (a corrected clock). */
static bool second_too(const struct sched_item *it, int64_t local)
{
	int64_t at;
	int32_t before, after;
	if (!it->e.cron || tz_repeat_of(it->zone, floor_div(local, US), &at, &before, &after) < 0)
		return false;
	return it->e.wild || before - after >= CRON_BIG_CHANGE;
}

/* The instants of LOCAL across the one change AT (BEFORE to AFTER): the
 * common case of day_spelled(), without a search per time of day. */
static int across_one(int64_t local, int64_t at, int32_t before, int32_t after, int64_t t[2])
{
	int n = 0;
	if (local - (int64_t)before * US < at * US)
		t[n++] = local - (int64_t)before * US;
	if (local - (int64_t)after * US >= at * US)
		t[n++] = local - (int64_t)after * US;
	return n;
}

/* tz_from_local() for a local time in microseconds: the offsets change
 * at whole seconds, so a second's fraction goes along unchanged. */
static int from_local_us(const struct tz_zone *z, int64_t local, int64_t t[2])
{
	int64_t sec = floor_div(local, US), frac = local - sec * US;
	int n = tz_from_local(z, sec, t);
	for (int i = 0; i < n; i++)
		t[i] = t[i] * US + frac;
	return n;
}

/* Where a carried search resumes on DAY (see carried_into()): at its
 * local time, or where the clocks skip that, at the same time by the
 * offset before the change, as mktime() reads it (the first times after
 * the change are skipped too). */
static int64_t resume_instant(const struct sched_item *it, int64_t day)
{
	int64_t local = day * DAY_US + it->e.carry_at, t[2], at;
	int32_t before, after;
	if (from_local_us(it->zone, local, t) > 0)
		return t[0];
	if (tz_skip_of(it->zone, floor_div(local, US), &at, &before, &after) == 0)
		return local - (int64_t)before * US;
	return INT64_MIN;
}

/* Every due instant of a day a change of offset touches, ascending (of a
 * day a carried search reaches, those from where it resumes). */
static int day_spelled(const struct sched_item *it, int64_t day, bool carried,
		       struct instants *v)
{
	struct sched_tods d = sched_tods_of(&it->e, carried);
	int32_t lo, hi, before = 0, after = 0;
	int64_t at = 0;
	tz_offset_range(it->zone, &lo, &hi);
	size_t changes = tz_changes_in(it->zone, day * DAY - hi - 1, (day + 1) * DAY - lo + 1,
				       &at, &before, &after);
	size_t from = v->n;
	for (size_t i = 0; i < d.n; i++) {
		int64_t local = day * DAY_US + d.t[i], t[2];
		int n = changes == 1 ? across_one(local, at, before, after, t)
				     : from_local_us(it->zone, local, t);
		int r = n == 0 ? skipped(it, local, v) : instants_add(v, t[0]);
		if (r == 0 && n == 2 && second_too(it, local))
			r = instants_add(v, t[1]);
		if (r < 0)
			return -1;
	}
	instants_sort(v, from);
	if (carried) {
		int64_t resume = resume_instant(it, day);
		size_t w = from;
		for (size_t i = from; i < v->n; i++)
			if (v->t[i] >= resume)
				v->t[w++] = v->t[i];
		v->n = w;
	}
	return 0;
}

static int64_t local_day_of(const struct tz_zone *z, int64_t t)
{
	int64_t sec = floor_div(t, US);
	return floor_div(sec + tz_offset_at(z, sec), DAY);
}

/* The first due instant of DAY after AFTER: 0, 1 when none, -1. */
static int day_next(const struct sched_item *it, int64_t day, int64_t after, int64_t *next,
		    struct instants *v)
{
	int32_t off;
	bool carried = carried_into(&it->e, day, local_day_of(it->zone, after));
	struct sched_tods d = sched_tods_of(&it->e, carried);
	if (day_plain(it->zone, day, &off)) {
		int64_t want = after + (int64_t)off * US - day * DAY_US; /* a time of day past it */
		size_t lo = 0, hi = d.n;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (d.t[mid] <= want)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == d.n)
			return 1;
		*next = day * DAY_US + d.t[lo] - (int64_t)off * US;
		return 0;
	}
	v->n = 0;
	if (day_spelled(it, day, carried, v) < 0)
		return -1;
	for (size_t i = 0; i < v->n; i++)
		if (v->t[i] > after) {
			*next = v->t[i];
			return 0;
		}
	return 1;
}

/* The item's first due instant after AFTER, its abbreviation aside: 0, 1
 * when none in the span. */
static int item_next_in_span(const struct sched_item *it, int64_t after, int64_t *next,
			     struct instants *v)
{
	int64_t from = local_day_of(it->zone, after), start = from - 1;
	for (int64_t day = start; day <= start + SPAN_DAYS; day++) {
		if (!day_due_from(&it->e, day, from))
			continue;
		int r = day_next(it, day, after, next, v);
		if (r <= 0) {
			/* A change of offset can put the next day's first
			 * instant before this one's last (a fold over midnight). */
			int64_t other;
			int32_t off;
			if (r == 0 && !day_plain(it->zone, day, &off) &&
			    day_due_from(&it->e, day + 1, from) &&
			    day_next(it, day + 1, after, &other, v) == 0 && other < *next)
				*next = other;
			return r;
		}
	}
	return 1;
}

/* Where an item that ends in the local zone's abbreviation is due, from
 * AFTER on (microseconds): up to the end of the stretch of time in which
 * the zone keeps that abbreviation's flag, none when AFTER is outside one
 * (systemd finds no due time then, and none past the stretch).  Returns
 * the end, INT64_MAX for an item without one, or INT64_MIN for none. */
static int64_t abbr_until(const struct sched_item *it, int64_t after)
{
	int64_t from, to;
	if (it->e.dst < 0)
		return INT64_MAX;
	if (tz_abbr_stretch(floor_div(after + 1, US), &from, &to) != it->e.dst)
		return INT64_MIN;
	return to == INT64_MAX ? INT64_MAX : to * US;
}

/* The item's first due instant after AFTER: 0, 1 when none in the span. */
static int item_next(const struct sched_item *it, int64_t after, int64_t *next,
		     struct instants *v)
{
	int64_t until = abbr_until(it, after);
	if (until == INT64_MIN)
		return 1;
	int r = item_next_in_span(it, after, next, v);
	return r == 0 && *next >= until ? 1 : r;
}

int schedule_next(const struct schedule *s, int64_t after, int64_t *next)
{
	struct instants v = { 0 };
	bool found = false;
	int r = 0;
	for (size_t i = 0; i < s->n && r >= 0; i++) {
		int64_t t;
		r = item_next(&s->items[i], after, &t, &v);
		if (r == 0 && (!found || t < *next)) {
			*next = t;
			found = true;
		}
	}
	free(v.t);
	return r >= 0 && found ? 0 : -1;
}

/* --- gaps --- */

/* One item's days across the span, a chunk at a time. */
struct cursor {
	const struct sched_item *it;
	const struct tz_zone *zone;  /* the item's, or a fixed stand-in */
	int64_t day, last_day, lo, hi; /* span [lo, hi) */
	bool valid;
	struct chunk c;
	int64_t c_day;
};

static struct sched_item as_in(const struct cursor *cur)
{
	struct sched_item it = *cur->it;
	it.zone = cur->zone;
	return it;
}

/* DAY's instants within the span, spelled out, appended to V. */
static int chunk_spell(const struct cursor *cur, int64_t day, struct instants *v)
{
	struct sched_item it = as_in(cur);
	bool carried = carried_into(&it.e, day, INT64_MIN);
	size_t from = v->n, w = from;
	struct sched_tods d = sched_tods_of(&it.e, carried);
	int32_t off;
	if (day_plain(it.zone, day, &off)) {
		for (size_t i = 0; i < d.n; i++)
			if (instants_add(v, day * DAY_US + d.t[i] - (int64_t)off * US) < 0)
				return -1;
	} else if (day_spelled(&it, day, carried, v) < 0) {
		return -1;
	}
	for (size_t i = from; i < v->n; i++)
		if (v->t[i] >= cur->lo && v->t[i] < cur->hi)
			v->t[w++] = v->t[i];
	v->n = w;
	return 0;
}

static void chunk_of(struct chunk *c, const int64_t *t, size_t n)
{
	c->first = t[0];
	c->last = t[n - 1];
	c->count = (int64_t)n;
	c->min_gap = c->max_gap = c->max_at = 0;
	for (size_t i = 1; i < n; i++) {
		int64_t g = t[i] - t[i - 1];
		if (i == 1 || g < c->min_gap)
			c->min_gap = g;
		if (g > c->max_gap) {
			c->max_gap = g;
			c->max_at = t[i - 1];
		}
	}
}

/* The next chunk: a plain day's from the times of day, another spelled. */
static int cursor_advance(struct cursor *cur, struct instants *v)
{
	const struct sched_expr *e = &cur->it->e;
	for (cur->valid = false; !cur->valid && cur->day <= cur->last_day; cur->day++) {
		int64_t day = cur->day;
		if (!day_due(e, day))
			continue;
		int32_t off = 0;
		bool plain = day_plain(cur->zone, day, &off);
		int64_t base = day * DAY_US - (int64_t)off * US;
		struct sched_tods d = sched_tods_of(e, carried_into(e, day, INT64_MIN));
		if (plain && base + d.t[0] >= cur->lo && base + d.t[d.n - 1] < cur->hi) {
			cur->c = (struct chunk){ base + d.t[0], base + d.t[d.n - 1], (int64_t)d.n,
						 d.min_gap, d.max_gap, base + d.t[d.max_at] };
			cur->valid = true;
		} else {
			v->n = 0;
			if (chunk_spell(cur, day, v) < 0)
				return -1;
			if (v->n) {
				chunk_of(&cur->c, v->t, v->n);
				cur->valid = true;
			}
		}
		cur->c_day = day;
	}
	return 0;
}

struct gap_acc {
	bool have_prev, have_gap;
	int64_t prev;
	int64_t longest, longest_at, shortest; /* microseconds */
};

static void gap_add(struct gap_acc *a, int64_t from, int64_t gap)
{
	if (!a->have_gap || gap > a->longest) {
		a->longest = gap;
		a->longest_at = from;
	}
	if (!a->have_gap || gap < a->shortest)
		a->shortest = gap;
	a->have_gap = true;
}

static void acc_instant(struct gap_acc *a, int64_t t)
{
	if (a->have_prev && t <= a->prev)
		return;
	if (a->have_prev)
		gap_add(a, a->prev, t - a->prev);
	a->prev = t;
	a->have_prev = true;
}

static void acc_chunk(struct gap_acc *a, const struct chunk *c)
{
	acc_instant(a, c->first);
	if (c->count > 1) {
		gap_add(a, c->max_at, c->max_gap);
		gap_add(a, c->first, c->min_gap); /* its place never shown */
		a->prev = c->last;
	}
}

/* The cursor whose chunk starts first, or -1 when all are done. */
static int first_cursor(const struct cursor *cur, size_t n)
{
	int best = -1;
	for (size_t i = 0; i < n; i++)
		if (cur[i].valid && (best < 0 || cur[i].c.first < cur[best].c.first))
			best = (int)i;
	return best;
}

/* V's two ascending runs [0, MID) and [MID, n) into one, through TMP. */
static int merge_runs(struct instants *v, size_t mid, struct instants *tmp)
{
	tmp->n = 0;
	size_t i = 0, j = mid;
	while (i < mid || j < v->n) {
		bool left = j == v->n || (i < mid && v->t[i] <= v->t[j]);
		if (instants_add(tmp, left ? v->t[i++] : v->t[j++]) < 0)
			return -1;
	}
	memcpy(v->t, tmp->t, v->n * sizeof *v->t);
	return 0;
}

/* Chunks of several items that overlap, spelled out and merged. */
static int acc_cluster(struct gap_acc *a, struct cursor *cur, size_t n, int i,
		       struct instants *v, struct instants *all)
{
	int64_t end = cur[i].c.last;
	all->n = 0;
	for (bool more = true; more;) {
		more = false;
		for (size_t j = 0; j < n; j++) {
			if (!cur[j].valid || cur[j].c.first > end)
				continue;
			if (cur[j].c.last > end)
				end = cur[j].c.last;
			size_t mid = all->n;
			if (chunk_spell(&cur[j], cur[j].c_day, all) < 0 ||
			    merge_runs(all, mid, v) < 0 || cursor_advance(&cur[j], v) < 0)
				return -1;
			more = true;
		}
	}
	for (size_t k = 0; k < all->n; k++)
		acc_instant(a, all->t[k]);
	return 0;
}

/* The union's gaps over [LO[i], HI[i]), each item in ZONES[i]. */
static int union_gaps(const struct schedule *s, const struct tz_zone **zones,
		      const int64_t *lo, const int64_t *hi, struct gap_acc *a)
{
	struct cursor *cur = calloc(s->n, sizeof *cur);
	struct instants v = { 0 }, all = { 0 };
	int r = cur ? 0 : -1;
	for (size_t i = 0; i < s->n && r == 0; i++) {
		cur[i] = (struct cursor){ .it = &s->items[i], .zone = zones[i], .lo = lo[i],
					  .hi = hi[i], .day = local_day_of(zones[i], lo[i]) - 1,
					  .last_day = local_day_of(zones[i], hi[i]) + 1 };
		r = lo[i] < hi[i] ? cursor_advance(&cur[i], &v) : 0;
	}
	for (int i; r == 0 && (i = first_cursor(cur, s->n)) >= 0;) {
		bool overlap = false;
		for (size_t j = 0; j < s->n; j++)
			overlap |= (int)j != i && cur[j].valid && cur[j].c.first <= cur[i].c.last;
		if (overlap) {
			r = acc_cluster(a, cur, s->n, i, &v, &all);
		} else {
			acc_chunk(a, &cur[i].c);
			r = cursor_advance(&cur[i], &v);
		}
	}
	free(v.t);
	free(all.t);
	free(cur);
	return r;
}

/* The first instant at or after local midnight of January 1 of YEAR, in
 * seconds. */
static int64_t year_start(const struct tz_zone *z, int64_t year)
{
	int64_t local = tz_days_from_civil(year, 1, 1) * DAY, t[2], at;
	int32_t before, after;
	if (tz_from_local(z, local, t) > 0)
		return t[0];
	return tz_skip_of(z, local, &at, &before, &after) == 0 ? at : local;
}

/* The item's span within [LO, HI): for one that ends in the local zone's
 * abbreviation, the stretch around NOW that keeps its flag (empty when NOW
 * is outside one), as a timer started now would run it. */
static void abbr_span(const struct sched_item *it, int64_t now, int64_t lo, int64_t hi,
		      int64_t *from, int64_t *to)
{
	int64_t a, b;
	*from = lo;
	*to = hi;
	if (it->e.dst < 0)
		return;
	if (tz_abbr_stretch(now, &a, &b) != it->e.dst) {
		*to = lo;
		return;
	}
	if (a != INT64_MIN && a * US > lo)
		*from = a * US;
	if (b != INT64_MAX && b * US < hi)
		*to = b * US;
}

int schedule_gaps(const struct schedule *s, int64_t now, struct schedule_gaps *out)
{
	if (!s->n || s->n > 64)
		return -1;
	const struct tz_zone *zones[64], *fixed[64];
	int64_t y, los[64], his[64];
	int m, d;
	tz_civil_from_days(local_day_of(s->items[0].zone, now * US), &y, &m, &d);
	int64_t lo = year_start(s->items[0].zone, y), hi = year_start(s->items[0].zone, y + 29);
	for (size_t i = 0; i < s->n; i++) {
		zones[i] = s->items[i].zone;
		fixed[i] = tz_fixed(tz_offset_at(zones[i], lo));
		if (!fixed[i])
			return -1;
		abbr_span(&s->items[i], now, lo * US, hi * US, &los[i], &his[i]);
	}
	struct gap_acc real = { 0 }, usual = { 0 };
	if (union_gaps(s, zones, los, his, &real) < 0 || !real.have_gap ||
	    union_gaps(s, fixed, los, his, &usual) < 0 || !usual.have_gap)
		return -1;
	/* In whole seconds, an interval must cover the longest gap: up. */
	*out = (struct schedule_gaps){
		.longest_us = real.longest, .longest_at_us = real.longest_at,
		.shortest_us = real.shortest, .usual_longest_us = usual.longest,
		.longest = (real.longest + US - 1) / US, .shortest = real.shortest / US,
		.usual_longest = (usual.longest + US - 1) / US,
	};
	return 0;
}

/* --- RFC 3339 --- */

int schedule_format(int64_t t_us, const char *zone, char *buf, size_t len)
{
	const struct tz_zone *z = tz_load(zone, NULL, 0);
	if (!z)
		return -1;
	int64_t t = floor_div(t_us, US), frac = t_us - t * US;
	int32_t off = tz_offset_at(z, t);
	int64_t local = t + off, y;
	int m, d;
	tz_civil_from_days(floor_div(local, DAY), &y, &m, &d);
	int64_t sod = local - floor_div(local, DAY) * DAY;
	int32_t a = off < 0 ? -off : off;
	char fr[8] = "";
	if (frac)
		snprintf(fr, sizeof fr, ".%06d", (int)frac);
	int n = snprintf(buf, len, "%04lld-%02d-%02dT%02d:%02d:%02d%s%c%02d:%02d", (long long)y,
			 m, d, (int)(sod / 3600), (int)(sod / 60 % 60), (int)(sod % 60), fr,
			 off < 0 ? '-' : '+', (int)(a / 3600), (int)(a / 60 % 60));
	return n > 0 && (size_t)n < len && y >= 0 && y <= 9999 ? 0 : -1;
}

/* N digits at P into *OUT. */
static const char *digits(const char *p, int n, int *out)
{
	*out = 0;
	for (int i = 0; i < n; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return NULL;
		*out = *out * 10 + (*p - '0');
	}
	return p;
}

static const char *expect(const char *p, const char *set)
{
	return p && *p && strchr(set, *p) ? p + 1 : NULL;
}

int schedule_parse_time(const char *text, int64_t *t)
{
	int y, mo, d, h, mi, s, oh = 0, om = 0, sign = 1;
	int64_t us = 0;
	const char *p = digits(text, 4, &y);
	p = p ? expect(p, "-") : NULL;
	p = p ? digits(p, 2, &mo) : NULL;
	p = p ? expect(p, "-") : NULL;
	p = p ? digits(p, 2, &d) : NULL;
	p = p ? expect(p, "Tt ") : NULL;
	p = p ? digits(p, 2, &h) : NULL;
	p = p ? expect(p, ":") : NULL;
	p = p ? digits(p, 2, &mi) : NULL;
	p = p ? expect(p, ":") : NULL;
	p = p ? digits(p, 2, &s) : NULL;
	if (p && *p == '.' && isdigit((unsigned char)p[1]))
		for (int p10 = US / 10; isdigit((unsigned char)*++p); p10 /= 10)
			us += (int64_t)(*p - '0') * p10; /* past a microsecond, after is after */
	if (p && (*p == 'Z' || *p == 'z')) {
		p++;
	} else if (p && (*p == '+' || *p == '-')) {
		sign = *p == '-' ? -1 : 1;
		p = digits(p + 1, 2, &oh);
		p = p ? expect(p, ":") : NULL;
		p = p ? digits(p, 2, &om) : NULL;
	} else {
		p = NULL;
	}
	if (!p || *p || mo < 1 || mo > 12 || d < 1 || d > tz_month_days(y, mo) || h > 23 ||
	    mi > 59 || s > 59 || oh > 23 || om > 59)
		return -1;
	*t = (tz_days_from_civil(y, mo, d) * DAY + (int64_t)h * 3600 + (int64_t)mi * 60 + s -
	      (int64_t)sign * (oh * 3600 + om * 60)) * US + us;
	return 0;
}
