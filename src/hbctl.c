/* hbctl: manage the heartbeats that hbrun pings (see hbctl(1)).
 *
 * Command line -> settings -> the command's calls to the API (one, or for
 * pause, resume and ensure a few, each judged by what came back) -> its
 * output -> an exit status that tells a bad key from a full plan from a
 * missing heartbeat.
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

/* How a command shows a 2xx reply. */
struct view {
	show_fn *show;        /* NULL: the reply need hold nothing (delete) */
	const char *list_key; /* a list reply's array, judged with --json too */
};

/* A 2xx reply: shown by V, or as it came for --json.  A reply to a list
 * that lacks its array is unexpected either way; without V->show, --json
 * prints the reply only if it is JSON. */
static int show_reply(const struct context *cx, const struct call_result *r,
		      const struct view *v)
{
	json_t *root = json_from_body(r->body, r->body_len);
	int status = HBCTL_EXIT_DONE;
	char why[64];
	if (v->list_key && root && !json_has_list(root, v->list_key)) {
		snprintf(why, sizeof why, "no list of %s in it", v->list_key);
		status = unexpected(cx, why);
	} else if (cx->args->json && root) {
		out_body(stdout, r->body, r->body_len);
	} else if (v->show && !root) {
		status = unexpected(cx, r->body_len ? "not JSON" : "empty");
	} else if (v->show && !cx->args->json) {
		status = v->show(cx, root);
	}
	json_decref(root);
	return status;
}

/* After a management call: a reply too long to judge, the failure said,
 * or the reply shown. */
static int conclude(const struct context *cx, const struct call_result *r,
		    const struct view *v)
{
	if (r->body_cut)
		return unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return report(cx, r);
	return show_reply(cx, r, v);
}

static void print_heartbeat(const struct context *cx,
			    const struct heartbeat *hb)
{
	char *url = hb->token ? url_for_ping(cx->settings->api_url, NULL,
					      hb->token) : NULL;
	out_heartbeat(stdout, hb, url);
	free(url);
}

static int show_heartbeat(const struct context *cx, const json_t *root)
{
	struct heartbeat hb;
	if (!heartbeat_read(root, &hb))
		return unexpected(cx, "no heartbeat in it");
	print_heartbeat(cx, &hb);
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

static const struct view heartbeat_view = { show_heartbeat, NULL };
static const struct view list_view = { show_list, "heartbeats" };
static const struct view pings_view = { show_pings, "pings" };
static const struct view nothing_view = { NULL, NULL };

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
	int status = conclude(cx, &r, &heartbeat_view);
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
		status = show_reply(cx, &r, &nothing_view);
	call_result_free(&r);
	return status;
}

/* Whether HB shows what pause (PAUSE) or resume asked for: paused, or any
 * status but paused (a resumed heartbeat may be failing). */
static bool status_reached(const struct heartbeat *hb, bool pause)
{
	if (!hb->status)
		return false;
	bool paused = strcmp(hb->status, "paused") == 0;
	return pause ? paused : !paused;
}

/* The heartbeat HB that R's reply (or a get after it) holds: shown when it
 * is as asked, else what the server left said. */
static int pause_shown(const struct context *cx, const struct call_result *r,
		       const struct heartbeat *hb, bool pause)
{
	if (!status_reached(hb, pause)) {
		char *status = out_clean(hb->status);
		char *id = out_clean(cx->args->operand);
		msg_error("%s: the server left heartbeat %s %s: its alerts are "
			  "%s", cx->args->command_name, id ? id : "?",
			  status ? status : "?",
			  pause ? "not paused" : "still paused");
		free(status);
		free(id);
		return HBCTL_EXIT_FAILURE;
	}
	if (cx->args->json)
		out_body(stdout, r->body, r->body_len);
	else
		print_heartbeat(cx, hb);
	return HBCTL_EXIT_DONE;
}

static int pause_checked(const struct context *cx,
			 const struct call_result *r, bool pause, bool follow);

/* A 2xx reply without a heartbeat: one get says what the server left. */
static int pause_followed(const struct context *cx, bool pause)
{
	struct call_result g;
	tickstem_get(&cx->client, cx->args->operand, &g);
	int status = pause_checked(cx, &g, pause, false);
	call_result_free(&g);
	return status;
}

/* After the pause or resume request R (or the get after it, FOLLOW
 * false): the heartbeat judged by its status, never by the 2xx alone. */
static int pause_checked(const struct context *cx,
			 const struct call_result *r, bool pause, bool follow)
{
	if (r->body_cut)
		return unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return report(cx, r);
	json_t *root = json_from_body(r->body, r->body_len);
	struct heartbeat hb;
	int status;
	if (heartbeat_read(root, &hb))
		status = pause_shown(cx, r, &hb, pause);
	else if (follow)
		status = pause_followed(cx, pause);
	else
		status = unexpected(cx, "no heartbeat in it");
	json_decref(root);
	return status;
}

/* pause and resume: the POST endpoint that Tickstem's Node SDK and MCP
 * server use; where the server has none (404 or 405), the status field
 * that its Python SDK PATCHes, and that answer stands (an unknown ID is
 * a 404 there too).  A server that ignores what it does not know answers
 * 2xx either way: the reply's status decides. */
static int run_pause(const struct context *cx)
{
	bool pause = cx->args->command == CMD_PAUSE;
	struct call_result r;
	tickstem_pause(&cx->client, cx->args->operand, pause, &r);
	if (!r.body_cut && r.outcome == OUTCOME_REJECTED &&
	    (r.status == 404 || r.status == 405)) {
		call_result_free(&r);
		char *body = status_body(pause ? "paused" : "active");
		if (!body) {
			msg_error("%s: out of memory", cx->args->command_name);
			return HBCTL_EXIT_FAILURE;
		}
		tickstem_update(&cx->client, cx->args->operand, body, &r);
		free(body);
	}
	int status = pause_checked(cx, &r, pause, true);
	call_result_free(&r);
	return status;
}

/* ensure found LISTED named as asked: PATCH only the values given that
 * differ from it; with none, send nothing and show it as listed. */
static int ensure_values(const struct context *cx, const json_t *listed)
{
	const struct hbctl_args *a = cx->args;
	struct heartbeat hb;
	heartbeat_read(listed, &hb); /* read whole by heartbeat_list_read */
	int interval = a->interval >= 0 && hb.interval_secs != a->interval
			       ? a->interval : -1;
	int grace = a->grace >= 0 && hb.grace_secs != a->grace ? a->grace : -1;
	if (interval < 0 && grace < 0) {
		char *text = cx->args->json ? json_text(listed) : NULL;
		if (text)
			out_body(stdout, text, strlen(text));
		else
			print_heartbeat(cx, &hb);
		free(text);
		return HBCTL_EXIT_DONE;
	}
	char *body = update_body(NULL, interval, grace);
	if (!body) {
		msg_error("ensure: out of memory");
		return HBCTL_EXIT_FAILURE;
	}
	struct call_result r;
	tickstem_update(&cx->client, hb.id, body, &r);
	free(body);
	int status = conclude(cx, &r, &heartbeat_view);
	call_result_free(&r);
	return status;
}

/* The heartbeats of list reply ROOT named NAME: how many, and the last. */
static bool named(const json_t *root, const char *name, size_t *count,
		  const json_t **found)
{
	struct heartbeat *hb;
	size_t n;
	if (!heartbeat_list_read(root, &hb, &n))
		return false;
	const json_t *list = json_object_get(root, "heartbeats");
	*count = 0;
	for (size_t i = 0; i < n; i++) {
		if (hb[i].name && strcmp(hb[i].name, name) == 0) {
			++*count;
			*found = json_array_get(list, i);
		}
	}
	free(hb);
	return true;
}

/* ensure, once the list came: create, change, leave, or refuse. */
static int ensure_listed(const struct context *cx,
			 const struct call_result *r, const char *create)
{
	if (r->body_cut)
		return unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return report(cx, r);
	json_t *root = json_from_body(r->body, r->body_len);
	const json_t *found = NULL;
	size_t count = 0;
	int status;
	if (!root) {
		status = unexpected(cx, r->body_len ? "not JSON" : "empty");
	} else if (!named(root, cx->args->operand, &count, &found)) {
		status = unexpected(cx, "no list of heartbeats in it");
	} else if (count == 0) {
		struct call_result c;
		tickstem_create(&cx->client, create, &c);
		status = conclude(cx, &c, &heartbeat_view);
		call_result_free(&c);
	} else if (count == 1) {
		status = ensure_values(cx, found);
	} else {
		char *name = out_clean(cx->args->operand);
		msg_error("ensure: %zu heartbeats are named '%s'; nothing "
			  "changed (update one by its ID)", count,
			  name ? name : "?");
		free(name);
		status = HBCTL_EXIT_FAILURE;
	}
	json_decref(root);
	return status;
}

/* ensure: the heartbeat NAME exists, with the values given.  The create
 * body is made first: a name JSON cannot carry sends nothing at all. */
static int run_ensure(const struct context *cx)
{
	const struct hbctl_args *a = cx->args;
	char *create = create_body(a->operand,
				   a->interval >= 0 ? a->interval
						    : INTERVAL_DEFAULT,
				   a->grace >= 0 ? a->grace : GRACE_DEFAULT);
	if (!create)
		return no_body(cx);
	struct call_result r;
	tickstem_list(&cx->client, &r);
	int status = ensure_listed(cx, &r, create);
	call_result_free(&r);
	free(create);
	return status;
}

static int run(const struct context *cx)
{
	const struct hbctl_args *a = cx->args;
	const struct tickstem_client *c = &cx->client;
	struct call_result r;
	const struct view *view = &heartbeat_view;
	switch (a->command) {
	case CMD_CREATE:
		return send_body(cx, create_body(a->operand, a->interval,
						 a->grace));
	case CMD_UPDATE:
		return send_body(cx, update_body(a->name, a->interval,
						 a->grace));
	case CMD_ENSURE: return run_ensure(cx);
	case CMD_PING: return run_ping(cx);
	case CMD_PAUSE:
	case CMD_RESUME: return run_pause(cx);
	case CMD_LIST: tickstem_list(c, &r); view = &list_view; break;
	case CMD_GET: tickstem_get(c, a->operand, &r); break;
	case CMD_DELETE:
		tickstem_delete(c, a->operand, &r);
		view = &nothing_view;
		break;
	case CMD_PINGS:
		tickstem_pings(c, a->operand, a->limit, &r);
		view = &pings_view;
		break;
	}
	int status = conclude(cx, &r, view);
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
