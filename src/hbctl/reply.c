#include "reply.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "msg.h"
#include "url.h"

#define TEXT_MAX 300

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
int reply_failed(const struct hbctl_context *cx, const struct call_result *r)
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

int reply_unexpected(const struct hbctl_context *cx, const char *why)
{
	msg_error("%s: unexpected reply: %s", cx->args->command_name, why);
	return HBCTL_EXIT_FAILURE;
}

/* A 2xx reply: shown by V, or as it came for --json.  A reply to a list
 * that lacks its array is unexpected either way; without V->show, --json
 * prints the reply only if it is JSON. */
int reply_show(const struct hbctl_context *cx, const struct call_result *r,
	       const struct view *v)
{
	json_t *root = json_from_body(r->body, r->body_len);
	int status = HBCTL_EXIT_DONE;
	if (v->list_key && root && !json_has_list(root, v->list_key)) {
		char why[64];
		snprintf(why, sizeof why, "no list of %s in it", v->list_key);
		status = reply_unexpected(cx, why);
	} else if (cx->args->json && root) {
		out_body(stdout, r->body, r->body_len);
	} else if (v->show && !root) {
		status = reply_unexpected(cx, r->body_len ? "not JSON" : "empty");
	} else if (v->show && !cx->args->json) {
		status = v->show(cx, root);
	}
	json_decref(root);
	return status;
}

/* After a management call: a reply too long to judge, the failure said,
 * or the reply shown. */
int reply_conclude(const struct hbctl_context *cx,
		   const struct call_result *r, const struct view *v)
{
	if (r->body_cut)
		return reply_unexpected(cx, "longer than 1 MiB");
	if (r->outcome != OUTCOME_SUCCESS)
		return reply_failed(cx, r);
	return reply_show(cx, r, v);
}

void reply_print_heartbeat(const struct hbctl_context *cx,
			   const struct heartbeat *hb)
{
	char *url = hb->token ? url_for_ping(cx->settings->api_url, NULL,
					      hb->token) : NULL;
	out_heartbeat(stdout, hb, url);
	free(url);
}

static int show_heartbeat(const struct hbctl_context *cx,
			  const json_t *root)
{
	struct heartbeat hb;
	if (!heartbeat_read(root, &hb))
		return reply_unexpected(cx, "no heartbeat in it");
	reply_print_heartbeat(cx, &hb);
	return HBCTL_EXIT_DONE;
}

static int show_list(const struct hbctl_context *cx, const json_t *root)
{
	struct heartbeat *hb;
	size_t n;
	if (!heartbeat_list_read(root, &hb, &n))
		return reply_unexpected(cx, "no list of heartbeats in it");
	out_heartbeats(stdout, hb, n);
	free(hb);
	return HBCTL_EXIT_DONE;
}

static int show_pings(const struct hbctl_context *cx, const json_t *root)
{
	struct ping_record *p;
	size_t n;
	if (!ping_list_read(root, &p, &n))
		return reply_unexpected(cx, "no list of pings in it");
	out_pings(stdout, p, n);
	free(p);
	return HBCTL_EXIT_DONE;
}

const struct view reply_heartbeat = { show_heartbeat, NULL };
const struct view reply_list = { show_list, "heartbeats" };
const struct view reply_pings = { show_pings, "pings" };
const struct view reply_nothing = { NULL, NULL };

/* A request body that cannot be made is the user's value: nothing sent. */
int reply_no_body(const struct hbctl_context *cx)
{
	msg_error("%s: the name is not valid UTF-8; nothing sent",
		  cx->args->command_name);
	return HBCTL_EXIT_USAGE;
}

