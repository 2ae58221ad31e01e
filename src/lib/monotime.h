/* The one clock hbrun measures time with: monotonic, in seconds. */
#ifndef HBRUN_MONOTIME_H
#define HBRUN_MONOTIME_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything.  Never
 * fails on Linux. */
double monotime_now(void);

#endif
