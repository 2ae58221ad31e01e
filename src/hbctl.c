/* hbctl: manage the heartbeats that hbrun pings (see hbctl(1)).
 *
 * Command line -> settings -> one call to the API -> its output -> an exit
 * status that tells a bad key from a full plan from a missing heartbeat.
 * The calls are tickstem.c's, made by call.c with hbrun's retries and its
 * one reading of a reply; the ping is hbrun's own (ping.c); the JSON is
 * heartbeat.c's; the output hbctl_out.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hbctl_cli.h"
#include "hbctl_out.h"
#include "heartbeat.h"
#include "msg.h"
#include "ping.h"
#include "settings.h"
#include "tickstem.h"
#include "url.h"

#define TEXT_MAX 300

struct context {
	const struct hbctl_args *args;
	const struct settings *settings;
	struct tickstem_client client;
};

/* What a failed call's status means, for a reply that says nothing. */
static const char *meaning(long status)
{
	switch (status) {
	case 401: return "unauthorized: invalid or revoked API key";
	case 402: return "quota exceeded: the plan's heartbeat limit";
	case 404: return "not found";
	default: return "refused";
	}
}

/* Replace every SECRET in TEXT by "..." (never longer than SECRET): a
 * server that echoes the key must not make hbctl print it. */
static void hide(char *text, const char *secret)
{
	size_t len = secret ? strlen(secret) : 0;
	size_t mark = len < 3 ? len : 3;
	for (char *at = text; len > 0 && (at = strstr(at, secret)); at += mark) {
		memcpy(at, "...", mark);
		memmove(at + mark, at + len, strlen(at + len) + 1);
	}
}

/* One line for a call that failed; the exit status it means. */
static int report(const struct context *cx, const struct call_result *r)
{
	const char *what = cx->args->command_name;
	char after[64] = "", said[TEXT_MAX];
	if (r->attempts > 1)
		snprintf(after, sizeof after, " after %d attempts", r->attempts);
	const char *why = r->stopped_by ? r->stopped_by : "";
	const char *sep = r->stopped_by ? "; " : "";
	if (r->status == 0) {
		char origin[TEXT_MAX];
		url_origin(cx->client.api_url, origin, sizeof origin);
		msg_error("%s: no reply from %s%s: %s%s%s", what, origin, after,
			  r->error, sep, why);
		return hbctl_exit_of(r);
	}
	error_text(r->body, r->body_len, said, sizeof said);
	hide(said, cx->client.api_key);
	if (cx->args->command == CMD_DELETE && r->status == 404 &&
	    r->attempts > 1) {
		sep = "; ";
		why = "an earlier attempt may have deleted it";
	}
	msg_error("%s: %s (HTTP %ld)%s%s%s", what,
		  *said ? said : meaning(r->status), r->status, after, sep, why);
	return hbctl_exit_of(r);
}

static int unexpected(const struct context *cx, const char *why)
{
	msg_error("%s: unexpected reply: %s", cx->args->command_name, why);
	return HBCTL_EXIT_FAILURE;
}

typedef int show_fn(const struct context *cx, const json_t *root);

/* After a call: the failure said, or the reply shown by SHOW, or as it
 * came for --json.  SHOW NULL: the reply need not hold anything (delete),
 * and --json prints it only if it is JSON. */
static int conclude(const struct context *cx, const struct call_result *r,
		    show_fn *show)
{
	if (r->outcome != OUTCOME_SUCCESS)
		return report(cx, r);
	json_t *root = json_from_body(r->body, r->body_len);
	int status = HBCTL_EXIT_DONE;
	if (cx->args->json && root)
		out_body(stdout, r->body, r->body_len);
	else if (show && !root)
		status = unexpected(cx, r->body_len ? "not JSON" : "empty");
	else if (show && !cx->args->json)
		status = show(cx, root);
	json_decref(root);
	return status;
}

static int show_heartbeat(const struct context *cx, const json_t *root)
{
	struct heartbeat hb;
	if (!heartbeat_read(root, &hb))
		return unexpected(cx, "no heartbeat in it");
	char *url = hb.token ? url_for_ping(cx->settings->api_url, NULL,
					     hb.token) : NULL;
	out_heartbeat(stdout, &hb, url);
	free(url);
	return HBCTL_EXIT_DONE;
}

static int show_list(const struct context *cx, const json_t *root)
{
	struct heartbeat *hb;
	size_t n;
	if (!heartbeat_list_read(root, &hb, &n))
		return unexpected(cx, "no list of heartbeats in it");
	out_heartbeats(stdout, hb, n);
	free(hb);
	return HBCTL_EXIT_DONE;
}

static int show_pings(const struct context *cx, const json_t *root)
{
	struct ping_record *p;
	size_t n;
	if (!ping_list_read(root, &p, &n))
		return unexpected(cx, "no list of pings in it");
	out_pings(stdout, p, n);
	free(p);
	return HBCTL_EXIT_DONE;
}

/* A request body that cannot be made is the user's value: nothing sent. */
static int no_body(const struct context *cx)
{
	msg_error("%s: the name is not valid UTF-8; nothing sent",
		  cx->args->command_name);
	return HBCTL_EXIT_USAGE;
}

/* create and update send a body and show the heartbeat that comes back. */
static int send_body(const struct context *cx, char *body)
{
	const struct hbctl_args *a = cx->args;
	if (!body)
		return no_body(cx);
	struct call_result r;
	if (a->command == CMD_CREATE)
		tickstem_create(&cx->client, body, &r);
	else
		tickstem_update(&cx->client, a->operand, body, &r);
	free(body);
	int status = conclude(cx, &r, show_heartbeat);
	call_result_free(&r);
	return status;
}

/* The ping is hbrun's, with its messages: only the retry policy is
 * hbctl's, the one of every call it makes. */
static int run_ping(const struct context *cx)
{
	struct settings s = *cx->settings;
	s.token = cx->args->operand;
	s.ping_url = NULL;
	s.ping_retries = TICKSTEM_RETRIES;
	s.ping_timeout = TICKSTEM_ATTEMPT_TIMEOUT;
	s.ping_deadline = cx->args->deadline;
	struct call_result r;
	ping_call(&s, NULL, &r);
	int status = hbctl_exit_of(&r); /* the failure is said already */
	if (r.outcome == OUTCOME_SUCCESS)
		status = conclude(cx, &r, NULL);
	call_result_free(&r);
	return status;
}

static int run(const struct context *cx)
{
	const struct hbctl_args *a = cx->args;
	const struct tickstem_client *c = &cx->client;
	struct call_result r;
	show_fn *show = show_heartbeat;
	switch (a->command) {
	case CMD_CREATE:
		return send_body(cx, create_body(a->operand, a->interval,
						 a->grace));
	case CMD_UPDATE:
		return send_body(cx, update_body(a->name, a->interval,
						 a->grace));
	case CMD_PING:
		return run_ping(cx);
	case CMD_LIST: tickstem_list(c, &r); show = show_list; break;
	case CMD_GET: tickstem_get(c, a->operand, &r); break;
	case CMD_PAUSE:
		return send_body(cx, status_body("paused"));
	case CMD_RESUME:
		return send_body(cx, status_body("active"));
	case CMD_DELETE: tickstem_delete(c, a->operand, &r); show = NULL; break;
	case CMD_PINGS:
		tickstem_pings(c, a->operand, a->limit, &r);
		show = show_pings;
		break;
	}
	int status = conclude(cx, &r, show);
	call_result_free(&r);
	return status;
}

/* A key goes into a header line: white space or a control character in it
 * would break the line, or start another. */
static bool key_usable(const char *key)
{
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

/* Everything that can be known before a request: -1 when all is well,
 * else the exit status. */
static int preflight(const struct hbctl_args *a, const struct settings *s)
{
	if (a->command != CMD_PING && !s->api_key) {
		msg_error("no API key (--api-key, TICKSTEM_API_KEY, or api_key "
			  "in the config file); nothing sent");
		return HBCTL_EXIT_USAGE;
	}
	if (a->command != CMD_PING && !key_usable(s->api_key)) {
		msg_error("the API key holds white space or a control "
			  "character; nothing sent");
		return HBCTL_EXIT_USAGE;
	}
	/* Loaded before the URL is judged: libcurl is what parses it. */
	if (!http_init()) {
		msg_error("cannot load libcurl (%s)", http_init_error());
		return HBCTL_EXIT_FAILURE;
	}
	if (!url_usable(s->api_url, s->allow_http, "the API URL",
			"nothing sent", msg_error))
		return HBCTL_EXIT_USAGE;
	return -1;
}

/* Output that could not be written is a failure, even after success. */
static int flush_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		msg_error("cannot write the output: %s", strerror(errno));
		return status == HBCTL_EXIT_DONE ? HBCTL_EXIT_FAILURE : status;
	}
	return status;
}

int main(int argc, char **argv)
{
	msg_set_program("hbctl");
	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	struct hbctl_args args = { .layer = &layers[LAYER_CLI] };
	enum hbctl_parsed parsed = hbctl_parse(argc, argv, &args);
	if (parsed != HBCTL_RUN) {
		layer_free(&layers[LAYER_CLI]);
		hbctl_args_free(&args);
		return flush_output(parsed == HBCTL_EXIT_OK ? HBCTL_EXIT_DONE
							    : HBCTL_EXIT_USAGE);
	}

	struct settings settings;
	settings_load_hbctl(&settings, layers, args.config);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);

	int status = preflight(&args, &settings);
	if (status < 0) {
		struct context cx = {
			.args = &args, .settings = &settings,
			.client = {
				.api_url = settings.api_url,
				.api_key = settings.api_key,
				.cacert = settings.cacert,
				.allow_http = settings.allow_http,
				.deadline = args.deadline,
			},
		};
		status = run(&cx);
	}
	status = flush_output(status);
	settings_free(&settings);
	hbctl_args_free(&args);
	return status;
}
