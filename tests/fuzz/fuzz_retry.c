/* Fuzz target: the retry decisions of retry.h with arbitrary values, the
 * pure half of what a reply's status and Retry-After lead to.
 *
 * Input: bytes read as a CURLcode, an HTTP status, a Retry-After, an
 * attempt number and three times (seconds left, the per-attempt limit, the
 * jitter's unit).  Checked: the SPEC's rules, for every value:
 * - 2xx is success; 408/429/5xx of the list are retried; other statuses
 *   are final; a transfer error is never a success;
 * - a backoff wait is at most 1, 2, 4, 8, then 16 s, and never negative;
 * - a wait always leaves at least 1 s for the next attempt, and with less
 *   than 1 s left hbrun stops;
 * - a Retry-After that fits is waited exactly; one that does not means
 *   stopping at once; none (or one in the past, <= 0) means the backoff;
 * - an attempt is never given more than what is left. */
#include <math.h>
#include <stdbool.h>

#include <curl/curl.h>

#include "fuzz.h"
#include "retry.h"

struct reader {
	const uint8_t *p;
	size_t left;
};

static uint64_t take(struct reader *r, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++) {
		v = v << 8;
		if (r->left) {
			v |= *r->p++;
			r->left--;
		}
	}
	return v;
}

/* Seconds as hbrun can see them: 0 to a little over a day, in ms. */
static double take_seconds(struct reader *r)
{
	return (double)(take(r, 4) % 90000000u) / 1000.0 - 5.0;
}

static void check_classify(int code, long status)
{
	enum outcome o = outcome_classify(code, status);
	FUZZ_ASSERT(o >= OUTCOME_SUCCESS && o <= OUTCOME_CANCELLED);
	if (code != CURLE_OK) {
		FUZZ_ASSERT(o != OUTCOME_SUCCESS);
		return;
	}
	if (status >= 200 && status <= 299)
		FUZZ_ASSERT(o == OUTCOME_SUCCESS);
	else if (outcome_status_is_transient(status))
		FUZZ_ASSERT(o == OUTCOME_TRANSIENT);
	else
		FUZZ_ASSERT(o == OUTCOME_REJECTED);
	bool listed = status == 408 || status == 429 || status == 500 ||
		      status == 502 || status == 503 || status == 504;
	FUZZ_ASSERT(outcome_status_is_transient(status) == listed);
}

static void check_step(double left, double backoff, long retry_after)
{
	struct next_step s = retry_next_step(left, backoff, retry_after);
	if (left < ATTEMPT_MIN_LEFT) {
		FUZZ_ASSERT(s.stop);
		return;
	}
	if (retry_after > 0 && (double)retry_after > left - ATTEMPT_MIN_LEFT) {
		FUZZ_ASSERT(s.stop);
		return;
	}
	FUZZ_ASSERT(!s.stop);
	FUZZ_ASSERT(s.wait >= 0.0);
	FUZZ_ASSERT(s.wait <= left - ATTEMPT_MIN_LEFT + 1e-9);
	if (retry_after > 0)
		FUZZ_ASSERT(s.wait == (double)retry_after);
	else if (backoff >= 0.0)
		FUZZ_ASSERT(s.wait == fmin(backoff, left - ATTEMPT_MIN_LEFT));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct reader r = { data, size };
	int code = (int)(take(&r, 1) % (CURL_LAST + 2)) - 1;
	long status = (long)(int32_t)take(&r, 4);
	if (take(&r, 1) & 1)
		status %= 1000; /* mostly statuses that can be */
	long retry_after = (long)(int64_t)take(&r, 8);
	if (take(&r, 1) & 1)
		retry_after %= 100000;
	int attempt = (int)(int32_t)take(&r, 4);
	double left = take_seconds(&r);
	double per_attempt = take_seconds(&r);
	double unit = (double)take(&r, 4) / 4294967296.0;

	check_classify(code, status);

	double ceiling = backoff_ceiling(attempt);
	FUZZ_ASSERT(ceiling >= BACKOFF_FIRST && ceiling <= BACKOFF_CAP);
	if (attempt >= 1 && attempt <= 5)
		FUZZ_ASSERT(ceiling == ldexp(1.0, attempt - 1));
	if (attempt > 5)
		FUZZ_ASSERT(ceiling == BACKOFF_CAP);
	double backoff = backoff_jittered(attempt, unit);
	FUZZ_ASSERT(backoff >= 0.0 && backoff < ceiling);
	/* Out-of-range units (NaN too) must not escape the ceiling either. */
	double odd = backoff_jittered(attempt, (double)(int32_t)take(&r, 4) / 7.0);
	FUZZ_ASSERT(odd >= 0.0 && odd < ceiling);

	check_step(left, backoff, retry_after);

	double limit = attempt_time_limit(per_attempt, left);
	FUZZ_ASSERT(limit <= per_attempt && limit <= left);
	return 0;
}
