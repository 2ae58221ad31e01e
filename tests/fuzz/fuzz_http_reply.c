/* Fuzz target: arbitrary bytes as the server's reply to hbrun's real
 * request.
 *
 * hbrun parses no HTTP itself: libcurl does, and hbrun takes the status,
 * the Retry-After (CURLINFO_RETRY_AFTER) and a bounded copy of the body
 * from it, then classifies the attempt and decides on the next one
 * (retry.h).  So this target runs the whole of that: http_perform() sends
 * its POST to a server thread on 127.0.0.1, which reads the request, sends
 * the input as the reply and closes; then the outcome and the next step are
 * worked out as call.c does.  libcurl is not instrumented, so libFuzzer's
 * coverage guidance sees hbrun's side only; the seed corpus and the
 * dictionary (http_reply.dict) carry the HTTP shapes.
 *
 * Checked: the body kept is bounded and NUL-ended; success is a complete
 * transfer with a 2xx status and nothing else; Retry-After is 0 when the reply has
 * none; 2xx is success; a Retry-After beyond the time left stops the
 * retries at once, one in the past (<= 0) leaves the backoff. */
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fuzz.h"
#include "http.h"
#include "retry.h"

#define BODY_MAX 4096
#define ATTEMPT_SECONDS 2.0

static int listener = -1;
static char url[80];

struct reply_bytes {
	const uint8_t *data;
	size_t size;
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	if (!http_init()) {
		fprintf(stderr, "fuzz_http_reply: %s\n", http_init_error());
		abort();
	}
	struct sockaddr_in a = { .sin_family = AF_INET };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof a;
	listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof a) ||
	    listen(listener, 4) || getsockname(listener, (struct sockaddr *)&a, &len)) {
		perror("fuzz_http_reply: listen");
		abort();
	}
	snprintf(url, sizeof url, "http://127.0.0.1:%u/v1/heartbeats/fuzz/ping",
		 (unsigned)ntohs(a.sin_port));
	return 0;
}

static bool readable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	return poll(&p, 1, ms) > 0;
}

/* Read the request head (hbrun's POST has no body). */
static void read_request(int c)
{
	char buf[2048];
	size_t have = 0;
	while (have < sizeof buf && readable(c, 1000)) {
		ssize_t n = recv(c, buf + have, sizeof buf - have, 0);
		if (n <= 0)
			return;
		have += (size_t)n;
		if (memmem(buf, have, "\r\n\r\n", 4))
			return;
	}
}

static void *serve_one(void *arg)
{
	const struct reply_bytes *r = arg;
	if (!readable(listener, 3000))
		return NULL;
	int c = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return NULL;
	read_request(c);
	for (size_t off = 0; off < r->size;) {
		ssize_t n = send(c, r->data + off, r->size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	shutdown(c, SHUT_WR);
	char sink[512];
	while (readable(c, 3000) && recv(c, sink, sizeof sink, 0) > 0)
		;
	close(c);
	return NULL;
}

static bool mentions_retry_after(const uint8_t *data, size_t size)
{
	static const char name[] = "retry-after";
	for (size_t i = 0; i + sizeof name - 1 <= size; i++)
		if (strncasecmp((const char *)data + i, name, sizeof name - 1) == 0)
			return true;
	return false;
}

static void check_reply(const struct http_reply *rep, const uint8_t *data,
			size_t size)
{
	FUZZ_ASSERT(rep->body_len <= BODY_MAX);
	FUZZ_ASSERT(!rep->body || rep->body[rep->body_len] == '\0');
	FUZZ_ASSERT(rep->body || rep->body_len == 0);
	FUZZ_ASSERT(memchr(rep->error, '\0', sizeof rep->error));
	/* libcurl gives a date in the past as a negative number: "none", as
	 * http.h has it (<= 0), which retry_next_step() takes as such. */
	if (!mentions_retry_after(data, size))
		FUZZ_ASSERT(rep->retry_after == 0);
	/* libcurl 7.88 takes "HTTP/21.0 408" as a complete reply with status
	 * 1, "HTTP/21500" with 1500 and "HTTP/2-1 204" with -1 (regressions/
	 * http_reply): whatever it makes of a status line, only 2xx may count
	 * as a success (check_decision), so no range is asked of it here. */
	if (rep->curl_code == CURLE_OK)
		FUZZ_ASSERT(rep->body_len <= size);
}

static void check_decision(const struct http_reply *rep)
{
	enum outcome o = outcome_classify(rep->curl_code, rep->status);
	bool ok_2xx = rep->curl_code == CURLE_OK && rep->status >= 200 &&
		      rep->status <= 299;
	FUZZ_ASSERT((o == OUTCOME_SUCCESS) == ok_2xx);
	if (o != OUTCOME_TRANSIENT)
		return;
	/* As call.c does after a transient failure, with 30 s left. */
	struct next_step s = retry_next_step(30.0, 0.5, rep->retry_after);
	if (rep->retry_after > 29)
		FUZZ_ASSERT(s.stop);
	else if (rep->retry_after > 0)
		FUZZ_ASSERT(!s.stop && s.wait == (double)rep->retry_after);
	else
		FUZZ_ASSERT(!s.stop && s.wait == 0.5);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (listener < 0)
		LLVMFuzzerInitialize(NULL, NULL);
	struct reply_bytes bytes = { data, size };
	pthread_t server;
	if (pthread_create(&server, NULL, serve_one, &bytes) != 0)
		abort();
	struct http_request req = {
		.method = "POST", .url = url, .allow_http = true,
		.timeout = ATTEMPT_SECONDS, .body_max = BODY_MAX,
	};
	struct http_reply rep;
	http_perform(&req, &rep);
	pthread_join(server, NULL);
	if (getenv("FUZZ_DEBUG")) /* what libcurl made of the input */
		fprintf(stderr, "curl_code %d, status %ld, retry_after %ld, "
			"body %zu bytes, error '%s'\n", rep.curl_code,
			rep.status, rep.retry_after, rep.body_len, rep.error);
	check_reply(&rep, data, size);
	check_decision(&rep);
	http_reply_free(&rep);
	return 0;
}
