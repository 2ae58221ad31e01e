/* The pure parts of the sentry, cronitor and healthchecks slug presets,
 * header lines, and the OOM kill count: tables of cases. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "oom.h"
#include "sentry.h"
#include "service.h"
#include "settings.h"
#include "unit.h"

START_TEST(dsns)
{
	static const struct { const char *text, *base, *key, *project; } ok[] = {
		{ "https://abc@o1.ingest.sentry.io/42", "https://o1.ingest.sentry.io",
		  "abc", "42" },
		{ "http://k@127.0.0.1:9000/42/", "http://127.0.0.1:9000", "k", "42" },
		{ "https://k:legacy@h/sub/path/7", "https://h/sub/path", "k", "7" },
		{ "https://k@[::1]:8/9", "https://[::1]:8", "k", "9" },
	};
	static const char *const bad[] = {
		"", "abc", "https://h/42", "https://@h/42", "https://k@/42",
		"https://k@h", "https://k@h/", "https://k@h//", "://k@h/1",
		"https://k@h/42?x=1", "https://k@h/42#f", "https://k @h/42",
		"https://k@h/4\n2", "https://..@h/42", "https://k@h/..",
		"https://k@h/.", "https://k@x@h/42", "https://k@h\\x/42",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
		struct dsn d;
		ck_assert_msg(dsn_parse(ok[i].text, &d), "%s", ok[i].text);
		ck_assert_str_eq(d.base, ok[i].base);
		ck_assert_str_eq(d.key, ok[i].key);
		ck_assert_str_eq(d.project, ok[i].project);
		dsn_free(&d);
	}
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		struct dsn d;
		ck_assert_msg(!dsn_parse(bad[i], &d), "%s", bad[i]);
		ck_assert_ptr_null(d.key);
	}
}
END_TEST

START_TEST(header_lines)
{
	static const char *const ok[] = {
		"X-Auth: Bearer abc", "X-A:1", "x!#$%&'*+-.^_`|~: v", "A: a\tb",
		"Host: other", "Authorization: Basic Zm9vOmJhcg==", "X: \xc3\xa9",
	};
	static const char *const bad[] = {
		"", "NoColon", "Bad Name: v", ": v", "X(A): v", "X-A:", "X-A:  \t",
		"X-A: a\r\nX-B: b", "X-A: a\nb", "X-A: a\x01", "X-A: \x7f",
		"Content-Length: 3", "content-length: 3", "Transfer-Encoding: x",
		"Content-Type: text/html", " X-A: v", "X-A : v",
	};
	for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
		ck_assert_msg(header_usable(ok[i]), "%s", ok[i]);
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ck_assert_msg(!header_usable(bad[i]), "%s", bad[i]);
}
END_TEST

START_TEST(header_levels)
{
	struct layer l;
	layer_init(&l);
	ck_assert_int_eq(layer_set(&l, "header", "X-A: 1"), SET_OK);
	ck_assert_int_eq(layer_set(&l, "header", "X-B: 2"), SET_OK);
	ck_assert_str_eq(l.v[S_HEADER].text, "X-A: 1\nX-B: 2");
	ck_assert_int_eq(layer_set(&l, "header", "broken"), SET_BAD_HEADER);
	ck_assert_int_eq(l.v[S_HEADER].state, VALUE_UNUSABLE);
	/* a good line after a bad one does not make the level usable */
	ck_assert_int_eq(layer_set(&l, "header", "X-C: 3"), SET_OK);
	ck_assert_int_eq(l.v[S_HEADER].state, VALUE_UNUSABLE);
	layer_free(&l);
	ck_assert_int_eq(layer_set(&l, "header", ""), SET_UNUSABLE);
	layer_free(&l);
}
END_TEST

START_TEST(sentry_bodies)
{
	struct sentry_monitor cron = { "30 2 * * *", 0, "Europe/Berlin", 6, 42 };
	char *b = sentry_checkin_body("in_progress", "0b6e-x", &cron);
	ck_assert_str_eq(b, "{\"status\":\"in_progress\",\"check_in_id\":\"0b6e-x\","
			 "\"monitor_config\":{\"schedule\":{\"type\":\"crontab\","
			 "\"value\":\"30 2 * * *\"},\"checkin_margin\":6,"
			 "\"max_runtime\":42,\"timezone\":\"Europe/Berlin\"}}");
	free(b);
	static const struct { long long secs; const char *schedule; } gaps[] = {
		{ 604800, "{\"type\":\"interval\",\"value\":1,\"unit\":\"week\"}" },
		{ 1461 * 86400LL, "{\"type\":\"interval\",\"value\":1461,\"unit\":\"day\"}" },
		{ 7200, "{\"type\":\"interval\",\"value\":2,\"unit\":\"hour\"}" },
		{ 900, "{\"type\":\"interval\",\"value\":15,\"unit\":\"minute\"}" },
		{ 901, "{\"type\":\"interval\",\"value\":16,\"unit\":\"minute\"}" },
		{ 30, "{\"type\":\"interval\",\"value\":1,\"unit\":\"minute\"}" },
	};
	for (size_t i = 0; i < sizeof gaps / sizeof *gaps; i++) {
		struct sentry_monitor m = { NULL, gaps[i].secs, NULL, 5, 0 };
		char want[256];
		snprintf(want, sizeof want, "{\"status\":\"in_progress\",\"check_in_id\":"
			 "\"i\",\"monitor_config\":{\"schedule\":%s,"
			 "\"checkin_margin\":5}}", gaps[i].schedule);
		b = sentry_checkin_body("in_progress", "i", &m);
		ck_assert_str_eq(b, want);
		free(b);
	}
	struct sentry_monitor odd = { "\"\\\x01", 0, NULL, 0, 0 };
	b = sentry_checkin_body("in_progress", "i", &odd);
	ck_assert_ptr_nonnull(strstr(b, "\"value\":\"\\\"\\\\\\u0001\""));
	free(b);
}
END_TEST

START_TEST(sentry_numbers)
{
	ck_assert_int_eq(sentry_minutes(0), 1);
	ck_assert_int_eq(sentry_minutes(60), 1);
	ck_assert_int_eq(sentry_minutes(61), 2);
	ck_assert_int_eq(sentry_minutes(300), 5);
	ck_assert_int_eq(sentry_minutes(2678400 + 70), SENTRY_MINUTES_MAX);
	ck_assert_str_eq(sentry_crontab("@daily"), "0 0 * * *");
	ck_assert_str_eq(sentry_crontab("@Hourly"), "0 * * * *");
	ck_assert_str_eq(sentry_crontab("@weekly"), "0 0 * * 0");
	ck_assert_str_eq(sentry_crontab("*/5 * * * 1-5"), "*/5 * * * 1-5");
	ck_assert_ptr_null(sentry_crontab("@reboot"));
}
END_TEST

START_TEST(oom_counts)
{
	long long n = -1;
	ck_assert(oom_kill_parse("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", &n));
	ck_assert_int_eq(n, 3);
	ck_assert(oom_kill_parse("low 0\nhigh 0\nmax 9\noom 2\noom_kill 2\n"
				 "oom_group_kill 0\n", &n));
	ck_assert_int_eq(n, 2);
	ck_assert(!oom_kill_parse("oom_kill_disable 0\nunder_oom 0\n", &n));
	ck_assert(!oom_kill_parse("oom_kill x\n", &n));
	ck_assert(!oom_kill_parse("", &n));
	char path[256];
	const char *hybrid = "9:name=systemd:/\n4:memory:/a/b\n1:cpu,cpuacct:/\n0::/u\n";
	ck_assert(oom_events_path(hybrid, "/R", path, sizeof path));
	ck_assert_str_eq(path, "/R/memory/a/b/memory.oom_control");
	ck_assert(oom_events_path("0::/system.slice/cron.service\n", "/R", path,
				  sizeof path));
	ck_assert_str_eq(path, "/R/system.slice/cron.service/memory.events");
	ck_assert(oom_events_path("0::/\n", "/R", path, sizeof path));
	ck_assert_str_eq(path, "/R//memory.events");
	ck_assert(oom_events_path("3:cpu,memory:/x\n", "/R", path, sizeof path));
	ck_assert_str_eq(path, "/R/memory/x/memory.oom_control");
	ck_assert(!oom_events_path("3:memoryx:/x\n1:cpu:/\n", "/R", path, sizeof path));
	ck_assert(!oom_events_path("", "/R", path, sizeof path));
}
END_TEST

static void slug(const char *token, bool monitor, enum event e, const char *want)
{
	const char *why;
	char *t = service_template_for(service_find("healthchecks"), "https://h",
				       e, token, monitor, &why);
	if (!want) {
		ck_assert_msg(t == NULL && why != NULL, "%s", token);
		return;
	}
	ck_assert_msg(t != NULL, "%s", token);
	ck_assert_str_eq(t, want);
	free(t);
}

START_TEST(healthchecks_slugs)
{
	slug("PK/a-b", false, EVENT_START, "https://h/PK/a-b/start?rid={run_id}");
	slug("P K/a{b", false, EVENT_FAIL,
	     "https://h/P%20K/a%7Bb/{exit_status}?rid={run_id}");
	slug("uuid", true, EVENT_SUCCESS, "https://h/{token}/{monitor}?create=1&rid={run_id}");
	slug("uuid", false, EVENT_SUCCESS, "https://h/{token}?rid={run_id}");
	slug("PK/a", true, EVENT_SUCCESS, NULL);
	slug("PK/a/b", false, EVENT_SUCCESS, NULL);
	slug("/a", false, EVENT_SUCCESS, NULL);
	slug("PK/..", false, EVENT_SUCCESS, NULL);
}
END_TEST

START_TEST(sentry_templates)
{
	const char *why;
	const struct service *svc = service_find("sentry");
	char *t = service_template_for(svc, NULL, EVENT_SUCCESS,
				       "https://k{1@h:9/p/42", false, &why);
	ck_assert_str_eq(t, "https://h:9/p/api/42/cron/{monitor}/k%7B1/?status=ok"
			 "&check_in_id={run_id}&duration={duration_s}");
	free(t);
	t = service_template_for(svc, "http://127.0.0.1:5/relay/", EVENT_START,
				 "https://k@h/42", false, &why);
	ck_assert_str_eq(t, "http://127.0.0.1:5/relay/api/42/cron/{monitor}/k/"
			 "?status=in_progress&check_in_id={run_id}");
	free(t);
	ck_assert_ptr_null(service_template_for(svc, NULL, EVENT_FAIL, "not-a-dsn",
						false, &why));
	ck_assert_ptr_nonnull(why);
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("vendors");
	TCase *t = tcase_create("vendors");
	tcase_add_test(t, dsns);
	tcase_add_test(t, header_lines);
	tcase_add_test(t, header_levels);
	tcase_add_test(t, sentry_bodies);
	tcase_add_test(t, sentry_numbers);
	tcase_add_test(t, oom_counts);
	tcase_add_test(t, healthchecks_slugs);
	tcase_add_test(t, sentry_templates);
	suite_add_tcase(s, t);
	return s;
}
