/* Fuzz target: building the ping URL, escaping the token, judging the URL
 * and showing it redacted (url.h), and redacting the token (msg.h).
 *
 * Input: API_URL NUL PING_URL NUL TOKEN (an empty PING_URL or TOKEN means
 * none); the input's length, odd or even, gives allow_http.  Checked: the
 * escaped token holds only unreserved characters and %XX, and unescapes to
 * the token; the URL is exactly the template filled in; the origin shown
 * holds no path, query or user info; a redacted token shows at most its
 * first 4 characters, none of one that short. */
#include <ctype.h>
#include <stdbool.h>

#include "fuzz.h"
#include "msg.h"
#include "url.h"

#define MARK "{token}"

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void check_escape(const char *token, const char *esc)
{
	size_t len = strlen(token), j = 0;
	for (const char *p = esc; *p; j++) {
		FUZZ_ASSERT(j < len);
		if (*p == '%') {
			FUZZ_ASSERT(hex(p[1]) >= 0 && hex(p[2]) >= 0);
			FUZZ_ASSERT((unsigned char)token[j] ==
				    hex(p[1]) * 16 + hex(p[2]));
			FUZZ_ASSERT(!isalnum((unsigned char)token[j]));
			p += 3;
		} else {
			FUZZ_ASSERT(isalnum((unsigned char)*p) ||
				    strchr("-._~", *p));
			FUZZ_ASSERT(*p == token[j]);
			p++;
		}
	}
	FUZZ_ASSERT(j == len);
}

/* TEMPLATE filled in the slow, obvious way. */
static char *expected(const char *api, const char *ping, const char *esc)
{
	size_t cap = strlen(api) + (ping ? strlen(ping) : 0) * (strlen(esc) + 1) +
		     strlen(esc) + 32;
	char *out = calloc(1, cap);
	if (!out)
		abort();
	if (!ping) {
		size_t base = strlen(api);
		while (base > 0 && api[base - 1] == '/')
			base--;
		memcpy(out, api, base);
		strcat(out, "/heartbeats/");
		strcat(out, esc);
		strcat(out, "/ping");
		return out;
	}
	for (const char *p = ping; *p;) {
		if (strncmp(p, MARK, strlen(MARK)) == 0) {
			strcat(out, esc);
			p += strlen(MARK);
		} else {
			strncat(out, p++, 1);
		}
	}
	return out;
}

static void check_origin(const char *url)
{
	static const size_t sizes[] = { 1, 9, 300 };
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		char buf[300];
		memset(buf, 'Z', sizeof buf);
		url_origin(url, buf, sizes[i]);
		FUZZ_ASSERT(memchr(buf, '\0', sizes[i]) != NULL);
		const char *rest = strstr(buf, "://");
		if (strcmp(buf, "(unparsable URL)") == 0 || !rest)
			continue;
		FUZZ_ASSERT(strpbrk(rest + 3, "/?#@") == NULL);
	}
}

static void check_redact(const char *token)
{
	char buf[16];
	for (size_t size = 1; size <= sizeof buf; size += 5) {
		token_redact(token, buf, size);
		size_t shown = strlen(buf) >= 3 ? strlen(buf) - 3 : 0;
		FUZZ_ASSERT(strlen(buf) < size);
		FUZZ_ASSERT(shown <= 4);
		FUZZ_ASSERT(strlen(token) > 4 || shown == 0 || strlen(buf) < 3);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3], *copy;
	size_t n = fuzz_split(data, size, '\0', f, 3, &copy);
	const char *api = f[0];
	const char *ping = n > 1 && *f[1] ? f[1] : NULL;
	const char *token = n > 2 && *f[2] ? f[2] : NULL;
	bool allow_http = size & 1;

	(void)host_is_loopback(api);
	char *esc = token ? url_escape(token) : NULL;
	if (token) {
		FUZZ_ASSERT(esc);
		check_escape(token, esc);
		check_redact(token);
	}
	char *url = url_for_ping(api, ping, token);
	if (!url_needs_token(ping)) {
		FUZZ_ASSERT(url && strcmp(url, ping) == 0);
	} else if (!token) {
		FUZZ_ASSERT(!url);
	} else {
		char *want = expected(api, ping, esc);
		FUZZ_ASSERT(url && strcmp(url, want) == 0);
		/* Not "no mark left": filling "{{token}oken}" with "t" makes
		 * one (regressions/url/mark-made-by-the-filling); one pass, as
		 * expected() does it, is the rule. */
		free(want);
	}
	if (url) {
		enum url_verdict v = url_check(url, allow_http);
		FUZZ_ASSERT(v >= URL_OK_HTTPS && v <= URL_HTTP_REFUSED);
		if (allow_http)
			FUZZ_ASSERT(v != URL_HTTP_REFUSED);
		check_origin(url);
	}
	check_origin(api);
	free(url);
	free(esc);
	free(copy);
	return 0;
}
