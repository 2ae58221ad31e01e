/* Fuzz target: hbrun's command line -> the command line's settings -> the
 * merge.
 *
 * Input: the words after "hbrun", separated by NUL bytes.  Checked: the
 * parse ends in one of its three results; a run has a COMMAND that is one
 * of the input's words, with every word from it on untouched (the job's
 * argv is sacred); the value of -t is overwritten where it stood; the
 * merged settings are in range. */
#include <stdbool.h>
#include <unistd.h>
#include <fcntl.h>

#include "cli.h"
#include "fuzz.h"
#include "settings.h"

#define WORDS_MAX 64

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	/* --help and --version print to stdout: keep it out of the log. */
	int null = open("/dev/null", O_WRONLY);
	if (null >= 0) {
		dup2(null, STDOUT_FILENO);
		close(null);
	}
	return 0;
}

/* Whether the value of -t, TOKEN (trimmed of white space as every
 * credential is), was overwritten where it stood in one of hbrun's own
 * words (before UPTO), so /proc/PID/cmdline does not show it. */
static bool token_overwritten(char **argv, char *const originals[], int upto,
			      const char *token)
{
	size_t len = strlen(token);
	if (strspn(token, "*") == len)
		return true; /* nothing to tell apart */
	/* The word ends with the token, or with the token and the white
	 * space that reading it trimmed off. */
	for (int i = 1; i < upto; i++) {
		size_t word = strlen(originals[i]);
		while (word > len && strchr(" \t\n\v\f\r", originals[i][word - 1]))
			word--;
		if (word >= len &&
		    strncmp(originals[i] + word - len, token, len) == 0 &&
		    strspn(argv[i] + word - len, "*") >= len)
			return true;
	}
	return false;
}

static void check_run(const struct cli *cli, char **argv, int argc,
		      char *const originals[], const struct layer layers[])
{
	/* Only --check may go without a COMMAND; its options are all read. */
	bool command = cli->command && cli->command[0];
	FUZZ_ASSERT(command || cli->check);
	int first = cli->command ? (int)(cli->command - argv) : argc;
	FUZZ_ASSERT(first >= 1 && first <= argc);
	FUZZ_ASSERT(!command || first < argc);
	for (int i = first; i < argc; i++)
		FUZZ_ASSERT(strcmp(argv[i], originals[i]) == 0);
	FUZZ_ASSERT(!cli->command || cli->command[argc - first] == NULL);
	if (layers[LAYER_CLI].v[S_TOKEN].text)
		FUZZ_ASSERT(token_overwritten(argv, originals, first,
					      layers[LAYER_CLI].v[S_TOKEN].text));
	struct settings s;
	int token_from;
	settings_merge(layers, SETTING_HBRUN, &s, &token_from);
	FUZZ_ASSERT(s.ping_retries >= 0 && s.ping_retries <= MAX_PING_RETRIES);
	FUZZ_ASSERT(s.ping_timeout > 0 && s.ping_timeout <= MAX_SECONDS);
	FUZZ_ASSERT(s.ping_deadline > 0 && s.ping_deadline <= MAX_SECONDS);
	FUZZ_ASSERT(token_from == -1 || token_from == LAYER_CLI);
	settings_free(&s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *words[WORDS_MAX], *copy;
	size_t n = fuzz_split(data, size, '\0', words, WORDS_MAX, &copy);
	char *argv[WORDS_MAX + 2], *originals[WORDS_MAX + 2];
	int argc = 0;
	argv[argc++] = strdup("hbrun");
	for (size_t i = 0; i < n; i++)
		argv[argc++] = strdup(words[i]);
	argv[argc] = NULL;
	for (int i = 0; i < argc; i++) {
		if (!argv[i])
			abort();
		originals[i] = strdup(argv[i]);
	}

	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	struct cli cli = { .layer = &layers[LAYER_CLI] };
	enum cli_result r = cli_parse(argc, argv, &cli);
	FUZZ_ASSERT(r == CLI_RUN || r == CLI_EXIT_OK || r == CLI_USAGE);
	if (r == CLI_RUN)
		check_run(&cli, argv, argc, originals, layers);

	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	for (int i = 0; i < argc; i++) {
		free(argv[i]);
		free(originals[i]);
	}
	free(copy);
	return 0;
}
