/* Calendar events as systemd.time(7) defines them. */
#ifndef HBRUN_CALENDAR_H
#define HBRUN_CALENDAR_H

#include <stddef.h>

#include "sched_expr.h"

/* TEXT into E, and *ZONE the zone the event names at its end (malloc'd)
 * or NULL; an event that ends in the local zone's abbreviation has
 * E->dst 0 or 1 and no *ZONE (it is the local zone).  Returns 0, or -1
 * with ERR saying why TEXT is unusable. */
int calendar_parse(const char *text, struct sched_expr *e, char **zone, char *err,
		   size_t errlen);

#endif
