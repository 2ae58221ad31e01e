#include "unitname.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The parts of a unit's name: prefix, instance (after '@'), stem (before
 * the suffix), as lengths into the name. */
struct parts {
	size_t prefix, stem;
	const char *instance;
	size_t ninstance;
};

static struct parts parts_of(const char *unit)
{
	const char *dot = strrchr(unit, '.'), *at = strchr(unit, '@');
	struct parts p;
	p.stem = dot ? (size_t)(dot - unit) : strlen(unit);
	p.prefix = at && (size_t)(at - unit) < p.stem ? (size_t)(at - unit)
						      : p.stem;
	p.instance = unit + p.prefix + (p.prefix < p.stem);
	p.ninstance = p.stem - p.prefix - (p.prefix < p.stem);
	return p;
}

bool unit_name_template(const char *name, char *out, size_t size)
{
	struct parts p = parts_of(name);
	if (p.prefix == p.stem || p.ninstance == 0)
		return false;
	int n = snprintf(out, size, "%.*s@%s", (int)p.prefix, name,
			 name + p.stem);
	return n > 0 && (size_t)n < size;
}

/* Where NAME's prefix goes up a level: past the dash before its last
 * part ("foo-bar" -> "foo-"), or, when it ends in a dash, once past the
 * one before that ("foo-bar-" -> "foo-"); 0 when there is none. */
static size_t dash_level(const char *name, size_t n)
{
	bool chopped = false;
	for (;;) {
		const char *dash = NULL;
		for (size_t i = 0; i < n; i++)
			if (name[i] == '-')
				dash = name + i;
		if (!dash || dash == name)
			return 0;
		size_t k = (size_t)(dash - name);
		if (k + 1 < n || chopped)
			return k + 1;
		n = k;
		chopped = true;
	}
}

bool unit_name_dash_parent(const char *name, char *out, size_t size)
{
	struct parts p = parts_of(name);
	size_t n = dash_level(name, p.prefix);
	if (n == 0)
		return false;
	/* An instance keeps its instance; a template has none to keep. */
	int len = p.ninstance
		? snprintf(out, size, "%.*s@%.*s%s", (int)n, name,
			   (int)p.ninstance, p.instance, name + p.stem)
		: snprintf(out, size, "%.*s%s", (int)n, name, name + p.stem);
	return len > 0 && (size_t)len < size;
}

static int hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* TEXT (LEN bytes) unescaped onto OUT as systemd unescapes a unit name:
 * the count written, or -1 for a '\' that is no \xNN (or a NUL byte). */
static long unescape(const char *text, size_t len, char *out)
{
	long n = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '-') {
			out[n++] = '/';
		} else if (text[i] != '\\') {
			out[n++] = text[i];
		} else {
			int a = i + 3 < len && text[i + 1] == 'x' &&
					hex(text[i + 2]) >= 0 && hex(text[i + 3]) >= 0
					? hex(text[i + 2]) * 16 + hex(text[i + 3])
					: -1;
			if (a <= 0)
				return -1;
			out[n++] = (char)a;
			i += 3;
		}
	}
	return n;
}

/* The text %C stands for in UNIT onto OUT (room for the whole name); its
 * length, or -1 for an escape systemd refuses. */
static long specifier(char c, const char *unit, char *out)
{
	struct parts p = parts_of(unit);
	switch (c) {
	case 'n': return stpcpy(out, unit) - out;
	case 'N': memcpy(out, unit, p.stem); return (long)p.stem;
	case 'p': memcpy(out, unit, p.prefix); return (long)p.prefix;
	case 'P': return unescape(unit, p.prefix, out);
	case 'i': memcpy(out, p.instance, p.ninstance); return (long)p.ninstance;
	case 'I': return unescape(p.instance, p.ninstance, out);
	case '%': out[0] = '%'; return 1;
	default: out[0] = '%'; out[1] = c; return 2;
	}
}

char *unit_specifiers(const char *word, const char *unit, bool *bad)
{
	/* Each specifier stands for at most the whole name. */
	size_t cap = strlen(word) + 1, n = 0;
	for (const char *p = strchr(word, '%'); p; p = strchr(p + 1, '%'))
		cap += strlen(unit);
	char *out = malloc(cap);
	*bad = false;
	for (const char *p = word; out && *p; p++) {
		if (*p != '%' || !p[1]) {
			out[n++] = *p;
			continue;
		}
		long len = specifier(*++p, unit, out + n);
		if (len < 0) {
			*bad = true;
			free(out);
			return NULL;
		}
		n += (size_t)len;
	}
	if (out)
		out[n] = '\0';
	return out;
}
