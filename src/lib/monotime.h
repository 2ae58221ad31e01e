/* The one clock hbrun measures time with: monotonic, in seconds. */
#ifndef HBRUN_MONOTIME_H
#define HBRUN_MONOTIME_H

/* Seconds on CLOCK_MONOTONIC: only differences mean anything.  Never
 * fails on Linux. */
double monotime_now(void);

/* Milliseconds from now until AT (monotonic seconds) as poll() takes
 * them, rounded up so that the wait never ends before AT; -1 (no limit)
 * when AT is 0, for "no such time". */
int monotime_ms_until(double at);

#endif
