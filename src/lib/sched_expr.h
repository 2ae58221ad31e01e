/* One expression of a schedule, as both grammars read it: which days are
 * due (in the expression's zone) and which times of those days.  Written
 * by cron.c and calendar.c, read by schedule.c. */
#ifndef HBRUN_SCHED_EXPR_H
#define HBRUN_SCHED_EXPR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define SCHED_YEAR_MIN 1970
#define SCHED_YEAR_MAX 2199
#define SCHED_US 1000000 /* due times are microseconds: a second's fraction */
/* At most this many due times in a day (four a second): a day's times are
 * kept as a list, walked on the days of a clock change, and an event
 * beyond it is refused. */
#define SCHED_TODS_MAX 345600

struct sched_expr {
	bool cron;          /* else a calendar event */
	bool wild;          /* cron: minute or hour begins with '*' */
	bool day_or;        /* cron: day of month OR day of week */
	bool any_year;
	uint64_t years[4];  /* bit y - SCHED_YEAR_MIN */
	uint16_t months;    /* bit m, 1-12 */
	uint32_t dom;       /* bit d, 1-31 */
	uint32_t dom_end;   /* calendar "~": bit k, the kth last day */
	uint8_t dows;       /* bit w, 0 = Sunday */
	int64_t *tods;      /* due microseconds of a due day, ascending */
	size_t ntods;
	int64_t tod_min_gap, tod_max_gap; /* between them, 0 with one */
	size_t tod_max_at;  /* the index that starts the first longest */
	/* calendar: ends in the local zone's abbreviation of standard time
	 * (0) or of daylight saving time (1), due only while it holds; -1 */
	int dst;
	/* calendar: where systemd's search resumes on a due day it reached
	 * by carrying a repetition past the previous due day's end
	 * ("*:10/33" from 23:43 carries to 00:16; see hbrun(1)), 0 with no
	 * such carry; CARRY_MONTH: only into a month's first day (a
	 * repetition of hours).  Such a day's times are NCARRY: CARRY_TODS,
	 * or where that is NULL, TODS from CARRY_IDX on; their gaps. */
	int64_t carry_at;
	bool carry_month;
	int64_t *carry_tods;
	size_t carry_idx, ncarry;
	int64_t carry_min_gap, carry_max_gap;
	size_t carry_max_at; /* into the carried day's times */
	/* calendar: the days of January before this one are skipped after
	 * a due December whose repetition of days carried past its end
	 * ("*-*-1/12" from 26 December gives 13 January); 0 none. */
	int carry_jan;
};

/* A due day's times and their gaps: a carried day's (see carry_at), or
 * every day's. */
struct sched_tods {
	const int64_t *t;
	size_t n;
	int64_t min_gap, max_gap;
	size_t max_at;
};

static inline struct sched_tods sched_tods_of(const struct sched_expr *e, bool carried)
{
	if (!carried)
		return (struct sched_tods){ e->tods, e->ntods, e->tod_min_gap, e->tod_max_gap,
					    e->tod_max_at };
	return (struct sched_tods){ e->carry_tods ? e->carry_tods : e->tods + e->carry_idx,
				    e->ncarry, e->carry_min_gap, e->carry_max_gap,
				    e->carry_max_at };
}

/* Frees what E holds. */
static inline void sched_expr_free(struct sched_expr *e)
{
	free(e->tods);
	free(e->carry_tods);
	e->tods = e->carry_tods = NULL;
}

static inline bool sched_year_ok(const struct sched_expr *e, int64_t y)
{
	if (e->any_year)
		return true;
	if (y < SCHED_YEAR_MIN || y > SCHED_YEAR_MAX)
		return false;
	int64_t b = y - SCHED_YEAR_MIN;
	return e->years[b / 64] >> (b % 64) & 1;
}

/* Whether the local date Y-M-D (weekday W, month of MDAYS days) is due. */
static inline bool sched_day_due(const struct sched_expr *e, int64_t y, int m, int d,
				 int w, int mdays)
{
	if (!(e->months >> m & 1) || !sched_year_ok(e, y))
		return false;
	bool dom = e->dom_end ? (e->dom_end >> (mdays - d + 1) & 1) : (e->dom >> d & 1);
	bool dow = e->dows >> w & 1;
	return e->day_or ? dom || dow : dom && dow;
}

/* The times of day of HOURS x MINUTES (bit sets) x SECS (NSECS
 * microseconds of a minute, ascending), with their gaps; -1 when out of
 * memory or more than SCHED_TODS_MAX. */
int sched_set_tods(struct sched_expr *e, uint32_t hours, uint64_t minutes,
		   const int32_t *secs, size_t nsecs);

/* The gaps of the N times T, the longest's index into *MAX_AT. */
void sched_tod_gaps(const int64_t *t, size_t n, int64_t *min_gap, int64_t *max_gap,
		    size_t *max_at);

#endif
