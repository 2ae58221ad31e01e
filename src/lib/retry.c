#include "retry.h"

#include <curl/curl.h>

bool outcome_status_is_transient(long status)
{
	switch (status) {
	case 408: case 429: case 500: case 502: case 503: case 504:
		return true;
	default:
		return false;
	}
}

static enum outcome classify_transfer_error(CURLcode code)
{
	switch (code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR: /* reset or cut off mid-handshake */
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_HTTP3:
		return OUTCOME_TRANSIENT;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
		return OUTCOME_TLS;
	case CURLE_ABORTED_BY_CALLBACK:
		return OUTCOME_CANCELLED;
	default:
		return OUTCOME_FAILED;
	}
}

bool outcome_never_sent(int curl_code)
{
	switch (curl_code) {
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		return true;
	default:
		return false;
	}
}

enum outcome outcome_classify(int curl_code, long status)
{
	if (curl_code != CURLE_OK)
		return classify_transfer_error((CURLcode)curl_code);
	if (status >= 200 && status <= 299)
		return OUTCOME_SUCCESS;
	if (outcome_status_is_transient(status))
		return OUTCOME_TRANSIENT;
	return OUTCOME_REJECTED;
}

double backoff_ceiling(int attempt)
{
	double ceiling = BACKOFF_FIRST;
	for (int i = 1; i < attempt && ceiling < BACKOFF_CAP; i++)
		ceiling *= 2;
	return ceiling < BACKOFF_CAP ? ceiling : BACKOFF_CAP;
}

double backoff_jittered(int attempt, double unit)
{
	if (!(unit >= 0.0) || unit >= 1.0) /* also catches NaN */
		unit = 0.0;
	return backoff_ceiling(attempt) * unit;
}

struct next_step retry_next_step(double left, double backoff, long retry_after)
{
	struct next_step step = { .stop = true, .wait = 0.0 };
	double usable = left - ATTEMPT_MIN_LEFT;
	if (usable < 0.0)
		return step;
	if (retry_after > 0) {
		if ((double)retry_after > usable)
			return step;
		step.stop = false;
		step.wait = (double)retry_after;
		return step;
	}
	step.stop = false;
	step.wait = backoff < usable ? backoff : usable;
	if (step.wait < 0.0)
		step.wait = 0.0;
	return step;
}

double attempt_time_limit(double per_attempt, double left)
{
	return per_attempt < left ? per_attempt : left;
}
