#include "during.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "monotime.h"
#include "output.h"

#define FDS_MAX 5

bool during_needed(const struct settings *s, const struct output *out)
{
	return out || notify_wanted(s, EVENT_START);
}

void during_init(struct during *d, const struct settings *s,
		 const char *run_id, struct output *out)
{
	*d = (struct during){ .s = s, .run_id = run_id, .out = out };
	d->start_wanted = notify_wanted(s, EVENT_START);
	d->start.done = true;
	d->start.body_limit = -1;
}

/* One wait over the signalfd and the work's descriptors, at most
 * TIMEOUT_MS (-1: until something happens); the work moved on.  Returns
 * whether a signal is readable. */
static bool wait_once(struct during *d, int sigfd, int timeout_ms)
{
	struct pollfd fds[FDS_MAX] = { { .fd = sigfd, .events = POLLIN } };
	unsigned n = 1;
	if (d->out)
		n += output_fds(d->out, fds + 1);
	int start_ms = start_timeout_ms(&d->start);
	if (start_ms >= 0 && (timeout_ms < 0 || start_ms < timeout_ms))
		timeout_ms = start_ms;
	if (!d->start.done)
		start_step(&d->start, fds, n, timeout_ms);
	else if (poll(fds, n, timeout_ms) < 0 && errno != EINTR)
		fds[0].revents = 0;
	if (d->out) {
		output_service(d->out, fds + 1, n - 1);
		if (d->start.body_limit >= 0)
			output_limit(d->out, (size_t)d->start.body_limit);
	}
	return (fds[0].revents & POLLIN) != 0;
}

bool during_wait(void *ctx, struct supervisor *sv)
{
	struct during *d = ctx;
	/* Begun here, once the job runs: loading libcurl is not its delay. */
	if (d->start_wanted && !d->start_begun) {
		d->start_begun = true;
		/* As for the end request (run.c): the job has its environment,
		 * libcurl goes without the TLS key log. */
		unsetenv("SSLKEYLOGFILE");
		start_begin(&d->start, d->s, d->run_id, sv->started_at);
	}
	return wait_once(d, sv->sigfd, sv->hook_wait_ms);
}

bool during_finish(struct during *d, struct supervisor *sv)
{
	double limit = monotime_now() + 1.0;
	bool stopped = false;
	start_last_attempt(&d->start, limit);
	for (;;) {
		bool busy = !d->start.done || (d->out && output_open(d->out));
		double left = limit - monotime_now();
		if (!busy || left <= 0 || stopped)
			break;
		if (wait_once(d, sv->sigfd, (int)(left * 1000.0) + 1))
			stopped = supervise_stop_arrived(sv);
	}
	start_abandon(&d->start);
	if (d->out)
		output_close(d->out);
	return stopped;
}
