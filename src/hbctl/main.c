/* hbctl: manage the heartbeats that hbrun pings (see hbctl(1)).
 *
 * Command line -> settings -> the command's calls to the API (one, or for
 * pause, resume and ensure a few, each judged by what came back) -> its
 * output -> an exit status that tells a bad key from a full plan from a
 * missing heartbeat.
 * The calls are tickstem.c's, made by call.c with hbrun's retries and its
 * one reading of a reply; the ping is hbrun's own (ping.c); what a reply
 * comes to, said or shown, is reply.c's; pause, resume and ensure,
 * which judge the state a call left, are state.c's. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cli.h"
#include "reply.h"
#include "state.h"
#include "msg.h"
#include "next.h"
#include "ping.h"
#include "sched_values.h"
#include "settings.h"
#include "tickstem.h"
#include "url.h"

/* create and update send a body and show the heartbeat that comes back. */
static int send_body(const struct hbctl_context *cx, char *body)
{
	const struct hbctl_args *a = cx->args;
	if (!body)
		return reply_no_body(cx);
	struct call_result r;
	if (a->command == CMD_CREATE)
		tickstem_create(&cx->client, body, &r);
	else
		tickstem_update(&cx->client, a->operand, body, &r);
	free(body);
	int status = reply_conclude(cx, &r, &reply_heartbeat);
	call_result_free(&r);
	return status;
}

/* The ping is hbrun's, with its messages: only the retry policy is
 * hbctl's, the one of every call it makes. */
static int run_ping(const struct hbctl_context *cx)
{
	struct settings s = *cx->settings;
	s.token = cx->args->operand;
	s.ping_url = NULL;
	s.ping_retries = TICKSTEM_RETRIES;
	s.ping_timeout = TICKSTEM_ATTEMPT_TIMEOUT;
	s.ping_deadline = cx->args->deadline;
	struct call_result r;
	ping_call(&s, &r);
	int status = hbctl_exit_of(&r); /* the failure is said already */
	if (r.outcome == OUTCOME_SUCCESS)
		status = reply_show(cx, &r, &reply_nothing);
	call_result_free(&r);
	return status;
}

static int run(const struct hbctl_context *cx)
{
	const struct hbctl_args *a = cx->args;
	const struct tickstem_client *c = &cx->client;
	struct call_result r;
	const struct view *view = &reply_heartbeat;
	switch (a->command) {
	case CMD_CREATE:
		return send_body(cx, create_body(a->operand, a->interval,
						 a->grace));
	case CMD_UPDATE:
		return send_body(cx, update_body(a->name, a->interval,
						 a->grace));
	case CMD_ENSURE: return hbctl_ensure(cx);
	case CMD_PING: return run_ping(cx);
	case CMD_NEXT: return hbctl_next(a);
	case CMD_PAUSE:
	case CMD_RESUME: return hbctl_pause(cx);
	case CMD_LIST: tickstem_list(c, &r); view = &reply_list; break;
	case CMD_GET: tickstem_get(c, a->operand, &r); break;
	case CMD_DELETE:
		tickstem_delete(c, a->operand, &r);
		view = &reply_nothing;
		break;
	case CMD_PINGS:
		tickstem_pings(c, a->operand, a->limit, &r);
		view = &reply_pings;
		break;
	}
	int status = reply_conclude(cx, &r, view);
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
	if (s->no_requests) {
		msg_error("the config file cannot be used; nothing sent");
		return HBCTL_EXIT_USAGE;
	}
	if (!s->api_url) {
		msg_error("the API URL is empty; nothing sent");
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

	/* next needs no settings, no key and no network. */
	if (args.command == CMD_NEXT) {
		for (int i = 0; i < LAYER_COUNT; i++)
			layer_free(&layers[i]);
		int st = flush_output(hbctl_next(&args));
		hbctl_args_free(&args);
		return st;
	}

	struct settings settings;
	settings_load_hbctl(&settings, layers, args.config);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);

	int status = hbctl_schedule_values(&args, args.config);
	if (status < 0)
		status = preflight(&args, &settings);
	if (status < 0) {
		struct hbctl_context cx = {
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
