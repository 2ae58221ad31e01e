#include "http.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "curl_lazy.h"
#include "version.h"

#define USER_AGENT "hbrun/" HBRUN_VERSION

bool http_init(void)
{
	return curl_lazy() != NULL;
}

const char *http_init_error(void)
{
	return curl_lazy_error();
}

struct sink {
	struct http_reply *reply;
	size_t max;
};

static size_t on_body(char *data, size_t size, size_t n, void *user)
{
	struct sink *s = user;
	size_t len = size * n;
	size_t room = s->max > s->reply->body_len ? s->max - s->reply->body_len : 0;
	size_t keep = len < room ? len : room;
	if (keep > 0) {
		char *grown = realloc(s->reply->body, s->reply->body_len + keep + 1);
		if (!grown)
			return 0; /* ends the transfer with CURLE_WRITE_ERROR */
		memcpy(grown + s->reply->body_len, data, keep);
		s->reply->body = grown;
		s->reply->body_len += keep;
		grown[s->reply->body_len] = '\0';
	}
	return len; /* the rest is read and dropped: memory stays bounded */
}

static struct curl_slist *header_list(const struct curl_fns *c,
				       const struct http_request *req)
{
	/* An empty "Content-Type:" stops libcurl adding a form type to a
	 * bodiless POST. */
	struct curl_slist *list = c->slist_append(NULL, "Content-Type:");
	for (const char *const *h = req->headers; h && *h && list; h++) {
		struct curl_slist *next = c->slist_append(list, *h);
		if (!next) {
			c->slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void set_options(const struct curl_fns *c, CURL *e,
			const struct http_request *req,
			struct curl_slist *headers, struct sink *sink)
{
	long ms = (long)(req->timeout * 1000.0);
	c->easy_setopt(e, CURLOPT_URL, req->url);
	c->easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 req->allow_http ? "http,https" : "https");
	c->easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	c->easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	c->easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	c->easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	c->easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	c->easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	c->easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	c->easy_setopt(e, CURLOPT_ERRORBUFFER, sink->reply->error);
	c->easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	c->easy_setopt(e, CURLOPT_WRITEDATA, sink);
	c->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	c->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->cacert)
		c->easy_setopt(e, CURLOPT_CAINFO, req->cacert);
	if (strcmp(req->method, "GET") != 0) {
		c->easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		c->easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		if (strcmp(req->method, "POST") != 0)
			c->easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Ping-Body-Limit: how much of a request body the server keeps. */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	static const char name[] = "ping-body-limit:";
	struct sink *s = user;
	size_t len = size * n;
	if (len > sizeof name && strncasecmp(data, name, sizeof name - 1) == 0) {
		char value[32];
		size_t v = len - (sizeof name - 1);
		snprintf(value, sizeof value, "%.*s",
			 (int)(v < sizeof value - 1 ? v : sizeof value - 1),
			 data + sizeof name - 1);
		char *end;
		long limit = strtol(value, &end, 10);
		if (end != value && limit >= 0)
			s->reply->body_limit = limit;
	}
	return len;
}

struct http_transfer {
	const struct curl_fns *c;
	CURL *e;
	CURLM *m;
	struct curl_slist *headers;
	struct http_reply *reply;
	struct sink sink;
	bool done;
	CURLcode code;
};

static void transfer_free(struct http_transfer *t)
{
	if (t->m && t->e)
		t->c->multi_remove_handle(t->m, t->e);
	t->c->multi_cleanup(t->m);
	t->c->easy_cleanup(t->e);
	t->c->slist_free_all(t->headers);
	free(t);
}

struct http_transfer *http_begin(const struct http_request *req,
				 struct http_reply *reply)
{
	memset(reply, 0, sizeof *reply);
	reply->body_limit = -1;
	const struct curl_fns *c = curl_lazy();
	struct http_transfer *t = c ? calloc(1, sizeof *t) : NULL;
	reply->curl_code = c ? CURLE_OUT_OF_MEMORY : CURLE_FAILED_INIT;
	if (!t) {
		snprintf(reply->error, sizeof reply->error, "%s",
			 c ? "out of memory" : curl_lazy_error());
		return NULL;
	}
	*t = (struct http_transfer){ .c = c, .reply = reply,
		.sink = { .reply = reply, .max = req->body_max } };
	t->headers = header_list(c, req);
	t->e = c->easy_init();
	t->m = c->multi_init();
	if (t->headers && t->e && t->m) {
		set_options(c, t->e, req, t->headers, &t->sink);
		c->easy_setopt(t->e, CURLOPT_HEADERFUNCTION, on_header);
		c->easy_setopt(t->e, CURLOPT_HEADERDATA, &t->sink);
		if (c->multi_add_handle(t->m, t->e) == CURLM_OK)
			return t;
	}
	snprintf(reply->error, sizeof reply->error, "%s",
		 c->easy_strerror(CURLE_OUT_OF_MEMORY));
	transfer_free(t);
	return NULL;
}

static bool finished(struct http_transfer *t, CURLcode code)
{
	t->done = true;
	t->code = code;
	return true;
}

bool http_step(struct http_transfer *t, struct pollfd *extra, unsigned n,
	       int timeout_ms)
{
	struct curl_waitfd w[8];
	int running = 1;
	if (t->done)
		return true;
	if (t->c->multi_perform(t->m, &running) != CURLM_OK)
		return finished(t, CURLE_FAILED_INIT);
	if (!running) {
		CURLMsg *msg;
		int left;
		while ((msg = t->c->multi_info_read(t->m, &left)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == t->e)
				return finished(t, msg->data.result);
		return finished(t, CURLE_FAILED_INIT);
	}
	if (n > sizeof w / sizeof *w)
		n = sizeof w / sizeof *w;
	for (unsigned i = 0; i < n; i++)
		w[i] = (struct curl_waitfd){ .fd = extra[i].fd,
					     .events = extra[i].events };
	t->c->multi_poll(t->m, w, n, timeout_ms, NULL);
	for (unsigned i = 0; i < n; i++)
		extra[i].revents = w[i].revents;
	return false;
}

void http_end(struct http_transfer *t, int code)
{
	struct http_reply *reply = t->reply;
	reply->curl_code = t->done ? (int)t->code : code;
	t->c->easy_getinfo(t->e, CURLINFO_RESPONSE_CODE, &reply->status);
	curl_off_t after = 0;
	if (t->c->easy_getinfo(t->e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK)
		reply->retry_after = (long)after;
	if (!reply->error[0] && reply->curl_code != CURLE_OK)
		snprintf(reply->error, sizeof reply->error, "%s",
			 t->c->easy_strerror((CURLcode)reply->curl_code));
	transfer_free(t);
}

/* Drive the transfer, watching the cancel descriptor and a hard end of our
 * own, so that the attempt ends in time even if libcurl's timer did not. */
void http_perform(const struct http_request *req, struct http_reply *reply)
{
	struct http_transfer *t = http_begin(req, reply);
	if (!t)
		return;
	double hard_end = now() + req->timeout + 0.25;
	int code = CURLE_OK;
	for (;;) {
		struct pollfd p = { .fd = req->cancel_fd, .events = POLLIN };
		unsigned n = req->cancel_fd >= 0 ? 1 : 0;
		if (http_step(t, &p, n, 250))
			break;
		if (now() >= hard_end) {
			code = CURLE_OPERATION_TIMEDOUT;
			break;
		}
		if (n && (p.revents & POLLIN) && req->cancelled &&
		    req->cancelled(req->ctx)) {
			code = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
	}
	http_end(t, code);
}

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->body_len = 0;
}
