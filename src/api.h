/* Calls to the heartbeat service, each retried by the policy of retry.h
 * within a deadline. */
#ifndef HBRUN_API_H
#define HBRUN_API_H

#include <stdbool.h>

#include "http.h"
#include "retry.h"
#include "settings.h"
#include "supervise.h"

struct retry_policy {
	int retries;            /* attempts after the first */
	double attempt_timeout; /* seconds */
	double deadline;        /* seconds for all attempts and waits */
	const char *what;       /* "ping", for messages */
};

struct call_result {
	enum outcome outcome;
	int attempts;
	const char *stopped_by; /* why no further attempt was made, or NULL */
};

/* Perform REQ until success, a final outcome, the retries or the deadline
 * run out, or a stop signal (read from SV's signalfd, if SV is given). */
struct call_result api_call(struct http_request *req,
			    const struct retry_policy *policy,
			    struct supervisor *sv, struct http_reply *reply);

/* The ping, with every message SPEC section 5 asks for.  True on success. */
bool api_ping(const struct settings *s, struct supervisor *sv);

#endif
