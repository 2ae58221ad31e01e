#include "monotime.h"

#include <time.h>

double monotime_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int monotime_ms_until(double at)
{
	if (at <= 0)
		return -1;
	double ms = (at - monotime_now()) * 1000.0;
	if (ms <= 0)
		return 0;
	return ms >= 1e9 ? 1000000000 : (int)ms + 1;
}
