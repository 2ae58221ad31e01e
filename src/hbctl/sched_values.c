/* The heartbeat's interval from the job's schedule: its longest gap over
 * this year and the 28 after it, so that no due time the scheduler keeps
 * (clock changes, leap days, month ends) comes later than the service
 * expects it.  Nothing is sent before it is known. */
#include "sched_values.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <time.h>

#include "config.h"
#include "msg.h"
#include "schedule.h"
#include "settings.h"

/* The settings of the config's section [NAME], as hbrun -j NAME reads
 * the file; false when it cannot be used. */
static bool job_settings(const char *config, const char *name, struct settings *out)
{
	struct layer layers[LAYER_COUNT];
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_init(&layers[i]);
	/* The file's warnings were said when hbctl read its global part; a
	 * job may well have no section. */
	msg_hold();
	enum config_result r = config_load(config, name, &layers[LAYER_GLOBAL],
					   &layers[LAYER_JOB]);
	int token_from;
	settings_merge(layers, SETTING_HBRUN, out, &token_from);
	msg_release(true, false);
	msg_release(false, false);
	for (int i = 0; i < LAYER_COUNT; i++)
		layer_free(&layers[i]);
	return r != CONFIG_UNUSABLE;
}

static int interval_of(struct hbctl_args *a, const char *text, const char *tz)
{
	char err[256];
	struct schedule *s = schedule_parse(text, tz, err, sizeof err);
	struct schedule_gaps g;
	if (!s) {
		msg_error("%s: the schedule is unusable: %s; nothing sent", a->command_name, err);
		return HBCTL_EXIT_USAGE;
	}
	int r = schedule_gaps(s, (int64_t)time(NULL), &g);
	schedule_free(s);
	if (r < 0) {
		msg_error("%s: the schedule has fewer than two due times in this year and the "
			  "28 after it, so no interval; nothing sent", a->command_name);
		return HBCTL_EXIT_USAGE;
	}
	/* Below the service's least interval, the least covers the gap. */
	a->interval = g.longest < INTERVAL_MIN ? INTERVAL_MIN
		      : g.longest > INT_MAX   ? INT_MAX
					      : (int)g.longest;
	return -1;
}

/* ensure NAME with neither --interval nor --schedule: the job's own. */
static int from_section(struct hbctl_args *a, const char *config)
{
	struct settings job;
	if (!job_settings(config, a->operand, &job)) {
		settings_free(&job);
		return -1; /* the unusable file is said, and nothing will be sent */
	}
	int status = -1;
	if (job.unusable[S_SCHEDULE] || job.unusable[S_TZ] || (a->tz && !job.schedule)) {
		msg_error("ensure: the schedule of [%s] is %s; nothing sent", a->operand,
			  job.schedule || job.unusable[S_SCHEDULE] ? "unusable" : "not set");
		status = HBCTL_EXIT_USAGE;
	} else if (job.schedule) {
		status = interval_of(a, job.schedule, a->tz ? a->tz : job.tz);
		if (status < 0 && a->grace < 0) {
			double grace = job.timeout > 0 ? ceil(job.timeout + job.ping_deadline)
						       : GRACE_DEFAULT;
			a->grace = grace > INT_MAX ? INT_MAX : (int)grace;
		}
	}
	settings_free(&job);
	return status;
}

int hbctl_schedule_values(struct hbctl_args *a, const char *config)
{
	if (a->command != CMD_CREATE && a->command != CMD_ENSURE && a->command != CMD_UPDATE)
		return -1;
	if (a->schedule) {
		int status = interval_of(a, a->schedule, a->tz);
		if (status < 0 && a->command == CMD_CREATE && a->grace < 0)
			a->grace = GRACE_DEFAULT;
		return status;
	}
	if (a->command == CMD_ENSURE && a->interval < 0)
		return from_section(a, config);
	return -1;
}
