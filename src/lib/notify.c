#include "notify.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "call.h"
#include "dsn.h"
#include "msg.h"
#include "service.h"
#include "url.h"

#define REPLY_BODY_MAX 65536

void run_id_new(char out[RUN_ID_SIZE])
{
	unsigned char b[16];
	if (getrandom(b, sizeof b, GRND_NONBLOCK) != (ssize_t)sizeof b) {
		/* The pool is not ready this early in boot: the id needs to
		 * be unique, not secret. */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		unsigned long long x = (unsigned long long)ts.tv_nsec ^
			((unsigned long long)ts.tv_sec << 20) ^
			((unsigned long long)getpid() << 44);
		for (size_t i = 0; i < sizeof b; i++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			b[i] = (unsigned char)(x >> 56);
		}
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	/* Written out by hand: printf's machinery, touched before the job,
	 * would stay in the memory of every waiting hbrun. */
	static const char hex[] = "0123456789abcdef";
	char *o = out;
	for (size_t i = 0; i < sizeof b; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[b[i] >> 4];
		*o++ = hex[b[i] & 15];
	}
	*o = '\0';
}

static const char *user_template(const struct settings *s, enum event event,
				 int *id)
{
	static const int ids[EVENT_COUNT] = {
		[EVENT_START] = S_START_URL, [EVENT_SUCCESS] = S_PING_URL,
		[EVENT_FAIL] = S_FAIL_URL,
	};
	*id = ids[event];
	return event == EVENT_START ? s->start_url
	       : event == EVENT_SUCCESS ? s->ping_url : s->fail_url;
}

bool notify_wanted(const struct settings *s, enum event event)
{
	int id;
	/* A header that cannot be sent as given: no request at all. */
	if (s->unusable[S_SERVICE] || s->unusable[S_METHOD] ||
	    s->unusable[S_HEADER])
		return false;
	if (user_template(s, event, &id) || s->unusable[id])
		return !s->unusable[id];
	const struct service *svc = service_find(s->service);
	return svc && svc->path[event];
}

const char *notify_method(const struct settings *s)
{
	const struct service *svc = service_find(s->service);
	if (s->unusable[S_SERVICE] || s->unusable[S_METHOD] || !svc)
		return NULL;
	return s->method ? s->method : svc->method;
}

static bool have_token(const struct settings *s, enum event event);

/* The preset of a service whose URL holds the token's parts (a DSN, a
 * KEY/SLUG) or changes with a monitor; NULL, said why, when none. */
static char *special_template(const struct settings *s,
			      const struct service *svc, const char *base,
			      enum event event)
{
	const char *why;
	if ((svc->flags & SERVICE_DSN) && !have_token(s, event))
		return NULL;
	if (base && url_extras(base)) {
		msg_warn("the API URL holds a query, a fragment or a user name; "
			 "no %s sent", event_name(event));
		return NULL;
	}
	/* A monitor set but unusable meant slug URLs: no other stands in. */
	if ((svc->flags & SERVICE_SLUGS) && s->unusable[S_MONITOR])
		return NULL;
	/* Only a monitor set by name switches to slug URLs: the -j NAME
	 * that stands in for one names no check of a ping key. */
	bool monitor = s->from[S_MONITOR] >= 0 && s->monitor;
	char *t = service_template_for(svc, s->from[S_API_URL] >= 0 ? base
				       : (svc->flags & SERVICE_DSN) ? NULL
				       : base, event, s->token, monitor, &why);
	if (!t && why)
		msg_warn("%s; no %s sent", why, event_name(event));
	if (t && (svc->flags & SERVICE_DSN)) {
		struct dsn d;
		if (dsn_parse(s->token, &d))
			msg_add_secret(d.key);
		dsn_free(&d);
	}
	return t;
}

/* The template of EVENT: the user's, else the service's under its base;
 * malloc'd, NULL (said why) when there is none to use. */
static char *template_of(const struct settings *s, enum event event)
{
	int id;
	const char *mine = user_template(s, event, &id);
	if (mine)
		return strdup(mine);
	const struct service *svc = service_find(s->service);
	if (s->unusable[S_API_URL])
		return NULL;
	/* An api_url that applies is the base; else the service's own. */
	const char *base = s->from[S_API_URL] >= 0 ? s->api_url : svc->base;
	if (svc->flags & (SERVICE_DSN | SERVICE_SLUGS))
		return special_template(s, svc, base, event);
	if (!base) {
		msg_warn("service %s needs api_url (its server's address); "
			 "no %s sent", svc->name, event_name(event));
		return NULL;
	}
	/* A path appended after a query or fragment would land in it. */
	if (url_extras(base)) {
		msg_warn("the API URL holds a query, a fragment or a user name; "
			 "no %s sent", event_name(event));
		return NULL;
	}
	return service_template(svc, base, event);
}

/* Every occurrence of NEEDLE in BUF replaced by the redacted TOKEN. */
static void redact_in(char *buf, size_t size, const char *needle,
		      const char *token)
{
	char shown[16], out[ORIGIN_SHOWN_MAX];
	size_t n = strlen(needle), o = 0;
	if (n == 0)
		return;
	token_redact(token, shown, sizeof shown);
	for (const char *p = buf; *p && o + 1 < sizeof out;) {
		if (strncmp(p, needle, n) == 0) {
			o += (size_t)snprintf(out + o, sizeof out - o, "%s", shown);
			p += n;
		} else {
			out[o++] = *p++;
		}
	}
	out[o < sizeof out ? o : sizeof out - 1] = '\0';
	snprintf(buf, size, "%s", out);
}

/* URL's origin for messages: a token in the host is redacted too. */
static void shown_origin(const char *url, const char *token, char *buf,
			 size_t size)
{
	url_origin(url, buf, size);
	if (!token || !*token)
		return;
	char *escaped = template_escape(token);
	if (escaped)
		redact_in(buf, size, escaped, token);
	free(escaped);
	redact_in(buf, size, token, token);
}

static bool url_allowed(const char *url, const char *shown, bool allow_http,
			enum event event)
{
	switch (url_check(url, allow_http)) {
	case URL_OK_HTTPS:
	case URL_OK_HTTP:
		return true;
	case URL_MALFORMED:
		msg_warn("%s URL is not a valid URL; none sent", event_name(event));
		return false;
	case URL_BAD_SCHEME:
		msg_warn("%s URL %s is neither https nor http; none sent",
			 event_name(event), shown);
		return false;
	case URL_HTTP_REFUSED:
		msg_warn("refusing plain http to %s, which is not loopback "
			 "(--allow-http permits it); no %s sent", shown,
			 event_name(event));
		return false;
	}
	return false;
}

void notify_hide_token(const char *token)
{
	char *escaped = template_escape(token);
	msg_add_secret(token);
	if (escaped)
		msg_add_secret(escaped);
	free(escaped);
}

/* A request's URL may hold a query, but no fragment, which is never sent
 * (a 2xx to what is left would count), and no user information, which
 * would put a credential where messages show the host. */
static bool extras_allowed(const char *url, enum event event)
{
	unsigned extras = url_extras(url) & ~(unsigned)URL_HAS_QUERY;
	if (extras)
		msg_warn("the %s URL holds a %s; no %s sent", event_name(event),
			 (extras & URL_HAS_USERINFO) ? "user name or password"
						     : "fragment ('#')",
			 event_name(event));
	return extras == 0;
}

/* Whether TEMPLATE can be filled: no unknown field, a token if it needs
 * one.  Says why not. */
static bool monitor_usable(const struct settings *s, enum event event);

static bool fillable(const struct settings *s, const char *template,
		     enum event event)
{
	const char *bad = NULL;
	if (!template_valid(template, &bad)) {
		size_t len = strcspn(bad + 1, "{}/?&") + 1;
		msg_warn("%s URL has an unknown field '%.*s%s' (a literal brace "
			 "is written '{{'); none sent", event_name(event),
			 (int)(len > 24 ? 24 : len), bad,
			 bad[len] == '}' ? "}" : "");
		return false;
	}
	if (template_uses(template, FIELD_MONITOR) && !monitor_usable(s, event))
		return false;
	if (!template_uses(template, FIELD_TOKEN))
		return true;
	return have_token(s, event);
}

/* Whether S has a monitor for a template that names one.  Says why not. */
static bool monitor_usable(const struct settings *s, enum event event)
{
	static bool told;
	if (s->unusable[S_MONITOR])
		return false;
	if (told)
		return s->monitor && url_segment_usable(s->monitor);
	told = !s->monitor || !url_segment_usable(s->monitor);
	(void)event;
	if (!s->monitor)
		msg_warn("a URL names the monitor and none is set (--monitor, "
			 "or -j NAME); no request that names it is sent");
	else if (!url_segment_usable(s->monitor))
		msg_warn("the monitor '%s' cannot stand in a URL; no request "
			 "that names it is sent", s->monitor);
	return s->monitor && url_segment_usable(s->monitor);
}

/* Whether S has a token a URL can hold.  Says why not, once. */
static bool have_token(const struct settings *s, enum event event)
{
	static bool told_no_token;
	if (s->unusable[S_TOKEN])
		return false;
	/* A server that decodes %2E would take these for steps in the path. */
	if (s->token && !url_segment_usable(s->token)) {
		msg_warn("the token '%s' cannot stand in a URL; no %s sent",
			 s->token, event_name(event));
		return false;
	}
	/* With a metrics file and no token anywhere, Prometheus alone
	 * watches the job: nothing to say on every run. */
	bool metrics_only = s->metrics_file && s->from[S_TOKEN] < 0;
	if (!s->token && !told_no_token && !metrics_only) {
		told_no_token = true;
		msg_warn("no token (-t, --token-file, HBRUN_TOKEN or the config "
			 "file's token); no %s sent", event_name(event));
	}
	return s->token != NULL;
}

/* S's extra header lines into R, each value hidden in messages; false
 * when out of memory. */
static bool plan_headers(const struct settings *s, struct planned_request *r)
{
	size_t n = 0;
	r->header_text = strdup(s->headers ? s->headers : "");
	if (!r->header_text)
		return false;
	for (const char *p = r->header_text; *p; p++)
		n += *p == '\n';
	r->headers = calloc(n + 3, sizeof *r->headers);
	if (!r->headers)
		return false;
	n = 0;
	for (char *line = r->header_text, *next; *line; line = next) {
		next = line + strcspn(line, "\n");
		if (*next)
			*next++ = '\0';
		r->headers[n++] = line;
		const char *value = strchr(line, ':') + 1;
		msg_add_secret(value + strspn(value, " \t"));
	}
	return true;
}

const char *const *notify_headers(struct planned_request *req,
				  const char *content_type)
{
	size_t n = 0;
	while (req->headers[n])
		n++;
	req->headers[n] = content_type;
	return req->headers;
}

bool notify_plan(const struct settings *s, enum event event,
		 const struct template_values *vals, struct planned_request *out)
{
	memset(out, 0, sizeof *out);
	out->event = event;
	out->method = notify_method(s);
	/* A config file that cannot be used might have sent it elsewhere. */
	if (s->no_requests || !out->method || !notify_wanted(s, event))
		return false;
	/* Loaded first: libcurl is what parses the URLs. */
	if (!http_init()) {
		msg_warn("cannot load libcurl (%s); no %s sent",
			 http_init_error(), event_name(event));
		return false;
	}
	char *template = template_of(s, event);
	if (!template || !fillable(s, template, event)) {
		free(template);
		return false;
	}
	struct template_values v = *vals;
	v.v[FIELD_TOKEN] = s->token;
	if (s->token)
		notify_hide_token(s->token);
	out->url = template_fill(template, &v);
	free(template);
	if (!out->url)
		return false;
	shown_origin(out->url, s->token, out->shown, sizeof out->shown);
	if (!extras_allowed(out->url, event) ||
	    !url_allowed(out->url, out->shown, s->allow_http, event)) {
		planned_request_free(out);
		return false;
	}
	out->allow_http = url_check(out->url, s->allow_http) == URL_OK_HTTP;
	if (!plan_headers(s, out)) {
		planned_request_free(out);
		return false;
	}
	return true;
}

void planned_request_free(struct planned_request *r)
{
	if (r->url) {
		explicit_bzero(r->url, strlen(r->url));
		free(r->url);
	}
	r->url = NULL;
	if (r->header_text) {
		explicit_bzero(r->header_text, strlen(r->header_text));
		free(r->header_text);
	}
	free(r->headers);
	r->header_text = NULL;
	r->headers = NULL;
}

/* The machine's name, as uname -n gives it; "" when unknown. */
static const char *hostname(void)
{
	static struct utsname u;
	static bool read;
	if (!read && uname(&u) != 0)
		u.nodename[0] = '\0';
	read = true;
	return u.nodename;
}

void notify_run_values(const struct settings *s, const char *run_id,
		       struct template_values *vals)
{
	memset(vals, 0, sizeof *vals);
	vals->v[FIELD_RUN_ID] = run_id;
	vals->v[FIELD_MONITOR] = s->monitor;
	vals->v[FIELD_HOSTNAME] = hostname();
}

void notify_end_values(const struct settings *s, const char *run_id,
		       const struct event_report *report,
		       const struct run_cost *cost,
		       char scratch[END_SCRATCH][24],
		       struct template_values *vals)
{
	const struct service *svc = service_find(s->service);
	long long ms = cost->duration_ms < 0 ? 0 : cost->duration_ms;
	snprintf(scratch[2], 24, "%lld.%03lld", ms / 1000, ms % 1000);
	if (svc && svc->max_duration_ms && ms > svc->max_duration_ms)
		ms = svc->max_duration_ms;
	snprintf(scratch[0], 24, "%d", report->exit_status);
	snprintf(scratch[1], 24, "%lld", ms);
	snprintf(scratch[3], 24, "%lld", cost->max_rss_kb);
	snprintf(scratch[4], 24, "%lld", cost->cpu_ms);
	notify_run_values(s, run_id, vals);
	vals->v[FIELD_EXIT_STATUS] = scratch[0];
	vals->v[FIELD_DURATION_MS] = scratch[1];
	vals->v[FIELD_DURATION_S] = scratch[2];
	if (cost->usage_known) {
		vals->v[FIELD_MAX_RSS_KB] = scratch[3];
		vals->v[FIELD_CPU_MS] = scratch[4];
	}
	vals->v[FIELD_MESSAGE] = report->message;
}

void notify_report_unsent(const struct planned_request *req, double deadline)
{
	msg_warn("%s to %s not sent: its deadline, %g s after the job's end, "
		 "had passed before the first attempt", event_name(req->event),
		 req->shown, deadline);
}

void notify_report_failure(const struct settings *s,
			   const struct planned_request *req, long status,
			   const char *error, int attempts,
			   const char *stopped_by, bool cancelled)
{
	const char *what = event_name(req->event);
	if (cancelled) {
		msg_warn("%s to %s abandoned: hbrun was asked to stop", what,
			 req->shown);
		return;
	}
	char reason[400], token[16] = "...";
	if (s->token)
		token_redact(s->token, token, sizeof token);
	if (status == 404)
		snprintf(reason, sizeof reason, "HTTP 404 (token '%s' is wrong "
			 "or the heartbeat was deleted)", token);
	else if (status > 0)
		snprintf(reason, sizeof reason, "HTTP %ld", status);
	else
		snprintf(reason, sizeof reason, "%s", error);
	msg_warn("%s to %s failed after %d attempt%s: %s%s%s", what,
		 req->shown, attempts, attempts == 1 ? "" : "s", reason,
		 stopped_by ? "; " : "", stopped_by ? stopped_by : "");
}

/* A reply body {"status": "paused"}: Tickstem took the ping for a paused
 * heartbeat. */
static bool says_paused(const char *body)
{
	const char *at = body ? strstr(body, "\"status\"") : NULL;
	if (!at)
		return false;
	at += strlen("\"status\"");
	at += strspn(at, " \t\r\n");
	if (*at++ != ':')
		return false;
	at += strspn(at, " \t\r\n");
	return strncmp(at, "\"paused\"", 8) == 0;
}

bool notify_send(const struct settings *s, struct planned_request *p,
		 const char *body, size_t body_len, double deadline,
		 const struct cancel *cancel)
{
	struct http_request req = {
		.method = p->method, .url = p->url, .cacert = s->cacert,
		.allow_http = p->allow_http, .body_max = REPLY_BODY_MAX,
		.headers = notify_headers(p, body ? "Content-Type: text/plain"
					  : NULL),
		.body = body,
		.body_len = body ? body_len : 0,
	};
	struct retry_policy policy = {
		.retries = s->ping_retries, .attempt_timeout = s->ping_timeout,
		.deadline = deadline, .what = event_name(p->event),
		.origin = p->shown, .body_is_tail = body != NULL,
	};
	struct call_result res;
	call_perform(&req, &policy, cancel, &res);
	bool ok = res.outcome == OUTCOME_SUCCESS;
	if (ok && says_paused(res.body))
		msg_warn("%s to %s delivered, but the heartbeat is paused: no "
			 "alert comes while it is", event_name(p->event), p->shown);
	if (!ok)
		notify_report_failure(s, p, res.status, res.error,
				      res.attempts, res.stopped_by,
				      res.outcome == OUTCOME_CANCELLED);
	call_result_free(&res);
	return ok;
}
