/* One HTTP request, one attempt: the only file that speaks libcurl's
 * transfer API.  Retrying is the caller's business (retry.h). */
#ifndef HBRUN_HTTP_H
#define HBRUN_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "cancel.h"

struct pollfd;

struct http_request {
	const char *method;  /* "POST", "GET", "PATCH", "DELETE" */
	const char *url;
	bool allow_http;     /* permit the http scheme as well as https */
	const char *cacert;  /* extra CA bundle (added to the system's), or NULL */
	const char *const *headers; /* NULL-ended header lines, or NULL */
	const char *body;    /* NULL: empty */
	size_t body_len;
	double timeout;      /* seconds for the whole attempt */
	/* Keep at most this much of the reply body; then the transfer ends.
	 * A 2xx reply counts as complete once its head has arrived: what
	 * comes of its body after that (cut at body_max, or never ending)
	 * changes nothing. */
	size_t body_max;
	/* Connect (and for https, a verified TLS handshake) only: no HTTP
	 * request is sent.  reply->curl_code says how it went. */
	bool connect_only;
	/* Cancellation: when its fd turns readable, it is asked whether to
	 * abandon the attempt.  NULL: never. */
	const struct cancel *cancel;
};

struct http_reply {
	int curl_code;       /* a CURLcode */
	long status;         /* 0: no HTTP reply */
	long retry_after;    /* seconds; <= 0: none */
	char error[256];     /* libcurl's words for a failed transfer */
	char *body;          /* NUL-ended, at most body_max bytes */
	size_t body_len;
	bool body_cut;       /* more came than body_max: the rest was dropped */
	long body_limit;     /* a Ping-Body-Limit header's bytes; -1: none */
};

/* Load libcurl (see curl_lazy.h); false when it cannot be had, and then
 * http_init_error() says why.  Every other call loads it too if needed. */
bool http_init(void);
const char *http_init_error(void);


void http_perform(const struct http_request *req, struct http_reply *reply);

/* The same attempt driven by the caller, for one that runs beside other
 * work.  REQ and REPLY must outlive the transfer; REQ's timeout is left to
 * libcurl and the caller, its cancel fields are not used. */
struct http_transfer;
/* Start REQ; NULL (REPLY saying why) when it cannot be. */
struct http_transfer *http_begin(const struct http_request *req,
				 struct http_reply *reply);
/* The descriptors T waits on, with their events, for the caller's poll:
 * at most HTTP_FDS_MAX into FDS; returns how many. */
#define HTTP_FDS_MAX 8
unsigned http_fds(const struct http_transfer *t, struct pollfd *fds);
/* When T is to be moved on even if none of them is ready: monotonic
 * seconds, or 0 for no such time. */
double http_due(const struct http_transfer *t);
/* Move T on: by what a poll found for its descriptors (FDS, N of them, the
 * caller's others among them) and by its own timer, if due.  True once T
 * has finished. */
bool http_service(struct http_transfer *t, const struct pollfd *fds,
		  unsigned n);
/* End T, finished or not (then CODE, a CURLcode, is its outcome), and fill
 * its reply's status. */
void http_end(struct http_transfer *t, int code);
void http_reply_free(struct http_reply *reply);

#endif
