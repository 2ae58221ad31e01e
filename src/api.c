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
	for (double left = seconds; left > 0; left = end - now()) {
		struct pollfd p = { .fd = sv ? sv->sigfd : -1, .events = POLLIN };
		int ms = (int)(left * 1000.0) + 1;
		int n = poll(&p, 1, ms);
		if (n > 0 && supervise_stop_arrived(sv))
			return false;
		if (n < 0 && errno != EINTR)
			return true;
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

bool api_ping(const struct settings *s, struct supervisor *sv)
{
	if (!s->token && url_needs_token(s->ping_url)) {
		msg_warn("no token (-t, --token-file, HBRUN_TOKEN or the config "
			 "file's token); no ping sent");
		return false;
	}
	if (!http_init()) {
		msg_warn("cannot load libcurl (%s); no ping sent", http_init_error());
		return false;
	}
	char *url = url_for_ping(s->api_url, s->ping_url, s->token);
	if (!url || !url_usable(url, s->allow_http)) {
		free(url);
		return false;
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
	bool ok = res.outcome == OUTCOME_SUCCESS;
	if (!ok)
		report_failure(s, url, &res, &reply);
	http_reply_free(&reply);
	explicit_bzero(url, strlen(url));
	free(url);
	return ok;
}
