/* The start request: sent while the job runs, moved on by the wait loop
 * (loop.h) as its sockets and timers say, so that it never holds up the
 * job or the forwarding of a signal.  Retried by the ping's policy within its own deadline counted
 * from the job's start; once the job has ended it gets a last moment, no
 * further attempt, and is then abandoned.  It never waits itself: its
 * caller's poll watches its descriptors and its time. */
#ifndef HBRUN_START_H
#define HBRUN_START_H

#include <poll.h>
#include <stdbool.h>

#include "http.h"
#include "notify.h"

struct start_request {
	const struct settings *s;
	struct planned_request plan;
	struct http_request http;
	struct http_reply reply;
	struct http_transfer *t; /* the attempt under way, or NULL */
	double end;              /* the deadline, monotonic seconds */
	double attempt_end;      /* the attempt's own hard end */
	double next_at;          /* t NULL: when the next attempt begins */
	int attempts;
	bool done;               /* sent, failed or given up */
	bool last;               /* the job has ended: no further attempt */
	long body_limit;         /* a reply's Ping-Body-Limit; -1: none */
	char *body;              /* Sentry's monitor configuration, or NULL */
};

/* Plan the start request of S for a job started at STARTED (monotonic
 * seconds) and begin its first attempt.  False when there is none to
 * send (sr->done is then true). */
bool start_begin(struct start_request *sr, const struct settings *s,
		 const char *run_id, double started);

/* The descriptors to watch for the request (at most HTTP_FDS_MAX into
 * FDS); returns how many. */
unsigned start_fds(const struct start_request *sr, struct pollfd *fds);

/* When the request is to be moved on even if none of them is ready:
 * monotonic seconds; 0 for no such time. */
double start_due(const struct start_request *sr);

/* Move the request on by what a poll found (FDS, N of them, others'
 * among them) and by the clock.  True when an attempt began or ended. */
bool start_service(struct start_request *sr, const struct pollfd *fds,
		   unsigned n);

/* The job has ended: no further attempt; the one under way may go on
 * until LIMIT (monotonic seconds), when start_abandon() ends it. */
void start_last_attempt(struct start_request *sr, double limit);
void start_abandon(struct start_request *sr);

#endif
