/* hbrun: run a job; tell the heartbeat service how it went.
 *
 * The job's exit status is sacred: nothing about monitoring changes it,
 * and a success request means success. */
#include <stdlib.h>
#include <string.h>

#include "checkup.h"
#include "cli.h"
#include "config.h"
#include "exit_status.h"
#include "metrics.h"
#include "msg.h"
#include "run.h"
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

static void layers_free(struct layer layers[])
{
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
}

static void say_exec_error(const char *command, int err)
{
	char why[300];
	exec_error_reason(command, err, why, sizeof why);
	msg_error("cannot run '%s': %s", command, why);
}

/* The settings, from the command line, the environment and the config
 * file; -1 to go on and run the job, else the exit status (--help,
 * --version, a usage error, --check).  Its own frame, gone before the job
 * starts: the layers are not needed once merged, and a waiting hbrun
 * keeps only the stack its wait needs. */
static __attribute__((noinline)) int configure(int argc, char **argv,
					       struct settings *settings,
					       struct cli *cli)
{
	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	*cli = (struct cli){ .layer = &layers[LAYER_CLI] };
	/* Monitoring messages wait until the settings say whether -q holds. */
	msg_hold();
	enum cli_result parsed = cli_parse(argc, argv, cli);
	if (parsed != CLI_RUN) {
		msg_release(false, false);
		layers_free(layers);
		return parsed == CLI_EXIT_OK ? EXIT_SUCCESS : EXIT_USAGE;
	}
	settings_load(settings, layers, cli->job, cli->config);
	/* --check reads the layers for where each setting came from. */
	int checked = cli->check ? check_main(settings, layers, cli) : -1;
	layers_free(layers);
	cli->layer = NULL;
	if (checked >= 0)
		settings_free(settings);
	return checked;
}

/* Run the job under the supervisor; how hbrun is to end. */
static __attribute__((noinline)) struct ending run_job(struct settings *settings,
							const char *job,
							char **command)
{
	struct supervisor sv;
	if (supervise_init(&sv) != 0)
		msg_warn("cannot watch signals (%m); forwarding is limited");
	struct run run;
	struct ending ending = {
		run_prepare(&run, settings, &sv,
			    metrics_job_name(job, command[0])), 0 };
	if (ending.exit_code == 0) {
		int err = run_wait(&run, &sv, command);
		if (err)
			say_exec_error(command[0], err);
		ending = run_finish(&run, &sv, err, command[0]);
	}
	supervise_free(&sv);
	return ending;
}

int main(int argc, char **argv)
{
	stdio_ensure_open();

	struct settings settings;
	struct cli cli;
	int done = configure(argc, argv, &settings, &cli);
	if (done >= 0)
		return done;
	scrub_token_from_environment();
	msg_release(settings.quiet, cli.verbose);

	struct ending ending = run_job(&settings, cli.job, cli.command);
	settings_free(&settings);
	end_as(ending);
}
