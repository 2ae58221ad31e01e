/* JSON through jansson (heartbeat.c): replies read, bodies written, error
 * texts found. */
#include <stdlib.h>
#include <string.h>

#include "heartbeat.h"
#include "unit.h"

static json_t *parse(const char *text)
{
	json_t *root = json_from_body(text, strlen(text));
	ck_assert_ptr_nonnull(root);
	return root;
}

#define FULL_HEARTBEAT \
	"{\"id\":\"hb_1\",\"name\":\"backup\",\"token\":\"tok12345\"," \
	"\"interval_secs\":86400,\"grace_secs\":3600,\"status\":\"paused\"," \
	"\"consecutive_misses\":2,\"last_pinged_at\":null," \
	"\"next_expected_at\":\"2025-01-02T03:04:05Z\"," \
	"\"created_at\":\"2025-01-01T00:00:00Z\"," \
	"\"updated_at\":\"2025-01-01T00:00:01Z\"}"

START_TEST(a_whole_heartbeat)
{
	json_t *root = parse(FULL_HEARTBEAT);
	struct heartbeat hb;
	ck_assert(heartbeat_read(root, &hb));
	ck_assert_str_eq(hb.id, "hb_1");
	ck_assert_str_eq(hb.name, "backup");
	ck_assert_str_eq(hb.token, "tok12345");
	ck_assert_str_eq(hb.status, "paused");
	ck_assert_int_eq(hb.interval_secs, 86400);
	ck_assert_int_eq(hb.grace_secs, 3600);
	ck_assert_int_eq(hb.consecutive_misses, 2);
	ck_assert_ptr_null(hb.last_pinged_at);
	ck_assert_str_eq(hb.next_expected_at, "2025-01-02T03:04:05Z");
	ck_assert_str_eq(hb.created_at, "2025-01-01T00:00:00Z");
	ck_assert_str_eq(hb.updated_at, "2025-01-01T00:00:01Z");
	json_decref(root);
}
END_TEST

START_TEST(missing_and_mistyped_fields_are_absent)
{
	json_t *root = parse("{\"id\":\"x\",\"name\":7,\"interval_secs\":\"60\","
			     "\"grace_secs\":1.5,\"extra\":[1]}");
	struct heartbeat hb;
	ck_assert(heartbeat_read(root, &hb));
	ck_assert_str_eq(hb.id, "x");
	ck_assert_ptr_null(hb.name);
	ck_assert_ptr_null(hb.token);
	ck_assert_int_eq(hb.interval_secs, -1);
	ck_assert_int_eq(hb.grace_secs, -1);
	ck_assert_int_eq(hb.consecutive_misses, -1);
	json_decref(root);
}
END_TEST

START_TEST(no_heartbeat_without_a_string_id)
{
	const char *bad[] = { "{}", "{\"id\":null}", "{\"id\":12}", "[]",
			      "[{\"id\":\"x\"}]" };
	struct heartbeat hb;
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *root = parse(bad[i]);
		ck_assert_msg(!heartbeat_read(root, &hb), "%s", bad[i]);
		json_decref(root);
	}
	ck_assert(!heartbeat_read(NULL, &hb));
}
END_TEST

START_TEST(only_one_whole_document_is_json)
{
	const char *bad[] = { "", "not json", "{\"a\":1} {\"b\":2}",
			      "{\"a\":", "\"just a string\"", "42",
			      "{\"a\":\"\\u0000\"}" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!json_from_body(bad[i], strlen(bad[i])), "%s",
			      bad[i]);
	ck_assert_ptr_null(json_from_body(NULL, 0));
	/* invalid UTF-8 */
	ck_assert_ptr_null(json_from_body("{\"a\":\"\xff\"}", 9));
	/* BODY need not end in NUL: only LEN bytes count */
	json_t *root = json_from_body("{\"id\":\"x\"}garbage", 10);
	ck_assert_ptr_nonnull(root);
	json_decref(root);
}
END_TEST

START_TEST(a_list_of_heartbeats)
{
	json_t *root = parse("{\"heartbeats\":[" FULL_HEARTBEAT ",{\"id\":\"hb_2\"}]}");
	struct heartbeat *hb;
	size_t n;
	ck_assert(heartbeat_list_read(root, &hb, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(hb[0].name, "backup");
	ck_assert_str_eq(hb[1].id, "hb_2");
	ck_assert_ptr_null(hb[1].name);
	free(hb);
	json_decref(root);
}
END_TEST

START_TEST(null_and_empty_lists_are_empty)
{
	const char *empty[] = { "{\"heartbeats\":null,\"pings\":null}",
				"{\"heartbeats\":[],\"pings\":[]}" };
	for (size_t i = 0; i < 2; i++) {
		json_t *root = parse(empty[i]);
		struct heartbeat *hb = (void *)1;
		struct ping_record *p = (void *)1;
		size_t n = 9, m = 9;
		ck_assert(heartbeat_list_read(root, &hb, &n));
		ck_assert(ping_list_read(root, &p, &m));
		ck_assert_ptr_null(hb);
		ck_assert_ptr_null(p);
		ck_assert_uint_eq(n, 0);
		ck_assert_uint_eq(m, 0);
		ck_assert(json_has_list(root, "heartbeats"));
		ck_assert(json_has_list(root, "pings"));
		json_decref(root);
	}
}
END_TEST

/* A reply that lacks its array is not an empty list: {} once was. */
START_TEST(an_absent_list_is_no_list)
{
	const char *lacking[] = { "{}", "{\"pings\":[]}", "{\"Heartbeats\":[]}" };
	for (size_t i = 0; i < 3; i++) {
		json_t *root = parse(lacking[i]);
		struct heartbeat *hb = (void *)1;
		size_t n = 9;
		ck_assert_msg(!heartbeat_list_read(root, &hb, &n), "%s", lacking[i]);
		ck_assert_ptr_null(hb);
		ck_assert_uint_eq(n, 0);
		ck_assert(!json_has_list(root, "heartbeats"));
		json_decref(root);
	}
	json_t *root = parse("{\"heartbeats\":[]}");
	struct ping_record *p;
	size_t m;
	ck_assert(!ping_list_read(root, &p, &m));
	ck_assert(!json_has_list(NULL, "pings"));
	json_decref(root);
	root = parse("{\"heartbeats\":5}");
	ck_assert(!json_has_list(root, "heartbeats"));
	json_decref(root);
}
END_TEST

START_TEST(lists_of_the_wrong_shape)
{
	const char *bad[] = { "{\"heartbeats\":{}}", "{\"heartbeats\":\"x\"}",
			      "{\"heartbeats\":[{\"id\":\"a\"},{\"name\":\"b\"}]}",
			      "{\"heartbeats\":[null]}", "[]" };
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *root = parse(bad[i]);
		struct heartbeat *hb;
		size_t n;
		ck_assert_msg(!heartbeat_list_read(root, &hb, &n), "%s", bad[i]);
		ck_assert_ptr_null(hb);
		json_decref(root);
	}
}
END_TEST

START_TEST(a_list_of_pings)
{
	json_t *root = parse("{\"pings\":[{\"id\":\"p2\",\"heartbeat_id\":\"hb\","
			     "\"pinged_at\":\"2025-01-01T00:00:02Z\"},"
			     "{\"id\":\"p1\",\"pinged_at\":null}]}");
	struct ping_record *p;
	size_t n;
	ck_assert(ping_list_read(root, &p, &n));
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(p[0].id, "p2");
	ck_assert_str_eq(p[0].heartbeat_id, "hb");
	ck_assert_str_eq(p[0].pinged_at, "2025-01-01T00:00:02Z");
	ck_assert_ptr_null(p[1].pinged_at);
	free(p);
	json_decref(root);
}
END_TEST

START_TEST(create_sends_every_field)
{
	char *body = create_body("nightly \"backup\"", 3600, 0);
	ck_assert_str_eq(body, "{\"name\":\"nightly \\\"backup\\\"\","
			       "\"interval_secs\":3600,\"grace_secs\":0}");
	free(body);
	body = create_body("été", 60, 86400);
	ck_assert_str_eq(body, "{\"name\":\"été\",\"interval_secs\":60,"
			       "\"grace_secs\":86400}");
	free(body);
}
END_TEST

START_TEST(update_sends_only_what_changes)
{
	char *body = update_body("n", -1, -1);
	ck_assert_str_eq(body, "{\"name\":\"n\"}");
	free(body);
	body = update_body(NULL, 120, -1);
	ck_assert_str_eq(body, "{\"interval_secs\":120}");
	free(body);
	body = update_body(NULL, -1, 0);
	ck_assert_str_eq(body, "{\"grace_secs\":0}");
	free(body);
	body = update_body("a", 60, 5);
	ck_assert_str_eq(body, "{\"name\":\"a\",\"interval_secs\":60,"
			       "\"grace_secs\":5}");
	free(body);
	body = status_body("paused");
	ck_assert_str_eq(body, "{\"status\":\"paused\"}");
	free(body);
}
END_TEST

START_TEST(a_name_that_is_not_utf8_makes_no_body)
{
	ck_assert_ptr_null(create_body("bad \xff name", 3600, 300));
	ck_assert_ptr_null(update_body("\xc3", -1, -1));
}
END_TEST

START_TEST(error_text_from_json_or_raw)
{
	char buf[64];
	const char *json = "{\"error\":\"heartbeat not found\"}";
	error_text(json, strlen(json), buf, sizeof buf);
	ck_assert_str_eq(buf, "heartbeat not found");
	const char *raw = "  <html>\r\n<b>Bad   Gateway</b>\n</html>\n";
	error_text(raw, strlen(raw), buf, sizeof buf);
	ck_assert_str_eq(buf, "<html> <b>Bad Gateway</b> </html>");
	/* no usable "error": its "message", as the SDKs read it */
	const char *message = "{\"message\":\"x\"}";
	error_text(message, strlen(message), buf, sizeof buf);
	ck_assert_str_eq(buf, "x");
	const char *both = "{\"message\":\"m\",\"error\":\"e\"}";
	error_text(both, strlen(both), buf, sizeof buf);
	ck_assert_str_eq(buf, "e");
	const char *blank = "{\"error\":\"\",\"message\":\"m\"}";
	error_text(blank, strlen(blank), buf, sizeof buf);
	ck_assert_str_eq(buf, "m");
	/* JSON with neither: the body as it is */
	const char *other = "{\"detail\":\"x\"}";
	error_text(other, strlen(other), buf, sizeof buf);
	ck_assert_str_eq(buf, "{\"detail\":\"x\"}");
	const char *empty_error = "{\"error\":\"\"}";
	error_text(empty_error, strlen(empty_error), buf, sizeof buf);
	ck_assert_str_eq(buf, "{\"error\":\"\"}");
	const char *lines = "{\"error\":\"two\\nlines\"}";
	error_text(lines, strlen(lines), buf, sizeof buf);
	ck_assert_str_eq(buf, "two lines");
	error_text("", 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	error_text(NULL, 0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(error_text_is_cut_to_fit)
{
	char buf[8];
	const char *raw = "abc defghijklmnop";
	error_text(raw, strlen(raw), buf, sizeof buf);
	ck_assert_str_eq(buf, "abc def");
	char one[1] = { 'x' };
	error_text(raw, strlen(raw), one, sizeof one);
	ck_assert_int_eq(one[0], '\0');
	/* a NUL inside the body is white space, not its end */
	error_text("a\0b", 3, buf, sizeof buf);
	ck_assert_str_eq(buf, "a b");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("heartbeat");
	TCase *read = tcase_create("read");
	tcase_add_test(read, a_whole_heartbeat);
	tcase_add_test(read, missing_and_mistyped_fields_are_absent);
	tcase_add_test(read, no_heartbeat_without_a_string_id);
	tcase_add_test(read, only_one_whole_document_is_json);
	tcase_add_test(read, a_list_of_heartbeats);
	tcase_add_test(read, null_and_empty_lists_are_empty);
	tcase_add_test(read, an_absent_list_is_no_list);
	tcase_add_test(read, lists_of_the_wrong_shape);
	tcase_add_test(read, a_list_of_pings);
	suite_add_tcase(s, read);
	TCase *write = tcase_create("write");
	tcase_add_test(write, create_sends_every_field);
	tcase_add_test(write, update_sends_only_what_changes);
	tcase_add_test(write, a_name_that_is_not_utf8_makes_no_body);
	suite_add_tcase(s, write);
	TCase *errors = tcase_create("errors");
	tcase_add_test(errors, error_text_from_json_or_raw);
	tcase_add_test(errors, error_text_is_cut_to_fit);
	suite_add_tcase(s, errors);
	return s;
}
