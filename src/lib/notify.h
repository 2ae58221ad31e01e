/* The requests of a run: each event's URL from its template or the
 * service's preset, checked by the URL rules, and the end request sent.
 * Every message shows a URL as its scheme, host and port, with the token
 * in them redacted. */
#ifndef HBRUN_NOTIFY_H
#define HBRUN_NOTIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "events.h"
#include "settings.h"
#include "cancel.h"
#include "template.h"

#define RUN_ID_SIZE 37
#define ORIGIN_SHOWN_MAX 300

/* A request ready to go. */
struct planned_request {
	enum event event;
	char *url;             /* malloc'd, wiped on free */
	const char *method;    /* "GET" or "POST" */
	bool allow_http;
	char shown[ORIGIN_SHOWN_MAX]; /* the URL's origin, token redacted */
	/* The header lines to send (the settings' extra ones, then a free
	 * slot for the body's type), NULL-ended; malloc'd, wiped on free. */
	const char **headers;
	char *header_text;
};

/* From now on, TOKEN, raw and escaped, is hidden in every message. */
void notify_hide_token(const char *token);

/* A fresh random UUID, version 4, for the run. */
void run_id_new(char out[RUN_ID_SIZE]);

/* Whether S calls for a request of EVENT at all (a template of its own or
 * of the service).  Touches no file and no library. */
bool notify_wanted(const struct settings *s, enum event event);

/* The method every request of S uses; NULL when the service or the method
 * set is unusable. */
const char *notify_method(const struct settings *s);

/* Plan EVENT's request of S with the field values VALS (the token is taken
 * from S).  False, with a warning where there is something new to say,
 * when no such request is to be sent. */
bool notify_plan(const struct settings *s, enum event event,
		 const struct template_values *vals, struct planned_request *out);
void planned_request_free(struct planned_request *r);

/* REQ's header lines, with CONTENT_TYPE (a whole line, or NULL) added. */
const char *const *notify_headers(struct planned_request *req,
				  const char *content_type);

/* What the job cost, for an end request's fields. */
struct run_cost {
	long long duration_ms;
	bool usage_known;     /* the two below were measured */
	long long max_rss_kb; /* the largest resident set */
	long long cpu_ms;     /* user + system time */
};

/* The fields every request of a run has: run id, monitor, hostname. */
void notify_run_values(const struct settings *s, const char *run_id,
		       struct template_values *vals);

/* The fields of an end request. */
#define END_SCRATCH 5
void notify_end_values(const struct settings *s, const char *run_id,
		       const struct event_report *report,
		       const struct run_cost *cost,
		       char scratch[END_SCRATCH][24],
		       struct template_values *vals);

/* Send REQ by the retry policy of S within DEADLINE seconds, with BODY (if
 * not NULL) as text; a stop that CANCEL reports abandons it.  Says why when
 * it fails.  True when the server took it. */
bool notify_send(const struct settings *s, struct planned_request *req,
		 const char *body, size_t body_len, double deadline,
		 const struct cancel *cancel);

/* Say, redacted, why REQ failed: for the start request too. */
/* One line: REQ was never attempted, since its deadline, DEADLINE seconds
 * from the job's end, had passed before libcurl was ready. */
void notify_report_unsent(const struct planned_request *req, double deadline);

void notify_report_failure(const struct settings *s,
			   const struct planned_request *req, long status,
			   const char *error, int attempts,
			   const char *stopped_by, bool cancelled);

#endif
