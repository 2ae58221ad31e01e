/* The overlap lock: the job runs only while hbrun holds FILE's flock, so
 * two runs never run the job at once.  See hbrun(1), --lock. */
#ifndef HBRUN_LOCK_H
#define HBRUN_LOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

/* What hbrun exits with when another run holds the lock (EX_TEMPFAIL). */
#define EXIT_LOCK_HELD 75

enum lock_result {
	LOCK_TAKEN,    /* *FD holds it until hbrun exits */
	LOCK_HELD,     /* another run holds it */
	LOCK_UNUSABLE, /* WHY says what is wrong */
};

/* Pure: what is wrong with a lock file of status ST for user CALLER, or
 * NULL when it may be used: a regular file, owned by CALLER or root, with
 * one link (another name could be locked and swapped in). */
const char *lock_file_problem(const struct stat *st, uid_t caller);

/* Open PATH (created 0600 if missing, never truncated, its last component
 * never a symbolic link, close-on-exec) and take its exclusive flock
 * without waiting; then make sure PATH still names the locked file. */
enum lock_result lock_take(const char *path, int *fd, char *why,
			   size_t size);

/* Whether lock_take could use PATH, judged without creating it and
 * without taking the lock (for --check); false with WHY when not. */
bool lock_usable(const char *path, char *why, size_t size);

#endif
