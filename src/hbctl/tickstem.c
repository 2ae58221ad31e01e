#include "tickstem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "secret.h"
#include "url.h"
#include "version.h"

static const char call_user_agent[] = "User-Agent: hbctl/" HBRUN_VERSION;

struct call {
	const char *method;
	char *path;       /* under the API base, escaped; NULL: out of memory */
	const char *body; /* JSON text, or NULL */
	const char *what; /* "create", ..., for verbose lines */
	bool once;        /* a create: never risk making it twice */
};

/* "/heartbeats/ID" + SUFFIX, ID escaped as one path segment; malloc'd. */
static char *heartbeat_path(const char *id, const char *suffix)
{
	char *escaped = url_escape(id);
	if (!escaped)
		return NULL;
	size_t size = sizeof "/heartbeats/" + strlen(escaped) + strlen(suffix);
	char *path = malloc(size);
	if (path)
		snprintf(path, size, "/heartbeats/%s%s", escaped, suffix);
	free(escaped);
	return path;
}

/* The header that carries the key; the caller wipes and frees it. */
static char *bearer(const char *key)
{
	size_t size = sizeof "Authorization: Bearer " + strlen(key);
	char *h = malloc(size);
	if (h)
		snprintf(h, size, "Authorization: Bearer %s", key);
	return h;
}

static void perform_call(const struct tickstem_client *c,
			 const struct call *call, const char *url,
			 const char *auth, struct call_result *out)
{
	enum url_verdict verdict = url_check(url, c->allow_http);
	if (verdict != URL_OK_HTTPS && verdict != URL_OK_HTTP) {
		call_not_sent(out, "the API URL cannot be used");
		return;
	}
	const char *headers[] = {
		auth, "Accept: application/json", call_user_agent,
		call->body ? "Content-Type: application/json" : NULL, NULL,
	};
	struct http_request req = {
		.method = call->method, .url = url, .cacert = c->cacert,
		.allow_http = verdict == URL_OK_HTTP, .headers = headers,
		.body = call->body,
		.body_len = call->body ? strlen(call->body) : 0,
		.body_max = TICKSTEM_BODY_MAX,
	};
	struct retry_policy policy = {
		.retries = TICKSTEM_RETRIES,
		.attempt_timeout = TICKSTEM_ATTEMPT_TIMEOUT,
		.deadline = c->deadline, .what = call->what,
		.unsent_only = call->once,
	};
	call_perform(&req, &policy, NULL, out);
}

/* Make CALL (taking its path) and put what came of it into OUT. */
static void management_call(const struct tickstem_client *c,
			    struct call *call, struct call_result *out)
{
	if (!http_init()) {
		call_not_sent(out, http_init_error());
		free(call->path);
		return;
	}
	char *url = call->path ? url_join(c->api_url, call->path) : NULL;
	char *auth = bearer(c->api_key);
	if (url && auth)
		perform_call(c, call, url, auth, out);
	else
		call_not_sent(out, "out of memory");
	secret_free(auth);
	free(url);
	free(call->path);
}

void tickstem_create(const struct tickstem_client *c, const char *body,
		     struct call_result *out)
{
	struct call call = { .method = "POST", .path = strdup("/heartbeats"),
			     .body = body, .what = "create", .once = true };
	management_call(c, &call, out);
}

void tickstem_list(const struct tickstem_client *c, struct call_result *out)
{
	struct call call = { .method = "GET", .path = strdup("/heartbeats"),
			     .what = "list" };
	management_call(c, &call, out);
}

void tickstem_get(const struct tickstem_client *c, const char *id,
		  struct call_result *out)
{
	struct call call = { .method = "GET", .path = heartbeat_path(id, ""),
			     .what = "get" };
	management_call(c, &call, out);
}

void tickstem_update(const struct tickstem_client *c, const char *id,
		     const char *body, struct call_result *out)
{
	struct call call = { .method = "PATCH", .path = heartbeat_path(id, ""),
			     .body = body, .what = "update" };
	management_call(c, &call, out);
}

void tickstem_pause(const struct tickstem_client *c, const char *id,
		    bool pause, struct call_result *out)
{
	struct call call = {
		.method = "POST",
		.path = heartbeat_path(id, pause ? "/pause" : "/resume"),
		.what = pause ? "pause" : "resume",
	};
	management_call(c, &call, out);
}

void tickstem_delete(const struct tickstem_client *c, const char *id,
		     struct call_result *out)
{
	struct call call = { .method = "DELETE",
			     .path = heartbeat_path(id, ""), .what = "delete" };
	management_call(c, &call, out);
}

void tickstem_pings(const struct tickstem_client *c, const char *id,
		    int limit, struct call_result *out)
{
	char suffix[32];
	snprintf(suffix, sizeof suffix, "/pings?limit=%d", limit);
	struct call call = { .method = "GET",
			     .path = heartbeat_path(id, suffix),
			     .what = "pings" };
	management_call(c, &call, out);
}
