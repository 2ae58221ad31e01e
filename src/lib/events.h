/* Which request a run's ending calls for, and what it says: the exit
 * status and message fields of the templates.  Pure. */
#ifndef HBRUN_EVENTS_H
#define HBRUN_EVENTS_H

#include <stdbool.h>

enum event { EVENT_START, EVENT_SUCCESS, EVENT_FAIL, EVENT_COUNT };

/* How a run ended, as far as the requests care. */
struct run_ending {
	bool ran;            /* false: the command could not be run */
	int exec_status;     /* !ran: 126 or 127 */
	int wstatus;         /* ran: what waitpid() gave */
	bool succeeded;      /* ran: its status counts as a success */
	int stop_signal;     /* the stop signal that came while it ran, or 0 */
	bool timed_out;
	double timeout;      /* timed_out: the limit, in seconds */
	bool oom_killed;     /* the OOM killer struck in its cgroup meanwhile */
};

struct event_report {
	enum event event;    /* EVENT_SUCCESS or EVENT_FAIL */
	int exit_status;     /* never 0 for EVENT_FAIL */
	char message[64];
};

/* The end request of ENDING.  When endings combine, the first that
 * applies names the run: timed out, asked to stop, killed by a signal,
 * exited. */
void event_of(const struct run_ending *ending, struct event_report *out);

/* "started": the message of the start request. */
extern const char event_started_message[];

/* "start", "ping", "fail": a request's name in messages. */
const char *event_name(enum event event);

#endif
