#include "events.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "exit_status.h"

const char event_started_message[] = "started";

const char *event_name(enum event event)
{
	static const char *const names[EVENT_COUNT] = {
		[EVENT_START] = "start request",
		[EVENT_SUCCESS] = "ping",
		[EVENT_FAIL] = "fail request",
	};
	return event >= 0 && event < EVENT_COUNT ? names[event] : "request";
}

static const char *signal_abbrev(int sig)
{
	const char *name = sigabbrev_np(sig);
	return name ? name : "?";
}

/* A fail request never says 0: the services read 0 as a success. */
static void fail_of_run(const struct run_ending *e, struct event_report *out)
{
	size_t size = sizeof out->message;
	bool killed = WIFSIGNALED(e->wstatus);
	int sig = killed ? WTERMSIG(e->wstatus) : 0;
	out->exit_status = killed ? 128 + sig
			 : WIFEXITED(e->wstatus) ? WEXITSTATUS(e->wstatus) : 1;
	if (e->timed_out) {
		out->exit_status = 124;
		snprintf(out->message, size, "timed out after %g s", e->timeout);
	} else if (e->stop_signal) {
		if (out->exit_status == 0)
			out->exit_status = 128 + e->stop_signal;
		snprintf(out->message, size, "stopped by signal %d (%s)",
			 e->stop_signal, signal_abbrev(e->stop_signal));
	} else if (killed) {
		/* A KILL the OOM killer sent is the kernel's verdict on the
		 * job's memory, worth saying. */
		snprintf(out->message, size, "killed by signal %d (%s)%s", sig,
			 signal_abbrev(sig), sig == SIGKILL && e->oom_killed
			 ? ": out of memory" : "");
	} else {
		if (out->exit_status == 0)
			out->exit_status = 1; /* a status not counted a success */
		snprintf(out->message, size, "exit status %d",
			 out->exit_status);
	}
}

void event_of(const struct run_ending *e, struct event_report *out)
{
	memset(out, 0, sizeof *out);
	out->event = EVENT_FAIL;
	if (!e->ran) {
		out->exit_status = e->exec_status;
		snprintf(out->message, sizeof out->message, "%s",
			 e->exec_status == EXIT_ENOENT ? "command not found"
						       : "cannot execute");
		return;
	}
	/* A ping means success: never for a run stopped, timed out or
	 * killed, whatever the caller thought of its status. */
	if (e->succeeded && !e->timed_out && !e->stop_signal &&
	    WIFEXITED(e->wstatus)) {
		out->event = EVENT_SUCCESS;
		snprintf(out->message, sizeof out->message, "OK");
		return;
	}
	fail_of_run(e, out);
}
