/* hbrun: run a job; when it succeeds, ping its heartbeat.
 *
 * The job's exit status is sacred: nothing about monitoring changes it,
 * and a ping means success. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "checkup.h"
#include "cli.h"
#include "config.h"
#include "exit_status.h"
#include "jobctl.h"
#include "lock.h"
#include "msg.h"
#include "ping.h"
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

/* A success: exit 0 or a status declared one, never asked to stop, never
 * timed out; a signal death never is. */
static bool job_succeeded(const struct supervisor *sv,
			  const struct settings *s)
{
	return WIFEXITED(sv->wstatus) &&
	       status_is_success(s, WEXITSTATUS(sv->wstatus)) &&
	       !sv->stop_requested && !timeout_fired(&sv->timeout);
}

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

/* Everything before the job: the lock, the random delay, the timeout's
 * subreaper.  0, or the exit status when the job must not start. */
static int prepare_job(const struct settings *s, struct supervisor *sv)
{
	int code = take_lock(s);
	if (code)
		return code;
	delay_before_job(s->random_delay, sv->sigfd, sv->pid1);
	if (timeout_init(&sv->timeout, s->timeout, s->kill_after) != 0)
		msg_error("cannot watch the job's descendants (%m); the "
			  "timeout reaches only those still below the job");
	return 0;
}

/* How hbrun ends: 124 after a timeout, else as the job ended. */
static struct ending ending_of(const struct supervisor *sv,
			       const struct settings *s, const char *command)
{
	if (timeout_fired(&sv->timeout)) {
		msg_error("'%s' timed out after %.15g s", command, s->timeout);
		return (struct ending){ EXIT_TIMED_OUT, 0 };
	}
	return exit_status_of(sv->wstatus, sv->pid1);
}

static void layers_free(struct layer layers[])
{
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
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
		layers_free(layers);
		return parsed == CLI_EXIT_OK ? EXIT_SUCCESS : EXIT_USAGE;
	}

	struct settings settings;
	settings_load(&settings, layers, cli.job, cli.config);
	/* --check reads the layers for where each setting came from. */
	int checked = cli.check ? check_main(&settings, layers, &cli) : -1;
	layers_free(layers);
	if (checked >= 0) {
		settings_free(&settings);
		return checked;
	}
	scrub_token_from_environment();
	msg_release(settings.quiet, cli.verbose);

	struct supervisor sv;
	if (supervise_init(&sv) != 0)
		msg_warn("cannot watch signals (%m); forwarding is limited");
	int code = prepare_job(&settings, &sv);
	if (code) {
		settings_free(&settings);
		return code;
	}
	int err = supervise_run(&sv, cli.command);
	if (err) {
		char why[300];
		exec_error_reason(cli.command[0], err, why, sizeof why);
		msg_error("cannot run '%s': %s", cli.command[0], why);
		settings_free(&settings);
		return exit_status_of_exec_error(err);
	}

	forget_tls_key_log();
	if (job_succeeded(&sv, &settings))
		ping_send(&settings, &sv);
	struct ending ending = ending_of(&sv, &settings, cli.command[0]);
	settings_free(&settings);
	end_as(ending);
}
