/* Cron expressions as Debian's cron reads them: five fields or an @word. */
#ifndef HBRUN_CRON_H
#define HBRUN_CRON_H

#include <stddef.h>

#include "sched_expr.h"

/* TEXT into E.  Returns 0, or -1 with ERR saying why TEXT is unusable. */
int cron_parse(const char *text, struct sched_expr *e, char *err, size_t errlen);

#endif
