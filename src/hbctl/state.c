#include "state.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "heartbeat.h"
#include "msg.h"
#include "tickstem.h"

/* What pause_shown() and pause_judged() say of a heartbeat not as asked
 * after the PATCH: the POST form is still to come. */
#define TRY_POST (-2)

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
static int pause_shown(const struct hbctl_context *cx,
		       const struct call_result *r, const struct heartbeat *hb,
		       bool pause, bool fallback)
{
	if (!status_reached(hb, pause) && fallback)
		return TRY_POST;
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
		reply_print_heartbeat(cx, hb);
	return HBCTL_EXIT_DONE;
}

/* pause_judged() for a 2xx reply without a heartbeat, where a get is
 * still to come. */
#define NO_HEARTBEAT (-1)

/* After the pause or resume request R (or the get after it, LAST): the
 * heartbeat judged by its status, never by the 2xx alone. */
static int pause_judged(const struct hbctl_context *cx,
			const struct call_result *r, bool pause, bool last,
			bool fallback)
{
	if (r->body_cut)
		return reply_unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return reply_failed(cx, r);
	json_t *root = json_from_body(r->body, r->body_len);
	struct heartbeat hb;
	int status = NO_HEARTBEAT;
	if (heartbeat_read(root, &hb))
		status = pause_shown(cx, r, &hb, pause, fallback);
	else if (last)
		status = reply_unexpected(cx, "no heartbeat in it");
	json_decref(root);
	return status;
}

/* The reply R to a pause or resume request (sent with FALLBACK still to
 * come), and to the get after it where R holds no heartbeat. */
static int pause_outcome(const struct hbctl_context *cx, struct call_result *r,
			 bool pause, bool fallback)
{
	int status = pause_judged(cx, r, pause, false, fallback);
	call_result_free(r);
	if (status == NO_HEARTBEAT) {
		tickstem_get(&cx->client, cx->args->operand, r);
		status = pause_judged(cx, r, pause, true, fallback);
		call_result_free(r);
	}
	return status;
}

/* A server without the route R was sent to. */
static bool no_such_route(const struct call_result *r)
{
	return !r->body_cut && r->outcome == OUTCOME_REJECTED &&
	       (r->status == 404 || r->status == 405);
}

/* The POST form after PATCHED was answered 404 or 405; where it has no
 * route either, PATCHED's answer stands (an unknown ID's 404). */
static int pause_post(const struct hbctl_context *cx, bool pause,
		      struct call_result *patched)
{
	struct call_result r;
	tickstem_pause(&cx->client, cx->args->operand, pause, &r);
	bool neither = no_such_route(&r);
	call_result_free(neither ? &r : patched);
	return pause_outcome(cx, neither ? patched : &r, pause, false);
}

/* The status field PATCHed, as Tickstem's Python and Node SDKs send it;
 * where the server has no such route (404 or 405) or left the heartbeat
 * otherwise (a server that ignores the field), the POST form its MCP
 * server sends, and that answer stands.  A server that ignores what it
 * does not know answers 2xx either way: the heartbeat's status in the
 * reply decides, or in a get's when the reply holds none. */
int hbctl_pause(const struct hbctl_context *cx)
{
	bool pause = cx->args->command == CMD_PAUSE;
	char *body = status_body(pause ? "paused" : "active");
	if (!body) {
		msg_error("%s: out of memory", cx->args->command_name);
		return HBCTL_EXIT_FAILURE;
	}
	struct call_result r;
	tickstem_update(&cx->client, cx->args->operand, body, &r);
	free(body);
	if (no_such_route(&r))
		return pause_post(cx, pause, &r);
	int status = pause_outcome(cx, &r, pause, true);
	if (status != TRY_POST)
		return status;
	tickstem_pause(&cx->client, cx->args->operand, pause, &r);
	if (!no_such_route(&r))
		return pause_outcome(cx, &r, pause, false);
	/* Neither form: what the PATCH left is what there is to say. */
	call_result_free(&r);
	tickstem_get(&cx->client, cx->args->operand, &r);
	status = pause_judged(cx, &r, pause, true, false);
	call_result_free(&r);
	return status;
}

/* ensure found LISTED named as asked: PATCH only the values given that
 * differ from it; with none, send nothing and show it as listed. */
static int ensure_values(const struct hbctl_context *cx,
			 const json_t *listed)
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
			reply_print_heartbeat(cx, &hb);
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
	int status = reply_conclude(cx, &r, &reply_heartbeat);
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
static int ensure_listed(const struct hbctl_context *cx,
			 const struct call_result *r, const char *create)
{
	if (r->body_cut)
		return reply_unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return reply_failed(cx, r);
	json_t *root = json_from_body(r->body, r->body_len);
	const json_t *found = NULL;
	size_t count = 0;
	int status;
	if (!root) {
		status = reply_unexpected(cx, r->body_len ? "not JSON" : "empty");
	} else if (!named(root, cx->args->operand, &count, &found)) {
		status = reply_unexpected(cx, "no list of heartbeats in it");
	} else if (count == 0) {
		struct call_result c;
		tickstem_create(&cx->client, create, &c);
		status = reply_conclude(cx, &c, &reply_heartbeat);
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
int hbctl_ensure(const struct hbctl_context *cx)
{
	const struct hbctl_args *a = cx->args;
	char *create = create_body(a->operand,
				   a->interval >= 0 ? a->interval
						    : INTERVAL_DEFAULT,
				   a->grace >= 0 ? a->grace : GRACE_DEFAULT);
	if (!create)
		return reply_no_body(cx);
	struct call_result r;
	tickstem_list(&cx->client, &r);
	int status = ensure_listed(cx, &r, create);
	call_result_free(&r);
	free(create);
	return status;
}

