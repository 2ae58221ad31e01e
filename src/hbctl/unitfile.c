#include "unitfile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define BLANKS " \t\r"

static void trim(const char **s, size_t *n)
{
	while (*n && strchr(BLANKS, (*s)[0]) && (*s)[0]) {
		++*s;
		--*n;
	}
	while (*n && strchr(BLANKS, (*s)[*n - 1]) && (*s)[*n - 1])
		--*n;
}

static bool unit_add(struct unit *u, const char *section, const char *key,
		     size_t klen, const char *value, size_t vlen, long line)
{
	if (u->n == u->cap) {
		size_t cap = u->cap ? u->cap * 2 : 32;
		struct unit_entry *v = realloc(u->v, cap * sizeof *v);
		if (!v)
			return false;
		u->v = v;
		u->cap = cap;
	}
	struct unit_entry *e = &u->v[u->n];
	e->section = strdup(section);
	e->key = strndup(key, klen);
	e->value = strndup(value, vlen);
	e->file = u->files[u->nfiles - 1];
	e->line = line;
	if (!e->section || !e->key || !e->value) {
		free(e->section);
		free(e->key);
		free(e->value);
		return false;
	}
	u->n++;
	return true;
}

/* One logical line: [Section], or Key=Value (anything else is ignored,
 * as systemd ignores it with a warning). */
static bool unit_line(struct unit *u, char **section, const char *s,
		      size_t n, long line)
{
	trim(&s, &n);
	if (n == 0 || s[0] == '#' || s[0] == ';')
		return true;
	if (s[0] == '[') {
		free(*section);
		*section = NULL;
		if (s[n - 1] == ']' && n > 2)
			*section = strndup(s + 1, n - 2);
		return n <= 2 || s[n - 1] != ']' || *section;
	}
	const char *eq = memchr(s, '=', n);
	if (!eq || !*section)
		return true;
	const char *key = s, *value = eq + 1;
	size_t klen = (size_t)(eq - s), vlen = n - klen - 1;
	trim(&key, &klen);
	trim(&value, &vlen);
	if (klen == 0)
		return true;
	return unit_add(u, *section, key, klen, value, vlen, line);
}

/* Gather a line and its continuations (a trailing backslash) into *JOINED;
 * comment lines inside a continuation are skipped, as systemd does. */
static bool logical_line(const char **p, const char *end, char **joined,
			 size_t *cap, size_t *len, long *lines)
{
	*len = 0;
	bool more = true;
	while (more && *p < end) {
		const char *nl = memchr(*p, '\n', (size_t)(end - *p));
		size_t n = nl ? (size_t)(nl - *p) : (size_t)(end - *p);
		const char *s = *p;
		*p = nl ? nl + 1 : end;
		++*lines;
		size_t t = n;
		while (t && (s[t - 1] == '\r' || s[t - 1] == ' ' || s[t - 1] == '\t'))
			t--;
		size_t lead = 0; /* the text is not NUL-ended: count within it */
		while (lead < n && (s[lead] == ' ' || s[lead] == '\t'))
			lead++;
		if (*len && lead < n && (s[lead] == '#' || s[lead] == ';'))
			continue;
		more = t > 0 && s[t - 1] == '\\';
		if (more)
			n = t - 1;
		if (!*joined || *len + n + 2 > *cap) {
			*cap = (*len + n + 2) * 2;
			char *j = realloc(*joined, *cap);
			if (!j)
				return false;
			*joined = j;
		}
		memcpy(*joined + *len, s, n);
		*len += n;
		if (more)
			(*joined)[(*len)++] = ' ';
		(*joined)[*len] = '\0';
	}
	return true;
}

static bool unit_file_add(struct unit *u, const char *file)
{
	char **f = realloc(u->files, (u->nfiles + 1) * sizeof *f);
	if (!f)
		return false;
	u->files = f;
	f[u->nfiles] = strdup(file);
	return f[u->nfiles++] != NULL;
}

bool unit_parse(struct unit *u, const char *text, size_t len,
		const char *file)
{
	if (!unit_file_add(u, file))
		return false;
	const char *p = text, *end = text + len;
	char *section = NULL, *joined = NULL;
	size_t cap = 0;
	long lines = 0;
	bool ok = true;
	while (ok && p < end) {
		size_t n;
		long first = lines + 1;
		ok = logical_line(&p, end, &joined, &cap, &n, &lines) &&
		     (!joined || memchr(joined, '\0', n) ||
		      unit_line(u, &section, joined, n, first));
	}
	free(joined);
	free(section);
	return ok;
}

static bool is(const struct unit_entry *e, const char *section,
	       const char *key)
{
	return strcmp(e->section, section) == 0 && strcmp(e->key, key) == 0;
}

static bool one_of(const char *key, const char *const *keys)
{
	for (; *keys; keys++)
		if (strcmp(key, *keys) == 0)
			return true;
	return false;
}

size_t unit_list_shared(const struct unit *u, const char *section,
			const char *const *keys, const char *key,
			const struct unit_entry **out, size_t max)
{
	size_t count = 0;
	for (size_t i = 0; i < u->n; i++) {
		const struct unit_entry *e = &u->v[i];
		if (strcmp(e->section, section) != 0 || !one_of(e->key, keys))
			continue;
		if (!*e->value) {
			count = 0;
			continue;
		}
		if (strcmp(e->key, key) != 0)
			continue;
		if (count < max)
			out[count] = e;
		count++;
	}
	return count;
}

size_t unit_list(const struct unit *u, const char *section, const char *key,
		 const struct unit_entry **out, size_t max)
{
	const char *const keys[] = { key, NULL };
	return unit_list_shared(u, section, keys, key, out, max);
}

const struct unit_entry *unit_last(const struct unit *u, const char *section,
				   const char *key)
{
	for (size_t i = u->n; i-- > 0;)
		if (is(&u->v[i], section, key))
			return *u->v[i].value ? &u->v[i] : NULL;
	return NULL;
}

const struct unit_entry *unit_last_set(const struct unit *u,
				       const char *section, const char *key)
{
	for (size_t i = u->n; i-- > 0;)
		if (is(&u->v[i], section, key) && *u->v[i].value)
			return &u->v[i];
	return NULL;
}

void unit_free(struct unit *u)
{
	for (size_t i = 0; i < u->n; i++) {
		free(u->v[i].section);
		free(u->v[i].key);
		free(u->v[i].value);
	}
	for (size_t i = 0; i < u->nfiles; i++)
		free(u->files[i]);
	free(u->v);
	free(u->files);
	memset(u, 0, sizeof *u);
}

static const struct { const char *name; double secs; } span_units[] = {
	{ "usec", 1e-6 }, { "us", 1e-6 }, { "µs", 1e-6 },
	{ "msec", 1e-3 }, { "ms", 1e-3 },
	{ "seconds", 1 }, { "second", 1 }, { "sec", 1 }, { "s", 1 },
	{ "minutes", 60 }, { "minute", 60 }, { "min", 60 }, { "m", 60 },
	{ "hours", 3600 }, { "hour", 3600 }, { "hr", 3600 }, { "h", 3600 },
	{ "days", 86400 }, { "day", 86400 }, { "d", 86400 },
	{ "weeks", 604800 }, { "week", 604800 }, { "w", 604800 },
	{ "months", 2629800 }, { "month", 2629800 }, { "M", 2629800 },
	{ "years", 31557600 }, { "year", 31557600 }, { "y", 31557600 },
};

/* The unit at *P (none: seconds), longest name first in the table. */
static bool span_unit(const char **p, double *secs)
{
	size_t n = 0;
	while ((*p)[n] && !strchr(" \t0123456789.", (*p)[n]))
		n++;
	if (n == 0) {
		*secs = 1;
		return true;
	}
	for (size_t i = 0; i < sizeof span_units / sizeof *span_units; i++) {
		if (strlen(span_units[i].name) == n &&
		    strncmp(span_units[i].name, *p, n) == 0) {
			*secs = span_units[i].secs;
			*p += n;
			return true;
		}
	}
	return false;
}

bool timespan_seconds(const char *text, long *out)
{
	double total = 0;
	const char *p = text + strspn(text, " \t");
	if (!*p)
		return false;
	while (*p) {
		if (!((*p >= '0' && *p <= '9') || *p == '.'))
			return false;
		char *end;
		double v = strtod(p, &end);
		if (end == p || !isfinite(v))
			return false;
		p = end + strspn(end, " \t");
		double unit;
		if (!span_unit(&p, &unit))
			return false;
		total += v * unit;
		p += strspn(p, " \t");
	}
	if (!(total < 1e12))
		return false;
	*out = (long)ceil(total);
	return true;
}
