/* What a call came to (call.c): the last reply read once into a result,
 * and what the result keeps of it.  No network: replies are made up here.
 * What hbctl makes of a result is test_hbctl_cli.c's. */
#include <stdlib.h>
#include <string.h>

#include "call.h"
#include "unit.h"

#define TRANSFER_OK 0     /* CURLE_OK */
#define TRANSFER_FAILED 7 /* any other CURLcode: here, could not connect */

static struct http_reply reply_with(int code, long status, const char *body)
{
	struct http_reply r = { .curl_code = code, .status = status };
	if (body) {
		r.body = strdup(body);
		r.body_len = strlen(body);
	}
	return r;
}

static struct call_result result_of(enum outcome o, int attempts,
				    const char *stopped_by)
{
	struct call_result r = { .outcome = o, .attempts = attempts,
				 .stopped_by = stopped_by };
	return r;
}

START_TEST(the_body_moves_into_the_result)
{
	struct call_result r = result_of(OUTCOME_REJECTED, 1, NULL);
	struct http_reply reply = reply_with(TRANSFER_OK, 404,
					     "{\"error\":\"gone\"}");
	call_result_take(&r, &reply);
	ck_assert_int_eq(r.outcome, OUTCOME_REJECTED);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_str_eq(r.body, "{\"error\":\"gone\"}");
	ck_assert_uint_eq(r.body_len, 16);
	ck_assert(!r.body_cut);
	ck_assert_ptr_null(reply.body);
	ck_assert_uint_eq(reply.body_len, 0);
	http_reply_free(&reply);
	call_result_free(&r);
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(a_cut_body_is_marked)
{
	struct call_result r = result_of(OUTCOME_SUCCESS, 1, NULL);
	struct http_reply reply = reply_with(TRANSFER_OK, 200, "{\"heart");
	reply.body_cut = true;
	call_result_take(&r, &reply);
	ck_assert(r.body_cut);
	ck_assert_int_eq(r.status, 200);
	call_result_free(&r);
}
END_TEST

START_TEST(a_failure_keeps_the_words_and_why_it_stopped)
{
	struct call_result r = result_of(OUTCOME_TRANSIENT, 3,
					 "deadline reached");
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	strcpy(reply.error, "Couldn't connect to server");
	call_result_take(&r, &reply);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.attempts, 3);
	ck_assert_str_eq(r.stopped_by, "deadline reached");
	ck_assert_str_eq(r.error, "Couldn't connect to server");
	call_result_free(&r);
}
END_TEST

START_TEST(tls_and_cancelled_are_said)
{
	struct call_result r = result_of(OUTCOME_TLS, 1, NULL);
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	strcpy(reply.error, "certificate verify failed");
	call_result_take(&r, &reply);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.error, "TLS: certificate verify failed");
	call_result_free(&r);

	/* A stop signal during the wait after a 503: not "HTTP 503". */
	r = result_of(OUTCOME_CANCELLED, 1, NULL);
	reply = reply_with(TRANSFER_OK, 503, NULL);
	call_result_take(&r, &reply);
	ck_assert_int_eq(r.outcome, OUTCOME_CANCELLED);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.error, "asked to stop");
	call_result_free(&r);
}
END_TEST

START_TEST(a_failure_without_words_still_says_something)
{
	struct call_result r = result_of(OUTCOME_FAILED, 1, NULL);
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	call_result_take(&r, &reply);
	ck_assert_str_eq(r.error, "no HTTP reply");
	call_result_free(&r);
}
END_TEST

/* A status line came, then the transfer broke: that is no reply. */
START_TEST(a_status_counts_only_with_a_whole_reply)
{
	const long statuses[] = { 200, 404 };
	for (size_t i = 0; i < 2; i++) {
		struct call_result r = result_of(
			outcome_classify(TRANSFER_FAILED, statuses[i]), 1, NULL);
		struct http_reply reply = reply_with(TRANSFER_FAILED,
						     statuses[i], NULL);
		call_result_take(&r, &reply);
		ck_assert_int_ne(r.outcome, OUTCOME_SUCCESS);
		ck_assert_int_eq(r.status, 0);
		call_result_free(&r);
	}
}
END_TEST

START_TEST(a_call_not_sent)
{
	struct call_result r;
	call_not_sent(&r, "no token");
	ck_assert_int_eq(r.outcome, OUTCOME_FAILED);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.attempts, 0);
	ck_assert_str_eq(r.error, "no token");
	ck_assert_ptr_null(r.body);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("call");
	TCase *results = tcase_create("results");
	tcase_add_test(results, the_body_moves_into_the_result);
	tcase_add_test(results, a_cut_body_is_marked);
	tcase_add_test(results, a_failure_keeps_the_words_and_why_it_stopped);
	tcase_add_test(results, tls_and_cancelled_are_said);
	tcase_add_test(results, a_failure_without_words_still_says_something);
	tcase_add_test(results, a_status_counts_only_with_a_whole_reply);
	tcase_add_test(results, a_call_not_sent);
	suite_add_tcase(s, results);
	return s;
}
