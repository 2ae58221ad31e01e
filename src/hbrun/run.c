#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>

#include "events.h"
#include "held.h"
#include "jobctl.h"
#include "lock.h"
#include "metrics.h"
#include "monotime.h"
#include "msg.h"
#include "oom.h"

/* Take the lock, if one is set: 0, or the exit status when the job must
 * not start.  The descriptor stays open, so the lock is held until hbrun
 * exits; it is close-on-exec, so the job never holds it. */
static int take_lock(const struct settings *s)
{
	char why[128];
	int fd;
	if (s->unusable[S_LOCK]) {
		msg_error("the lock file name is empty; job not started");
		return EXIT_USAGE;
	}
	if (!s->lock)
		return 0;
	switch (lock_take(s->lock, &fd, why, sizeof why)) {
	case LOCK_TAKEN:
		return 0;
	case LOCK_HELD:
		msg_error("%s is locked by another run; job not started",
			  s->lock);
		return EXIT_LOCK_HELD;
	case LOCK_UNUSABLE:
		break;
	}
	msg_error("cannot use %s as the lock: %s; job not started", s->lock,
		  why);
	return EXIT_USAGE;
}

/* The bytes of the tail that send_output asks for; 0 when off. */
static size_t tail_bytes(const struct settings *s)
{
	if (s->send_output <= 0)
		return 0;
	const char *method = notify_method(s);
	if (method && strcmp(method, "GET") == 0) {
		msg_warn("send_output needs POST, and the method is GET; the "
			 "job's output is not sent");
		return 0;
	}
	if (s->service && strcmp(s->service, "sentry") == 0) {
		msg_warn("send_output: a Sentry check-in carries no output; the "
			 "job's output is not sent");
		return 0;
	}
	return (size_t)s->send_output;
}

/* The file that holds the job's output, for output_on_failure; NULL when
 * off or when there is none (then the output passes through). */
static struct held *hold_output(const struct settings *s)
{
	if (!s->output_on_failure)
		return NULL;
	const char *tmpdir = getenv("TMPDIR");
	struct held *h = held_new();
	if (!h)
		msg_warn("cannot hold the job's output in %s (%m); it passes "
			 "through", tmpdir && *tmpdir ? tmpdir : "/tmp");
	return h;
}

/* The job's output through pipes, for send_output and output_on_failure;
 * NULL when neither needs them. */
static struct output *capture_output(struct run *r, const struct settings *s)
{
	size_t bytes = tail_bytes(s);
	r->held = hold_output(s);
	if (bytes == 0 && !r->held)
		return NULL;
	struct output *out = output_new(bytes);
	if (!out) {
		msg_warn("cannot capture the job's output (%m); it passes "
			 "through");
		held_free(r->held);
		r->held = NULL;
		return NULL;
	}
	output_hold(out, r->held);
	r->send_tail = bytes > 0;
	return out;
}

/* A run that found its lock held still counts, in the metrics file. */
static void lock_held_metrics(const struct run *r)
{
	struct promtext_run run;
	if (!r->s->metrics_file)
		return;
	metrics_run_lock_held(&run);
	metrics_write(r->s, r->job, &run, r->s->ping_deadline, NULL);
}

/* A stop signal during the random delay: the job never starts, and hbrun
 * ends as killed by it (128+S as PID 1), the run counted as stopped. */
static _Noreturn void stopped_in_delay(const struct run *r, int sig, bool pid1)
{
	struct promtext_run run;
	if (r->s->metrics_file) {
		metrics_run_stopped(&run, 128 + sig);
		metrics_write(r->s, r->job, &run, r->s->ping_deadline, NULL);
	}
	end_as((struct ending){ 128 + sig, pid1 ? 0 : sig });
}

int run_prepare(struct run *r, const struct settings *s,
		struct supervisor *sv, const char *job)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	r->job = job;
	int code = take_lock(s);
	if (code == EXIT_LOCK_HELD)
		lock_held_metrics(r);
	if (code)
		return code;
	int stop = delay_before_job(s->random_delay, sv->sigfd);
	if (stop)
		stopped_in_delay(r, stop, sv->pid1);
	if (timeout_init(&sv->timeout, s->timeout, s->kill_after) != 0)
		msg_error("cannot watch the job's descendants (%m); the "
			  "timeout reaches only those still below the job");
	/* Read just before the job: only a kill during the run counts. */
	r->oom_before = -1;
	if (notify_wanted(s, EVENT_FAIL) && !oom_kill_count(&r->oom_before))
		r->oom_before = -1;
	run_id_new(r->id);
	setenv("HBRUN_RUN_ID", r->id, 1);
	r->out = capture_output(r, s);
	loop_init(&r->loop, sv, s, r->id, r->out);
	if (r->out)
		output_job_ends(r->out, sv->job_stdio);
	return 0;
}

int run_wait(struct run *r, struct supervisor *sv, char *const argv[])
{
	int err = supervise_start(sv, argv);
	if (!err)
		loop_wait(&r->loop);
	return err;
}

/* What the job came to, for the end request. */
static struct run_ending ending_of(const struct run *r,
				   const struct supervisor *sv, int exec_err)
{
	const struct settings *s = r->s;
	bool timed_out = timeout_fired(&sv->timeout);
	struct run_ending e = {
		.ran = exec_err == 0, .wstatus = sv->wstatus,
		.stop_signal = sv->stop_signal, .timed_out = timed_out,
		.timeout = s->timeout,
	};
	long long after;
	if (r->oom_before >= 0 && WIFSIGNALED(sv->wstatus) &&
	    WTERMSIG(sv->wstatus) == SIGKILL && oom_kill_count(&after))
		e.oom_killed = after > r->oom_before;
	/* A success: exit 0 or a status declared one; a signal death never
	 * is (and the request's rules see to a stop and a timeout). */
	e.succeeded = exec_err == 0 && WIFEXITED(sv->wstatus) &&
		      status_is_success(s, WEXITSTATUS(sv->wstatus));
	if (exec_err)
		e.exec_status = exit_status_of_exec_error(exec_err);
	return e;
}

static long long ms_of(const struct timeval *tv)
{
	return (long long)tv->tv_sec * 1000 + tv->tv_usec / 1000;
}

/* The success or fail request, within one ping deadline from the job's
 * end; or where a slow reader took longer to take the output the job had
 * written (it would have held the job itself), from then. */
static void send_end_request(const struct run *r,
			     const struct run_ending *ending,
			     struct supervisor *sv, double ended)
{
	const struct settings *s = r->s;
	struct event_report report;
	event_of(ending, &report);
	if (!notify_wanted(s, report.event))
		return;
	struct run_cost cost = { 0 };
	if (ending->ran) {
		cost.duration_ms = (long long)((sv->ended_at - sv->started_at) *
					       1000.0);
		cost.usage_known = sv->usage_known;
		cost.max_rss_kb = sv->usage.ru_maxrss;
		cost.cpu_ms = ms_of(&sv->usage.ru_utime) +
			      ms_of(&sv->usage.ru_stime);
	}
	char scratch[END_SCRATCH][24];
	struct template_values vals;
	notify_end_values(s, r->id, &report, &cost, scratch, &vals);
	struct planned_request req;
	if (!notify_plan(s, report.event, &vals, &req))
		return;
	double left = s->ping_deadline - (monotime_now() - ended) -
		      metrics_reserve(s, s->ping_deadline);
	size_t len = 0;
	const char *body = r->send_tail ? output_tail(r->out, &len) : NULL;
	struct cancel cancel = supervise_cancel(sv);
	if (left > 0)
		notify_send(s, &req, body, len, left, &cancel);
	else
		notify_report_unsent(&req, s->ping_deadline);
	planned_request_free(&req);
}

/* The metrics file, after the end request and within the same deadline
 * from the job's end. */
static void write_metrics(const struct run *r, const struct run_ending *ending,
			  struct supervisor *sv, double ended)
{
	if (!r->s->metrics_file)
		return;
	struct event_report report;
	struct promtext_run run;
	event_of(ending, &report);
	metrics_run_of(sv, ending, &report, &run);
	struct cancel cancel = supervise_cancel(sv);
	metrics_write(r->s, r->job, &run,
		      r->s->ping_deadline - (monotime_now() - ended), &cancel);
}

/* The held output, written back when the run was not a success: after a
 * success nothing at all is written, so cron sends no mail. */
static void replay_held(struct run *r, const struct run_ending *ending)
{
	if (!r->held)
		return;
	struct event_report report;
	event_of(ending, &report);
	if (report.event != EVENT_SUCCESS) {
		held_spill(r->held);
		r->replayed_at = monotime_now();
	}
}

struct ending run_finish(struct run *r, struct supervisor *sv, int exec_err,
			 const char *command)
{
	bool stopped = loop_finish(&r->loop);
	/* libcurl (and GnuTLS) write the TLS secrets of every connection to
	 * the file $SSLKEYLOGFILE names: with them a recorded ping, the token
	 * in its path, can be read.  The job has had its environment; the
	 * requests after it go without. */
	unsetenv("SSLKEYLOGFILE");
	struct run_ending ending = ending_of(r, sv, exec_err);
	replay_held(r, &ending);
	double ended = ending.ran ? sv->ended_at : monotime_now();
	/* A slow reader that took longer to take what the job had written
	 * (passed on as it came, or held and written back now) would have
	 * held the job itself: the deadline counts from then. */
	if (r->out && r->loop.drained_at > ended)
		ended = r->loop.drained_at;
	if (r->replayed_at > ended)
		ended = r->replayed_at;
	if (!stopped)
		send_end_request(r, &ending, sv, ended);
	write_metrics(r, &ending, sv, ended);
	output_free(r->out);
	held_free(r->held);
	if (exec_err)
		return (struct ending){ ending.exec_status, 0 };
	if (ending.timed_out) {
		msg_error("'%s' timed out after %.15g s", command, r->s->timeout);
		return (struct ending){ EXIT_TIMED_OUT, 0 };
	}
	return exit_status_of(sv->wstatus, sv->pid1);
}
