/* create, ensure and update with a schedule: the interval it needs. */
#ifndef HBCTL_SCHED_VALUES_H
#define HBCTL_SCHED_VALUES_H

#include "cli.h"

/* Set A's interval to the longest gap of its --schedule, or, for ensure
 * given neither --interval nor --schedule, of the schedule in the config
 * file's section [NAME] (CONFIG: -c FILE or NULL, the search), whose
 * timeout and ping_deadline then give the grace.  Returns -1 when all is
 * well, else hbctl's exit status (the message said). */
int hbctl_schedule_values(struct hbctl_args *a, const char *config);

#endif
