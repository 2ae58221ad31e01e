#include "checkup.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "http.h"
#include "lock.h"
#include "metrics.h"
#include "msg.h"
#include "notify.h"
#include "sched_check.h"
#include "service.h"
#include "upsert.h"
#include "url.h"

#define LINE_MAX_ 512

static int problems;

/* One line of the report.  libcurl's error texts name the host, and a
 * template may put the token there: every line hides the token as
 * messages do. */
__attribute__((format(printf, 2, 0)))
static void report(const char *kind, const char *fmt, va_list ap)
{
	char line[LINE_MAX_ * 2];
	/* clang-analyzer 14 takes a va_list passed on for an uninitialised
	 * one. */
	vsnprintf(line, sizeof line, fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	msg_hide_secrets(line);
	printf("%s: %s\n", kind, line);
}

__attribute__((format(printf, 1, 2)))
static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("ok", fmt, ap);
	va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void problem(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report("problem", fmt, ap);
	va_end(ap);
	problems++;
}

void check_source(const struct setting_def *d, const struct layer layers[],
		  int from, int id, char *buf, size_t size)
{
	switch (from) {
	case LAYER_CLI:
		snprintf(buf, size, "command line");
		break;
	case LAYER_ENV:
		snprintf(buf, size, "environment %s", d->env ? d->env : "?");
		break;
	case LAYER_JOB:
	case LAYER_GLOBAL:
		snprintf(buf, size, "%s:%d",
			 layers[from].file ? layers[from].file : "config file",
			 layers[from].v[id].line);
		break;
	default:
		snprintf(buf, size, "default");
	}
}

/* The first layer that sets ID, or -1 (the default). */
static int deciding(const struct layer layers[], int id)
{
	for (int i = 0; i < LAYER_COUNT; i++)
		if (layers[i].v[id].state != VALUE_UNSET)
			return i;
	return -1;
}

/* A template's origin: its fields stand in the URL as words libcurl can
 * parse ("{token}.example.com" is a valid template, not an unparsable
 * URL), then are put back as written. */
#define FIELD_MARK "hbrunfield"

static void template_origin(const char *template, char *buf, size_t size)
{
	char marked[LINE_MAX_ * 2], *o = marked;
	const char *fields[16];
	int n = 0;
	for (const char *p = template; *p && o < marked + sizeof marked - 32;) {
		size_t word = *p == '{' ? strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_") : 0;
		if (word && p[word + 1] == '}' && n < 16) {
			fields[n] = p;
			o += snprintf(o, 32, FIELD_MARK "%dx", n++);
			p += word + 2;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	char origin[LINE_MAX_];
	url_origin(marked, origin, sizeof origin);
	o = buf;
	for (const char *p = origin; *p && (size_t)(o - buf) + 1 < size;) {
		char *end = NULL;
		long i = strncmp(p, FIELD_MARK, strlen(FIELD_MARK)) == 0
			 ? strtol(p + strlen(FIELD_MARK), &end, 10) : -1;
		if (end && *end == 'x' && i >= 0 && i < n) {
			size_t len = strcspn(fields[i], "}") + 1;
			if ((size_t)(o - buf) + len + 1 >= size)
				break;
			o = mempcpy(o, fields[i], len);
			p = end + 1;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
}

/* Header lines TEXT ('\n' between) as "Name: valu..." each, the values
 * redacted as the token is. */
static void shown_headers(const char *text, char *buf, size_t size)
{
	size_t at = 0;
	buf[0] = '\0';
	for (const char *line = text; *line && at < size;) {
		size_t len = strcspn(line, "\n");
		const char *colon = memchr(line, ':', len);
		char value[LINE_MAX_], shown[16];
		size_t name = colon ? (size_t)(colon - line) : len;
		size_t skip = colon ? strspn(colon + 1, " \t") + 1 : 0;
		snprintf(value, sizeof value, "%.*s",
			 (int)(len - name - (colon ? skip : 0)),
			 colon ? colon + skip : "");
		token_redact(value, shown, sizeof shown);
		explicit_bzero(value, sizeof value);
		at += (size_t)snprintf(buf + at, size - at, "%s%.*s: %s",
				       at ? "; " : "", (int)name, line, shown);
		line += len + (line[len] == '\n');
	}
}

/* Setting ID's value as a message may show it. */
static void shown_value(const struct settings *s, const struct layer layers[],
			int id, int from, char *buf, size_t size)
{
	const struct setting_def *d = &setting_defs[id];
	const struct value *v = from >= 0 ? &layers[from].v[id] : NULL;
	const char *text = v ? v->text : d->fallback;
	if (v && v->state == VALUE_UNUSABLE)
		snprintf(buf, size, "(set but unusable)");
	else if (id == S_API_KEY)
		snprintf(buf, size, "%s", text ? "(set, not shown)" : "(not set)");
	else if (!text)
		snprintf(buf, size, "(none)");
	else if (id == S_HEADER)
		shown_headers(text, buf, size);
	else if (d->flags & SETTING_SECRET)
		token_redact(text, buf, size);
	else if (d->flags & SETTING_URL)
		template_origin(text, buf, size);
	else if (id == S_LOCK && s->lock)
		snprintf(buf, size, "%s", s->lock);
	else
		snprintf(buf, size, "%s", text);
}

/* A service and a method that no level sets are still decided: by the
 * default service, and by the service's own method. */
static void unset_choice(const struct settings *s, int id, char *value,
			 size_t vsize, char *source, size_t ssize)
{
	const struct service *svc = service_find(s->service);
	if (id == S_SERVICE) {
		snprintf(value, vsize, "%s", svc ? svc->name : "(none)");
	} else if (notify_method(s)) {
		snprintf(value, vsize, "%s", notify_method(s));
		if (s->service)
			snprintf(source, ssize, "service %s", s->service);
	}
}

static void show_settings(const struct settings *s,
			  const struct layer layers[])
{
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		char value[LINE_MAX_], source[LINE_MAX_];
		int from = deciding(layers, id);
		shown_value(s, layers, id, from, value, sizeof value);
		check_source(d, layers, from, id, source, sizeof source);
		if (from < 0 && (id == S_SERVICE || id == S_METHOD))
			unset_choice(s, id, value, sizeof value, source,
				     sizeof source);
		/* Set below the level that chose the service: not its. */
		bool idle = from >= 0 && id != S_TOKEN && id != S_TOKEN_FILE &&
			    d->field != NO_FIELD && s->from[id] < 0;
		/* The job's name stands in for a monitor not set. */
		if (from < 0 && id == S_MONITOR && s->monitor) {
			snprintf(value, sizeof value, "%s", s->monitor);
			snprintf(source, sizeof source, "-j NAME");
		}
		printf("%s = %s (%s%s)\n", d->key, value, source, idle
		       ? "; not applied: the service is chosen at a higher "
			 "level" : "");
	}
}

static void check_config(const struct cli *cli)
{
	bool explicit;
	char *passed_over;
	char *path = config_find(cli->config, &explicit, &passed_over);
	struct stat st;
	if (passed_over)
		ok("config file %s is not readable by you: passed over as if "
		   "absent (not your file)", passed_over);
	free(passed_over);
	if (!path) {
		ok("no config file: settings from the command line, the "
		   "environment and the defaults");
	} else if (stat(path, &st) != 0) {
		problem("config file %s: %s", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		problem("config file %s is not a regular file", path);
	} else {
		switch (file_trust(st.st_mode, st.st_uid, geteuid())) {
		case TRUST_OK:
		case TRUST_READABLE:
			ok("config file %s: owner and mode can be trusted", path);
			break;
		case TRUST_WRITABLE:
			problem("config file %s is writable by group or others "
				"(chmod go-w it)", path);
			break;
		case TRUST_FOREIGN:
			problem("config file %s is owned by uid %lu, not by you "
				"or root", path, (unsigned long)st.st_uid);
			break;
		}
	}
	free(path);
}

static void check_token(const struct settings *s, const struct layer layers[])
{
	if (s->token && s->token_env) {
		char shown[16];
		token_redact(s->token, shown, sizeof shown);
		ok("token %s (environment %s)", shown, s->token_env);
	} else if (s->token) {
		char shown[16], source[LINE_MAX_];
		int from = s->from[S_TOKEN];
		int id = layers[from].v[S_TOKEN].state != VALUE_UNSET
			 ? S_TOKEN : S_TOKEN_FILE;
		token_redact(s->token, shown, sizeof shown);
		check_source(&setting_defs[id], layers, from, id, source,
			     sizeof source);
		ok("token %s (%s)", shown, source);
	} else if (!url_needs_token(s->ping_url)) {
		ok("no token needed: the ping URL holds no {token}");
	} else if (s->unusable[S_TOKEN]) {
		problem("the token is set but unusable (see the warning "
			"above): no ping would be sent");
	} else {
		problem("no token (-t, --token-file, HBRUN_TOKEN or the config "
			"file's token): no ping would be sent");
	}
}

/* What is wrong with FILE as a program, or NULL. */
static const char *program_problem(const char *file)
{
	struct stat st;
	if (stat(file, &st) != 0)
		return strerror(errno);
	if (!S_ISREG(st.st_mode))
		return "not a regular file";
	if (access(file, X_OK) != 0)
		return "not executable";
	return NULL;
}

/* COMMAND as execvp would find it: a name with a slash as it stands,
 * else the first executable of that name in PATH. */
static void check_command(const char *command)
{
	if (strchr(command, '/')) {
		const char *why = program_problem(command);
		if (why)
			problem("command %s: %s; a run would exit %d", command,
				why, errno == ENOENT ? 127 : 126);
		else
			ok("command %s is executable", command);
		return;
	}
	const char *path = getenv("PATH");
	char *dirs = strdup(path && *path ? path : "/bin:/usr/bin");
	const char *seen = NULL;
	char full[4096];
	for (char *save, *dir = dirs ? strtok_r(dirs, ":", &save) : NULL;
	     dir; dir = strtok_r(NULL, ":", &save)) {
		snprintf(full, sizeof full, "%s/%s", *dir ? dir : ".", command);
		const char *why = program_problem(full);
		if (!why) {
			ok("command %s is executable: %s", command, full);
			free(dirs);
			return;
		}
		if (!seen && errno != ENOENT)
			seen = why;
	}
	free(dirs);
	if (seen)
		problem("command %s: found in PATH but %s; a run would exit "
			"126", command, seen);
	else
		problem("command %s: not found in PATH; a run would exit 127",
			command);
}

static void check_lock(const struct settings *s)
{
	char why[256];
	if (s->unusable[S_LOCK])
		problem("lock: empty file name; a run would exit 125");
	else if (!s->lock)
		return;
	else if (lock_usable(s->lock, why, sizeof why))
		ok("lock file %s is usable (not taken, nothing created)",
		   s->lock);
	else
		problem("lock file %s: %s; a run would exit 125", s->lock, why);
}

static void check_metrics_file(const struct settings *s)
{
	int err;
	if (s->unusable[S_METRICS_FILE])
		problem("metrics_file: empty file name; no file would be written");
	else if (!s->metrics_file)
		return;
	else if (s->no_requests)
		problem("the config file cannot be used: the metrics file would "
			"not be written");
	else if ((err = metrics_folder_writable(s->metrics_file)) != 0)
		problem("metrics file %s: its folder cannot be written (%s)",
			s->metrics_file, strerror(err));
	else
		ok("metrics file %s: its folder can be written (nothing "
		   "written)", s->metrics_file);
}

/* Resolve, connect and (https) a verified TLS handshake: no request. */
static void check_connection(const struct settings *s, const char *url,
			     const char *origin)
{
	if (!http_init()) {
		problem("cannot load libcurl: %s", http_init_error());
		return;
	}
	bool http = url_check(url, s->allow_http) == URL_OK_HTTP;
	struct http_request req = {
		.method = "GET", .url = url, .allow_http = http,
		.cacert = s->cacert, .timeout = s->ping_timeout,
		.connect_only = true,
	};
	struct http_reply reply;
	http_perform(&req, &reply);
	if (reply.curl_code == 0)
		ok("%s answers%s (no request sent)", origin,
		   http ? "" : ", its TLS certificate verified");
	else
		problem("cannot reach %s within %.15g s: %s", origin,
			s->ping_timeout, reply.error);
	http_reply_free(&reply);
}

/* The body Sentry's start request would carry, as it is. */
static void show_upsert(const struct settings *s, const char *run_id)
{
	char *body = upsert_body(s, run_id);
	if (body)
		ok("start request body (Sentry's monitor): %s", body);
	free(body);
}

/* A self-hosted healthchecks serves its pings under /ping: a base
 * without a path is most likely missing it. */
static void hint_healthchecks_base(const struct settings *s)
{
	char path[8] = "";
	if (!s->service || strcmp(s->service, "healthchecks") != 0 ||
	    s->from[S_API_URL] < 0 || !s->api_url)
		return;
	const char *p = strstr(s->api_url, "://");
	p = p ? strchr(p + 3, '/') : NULL;
	snprintf(path, sizeof path, "%s", p ? p : "");
	char origin[LINE_MAX_];
	url_origin(s->api_url, origin, sizeof origin);
	/* hc-ping.com is the one that serves them at its root. */
	if ((strcmp(path, "") == 0 || strcmp(path, "/") == 0) &&
	    !strstr(origin, "://hc-ping.com"))
		problem("the healthchecks base %s has no path: a self-hosted "
			"healthchecks takes pings under /ping "
			"(https://HOST/ping)", origin);
}

/* Each request a run would send, planned as the run plans it (the same
 * rules, the same warnings), and the way to its host.  Without a token, a
 * stand-in fills the URL: the host is what the way to it needs (the token
 * itself is judged above). */
static void check_requests(const struct settings *s)
{
	static const enum event events[] = { EVENT_START, EVENT_SUCCESS,
					      EVENT_FAIL };
	if (s->no_requests) {
		problem("the config file cannot be used: no request would be "
			"sent at all");
		return;
	}
	struct settings mine = *s;
	if (!mine.token && !mine.unusable[S_TOKEN])
		mine.token = "TOKEN";
	char run_id[RUN_ID_SIZE];
	run_id_new(run_id);
	struct template_values vals = { .v = {
		[FIELD_RUN_ID] = run_id, [FIELD_EXIT_STATUS] = "1",
		[FIELD_DURATION_MS] = "0", [FIELD_MESSAGE] = "check",
		[FIELD_MONITOR] = s->monitor, [FIELD_HOSTNAME] = "host",
		[FIELD_DURATION_S] = "0.000", [FIELD_MAX_RSS_KB] = "0",
		[FIELD_CPU_MS] = "0",
	} };
	for (size_t i = 0; i < sizeof events / sizeof *events; i++) {
		enum event e = events[i];
		struct planned_request req;
		if (!notify_wanted(&mine, e)) {
			if (e == EVENT_SUCCESS)
				problem("no ping would be sent: the service, "
					"method or a header is unusable");
			continue;
		}
		const char *before = msg_last_warning();
		char said[300];
		snprintf(said, sizeof said, "%s", before);
		if (!notify_plan(&mine, e, &vals, &req)) {
			/* The warning that says why, if it is a new one. */
			const char *why = msg_last_warning();
			problem("no %s would be sent%s%s", event_name(e),
				strcmp(why, said) ? ": " : "",
				strcmp(why, said) ? why : "");
			continue;
		}
		ok("%s URL %s passes the URL rules", event_name(e), req.shown);
		if (e == EVENT_SUCCESS)
			hint_healthchecks_base(s);
		if (e == EVENT_START)
			show_upsert(s, run_id);
		check_connection(s, req.url, req.shown);
		planned_request_free(&req);
	}
}

int check_main(const struct settings *s, const struct layer layers[],
	       const struct cli *cli)
{
	problems = 0;
	show_settings(s, layers);
	fflush(stdout);
	/* The warnings a run would print, in its words; -q does not apply. */
	msg_to_stdout();
	msg_release(false, cli->verbose);
	check_config(cli);
	check_token(s, layers);
	if (cli->command && cli->command[0])
		check_command(cli->command[0]);
	check_lock(s);
	check_metrics_file(s);
	char tz_from[LINE_MAX_];
	check_source(&setting_defs[S_TZ], layers, deciding(layers, S_TZ), S_TZ, tz_from,
		     sizeof tz_from);
	problems += check_schedule(s, tz_from);
	check_requests(s);
	fflush(stdout);
	return problems ? 1 : 0;
}
