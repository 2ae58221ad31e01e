/* hbctl next: the due times of a schedule, for a user to see what it means
 * and for the tests to check the schedule module through the binary. */
#include "next.h"

#include <stdio.h>
#include <time.h>

#include "msg.h"
#include "schedule.h"

int hbctl_next(const struct hbctl_args *a)
{
	char err[256];
	struct schedule *s = schedule_parse(a->operand, a->tz, err, sizeof err);
	if (!s) {
		msg_error("next: %s", err);
		return HBCTL_EXIT_USAGE;
	}
	enum schedule_zone_from from;
	const char *zone = schedule_zone_of(s, 0, &from);
	if (from == ZONE_FROM_LOCAL || from == ZONE_FROM_ABBREVIATION)
		zone = NULL;
	int64_t t = a->after_set ? a->after : (int64_t)time(NULL) * 1000000;
	int shown = 0;
	for (; shown < a->count && schedule_next(s, t, &t) == 0; shown++) {
		char buf[64];
		if (schedule_format(t, zone, buf, sizeof buf) < 0)
			break;
		printf("%s\n", buf);
	}
	schedule_free(s);
	if (shown == 0) {
		msg_error("next: no due time in the 29 years after that time");
		return HBCTL_EXIT_FAILURE;
	}
	return HBCTL_EXIT_DONE;
}
