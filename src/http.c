#include "http.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	if (req->connect_only)
		c->easy_setopt(e, CURLOPT_CONNECT_ONLY, 1L);
	else if (strcmp(req->method, "GET") != 0) {
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

/* Drive the transfer, watching the cancel descriptor and a hard end of our
 * own, so that the attempt ends in time even if libcurl's timer did not. */
static CURLcode drive(const struct curl_fns *c, CURLM *m, const CURL *e,
		      const struct http_request *req)
{
	double hard_end = now() + req->timeout + 0.25;
	int running = 1;
	while (running) {
		if (c->multi_perform(m, &running) != CURLM_OK)
			return CURLE_FAILED_INIT;
		if (!running)
			break;
		if (now() >= hard_end)
			return CURLE_OPERATION_TIMEDOUT;
		struct curl_waitfd w = { .fd = req->cancel_fd,
					 .events = CURL_WAIT_POLLIN };
		unsigned n = req->cancel_fd >= 0 ? 1 : 0;
		c->multi_poll(m, n ? &w : NULL, n, 250, NULL);
		if (n && (w.revents & POLLIN) && req->cancelled &&
		    req->cancelled(req->ctx))
			return CURLE_ABORTED_BY_CALLBACK;
	}
	CURLMsg *msg;
	int left;
	while ((msg = c->multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
			return msg->data.result;
	return CURLE_FAILED_INIT;
}

void http_perform(const struct http_request *req, struct http_reply *reply)
{
	memset(reply, 0, sizeof *reply);
	const struct curl_fns *c = curl_lazy();
	if (!c) {
		reply->curl_code = CURLE_FAILED_INIT;
		snprintf(reply->error, sizeof reply->error, "%s", curl_lazy_error());
		return;
	}
	struct sink sink = { .reply = reply, .max = req->body_max };
	struct curl_slist *headers = header_list(c, req);
	CURL *e = c->easy_init();
	CURLM *m = c->multi_init();
	reply->curl_code = CURLE_OUT_OF_MEMORY;
	if (headers && e && m)
		set_options(c, e, req, headers, &sink);
	if (headers && e && m && c->multi_add_handle(m, e) == CURLM_OK) {
		reply->curl_code = drive(c, m, e, req);
		c->easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply->status);
		curl_off_t after = 0;
		if (c->easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK)
			reply->retry_after = (long)after;
		c->multi_remove_handle(m, e);
	}
	if (!reply->error[0] && reply->curl_code != CURLE_OK)
		strncpy(reply->error, c->easy_strerror(reply->curl_code),
			sizeof reply->error - 1);
	c->multi_cleanup(m);
	c->easy_cleanup(e);
	c->slist_free_all(headers);
}

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->body_len = 0;
}
