/* The local zone's abbreviations through the C library (see tz_abbr.h). */
#include "tz_abbr.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DAY 86400
#define SEARCH_DAYS (30 * 366)

int tz_abbr_local(const char *word)
{
	tzset();
	for (int i = 0; i < 2; i++)
		if (tzname[i] && *tzname[i] && strcasecmp(word, tzname[i]) == 0)
			return i;
	return -1;
}

static bool dst_at(int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	return localtime_r(&tt, &tm) && tm.tm_isdst > 0;
}

/* The first instant from T on, a day at a time in direction DIR (1 or
 * -1), whose flag is not DST; then to the second between. */
static int64_t edge(int64_t t, bool dst, int dir)
{
	int64_t near = t, far = t;
	int n = 0;
	for (; n < SEARCH_DAYS && dst_at(far) == dst; n++) {
		near = far;
		far += dir * (int64_t)DAY;
	}
	if (n == SEARCH_DAYS)
		return dir > 0 ? INT64_MAX : INT64_MIN;
	while (far - near > 1 || near - far > 1) { /* NEAR keeps DST, FAR not */
		int64_t mid = near + (far - near) / 2;
		if (dst_at(mid) == dst)
			near = mid;
		else
			far = mid;
	}
	return dir > 0 ? far : near;
}

/* The last stretch found, per thread: the due times of one schedule are
 * asked one after the other, mostly within one stretch, and a zone that
 * never changes would otherwise be searched for 30 years each time. */
struct stretch {
	char tz[256]; /* "=" TZ, or "" for none */
	int64_t from, to;
	int dst;
	bool valid;
};

static _Thread_local struct stretch last;

int tz_abbr_stretch(int64_t t, int64_t *from, int64_t *to)
{
	struct stretch *c = &last;
	tzset();
	const char *tz = getenv("TZ");
	char key[sizeof c->tz];
	snprintf(key, sizeof key, "%s%s", tz ? "=" : "", tz ? tz : "");
	if (!c->valid || strcmp(key, c->tz) != 0 || t < c->from || t >= c->to) {
		bool dst = dst_at(t);
		c->from = edge(t, dst, -1);
		c->to = edge(t, dst, 1);
		c->dst = dst;
		c->valid = strlen(key) < sizeof key - 1;
		memcpy(c->tz, key, sizeof key);
	}
	*from = c->from;
	*to = c->to;
	return c->dst;
}
