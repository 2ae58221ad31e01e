/* When a job is due: cron expressions (as Debian's cron and Kubernetes read
 * them) and systemd calendar events (systemd.time(7)), each in an IANA
 * zone, and the union of several.  Pure but for the system's tz database
 * (and the C library's local zone, for an event that ends in its
 * abbreviation): there is no clock here, every instant is an argument
 * (Unix seconds, or microseconds where a due time is).
 * hbrun never starts a job by its schedule; it reads it to tell the
 * service, to judge its settings and to export it (see hbrun(1)). */
#ifndef HBRUN_SCHEDULE_H
#define HBRUN_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum schedule_grammar {
	SCHEDULE_CRON,      /* five fields or an @word */
	SCHEDULE_CALENDAR,  /* anything else: a systemd calendar event */
};

/* Where the zone of one expression came from. */
enum schedule_zone_from {
	ZONE_FROM_EXPRESSION, /* a calendar event that ends in a zone */
	ZONE_FROM_TZ,         /* the TZ argument (tz setting, CRON_TZ=, ...) */
	ZONE_FROM_LOCAL,      /* neither: the local zone (TZ, /etc/localtime) */
	ZONE_FROM_ABBREVIATION, /* the local zone, by a calendar event that ends
				 * in its abbreviation ("CET") */
};

struct schedule; /* one or more expressions, their union */

/* A new, empty schedule; NULL when out of memory. */
struct schedule *schedule_new(void);

/* Add EXPR, read in zone TZ (an IANA name; NULL or "" for the local zone)
 * unless it names its own.  Returns 0, or -1 with ERR (ERRLEN bytes,
 * NUL-ended) saying in one line why EXPR or TZ is unusable; the schedule
 * is then unchanged. */
int schedule_add(struct schedule *s, const char *expr, const char *tz,
		 char *err, size_t errlen);

/* How many expressions S holds; the grammar, the zone's name and where it
 * came from of the Ith (0-based). */
size_t schedule_count(const struct schedule *s);
enum schedule_grammar schedule_grammar_of(const struct schedule *s, size_t i);
const char *schedule_zone_of(const struct schedule *s, size_t i,
			     enum schedule_zone_from *from);

/* The first due time strictly after AFTER, in *NEXT, both in microseconds
 * since the epoch (a calendar event may be due at a second's fraction).
 * Returns 0, or -1 when there is none in the next 29 years. */
int schedule_next(const struct schedule *s, int64_t after, int64_t *next);

struct schedule_gaps {
	int64_t longest_us;    /* microseconds between two consecutive due times */
	int64_t longest_at_us; /* the due time that starts the longest gap */
	int64_t shortest_us;
	/* The longest gap the schedule would have if no zone changed its UTC
	 * offset: where LONGEST exceeds it, a clock change made it so (say
	 * so, with the date of LONGEST_AT). */
	int64_t usual_longest_us;
	/* The same in whole seconds for an interval: the longest ones rounded
	 * up (the interval must cover the gap), the shortest down. */
	int64_t longest, shortest, usual_longest;
};

/* The gaps between consecutive due times over the year of NOW (Unix
 * seconds; in S's first zone) and the 28 that follow.  Returns 0, or -1
 * when S has fewer than two due times in that span. */
int schedule_gaps(const struct schedule *s, int64_t now,
		  struct schedule_gaps *out);

/* T (microseconds) as RFC 3339 in zone ZONE (NULL: local) with its offset,
 * "2026-12-08T09:00:00+01:00", with six digits of fraction where it has one
 * ("...T09:00:00.250000+01:00"), into BUF.  Returns 0, or -1. */
int schedule_format(int64_t t, const char *zone, char *buf, size_t len);

/* An RFC 3339 time ("2026-12-08T09:00:00+01:00", "...Z", a fraction
 * kept to the microsecond) into *T, in microseconds.  Returns 0, or -1
 * when TEXT is not one. */
int schedule_parse_time(const char *text, int64_t *t);

/* A new schedule of TEXT: one expression, or several separated by ';'
 * (a timer's OnCalendar= lines, a job's crontab lines), their union, each
 * read in TZ as schedule_add() reads it.  NULL with ERR filled when one
 * is unusable (or out of memory). */
struct schedule *schedule_parse(const char *text, const char *tz, char *err,
				size_t errlen);

void schedule_free(struct schedule *s);

#endif
