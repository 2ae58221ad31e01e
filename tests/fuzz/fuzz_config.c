/* Fuzz target: config file text -> the file's layers -> settings merge.
 *
 * Input: the first line is the job name given with -j (empty: no -j), the
 * rest is the config file, read by config_load() (dialect.c) exactly as
 * hbrun reads it.  The file lives in a memfd, mode 0600, so a token in it
 * is trusted and used.  Checked: every merged setting is in its range, and
 * the token comes only from a layer that set one. */
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "fuzz.h"
#include "msg.h"
#include "settings.h"

static int file_fd = -1;
static char file_path[64];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	file_fd = memfd_create("hbrun-fuzz.conf", MFD_CLOEXEC);
	if (file_fd < 0 || fchmod(file_fd, 0600) != 0) {
		perror("fuzz_config: memfd");
		abort();
	}
	snprintf(file_path, sizeof file_path, "/proc/self/fd/%d", file_fd);
	return 0;
}

static void write_file(const char *text, size_t len)
{
	if (ftruncate(file_fd, 0) != 0 ||
	    pwrite(file_fd, text, len, 0) != (ssize_t)len)
		abort();
}

static bool layer_is_empty(const struct layer *l)
{
	for (int i = 0; i < S_COUNT; i++)
		if (l->v[i].state != VALUE_UNSET)
			return false;
	return true;
}

static void check_merged(const struct layer layers[],
			 const struct settings *s, int token_from)
{
	FUZZ_ASSERT(s->unusable[S_API_URL] ? !s->api_url
					 : s->api_url && *s->api_url);
	FUZZ_ASSERT(s->ping_retries >= 0 && s->ping_retries <= MAX_PING_RETRIES);
	FUZZ_ASSERT(s->ping_timeout > 0 && s->ping_timeout <= MAX_SECONDS);
	FUZZ_ASSERT(s->ping_deadline > 0 && s->ping_deadline <= MAX_SECONDS);
	FUZZ_ASSERT(token_from == -1 || token_from == LAYER_JOB ||
		    token_from == LAYER_GLOBAL);
	if (token_from >= 0)
		FUZZ_ASSERT(layers[token_from].v[S_TOKEN].state ||
			    layers[token_from].v[S_TOKEN_FILE].state);
	else
		FUZZ_ASSERT(!layers[LAYER_JOB].v[S_TOKEN].state &&
			    !layers[LAYER_GLOBAL].v[S_TOKEN].state);
	/* A job section must never leak into the global part. */
	if (layers[LAYER_JOB].v[S_API_URL].text && !layers[LAYER_CLI].v[S_API_URL].text)
		FUZZ_ASSERT(strcmp(s->api_url, layers[LAYER_JOB].v[S_API_URL].text) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (file_fd < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	char *fields[2], *copy;
	size_t n = fuzz_split(data, size, '\n', fields, 2, &copy);
	const char *job = *fields[0] ? fields[0] : NULL;
	const char *text = n > 1 ? fields[1] : "";
	size_t text_len = n > 1 ? size - (size_t)(fields[1] - copy) : 0;
	write_file(text, text_len);

	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	msg_hold();
	config_load(file_path, job, &layers[LAYER_GLOBAL], &layers[LAYER_JOB]);
	struct settings s;
	int token_from;
	settings_merge(layers, SETTING_HBRUN, &s, &token_from);
	check_merged(layers, &s, token_from);
	FUZZ_ASSERT(job || layer_is_empty(&layers[LAYER_JOB]));
	msg_release(true, false); /* quiet: drop the held warnings */
	settings_free(&s);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	free(copy);
	return 0;
}
