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
	const char *origin;     /* the server as messages show it; NULL: the
				 * URL's scheme, host and port */
	/* Retry only failures that cannot have reached the server (see
	 * outcome_never_sent): for a call that must not be made twice. */
	bool unsent_only;
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

/* What a call came to, for the caller to act on: the one translation of a
 * reply (or of its absence) into a result. */
enum api_kind {
	API_DONE,         /* a 2xx reply */
	API_UNAUTHORIZED, /* 401: invalid or revoked API key */
	API_QUOTA,        /* 402: the plan's heartbeat limit */
	API_NOT_FOUND,    /* 404: no such heartbeat (or token) */
	API_REJECTED,     /* any other status */
	API_FAILED,       /* no usable reply: network, TLS, a stop signal */
};

struct api_result {
	enum api_kind kind;
	long status;            /* 0: no HTTP reply */
	int attempts;
	const char *stopped_by; /* why no further attempt was made, or NULL */
	char error[300];        /* libcurl's words when no reply came */
	char *body;             /* the reply's body, NUL-ended, or NULL */
	size_t body_len;
};

/* Pure: the kind of a reply with transfer code CURL_CODE and STATUS. */
enum api_kind api_kind_of(int curl_code, long status);

/* Fill OUT from a finished call; the reply's body moves into OUT. */
void api_result_from(const struct call_result *res, struct http_reply *reply,
		     struct api_result *out);
void api_result_free(struct api_result *r);

/* The ping, with every message SPEC section 5 asks for.  *OUT (if given)
 * gets what it came to; api_result_free() it. */
enum api_kind api_ping_call(const struct settings *s, struct supervisor *sv,
			    struct api_result *out);
/* hbrun's ping: true on success. */
bool api_ping(const struct settings *s, struct supervisor *sv);

/* The management calls (SPEC section 7), for hbctl.  Each carries the API
 * key as a bearer token and is retried by the ping's rules within DEADLINE;
 * a create only where it cannot have reached the server, so that a retry
 * never makes a second heartbeat.  Bodies are JSON text, made and read by
 * the caller: this file knows HTTP, not JSON. */
#define API_CALL_RETRIES 5
#define API_CALL_TIMEOUT 10.0

struct api_client {
	const char *api_url; /* the API base */
	const char *api_key;
	const char *cacert;  /* or NULL */
	bool allow_http;
	double deadline;     /* seconds for all attempts and waits */
};

void api_create(const struct api_client *c, const char *body,
		struct api_result *out);
void api_list(const struct api_client *c, struct api_result *out);
void api_get(const struct api_client *c, const char *id,
	     struct api_result *out);
/* PATCH: update, pause and resume. */
void api_update(const struct api_client *c, const char *id, const char *body,
		struct api_result *out);
void api_delete(const struct api_client *c, const char *id,
		struct api_result *out);
void api_pings(const struct api_client *c, const char *id, int limit,
	       struct api_result *out);

#endif
