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
	e->tod_min_gap = e->tod_max_gap = 0;
	e->tod_max_at = 0;
	for (size_t i = 1; i < e->ntods; i++) {
		int64_t g = e->tods[i] - e->tods[i - 1];
		if (i == 1 || g < e->tod_min_gap)
			e->tod_min_gap = g;
		if (g > e->tod_max_gap) {
			e->tod_max_gap = g;
			e->tod_max_at = i - 1;
		}
	}
	return 0;
}
