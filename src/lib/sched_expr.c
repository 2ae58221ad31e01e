/* What both grammars share: the times of a due day. */
#include "sched_expr.h"

#include <stdlib.h>

int sched_set_tods(struct sched_expr *e, uint32_t hours, uint64_t minutes,
		   const int32_t *secs, size_t nsecs)
{
	size_t n = (size_t)__builtin_popcount(hours) * (size_t)__builtin_popcountll(minutes);
	e->tods = n && nsecs && nsecs <= SCHED_TODS_MAX / n ? malloc(n * nsecs * sizeof *e->tods)
							     : NULL;
	if (!e->tods)
		return -1;
	e->ntods = 0;
	for (int h = 0; h < 24; h++)
		for (int m = 0; m < 60 && hours >> h & 1; m++)
			for (size_t s = 0; s < nsecs && minutes >> m & 1; s++)
				e->tods[e->ntods++] = ((int64_t)h * 3600 + (int64_t)m * 60) * SCHED_US + secs[s];
	sched_tod_gaps(e->tods, e->ntods, &e->tod_min_gap, &e->tod_max_gap, &e->tod_max_at);
	return 0;
}

void sched_tod_gaps(const int64_t *t, size_t n, int64_t *min_gap, int64_t *max_gap,
		    size_t *max_at)
{
	*min_gap = *max_gap = 0;
	*max_at = 0;
	for (size_t i = 1; i < n; i++) {
		int64_t g = t[i] - t[i - 1];
		if (i == 1 || g < *min_gap)
			*min_gap = g;
		if (g > *max_gap) {
			*max_gap = g;
			*max_at = i - 1;
		}
	}
}
