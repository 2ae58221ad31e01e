/* What both grammars share: the times of a due day. */
#include "sched_expr.h"

#include <stdlib.h>

int sched_set_tods(struct sched_expr *e, uint32_t hours, uint64_t minutes,
		   uint64_t seconds)
{
	size_t n = (size_t)__builtin_popcount(hours) * (size_t)__builtin_popcountll(minutes) *
		   (size_t)__builtin_popcountll(seconds);
	e->tods = n ? malloc(n * sizeof *e->tods) : NULL;
	if (!e->tods)
		return -1;
	e->ntods = 0;
	for (int h = 0; h < 24; h++)
		for (int m = 0; m < 60 && hours >> h & 1; m++)
			for (int s = 0; s < 60 && minutes >> m & 1; s++)
				if (seconds >> s & 1)
					e->tods[e->ntods++] = h * 3600 + m * 60 + s;
	e->tod_min_gap = e->tod_max_gap = 0;
	e->tod_max_at = 0;
	for (size_t i = 1; i < e->ntods; i++) {
		int32_t g = e->tods[i] - e->tods[i - 1];
		if (i == 1 || g < e->tod_min_gap)
			e->tod_min_gap = g;
		if (g > e->tod_max_gap) {
			e->tod_max_gap = g;
			e->tod_max_at = i - 1;
		}
	}
	return 0;
}
