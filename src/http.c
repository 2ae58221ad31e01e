#include "http.h"

#include <curl/curl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "version.h"

#define USER_AGENT "hbrun/" HBRUN_VERSION

bool http_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
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

static struct curl_slist *header_list(const struct http_request *req)
{
	/* An empty "Content-Type:" stops libcurl adding a form type to a
	 * bodiless POST. */
	struct curl_slist *list = curl_slist_append(NULL, "Content-Type:");
	for (const char *const *h = req->headers; h && *h && list; h++) {
		struct curl_slist *next = curl_slist_append(list, *h);
		if (!next) {
			curl_slist_free_all(list);
			return NULL;
		}
		list = next;
	}
	return list;
}

static void set_options(CURL *e, const struct http_request *req,
			struct curl_slist *headers, struct sink *sink)
{
	long ms = (long)(req->timeout * 1000.0);
	curl_easy_setopt(e, CURLOPT_URL, req->url);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR,
			 req->allow_http ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_QUICK_EXIT, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : 1L);
	curl_easy_setopt(e, CURLOPT_USERAGENT, USER_AGENT);
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, sink->reply->error);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, sink);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (req->cacert)
		curl_easy_setopt(e, CURLOPT_CAINFO, req->cacert);
	if (strcmp(req->method, "GET") != 0) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(req->body ? req->body_len : 0));
		if (strcmp(req->method, "POST") != 0)
			curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, req->method);
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
static CURLcode drive(CURLM *m, CURL *e, const struct http_request *req)
{
	double hard_end = now() + req->timeout + 0.25;
	int running = 1;
	while (running) {
		if (curl_multi_perform(m, &running) != CURLM_OK)
			return CURLE_FAILED_INIT;
		if (!running)
			break;
		if (now() >= hard_end)
			return CURLE_OPERATION_TIMEDOUT;
		struct curl_waitfd w = { .fd = req->cancel_fd,
					 .events = CURL_WAIT_POLLIN };
		unsigned n = req->cancel_fd >= 0 ? 1 : 0;
		curl_multi_poll(m, n ? &w : NULL, n, 250, NULL);
		if (n && (w.revents & POLLIN) && req->cancelled &&
		    req->cancelled(req->ctx))
			return CURLE_ABORTED_BY_CALLBACK;
	}
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == e)
			return msg->data.result;
	return CURLE_FAILED_INIT;
}

void http_perform(const struct http_request *req, struct http_reply *reply)
{
	memset(reply, 0, sizeof *reply);
	struct sink sink = { .reply = reply, .max = req->body_max };
	struct curl_slist *headers = header_list(req);
	CURL *e = curl_easy_init();
	CURLM *m = curl_multi_init();
	reply->curl_code = CURLE_OUT_OF_MEMORY;
	if (headers && e && m)
		set_options(e, req, headers, &sink);
	if (headers && e && m && curl_multi_add_handle(m, e) == CURLM_OK) {
		reply->curl_code = drive(m, e, req);
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply->status);
		curl_off_t after = 0;
		if (curl_easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK)
			reply->retry_after = (long)after;
		curl_multi_remove_handle(m, e);
	}
	if (!reply->error[0] && reply->curl_code != CURLE_OK)
		strncpy(reply->error, curl_easy_strerror(reply->curl_code),
			sizeof reply->error - 1);
	curl_multi_cleanup(m);
	curl_easy_cleanup(e);
	curl_slist_free_all(headers);
}

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->body_len = 0;
}
