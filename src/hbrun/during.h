/* What hbrun does while the job runs, beside forwarding signals: the
 * start request and the copying of the job's output.  Both are driven
 * from the supervisor's wait loop, one poll over the signalfd and their
 * descriptors, so neither can hold up a signal. */
#ifndef HBRUN_DURING_H
#define HBRUN_DURING_H

#include <stdbool.h>

#include "settings.h"
#include "start.h"
#include "supervise.h"

struct output;

struct during {
	const struct settings *s;
	const char *run_id;
	bool start_wanted;
	bool start_begun;
	struct start_request start;
	struct output *out; /* the job's output, or NULL */
};

/* Whether a run with S needs the wait loop's help at all. */
bool during_needed(const struct settings *s, const struct output *out);

void during_init(struct during *d, const struct settings *s,
		 const char *run_id, struct output *out);

/* The supervisor's wait hook: do the work until a signal is readable on
 * SV's signalfd (then true) or something else needs looking at (false). */
bool during_wait(void *ctx, struct supervisor *sv);

/* The job has ended: give the start request and the output what is left
 * of one more second, then end both.  True when a stop signal came
 * meanwhile: then no end request is to be sent. */
bool during_finish(struct during *d, struct supervisor *sv);

#endif
