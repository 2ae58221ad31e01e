/* hbrun --check: the schedule as read, its next due times and its gaps,
 * and whether runs would overlap (see hbrun(1)). */
#ifndef HBRUN_SCHED_CHECK_H
#define HBRUN_SCHED_CHECK_H

#include "settings.h"

/* Print the schedule's lines; TZ_FROM says where the tz setting came
 * from.  Returns how many were a problem. */
int check_schedule(const struct settings *s, const char *tz_from);

#endif
