/* hbctl's output (hbctl/out.c): tables, key: value lines, --json. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "out.h"
#include "unit.h"

/* What PRINT wrote, as one string to free(). */
static char *out_of(void (*print)(FILE *, const void *), const void *arg)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	ck_assert_ptr_nonnull(f);
	print(f, arg);
	fclose(f);
	return text;
}

START_TEST(control_characters_are_replaced)
{
	char *s = out_clean("a\tb\nc\x1b[31md\x7f" "e\xc2\x9b" "f\xc2\xa0g");
	/* C0, DEL and C1 (U+009B, CSI) go; U+00A0 is printable and stays */
	ck_assert_str_eq(s, "a?b?c?[31md?e?f\xc2\xa0g");
	free(s);
	/* The bidirectional formatting characters go too (U+202E would show
	 * "evil\u202Etxt.exe" as "evilexe.txt"); other marks stay. */
	static const char *const bidi[] = {
		"\xd8\x9c", "\xe2\x80\x8e", "\xe2\x80\x8f", "\xe2\x80\xaa",
		"\xe2\x80\xab", "\xe2\x80\xac", "\xe2\x80\xad", "\xe2\x80\xae",
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa8", "\xe2\x81\xa9",
	};
	for (size_t i = 0; i < sizeof bidi / sizeof *bidi; i++) {
		char in[16];
		snprintf(in, sizeof in, "a%sb", bidi[i]);
		s = out_clean(in);
		ck_assert_str_eq(s, "a?b");
		free(s);
	}
	s = out_clean("\xe2\x80\x94\xe2\x80\xaf\xe2\x81\xa0\xd8\x9b");
	ck_assert_str_eq(s, "\xe2\x80\x94\xe2\x80\xaf\xe2\x81\xa0\xd8\x9b");
	free(s);
	s = out_clean("\xe2\x80");
	ck_assert_str_eq(s, "\xe2\x80");
	free(s);
	s = out_clean(NULL);
	ck_assert_str_eq(s, "-");
	free(s);
	s = out_clean("");
	ck_assert_str_eq(s, "");
	free(s);
}
END_TEST

START_TEST(width_counts_characters_not_bytes)
{
	ck_assert_uint_eq(out_width(""), 0);
	ck_assert_uint_eq(out_width("abc"), 3);
	ck_assert_uint_eq(out_width("été"), 3);
	ck_assert_uint_eq(out_width("–"), 1);
	ck_assert_uint_eq(out_width("\xf0\x9f\x94\x94"), 1);
}
END_TEST

struct table_args {
	size_t cols, rows;
	const char *const *cells;
};

static void print_table(FILE *f, const void *arg)
{
	const struct table_args *t = arg;
	out_table(f, t->cols, t->rows, t->cells);
}

START_TEST(table_columns_line_up)
{
	const char *cells[] = {
		"ID", "NAME", "STATUS",
		"a", "été long", "active",
		"bbbb", NULL, "x\ny",
	};
	struct table_args t = { 3, 3, cells };
	char *text = out_of(print_table, &t);
	ck_assert_str_eq(text,
			 "ID    NAME      STATUS\n"
			 "a     été long  active\n"
			 "bbbb  -         x?y\n");
	free(text);
}
END_TEST

START_TEST(blank_cells_show_a_dash)
{
	/* A blank or space-ended last cell would end its line in white
	 * space; trailing spaces are dropped everywhere. */
	const char *cells[] = {
		"ID", "PINGED AT",
		"p1", "",
		"", "2025-01-01T00:00:00Z ",
		"p3  ", "   ",
		"a b", " x",
	};
	struct table_args t = { 2, 5, cells };
	char *text = out_of(print_table, &t);
	ck_assert_str_eq(text,
			 "ID   PINGED AT\n"
			 "p1   -\n"
			 "-    2025-01-01T00:00:00Z\n"
			 "p3   -\n"
			 "a b   x\n");
	free(text);
}
END_TEST

static void print_no_heartbeats(FILE *f, const void *arg)
{
	(void)arg;
	out_heartbeats(f, NULL, 0);
}

static void print_no_pings(FILE *f, const void *arg)
{
	(void)arg;
	out_pings(f, NULL, 0);
}

START_TEST(empty_lists_print_the_header_only)
{
	char *text = out_of(print_no_heartbeats, NULL);
	ck_assert_str_eq(text, "ID  NAME  STATUS  INTERVAL  GRACE  MISSES  "
			       "LAST PING  NEXT EXPECTED\n");
	free(text);
	text = out_of(print_no_pings, NULL);
	ck_assert_str_eq(text, "ID  PINGED AT\n");
	free(text);
}
END_TEST

static const struct heartbeat two[] = {
	{ .id = "hb_1", .name = "backup", .token = "secret-token",
	  .status = "active", .interval_secs = 86400, .grace_secs = 3600,
	  .consecutive_misses = 0, .last_pinged_at = "2025-01-01T00:00:00Z",
	  .next_expected_at = "2025-01-02T00:00:00Z" },
	{ .id = "hb_22", .name = "report", .status = "failing",
	  .interval_secs = 60, .grace_secs = -1, .consecutive_misses = 12 },
};

static void print_two(FILE *f, const void *arg)
{
	(void)arg;
	out_heartbeats(f, two, 2);
}

START_TEST(list_table_has_no_tokens)
{
	char *text = out_of(print_two, NULL);
	ck_assert_str_eq(text,
		"ID     NAME    STATUS   INTERVAL  GRACE  MISSES  LAST PING             NEXT EXPECTED\n"
		"hb_1   backup  active   86400     3600   0       2025-01-01T00:00:00Z  2025-01-02T00:00:00Z\n"
		"hb_22  report  failing  60        -      12      -                     -\n");
	ck_assert_ptr_null(strstr(text, "secret"));
	free(text);
}
END_TEST

static void print_pings(FILE *f, const void *arg)
{
	(void)arg;
	static const struct ping_record p[] = {
		{ "p-2", "hb_1", "2025-01-01T00:00:02Z" },
		{ "p-1", "hb_1", NULL },
	};
	out_pings(f, p, 2);
}

START_TEST(pings_table_in_the_order_given)
{
	char *text = out_of(print_pings, NULL);
	ck_assert_str_eq(text, "ID   PINGED AT\n"
			       "p-2  2025-01-01T00:00:02Z\n"
			       "p-1  -\n");
	free(text);
}
END_TEST

static void print_one(FILE *f, const void *arg)
{
	out_heartbeat(f, &two[0], arg);
}

START_TEST(one_heartbeat_as_key_value_lines)
{
	char *text = out_of(print_one, "https://api.example/v1/heartbeats/"
				       "secret-token/ping");
	ck_assert_str_eq(text,
		"id:                  hb_1\n"
		"name:                backup\n"
		"status:              active\n"
		"interval_secs:       86400\n"
		"grace_secs:          3600\n"
		"consecutive_misses:  0\n"
		"last_pinged_at:      2025-01-01T00:00:00Z\n"
		"next_expected_at:    2025-01-02T00:00:00Z\n"
		"created_at:          -\n"
		"updated_at:          -\n"
		"token:               secret-token\n"
		"ping_url:            https://api.example/v1/heartbeats/secret-token/ping\n");
	free(text);
	text = out_of(print_one, NULL);
	ck_assert_ptr_null(strstr(text, "ping_url"));
	ck_assert_ptr_nonnull(strstr(text, "token:               secret-token\n"));
	free(text);
}
END_TEST

static void print_body(FILE *f, const void *arg)
{
	out_body(f, arg, strlen(arg));
}

START_TEST(json_as_it_came_with_one_newline)
{
	char *text = out_of(print_body, "{\"a\": 1}");
	ck_assert_str_eq(text, "{\"a\": 1}\n");
	free(text);
	text = out_of(print_body, "{\n  \"a\": 1\n}\n");
	ck_assert_str_eq(text, "{\n  \"a\": 1\n}\n");
	free(text);
	text = out_of(print_body, "");
	ck_assert_str_eq(text, "");
	free(text);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("hbctl_out");
	TCase *text = tcase_create("text");
	tcase_add_test(text, control_characters_are_replaced);
	tcase_add_test(text, width_counts_characters_not_bytes);
	suite_add_tcase(s, text);
	TCase *tables = tcase_create("tables");
	tcase_add_test(tables, table_columns_line_up);
	tcase_add_test(tables, blank_cells_show_a_dash);
	tcase_add_test(tables, empty_lists_print_the_header_only);
	tcase_add_test(tables, list_table_has_no_tokens);
	tcase_add_test(tables, pings_table_in_the_order_given);
	suite_add_tcase(s, tables);
	TCase *lines = tcase_create("lines");
	tcase_add_test(lines, one_heartbeat_as_key_value_lines);
	tcase_add_test(lines, json_as_it_came_with_one_newline);
	suite_add_tcase(s, lines);
	return s;
}
