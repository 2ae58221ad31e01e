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
#include "msg.h"
#include "url.h"

#define LINE_MAX_ 512

static int problems;

/* clang-analyzer 14 takes a va_list started here and passed to vprintf
 * for an uninitialised one. */
__attribute__((format(printf, 1, 2)))
static void ok(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("ok: ", stdout);
	vprintf(fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	putchar('\n');
	va_end(ap);
}

__attribute__((format(printf, 1, 2)))
static void problem(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("problem: ", stdout);
	vprintf(fmt, ap); /* NOLINT(clang-analyzer-valist.Uninitialized) */
	putchar('\n');
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
	else if (d->flags & SETTING_SECRET)
		token_redact(text, buf, size);
	else if (d->flags & SETTING_URL)
		url_origin(text, buf, size);
	else if (id == S_LOCK && s->lock)
		snprintf(buf, size, "%s", s->lock);
	else
		snprintf(buf, size, "%s", text);
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
		printf("%s = %s (%s)\n", d->key, value, source);
	}
}

static void check_config(const struct cli *cli)
{
	bool explicit;
	char *path = config_find(cli->config, &explicit);
	struct stat st;
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
	if (s->token) {
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

/* The ping URL, if it passes the URL rules (malloc'd), else NULL.  With no
 * token, a stand-in: the host is what the connection check needs. */
static char *check_url(const struct settings *s, char *origin, size_t size)
{
	if (s->unusable[S_API_URL] || s->unusable[S_PING_URL]) {
		problem("the ping URL's setting is set but unusable (see the "
			"warning above): no ping would be sent");
		return NULL;
	}
	char *url = url_for_ping(s->api_url, s->ping_url,
				 s->token ? s->token : "TOKEN");
	if (!url)
		return NULL;
	url_origin(url, origin, size);
	switch (url_check(url, s->allow_http)) {
	case URL_OK_HTTPS:
	case URL_OK_HTTP:
		ok("ping URL %s passes the URL rules", origin);
		return url;
	case URL_MALFORMED:
		problem("the ping URL is not a valid URL");
		break;
	case URL_BAD_SCHEME:
		problem("ping URL %s is neither https nor http", origin);
		break;
	case URL_HTTP_REFUSED:
		problem("ping URL %s: plain http to a host that is not "
			"loopback (--allow-http permits it)", origin);
		break;
	}
	explicit_bzero(url, strlen(url));
	free(url);
	return NULL;
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
		.connect_only = true, .cancel_fd = -1,
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
	char origin[LINE_MAX_];
	char *url = check_url(s, origin, sizeof origin);
	if (url)
		check_connection(s, url, origin);
	if (url)
		explicit_bzero(url, strlen(url));
	free(url);
	fflush(stdout);
	return problems ? 1 : 0;
}
