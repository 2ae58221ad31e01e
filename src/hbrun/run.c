#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "events.h"
#include "held.h"
#include "jobctl.h"
#include "lock.h"
#include "monotime.h"
#include "msg.h"

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
	return out;
}

int run_prepare(struct run *r, const struct settings *s,
		struct supervisor *sv)
{
	memset(r, 0, sizeof *r);
	r->s = s;
	int code = take_lock(s);
	if (code)
		return code;
	delay_before_job(s->random_delay, sv->sigfd, sv->pid1);
	if (timeout_init(&sv->timeout, s->timeout, s->kill_after) != 0)
		msg_error("cannot watch the job's descendants (%m); the "
			  "timeout reaches only those still below the job");
	run_id_new(r->id);
	setenv("HBRUN_RUN_ID", r->id, 1);
	r->out = capture_output(r, s);
	during_init(&r->during, s, r->id, r->out);
	if (during_needed(s, r->out)) {
		sv->wait_hook = during_wait;
		sv->wait_ctx = &r->during;
	}
	if (r->out)
		output_job_ends(r->out, sv->job_stdio);
	return 0;
}

/* What the job came to, for the end request. */
static struct run_ending ending_of(const struct supervisor *sv,
				   const struct settings *s, int exec_err)
{
	bool timed_out = timeout_fired(&sv->timeout);
	struct run_ending e = {
		.ran = exec_err == 0, .wstatus = sv->wstatus,
		.stop_signal = sv->stop_signal, .timed_out = timed_out,
		.timeout = s->timeout,
	};
	/* A success: exit 0 or a status declared one; a signal death never
	 * is (and the request's rules see to a stop and a timeout). */
	e.succeeded = exec_err == 0 && WIFEXITED(sv->wstatus) &&
		      status_is_success(s, WEXITSTATUS(sv->wstatus));
	if (exec_err)
		e.exec_status = exit_status_of_exec_error(exec_err);
	return e;
}

/* The success or fail request, within one ping deadline from the job's
 * end. */
static void send_end_request(const struct run *r,
			     const struct run_ending *ending,
			     struct supervisor *sv)
{
	const struct settings *s = r->s;
	struct event_report report;
	event_of(ending, &report);
	if (!notify_wanted(s, report.event))
		return;
	double ended = ending->ran ? sv->ended_at : monotime_now();
	long long ms = ending->ran ? (long long)((sv->ended_at -
						   sv->started_at) * 1000.0)
				   : 0;
	char scratch[2][24];
	struct template_values vals;
	notify_end_values(s, r->id, &report, ms, scratch, &vals);
	struct planned_request req;
	if (!notify_plan(s, report.event, &vals, &req))
		return;
	double left = s->ping_deadline - (monotime_now() - ended);
	size_t len = 0;
	const char *body = r->out && s->send_output > 0
				   ? output_tail(r->out, &len) : NULL;
	struct cancel cancel = supervise_cancel(sv);
	if (left > 0)
		notify_send(s, &req, body, len, left, &cancel);
	planned_request_free(&req);
}

/* The held output, written back when the run was not a success: after a
 * success nothing at all is written, so cron sends no mail. */
static void replay_held(struct run *r, const struct run_ending *ending)
{
	if (!r->held)
		return;
	struct event_report report;
	event_of(ending, &report);
	if (report.event != EVENT_SUCCESS)
		held_spill(r->held);
}

struct ending run_finish(struct run *r, struct supervisor *sv, int exec_err,
			 const char *command)
{
	bool stopped = during_finish(&r->during, sv);
	/* libcurl (and GnuTLS) write the TLS secrets of every connection to
	 * the file $SSLKEYLOGFILE names: with them a recorded ping, the token
	 * in its path, can be read.  The job has had its environment; the
	 * requests after it go without. */
	unsetenv("SSLKEYLOGFILE");
	struct run_ending ending = ending_of(sv, r->s, exec_err);
	replay_held(r, &ending);
	if (!stopped)
		send_end_request(r, &ending, sv);
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
