/* Calendar events as systemd.time(7) defines them. */
#ifndef HBRUN_CALENDAR_H
#define HBRUN_CALENDAR_H

#include <stddef.h>

#include "sched_expr.h"

/* TEXT into E, and *ZONE the zone the event names at its end (malloc'd)
 * or NULL.  Returns 0, or -1 with ERR saying why TEXT is unusable. */
int calendar_parse(const char *text, struct sched_expr *e, char **zone, char *err,
		   size_t errlen);

#endif
