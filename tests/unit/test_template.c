#include <stdlib.h>
#include <string.h>

#include "events.h"
#include "notify.h"
#include "settings.h"
#include "service.h"
#include "template.h"
#include "unit.h"

static struct template_values values(void)
{
	struct template_values v = { { [FIELD_TOKEN] = "a/b c",
		[FIELD_RUN_ID] = "0b6e5c5e-8f6e-4c1a-9a55-3b7e2f0e9d11",
		[FIELD_EXIT_STATUS] = "143", [FIELD_DURATION_MS] = "1500",
		[FIELD_MESSAGE] = "stopped by signal 15 (TERM)" } };
	return v;
}

static void fills(const char *template, const char *want)
{
	struct template_values v = values();
	char *got = template_fill(template, &v);
	ck_assert_msg(got != NULL, "%s", template);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(every_field_is_filled_escaped)
{
	fills("https://h/{token}", "https://h/a%2Fb%20c");
	fills("https://h/x?rid={run_id}",
	      "https://h/x?rid=0b6e5c5e-8f6e-4c1a-9a55-3b7e2f0e9d11");
	fills("https://h/{exit_status}/{duration_ms}", "https://h/143/1500");
	fills("https://h/?m={message}",
	      "https://h/?m=stopped%20by%20signal%2015%20%28TERM%29");
	fills("https://{token}.h/", "https://a%2Fb%20c.h/");
	fills("https://h/{token}{token}", "https://h/a%2Fb%20ca%2Fb%20c");
}
END_TEST

START_TEST(doubled_brace_is_a_literal_one)
{
	fills("https://h/{{token}", "https://h/{token}");
	fills("https://h/{{{token}", "https://h/{a%2Fb%20c");
	fills("https://h/}", "https://h/}");
	fills("", "");
}
END_TEST

START_TEST(an_unknown_field_makes_it_unusable)
{
	const char *bad[] = { "https://h/{tokn}", "https://h/{", "https://h/{token",
			      "https://h/{Token}", "https://h/{ token}",
			      "https://h/{base}/x", "{exit_status}{x}" };
	struct template_values v = values();
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		const char *at = NULL;
		ck_assert_msg(!template_valid(bad[i], &at), "%s", bad[i]);
		ck_assert_ptr_nonnull(at);
		ck_assert_int_eq(*at, '{');
		ck_assert_ptr_null(template_fill(bad[i], &v));
	}
	ck_assert(template_valid("https://h/{{x}", NULL));
}
END_TEST

START_TEST(uses_names_only_real_fields)
{
	ck_assert(template_uses("https://h/{token}", FIELD_TOKEN));
	ck_assert(!template_uses("https://h/{{token}", FIELD_TOKEN));
	ck_assert(!template_uses("https://h/x", FIELD_TOKEN));
	ck_assert(template_uses("https://h/?{message}", FIELD_MESSAGE));
	ck_assert(!template_uses("https://h/{bad}{token}", FIELD_TOKEN));
}
END_TEST

START_TEST(escape_keeps_only_unreserved)
{
	char *e = template_escape("AZaz09-_.~ /%?#&=+{}\xc3\xa9");
	ck_assert_str_eq(e, "AZaz09-_.~%20%2F%25%3F%23%26%3D%2B%7B%7D%C3%A9");
	free(e);
}
END_TEST

static void preset(const char *service, const char *base, enum event event,
		   const char *want)
{
	const struct service *svc = service_find(service);
	ck_assert_ptr_nonnull(svc);
	char *got = service_template(svc, base ? base : svc->base, event);
	if (!want) {
		ck_assert_ptr_null(got);
		return;
	}
	ck_assert_ptr_nonnull(got);
	ck_assert_str_eq(got, want);
	free(got);
}

START_TEST(service_presets)
{
	ck_assert_ptr_eq(service_find(NULL), service_find("tickstem"));
	ck_assert_ptr_null(service_find("healthcheck"));
	preset("tickstem", NULL, EVENT_SUCCESS,
	       "https://api.tickstem.dev/v1/heartbeats/{token}/ping");
	preset("tickstem", NULL, EVENT_START, NULL);
	preset("tickstem", NULL, EVENT_FAIL, NULL);
	preset("healthchecks", NULL, EVENT_START,
	       "https://hc-ping.com/{token}/start?rid={run_id}");
	preset("healthchecks", "https://hc.example/ping/", EVENT_FAIL,
	       "https://hc.example/ping/{token}/{exit_status}?rid={run_id}");
	preset("betterstack", NULL, EVENT_FAIL,
	       "https://uptime.betterstack.com/api/v1/heartbeat/{token}/{exit_status}");
	preset("uptime-kuma", NULL, EVENT_SUCCESS, NULL);
	preset("uptime-kuma", "http://k:3001", EVENT_SUCCESS,
	       "http://k:3001/api/push/{token}?status=up&msg=OK&ping={duration_ms}");
	preset("deadmanssnitch", NULL, EVENT_FAIL,
	       "https://nosnch.in/{token}?s={exit_status}&m={message}");
	/* A brace in the base is the base's, never a field. */
	preset("betterstack", "https://h/{x}", EVENT_SUCCESS,
	       "https://h/{{x}/{token}");
}
END_TEST

/* Uptime Kuma on MariaDB refuses a ping of a million ms or more: the
 * preset sends at most 999999; other services get the duration as it is. */
START_TEST(kuma_duration_capped)
{
	static const struct { const char *service; long long ms; const char *want; } cases[] = {
		{ "uptime-kuma", 0, "0" },
		{ "uptime-kuma", 999999, "999999" },
		{ "uptime-kuma", 1000000, "999999" },
		{ "uptime-kuma", 86400000, "999999" },
		{ "tickstem", 1000000, "1000000" },
		{ "healthchecks", 86400000, "86400000" },
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		struct settings s;
		memset(&s, 0, sizeof s);
		s.service = (char *)cases[i].service;
		struct event_report report = { .event = EVENT_SUCCESS, .message = "OK" };
		char scratch[END_SCRATCH][24];
		struct template_values vals;
		struct run_cost cost = { .duration_ms = cases[i].ms };
		notify_end_values(&s, "run", &report, &cost, scratch, &vals);
		ck_assert_str_eq(vals.v[FIELD_DURATION_MS], cases[i].want);
	}
}
END_TEST

Suite *unit_suite(void)
{
	Suite *s = suite_create("template");
	TCase *t = tcase_create("template");
	tcase_add_test(t, every_field_is_filled_escaped);
	tcase_add_test(t, doubled_brace_is_a_literal_one);
	tcase_add_test(t, an_unknown_field_makes_it_unusable);
	tcase_add_test(t, uses_names_only_real_fields);
	tcase_add_test(t, escape_keeps_only_unreserved);
	tcase_add_test(t, service_presets);
	tcase_add_test(t, kuma_duration_capped);
	suite_add_tcase(s, t);
	return s;
}
