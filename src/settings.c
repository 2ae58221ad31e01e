#include "settings.h"

#include <errno.h>
#include <stddef.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"

void layer_init(struct layer *l)
{
	memset(l, 0, sizeof *l);
	l->ping_retries = -1;
	l->ping_timeout = -1.0;
	l->ping_deadline = -1.0;
	l->allow_http = -1;
	l->quiet = -1;
}

void layer_free(struct layer *l)
{
	free(l->token);
	free(l->token_file);
	free(l->token_base);
	free(l->api_url);
	free(l->ping_url);
	free(l->cacert);
	if (l->api_key) {
		explicit_bzero(l->api_key, strlen(l->api_key));
		free(l->api_key);
	}
	layer_init(l);
}

bool parse_count(const char *s, int max, int *out)
{
	char *end;
	if (!s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = (int)v;
	return true;
}

bool parse_seconds(const char *s, double *out)
{
	char *end;
	if (!s || !((*s >= '0' && *s <= '9') || *s == '.'))
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v <= 0.0 || v > MAX_SECONDS)
		return false;
	*out = v;
	return true;
}

bool parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = true;
			return true;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool key_is_secret(const char *key)
{
	return strcmp(key, "token") == 0 || strcmp(key, "api_key") == 0;
}

static enum set_result set_string(char **field, const char *value)
{
	if (!value || !*value)
		return SET_BAD_VALUE;
	char *copy = strdup(value);
	if (!copy)
		return SET_BAD_VALUE;
	free(*field);
	*field = copy;
	return SET_OK;
}

static enum set_result set_flag(int *field, const char *value)
{
	bool b;
	if (!parse_bool(value, &b))
		return SET_BAD_VALUE;
	*field = b;
	return SET_OK;
}

static enum set_result set_seconds(double *field, const char *value)
{
	return parse_seconds(value, field) ? SET_OK : SET_BAD_VALUE;
}

enum set_result layer_set(struct layer *l, const char *key, const char *value)
{
	if (strcmp(key, "token") == 0)
		return set_string(&l->token, value);
	if (strcmp(key, "token_file") == 0)
		return set_string(&l->token_file, value);
	if (strcmp(key, "api_url") == 0)
		return set_string(&l->api_url, value);
	if (strcmp(key, "ping_url") == 0)
		return set_string(&l->ping_url, value);
	if (strcmp(key, "cacert") == 0)
		return set_string(&l->cacert, value);
	if (strcmp(key, "ping_retries") == 0)
		return parse_count(value, MAX_PING_RETRIES, &l->ping_retries)
			       ? SET_OK : SET_BAD_VALUE;
	if (strcmp(key, "ping_timeout") == 0)
		return set_seconds(&l->ping_timeout, value);
	if (strcmp(key, "ping_deadline") == 0)
		return set_seconds(&l->ping_deadline, value);
	if (strcmp(key, "allow_http") == 0)
		return set_flag(&l->allow_http, value);
	if (strcmp(key, "quiet") == 0)
		return set_flag(&l->quiet, value);
	if (strcmp(key, "api_key") == 0)
		return set_string(&l->api_key, value); /* hbctl's */
	return SET_UNKNOWN_KEY;
}

/* The first layer (highest precedence) that sets the string field at OFFSET. */
static const char *first_string(const struct layer layers[], size_t offset)
{
	for (int i = 0; i < LAYER_COUNT; i++) {
		const char *v = *(char *const *)((const char *)&layers[i] + offset);
		if (v)
			return v;
	}
	return NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

void settings_merge(const struct layer layers[], struct settings *out,
		    int *token_from)
{
	memset(out, 0, sizeof *out);
	const char *api = first_string(layers, offsetof(struct layer, api_url));
	out->api_url = strdup(api ? api : DEFAULT_API_URL);
	out->ping_url = dup_or_null(
		first_string(layers, offsetof(struct layer, ping_url)));
	out->cacert = dup_or_null(
		first_string(layers, offsetof(struct layer, cacert)));
	out->ping_retries = DEFAULT_PING_RETRIES;
	out->ping_timeout = DEFAULT_PING_TIMEOUT;
	out->ping_deadline = DEFAULT_PING_DEADLINE;
	bool retries_set = false, timeout_set = false, deadline_set = false;
	bool allow_set = false, quiet_set = false;
	*token_from = -1;
	for (int i = 0; i < LAYER_COUNT; i++) {
		const struct layer *l = &layers[i];
		if (!retries_set && l->ping_retries >= 0) {
			out->ping_retries = l->ping_retries;
			retries_set = true;
		}
		if (!timeout_set && l->ping_timeout > 0) {
			out->ping_timeout = l->ping_timeout;
			timeout_set = true;
		}
		if (!deadline_set && l->ping_deadline > 0) {
			out->ping_deadline = l->ping_deadline;
			deadline_set = true;
		}
		if (!allow_set && l->allow_http >= 0) {
			out->allow_http = l->allow_http;
			allow_set = true;
		}
		if (!quiet_set && l->quiet >= 0) {
			out->quiet = l->quiet;
			quiet_set = true;
		}
		if (*token_from < 0 && (l->token || l->token_file))
			*token_from = i;
	}
}

void settings_resolve_token(const struct layer *l, struct settings *out)
{
	if (l->token) {
		out->token = strdup(l->token);
		return;
	}
	out->token = token_file_read(l->token_file, l->token_base);
}

void settings_from_env(struct layer *l)
{
	const char *token = getenv("HBRUN_TOKEN");
	const char *api = getenv("HBRUN_API_URL");
	if (token && *token)
		l->token = strdup(token);
	if (api && *api)
		l->api_url = strdup(api);
}

void settings_load(struct settings *out, struct layer layers[],
		   const char *job, const char *config)
{
	settings_from_env(&layers[LAYER_ENV]);
	config_load(config, job, &layers[LAYER_GLOBAL], &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, out, &token_from);
	if (token_from >= 0)
		settings_resolve_token(&layers[token_from], out);
}

void settings_free(struct settings *s)
{
	if (s->token) {
		/* A credential: leave no copy behind in freed memory. */
		explicit_bzero(s->token, strlen(s->token));
		free(s->token);
	}
	if (s->api_key) {
		explicit_bzero(s->api_key, strlen(s->api_key));
		free(s->api_key);
	}
	free(s->api_url);
	free(s->ping_url);
	free(s->cacert);
	memset(s, 0, sizeof *s);
}

void settings_load_hbctl(struct settings *out, struct layer layers[],
			 const char *config)
{
	settings_from_env(&layers[LAYER_ENV]);
	const char *key = getenv("TICKSTEM_API_KEY");
	if (key && *key)
		set_string(&layers[LAYER_ENV].api_key, key);
	/* No job: every section goes unused, so only the global part counts. */
	config_load(config, NULL, &layers[LAYER_GLOBAL], &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, out, &token_from);
	out->api_key = dup_or_null(
		first_string(layers, offsetof(struct layer, api_key)));
}
