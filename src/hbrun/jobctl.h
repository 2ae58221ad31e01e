/* Job control around the job's run: the random delay before it, and the
 * timeout that ends the job and everything it started.  See hbrun(1). */
#ifndef HBRUN_JOBCTL_H
#define HBRUN_JOBCTL_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tree.h"

#define EXIT_TIMED_OUT 124

/* Pure: a uniformly random wait from 0 to MAX seconds, drawn from the
 * 64 random bits R. */
double delay_from_bits(uint64_t r, double max);

/* Wait a random 0 to MAX seconds, reading signals from SIGFD meanwhile.
 * Returns 0, or at once the stop signal (TERM, INT, HUP, QUIT) that came,
 * which is to end hbrun as killed by it; any other signal is read and
 * dropped. */
int delay_before_job(double max, int sigfd);

enum timeout_phase { TIMEOUT_WAITING, TIMEOUT_TERM, TIMEOUT_KILL };

struct timeout {
	double secs;       /* 0: no timeout */
	double kill_after; /* 0: never KILL */
	int timerfd;       /* -1 until armed */
	enum timeout_phase phase;
	struct tree tree;
	double looked_at;  /* processes without pidfds last looked for */
};

/* Before the job starts: with SECS set, make hbrun the subreaper of the
 * job's tree, so that orphans stay below it to be found.  0, or -1 with
 * errno set. */
int timeout_init(struct timeout *t, double secs, double kill_after);

/* Once the job has started: start counting SECS.  0, or -1 with errno. */
int timeout_arm(struct timeout *t);

/* The descriptors the timeout waits on, for the caller's poll: the timer,
 * then the pinned processes' pidfds.  timeout_nfds() says how many there
 * are; timeout_fds() puts at most MAX of them into FDS. */
size_t timeout_nfds(const struct timeout *t);
size_t timeout_fds(const struct timeout *t, struct pollfd *fds, size_t max);

/* When to look again even if none of them is ready (processes pinned
 * without a pidfd): monotonic seconds; 0 for no such time. */
double timeout_due(const struct timeout *t);

/* The timer's phases and the pinned processes' ends, by what a poll found
 * on the N descriptors timeout_fds() gave (FDS) and by the clock.  JOB is
 * the job's PID, 0 once reaped. */
void timeout_service(struct timeout *t, const struct pollfd *fds, size_t n,
		     pid_t job);

/* Whether the timeout fired. */
bool timeout_fired(const struct timeout *t);

/* Whether the timeout fired and processes it signalled still run. */
bool timeout_busy(const struct timeout *t);

void timeout_free(struct timeout *t);

#endif
