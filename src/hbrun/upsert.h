/* Sentry creates or updates the monitor from the start request when it
 * carries the monitor's configuration: the job's schedule, its zone, a
 * margin from the grace and a runtime from the timeout, so that a job
 * declares its schedule in one place (see hbrun(1), SENTRY'S MONITOR). */
#ifndef HBRUN_UPSERT_H
#define HBRUN_UPSERT_H

#include "settings.h"

/* The JSON body of S's start request for the run RUN_ID, malloc'd; NULL
 * when it goes without one: another service, no schedule or an unusable
 * one, GET, or a start template of the user's own.  Reads the schedule:
 * call it only once the job has started. */
char *upsert_body(const struct settings *s, const char *run_id);

#endif
