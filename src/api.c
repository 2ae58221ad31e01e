#include "api.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "msg.h"
#include "url.h"
#include "version.h"

#define ORIGIN_MAX 300
#define REPLY_BODY_MAX 65536

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A number in [0, 1) for the jitter; it needs to be spread, not secret. */
static double unit_random(void)
{
	unsigned int r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned int)(now() * 1e6);
	return (double)r / 4294967296.0;
}

static bool stop_signal_arrived(void *ctx)
{
	return supervise_stop_arrived(ctx);
}

/* Wait SECONDS, or less if a stop signal comes: then return false. */
static bool pause_for(double seconds, struct supervisor *sv)
{
	double end = now() + seconds;
	double left = seconds;
	while (left > 0) {
		struct pollfd p = { .fd = sv ? sv->sigfd : -1, .events = POLLIN };
		int ms = (int)(left * 1000.0) + 1;
		int n = poll(&p, 1, ms);
		if (n > 0 && supervise_stop_arrived(sv))
			return false;
		if (n < 0 && errno != EINTR)
			return true;
		left = end - now();
	}
	return true;
}

/* "HTTP 503" or libcurl's words, for messages. */
static void describe(const struct http_reply *r, char *buf, size_t size)
{
	if (r->curl_code == CURLE_OK)
		snprintf(buf, size, "HTTP %ld", r->status);
	else
		snprintf(buf, size, "%s", r->error);
}

static void log_attempt(const struct retry_policy *p, const char *origin,
			int attempt, const struct http_reply *r,
			const char *next)
{
	char what[300];
	describe(r, what, sizeof what);
	msg_verbose("%s attempt %d to %s: %s%s", p->what, attempt, origin,
		    what, next);
}

/* After a transient failure: wait for the next attempt, or say why not. */
static const char *before_next(const struct retry_policy *p, double end,
			       const struct http_reply *r, int attempt,
			       double *waited)
{
	if (p->unsent_only && !outcome_never_sent(r->curl_code))
		return "not retried, as it may have reached the server";
	if (attempt > p->retries)
		return "no retries left";
	double backoff = backoff_jittered(attempt, unit_random());
	struct next_step step = retry_next_step(end - now(), backoff,
						r->retry_after);
	if (step.stop)
		return r->retry_after > 0 ? "Retry-After is past the deadline"
					  : "deadline reached";
	*waited = step.wait;
	return NULL;
}

struct call_result api_call(struct http_request *req,
			    const struct retry_policy *p,
			    struct supervisor *sv, struct http_reply *reply)
{
	struct call_result res = { .outcome = OUTCOME_FAILED };
	char origin[ORIGIN_MAX];
	if (p->origin)
		snprintf(origin, sizeof origin, "%s", p->origin);
	else
		url_origin(req->url, origin, sizeof origin);
	double end = now() + p->deadline;
	req->cancel_fd = sv ? sv->sigfd : -1;
	req->cancelled = stop_signal_arrived;
	req->ctx = sv;
	for (;;) {
		req->timeout = attempt_time_limit(p->attempt_timeout, end - now());
		http_perform(req, reply);
		res.attempts++;
		res.outcome = outcome_classify(reply->curl_code, reply->status);
		if (res.outcome != OUTCOME_TRANSIENT) {
			log_attempt(p, origin, res.attempts, reply, "");
			return res;
		}
		double wait = 0;
		res.stopped_by = before_next(p, end, reply, res.attempts, &wait);
		char next[80];
		if (res.stopped_by)
			snprintf(next, sizeof next, "; %s", res.stopped_by);
		else
			snprintf(next, sizeof next, "; next attempt in %.1f s",
				 wait);
		log_attempt(p, origin, res.attempts, reply, next);
		if (res.stopped_by)
			return res;
		http_reply_free(reply);
		if (!pause_for(wait, sv)) {
			res.outcome = OUTCOME_CANCELLED;
			return res;
		}
	}
}

static bool url_usable(const char *url, bool allow_http)
{
	char origin[ORIGIN_MAX];
	switch (url_check(url, allow_http)) {
	case URL_OK_HTTPS:
	case URL_OK_HTTP:
		return true;
	case URL_MALFORMED:
		msg_warn("ping URL is not a valid URL; no ping sent");
		return false;
	case URL_BAD_SCHEME:
		url_origin(url, origin, sizeof origin);
		msg_warn("ping URL %s is neither https nor http; no ping sent",
			 origin);
		return false;
	case URL_HTTP_REFUSED:
		url_origin(url, origin, sizeof origin);
		msg_warn("refusing plain http to %s, which is not loopback "
			 "(--allow-http permits it); no ping sent", origin);
		return false;
	}
	return false;
}

/* The reason a reply gives, with what a 404 means for a ping. */
static void failure_reason(const struct settings *s,
			   const struct call_result *res,
			   const struct http_reply *r, char *buf, size_t size)
{
	char what[300], token[16] = "...";
	describe(r, what, sizeof what);
	if (s->token)
		token_redact(s->token, token, sizeof token);
	if (res->outcome == OUTCOME_TLS)
		snprintf(buf, size, "TLS: %s", what);
	else if (r->curl_code == CURLE_OK && r->status == 404)
		snprintf(buf, size, "%s (token '%s' is wrong or the heartbeat "
			 "was deleted)", what, token);
	else
		snprintf(buf, size, "%s", what);
}

static void report_failure(const struct settings *s, const char *url,
			   const struct call_result *res,
			   const struct http_reply *r)
{
	char origin[ORIGIN_MAX], reason[512];
	url_origin(url, origin, sizeof origin);
	if (res->outcome == OUTCOME_CANCELLED) {
		msg_warn("ping to %s abandoned: hbrun was asked to stop", origin);
		return;
	}
	failure_reason(s, res, r, reason, sizeof reason);
	msg_warn("ping to %s failed after %d attempt%s: %s%s%s", origin,
		 res->attempts, res->attempts == 1 ? "" : "s", reason,
		 res->stopped_by ? "; " : "",
		 res->stopped_by ? res->stopped_by : "");
}

enum api_kind api_kind_of(int curl_code, long status)
{
	if (curl_code != CURLE_OK || status <= 0)
		return API_FAILED;
	if (status >= 200 && status <= 299)
		return API_DONE;
	switch (status) {
	case 401: return API_UNAUTHORIZED;
	case 402: return API_QUOTA;
	case 404: return API_NOT_FOUND;
	default: return API_REJECTED;
	}
}

void api_result_from(const struct call_result *res, struct http_reply *reply,
		     struct api_result *out)
{
	memset(out, 0, sizeof *out);
	out->kind = api_kind_of(reply->curl_code, reply->status);
	out->attempts = res->attempts;
	out->stopped_by = res->stopped_by;
	if (res->outcome == OUTCOME_CANCELLED) {
		/* The last reply, if any, is not the end of the story. */
		out->kind = API_FAILED;
		snprintf(out->error, sizeof out->error, "asked to stop");
	} else if (out->kind == API_FAILED) {
		snprintf(out->error, sizeof out->error, "%s%s",
			 res->outcome == OUTCOME_TLS ? "TLS: " : "",
			 reply->error[0] ? reply->error : "no HTTP reply");
	} else {
		out->status = reply->status;
	}
	out->body = reply->body;
	out->body_len = reply->body_len;
	reply->body = NULL;
	reply->body_len = 0;
}

void api_result_free(struct api_result *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

/* A result for a call that was never made. */
static enum api_kind not_sent(struct api_result *out, const char *why)
{
	memset(out, 0, sizeof *out);
	out->kind = API_FAILED;
	snprintf(out->error, sizeof out->error, "%s", why);
	return API_FAILED;
}

bool api_ping(const struct settings *s, struct supervisor *sv)
{
	return api_ping_call(s, sv, NULL) == API_DONE;
}

enum api_kind api_ping_call(const struct settings *s, struct supervisor *sv,
			    struct api_result *out)
{
	struct api_result mine;
	if (!out)
		out = &mine;
	/* Set but unusable: said where it was read, and nothing stands in. */
	if (s->unusable[S_API_URL] || s->unusable[S_PING_URL] ||
	    (s->unusable[S_TOKEN] && url_needs_token(s->ping_url)))
		return not_sent(out, "a setting is unusable");
	if (!s->token && url_needs_token(s->ping_url)) {
		msg_warn("no token (-t, --token-file, HBRUN_TOKEN or the config "
			 "file's token); no ping sent");
		return not_sent(out, "no token");
	}
	if (!http_init()) {
		msg_warn("cannot load libcurl (%s); no ping sent", http_init_error());
		return not_sent(out, http_init_error());
	}
	char *url = url_for_ping(s->api_url, s->ping_url, s->token);
	if (!url || !url_usable(url, s->allow_http)) {
		free(url);
		return not_sent(out, "the ping URL cannot be used");
	}
	struct http_request req = {
		.method = "POST", .url = url, .cacert = s->cacert,
		.allow_http = url_check(url, s->allow_http) == URL_OK_HTTP,
		.body_max = REPLY_BODY_MAX,
	};
	struct retry_policy policy = {
		.retries = s->ping_retries, .attempt_timeout = s->ping_timeout,
		.deadline = s->ping_deadline, .what = "ping",
	};
	struct http_reply reply;
	struct call_result res = api_call(&req, &policy, sv, &reply);
	if (res.outcome != OUTCOME_SUCCESS)
		report_failure(s, url, &res, &reply);
	api_result_from(&res, &reply, out);
	http_reply_free(&reply);
	explicit_bzero(url, strlen(url));
	free(url);
	enum api_kind kind = out->kind;
	if (out == &mine)
		api_result_free(&mine);
	return kind;
}

/* The management calls.  A list of many heartbeats is long: the body limit
 * is the ping's many times over, still bounded. */
#define CALL_BODY_MAX ((size_t)16 * 1024 * 1024)

static const char call_user_agent[] = "User-Agent: hbctl/" HBRUN_VERSION;

struct call {
	const char *method;
	char *path;       /* under the API base, escaped; NULL: out of memory */
	const char *body; /* JSON text, or NULL */
	const char *what; /* "create", ..., for verbose lines */
	bool once;        /* a create: never risk making it twice */
};

/* BASE + PATH, without doubling the slash between them; malloc'd. */
static char *url_join(const char *base, const char *path)
{
	size_t len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	size_t size = len + strlen(path) + 1;
	char *url = malloc(size);
	if (url)
		snprintf(url, size, "%.*s%s", (int)len, base, path);
	return url;
}

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

static void perform_call(const struct api_client *c, const struct call *call,
			 const char *url, const char *auth,
			 struct api_result *out)
{
	enum url_verdict verdict = url_check(url, c->allow_http);
	if (verdict != URL_OK_HTTPS && verdict != URL_OK_HTTP) {
		not_sent(out, "the API URL cannot be used");
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
		.body_max = CALL_BODY_MAX,
	};
	struct retry_policy policy = {
		.retries = API_CALL_RETRIES, .attempt_timeout = API_CALL_TIMEOUT,
		.deadline = c->deadline, .what = call->what,
		.unsent_only = call->once,
	};
	struct http_reply reply;
	struct call_result res = api_call(&req, &policy, NULL, &reply);
	api_result_from(&res, &reply, out);
	http_reply_free(&reply);
}

/* Make CALL (taking its path) and put what came of it into OUT. */
static void management_call(const struct api_client *c, struct call *call,
			    struct api_result *out)
{
	if (!http_init()) {
		not_sent(out, http_init_error());
		free(call->path);
		return;
	}
	char *url = call->path ? url_join(c->api_url, call->path) : NULL;
	char *auth = bearer(c->api_key);
	if (url && auth)
		perform_call(c, call, url, auth, out);
	else
		not_sent(out, "out of memory");
	if (auth) {
		explicit_bzero(auth, strlen(auth));
		free(auth);
	}
	free(url);
	free(call->path);
}

void api_create(const struct api_client *c, const char *body,
		struct api_result *out)
{
	struct call call = { .method = "POST", .path = strdup("/heartbeats"),
			     .body = body, .what = "create", .once = true };
	management_call(c, &call, out);
}

void api_list(const struct api_client *c, struct api_result *out)
{
	struct call call = { .method = "GET", .path = strdup("/heartbeats"),
			     .what = "list" };
	management_call(c, &call, out);
}

void api_get(const struct api_client *c, const char *id,
	     struct api_result *out)
{
	struct call call = { .method = "GET", .path = heartbeat_path(id, ""),
			     .what = "get" };
	management_call(c, &call, out);
}

void api_update(const struct api_client *c, const char *id, const char *body,
		struct api_result *out)
{
	struct call call = { .method = "PATCH", .path = heartbeat_path(id, ""),
			     .body = body, .what = "update" };
	management_call(c, &call, out);
}

void api_delete(const struct api_client *c, const char *id,
		struct api_result *out)
{
	struct call call = { .method = "DELETE",
			     .path = heartbeat_path(id, ""), .what = "delete" };
	management_call(c, &call, out);
}

void api_pings(const struct api_client *c, const char *id, int limit,
	       struct api_result *out)
{
	char suffix[32];
	snprintf(suffix, sizeof suffix, "/pings?limit=%d", limit);
	struct call call = { .method = "GET",
			     .path = heartbeat_path(id, suffix),
			     .what = "pings" };
	management_call(c, &call, out);
}
