#include "settings.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "secret.h"


#define AT(field) offsetof(struct settings, field)
#define BOTH (SETTING_HBRUN | SETTING_HBCTL)

static const char *const service_names[] = {
	"tickstem", "healthchecks", "betterstack", "uptime-kuma",
	"deadmanssnitch", "sentry", "cronitor", NULL,
};
static const char *const method_names[] = { "GET", "POST", NULL };

/* Adding a setting: a row here, an id in settings.h, a field in struct
 * settings if anything reads it merged, and its tests (src/README.md).
 * Columns: key, option, letter, type, argument, environment variable;
 * range, default; flags, field; help. */
const struct setting_def setting_defs[S_COUNT] = {
	[S_TOKEN] = { "token", "token", 't', TYPE_STRING, "TOKEN", "HBRUN_TOKEN",
		0, 0, NULL,
		SETTING_HBRUN | SETTING_SECRET | SETTING_SCRUB, NO_FIELD,
		"heartbeat token" },
	[S_TOKEN_FILE] = { "token_file", "token-file", 0, TYPE_STRING, "FILE", NULL,
		0, 0, NULL,
		SETTING_HBRUN | SETTING_PATH, NO_FIELD,
		"read the token from FILE's first line" },
	[S_API_URL] = { "api_url", "api-url", 0, TYPE_STRING, "URL", "HBRUN_API_URL",
		0, 0, DEFAULT_API_URL,
		BOTH | SETTING_URL, AT(api_url),
		"API base" },
	[S_PING_URL] = { "ping_url", "ping-url", 0, TYPE_STRING, "URL", NULL,
		0, 0, NULL,
		SETTING_HBRUN | SETTING_URL | SETTING_SCRUB, AT(ping_url),
		"template of the success request, the ping" },
	[S_PING_RETRIES] = { "ping_retries", "ping-retries", 0, TYPE_COUNT, "N", NULL,
		0, MAX_PING_RETRIES, "5",
		SETTING_HBRUN, AT(ping_retries),
		"retries after the first attempt" },
	[S_PING_TIMEOUT] = { "ping_timeout", "ping-timeout", 0, TYPE_SECONDS, "SECS", NULL,
		0, MAX_SECONDS, "10",
		SETTING_HBRUN | SETTING_POSITIVE, AT(ping_timeout),
		"limit of one attempt" },
	[S_PING_DEADLINE] = { "ping_deadline", "ping-deadline", 0, TYPE_SECONDS, "SECS", NULL,
		0, MAX_SECONDS, "60",
		SETTING_HBRUN | SETTING_POSITIVE, AT(ping_deadline),
		"limit of the whole ping phase" },
	[S_CACERT] = { "cacert", "cacert", 0, TYPE_STRING, "FILE", NULL,
		0, 0, NULL,
		BOTH | SETTING_PATH, AT(cacert),
		"extra CA bundle to trust" },
	[S_ALLOW_HTTP] = { "allow_http", "allow-http", 0, TYPE_BOOL, NULL, NULL,
		0, 1, "false",
		BOTH, AT(allow_http),
		"permit plain http:// to a host that is not loopback" },
	[S_QUIET] = { "quiet", "quiet", 'q', TYPE_BOOL, NULL, NULL,
		0, 1, "false",
		SETTING_HBRUN, AT(quiet),
		"no messages about monitoring" },
	[S_API_KEY] = { "api_key", NULL, 0, TYPE_STRING, NULL, "TICKSTEM_API_KEY",
		0, 0, NULL,
		SETTING_HBCTL | SETTING_SECRET, AT(api_key),
		"hbctl's API key" },
	[S_TIMEOUT] = { "timeout", "timeout", 0, TYPE_SECONDS, "SECS", NULL,
		0, MAX_TIMEOUT, NULL,
		SETTING_HBRUN | SETTING_JOBCTL | SETTING_POSITIVE, AT(timeout),
		"TERM the job and all it started after SECS; exit 124" },
	[S_KILL_AFTER] = { "kill_after", "kill-after", 0, TYPE_SECONDS, "SECS", NULL,
		0, MAX_SECONDS, "10",
		SETTING_HBRUN | SETTING_JOBCTL, AT(kill_after),
		"KILL what is left SECS after the timeout's TERM; 0 never" },
	[S_LOCK] = { "lock", "lock", 0, TYPE_STRING, "FILE", NULL,
		0, 0, NULL,
		SETTING_HBRUN | SETTING_JOBCTL | SETTING_PATH, AT(lock),
		"run only while holding FILE's lock; held: exit 75" },
	[S_RANDOM_DELAY] = { "random_delay", "random-delay", 0, TYPE_SECONDS, "SECS", NULL,
		0, MAX_SECONDS, NULL,
		SETTING_HBRUN | SETTING_JOBCTL, AT(random_delay),
		"wait a random time of 0 to SECS before the job" },
	[S_SUCCESS_STATUS] = { "success_status", "success-status", 0, TYPE_STATUSES, "LIST", NULL,
		1, STATUS_MAX, NULL,
		SETTING_HBRUN | SETTING_JOBCTL, AT(success_status),
		"exit statuses (1-255, comma-separated) that count as success" },
	[S_SERVICE] = { "service", "service", 0, TYPE_CHOICE, "NAME", NULL,
		0, 0, NULL,
		SETTING_HBRUN, AT(service),
		"presets of tickstem (default), healthchecks, "
		"betterstack, uptime-kuma, deadmanssnitch, sentry, cronitor",
		service_names },
	[S_START_URL] = { "start_url", "start-url", 0, TYPE_STRING, "URL", NULL,
		0, 0, NULL,
		SETTING_HBRUN | SETTING_URL | SETTING_SCRUB, AT(start_url),
		"template of the request sent when the job starts" },
	[S_FAIL_URL] = { "fail_url", "fail-url", 0, TYPE_STRING, "URL", NULL,
		0, 0, NULL,
		SETTING_HBRUN | SETTING_URL | SETTING_SCRUB, AT(fail_url),
		"template of the request sent when the job failed" },
	[S_METHOD] = { "method", "method", 0, TYPE_CHOICE, "GET|POST", NULL,
		0, 0, NULL,
		SETTING_HBRUN, AT(method),
		"HTTP method of every request (default POST; uptime-kuma: GET)",
		method_names },
	[S_SEND_OUTPUT] = { "send_output", "send-output", 0, TYPE_COUNT, "BYTES",
		NULL, 0, MAX_SEND_OUTPUT, "0",
		SETTING_HBRUN, AT(send_output),
		"POST the last BYTES of the job's output at its end" },
	[S_SCHEDULE] = { "schedule", "schedule", 0, TYPE_STRING, "EXPR", NULL,
		0, 0, NULL,
		SETTING_HBRUN, AT(schedule),
		"when the job is due: cron or a systemd calendar event (never runs it)" },
	[S_TZ] = { "tz", "tz", 0, TYPE_STRING, "ZONE", NULL,
		0, 0, NULL,
		SETTING_HBRUN, AT(tz),
		"the schedule's time zone, an IANA name (default: local)" },
	[S_METRICS_FILE] = { "metrics_file", "metrics-file", 0, TYPE_STRING, "FILE",
		NULL, 0, 0, NULL,
		SETTING_HBRUN | SETTING_PATH | SETTING_SECTION, AT(metrics_file),
		"after each run, rewrite FILE in Prometheus' text format" },
	[S_MONITOR] = { "monitor", "monitor", 0, TYPE_STRING, "NAME", NULL,
		0, 0, NULL,
		SETTING_HBRUN, AT(monitor),
		"the monitor's name at the service (default the -j NAME)" },
	[S_HEADER] = { "header", "header", 0, TYPE_HEADERS, "'NAME: VALUE'",
		NULL, 0, 0, NULL,
		SETTING_HBRUN | SETTING_SECRET | SETTING_SCRUB, AT(headers),
		"an extra header on every request (repeatable)" },
	[S_OUTPUT_ON_FAILURE] = { "output_on_failure", "output-on-failure", 0,
		TYPE_BOOL, NULL, NULL,
		0, 1, "false",
		SETTING_HBRUN, AT(output_on_failure),
		"hold the job's output; write it only if the job failed" },
};

int setting_by_key(const char *key)
{
	for (int i = 0; i < S_COUNT; i++)
		if (strcmp(setting_defs[i].key, key) == 0)
			return i;
	return -1;
}

bool key_is_secret(const char *key)
{
	int id = setting_by_key(key);
	return id >= 0 && (setting_defs[id].flags & SETTING_SECRET);
}

void layer_init(struct layer *l)
{
	memset(l, 0, sizeof *l);
}

void layer_unset(struct layer *l, int id)
{
	secret_free(l->v[id].text);
	l->v[id] = (struct value){ .state = VALUE_UNSET };
}

void layer_set_unusable(struct layer *l, int id, int line)
{
	struct value *v = &l->v[id];
	secret_free(v->text);
	*v = (struct value){ .state = VALUE_UNUSABLE, .line = line };
}

void layer_free(struct layer *l)
{
	for (int i = 0; i < S_COUNT; i++)
		secret_free(l->v[i].text);
	free(l->folder);
	free(l->file);
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

/* A decimal number of seconds, digits and a point only, within MIN-MAX. */
static bool parse_decimal(const char *s, double min, double max, double *out)
{
	char *end;
	/* strtod() would take hex and exponents too. */
	size_t digits = s ? strspn(s, "0123456789") : 0;
	if (!s || s[strspn(s, "0123456789.")] != '\0' ||
	    strchr(s + digits, '.') != strrchr(s, '.'))
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool parse_seconds(const char *s, double *out)
{
	double v;
	if (!parse_decimal(s, 0.0, MAX_SECONDS, &v) || v <= 0.0)
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

bool parse_statuses(const char *s, unsigned char bits[(STATUS_MAX + 8) / 8])
{
	unsigned char mine[(STATUS_MAX + 8) / 8] = { 0 };
	const char *p = s;
	for (;;) {
		char *end;
		if (*p < '0' || *p > '9')
			return false;
		errno = 0;
		long v = strtol(p, &end, 10);
		if (errno || v < 1 || v > STATUS_MAX)
			return false;
		mine[v / 8] |= (unsigned char)(1u << (v % 8));
		if (*end == '\0')
			break;
		if (*end != ',')
			return false;
		p = end + 1;
	}
	if (bits)
		memcpy(bits, mine, sizeof mine);
	return true;
}

bool status_is_success(const struct settings *s, int status)
{
	if (status == 0)
		return true;
	if (status < 1 || status > STATUS_MAX)
		return false;
	return (s->success_status[status / 8] >> (status % 8)) & 1u;
}

/* The index of TEXT among CHOICES (any case), or -1. */
static int choice_index(const char *const *choices, const char *text)
{
	for (int i = 0; choices && choices[i]; i++)
		if (strcasecmp(choices[i], text) == 0)
			return i;
	return -1;
}

/* TEXT read as setting D's type into *NUMBER; false when unusable. */
static bool parse_value(const struct setting_def *d, const char *text,
			double *number)
{
	int n;
	bool b;
	switch (d->type) {
	case TYPE_STRING:
		return *text != '\0';
	case TYPE_COUNT:
		if (!parse_count(text, (int)d->max, &n) || n < (int)d->min)
			return false;
		*number = n;
		return true;
	case TYPE_SECONDS:
		return parse_decimal(text, d->min, d->max, number) &&
		       (!(d->flags & SETTING_POSITIVE) || *number > d->min);
	case TYPE_BOOL:
		if (!parse_bool(text, &b))
			return false;
		*number = b;
		return true;
	case TYPE_STATUSES:
		return parse_statuses(text, NULL);
	case TYPE_CHOICE:
		*number = choice_index(d->choices, text);
		return *number >= 0;
	case TYPE_HEADERS:
		return header_usable(text);
	}
	return false;
}

/* An HTTP token character: what a header's name is made of. */
static bool tchar(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

bool header_usable(const char *line)
{
	size_t name = 0;
	while (tchar((unsigned char)line[name]))
		name++;
	if (name == 0 || line[name] != ':')
		return false;
	/* These frame the request and its body: a second one would make it
	 * another request. */
	if ((name == 14 && strncasecmp(line, "Content-Length", name) == 0) ||
	    (name == 17 && strncasecmp(line, "Transfer-Encoding", name) == 0) ||
	    (name == 12 && strncasecmp(line, "Content-Type", name) == 0))
		return false;
	bool value = false;
	for (const char *p = line + name + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
		value |= c != ' ' && c != '\t';
	}
	/* libcurl reads "Name:" with nothing after it as "remove Name". */
	return value;
}

/* Another header line for L's list of header D: appended after those the
 * same level gave; a level that holds one unusable line stays unusable. */
static enum set_result add_header(struct layer *l, int id, const char *value,
				  int line)
{
	struct value *v = &l->v[id];
	if (v->state == VALUE_UNUSABLE)
		return *value ? (header_usable(value) ? SET_OK : SET_BAD_HEADER)
			      : SET_UNUSABLE;
	if (!*value || !header_usable(value)) {
		layer_set_unusable(l, id, line);
		return *value ? SET_BAD_HEADER : SET_UNUSABLE;
	}
	size_t size = (v->text ? strlen(v->text) + 1 : 0) + strlen(value) + 1;
	char *text = malloc(size);
	if (!text)
		return SET_BAD_VALUE;
	snprintf(text, size, "%s%s%s", v->text ? v->text : "",
		 v->text ? "\n" : "", value);
	secret_free(v->text);
	*v = (struct value){ .text = text, .state = VALUE_SET,
			     .line = v->line ? v->line : line };
	return SET_OK;
}

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* VALUE without the white space around it, malloc'd (NULL: out of
 * memory). */
static char *trimmed(const char *value)
{
	while (is_space(*value))
		value++;
	size_t len = strlen(value);
	while (len > 0 && is_space(value[len - 1]))
		len--;
	return strndup(value, len);
}

static enum set_result set_value(struct layer *l, int id, const char *value,
				 int line);

/* A credential loses the white space around it wherever it comes from,
 * as a token file's first line does: a Kubernetes secret made from a file
 * ends in a newline, which would be sent as %0A. */
enum set_result layer_set_id(struct layer *l, int id, const char *value,
			     int line)
{
	if (id < 0 || id >= S_COUNT)
		return SET_UNKNOWN_KEY;
	if (!value || !(setting_defs[id].flags & SETTING_SECRET))
		return set_value(l, id, value, line);
	char *bare = trimmed(value);
	enum set_result r = bare ? set_value(l, id, bare, line) : SET_BAD_VALUE;
	secret_free(bare);
	return r;
}

static enum set_result set_value(struct layer *l, int id, const char *value,
				 int line)
{
	double number = 0;
	const struct setting_def *d = &setting_defs[id];
	if (d->type == TYPE_HEADERS)
		return value ? add_header(l, id, value, line) : SET_BAD_VALUE;
	bool words = d->type == TYPE_STRING || d->type == TYPE_CHOICE;
	if (value && !*value && words) {
		layer_set_unusable(l, id, line);
		return SET_UNUSABLE;
	}
	if (!value || !parse_value(d, value, &number)) {
		if (!value || d->type != TYPE_CHOICE)
			return SET_BAD_VALUE;
		/* An unknown service or method is never guessed at. */
		layer_set_unusable(l, id, line);
		return SET_UNKNOWN_CHOICE;
	}
	char *copy = strdup(value);
	if (!copy)
		return SET_BAD_VALUE;
	struct value *v = &l->v[id];
	secret_free(v->text);
	v->state = VALUE_SET;
	v->text = copy;
	v->number = number;
	v->line = line;
	return SET_OK;
}

enum set_result layer_set(struct layer *l, const char *key, const char *value)
{
	int id = setting_by_key(key);
	return id < 0 ? SET_UNKNOWN_KEY : layer_set_id(l, id, value, 0);
}

/* TEXT, or FOLDER/TEXT when TEXT is relative and FOLDER is given. */
static char *path_in(const char *folder, const char *text)
{
	if (!folder || *text == '/')
		return strdup(text);
	char *p = malloc(strlen(folder) + strlen(text) + 2);
	if (p)
		stpcpy(stpcpy(stpcpy(p, folder), "/"), text);
	return p;
}

/* Put V (NULL: D's default), read in a file of FOLDER (or NULL), into
 * OUT's field for D. */
static void put(struct settings *out, const struct setting_def *d,
		const struct value *v, const char *folder)
{
	const char *text = v ? v->text : d->fallback;
	double number = v ? v->number : 0;
	if (!v && text && !parse_value(d, text, &number))
		return; /* cannot happen: the defaults are checked by the tests */
	void *at = (char *)out + d->field;
	switch (d->type) {
	case TYPE_HEADERS:
	case TYPE_STRING:
		if (text && (d->flags & SETTING_PATH))
			*(char **)at = path_in(folder, text);
		else
			*(char **)at = text ? strdup(text) : NULL;
		break;
	case TYPE_CHOICE: /* the word as the table spells it */
		*(char **)at = text ? strdup(d->choices[(int)number]) : NULL;
		break;
	case TYPE_COUNT:
		*(int *)at = (int)number;
		break;
	case TYPE_SECONDS:
		*(double *)at = number;
		break;
	case TYPE_BOOL:
		*(bool *)at = number != 0;
		break;
	case TYPE_STATUSES:
		if (text)
			parse_statuses(text, at);
		break;
	}
}

/* The first layer (highest precedence) that sets ID, or -1. */
static int first_setting(const struct layer layers[], int id)
{
	for (int i = 0; i < LAYER_COUNT; i++)
		if (layers[i].v[id].state != VALUE_UNSET)
			return i;
	return -1;
}

/* An api_url or a template names the server of the service chosen at its
 * own level or a higher one: a global one meant for one service must not
 * take the token of another service chosen in a job's section.  Below
 * that level it does not apply, as if not set: the default (or the
 * service's preset) stands. */
static void scope_to_service(struct settings *out)
{
	static const int scoped[] = { S_API_URL, S_PING_URL, S_START_URL,
				      S_FAIL_URL };
	int service = out->from[S_SERVICE];
	for (size_t i = 0; i < sizeof scoped / sizeof *scoped; i++) {
		const struct setting_def *d = &setting_defs[scoped[i]];
		int from = out->from[scoped[i]];
		if (service < 0 || from <= service)
			continue;
		char **field = (char **)(void *)((char *)out + d->field);
		secret_free(*field);
		*field = NULL;
		out->unusable[scoped[i]] = false;
		out->from[scoped[i]] = -1;
		put(out, d, NULL, NULL);
	}
}

void settings_merge(const struct layer layers[], unsigned program,
		    struct settings *out, int *token_from)
{
	memset(out, 0, sizeof *out);
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		if (!(d->flags & program) || d->field == NO_FIELD)
			continue;
		int from = first_setting(layers, id);
		out->from[id] = from;
		if (from >= 0 && layers[from].v[id].state == VALUE_UNUSABLE)
			out->unusable[id] = true;
		else
			put(out, d, from >= 0 ? &layers[from].v[id] : NULL,
			    from >= 0 ? layers[from].folder : NULL);
	}
	if (program & SETTING_HBRUN)
		scope_to_service(out);
	/* The token and its file are one credential: the highest level that
	 * gives either decides. */
	int token = first_setting(layers, S_TOKEN);
	int file = first_setting(layers, S_TOKEN_FILE);
	*token_from = token < 0 ? file : file < 0 ? token
			     : token < file ? token : file;
	if (!(program & SETTING_HBRUN))
		*token_from = -1;
	out->from[S_TOKEN] = *token_from;
}

void settings_from_env(struct layer *l, unsigned program)
{
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		const char *value = d->env ? getenv(d->env) : NULL;
		/* An empty variable counts as unset. */
		if ((d->flags & program) && value && *value)
			layer_set_id(l, id, value, 0);
	}
}

void settings_free(struct settings *s)
{
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		bool text = d->type == TYPE_STRING || d->type == TYPE_CHOICE ||
			    d->type == TYPE_HEADERS;
		if (text && d->field != NO_FIELD)
			secret_free(*(char **)((char *)s + d->field));
	}
	secret_free(s->token);
	memset(s, 0, sizeof *s);
}
