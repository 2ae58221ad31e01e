#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A process that forks as fast as it is found could keep the walk going:
 * it is bounded, and the KILL phase, whose victims cannot fork, finishes
 * the work. */
#define WALKS_MAX 64

pid_t stat_ppid(const char *stat)
{
	/* "PID (COMM) STATE PPID ...": COMM ends at the last ')'. */
	const char *end = strrchr(stat, ')');
	char state;
	int ppid;
	if (!end || sscanf(end + 1, " %c %d", &state, &ppid) != 2)
		return -1;
	return ppid;
}

static pid_t ppid_of(pid_t pid)
{
	char path[32], buf[512];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return stat_ppid(buf);
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Only a pidfd still held pins: an ended one's PID may be anyone's now. */
static bool is_pinned(const struct tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].pid == pid && t->p[i].fd >= 0)
			return true;
	return false;
}

/* A parent that vouches for a child: hbrun, or a process pinned (its PID
 * cannot be reused while pinned). */
static bool is_ours(const struct tree *t, pid_t ppid)
{
	return ppid > 0 && (ppid == getpid() || is_pinned(t, ppid));
}

static bool add(struct tree *t, pid_t pid, int fd)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		struct pinned *p = realloc(t->p, cap * sizeof *p);
		if (!p)
			return false;
		t->p = p;
		t->cap = cap;
	}
	t->p[t->n++] = (struct pinned){ pid, fd };
	t->alive++;
	return true;
}

/* Pin PID if it is a descendant.  The parent is read again once PID is
 * pinned: what the walk saw may have ended and its PID gone to a stranger
 * since, but a pinned PID is the process's own until we let go. */
static bool pin(struct tree *t, pid_t pid)
{
	int fd = pidfd_open_(pid);
	if (fd < 0)
		return false;
	if (!is_ours(t, ppid_of(pid)) || !add(t, pid, fd)) {
		close(fd);
		return false;
	}
	return true;
}

void tree_pin(struct tree *t, pid_t job)
{
	/* Our own child, not reaped: its PID cannot change hands. */
	int fd = job > 0 && !is_pinned(t, job) ? pidfd_open_(job) : -1;
	if (fd >= 0 && !add(t, job, fd))
		close(fd);
}

struct proc {
	pid_t pid, ppid;
};

/* Every process /proc shows, with its parent: one pass over /proc. */
static struct proc *snapshot(size_t *count)
{
	DIR *d = opendir("/proc");
	struct proc *all = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			struct proc *grown = realloc(all, cap * sizeof *all);
			if (!grown)
				break;
			all = grown;
		}
		all[n++] = (struct proc){ (pid_t)pid, ppid_of((pid_t)pid) };
	}
	if (d)
		closedir(d);
	*count = n;
	return all;
}

/* Pin every descendant the snapshot shows; parents come before their
 * children, so repeat until a pass pins nothing more. */
static void pin_descendants(struct tree *t)
{
	size_t count;
	struct proc *all = snapshot(&count);
	bool more = true;
	while (more) {
		more = false;
		for (size_t i = 0; i < count; i++)
			if (!is_pinned(t, all[i].pid) && is_ours(t, all[i].ppid))
				more |= pin(t, all[i].pid);
	}
	free(all);
}

static void send(const struct pinned *p, int sig)
{
	if (p->fd < 0)
		return;
	pidfd_signal(p->fd, sig);
	if (sig != SIGKILL)
		pidfd_signal(p->fd, SIGCONT);
}

size_t tree_signal(struct tree *t, int sig)
{
	size_t before = t->n;
	for (size_t i = 0; i < t->n; i++)
		send(&t->p[i], sig);
	size_t done = t->n;
	for (int walk = 0; walk < WALKS_MAX; walk++) {
		pin_descendants(t);
		if (done == t->n)
			break;
		for (; done < t->n; done++)
			send(&t->p[done], sig);
	}
	return t->n - before;
}

size_t tree_update(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++) {
		struct pollfd pfd = { .fd = t->p[i].fd, .events = POLLIN };
		if (pfd.fd >= 0 && poll(&pfd, 1, 0) == 1) {
			close(pfd.fd);
			t->p[i].fd = -1;
			t->alive--;
		}
	}
	return t->alive;
}

void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].fd >= 0)
			close(t->p[i].fd);
	free(t->p);
	memset(t, 0, sizeof *t);
}
