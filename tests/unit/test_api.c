/* The one reading of a reply (api.c): which kind of result it is, and what
 * the result keeps of it.  No network: replies are made up here. */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "unit.h"

#define TRANSFER_OK 0     /* CURLE_OK */
#define TRANSFER_FAILED 7 /* any other CURLcode: here, could not connect */

START_TEST(every_2xx_is_done)
{
	for (long s = 200; s <= 299; s++)
		ck_assert_int_eq(api_kind_of(TRANSFER_OK, s), API_DONE);
}
END_TEST

START_TEST(statuses_that_have_a_meaning_of_their_own)
{
	ck_assert_int_eq(api_kind_of(TRANSFER_OK, 401), API_UNAUTHORIZED);
	ck_assert_int_eq(api_kind_of(TRANSFER_OK, 402), API_QUOTA);
	ck_assert_int_eq(api_kind_of(TRANSFER_OK, 404), API_NOT_FOUND);
	const long others[] = { 100, 199, 300, 304, 400, 403, 405, 409, 410,
				422, 429, 500, 503, 599 };
	for (size_t i = 0; i < sizeof others / sizeof *others; i++)
		ck_assert_int_eq(api_kind_of(TRANSFER_OK, others[i]),
				 API_REJECTED);
}
END_TEST

START_TEST(no_reply_is_a_failure_whatever_the_status)
{
	ck_assert_int_eq(api_kind_of(TRANSFER_FAILED, 0), API_FAILED);
	/* a status line came, then the transfer broke: not a success */
	ck_assert_int_eq(api_kind_of(TRANSFER_FAILED, 200), API_FAILED);
	ck_assert_int_eq(api_kind_of(TRANSFER_FAILED, 404), API_FAILED);
	ck_assert_int_eq(api_kind_of(TRANSFER_OK, 0), API_FAILED);
}
END_TEST

static struct http_reply reply_with(int code, long status, const char *body)
{
	struct http_reply r = { .curl_code = code, .status = status };
	if (body) {
		r.body = strdup(body);
		r.body_len = strlen(body);
	}
	return r;
}

START_TEST(the_body_moves_into_the_result)
{
	struct call_result res = { .outcome = OUTCOME_REJECTED, .attempts = 1 };
	struct http_reply reply = reply_with(TRANSFER_OK, 404,
					     "{\"error\":\"gone\"}");
	struct api_result r;
	api_result_from(&res, &reply, &r);
	ck_assert_int_eq(r.kind, API_NOT_FOUND);
	ck_assert_int_eq(r.status, 404);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_str_eq(r.body, "{\"error\":\"gone\"}");
	ck_assert_uint_eq(r.body_len, 16);
	ck_assert_ptr_null(reply.body);
	ck_assert_uint_eq(reply.body_len, 0);
	http_reply_free(&reply);
	api_result_free(&r);
	ck_assert_ptr_null(r.body);
}
END_TEST

START_TEST(a_failure_keeps_the_words_and_why_it_stopped)
{
	struct call_result res = { .outcome = OUTCOME_TRANSIENT, .attempts = 3,
				   .stopped_by = "deadline reached" };
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	strcpy(reply.error, "Couldn't connect to server");
	struct api_result r;
	api_result_from(&res, &reply, &r);
	ck_assert_int_eq(r.kind, API_FAILED);
	ck_assert_int_eq(r.status, 0);
	ck_assert_int_eq(r.attempts, 3);
	ck_assert_str_eq(r.stopped_by, "deadline reached");
	ck_assert_str_eq(r.error, "Couldn't connect to server");
	api_result_free(&r);
}
END_TEST

START_TEST(tls_and_cancelled_are_said)
{
	struct call_result tls = { .outcome = OUTCOME_TLS, .attempts = 1 };
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	strcpy(reply.error, "certificate verify failed");
	struct api_result r;
	api_result_from(&tls, &reply, &r);
	ck_assert_int_eq(r.kind, API_FAILED);
	ck_assert_str_eq(r.error, "TLS: certificate verify failed");
	api_result_free(&r);

	/* A stop signal during the wait after a 503: not "HTTP 503". */
	struct call_result stop = { .outcome = OUTCOME_CANCELLED, .attempts = 1 };
	reply = reply_with(TRANSFER_OK, 503, NULL);
	api_result_from(&stop, &reply, &r);
	ck_assert_int_eq(r.kind, API_FAILED);
	ck_assert_int_eq(r.status, 0);
	ck_assert_str_eq(r.error, "asked to stop");
	api_result_free(&r);
}
END_TEST

START_TEST(a_failure_without_words_still_says_something)
{
	struct call_result res = { .outcome = OUTCOME_FAILED, .attempts = 1 };
	struct http_reply reply = reply_with(TRANSFER_FAILED, 0, NULL);
	struct api_result r;
	api_result_from(&res, &reply, &r);
	ck_assert_str_eq(r.error, "no HTTP reply");
	api_result_free(&r);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("api");
	TCase *kinds = tcase_create("kinds");
	tcase_add_test(kinds, every_2xx_is_done);
	tcase_add_test(kinds, statuses_that_have_a_meaning_of_their_own);
	tcase_add_test(kinds, no_reply_is_a_failure_whatever_the_status);
	suite_add_tcase(s, kinds);
	TCase *results = tcase_create("results");
	tcase_add_test(results, the_body_moves_into_the_result);
	tcase_add_test(results, a_failure_keeps_the_words_and_why_it_stopped);
	tcase_add_test(results, tls_and_cancelled_are_said);
	tcase_add_test(results, a_failure_without_words_still_says_something);
	suite_add_tcase(s, results);
	return s;
}
