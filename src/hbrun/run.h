/* One run of the job, around the supervisor: what comes before it (the
 * lock, the random delay, the timeout's subreaper, the run id), what goes
 * on while it runs (the start request, the copy of its output), and what
 * comes after (the end request, hbrun's own ending).  See hbrun(1). */
#ifndef HBRUN_RUN_H
#define HBRUN_RUN_H

#include "exit_status.h"
#include "loop.h"
#include "notify.h"
#include "output.h"
#include "settings.h"
#include "supervise.h"

struct run {
	const struct settings *s;
	char id[RUN_ID_SIZE];
	struct output *out; /* the job's output, when it is sent or held */
	bool send_tail;     /* its tail is the end request's body */
	struct loop loop;
	struct held *held;  /* or held until the ending is known */
	double replayed_at; /* when the held output was written back; 0: not */
	const char *job; /* the job's name in the metrics file */
	/* The memory cgroup's oom_kill count before the job; -1: unknown. */
	long long oom_before;
};

/* Everything before the job, in order: the lock, the random delay, the
 * timeout, the run id (HBRUN_RUN_ID for the job), the output's pipes and
 * the wait loop.  0, or the exit status when the job must not start (75:
 * the lock is held, which the metrics file still counts, as JOB; 125: it
 * cannot be used). */
int run_prepare(struct run *r, const struct settings *s,
		struct supervisor *sv, const char *job);

/* Start ARGV as the job and wait for it (loop.h).  0, or an errno value
 * when it could not be executed (it never ran). */
int run_wait(struct run *r, struct supervisor *sv, char *const argv[]);

/* Everything after: the start request's last second, the end request
 * (none after a stop signal in that second), the metrics file, and how
 * hbrun ends: 124 after a timeout, the exec error's status (EXEC_ERR,
 * said already), or as the job ended.  COMMAND names the job in the
 * timeout's line. */
struct ending run_finish(struct run *r, struct supervisor *sv, int exec_err,
			 const char *command);

#endif
