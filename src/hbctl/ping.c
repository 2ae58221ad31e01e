#include "ping.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "notify.h"
#include "secret.h"
#include "url.h"

#define ORIGIN_MAX 300
/* A ping's reply is read no further than this; only its status matters. */
#define REPLY_BODY_MAX 65536

/* The reason a call failed, with what a 404 means for a ping. */
static void failure_reason(const struct settings *s,
			   const struct call_result *res, char *buf,
			   size_t size)
{
	char token[16] = "...";
	if (s->token)
		token_redact(s->token, token, sizeof token);
	if (res->status == 404)
		snprintf(buf, size, "HTTP 404 (token '%s' is wrong or the "
			 "heartbeat was deleted)", token);
	else if (res->status > 0)
		snprintf(buf, size, "HTTP %ld", res->status);
	else
		snprintf(buf, size, "%s", res->error);
}

static void report_failure(const struct settings *s, const char *url,
			   const struct call_result *res)
{
	char origin[ORIGIN_MAX], reason[512];
	url_origin(url, origin, sizeof origin);
	if (res->outcome == OUTCOME_CANCELLED) {
		msg_warn("ping to %s abandoned: hbrun was asked to stop", origin);
		return;
	}
	failure_reason(s, res, reason, sizeof reason);
	msg_warn("ping to %s failed after %d attempt%s: %s%s%s", origin,
		 res->attempts, res->attempts == 1 ? "" : "s", reason,
		 res->stopped_by ? "; " : "",
		 res->stopped_by ? res->stopped_by : "");
}

/* Whether the parts of URL beyond its path are allowed: none in an API
 * base, a query only in a template (the ping URL). */
static bool extras_allowed(const char *url, bool template)
{
	unsigned extras = url_extras(url);
	if (template)
		extras &= ~(unsigned)URL_HAS_QUERY;
	if (extras)
		msg_warn("the %s holds a %s; no ping sent",
			 template ? "ping URL" : "API URL",
			 (extras & URL_HAS_USERINFO) ? "user name or password"
			 : (extras & URL_HAS_FRAGMENT) ? "fragment ('#')"
						       : "query ('?')");
	return extras == 0;
}

/* The URL to ping, checked, or NULL when there is none to use (said). */
static char *checked_url(const struct settings *s)
{
	bool needs = url_needs_token(s->ping_url);
	if (needs && !url_segment_usable(s->token)) {
		msg_warn("the token '%s' cannot stand in a URL; no ping sent",
			 s->token);
		return NULL;
	}
	if (!s->ping_url && !extras_allowed(s->api_url, false))
		return NULL;
	if (needs)
		notify_hide_token(s->token);
	char *url = url_for_ping(s->api_url, s->ping_url, s->token);
	if (url && (!extras_allowed(url, s->ping_url != NULL) ||
		    !url_usable(url, s->allow_http, "ping URL", "no ping sent",
				msg_warn))) {
		secret_free(url);
		url = NULL;
	}
	return url;
}

/* The ping's URL, or NULL when there is none to use (said). */
static char *usable_url(const struct settings *s)
{
	/* Set but unusable: said where it was read, and nothing stands in. */
	if (s->no_requests || s->unusable[S_API_URL] || s->unusable[S_PING_URL] ||
	    (s->unusable[S_TOKEN] && url_needs_token(s->ping_url)))
		return NULL;
	if (!s->token && url_needs_token(s->ping_url)) {
		msg_warn("no token (-t, --token-file, HBRUN_TOKEN or the config "
			 "file's token); no ping sent");
		return NULL;
	}
	if (!http_init()) {
		msg_warn("cannot load libcurl (%s); no ping sent", http_init_error());
		return NULL;
	}
	return checked_url(s);
}

static void send_to(const struct settings *s, const char *url,
		    struct call_result *out)
{
	struct http_request req = {
		.method = "POST", .url = url, .cacert = s->cacert,
		.allow_http = url_check(url, s->allow_http) == URL_OK_HTTP,
		.body_max = REPLY_BODY_MAX,
	};
	struct retry_policy policy = {
		.retries = s->ping_retries, .attempt_timeout = s->ping_timeout,
		.deadline = s->ping_deadline, .what = "ping",
	};
	call_perform(&req, &policy, NULL, out);
	if (out->outcome != OUTCOME_SUCCESS)
		report_failure(s, url, out);
}

enum outcome ping_call(const struct settings *s, struct call_result *out)
{
	struct call_result mine;
	if (!out)
		out = &mine;
	char *url = usable_url(s);
	if (!url) {
		call_not_sent(out, "no ping sent");
		return out->outcome;
	}
	send_to(s, url, out);
	secret_free(url);
	enum outcome outcome = out->outcome;
	if (out == &mine)
		call_result_free(&mine);
	return outcome;
}
