/* hbrun: run a job; when it succeeds, ping its heartbeat.
 *
 * The job's exit status is sacred: nothing about monitoring changes it,
 * and a ping means success. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "during.h"
#include "events.h"
#include "exit_status.h"
#include "msg.h"
#include "notify.h"
#include "output.h"
#include "settings.h"
#include "supervise.h"

/* The job must not inherit the credential, and /proc/PID/environ should
 * not keep showing it either. */
static void scrub_token_from_environment(void)
{
	char *value = getenv("HBRUN_TOKEN");
	if (value)
		memset(value, '*', strlen(value));
	unsetenv("HBRUN_TOKEN");
}

/* libcurl (and GnuTLS) write the TLS secrets of every connection to the file
 * $SSLKEYLOGFILE names, creating it readable by others where the umask
 * lets them: with those secrets a recorded ping, the token in its path, can
 * be read.  The job has had its environment untouched; the ping phase, which
 * comes after it and loads libcurl, goes without. */
static void forget_tls_key_log(void)
{
	unsetenv("SSLKEYLOGFILE");
}

/* Whether the job's own status counts as a success. */
static bool job_succeeded(const struct supervisor *sv)
{
	return WIFEXITED(sv->wstatus) && WEXITSTATUS(sv->wstatus) == 0;
}

static struct run_ending ending_of(const struct supervisor *sv, int exec_err)
{
	struct run_ending e = {
		.ran = exec_err == 0, .wstatus = sv->wstatus,
		.succeeded = exec_err == 0 && job_succeeded(sv),
		.stop_signal = sv->stop_signal,
	};
	if (exec_err)
		e.exec_status = exit_status_of_exec_error(exec_err);
	return e;
}

/* The success or fail request, within one ping deadline from the job's
 * end. */
static void send_end_request(const struct settings *s, const char *run_id,
			     const struct run_ending *ending,
			     struct supervisor *sv, struct output *out)
{
	struct event_report report;
	event_of(ending, &report);
	if (!notify_wanted(s, report.event))
		return;
	double ended = ending->ran ? sv->ended_at : supervise_now();
	long long ms = ending->ran ? (long long)((sv->ended_at -
						   sv->started_at) * 1000.0)
				   : 0;
	char scratch[2][24];
	struct template_values vals;
	notify_end_values(s, run_id, &report, ms, scratch, &vals);
	struct planned_request req;
	if (!notify_plan(s, report.event, &vals, &req))
		return;
	double left = s->ping_deadline - (supervise_now() - ended);
	size_t len = 0;
	const char *body = out ? output_tail(out, &len) : NULL;
	if (left > 0)
		notify_send(s, &req, body, len, left, sv);
	planned_request_free(&req);
}

/* The job's output through pipes, for send_output; NULL when off. */
static struct output *capture_output(const struct settings *s)
{
	if (s->send_output <= 0)
		return NULL;
	const char *method = notify_method(s);
	if (method && strcmp(method, "GET") == 0) {
		msg_warn("send_output needs POST, and the method is GET; the "
			 "job's output is not sent");
		return NULL;
	}
	struct output *out = output_new((size_t)s->send_output);
	if (!out)
		msg_warn("cannot capture the job's output (%m); it is not sent");
	return out;
}

int main(int argc, char **argv)
{
	stdio_ensure_open();

	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	struct cli cli = { .layer = &layers[LAYER_CLI] };
	/* Monitoring messages wait until the settings say whether -q holds. */
	msg_hold();
	enum cli_result parsed = cli_parse(argc, argv, &cli);
	if (parsed != CLI_RUN) {
		msg_release(false, false);
		layer_free(&layers[LAYER_CLI]);
		return parsed == CLI_EXIT_OK ? EXIT_SUCCESS : EXIT_USAGE;
	}

	struct settings settings;
	settings_load(&settings, layers, cli.job, cli.config);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	scrub_token_from_environment();
	msg_release(settings.quiet, cli.verbose);

	char run_id[RUN_ID_SIZE];
	run_id_new(run_id);
	setenv("HBRUN_RUN_ID", run_id, 1);

	struct supervisor sv;
	if (supervise_init(&sv) != 0)
		msg_warn("cannot watch signals (%m); forwarding is limited");
	struct output *out = capture_output(&settings);
	struct during during;
	during_init(&during, &settings, run_id, out);
	if (during_needed(&settings, out)) {
		sv.wait_hook = during_wait;
		sv.wait_ctx = &during;
	}
	if (out)
		output_job_ends(out, sv.job_stdio);
	int err = supervise_run(&sv, cli.command);
	if (err)
		msg_error("cannot run '%s': %s", cli.command[0], strerror(err));
	bool stopped = during_finish(&during, &sv);

	forget_tls_key_log();
	struct run_ending ending = ending_of(&sv, err);
	if (!stopped)
		send_end_request(&settings, run_id, &ending, &sv, out);
	output_free(out);
	settings_free(&settings);
	if (err)
		return ending.exec_status;
	end_as(exit_status_of(sv.wstatus, sv.pid1));
}
