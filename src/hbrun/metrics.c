#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "file.h"
#include "lock.h"
#include "monotime.h"
#include "msg.h"
#include "schedule.h"

/* What the end request leaves for the file at most: writing it takes
 * milliseconds where the disk answers, and a loaded machine may take a
 * while to run the thread at all. */
#define RESERVE_SECONDS 2.0

const char *metrics_job_name(const char *job, const char *command)
{
	if (job)
		return job;
	const char *slash = strrchr(command, '/');
	return slash && slash[1] ? slash + 1 : command;
}

static int64_t unix_ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t us_of(struct timeval tv)
{
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

static enum run_result result_of(const struct run_ending *e,
				 const struct event_report *r)
{
	if (r->event == EVENT_SUCCESS)
		return RESULT_SUCCESS;
	if (e->timed_out)
		return RESULT_TIMEOUT;
	if (e->ran && e->stop_signal)
		return RESULT_STOPPED;
	return RESULT_FAILURE;
}

void metrics_run_of(const struct supervisor *sv,
		    const struct run_ending *ending,
		    const struct event_report *report, struct promtext_run *run)
{
	memset(run, 0, sizeof *run);
	/* The monotonic clock measured the run; the wall clock, read once,
	 * places it. */
	int64_t now = unix_ms_now();
	double mono = monotime_now();
	run->job_ran = ending->ran;
	run->end_ms = run->start_ms = now;
	if (ending->ran) {
		run->end_ms = now - (int64_t)((mono - sv->ended_at) * 1000.0);
		run->duration_ms = (int64_t)((sv->ended_at - sv->started_at) *
					     1000.0);
		run->start_ms = run->end_ms - run->duration_ms;
		run->has_usage = sv->usage_known;
		run->max_rss_kb = sv->usage.ru_maxrss;
		run->cpu_user_us = us_of(sv->usage.ru_utime);
		run->cpu_system_us = us_of(sv->usage.ru_stime);
	}
	run->exit_status = report->exit_status;
	run->result = result_of(ending, report);
}

void metrics_run_lock_held(struct promtext_run *run)
{
	memset(run, 0, sizeof *run);
	run->start_ms = run->end_ms = unix_ms_now();
	run->exit_status = EXIT_LOCK_HELD;
	run->result = RESULT_LOCK_HELD;
}

void metrics_run_stopped(struct promtext_run *run, int exit_status)
{
	metrics_run_lock_held(run);
	run->exit_status = exit_status;
	run->result = RESULT_STOPPED;
}

double metrics_reserve(const struct settings *s, double deadline)
{
	if (!s->metrics_file)
		return 0;
	return deadline / 4 < RESERVE_SECONDS ? deadline / 4 : RESERVE_SECONDS;
}

/* The file's work, done in a thread of its own so that a file system that
 * hangs cannot hold hbrun past its deadline.  What it has to say waits in
 * SAID for the caller, who alone prints. */
#define SAID_MAX 3
#define RESTART "its counters restart at 0"
struct writer {
	char *path;
	char *job;
	char *schedule, *tz; /* copies; SCHEDULE NULL: none usable */
	struct promtext_run run;
	int done_fd; /* an eventfd, written once the work is done */
	char said[SAID_MAX][512];
	int nsaid;
};

/* "[PATH: ]WHY; THEN", kept for the caller to say. */
static void say_of(struct writer *w, const char *path, const char *why,
		   const char *then)
{
	if (w->nsaid < SAID_MAX)
		snprintf(w->said[w->nsaid++], sizeof w->said[0], "%s%s%s; %s",
			 path ? path : "", path ? ": " : "", why, then);
}

static void say(struct writer *w, const char *why, const char *then)
{
	say_of(w, w->path, why, then);
}

/* "cannot write ... (the error)", then that it is not updated. */
static void say_not_written(struct writer *w, const char *what, int err)
{
	char why[160];
	snprintf(why, sizeof why, "cannot write %s (%s)", what, strerror(err));
	say(w, why, "not updated");
}

/* Why a previous file that can be read is not to be believed, or NULL. */
static const char *distrust(const struct stat *st)
{
	switch (file_trust(st->st_mode, st->st_uid, geteuid())) {
	case TRUST_OK:
	case TRUST_READABLE:
		return NULL;
	case TRUST_WRITABLE:
		return "writable by group or others";
	case TRUST_FOREIGN:
		break;
	}
	return "owned by another user than you or root";
}

/* FD's first bytes, up to LIMIT, into a malloc'd buffer; *LEN bytes (more
 * than LIMIT: the file is larger). */
static char *read_up_to(int fd, size_t limit, size_t *len)
{
	char *buf = malloc(limit + 1);
	*len = 0;
	while (buf && *len <= limit) {
		ssize_t n = read(fd, buf + *len, limit + 1 - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		*len += (size_t)n;
	}
	return buf;
}

/* The previous file's counters into C; zero when there is none, or with a
 * warning when it is not hbrun's own, trusted, file for this job. */
static void read_previous(struct writer *w, struct promtext_carried *c)
{
	struct stat st;
	int err;
	memset(c, 0, sizeof *c);
	int fd = file_open_regular(w->path, &st, &err);
	if (fd < 0) {
		if (err != ENOENT)
			say(w, file_error(err), RESTART);
		return;
	}
	const char *why = distrust(&st);
	size_t limit = promtext_read_limit(w->job), len = 0;
	char *text = why ? NULL : read_up_to(fd, limit, &len);
	close(fd);
	if (!why && (!text || len > limit || !promtext_read(text, len, w->job, c)))
		why = "not a metrics file hbrun wrote for this job";
	if (why)
		say(w, why, RESTART);
	free(text);
}

static int write_whole(int fd, const char *text, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, text, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		text += n;
		len -= (size_t)n;
	}
	return 0;
}

/* TEXT written to a new file in PATH's folder, then renamed over PATH: a
 * reader sees the old file or the new one, never half of one.  The new
 * file's name does not end in ".prom", so no collector reads it early. */
static void replace(struct writer *w, const char *text)
{
	const char *slash = strrchr(w->path, '/');
	int dirlen = slash ? (int)(slash - w->path) + 1 : 0;
	char *tmp = malloc(strlen(w->path) + 9);
	int fd = -1;
	if (tmp) {
		sprintf(tmp, "%.*s.%s.XXXXXX", dirlen, w->path, w->path + dirlen);
		fd = mkostemp(tmp, O_CLOEXEC);
	}
	if (fd < 0) {
		say_not_written(w, "in its folder", tmp ? errno : ENOMEM);
		free(tmp);
		return;
	}
	int bad = fchmod(fd, 0644) || write_whole(fd, text, strlen(text));
	if (close(fd) != 0 || bad || rename(tmp, w->path) != 0) {
		say_not_written(w, "it", errno);
		unlink(tmp);
	}
	free(tmp);
}

/* PATH's folder, malloc'd: "." for a bare name. */
static char *folder_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? strndup(path, (size_t)(slash - path) + 1) : strdup(".");
}

int metrics_folder_writable(const char *path)
{
	char *dir = folder_of(path);
	int err = !dir ? ENOMEM : access(dir, W_OK | X_OK) == 0 ? 0 : errno;
	free(dir);
	return err;
}

/* The folder of W's file locked, so that two runs writing at once (one
 * of them finding the lock held) both count: each reads what the other
 * wrote.  -1 where it cannot be had; the file is written all the same. */
static int lock_folder(const struct writer *w)
{
	char *dir = folder_of(w->path);
	int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
	free(dir);
	if (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* The schedule's longest gap, worked out only now that the job has ended
 * (and beside the deadline's wait: it may take a while). */
static void add_gap(struct writer *w)
{
	char err[256];
	struct schedule_gaps g;
	if (!w->schedule)
		return;
	struct schedule *sc = schedule_parse(w->schedule, w->tz, err, sizeof err);
	if (!sc) {
		char why[300];
		snprintf(why, sizeof why, "schedule unusable: %s", err);
		say_of(w, NULL, why, "no figure of it is used");
	} else if (schedule_gaps(sc, w->run.end_ms / 1000, &g) == 0) {
		w->run.has_gap = true;
		w->run.longest_gap_s = g.longest;
	}
	schedule_free(sc);
}

static void rewrite(struct writer *w)
{
	struct promtext_carried prev;
	add_gap(w);
	int dir = lock_folder(w);
	read_previous(w, &prev);
	char *text = promtext_format(w->job, &w->run, &prev);
	if (text)
		replace(w, text);
	else
		say(w, "out of memory", "not updated");
	free(text);
	if (dir >= 0)
		close(dir);
}

static void *write_in_thread(void *arg)
{
	struct writer *w = arg;
	rewrite(w);
	uint64_t one = 1;
	while (write(w->done_fd, &one, sizeof one) < 0 && errno == EINTR)
		;
	return NULL;
}

static void writer_free(struct writer *w)
{
	if (w->done_fd >= 0)
		close(w->done_fd);
	free(w->path);
	free(w->job);
	free(w->schedule);
	free(w->tz);
	free(w);
}

/* A copy of S's TEXT, or NULL for none; *BAD when the copy failed. */
static char *copy_of(const char *text, bool *bad)
{
	char *copy = text ? strdup(text) : NULL;
	*bad |= text && !copy;
	return copy;
}

static struct writer *writer_new(const struct settings *s, const char *job,
				 const struct promtext_run *run)
{
	struct writer *w = calloc(1, sizeof *w);
	bool bad = false;
	if (!w)
		return NULL;
	w->run = *run;
	w->path = copy_of(s->metrics_file, &bad);
	w->job = copy_of(job, &bad);
	/* An unusable schedule or zone was said when it was read. */
	if (!s->unusable[S_SCHEDULE] && !s->unusable[S_TZ]) {
		w->schedule = copy_of(s->schedule, &bad);
		w->tz = copy_of(s->tz, &bad);
	}
	w->done_fd = eventfd(0, EFD_CLOEXEC);
	if (bad || w->done_fd < 0) {
		writer_free(w);
		return NULL;
	}
	return w;
}

/* Whether DONE_FD became readable within LIMIT seconds, and before CANCEL
 * said a stop signal came. */
static bool done_in_time(int done_fd, double limit, const struct cancel *cancel)
{
	double end = monotime_now() + limit;
	for (double left; (left = end - monotime_now()) > 0;) {
		struct pollfd p[2] = { { .fd = done_fd, .events = POLLIN },
				       { .fd = cancel_fd(cancel), .events = POLLIN } };
		int n = poll(p, p[1].fd >= 0 ? 2 : 1, (int)(left * 1000.0) + 1);
		if (n > 0 && (p[0].revents & POLLIN))
			return true;
		if (n > 0 && p[1].revents && cancel_arrived(cancel))
			return false;
	}
	return false;
}

static void say_all(const struct writer *w)
{
	for (int i = 0; i < w->nsaid; i++)
		msg_warn("%s", w->said[i]);
}

void metrics_write(const struct settings *s, const char *job,
		   const struct promtext_run *run, double limit,
		   const struct cancel *cancel)
{
	/* A config file that cannot be used blocks every monitoring
	 * setting: it was warned of. */
	if (!s->metrics_file || s->no_requests)
		return;
	if (!promtext_label_usable(job)) {
		msg_warn("the job's name is not UTF-8; the metrics file is not "
			 "written");
		return;
	}
	struct writer *w = writer_new(s, job, run);
	pthread_t thread;
	if (!w) {
		msg_warn("%s: out of memory; not updated", s->metrics_file);
		return;
	}
	if (pthread_create(&thread, NULL, write_in_thread, w) != 0) {
		rewrite(w);
	} else if (done_in_time(w->done_fd, limit, cancel)) {
		pthread_join(thread, NULL);
	} else {
		/* hbrun is about to end, and the thread with it: W stays
		 * the thread's. */
		msg_warn("%s: not written within the ping deadline; left to "
			 "finish on its own", s->metrics_file);
		pthread_detach(thread);
		return;
	}
	say_all(w);
	writer_free(w);
}
