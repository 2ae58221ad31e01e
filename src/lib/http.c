#include "http.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "ca_blob.h"
#include "curl_lazy.h"
#include "monotime.h"
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

/* Ping-Body-Limit: how much of a request body the server keeps. */
static void body_limit(struct http_reply *reply, const char *data, size_t len)
{
	static const char name[] = "ping-body-limit:";
	if (len <= sizeof name || strncasecmp(data, name, sizeof name - 1) != 0)
		return;
	char value[32];
	size_t v = len - (sizeof name - 1);
	snprintf(value, sizeof value, "%.*s",
		 (int)(v < sizeof value - 1 ? v : sizeof value - 1),
		 data + sizeof name - 1);
	char *end;
	long limit = strtol(value, &end, 10);
	if (end != value && limit >= 0)
		reply->body_limit = limit;
}

/* Each header line: Ping-Body-Limit, and the blank line that ends a head,
 * noting when a final 2xx one came.  (Its type is libcurl's header
 * callback's.) */
/* cppcheck-suppress constParameter */
static size_t on_header(char *data, size_t size, size_t n, void *user)
{
	struct sink *s = user;
	size_t len = size * n;
	long status = 0;
	if ((len == 2 && data[0] == '\r') || (len == 1 && data[0] == '\n')) {
		s->c->easy_getinfo(s->e, CURLINFO_RESPONSE_CODE, &status);
		if (status >= 200 && status <= 299 && !s->head_2xx)
			s->head_2xx = monotime_now();
	}
	body_limit(s->reply, data, len);
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

/* FOLDERS, a list separated by colons as OpenSSL reads it: whether one of
 * them is hashed. */
static bool has_hashed_folder(const char *folders)
{
	char one[4096];
	for (const char *p = folders; p && *p; p += strcspn(p, ":"), p += *p == ':') {
		size_t len = strcspn(p, ":");
		if (len > 0 && len < sizeof one) {
			memcpy(one, p, len);
			one[len] = '\0';
			if (is_hashed_folder(one))
				return true;
		}
	}
	return false;
}

/* A variable set to something: an empty one counts as unset. */
static const char *env_value(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* Where the system's trust is, as curl and Go find it: the bundle and
 * folders libcurl was built with, or those SSL_CERT_FILE and SSL_CERT_DIR
 * name. */
struct trust {
	const char *cacert; /* the extra CA file, or NULL */
	char *bundle;       /* NULL: none */
	char *folder;       /* NULL: none */
	bool bundle_named;  /* by SSL_CERT_FILE: then it must be usable */
	bool folder_only;   /* this attempt trusts the hashed folder alone */
	struct ca_blob blob;
};

static bool trust_init(struct trust *tr, const struct curl_fns *c, CURL *e,
		       const char *cacert)
{
	const char *folder = NULL, *bundle = NULL;
	c->easy_getinfo(e, CURLINFO_CAPATH, &folder);
	c->easy_getinfo(e, CURLINFO_CAINFO, &bundle);
	if (env_value("SSL_CERT_DIR"))
		folder = env_value("SSL_CERT_DIR");
	tr->bundle_named = env_value("SSL_CERT_FILE") != NULL;
	if (tr->bundle_named)
		bundle = env_value("SSL_CERT_FILE");
	tr->cacert = cacert;
	tr->bundle = bundle ? strdup(bundle) : NULL;
	tr->folder = folder ? strdup(folder) : NULL;
	return (!bundle || tr->bundle) && (!folder || tr->folder);
}

static void trust_free(struct trust *tr)
{
	free(tr->bundle);
	free(tr->folder);
	free(tr->blob.data);
	memset(tr, 0, sizeof *tr);
}

/* Hand the blob to libcurl as its CA file.  A libcurl that cannot take one
 * (GnuTLS) is given the file INSTEAD by name, checked just now to be a
 * regular file; NULL: it cannot be done. */
static CURLcode set_blob(const struct curl_fns *c, CURL *e,
			 struct ca_blob *blob, const char *instead)
{
	struct curl_blob b = { .data = blob->data, .len = blob->len,
			       .flags = CURL_BLOB_NOCOPY };
	CURLcode rc = c->easy_setopt(e, CURLOPT_CAINFO_BLOB, &b);
	if (rc == CURLE_NOT_BUILT_IN && instead)
		rc = c->easy_setopt(e, CURLOPT_CAINFO, instead);
	return rc;
}

/* The quick way, where a hashed folder stands: OpenSSL parses a whole
 * bundle on every run, while in the folder it reads only the issuers a
 * chain needs.  So the bundle is left out, and CACERT's blob (which
 * replaces libcurl's bundle, not its folder) adds to the folder. */
static CURLcode trust_folder(struct trust *tr, const struct curl_fns *c,
			     CURL *e, char *error, size_t error_len)
{
	c->easy_setopt(e, CURLOPT_CAINFO, NULL);
	if (!tr->cacert)
		return CURLE_OK;
	int err = ca_blob_append(&tr->blob, tr->cacert);
	if (err) {
		snprintf(error, error_len, "CA file %s: %s", tr->cacert,
			 ca_blob_error(err));
		return CURLE_SSL_CACERT_BADFILE;
	}
	return set_blob(c, e, &tr->blob, tr->cacert);
}

/* The whole of the system's trust: the bundle and the folder, CACERT
 * added.  The bundle and CACERT go into one blob, so that CACERT never
 * replaces the bundle; a bundle libcurl was built with that is missing
 * adds nothing, one SSL_CERT_FILE names must be there. */
static CURLcode trust_all(struct trust *tr, const struct curl_fns *c,
			  CURL *e, bool after_folder, char *error,
			  size_t error_len)
{
	if (!tr->cacert && !tr->bundle_named) {
		c->easy_setopt(e, CURLOPT_CAINFO, tr->bundle);
		return CURLE_OK;
	}
	free(tr->blob.data);
	tr->blob = (struct ca_blob){ 0 };
	const char *what = "system CA bundle", *path = tr->bundle;
	int err = tr->bundle ? ca_blob_append(&tr->blob, tr->bundle) : 0;
	if (err == ENOENT && !tr->bundle_named)
		err = 0;
	if (tr->cacert && !err) {
		what = "CA file";
		path = tr->cacert;
		err = ca_blob_append(&tr->blob, tr->cacert);
	}
	if (err) {
		snprintf(error, error_len, "%s %s: %s", what, path,
			 ca_blob_error(err));
		return CURLE_SSL_CACERT_BADFILE;
	}
	/* GnuTLS takes one file by name: the bundle, CACERT having had its
	 * try beside the folder already. */
	const char *instead = !tr->cacert ? tr->bundle
			      : after_folder ? tr->bundle : NULL;
	if (set_blob(c, e, &tr->blob, instead) != CURLE_OK) {
		snprintf(error, error_len, "this libcurl cannot take a CA file");
		return CURLE_SSL_CACERT_BADFILE;
	}
	return CURLE_OK;
}

/* Trust what curl and Go trust on this machine (the bundle and the hashed
 * folder together), CACERT added; see hbrun(1).  Where a hashed folder
 * stands, the first try trusts it alone, and the whole only if that
 * refused the certificate (http_step() tries again): the same verdict,
 * without parsing the bundle when the folder suffices. */
static CURLcode set_trust(struct trust *tr, const struct curl_fns *c,
			  CURL *e, char *error, size_t error_len)
{
	if (tr->folder)
		c->easy_setopt(e, CURLOPT_CAPATH, tr->folder);
	tr->folder_only = !tr->bundle_named && tr->folder &&
			  has_hashed_folder(tr->folder);
	return tr->folder_only ? trust_folder(tr, c, e, error, error_len)
			       : trust_all(tr, c, e, false, error, error_len);
}

static bool is_https(const char *url)
{
	return strncasecmp(url, "https://", 8) == 0;
}

/* The sockets libcurl asked to have watched, as its socket callback said
 * (a transfer has one, two while a connection races IPv6 against IPv4,
 * and the threaded resolver's own). */
#define SOCKS_MAX HTTP_FDS_MAX

struct watched {
	curl_socket_t fd;
	int what; /* CURL_POLL_IN, _OUT or _INOUT */
};

struct http_transfer {
	const struct curl_fns *c;
	CURL *e;
	CURLM *m;
	struct curl_slist *headers;
	struct http_reply *reply;
	struct sink sink;
	struct trust trust;
	bool added_again;    /* the whole trust's try: running again */
	struct watched socks[SOCKS_MAX];
	unsigned nsocks;
	double timer_at;     /* libcurl's timer: monotonic seconds; 0: none */
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
	trust_free(&t->trust);
	free(t);
}

/* libcurl's socket callback: which descriptor to watch for what. */
static int on_socket(CURL *e, curl_socket_t fd, int what, void *user,
		     void *socketp)
{
	(void)e;
	(void)socketp;
	struct http_transfer *t = user;
	unsigned i = 0;
	while (i < t->nsocks && t->socks[i].fd != fd)
		i++;
	if (what == CURL_POLL_REMOVE) {
		if (i < t->nsocks)
			t->socks[i] = t->socks[--t->nsocks];
		return 0;
	}
	if (i == t->nsocks) {
		if (t->nsocks == SOCKS_MAX)
			return -1; /* libcurl fails the transfer */
		t->nsocks++;
	}
	t->socks[i] = (struct watched){ fd, what };
	return 0;
}

/* libcurl's timer callback: when to drive it without any socket. */
static int on_timer(CURLM *m, long ms, void *user)
{
	(void)m;
	struct http_transfer *t = user;
	t->timer_at = ms < 0 ? 0 : monotime_now() + (double)ms / 1000.0;
	/* 0 must still read as set */
	if (ms >= 0 && t->timer_at <= 0)
		t->timer_at = 1e-9;
	return 0;
}

/* The handle's options, the trust first, on the fresh handle whose CA
 * settings are still libcurl's defaults; plain http needs none. */
static CURLcode set_up(struct http_transfer *t, const struct http_request *req)
{
	CURLcode rc = CURLE_OUT_OF_MEMORY;
	if (t->headers && t->e && t->m)
		rc = !is_https(req->url) ? CURLE_OK
		     : trust_init(&t->trust, t->c, t->e, req->cacert)
			? set_trust(&t->trust, t->c, t->e, t->reply->error,
				    sizeof t->reply->error)
			: CURLE_OUT_OF_MEMORY;
	if (rc != CURLE_OK)
		return rc;
	set_options(t->c, t->e, req, t->headers, &t->sink);
	t->c->multi_setopt(t->m, CURLMOPT_SOCKETFUNCTION, on_socket);
	t->c->multi_setopt(t->m, CURLMOPT_SOCKETDATA, t);
	t->c->multi_setopt(t->m, CURLMOPT_TIMERFUNCTION, on_timer);
	t->c->multi_setopt(t->m, CURLMOPT_TIMERDATA, t);
	return t->c->multi_add_handle(t->m, t->e) == CURLM_OK
		       ? CURLE_OK : CURLE_OUT_OF_MEMORY;
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
	t->c = c;
	t->reply = reply;
	t->headers = header_list(c, req);
	t->e = c->easy_init();
	t->m = c->multi_init();
	t->sink = (struct sink){ .reply = reply, .max = req->body_max,
				 .c = c, .e = t->e };
	CURLcode rc = set_up(t, req);
	if (rc == CURLE_OK)
		return t;
	reply->curl_code = rc;
	if (!reply->error[0])
		snprintf(reply->error, sizeof reply->error, "%s",
			 c->easy_strerror(rc));
	transfer_free(t);
	return NULL;
}

static bool finished(struct http_transfer *t, CURLcode code)
{
	t->done = true;
	t->code = code;
	return true;
}

/* The hashed folder alone refused the certificate: try once more with the
 * whole of the system's trust, the bundle included, before refusing it.
 * True when the transfer goes on. */
static bool try_whole_trust(struct http_transfer *t)
{
	/* Without a bundle the whole is what was just tried. */
	struct stat st;
	if (!t->trust.folder_only || !t->trust.bundle ||
	    stat(t->trust.bundle, &st) != 0)
		return false;
	t->trust.folder_only = false;
	t->c->multi_remove_handle(t->m, t->e);
	char *error = t->reply->error;
	error[0] = '\0';
	CURLcode rc = trust_all(&t->trust, t->c, t->e, true, error,
				sizeof t->reply->error);
	if (rc == CURLE_OK && t->c->multi_add_handle(t->m, t->e) == CURLM_OK) {
		t->added_again = true;
		return true;
	}
	finished(t, rc == CURLE_OK ? CURLE_OUT_OF_MEMORY : rc);
	return false;
}

/* Whether T's certificate was refused for want of a trusted issuer, which
 * more CAs could change; not for an expiry or a wrong name, which they
 * could not.  OpenSSL's verify results: no issuer certificate (2, 20),
 * self-signed (18, 19), leaf signature unverifiable (21); GnuTLS's status
 * flags: signer not found. */
static bool issuer_unknown(const struct http_transfer *t)
{
	long result = 0;
	t->c->easy_getinfo(t->e, CURLINFO_SSL_VERIFYRESULT, &result);
	return result == 2 || (result >= 18 && result <= 21) ||
	       (result & 0x40) != 0;
}

/* The attempt ended with CODE: finished, unless the folder alone refused
 * the certificate's issuer and the whole trust gets its try. */
static bool attempt_done(struct http_transfer *t, CURLcode code)
{
	if (code == CURLE_PEER_FAILED_VERIFICATION && t->trust.folder_only &&
	    issuer_unknown(t) && try_whole_trust(t))
		return false;
	return t->done || finished(t, code);
}

unsigned http_fds(const struct http_transfer *t, struct pollfd *fds)
{
	unsigned n = 0;
	for (unsigned i = 0; !t->done && i < t->nsocks; i++) {
		short ev = 0;
		if (t->socks[i].what & CURL_POLL_IN)
			ev |= POLLIN;
		if (t->socks[i].what & CURL_POLL_OUT)
			ev |= POLLOUT;
		fds[n++] = (struct pollfd){ .fd = t->socks[i].fd, .events = ev };
	}
	return n;
}

double http_due(const struct http_transfer *t)
{
	if (t->done)
		return 0;
	double grace = t->sink.head_2xx ? t->sink.head_2xx + BODY_GRACE : 0;
	if (!t->timer_at || (grace && grace < t->timer_at))
		return grace;
	return t->timer_at;
}

/* What the poll found for T's socket FD, as libcurl's bits. */
static int socket_events(curl_socket_t fd, const struct pollfd *fds,
			 unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (fds[i].fd != fd)
			continue;
		short r = fds[i].revents;
		return ((r & (POLLIN | POLLHUP)) ? CURL_CSELECT_IN : 0) |
		       ((r & POLLOUT) ? CURL_CSELECT_OUT : 0) |
		       ((r & (POLLERR | POLLNVAL)) ? CURL_CSELECT_ERR : 0);
	}
	return 0;
}

/* Whether libcurl says T's transfer is over; its outcome then noted. */
static bool transfer_over(struct http_transfer *t)
{
	CURLMsg *msg;
	int left;
	while ((msg = t->c->multi_info_read(t->m, &left)))
		if (msg->msg == CURLMSG_DONE && msg->easy_handle == t->e)
			return attempt_done(t, msg->data.result);
	return false;
}

bool http_service(struct http_transfer *t, const struct pollfd *fds,
		  unsigned n)
{
	if (t->done)
		return true;
	/* The callbacks change the list while libcurl acts on it. */
	struct watched socks[SOCKS_MAX];
	unsigned nsocks = t->nsocks;
	memcpy(socks, t->socks, sizeof socks);
	int running = 1;
	for (unsigned i = 0; i < nsocks; i++) {
		int ev = socket_events(socks[i].fd, fds, n);
		if (ev && t->c->multi_socket_action(t->m, socks[i].fd, ev,
						    &running) != CURLM_OK)
			return finished(t, CURLE_FAILED_INIT);
	}
	if (t->timer_at && monotime_now() >= t->timer_at) {
		t->timer_at = 0;
		if (t->c->multi_socket_action(t->m, CURL_SOCKET_TIMEOUT, 0,
					      &running) != CURLM_OK)
			return finished(t, CURLE_FAILED_INIT);
	}
	if (transfer_over(t))
		return true;
	/* Nothing runs, and nothing was said of its end; unless the
	 * transfer was just added again, with the whole trust. */
	if (!running && !t->added_again)
		return finished(t, CURLE_FAILED_INIT);
	t->added_again = false;
	if (t->sink.head_2xx && monotime_now() >= t->sink.head_2xx + BODY_GRACE)
		return finished(t, CURLE_OK);
	return false;
}

void http_end(struct http_transfer *t, int code)
{
	struct http_reply *reply = t->reply;
	reply->curl_code = t->done ? (int)t->code : code;
	/* After a 2xx head, the body's fate is not the request's; a body cut
	 * short leaves the status to decide. */
	if ((t->sink.head_2xx || reply->body_cut) &&
	    reply->curl_code != CURLE_ABORTED_BY_CALLBACK)
		reply->curl_code = CURLE_OK;
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
	double hard_end = monotime_now() + req->timeout + 0.25;
	int code = CURLE_OK;
	while (!http_service(t, NULL, 0)) {
		struct pollfd fds[HTTP_FDS_MAX + 1];
		unsigned n = http_fds(t, fds);
		int cancel = cancel_fd(req->cancel);
		if (cancel >= 0)
			fds[n++] = (struct pollfd){ .fd = cancel, .events = POLLIN };
		double due = http_due(t);
		if (!due || due > hard_end)
			due = hard_end;
		int ready = poll(fds, n, monotime_ms_until(due));
		if (ready > 0 && cancel >= 0 && (fds[n - 1].revents & POLLIN) &&
		    cancel_arrived(req->cancel)) {
			code = CURLE_ABORTED_BY_CALLBACK;
			break;
		}
		if (ready > 0 && http_service(t, fds, n))
			break;
		if (monotime_now() >= hard_end) {
			code = CURLE_OPERATION_TIMEDOUT;
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
