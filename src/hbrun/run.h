/* One run of the job, around the supervisor: what comes before it (the
 * lock, the random delay, the timeout's subreaper, the run id), what goes
 * on while it runs (the start request, the copy of its output), and what
 * comes after (the end request, hbrun's own ending).  See hbrun(1). */
#ifndef HBRUN_RUN_H
#define HBRUN_RUN_H

#include "during.h"
#include "exit_status.h"
#include "notify.h"
#include "output.h"
#include "settings.h"
#include "supervise.h"

struct run {
	const struct settings *s;
	char id[RUN_ID_SIZE];
	struct output *out; /* the job's output, when it is to be sent */
	struct held *held;  /* or held until the ending is known */
	struct during during;
};

/* Everything before the job, in order: the lock, the random delay, the
 * timeout, the run id (HBRUN_RUN_ID for the job), the output's pipes and
 * the wait hook.  0, or the exit status when the job must not start (75:
 * the lock is held; 125: it cannot be used). */
int run_prepare(struct run *r, const struct settings *s,
		struct supervisor *sv);

/* Everything after: the start request's last second, the end request
 * (none after a stop signal in that second), and how hbrun ends: 124
 * after a timeout, the exec error's status (EXEC_ERR, said already), or as
 * the job ended.  COMMAND names the job in the timeout's line. */
struct ending run_finish(struct run *r, struct supervisor *sv, int exec_err,
			 const char *command);

#endif
