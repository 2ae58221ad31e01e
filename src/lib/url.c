#include "url.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl_lazy.h"
#include "secret.h"

#define TOKEN_MARK "{token}"

bool host_is_loopback(const char *host)
{
	struct in_addr v4;
	if (strcasecmp(host, "localhost") == 0)
		return true;
	if (strcmp(host, "[::1]") == 0 || strcmp(host, "::1") == 0)
		return true;
	/* inet_pton takes only the full dotted quad: no 127.1, no octal. */
	if (inet_pton(AF_INET, host, &v4) == 1)
		return (ntohl(v4.s_addr) >> 24) == 127;
	return false;
}

bool url_needs_token(const char *ping_url)
{
	return !ping_url || strstr(ping_url, TOKEN_MARK) != NULL;
}

char *url_escape(const char *s)
{
	const struct curl_fns *c = curl_lazy();
	char *escaped = c ? c->easy_escape(NULL, s, 0) : NULL;
	char *copy = escaped ? strdup(escaped) : NULL;
	if (escaped)
		c->free(escaped);
	return copy;
}

char *url_join(const char *base, const char *path)
{
	size_t len = strlen(base);
	while (len > 0 && base[len - 1] == '/')
		len--;
	size_t size = len + strlen(path) + 1;
	char *url = malloc(size);
	if (url)
		snprintf(url, size, "%.*s%s", (int)len, base, path);
	return url;
}

/* TEMPLATE with every TOKEN_MARK replaced by VALUE. */
static char *replace_marks(const char *template, const char *value)
{
	size_t marks = 0;
	for (const char *p = template; (p = strstr(p, TOKEN_MARK)); p++)
		marks++;
	size_t mark_len = strlen(TOKEN_MARK), value_len = strlen(value);
	size_t len = strlen(template) + marks * value_len + 1;
	char *out = malloc(len), *o = out;
	if (!out)
		return NULL;
	for (const char *p = template; *p;) {
		if (strncmp(p, TOKEN_MARK, mark_len) == 0) {
			memcpy(o, value, value_len);
			o += value_len;
			p += mark_len;
		} else {
			*o++ = *p++;
		}
	}
	*o = '\0';
	return out;
}

char *url_for_ping(const char *api_url, const char *ping_url,
		   const char *token)
{
	if (!url_needs_token(ping_url))
		return strdup(ping_url);
	if (!token)
		return NULL;
	char *escaped = url_escape(token);
	if (!escaped)
		return NULL;
	char *url = NULL;
	if (ping_url) {
		url = replace_marks(ping_url, escaped);
	} else {
		size_t len = strlen(escaped) + sizeof "/heartbeats//ping";
		char *path = malloc(len);
		if (path) {
			snprintf(path, len, "/heartbeats/%s/ping", escaped);
			url = url_join(api_url, path);
		}
		secret_free(path);
	}
	secret_free(escaped);
	return url;
}

/* URL parsed by libcurl, or NULL (as when libcurl is missing). */
static CURLU *parse(const struct curl_fns *c, const char *url)
{
	CURLU *u = c ? c->url() : NULL;
	if (u && c->url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
		c->url_cleanup(u);
		u = NULL;
	}
	return u;
}

enum url_verdict url_check(const char *url, bool allow_http)
{
	const struct curl_fns *c = curl_lazy();
	CURLU *u = parse(c, url);
	char *scheme = NULL, *host = NULL;
	enum url_verdict verdict = URL_MALFORMED;
	if (!u || c->url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK)
		verdict = URL_MALFORMED;
	else if (strcasecmp(scheme, "https") != 0 && strcasecmp(scheme, "http") != 0)
		verdict = URL_BAD_SCHEME;
	else if (c->url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
		verdict = URL_MALFORMED;
	else if (strcasecmp(scheme, "https") == 0)
		verdict = URL_OK_HTTPS;
	else if (allow_http || host_is_loopback(host))
		verdict = URL_OK_HTTP;
	else
		verdict = URL_HTTP_REFUSED;
	if (u) {
		c->free(scheme);
		c->free(host);
		c->url_cleanup(u);
	}
	return verdict;
}

void url_origin(const char *url, char *buf, size_t size)
{
	const struct curl_fns *c = curl_lazy();
	CURLU *u = parse(c, url);
	char *scheme = NULL, *host = NULL, *port = NULL;
	if (u && c->url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    c->url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    c->url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) ==
		    CURLUE_OK)
		snprintf(buf, size, "%s://%s:%s", scheme, host, port);
	else
		snprintf(buf, size, "(unparsable URL)");
	if (u) {
		c->free(scheme);
		c->free(host);
		c->free(port);
		c->url_cleanup(u);
	}
}

unsigned url_extras(const char *url)
{
	static const struct {
		CURLUPart part;
		unsigned bit;
	} parts[] = {
		{ CURLUPART_QUERY, URL_HAS_QUERY },
		{ CURLUPART_FRAGMENT, URL_HAS_FRAGMENT },
		{ CURLUPART_USER, URL_HAS_USERINFO },
		{ CURLUPART_PASSWORD, URL_HAS_USERINFO },
		{ CURLUPART_OPTIONS, URL_HAS_USERINFO },
	};
	const struct curl_fns *c = curl_lazy();
	CURLU *u = parse(c, url);
	if (!u)
		return URL_HAS_QUERY;
	unsigned found = 0;
	for (size_t i = 0; i < sizeof parts / sizeof *parts; i++) {
		char *v = NULL;
		if (c->url_get(u, parts[i].part, &v, 0) == CURLUE_OK)
			found |= parts[i].bit;
		c->free(v);
	}
	c->url_cleanup(u);
	return found;
}

bool url_host_is_loopback(const char *url)
{
	const struct curl_fns *c = curl_lazy();
	CURLU *u = parse(c, url);
	char *host = NULL;
	bool loopback = u && c->url_get(u, CURLUPART_HOST, &host, 0) ==
				     CURLUE_OK && host_is_loopback(host);
	if (u) {
		c->free(host);
		c->url_cleanup(u);
	}
	return loopback;
}

bool url_segment_usable(const char *s)
{
	return *s && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

bool url_usable(const char *url, bool allow_http, const char *what,
		const char *consequence, msg_fn *say)
{
	char origin[300];
	enum url_verdict verdict = url_check(url, allow_http);
	if (verdict == URL_OK_HTTPS || verdict == URL_OK_HTTP)
		return true;
	url_origin(url, origin, sizeof origin);
	if (verdict == URL_BAD_SCHEME)
		say("%s %s is neither https nor http; %s", what, origin,
		    consequence);
	else if (verdict == URL_HTTP_REFUSED)
		say("refusing plain http to %s, which is not loopback "
		    "(--allow-http permits it); %s", origin, consequence);
	else
		say("%s is not a valid URL; %s", what, consequence);
	return false;
}
