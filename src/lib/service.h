/* The heartbeat services hbrun knows: the URL templates of each one's
 * start, success and fail requests, its default base and method.  See
 * hbrun(1) for where each comes from. */
#ifndef HBRUN_SERVICE_H
#define HBRUN_SERVICE_H

#include "events.h"

struct service {
	const char *name;
	const char *base;              /* NULL: api_url is required */
	const char *path[EVENT_COUNT]; /* after the base; NULL: not sent */
	const char *method;
	long long max_duration_ms;     /* the most the service takes; 0: any */
};

/* The service NAME (NULL: the default, tickstem), or NULL if unknown. */
const struct service *service_find(const char *name);

/* The preset template of EVENT under BASE (its braces kept literal, a
 * trailing slash dropped); malloc'd, NULL when the service sends no such
 * request or memory ran out. */
char *service_template(const struct service *svc, const char *base,
		       enum event event);

#endif
