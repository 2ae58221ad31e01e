/* The job: started with vfork + exec, its signals forwarded, waited for.
 *
 * hbrun blocks every signal it forwards and reads them from a signalfd, so
 * no handler ever runs and nothing is lost between vfork and exec.  The job
 * gets back the mask and the ignored signals hbrun inherited. */
#ifndef HBRUN_SUPERVISE_H
#define HBRUN_SUPERVISE_H

#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "cancel.h"
#include "jobctl.h"

struct supervisor {
	sigset_t inherited_mask; /* hbrun's mask at start: the job's */
	sigset_t forwarded;      /* blocked here, read from sigfd */
	bool chld_ignored;       /* SIGCHLD was SIG_IGN at start */
	int sigfd;
	pid_t job;               /* 0 once reaped */
	int wstatus;
	bool pid1;
	bool stop_requested;     /* TERM, INT, HUP or QUIT came */
	struct timeout timeout;  /* --timeout; timeout_init() it to set one */
	int stop_signal;         /* the first of them, or 0 */
	double started_at;       /* monotonic seconds: the job's start */
	double ended_at;         /* and its end (when reaped) */
	/* What the job and the descendants it waited for used, as wait4()
	 * gave it when the job was reaped; usage_known false: not known. */
	struct rusage usage;
	bool usage_known;
	int jobfd;               /* without sigfd: the job's pidfd until
				    reaped; else -1 */
	/* The job's stdout and stderr: descriptors handed over to it (and
	 * closed here once it has them), or -1 for hbrun's own. */
	int job_stdio[2];
};

/* Make sure fds 0, 1 and 2 are open (on /dev/null when they were not). */
void stdio_ensure_open(void);

/* Block the forwarded signals and open the signalfd.  Returns 0, or -1
 * with errno set. */
int supervise_init(struct supervisor *sv);

/* Start ARGV as the job.  Returns 0, or an errno value when the job could
 * not be executed (it never ran).  The timeout, if set, counts from here.
 * The wait is the caller's (see loop.h), by the calls below. */
int supervise_start(struct supervisor *sv, char *const argv[]);

/* The signalfd is readable: read one signal, reap or forward it. */
void supervise_on_signal(struct supervisor *sv);

/* The job's pidfd is readable: reap it. */
void supervise_on_job_end(struct supervisor *sv);

/* Whether the wait goes on: the job runs, or after a timeout, processes
 * it signalled still run (timeout_fired() then tells). */
bool supervise_waiting(const struct supervisor *sv);

/* Where neither the signalfd nor a pidfd can be had: a blocking wait for
 * the job alone. */
void supervise_wait_plain(struct supervisor *sv);

/* After the job: read any pending signals (reaping orphans as PID 1);
 * true when one of them was a stop signal. */
bool supervise_stop_arrived(struct supervisor *sv);

/* SV's signalfd and supervise_stop_arrived(), as the shared modules take
 * a caller's cancellation (cancel.h). */
struct cancel supervise_cancel(struct supervisor *sv);

/* Once the end request is done: the signalfd closed, the timeout's timer
 * and the processes it pinned let go.  The signals stay blocked. */
void supervise_free(struct supervisor *sv);

#endif
