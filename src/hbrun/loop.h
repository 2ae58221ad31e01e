/* The wait: one poll over everything hbrun waits on while the job runs
 * and just after it ended, each source moved on by its own handler:
 *
 *   the signalfd     signals forwarded, the job (and orphans) reaped;
 *   the job's pidfd  its end, where the signalfd could not be had;
 *   the timeout      its timer's phases and the pinned processes' ends;
 *   the output       the job's pipes and hbrun's stdout and stderr;
 *   the start        the start request's sockets and its timers.
 *
 * The poll's only time limit is the earliest a source asked for (a retry
 * due, libcurl's timer, the timeout's next phase lies in its timerfd):
 * nothing wakes hbrun to look at a clock it has no business with. */
#ifndef HBRUN_LOOP_H
#define HBRUN_LOOP_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>

#include "settings.h"
#include "start.h"
#include "supervise.h"

struct output;

#define LOOP_FDS_SMALL 16

struct loop {
	struct supervisor *sv;
	const struct settings *s;
	const char *run_id;
	bool start_wanted;
	struct start_request start;
	struct output *out;   /* the job's output, or NULL */
	double drained_at;    /* when what the job wrote was all copied on */
	struct pollfd small[LOOP_FDS_SMALL];
	struct pollfd *big;   /* when the timeout pinned many processes */
	size_t big_cap;
};

void loop_init(struct loop *l, struct supervisor *sv,
	       const struct settings *s, const char *run_id,
	       struct output *out);

/* Once the job has started: wait until it has ended (and after a timeout,
 * everything it started), forwarding signals, sending the start request
 * and copying the output meanwhile. */
void loop_wait(struct loop *l);

/* The job has ended: the start request gets what is left of one more
 * second; the output is copied on until everything the job wrote has
 * gone out, however slowly it is read, then one more second for the end
 * of file; then both end.  True when a stop signal came meanwhile: then
 * no end request is to be sent. */
bool loop_finish(struct loop *l);

#endif
