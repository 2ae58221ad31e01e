#include <string.h>

#include "msg.h"
#include "unit.h"

START_TEST(redaction_shows_four_characters_at_most)
{
	char buf[32];
	token_redact("8f1c2d3e4f5a", buf, sizeof buf);
	ck_assert_str_eq(buf, "8f1c...");
	token_redact("abcde", buf, sizeof buf);
	ck_assert_str_eq(buf, "abcd...");
	token_redact("abcd", buf, sizeof buf); /* would be the whole token */
	ck_assert_str_eq(buf, "...");
	token_redact("", buf, sizeof buf);
	ck_assert_str_eq(buf, "...");
	token_redact("abcdefgh", buf, 4);
	ck_assert_str_eq(buf, "abc");
}
END_TEST

START_TEST(lines_carry_the_prefix)
{
	capture_begin();
	msg_error("cannot run '%s': %s", "x", "No such file or directory");
	msg_warn("one %d", 1);
	ck_assert_str_eq(capture_end(),
			 "hbrun: cannot run 'x': No such file or directory\n"
			 "hbrun: one 1\n");
}
END_TEST

START_TEST(control_characters_cannot_break_the_line)
{
	capture_begin();
	msg_warn("a\nb\rc\033d");
	ck_assert_str_eq(capture_end(), "hbrun: a?b?c?d\n");
}
END_TEST

START_TEST(held_messages_wait_for_the_settings)
{
	capture_begin();
	msg_hold();
	msg_warn("config says something");
	msg_verbose("not shown");
	msg_error("errors are never held");
	msg_release(false, false);
	msg_verbose("not verbose");
	ck_assert_str_eq(capture_end(),
			 "hbrun: errors are never held\n"
			 "hbrun: config says something\n");
}
END_TEST

START_TEST(quiet_silences_monitoring_but_not_errors)
{
	capture_begin();
	msg_hold();
	msg_warn("held");
	msg_release(true, true);
	msg_warn("after");
	msg_verbose("verbose");
	msg_error("did not run");
	ck_assert_str_eq(capture_end(), "hbrun: did not run\n");
}
END_TEST

START_TEST(verbose_lines)
{
	capture_begin();
	msg_release(false, true);
	msg_verbose("attempt %d", 1);
	ck_assert_str_eq(capture_end(), "hbrun: attempt 1\n");
}
END_TEST

START_TEST(long_lines_are_cut_and_still_end_in_newline)
{
	char big[3000];
	memset(big, 'y', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	capture_begin();
	msg_warn("%s", big);
	const char *out = capture_end();
	size_t len = strlen(out);
	ck_assert(len > 100 && len < sizeof big);
	ck_assert_int_eq(out[len - 1], '\n');
	ck_assert_ptr_eq(strchr(out, '\n'), out + len - 1);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("msg");
	TCase *tc = tcase_create("messages");
	tcase_add_test(tc, redaction_shows_four_characters_at_most);
	tcase_add_test(tc, lines_carry_the_prefix);
	tcase_add_test(tc, control_characters_cannot_break_the_line);
	tcase_add_test(tc, held_messages_wait_for_the_settings);
	tcase_add_test(tc, quiet_silences_monitoring_but_not_errors);
	tcase_add_test(tc, verbose_lines);
	tcase_add_test(tc, long_lines_are_cut_and_still_end_in_newline);
	suite_add_tcase(s, tc);
	return s;
}
