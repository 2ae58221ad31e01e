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
#include "exit_status.h"
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

static bool job_succeeded(const struct supervisor *sv)
{
	return WIFEXITED(sv->wstatus) && WEXITSTATUS(sv->wstatus) == 0 &&
	       !sv->stop_requested;
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

	struct supervisor sv;
	if (supervise_init(&sv) != 0)
		msg_warn("cannot watch signals (%m); forwarding is limited");
	int err = supervise_run(&sv, cli.command);
	if (err) {
		char why[300];
		exec_error_reason(cli.command[0], err, why, sizeof why);
		msg_error("cannot run '%s': %s", cli.command[0], why);
		settings_free(&settings);
		return exit_status_of_exec_error(err);
	}

	forget_tls_key_log();
	if (job_succeeded(&sv))
		ping_send(&settings, &sv);
	settings_free(&settings);
	end_as(exit_status_of(sv.wstatus, sv.pid1));
}
