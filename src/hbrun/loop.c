#include "loop.h"

#include <errno.h>
#include <stdlib.h>

#include "http.h"
#include "monotime.h"
#include "output.h"

/* Where each source's descriptors are in the poll's array. */
struct slots {
	size_t timer, ntimer;
	size_t out, nout;
	size_t start, nstart;
	size_t n;
};

#define SLOT_SIGNAL 0
#define SLOT_JOB 1
#define OUTPUT_FDS_MAX 4

void loop_init(struct loop *l, struct supervisor *sv,
	       const struct settings *s, const char *run_id,
	       struct output *out)
{
	*l = (struct loop){ .sv = sv, .s = s, .run_id = run_id, .out = out };
	l->start_wanted = notify_wanted(s, EVENT_START);
	l->start.done = true;
	l->start.body_limit = -1;
}

/* Room for N descriptors: the small array, or one on the heap; NULL when
 * none can be had. */
static struct pollfd *room(struct loop *l, size_t n)
{
	if (n <= LOOP_FDS_SMALL)
		return l->small;
	if (n > l->big_cap) {
		struct pollfd *p = realloc(l->big, n * sizeof *p);
		if (!p)
			return NULL;
		l->big = p;
		l->big_cap = n;
	}
	return l->big;
}

/* Every source's descriptors, the timeout's only while the job is waited
 * for (a job that ended first cancels the timeout). */
static struct pollfd *gather(struct loop *l, struct slots *at, bool waiting)
{
	const struct supervisor *sv = l->sv;
	size_t ntimer = waiting ? timeout_nfds(&sv->timeout) : 0;
	size_t want = 2 + ntimer + OUTPUT_FDS_MAX + HTTP_FDS_MAX;
	struct pollfd *fds = room(l, want);
	if (!fds) {
		/* Short of memory: the pinned processes beyond the small
		 * array are seen when something else wakes the loop. */
		fds = l->small;
		ntimer = LOOP_FDS_SMALL - (2 + OUTPUT_FDS_MAX + HTTP_FDS_MAX);
	}
	fds[SLOT_SIGNAL] = (struct pollfd){ .fd = sv->sigfd, .events = POLLIN };
	fds[SLOT_JOB] = (struct pollfd){ .fd = sv->jobfd, .events = POLLIN };
	at->timer = 2;
	at->ntimer = ntimer ? timeout_fds(&sv->timeout, fds + 2, ntimer) : 0;
	at->out = at->timer + at->ntimer;
	at->nout = l->out ? output_fds(l->out, fds + at->out) : 0;
	at->start = at->out + at->nout;
	at->nstart = start_fds(&l->start, fds + at->start);
	at->n = at->start + at->nstart;
	return fds;
}

static double earlier(double a, double b)
{
	return !a || (b && b < a) ? b : a;
}

/* One poll over every source, until one is ready or the earliest time a
 * source or the caller (UNTIL; 0: none) asked for; then each source's
 * handler.  After the job (WAITING false) signals are only looked at for
 * a stop: true when one came. */
static bool turn(struct loop *l, double until, bool waiting)
{
	struct supervisor *sv = l->sv;
	struct slots at;
	struct pollfd *fds = gather(l, &at, waiting);
	double due = earlier(until, start_due(&l->start));
	if (waiting)
		due = earlier(due, timeout_due(&sv->timeout));
	if (poll(fds, at.n, monotime_ms_until(due)) < 0 && errno != EINTR)
		return false;
	bool stopped = false;
	if (fds[SLOT_SIGNAL].revents & POLLIN) {
		if (waiting)
			supervise_on_signal(sv);
		else
			stopped = supervise_stop_arrived(sv);
	}
	if (fds[SLOT_JOB].revents)
		supervise_on_job_end(sv);
	if (waiting)
		timeout_service(&sv->timeout, fds + at.timer, at.ntimer,
				sv->job);
	if (l->out)
		output_service(l->out, fds + at.out, (unsigned)at.nout);
	start_service(&l->start, fds + at.start, (unsigned)at.nstart);
	if (l->out && l->start.body_limit >= 0)
		output_limit(l->out, (size_t)l->start.body_limit);
	return stopped;
}

void loop_wait(struct loop *l)
{
	struct supervisor *sv = l->sv;
	if (sv->sigfd < 0 && sv->jobfd < 0) {
		supervise_wait_plain(sv);
		return;
	}
	/* Begun here, once the job runs: loading libcurl is not its delay. */
	if (l->start_wanted && supervise_waiting(sv)) {
		/* As for the end request (run.c): the job has its environment,
		 * libcurl goes without the TLS key log. */
		unsetenv("SSLKEYLOGFILE");
		start_begin(&l->start, l->s, l->run_id, sv->started_at);
	}
	while (supervise_waiting(sv))
		turn(l, 0, true);
}

/* The second the end of file and a start request under way each get
 * after the job: a ping deadline shorter than that bounds them, since the
 * whole tail of a run fits in it. */
static double tail_second(const struct loop *l)
{
	return l->s->ping_deadline < 1.0 ? l->s->ping_deadline : 1.0;
}

/* Whether the output still needs the loop, and until when (0: no time
 * limit, bytes are owed).  The second for the end of file counts from
 * the moment the owed bytes have gone out. */
static bool output_busy(struct loop *l, double *until)
{
	*until = 0;
	if (!l->out || !output_open(l->out))
		return false;
	if (output_owed(l->out))
		return true;
	if (!l->drained_at)
		l->drained_at = monotime_now();
	*until = l->drained_at + tail_second(l);
	return monotime_now() < *until;
}

bool loop_finish(struct loop *l)
{
	double limit = monotime_now() + tail_second(l);
	start_last_attempt(&l->start, limit);
	if (l->out)
		output_job_ended(l->out);
	for (bool stopped = false;;) {
		double out_until;
		bool out_busy = output_busy(l, &out_until);
		bool start_busy = !l->start.done && monotime_now() < limit;
		if (stopped || (!out_busy && !start_busy)) {
			start_abandon(&l->start);
			if (l->out)
				output_close(l->out);
			free(l->big);
			l->big = NULL;
			return stopped;
		}
		stopped = turn(l, earlier(out_busy ? out_until : 0,
					  start_busy ? limit : 0), false);
	}
}
