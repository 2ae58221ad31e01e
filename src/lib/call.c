#include "call.h"

#include <curl/curl.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "monotime.h"
#include "msg.h"
#include "url.h"

#define ORIGIN_MAX 300

double call_unit_random(void)
{
	unsigned int r;
	if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
		r = (unsigned int)(monotime_now() * 1e6);
	return (double)r / 4294967296.0;
}

/* Wait SECONDS, or less if a stop signal comes: then return false. */
static bool pause_for(double seconds, const struct cancel *cancel)
{
	double end = monotime_now() + seconds;
	double left = seconds;
	while (left > 0) {
		struct pollfd p = { .fd = cancel_fd(cancel), .events = POLLIN };
		int ms = (int)(left * 1000.0) + 1;
		int n = poll(&p, 1, ms);
		if (n > 0 && cancel_arrived(cancel))
			return false;
		if (n < 0 && errno != EINTR)
			return true;
		left = end - monotime_now();
	}
	return true;
}

static void log_attempt(const struct retry_policy *p, const char *origin,
			int attempt, const struct http_reply *r,
			const char *next)
{
	if (r->curl_code == CURLE_OK)
		msg_verbose("%s attempt %d to %s: HTTP %ld%s", p->what,
			    attempt, origin, r->status, next);
	else
		msg_verbose("%s attempt %d to %s: %s%s", p->what, attempt,
			    origin, r->error, next);
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
	double backoff = backoff_jittered(attempt, call_unit_random());
	struct next_step step = retry_next_step(end - monotime_now(), backoff,
						r->retry_after);
	if (step.stop)
		return r->retry_after > 0 ? "Retry-After is past the deadline"
					  : "deadline reached";
	*waited = step.wait;
	return NULL;
}

/* The attempts; REPLY holds the last one's reply when this returns. */
static void attempts(struct http_request *req, const struct retry_policy *p,
		     const struct cancel *cancel, struct http_reply *reply,
		     struct call_result *res)
{
	char origin[ORIGIN_MAX];
	if (p->origin)
		snprintf(origin, sizeof origin, "%s", p->origin);
	else
		url_origin(req->url, origin, sizeof origin);
	double end = monotime_now() + p->deadline;
	for (;;) {
		req->timeout = attempt_time_limit(p->attempt_timeout,
						  end - monotime_now());
		http_perform(req, reply);
		res->attempts++;
		if (p->body_is_tail && reply->body_limit >= 0 &&
		    req->body_len > (size_t)reply->body_limit) {
			req->body += req->body_len - (size_t)reply->body_limit;
			req->body_len = (size_t)reply->body_limit;
		}
		res->outcome = outcome_classify(reply->curl_code, reply->status);
		if (res->outcome != OUTCOME_TRANSIENT) {
			log_attempt(p, origin, res->attempts, reply, "");
			return;
		}
		double wait = 0;
		res->stopped_by = before_next(p, end, reply, res->attempts, &wait);
		char next[80];
		if (res->stopped_by)
			snprintf(next, sizeof next, "; %s", res->stopped_by);
		else
			snprintf(next, sizeof next, "; next attempt in %.1f s",
				 wait);
		log_attempt(p, origin, res->attempts, reply, next);
		if (res->stopped_by)
			return;
		http_reply_free(reply);
		if (!pause_for(wait, cancel)) {
			res->outcome = OUTCOME_CANCELLED;
			return;
		}
	}
}

void call_perform(struct http_request *req, const struct retry_policy *p,
		  const struct cancel *cancel, struct call_result *out)
{
	memset(out, 0, sizeof *out);
	out->outcome = OUTCOME_FAILED;
	req->cancel = cancel;
	struct http_reply reply;
	attempts(req, p, cancel, &reply, out);
	call_result_take(out, &reply);
	http_reply_free(&reply);
}

void call_result_take(struct call_result *out, struct http_reply *reply)
{
	bool replied = reply->curl_code == CURLE_OK && reply->status > 0;
	out->status = 0;
	out->error[0] = '\0';
	if (out->outcome == OUTCOME_CANCELLED) {
		/* The last reply, if any, is not the end of the story. */
		snprintf(out->error, sizeof out->error, "asked to stop");
	} else if (!replied) {
		snprintf(out->error, sizeof out->error, "%s%s",
			 out->outcome == OUTCOME_TLS ? "TLS: " : "",
			 reply->error[0] ? reply->error : "no HTTP reply");
	} else {
		out->status = reply->status;
	}
	out->body = reply->body;
	out->body_len = reply->body_len;
	out->body_cut = reply->body_cut;
	reply->body = NULL;
	reply->body_len = 0;
}

void call_not_sent(struct call_result *out, const char *why)
{
	memset(out, 0, sizeof *out);
	out->outcome = OUTCOME_FAILED;
	snprintf(out->error, sizeof out->error, "%s", why);
}

void call_result_free(struct call_result *r)
{
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
