/* The schedule's part of --check.  Only here, and only when asked, does
 * hbrun compute the schedule's figures: a run never does before its job. */
#include "sched_check.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "schedule.h"

/* US microseconds as seconds: "90", or "0.25" with the fraction's
 * trailing zeros left out. */
static void seconds(int64_t us, char *buf, size_t len)
{
	char frac[16];
	snprintf(frac, sizeof frac, "%06lld", (long long)(us % 1000000));
	size_t n = strlen(frac);
	while (n && frac[n - 1] == '0')
		frac[--n] = 0;
	snprintf(buf, len, "%lld%s%s", (long long)(us / 1000000), n ? "." : "", frac);
}

/* US microseconds as "3d 2h 5m 7.5s", the zero parts left out. */
static void span(int64_t us, char *buf, size_t len)
{
	static const int64_t unit[] = { 86400, 3600, 60 };
	static const char name[] = "dhm";
	int64_t secs = us / 1000000;
	size_t at = 0;
	buf[0] = 0;
	for (int i = 0; i < 3 && at < len; i++) {
		int64_t n = secs / unit[i];
		secs %= unit[i];
		if (n)
			at += (size_t)snprintf(buf + at, len - at, "%s%lld%c", at ? " " : "",
					       (long long)n, name[i]);
	}
	char s[32];
	seconds(secs * 1000000 + us % 1000000, s, sizeof s);
	if (at < len && (strcmp(s, "0") != 0 || at == 0))
		snprintf(buf + at, len - at, "%s%ss", at ? " " : "", s);
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
	else if (from == ZONE_FROM_ABBREVIATION)
		snprintf(buf, len, "%s (the local zone, by the abbreviation that ends the event)",
			 zone);
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
	return from == ZONE_FROM_LOCAL || from == ZONE_FROM_ABBREVIATION ? NULL : zone;
}

static void show_next(const struct schedule *sc, int64_t now)
{
	char line[256] = "";
	size_t at = 0;
	int64_t t = now * 1000000;
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
	char l_s[32], s_s[32], u_s[32];
	span(g->longest_us, longest, sizeof longest);
	span(g->shortest_us, shortest, sizeof shortest);
	span(g->usual_longest_us, usual, sizeof usual);
	seconds(g->longest_us, l_s, sizeof l_s);
	seconds(g->shortest_us, s_s, sizeof s_s);
	seconds(g->usual_longest_us, u_s, sizeof u_s);
	schedule_format(g->longest_at_us, first_zone(sc), at, sizeof at);
	printf("ok: schedule: longest gap %s s (%s), shortest %s s (%s), over this year "
	       "and the 28 after it\n",
	       l_s, longest, s_s, shortest);
	/* A clock change that stretches the longest gap is worth a line: the
	 * heartbeat's interval must cover it. */
	if (g->longest_us > g->usual_longest_us)
		printf("ok: schedule: a clock change makes the gap after %s %s s (%s), where "
		       "the longest is usually %s s (%s)\n",
		       at, l_s, longest, u_s, usual);
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
		if (s->timeout > 0 && !s->lock && s->timeout * 1e6 > (double)g.shortest_us) {
			char s_s[32];
			seconds(g.shortest_us, s_s, sizeof s_s);
			printf("problem: timeout %.15g s is longer than the schedule's shortest gap "
			       "%s s, and there is no lock: runs would overlap\n",
			       s->timeout, s_s);
			problems++;
		}
	}
	schedule_free(sc);
	return problems;
}
