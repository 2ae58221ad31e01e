/* One request made until it is done: attempts retried by the policy of
 * retry.h within a deadline, and what the whole came to, read once.
 * hbrun's ping (ping.h) and hbctl's calls (tickstem.h) are made here. */
#ifndef HBRUN_CALL_H
#define HBRUN_CALL_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"
#include "retry.h"
#include "cancel.h"

struct retry_policy {
	int retries;            /* attempts after the first */
	double attempt_timeout; /* seconds */
	double deadline;        /* seconds for all attempts and waits */
	const char *what;       /* "ping", "list", ..., for verbose lines */
	const char *origin;     /* the server as messages show it; NULL: the
				 * URL's scheme, host and port */
	/* Retry only failures that cannot have reached the server (see
	 * outcome_never_sent): for a call that must not be made twice. */
	bool unsent_only;
	/* The body is the end of something longer (the job's output): a
	 * Ping-Body-Limit a reply names cuts its start off for the later
	 * attempts, as the server would keep no more. */
	bool body_is_tail;
};

/* What a call came to: the outcome of its last attempt (retry.h's one
 * reading of a transfer code and a status), and that attempt's reply. */
struct call_result {
	enum outcome outcome;   /* OUTCOME_CANCELLED when a stop signal came */
	long status;            /* 0: no complete HTTP reply */
	int attempts;
	const char *stopped_by; /* why no further attempt was made, or NULL */
	char error[300];        /* when no reply came: what happened instead */
	char *body;             /* the reply's body, NUL-ended, or NULL */
	size_t body_len;
	bool body_cut;          /* the body was longer than the request's limit */
};

/* Perform REQ until success, a final outcome, the retries or the deadline
 * run out, or a stop signal (CANCEL says; NULL: none is watched).
 * OUT gets what it came to; call_result_free() it. */
void call_perform(struct http_request *req, const struct retry_policy *policy,
		  const struct cancel *cancel, struct call_result *out);

/* Pure: fill in OUT (whose outcome, attempts and stopped_by are set) from
 * REPLY, the last attempt's; the reply's body moves into OUT.  A status is
 * kept only for a complete reply, never after a stop signal. */
void call_result_take(struct call_result *out, struct http_reply *reply);

/* A number in [0, 1) for the backoff's jitter: spread, not secret. */
double call_unit_random(void);

/* OUT for a call that was never made, WHY saying so. */
void call_not_sent(struct call_result *out, const char *why);

void call_result_free(struct call_result *r);

#endif
