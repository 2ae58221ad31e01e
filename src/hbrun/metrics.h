/* metrics_file: after a run, the file node_exporter's textfile collector
 * reads, rewritten whole (a new file renamed over it), its counters
 * carried over from the file before when that one is hbrun's own and
 * trusted.  Nothing here runs before the job has ended, and nothing here
 * changes the run: every problem is one warning.  See hbrun(1). */
#ifndef HBRUN_METRICS_H
#define HBRUN_METRICS_H

#include "cancel.h"
#include "events.h"
#include "promtext.h"
#include "settings.h"
#include "supervise.h"

/* The job label's value: JOB (-j), else COMMAND's base name. */
const char *metrics_job_name(const char *job, const char *command);

/* RUN filled from how the job ended (SV, ENDING and REPORT). */
void metrics_run_of(const struct supervisor *sv,
		    const struct run_ending *ending,
		    const struct event_report *report, struct promtext_run *run);

/* RUN filled for a run that found its lock held (75), or was asked to
 * stop before the job started (EXIT_STATUS 128+S). */
void metrics_run_lock_held(struct promtext_run *run);
void metrics_run_stopped(struct promtext_run *run, int exit_status);

/* The time the end request leaves for the file, out of a ping deadline
 * of DEADLINE seconds: 0 without a metrics file. */
double metrics_reserve(const struct settings *s, double deadline);

/* 0 when the folder of the metrics file PATH can be written, else an
 * errno value (for --check; nothing is written). */
int metrics_folder_writable(const char *path);

/* Rewrite S's metrics file (if set) for RUN of JOB.  Returns within LIMIT
 * seconds, or sooner when CANCEL (may be NULL) says a stop signal came: a
 * file system that hangs is left to finish on its own, with a warning. */
void metrics_write(const struct settings *s, const char *job,
		   const struct promtext_run *run, double limit,
		   const struct cancel *cancel);

#endif
