/* The metrics file's text: a run written in Prometheus' text exposition
 * format, and the figures carried over read back from the file of the
 * run before.  Pure: no clock, no file.  See hbrun(1). */
#ifndef HBRUN_PROMTEXT_H
#define HBRUN_PROMTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* How a run ended, as hbrun_runs_total's result label says it. */
enum run_result {
	RESULT_SUCCESS,
	RESULT_FAILURE,
	RESULT_TIMEOUT,
	RESULT_STOPPED,
	RESULT_LOCK_HELD,
	RESULT_COUNT
};

/* What one file hands on to the next. */
struct promtext_carried {
	uint64_t runs[RESULT_COUNT];
	bool has_success;
	int64_t last_success_ms; /* Unix time in milliseconds */
};

struct promtext_run {
	int64_t start_ms, end_ms; /* Unix time in milliseconds */
	int exit_status;
	enum run_result result;
	/* The job's own figures; false when it never ran (75, 126, 127):
	 * then they are left out. */
	bool job_ran;
	int64_t duration_ms;
	bool has_usage; /* wait4() told the two below */
	int64_t max_rss_kb;
	int64_t cpu_user_us, cpu_system_us;
	bool has_gap; /* a usable schedule: its longest gap */
	int64_t longest_gap_s;
};

/* Counters stay below this, where a float64 still holds every whole
 * number: Prometheus reads each value as one. */
#define PROMTEXT_COUNTER_MAX 9007199254740991ULL

/* Whether JOB can be a label value: valid UTF-8 (the format's). */
bool promtext_label_usable(const char *job);

/* The whole file for RUN of JOB after PREV (NULL: nothing carried over),
 * NUL-ended and malloc'd; NULL when out of memory.  RUN's result counts
 * once more, and a success is the last success. */
char *promtext_format(const char *job, const struct promtext_run *run,
		      const struct promtext_carried *prev);

/* At most this many bytes of a previous file are read: more than any
 * file promtext_format() writes for JOB. */
size_t promtext_read_limit(const char *job);

/* TEXT (LEN bytes) read as a file that promtext_format() wrote for JOB:
 * true with OUT filled; false when it is anything else (another job's,
 * cut short, a line or value hbrun does not write, a counter missing or
 * twice), and OUT is then zero. */
bool promtext_read(const char *text, size_t len, const char *job,
		   struct promtext_carried *out);

#endif
