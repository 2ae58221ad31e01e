#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "unit.h"

START_TEST(loopback_hosts_as_written)
{
	const char *yes[] = { "127.0.0.1", "127.255.255.254", "127.1.2.3",
			      "localhost", "LocalHost", "[::1]", "::1" };
	const char *no[] = { "128.0.0.1", "126.255.255.255", "127.1",
			     "0x7f.0.0.1", "localhost.example", "[::2]",
			     "example.com", "", "127.0.0.1.nip.io", "0.0.0.0" };
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
		ck_assert_msg(host_is_loopback(yes[i]), "%s", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof *no; i++)
		ck_assert_msg(!host_is_loopback(no[i]), "%s", no[i]);
}
END_TEST

START_TEST(ping_url_from_api_url)
{
	char *u = url_for_ping("https://api.tickstem.dev/v1", NULL, "abc");
	ck_assert_str_eq(u, "https://api.tickstem.dev/v1/heartbeats/abc/ping");
	free(u);
	u = url_for_ping("https://h/v1//", NULL, "abc");
	ck_assert_str_eq(u, "https://h/v1/heartbeats/abc/ping");
	free(u);
}
END_TEST

START_TEST(token_is_escaped)
{
	char *u = url_for_ping("https://h/v1", NULL, "a/b c+d?e#f%");
	ck_assert_str_eq(u, "https://h/v1/heartbeats/a%2Fb%20c%2Bd%3Fe%23f%25/ping");
	free(u);
}
END_TEST

START_TEST(ping_url_template)
{
	char *u = url_for_ping("https://ignored", "https://p/{token}/x?t={token}",
			       "a b");
	ck_assert_str_eq(u, "https://p/a%20b/x?t=a%20b");
	free(u);
	u = url_for_ping("https://ignored", "https://p/fixed", NULL);
	ck_assert_str_eq(u, "https://p/fixed");
	free(u);
	ck_assert_ptr_null(url_for_ping("https://h", NULL, NULL));
	ck_assert_ptr_null(url_for_ping("https://h", "https://p/{token}", NULL));
	ck_assert(url_needs_token(NULL));
	ck_assert(url_needs_token("https://p/{token}"));
	ck_assert(!url_needs_token("https://p/fixed"));
}
END_TEST

START_TEST(schemes_and_plain_http)
{
	ck_assert_int_eq(url_check("https://example.com/x", false), URL_OK_HTTPS);
	ck_assert_int_eq(url_check("http://127.0.0.1:8080/x", false), URL_OK_HTTP);
	ck_assert_int_eq(url_check("http://localhost/x", false), URL_OK_HTTP);
	ck_assert_int_eq(url_check("http://[::1]:80/x", false), URL_OK_HTTP);
	ck_assert_int_eq(url_check("http://example.com/x", false),
			 URL_HTTP_REFUSED);
	ck_assert_int_eq(url_check("http://example.com/x", true), URL_OK_HTTP);
	ck_assert_int_eq(url_check("ftp://example.com/x", true), URL_BAD_SCHEME);
	ck_assert_int_eq(url_check("file:///etc/passwd", true), URL_BAD_SCHEME);
	ck_assert_int_eq(url_check("not a url", true), URL_MALFORMED);
}
END_TEST

START_TEST(origin_hides_the_path)
{
	char buf[128];
	url_origin("https://api.example/v1/heartbeats/SECRET/ping", buf, sizeof buf);
	ck_assert_str_eq(buf, "https://api.example:443");
	url_origin("http://user:pw@127.0.0.1:8080/SECRET?q=SECRET", buf, sizeof buf);
	ck_assert_str_eq(buf, "http://127.0.0.1:8080");
	url_origin("::", buf, sizeof buf);
	ck_assert_str_eq(buf, "(unparsable URL)");
}
END_TEST

START_TEST(join_never_doubles_the_slash)
{
	const char *const cases[][3] = {
		{ "https://h/v1", "/heartbeats", "https://h/v1/heartbeats" },
		{ "https://h/v1/", "/heartbeats", "https://h/v1/heartbeats" },
		{ "https://h/v1///", "/x/y", "https://h/v1/x/y" },
		{ "", "/x", "/x" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char *u = url_join(cases[i][0], cases[i][1]);
		ck_assert_str_eq(u, cases[i][2]);
		free(u);
	}
}
END_TEST

START_TEST(an_unusable_url_is_said_once)
{
	const char *const cases[][2] = {
		{ "not a url", "API URL is not a valid URL; nothing sent\n" },
		{ "ftp://127.0.0.1/v1", "API URL ftp://127.0.0.1:21 is neither "
		  "https nor http; nothing sent\n" },
		{ "http://example.com/v1", "refusing plain http to "
		  "http://example.com:80, which is not loopback (--allow-http "
		  "permits it); nothing sent\n" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		capture_begin();
		bool ok = url_usable(cases[i][0], false, "API URL",
				     "nothing sent", msg_error);
		const char *said = capture_end();
		ck_assert(!ok);
		ck_assert_msg(strstr(said, cases[i][1]) != NULL, "%s", said);
		const char *nl = strchr(said, '\n');
		ck_assert_msg(nl && nl[1] == '\0', "one line: %s", said);
	}
	capture_begin();
	ck_assert(url_usable("https://h/v1", false, "API URL", "x", msg_error));
	ck_assert(url_usable("http://127.0.0.1:9/v1", false, "API URL", "x",
			     msg_error));
	ck_assert(url_usable("http://example.com/v1", true, "API URL", "x",
			     msg_error));
	ck_assert_str_eq(capture_end(), "");
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("url");
	TCase *tc = tcase_create("url");
	tcase_add_test(tc, loopback_hosts_as_written);
	tcase_add_test(tc, ping_url_from_api_url);
	tcase_add_test(tc, token_is_escaped);
	tcase_add_test(tc, ping_url_template);
	tcase_add_test(tc, schemes_and_plain_http);
	tcase_add_test(tc, origin_hides_the_path);
	tcase_add_test(tc, join_never_doubles_the_slash);
	tcase_add_test(tc, an_unusable_url_is_said_once);
	suite_add_tcase(s, tc);
	return s;
}
