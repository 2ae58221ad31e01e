/* The heartbeat services hbrun knows: the URL templates of each one's
 * start, success and fail requests, its default base and method.  See
 * hbrun(1) for where each comes from. */
#ifndef HBRUN_SERVICE_H
#define HBRUN_SERVICE_H

#include <stdbool.h>

#include "events.h"

/* The token is a Sentry DSN: the base and the start of each path are
 * the DSN's (see dsn.h), the paths below follow them. */
#define SERVICE_DSN 0x1
/* A token KEY/SLUG keeps its slash; with a monitor set, the paths of
 * monitor_path[] (the monitor named in the URL, created if missing). */
#define SERVICE_SLUGS 0x2

struct service {
	const char *name;
	const char *base;              /* NULL: api_url is required */
	const char *path[EVENT_COUNT]; /* after the base; NULL: not sent */
	const char *method;
	long long max_duration_ms;     /* the most the service takes; 0: any */
	unsigned flags;
	const char *monitor_path[EVENT_COUNT]; /* SERVICE_SLUGS */
};

/* The service NAME (NULL: the default, tickstem), or NULL if unknown. */
const struct service *service_find(const char *name);

/* The preset template of EVENT under BASE (its braces kept literal, a
 * trailing slash dropped); malloc'd, NULL when the service sends no such
 * request or memory ran out. */
char *service_template(const struct service *svc, const char *base,
		       enum event event);

/* The same for a service flagged SERVICE_SLUGS or SERVICE_DSN, given the
 * TOKEN and whether a MONITOR is set.  PATH is what service_template()
 * would join: the token goes in as KEY/SLUG with its slash kept, each
 * part escaped; with a DSN, BASE NULL stands for the DSN's own.  NULL
 * with *WHY set (a static phrase) when TOKEN cannot be used so. */
char *service_template_for(const struct service *svc, const char *base,
			   enum event event, const char *token, bool monitor,
			   const char **why);

#endif
