#include "dsn.h"

#include <stdlib.h>
#include <string.h>

#include "secret.h"

static bool dot_segment(const char *s, size_t n)
{
	return (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.');
}

/* No white space, control character, query or fragment anywhere. */
static bool plain(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '?' ||
		    *s == '#' || *s == '\\')
			return false;
	return true;
}

bool dsn_parse(const char *text, struct dsn *out)
{
	memset(out, 0, sizeof *out);
	const char *sep = text ? strstr(text, "://") : NULL;
	if (!sep || sep == text || !plain(text))
		return false;
	const char *auth = sep + 3;
	const char *slash = strchr(auth, '/');
	const char *at = memchr(auth, '@', slash ? (size_t)(slash - auth) : 0);
	if (!slash || !at || at == auth || at + 1 == slash)
		return false;
	const char *colon = memchr(auth, ':', (size_t)(at - auth));
	size_t key_len = (size_t)((colon ? colon : at) - auth);
	size_t len = strlen(slash);
	while (len > 1 && slash[len - 1] == '/')
		len--;
	const char *project = slash + len;
	while (project > slash && project[-1] != '/')
		project--;
	size_t project_len = (size_t)(slash + len - project);
	if (key_len == 0 || project_len == 0 || dot_segment(auth, key_len) ||
	    dot_segment(project, project_len) || memchr(auth, '@', (size_t)
	    (slash - auth)) != at || memchr(at + 1, '@', (size_t)(slash - at - 1)))
		return false;
	/* SCHEME:// then HOST[:PORT], then the prefix up to the project. */
	size_t scheme_len = (size_t)(auth - text);
	size_t host_len = (size_t)(project - 1 - (at + 1));
	out->base = malloc(scheme_len + host_len + 1);
	out->key = strndup(auth, key_len);
	out->project = strndup(project, project_len);
	if (!out->base || !out->key || !out->project) {
		dsn_free(out);
		return false;
	}
	memcpy(out->base, text, scheme_len);
	memcpy(out->base + scheme_len, at + 1, host_len);
	out->base[scheme_len + host_len] = '\0';
	return true;
}

void dsn_free(struct dsn *d)
{
	free(d->base);
	secret_free(d->key);
	free(d->project);
	memset(d, 0, sizeof *d);
}
