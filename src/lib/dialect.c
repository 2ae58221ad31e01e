#include "dialect.h"

#include <string.h>

#define BOM "\xEF\xBB\xBF"

static bool is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* SPAN without the white space around it. */
static struct dialect_span trimmed(const char *at, size_t len)
{
	while (len > 0 && is_space(*at)) {
		at++;
		len--;
	}
	while (len > 0 && is_space(at[len - 1]))
		len--;
	return (struct dialect_span){ at, len };
}

void dialect_start(struct dialect_cursor *c, const char *bytes, size_t len)
{
	*c = (struct dialect_cursor){ bytes, len, 0, 0 };
	if (len >= 3 && memcmp(bytes, BOM, 3) == 0)
		c->pos = 3;
}

bool dialect_next(struct dialect_cursor *c, struct dialect_line *out)
{
	if (c->pos >= c->len)
		return false;
	const char *start = c->bytes + c->pos;
	size_t left = c->len - c->pos;
	const char *nl = memchr(start, '\n', left);
	size_t len = nl ? (size_t)(nl - start) : left;
	c->pos += nl ? len + 1 : len;
	dialect_classify(start, len, out);
	out->number = ++c->line;
	return true;
}

bool dialect_span_is(struct dialect_span span, const char *s)
{
	return strlen(s) == span.len && memcmp(span.at, s, span.len) == 0;
}

/* A header: '[' NAME ']', then nothing but white space, or white space
 * and a comment (';' or '#' and anything after it).  NAME, white space
 * around it dropped, is not empty and holds no '[', ';' or '#' (nor ']',
 * which would end it): a name that could be read two ways is no name. */
static void header(const char *text, size_t len, struct dialect_line *out)
{
	const char *close = memchr(text, ']', len);
	out->kind = DIALECT_BROKEN_HEADER;
	if (!close) {
		out->why = "no ']' ends the section name";
		return;
	}
	struct dialect_span name = trimmed(text + 1, (size_t)(close - text - 1));
	struct dialect_span rest = trimmed(close + 1,
					   len - (size_t)(close + 1 - text));
	if (name.len == 0)
		out->why = "the section name is empty";
	else if (memchr(name.at, '[', name.len) || memchr(name.at, ';', name.len) ||
		 memchr(name.at, '#', name.len))
		out->why = "'[', ';' or '#' in the section name";
	else if (rest.len > 0 && *rest.at != ';' && *rest.at != '#')
		out->why = "more than a comment after ']'";
	else {
		out->kind = DIALECT_HEADER;
		out->name = name;
	}
}

/* The first byte of TEXT (LEN bytes) that is one of STOPS, or a ';' after
 * white space (an inline comment); LEN when there is none. */
static size_t scan(const char *text, size_t len, const char *stops)
{
	bool was_space = false;
	for (size_t i = 0; i < len; i++) {
		if ((stops && strchr(stops, text[i])) ||
		    (was_space && text[i] == ';'))
			return i;
		was_space = is_space(text[i]);
	}
	return len;
}

/* A value wholly inside one pair of double quotes loses them. */
static struct dialect_span unquoted(struct dialect_span v)
{
	if (v.len >= 2 && v.at[0] == '"' && v.at[v.len - 1] == '"' &&
	    !memchr(v.at + 1, '"', v.len - 2))
		return (struct dialect_span){ v.at + 1, v.len - 2 };
	return v;
}

/* key = value: '=' before any ':' and before any inline comment. */
static void setting(const char *text, size_t len, struct dialect_line *out)
{
	size_t eq = scan(text, len, "=:");
	if (eq == len || text[eq] != '=') {
		out->kind = DIALECT_SYNTAX_ERROR;
		return;
	}
	const char *value = text + eq + 1;
	size_t value_len = len - eq - 1;
	out->kind = DIALECT_SETTING;
	out->name = trimmed(text, eq);
	out->value = unquoted(trimmed(value, scan(value, value_len, NULL)));
}

void dialect_classify(const char *text, size_t len, struct dialect_line *out)
{
	int number = out->number;
	struct dialect_span line = trimmed(text, len);
	*out = (struct dialect_line){ .kind = DIALECT_BLANK, .number = number };
	if (line.len == 0 || *line.at == ';' || *line.at == '#')
		return;
	if (*line.at == '[')
		header(line.at, line.len, out);
	else
		setting(line.at, line.len, out);
}
