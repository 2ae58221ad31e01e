#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

const char *lock_file_problem(const struct stat *st, uid_t caller)
{
	if (!S_ISREG(st->st_mode))
		return "not a regular file";
	if (st->st_uid != caller && st->st_uid != 0)
		return "owned by another user";
	if (st->st_nlink != 1)
		return "has more than one hard link";
	return NULL;
}

/* O_NONBLOCK: a FIFO swapped in must not hold up hbrun; O_NOFOLLOW: a
 * link in the last component could point anywhere; O_NOCTTY: a terminal
 * named as the lock must not become hbrun's. */
#define LOCK_OPEN_FLAGS \
	(O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)

static bool say(char *why, size_t size, const char *what)
{
	snprintf(why, size, "%s", what);
	return false;
}

static enum lock_result unusable(char *why, size_t size, const char *what)
{
	say(why, size, what);
	return LOCK_UNUSABLE;
}

static const char *open_error(int err)
{
	return err == ELOOP ? "a symbolic link" : strerror(err);
}

/* Whether PATH still names the file open on FD: one unlinked (and maybe
 * recreated) after we opened it locks nothing another run would see. */
static bool still_named(int fd, const char *path)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && lstat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* One attempt: LOCK_TAKEN, LOCK_HELD, LOCK_UNUSABLE, or -1 when the file
 * was replaced meanwhile and a new attempt is due. */
static int try_lock(const char *path, int *fd, char *why, size_t size)
{
	int f = open(path, LOCK_OPEN_FLAGS | O_CREAT, 0600);
	if (f < 0)
		return unusable(why, size, open_error(errno));
	struct stat st;
	const char *problem = fstat(f, &st) != 0 ? strerror(errno)
			      : lock_file_problem(&st, geteuid());
	int r = LOCK_TAKEN;
	if (problem)
		r = unusable(why, size, problem);
	else if (flock(f, LOCK_EX | LOCK_NB) != 0)
		r = errno == EWOULDBLOCK ? LOCK_HELD
					 : unusable(why, size, strerror(errno));
	else if (!still_named(f, path))
		r = -1;
	if (r != LOCK_TAKEN)
		close(f);
	else
		*fd = f;
	return r;
}

enum lock_result lock_take(const char *path, int *fd, char *why, size_t size)
{
	*fd = -1;
	if (!*path)
		return unusable(why, size, "empty file name");
	/* Each retry means another run replaced the file between our open
	 * and our lock; a few are plenty. */
	for (int attempt = 0; attempt < 8; attempt++) {
		int r = try_lock(path, fd, why, size);
		if (r >= 0)
			return (enum lock_result)r;
	}
	return unusable(why, size, "the file keeps being replaced");
}

/* The folder PATH would be created in. */
static bool folder_writable(const char *path, char *why, size_t size)
{
	char *copy = strdup(path);
	if (!copy)
		return say(why, size, strerror(ENOMEM));
	const char *dir = dirname(copy);
	bool ok = access(dir, W_OK | X_OK) == 0;
	if (!ok)
		snprintf(why, size, "missing, and cannot be created in %s: %s",
			 dir, strerror(errno));
	free(copy);
	return ok;
}

bool lock_usable(const char *path, char *why, size_t size)
{
	struct stat st;
	if (!*path)
		return say(why, size, "empty file name");
	if (lstat(path, &st) != 0) {
		if (errno == ENOENT)
			return folder_writable(path, why, size);
		return say(why, size, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		return say(why, size, "a symbolic link");
	const char *problem = lock_file_problem(&st, geteuid());
	if (problem)
		return say(why, size, problem);
	int f = open(path, LOCK_OPEN_FLAGS);
	if (f < 0)
		return say(why, size, open_error(errno));
	close(f);
	return true;
}
