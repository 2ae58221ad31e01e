#include "upsert.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "msg.h"
#include "notify.h"
#include "schedule.h"
#include "sentry.h"

/* Whether S's start request is Sentry's own, sent with a body. */
static bool wanted(const struct settings *s)
{
	const char *method = notify_method(s);
	return s->service && strcmp(s->service, "sentry") == 0 &&
	       !s->start_url && !s->unusable[S_START_URL] && method &&
	       strcmp(method, "POST") == 0 && s->schedule &&
	       !s->unusable[S_SCHEDULE] && !s->unusable[S_TZ];
}

/* A zone name Sentry can take: an IANA name, not a path or an offset. */
static const char *iana(const char *zone)
{
	if (!zone || !*zone || zone[0] == '/' || zone[0] == ':')
		return NULL;
	return strchr(zone, '/') || strcmp(zone, "UTC") == 0 ? zone : NULL;
}

/* SC as Sentry takes it, into M: a cron expression as its crontab,
 * anything else (several expressions too) as the longest gap.  False when
 * it cannot be. */
static bool monitor_schedule(const struct settings *s,
			     const struct schedule *sc, struct sentry_monitor *m)
{
	enum schedule_zone_from from;
	m->timezone = iana(s->tz) ? s->tz : iana(schedule_zone_of(sc, 0, &from));
	if (schedule_count(sc) == 1 &&
	    schedule_grammar_of(sc, 0) == SCHEDULE_CRON &&
	    (m->crontab = sentry_crontab(s->schedule)))
		return true;
	struct schedule_gaps gaps;
	if (schedule_gaps(sc, (int64_t)time(NULL), &gaps) != 0)
		return false;
	m->interval_s = gaps.longest;
	return true;
}

char *upsert_body(const struct settings *s, const char *run_id)
{
	if (!wanted(s))
		return NULL;
	/* One expression, or several separated by ';'. */
	char err[256];
	struct schedule *sc = schedule_parse(s->schedule, s->tz, err, sizeof err);
	if (!sc) {
		msg_warn("schedule: %s; the start request goes without "
			 "Sentry's monitor configuration", err);
		return NULL;
	}
	struct sentry_monitor m = { 0 };
	char *body = NULL;
	/* M's zone may point into SC: the body is made before SC is freed. */
	if (monitor_schedule(s, sc, &m)) {
		/* The start request comes at most random_delay and a ping
		 * deadline after a due time; never less than the grace hbctl
		 * gives a heartbeat. */
		double grace = s->timeout > 0 ? s->timeout + s->ping_deadline
					      : 300.0;
		double late = s->random_delay + s->ping_deadline;
		m.margin_min = sentry_minutes(grace > late ? grace : late);
		/* The latest a run's end request can come. */
		if (s->timeout > 0)
			m.max_runtime_min = sentry_minutes(
				s->timeout + s->kill_after + s->ping_deadline);
		body = sentry_checkin_body("in_progress", run_id, &m);
	}
	schedule_free(sc);
	return body;
}
