#include <stdlib.h>
#include <string.h>

#include "dialect.h"
#include "unit.h"

#define B DIALECT_BLANK
#define H DIALECT_HEADER
#define X DIALECT_BROKEN_HEADER
#define S DIALECT_SETTING
#define E DIALECT_SYNTAX_ERROR

/* A line, what it is, its name (header or key) and value. */
static const struct {
	const char *line;
	enum dialect_kind kind;
	const char *name, *value;
} cases[] = {
	{ "", B, NULL, NULL },
	{ "  \t\r", B, NULL, NULL },
	{ "; a comment", B, NULL, NULL },
	{ "  # indented comment", B, NULL, NULL },
	{ "[backup]", H, "backup", NULL },
	{ "  [ backup ]  \r", H, "backup", NULL },
	{ "[b] ; nightly", H, "b", NULL },
	{ "[b];x", H, "b", NULL },
	{ "[b] # x", H, "b", NULL },
	{ "[b]#x", H, "b", NULL },
	{ "[b] ; x ] y", H, "b", NULL },
	{ "[a b]", H, "a b", NULL },
	{ "[a=b]", H, "a=b", NULL },
	{ "[b ;nightly]", X, NULL, NULL },
	{ "[b#1]", X, NULL, NULL },
	{ "[]", X, NULL, NULL },
	{ "[ \t]", X, NULL, NULL },
	{ "[j]x", X, NULL, NULL },
	{ "[a]b]", X, NULL, NULL },
	{ "[[a]]", X, NULL, NULL },
	{ "[a[b]", X, NULL, NULL },
	{ "[backup", X, NULL, NULL },
	{ "[", X, NULL, NULL },
	{ "[b] x ; y", X, NULL, NULL },
	{ "token = abc", S, "token", "abc" },
	{ "token=abc", S, "token", "abc" },
	{ "   token   =   abc  \r", S, "token", "abc" },
	{ "token = abc ;old", S, "token", "abc" },
	{ "token = abc\t;old", S, "token", "abc" },
	{ "token = abc;x", S, "token", "abc;x" },
	{ "token =;x", S, "token", ";x" },
	{ "token = ;x", S, "token", "" },
	{ "token = a # b", S, "token", "a # b" },
	{ "token = \"q\"", S, "token", "q" },
	{ "token = \"q ;x\"", S, "token", "\"q" },
	{ "token = \"a\"b\"", S, "token", "\"a\"b\"" },
	{ "token = \"\"", S, "token", "" },
	{ "token =", S, "token", "" },
	{ "url = a=b:c", S, "url", "a=b:c" },
	{ "= x", S, "", "x" },
	{ "url: x", E, NULL, NULL },
	{ "a:b = c", E, NULL, NULL },
	{ "token ;x = 1", E, NULL, NULL },
	{ "no equals sign", E, NULL, NULL },
	{ "]", E, NULL, NULL },
};

static void check_span(struct dialect_span span, const char *want,
		       const char *line)
{
	if (!want)
		return;
	ck_assert_msg(span.len == strlen(want) &&
		      memcmp(span.at, want, span.len) == 0,
		      "'%s': '%.*s', not '%s'", line, (int)span.len, span.at, want);
}

START_TEST(each_line)
{
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct dialect_line l = { 0 };
		dialect_classify(cases[i].line, strlen(cases[i].line), &l);
		ck_assert_msg(l.kind == cases[i].kind, "'%s': kind %d, not %d",
			      cases[i].line, l.kind, cases[i].kind);
		check_span(l.name, cases[i].name, cases[i].line);
		check_span(l.value, cases[i].value, cases[i].line);
		if (l.kind == X)
			ck_assert_ptr_nonnull(l.why);
	}
}
END_TEST

/* No length of the parser's own: a header of any length is whole. */
START_TEST(long_lines_are_whole)
{
	size_t n = 100000;
	char *line = malloc(n + 40);
	line[0] = '[';
	memset(line + 1, 'n', n);
	strcpy(line + 1 + n, "] ; comment");
	struct dialect_line l = { 0 };
	dialect_classify(line, strlen(line), &l);
	ck_assert_int_eq(l.kind, H);
	ck_assert_uint_eq(l.name.len, n);
	/* a key whose '=' is far to the right */
	memset(line, ' ', n);
	memcpy(line, "token", 5);
	strcpy(line + n, "= v");
	dialect_classify(line, strlen(line), &l);
	ck_assert_int_eq(l.kind, S);
	check_span(l.name, "token", "long key");
	check_span(l.value, "v", "long key");
	free(line);
}
END_TEST

/* Lines split at '\n' only, numbered from 1, a BOM skipped, and the last
 * line read to the end of the bytes, never past it. */
START_TEST(cursor)
{
	static const char text[] = "\xEF\xBB\xBF[a]\r\nk = v\n\n  \t";
	/* Copied to a buffer of exactly its length: no NUL after it. */
	size_t len = sizeof text - 1;
	char *bytes = malloc(len);
	memcpy(bytes, text, len);
	struct dialect_cursor c;
	struct dialect_line l = { 0 };
	enum dialect_kind want[] = { H, S, B, B };
	dialect_start(&c, bytes, len);
	for (int i = 0; i < 4; i++) {
		ck_assert(dialect_next(&c, &l));
		ck_assert_int_eq(l.number, i + 1);
		ck_assert_int_eq(l.kind, want[i]);
	}
	ck_assert(!dialect_next(&c, &l));
	free(bytes);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("dialect");
	TCase *t = tcase_create("dialect");
	tcase_add_test(t, each_line);
	tcase_add_test(t, long_lines_are_whole);
	tcase_add_test(t, cursor);
	suite_add_tcase(s, t);
	return s;
}
