/* Which signals hbrun passes on to the job, and which ask it to stop.
 * Pure: the supervisor and the random delay both go by them. */
#ifndef HBRUN_SIGNALS_H
#define HBRUN_SIGNALS_H

#include <stdbool.h>

/* Whether SIG is one of hbrun's signals to forward. */
bool signal_is_forwarded(int sig);

/* Whether SIG asks the job to stop (TERM, INT, HUP, QUIT). */
bool signal_is_stop(int sig);

#endif
