/* The retry policy, as pure functions of their inputs: which outcomes are
 * worth another attempt, how long to wait before it, and whether the time
 * left allows it.  No clock, no network, no randomness of its own. */
#ifndef HBRUN_RETRY_H
#define HBRUN_RETRY_H

#include <stdbool.h>

/* What one attempt came to. */
enum outcome {
	OUTCOME_SUCCESS,   /* a 2xx reply */
	OUTCOME_TRANSIENT, /* worth another attempt */
	OUTCOME_TLS,       /* the peer's certificate was refused: final */
	OUTCOME_REJECTED,  /* any other status: final */
	OUTCOME_FAILED,    /* a local or permanent transfer error: final */
	OUTCOME_CANCELLED, /* a stop signal arrived: final */
};

/* CURL_CODE is a CURLcode; STATUS the HTTP status (0 when none came). */
enum outcome outcome_classify(int curl_code, long status);
bool outcome_status_is_transient(long status);

/* Whether a failed attempt cannot have reached the server: the name or the
 * proxy's did not resolve, or no connection was made.  Anything later (a
 * timeout, a reset, a status) may have come after the server acted. */
bool outcome_never_sent(int curl_code);

#define BACKOFF_FIRST 1.0
#define BACKOFF_CAP 16.0
#define ATTEMPT_MIN_LEFT 1.0 /* seconds an attempt is given at the least */

/* The upper bound of the wait after failed attempt number N (1-based):
 * 1, 2, 4, 8, 16, 16, ... seconds. */
double backoff_ceiling(int attempt);

/* Full jitter: a wait uniform in [0, ceiling), drawn from UNIT in [0, 1). */
double backoff_jittered(int attempt, double unit);

/* After a transient failure, what to do with LEFT seconds remaining before
 * the deadline.  BACKOFF is the jittered wait; RETRY_AFTER the server's
 * Retry-After in seconds (<= 0: none). */
struct next_step {
	bool stop;   /* give up now, without waiting */
	double wait; /* else: seconds to wait before the next attempt */
};
struct next_step retry_next_step(double left, double backoff, long retry_after);

/* The time limit of the next attempt: the per-attempt limit, or what is left
 * of the deadline when that is less. */
double attempt_time_limit(double per_attempt, double left);

#endif
