#include "http.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "ca_blob.h"
#include "curl_lazy.h"
#include "url.h"
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

/* A 2xx reply's body gets this long after its head before the transfer
 * is let go: the head said success, and a body that never ends must not
 * turn it into a timeout, retried as a failure. */
#define BODY_GRACE 1.0

struct sink {
	struct http_reply *reply;
	size_t max;
	const struct curl_fns *c;
	CURL *e;
	double head_2xx; /* when a 2xx head arrived, else 0 */
};

double http_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

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
	if (len > room) {
		/* Enough: end the transfer rather than read on. */
		s->reply->body_cut = true;
		return 0;
	}
	return len;
}

/* The blank line that ends a head: note when a final 2xx one came.  (Its
 * type is libcurl's header callback's.) */
/* cppcheck-suppress constParameter */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	struct sink *s = user;
	size_t len = size * n;
	long status = 0;
	if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
		s->c->easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299 && !s->head_2xx)
			s->head_2xx = http_now();
	}
	return len;
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
	c->easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	c->easy_setopt(e, CURLOPT_HEADERDATA, sink);
	/* A token of "." or ".." is refused before this; no other path is
	 * rewritten either. */
	c->easy_setopt(e, CURLOPT_PATH_AS_IS, 1L);
	/* Plain http to loopback through a proxy would carry the token
	 * across the network. */
	if (url_host_is_loopback(req->url))
		c->easy_setopt(e, CURLOPT_NOPROXY, "*");
	c->easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	c->easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
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

/* Drive the transfer, watching the cancel descriptor and a hard end of our
 * own, so that the attempt ends in time even if libcurl's timer did not. */
static CURLcode drive(const struct curl_fns *c, CURLM *m, const CURL *e,
		      const struct http_request *req, const struct sink *sink)
{
	double hard_end = http_now() + req->timeout + 0.25;
	int running = 1;
	while (running) {
		if (c->multi_perform(m, &running) != CURLM_OK)
			return CURLE_FAILED_INIT;
		if (!running)
			break;
		if (sink->head_2xx && http_now() >= sink->head_2xx + BODY_GRACE)
			return CURLE_OK;
		if (http_now() >= hard_end)
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

/* A name that c_rehash and update-ca-certificates give a certificate's
 * link: eight hex digits of its subject's hash, a dot and a number. */
static bool is_hash_name(const char *name)
{
	return strspn(name, "0123456789abcdef") == 8 && name[8] == '.' &&
	       name[9] >= '0' && name[9] <= '9';
}

/* A folder that OpenSSL can search by subject hash: one that holds such
 * links.  A folder without them would trust nothing. */
static bool is_hashed_folder(const char *path)
{
	DIR *d = opendir(path);
	if (!d)
		return false;
	bool found = false;
	const struct dirent *ent;
	while (!found && (ent = readdir(d)))
		found = is_hash_name(ent->d_name);
	closedir(d);
	return found;
}

/* Hand BLOB to libcurl as its CA file.  A libcurl that cannot take one
 * (GnuTLS) is given the file's name instead, which was just found to be a
 * regular file; but only where FOLDER holds the system's CAs: without it,
 * the named file would replace them. */
static CURLcode set_blob(const struct curl_fns *c, CURL *e,
			 const struct ca_blob *blob, const char *cacert,
			 bool folder)
{
	struct curl_blob b = { .data = blob->data, .len = blob->len,
			       .flags = CURL_BLOB_NOCOPY };
	CURLcode rc = c->easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	if (rc == CURLE_NOT_BUILT_IN && folder)
		rc = c->easy_setopt(e, CURLOPT_CAINFO, cacert);
	return rc;
}

/* Trust the system's CAs and the extra CA file CACERT (or NULL); see
 * hbrun(1).  libcurl's defaults name a CA bundle and, where it was built
 * with one, a folder of links by subject hash holding the same CAs.
 * OpenSSL parses the whole bundle on every run, while in the folder it
 * reads only the issuers a chain needs: so where the folder can stand for
 * the bundle, the bundle is dropped.  A blob replaces libcurl's bundle but
 * not its folder: with a folder, CACERT's blob adds to it; without one,
 * the bundle and CACERT go into the blob together, so that CACERT never
 * replaces the system's CAs.  A missing bundle adds nothing. */
static CURLcode set_trust(const struct curl_fns *c, CURL *e,
			  const char *cacert, struct ca_blob *blob,
			  char *error, size_t error_len)
{
	const char *folder = NULL, *bundle = NULL;
	c->easy_getinfo(e, CURLINFO_CAPATH, &folder);
	c->easy_getinfo(e, CURLINFO_CAINFO, &bundle);
	bool hashed = folder && is_hashed_folder(folder);
	const char *what = "system CA bundle", *path = bundle;
	int err = 0;
	if (cacert && !hashed && bundle)
		err = ca_blob_append(blob, bundle);
	if (err == ENOENT)
		err = 0;
	if (cacert && !err) {
		what = "CA file";
		path = cacert;
		err = ca_blob_append(blob, cacert);
	}
	if (err) {
		snprintf(error, error_len, "%s %s: %s", what, path,
			 ca_blob_error(err));
		return CURLE_SSL_CACERT_BADFILE;
	}
	/* bundle points into the handle: it is not used after this. */
	if (hashed)
		c->easy_setopt(e, CURLOPT_CAINFO, NULL);
	if (cacert && set_blob(c, e, blob, cacert, hashed) != CURLE_OK) {
		snprintf(error, error_len, "this libcurl cannot take a CA file");
		return CURLE_SSL_CACERT_BADFILE;
	}
	return CURLE_OK;
}

static bool is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

/* Set up and run the transfer on E; its outcome goes into REPLY. */
static CURLcode transfer(const struct curl_fns *c, CURLM *m, CURL *e,
			 const struct http_request *req, const struct sink *sink)
{
	struct http_reply *reply = sink->reply;
	if (c->multi_add_handle(m, e) != CURLM_OK)
		return CURLE_OUT_OF_MEMORY;
	CURLcode rc = drive(c, m, e, req, sink);
	/* After a 2xx head, the body's fate is not the request's; a body cut
	 * short leaves the status to decide. */
	if ((sink->head_2xx || reply->body_cut) &&
	    rc != CURLE_ABORTED_BY_CALLBACK)
		rc = CURLE_OK;
	c->easy_getinfo(e, CURLINFO_RESPONSE_CODE, &reply->status);
	curl_off_t after = 0;
	if (c->easy_getinfo(e, CURLINFO_RETRY_AFTER, &after) == CURLE_OK)
		reply->retry_after = (long)after;
	c->multi_remove_handle(m, e);
	return rc;
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
	struct ca_blob blob = { 0 };
	struct curl_slist *headers = header_list(c, req);
	CURL *e = c->easy_init();
	struct sink sink = { .reply = reply, .max = req->body_max, .c = c,
			     .e = e };
	CURLM *m = c->multi_init();
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	/* The trust is set on the fresh handle, whose CA settings are still
	 * libcurl's defaults; plain http needs none. */
	if (headers && e && m)
		rc = is_https(req->url)
			? set_trust(c, e, req->cacert, &blob, reply->error,
				    sizeof reply->error)
			: CURLE_OK;
	if (rc == CURLE_OK) {
		set_options(c, e, req, headers, &sink);
		rc = transfer(c, m, e, req, &sink);
	}
	reply->curl_code = rc;
	if (!reply->error[0] && rc != CURLE_OK)
		strncpy(reply->error, c->easy_strerror(rc),
			sizeof reply->error - 1);
	c->multi_cleanup(m);
	c->easy_cleanup(e);
	c->slist_free_all(headers);
	free(blob.data);
}

void http_reply_free(struct http_reply *reply)
{
	free(reply->body);
	reply->body = NULL;
	reply->body_len = 0;
}
