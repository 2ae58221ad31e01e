/* Sentry's check-in with a monitor's configuration: the JSON body of the
 * start request that creates or updates the monitor from the job's own
 * settings (see hbrun(1), sentry).  Pure. */
#ifndef HBRUN_SENTRY_H
#define HBRUN_SENTRY_H

/* Sentry's limit for a margin and a runtime, in minutes (28 days). */
#define SENTRY_MINUTES_MAX 40320

struct sentry_monitor {
	const char *crontab;       /* five cron fields, or NULL: interval */
	long long interval_s;      /* no crontab: the longest gap, seconds */
	const char *timezone;      /* an IANA zone, or NULL: not sent */
	long long margin_min;      /* checkin_margin; 0: not sent */
	long long max_runtime_min; /* max_runtime; 0: not sent */
};

/* SECONDS in whole minutes, rounded up, within 1 and SENTRY_MINUTES_MAX. */
long long sentry_minutes(double seconds);

/* A cron expression as Sentry's crontab takes it: an @word as the five
 * fields it stands for; NULL for @reboot or another unknown @word. */
const char *sentry_crontab(const char *expr);

/* The body {"status":..,"check_in_id":..,"monitor_config":{..}}; malloc'd,
 * NULL when out of memory. */
char *sentry_checkin_body(const char *status, const char *check_in_id,
			  const struct sentry_monitor *m);

#endif
