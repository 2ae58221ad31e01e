/* Time zones from the system's tz database, read here rather than through
 * tzset()/localtime_r(): those keep one zone per process in the TZ variable,
 * and a schedule may hold several zones at once (a union of a timer's events
 * in two zones), so switching TZ back and forth would be both slow and
 * racy.  A zone is its TZif file's transitions, extended by the file's
 * closing rule (the POSIX TZ string) to the year 2200.  Zones are loaded
 * once and kept for the life of the process. */
#ifndef HBRUN_TZ_H
#define HBRUN_TZ_H

#include <stddef.h>
#include <stdint.h>

struct tz_zone;

/* The zone NAME (an IANA name such as "Europe/Berlin"; NULL or "" for the
 * local zone: TZ, else /etc/localtime, else UTC).  NULL with ERR filled
 * when it cannot be read. */
const struct tz_zone *tz_load(const char *name, char *err, size_t errlen);

/* The name the zone was loaded by (the local zone's: its TZ or link). */
const char *tz_name(const struct tz_zone *z);

/* The zone's offset from UTC at T, in seconds east. */
int32_t tz_offset_at(const struct tz_zone *z, int64_t t);

/* The instants whose local time is LOCAL (seconds since the epoch as if
 * local time were UTC), earliest first: none (a skipped time), one, or two
 * (a repeated time).  Returns how many, into OUT. */
int tz_from_local(const struct tz_zone *z, int64_t local, int64_t out[2]);

/* Whether the offset may change between instants A and B (inclusive). */
int tz_changes_between(const struct tz_zone *z, int64_t a, int64_t b);

/* How many changes of offset fall in (A, B]; the first one's instant and
 * its offsets before and after, where there is one. */
size_t tz_changes_in(const struct tz_zone *z, int64_t a, int64_t b, int64_t *at,
		     int32_t *before, int32_t *after);

/* The change of offset that skips LOCAL: its instant and the offsets
 * before and after.  Returns 0, or -1 when LOCAL is not skipped. */
int tz_skip_of(const struct tz_zone *z, int64_t local, int64_t *at,
	       int32_t *before, int32_t *after);

/* The change that repeats LOCAL (0 or -1, as above). */
int tz_repeat_of(const struct tz_zone *z, int64_t local, int64_t *at,
		 int32_t *before, int32_t *after);

/* The smallest and largest offset the zone ever has. */
void tz_offset_range(const struct tz_zone *z, int32_t *lo, int32_t *hi);

/* A zone that never changes, at OFFSET: for the gaps a schedule would
 * have without clock changes. */
const struct tz_zone *tz_fixed(int32_t offset);

/* Civil calendar arithmetic, proleptic Gregorian. */
int64_t tz_days_from_civil(int64_t y, int m, int d);
void tz_civil_from_days(int64_t days, int64_t *y, int *m, int *d);
int tz_weekday(int64_t days); /* 0 = Sunday */
int tz_month_days(int64_t y, int m);

#endif
