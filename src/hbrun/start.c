#include "start.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "monotime.h"
#include "msg.h"
#include "retry.h"
#include "upsert.h"

#define REPLY_BODY_MAX 65536

static void attempt(struct start_request *sr)
{
	double now = monotime_now();
	sr->http.timeout = attempt_time_limit(sr->s->ping_timeout, sr->end - now);
	sr->attempt_end = now + sr->http.timeout + 0.25;
	sr->attempts++;
	sr->next_at = 0;
	sr->t = http_begin(&sr->http, &sr->reply);
}

bool start_begin(struct start_request *sr, const struct settings *s,
		 const char *run_id, double started)
{
	memset(sr, 0, sizeof *sr);
	sr->s = s;
	sr->done = true;
	sr->body_limit = -1;
	struct template_values vals;
	notify_run_values(s, run_id, &vals);
	vals.v[FIELD_MESSAGE] = event_started_message;
	if (!notify_wanted(s, EVENT_START) ||
	    !notify_plan(s, EVENT_START, &vals, &sr->plan))
		return false;
	/* Read here, once the job runs: the schedule costs a waiting hbrun
	 * nothing before. */
	sr->body = upsert_body(s, run_id);
	sr->http = (struct http_request){
		.method = sr->plan.method, .url = sr->plan.url,
		.cacert = s->cacert, .allow_http = sr->plan.allow_http,
		.body_max = REPLY_BODY_MAX,
		.headers = notify_headers(&sr->plan, sr->body ?
					  "Content-Type: application/json" : NULL),
		.body = sr->body, .body_len = sr->body ? strlen(sr->body) : 0,
	};
	sr->end = started + s->ping_deadline;
	sr->done = false;
	attempt(sr);
	return true;
}

unsigned start_fds(const struct start_request *sr, struct pollfd *fds)
{
	return sr->t ? http_fds(sr->t, fds) : 0;
}

double start_due(const struct start_request *sr)
{
	if (sr->done)
		return 0;
	if (!sr->t)
		return sr->next_at;
	double due = http_due(sr->t);
	return due && due < sr->attempt_end ? due : sr->attempt_end;
}

static void log_attempt(const struct start_request *sr, const char *next)
{
	const struct http_reply *r = &sr->reply;
	char what[300];
	if (r->curl_code == 0)
		snprintf(what, sizeof what, "HTTP %ld", r->status);
	else
		snprintf(what, sizeof what, "%s", r->error);
	msg_verbose("start request attempt %d to %s: %s%s", sr->attempts,
		    sr->plan.shown, what, next);
}

static void give_up(struct start_request *sr, const char *why)
{
	log_attempt(sr, "");
	const struct http_reply *r = &sr->reply;
	notify_report_failure(sr->s, &sr->plan, r->curl_code == 0 ? r->status : 0,
			      r->error[0] ? r->error : "no HTTP reply",
			      sr->attempts, why, false);
	sr->done = true;
}

/* The attempt has ended: done, or wait for the next one. */
static void after_attempt(struct start_request *sr, int code)
{
	http_end(sr->t, code);
	sr->t = NULL;
	struct http_reply *r = &sr->reply;
	if (r->body_limit >= 0)
		sr->body_limit = r->body_limit;
	enum outcome o = outcome_classify(r->curl_code, r->status);
	if (o == OUTCOME_SUCCESS) {
		log_attempt(sr, "");
		sr->done = true;
	} else if (o != OUTCOME_TRANSIENT) {
		give_up(sr, NULL);
	} else if (sr->last) {
		give_up(sr, "the job ended first");
	} else if (sr->attempts > sr->s->ping_retries) {
		give_up(sr, "no retries left");
	} else {
		struct next_step step = retry_next_step(
			sr->end - monotime_now(),
			backoff_jittered(sr->attempts, call_unit_random()),
			r->retry_after);
		if (step.stop) {
			give_up(sr, "deadline reached");
		} else {
			char next[64];
			snprintf(next, sizeof next, "; next attempt in %.1f s",
				 step.wait);
			log_attempt(sr, next);
			sr->next_at = monotime_now() + step.wait;
		}
	}
	http_reply_free(r);
}

bool start_service(struct start_request *sr, const struct pollfd *fds,
		   unsigned n)
{
	if (sr->done)
		return false;
	if (!sr->t) {
		if (monotime_now() < sr->next_at)
			return false;
		attempt(sr);
		if (!sr->t) /* it could not even begin */
			give_up(sr, NULL);
		return true;
	}
	if (http_service(sr->t, fds, n))
		after_attempt(sr, 0);
	else if (monotime_now() >= sr->attempt_end && sr->last)
		start_abandon(sr);
	else if (monotime_now() >= sr->attempt_end)
		after_attempt(sr, CURLE_OPERATION_TIMEDOUT);
	else
		return false;
	return true;
}

void start_last_attempt(struct start_request *sr, double limit)
{
	if (sr->done)
		return;
	if (!sr->t) {
		/* waiting for a retry: there will be none */
		sr->done = true;
		return;
	}
	if (sr->attempt_end > limit)
		sr->attempt_end = limit;
	sr->last = true;
}

void start_abandon(struct start_request *sr)
{
	if (sr->t) {
		http_end(sr->t, CURLE_ABORTED_BY_CALLBACK);
		sr->t = NULL;
		http_reply_free(&sr->reply);
		if (!sr->done)
			msg_warn("start request to %s abandoned: the job ended "
				 "before it was done", sr->plan.shown);
	}
	sr->done = true;
	planned_request_free(&sr->plan);
	free(sr->body);
	sr->body = NULL;
}
