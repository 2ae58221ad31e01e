/* The schedule's part of --check.  Only here, and only when asked, does
 * hbrun compute the schedule's figures: a run never does before its job. */
#include "sched_check.h"

#include <stdio.h>
#include <time.h>

#include "msg.h"
#include "schedule.h"

/* SECS as "3d 2h 5m 7s", the zero parts left out. */
static void span(int64_t secs, char *buf, size_t len)
{
	static const int64_t unit[] = { 86400, 3600, 60, 1 };
	static const char name[] = "dhms";
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < 4 && at < len; i++) {
		int64_t n = secs / unit[i];
		secs %= unit[i];
		if (n || (i == 3 && at == 0))
			at += (size_t)snprintf(buf + at, len - at, "%s%lld%c", at ? " " : "",
					       (long long)n, name[i]);
	}
}

static const char *zone_shown(const struct schedule *sc, size_t i, const char *tz_from,
			      char *buf, size_t len)
{
	enum schedule_zone_from from;
	const char *zone = schedule_zone_of(sc, i, &from);
	if (from == ZONE_FROM_EXPRESSION)
		snprintf(buf, len, "%s (named by the event)", zone);
	else if (from == ZONE_FROM_TZ)
		snprintf(buf, len, "%s (tz, %s)", zone, tz_from);
	else
		snprintf(buf, len, "%s (the local zone)", zone);
	return buf;
}

static void show_read(const struct schedule *sc, const char *tz_from)
{
	for (size_t i = 0; i < schedule_count(sc); i++) {
		char zone[256];
		printf("ok: schedule: %s in zone %s\n",
		       schedule_grammar_of(sc, i) == SCHEDULE_CRON
			       ? "a cron expression (as Debian's cron runs it)"
			       : "a systemd calendar event (as systemd runs it)",
		       zone_shown(sc, i, tz_from, zone, sizeof zone));
	}
}

/* The first zone's name to show times in; NULL: the local zone. */
static const char *first_zone(const struct schedule *sc)
{
	enum schedule_zone_from from;
	const char *zone = schedule_zone_of(sc, 0, &from);
	return from == ZONE_FROM_LOCAL ? NULL : zone;
}

static void show_next(const struct schedule *sc, int64_t now)
{
	char line[256] = "";
	size_t at = 0;
	int64_t t = now;
	for (int i = 0; i < 3 && schedule_next(sc, t, &t) == 0; i++) {
		char when[64];
		if (schedule_format(t, first_zone(sc), when, sizeof when) == 0)
			at += (size_t)snprintf(line + at, sizeof line - at, "%s%s", i ? ", " : "",
					       when);
	}
	if (at)
		printf("ok: schedule: next due %s\n", line);
	else
		msg_warn("schedule: no due time in the next 29 years");
}

static void show_gaps(const struct schedule *sc, const struct schedule_gaps *g)
{
	char longest[64], shortest[64], usual[64], at[64] = "?";
	span(g->longest, longest, sizeof longest);
	span(g->shortest, shortest, sizeof shortest);
	span(g->usual_longest, usual, sizeof usual);
	schedule_format(g->longest_at, first_zone(sc), at, sizeof at);
	printf("ok: schedule: longest gap %lld s (%s), shortest %lld s (%s), over this year "
	       "and the 28 after it\n",
	       (long long)g->longest, longest, (long long)g->shortest, shortest);
	/* A clock change that stretches the longest gap is worth a line: the
	 * heartbeat's interval must cover it. */
	if (g->longest > g->usual_longest)
		printf("ok: schedule: a clock change makes the gap after %s %lld s (%s), where "
		       "the longest is usually %lld s (%s)\n",
		       at, (long long)g->longest, longest, (long long)g->usual_longest, usual);
}

int check_schedule(const struct settings *s, const char *tz_from)
{
	if (s->unusable[S_SCHEDULE] || s->unusable[S_TZ] || !s->schedule)
		return 0; /* the settings' own warning has said it */
	char err[256];
	struct schedule *sc = schedule_parse(s->schedule, s->tz, err, sizeof err);
	if (!sc) {
		msg_warn("schedule unusable: %s; no figure of it is used", err);
		return 0;
	}
	int64_t now = (int64_t)time(NULL);
	struct schedule_gaps g;
	int problems = 0;
	show_read(sc, tz_from);
	show_next(sc, now);
	if (schedule_gaps(sc, now, &g) < 0) {
		msg_warn("schedule: fewer than two due times in this year and the 28 after "
			 "it; no gaps");
	} else {
		show_gaps(sc, &g);
		if (s->timeout > 0 && !s->lock && s->timeout > (double)g.shortest) {
			printf("problem: timeout %.15g s is longer than the schedule's shortest gap "
			       "%lld s, and there is no lock: runs would overlap\n",
			       s->timeout, (long long)g.shortest);
			problems++;
		}
	}
	schedule_free(sc);
	return problems;
}
