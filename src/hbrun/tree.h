/* The job's process tree, for the timeout: every descendant of hbrun
 * (hbrun is their subreaper, so orphans stay below it), each pinned with a
 * pidfd before it is signalled, so that a PID reused meanwhile by another
 * process is never hit. */
#ifndef HBRUN_TREE_H
#define HBRUN_TREE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Where the system has no pidfds, a process is signalled by its PID,
 * checked just before, and its end found by looking in /proc. */
#define ENDED (-1)
#define UNPINNED (-2)

struct pinned {
	pid_t pid;
	int fd; /* its pidfd; ENDED once it has ended; or UNPINNED */
};

struct tree {
	struct pinned *p;
	size_t n, cap;
	size_t alive;
	/* hbrun's children from before the job: not the job's */
	struct pinned *strangers;
	size_t n_strangers;
	unsigned long long job_start; /* the job's start in /proc, or 0 */
	bool proc_unreadable;         /* a walk found no /proc to read */
};

/* Pure: the parent PID in the text of /proc/PID/stat, or -1.  The command
 * name in it may hold spaces and parentheses. */
pid_t stat_ppid(const char *stat);

/* Pure: the start time (field 22) in the text of /proc/PID/stat, or 0. */
unsigned long long stat_starttime(const char *stat);

/* Before the job starts: note hbrun's children (inherited, such as a
 * sidecar that `sidecar & exec hbrun` leaves), never to be signalled or
 * waited for. */
void tree_note_strangers(struct tree *t);

/* Pin JOB (hbrun's own child, not yet reaped) first: found even where
 * /proc shows another PID namespace. */
void tree_pin(struct tree *t, pid_t job);

/* Send SIG (and CONT after it, for stopped ones, unless SIG is KILL) to
 * every pinned process still running, then pin and signal the descendants
 * found, walking again until no new one appears.  Returns how many were
 * new. */
size_t tree_signal(struct tree *t, int sig);

/* Mark the pinned processes that have ended; returns how many are left. */
size_t tree_update(struct tree *t);

/* Whether some process is UNPINNED: its end must then be looked for
 * now and again, as no descriptor tells. */
bool tree_unpinned(const struct tree *t);

void tree_free(struct tree *t);

#endif
