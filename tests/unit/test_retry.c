#include <curl/curl.h>
#include <math.h>

#include "retry.h"
#include "unit.h"

START_TEST(ceiling_doubles_from_one_to_the_cap)
{
	const double expected[] = { 1, 2, 4, 8, 16, 16, 16 };
	for (int i = 0; i < 7; i++)
		ck_assert_double_eq(backoff_ceiling(i + 1), expected[i]);
	ck_assert_double_eq(backoff_ceiling(1000000), BACKOFF_CAP);
	ck_assert_double_eq(backoff_ceiling(0), 1.0);
}
END_TEST

START_TEST(jitter_spans_zero_to_the_ceiling)
{
	for (int attempt = 1; attempt <= 8; attempt++) {
		double top = backoff_ceiling(attempt);
		ck_assert_double_eq(backoff_jittered(attempt, 0.0), 0.0);
		ck_assert_double_eq(backoff_jittered(attempt, 0.5), top / 2);
		double high = backoff_jittered(attempt, 0.999999);
		ck_assert(high < top && high > top * 0.99);
	}
}
END_TEST

START_TEST(jitter_rejects_a_unit_outside_zero_one)
{
	ck_assert_double_eq(backoff_jittered(3, -0.5), 0.0);
	ck_assert_double_eq(backoff_jittered(3, 1.0), 0.0);
	ck_assert_double_eq(backoff_jittered(3, NAN), 0.0);
}
END_TEST

START_TEST(transfer_errors_that_are_retried)
{
	const int transient[] = {
		CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY,
		CURLE_COULDNT_CONNECT, CURLE_OPERATION_TIMEDOUT,
		CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING,
		CURLE_PARTIAL_FILE, CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2,
		CURLE_HTTP2_STREAM,
	};
	for (size_t i = 0; i < sizeof transient / sizeof *transient; i++)
		ck_assert_int_eq(outcome_classify(transient[i], 0),
				 OUTCOME_TRANSIENT);
}
END_TEST

START_TEST(tls_verification_failures_are_final)
{
	ck_assert_int_eq(outcome_classify(CURLE_PEER_FAILED_VERIFICATION, 0),
			 OUTCOME_TLS);
	ck_assert_int_eq(outcome_classify(CURLE_SSL_CACERT_BADFILE, 0),
			 OUTCOME_TLS);
	ck_assert_int_eq(outcome_classify(CURLE_SSL_CERTPROBLEM, 0),
			 OUTCOME_TLS);
}
END_TEST

START_TEST(other_transfer_errors_are_final)
{
	ck_assert_int_eq(outcome_classify(CURLE_URL_MALFORMAT, 0), OUTCOME_FAILED);
	ck_assert_int_eq(outcome_classify(CURLE_UNSUPPORTED_PROTOCOL, 0),
			 OUTCOME_FAILED);
	ck_assert_int_eq(outcome_classify(CURLE_WEIRD_SERVER_REPLY, 0),
			 OUTCOME_FAILED);
	ck_assert_int_eq(outcome_classify(CURLE_ABORTED_BY_CALLBACK, 0),
			 OUTCOME_CANCELLED);
}
END_TEST

/* A create is retried only after these: it cannot have made a heartbeat. */
START_TEST(failures_that_cannot_have_reached_the_server)
{
	ck_assert(outcome_never_sent(CURLE_COULDNT_RESOLVE_HOST));
	ck_assert(outcome_never_sent(CURLE_COULDNT_RESOLVE_PROXY));
	ck_assert(outcome_never_sent(CURLE_COULDNT_CONNECT));
	const int maybe_sent[] = {
		CURLE_OK, CURLE_OPERATION_TIMEDOUT, CURLE_SEND_ERROR,
		CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_PARTIAL_FILE,
		CURLE_SSL_CONNECT_ERROR, CURLE_HTTP2, CURLE_HTTP2_STREAM,
		CURLE_ABORTED_BY_CALLBACK, CURLE_WEIRD_SERVER_REPLY,
	};
	for (size_t i = 0; i < sizeof maybe_sent / sizeof *maybe_sent; i++)
		ck_assert_msg(!outcome_never_sent(maybe_sent[i]), "code %d",
			      maybe_sent[i]);
}
END_TEST

START_TEST(every_2xx_is_success)
{
	for (long s = 200; s <= 299; s++)
		ck_assert_int_eq(outcome_classify(CURLE_OK, s), OUTCOME_SUCCESS);
}
END_TEST

START_TEST(statuses_retried_and_not)
{
	for (long s = 100; s <= 599; s++) {
		enum outcome o = outcome_classify(CURLE_OK, s);
		if (s >= 200 && s <= 299)
			continue;
		bool retried = s == 408 || s == 429 || s == 500 || s == 502 ||
			       s == 503 || s == 504;
		ck_assert_msg(o == (retried ? OUTCOME_TRANSIENT : OUTCOME_REJECTED),
			      "status %ld classified %d", s, o);
	}
}
END_TEST

START_TEST(no_attempt_with_less_than_a_second_left)
{
	ck_assert(retry_next_step(0.99, 0.1, 0).stop);
	ck_assert(retry_next_step(0.0, 0.0, 0).stop);
	ck_assert(retry_next_step(-3.0, 0.0, 0).stop);
	ck_assert(!retry_next_step(1.0, 0.5, 0).stop);
}
END_TEST

START_TEST(backoff_is_shortened_to_leave_a_second)
{
	struct next_step s = retry_next_step(10.0, 2.5, 0);
	ck_assert(!s.stop);
	ck_assert_double_eq(s.wait, 2.5);
	s = retry_next_step(3.0, 8.0, 0);
	ck_assert(!s.stop);
	ck_assert_double_eq(s.wait, 2.0);
	s = retry_next_step(1.0, 8.0, 0);
	ck_assert_double_eq(s.wait, 0.0);
}
END_TEST

/* The Retry-After header itself is parsed by libcurl (seconds or HTTP-date,
 * CURLINFO_RETRY_AFTER); these cases cover what hbrun makes of its value. */
START_TEST(retry_after_is_honoured_when_it_leaves_a_second)
{
	struct next_step s = retry_next_step(10.0, 0.2, 3);
	ck_assert(!s.stop);
	ck_assert_double_eq(s.wait, 3.0);
	s = retry_next_step(5.0, 0.2, 4); /* exactly 1 s left after it */
	ck_assert(!s.stop);
	ck_assert_double_eq(s.wait, 4.0);
}
END_TEST

START_TEST(retry_after_past_the_deadline_stops_at_once)
{
	ck_assert(retry_next_step(5.0, 0.2, 5).stop);
	ck_assert(retry_next_step(60.0, 0.2, 3600).stop);
}
END_TEST

START_TEST(retry_after_zero_or_past_means_normal_backoff)
{
	struct next_step s = retry_next_step(10.0, 0.7, 0);
	ck_assert_double_eq(s.wait, 0.7);
	s = retry_next_step(10.0, 0.7, -86400); /* an HTTP-date in the past */
	ck_assert(!s.stop);
	ck_assert_double_eq(s.wait, 0.7);
}
END_TEST

START_TEST(attempt_limit_is_the_smaller)
{
	ck_assert_double_eq(attempt_time_limit(10.0, 60.0), 10.0);
	ck_assert_double_eq(attempt_time_limit(10.0, 2.5), 2.5);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("retry");
	TCase *schedule = tcase_create("schedule");
	tcase_add_test(schedule, ceiling_doubles_from_one_to_the_cap);
	tcase_add_test(schedule, jitter_spans_zero_to_the_ceiling);
	tcase_add_test(schedule, jitter_rejects_a_unit_outside_zero_one);
	suite_add_tcase(s, schedule);
	TCase *classify = tcase_create("classification");
	tcase_add_test(classify, transfer_errors_that_are_retried);
	tcase_add_test(classify, tls_verification_failures_are_final);
	tcase_add_test(classify, other_transfer_errors_are_final);
	tcase_add_test(classify, failures_that_cannot_have_reached_the_server);
	tcase_add_test(classify, every_2xx_is_success);
	tcase_add_test(classify, statuses_retried_and_not);
	suite_add_tcase(s, classify);
	TCase *deadline = tcase_create("deadline");
	tcase_add_test(deadline, no_attempt_with_less_than_a_second_left);
	tcase_add_test(deadline, backoff_is_shortened_to_leave_a_second);
	tcase_add_test(deadline, retry_after_is_honoured_when_it_leaves_a_second);
	tcase_add_test(deadline, retry_after_past_the_deadline_stops_at_once);
	tcase_add_test(deadline, retry_after_zero_or_past_means_normal_backoff);
	tcase_add_test(deadline, attempt_limit_is_the_smaller);
	suite_add_tcase(s, deadline);
	return s;
}
