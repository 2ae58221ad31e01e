#include "tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
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
	if (!end || end[1] != ' ' || !end[2] || end[3] != ' ')
		return -1;
	char *after;
	errno = 0;
	long ppid = strtol(end + 4, &after, 10);
	if (errno || after == end + 4 || ppid < 0 || ppid > INT32_MAX)
		return -1;
	return (pid_t)ppid;
}

unsigned long long stat_starttime(const char *stat)
{
	/* Field 22; the fields after COMM are counted from its ')'. */
	const char *p = strrchr(stat, ')');
	for (int field = 2; p && field < 22; field++) {
		p = strchr(p + 1, ' ');
		if (p && p[1] == ' ')
			return 0;
	}
	char *after;
	errno = 0;
	unsigned long long v = p ? strtoull(p + 1, &after, 10) : 0;
	return p && !errno && after != p + 1 ? v : 0;
}

/* The 22nd field of /proc/PID/stat, when the process started; 0 when it
 * cannot be read. */
static unsigned long long start_of(pid_t pid)
{
	char path[32], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return stat_starttime(buf);
}

/* The third field of /proc/PID/stat, and the state in *STATE. */
static pid_t stat_of(pid_t pid, char *state)
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
	const char *end = strrchr(buf, ')');
	*state = (char)(end && end[1] == ' ' ? end[2] : '?');
	return stat_ppid(buf);
}

static pid_t ppid_of(pid_t pid)
{
	char state;
	return stat_of(pid, &state);
}

/* pidfds where the system has them (Linux 5.3 on; not under valgrind
 * 3.19, which does not know the call): asked once. */
static int pidfd_open_(pid_t pid)
{
	static bool missing;
	if (missing)
		return UNPINNED;
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0 && errno == ENOSYS) {
		missing = true;
		return UNPINNED;
	}
	return fd;
}

static int pidfd_signal(int fd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0);
}

/* Whether the process of P has not ended yet. */
static bool running(const struct pinned *p)
{
	if (p->fd == UNPINNED) {
		char state = 'X';
		return stat_of(p->pid, &state) >= 0 && state != 'Z' &&
		       state != 'X';
	}
	struct pollfd pfd = { .fd = p->fd, .events = POLLIN };
	return p->fd >= 0 && poll(&pfd, 1, 0) == 0;
}

/* A process of ours still running under PID: its PID is its own. */
static bool is_pinned(const struct tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].pid == pid && running(&t->p[i]))
			return true;
	return false;
}

/* A parent that vouches for a child: hbrun, or a process of ours that
 * still runs (when a parent ends, its children move to hbrun at once). */
static bool is_ours(const struct tree *t, pid_t ppid)
{
	return ppid > 0 && (ppid == getpid() || is_pinned(t, ppid));
}

/* A process hbrun had before the job started (`sidecar & exec hbrun`), or
 * one started before the job was (an orphan of such a one): never the
 * job's descendant. */
static bool is_stranger(const struct tree *t, pid_t pid)
{
	for (size_t i = 0; i < t->n_strangers; i++)
		if (t->strangers[i].pid == pid && running(&t->strangers[i]))
			return true;
	unsigned long long start = t->job_start ? start_of(pid) : 0;
	return start && start < t->job_start;
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

/* Pin PID if it is a descendant.  What the walk saw may have ended since,
 * its PID gone to a stranger: so the parent is read once the process is
 * pinned, and believed only if the pinned process and the parent still
 * run after the read (a running process keeps its PID). */
static bool pin(struct tree *t, pid_t pid)
{
	if (is_stranger(t, pid))
		return false;
	int fd = pidfd_open_(pid);
	if (fd < 0 && fd != UNPINNED)
		return false;
	struct pinned p = { pid, fd };
	pid_t ppid = ppid_of(pid);
	if (!is_ours(t, ppid) || !running(&p) || !add(t, pid, fd)) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	return true;
}

void tree_pin(struct tree *t, pid_t job)
{
	/* Our own child, not reaped: its PID cannot change hands. */
	int fd = job > 0 && !is_pinned(t, job) ? pidfd_open_(job) : -1;
	if (job > 0 && !t->job_start)
		t->job_start = start_of(job);
	if ((fd >= 0 || fd == UNPINNED) && !add(t, job, fd) && fd >= 0)
		close(fd);
}

struct proc {
	pid_t pid, ppid;
};

/* Every process /proc shows, with its parent: one pass over /proc. */
static struct proc *snapshot(size_t *count)
{
	DIR *d = opendir("/proc");
	if (!d)
		*count = 0;
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
	/* /proc shows at least hbrun itself. */
	if (!all || !count)
		t->proc_unreadable = true;
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
	if (p->fd == UNPINNED) {
		/* Without pidfds: checked just before, as close as it gets. */
		if (running(p)) {
			kill(p->pid, sig);
			if (sig != SIGKILL)
				kill(p->pid, SIGCONT);
		}
		return;
	}
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
		struct pinned *p = &t->p[i];
		if ((p->fd >= 0 || p->fd == UNPINNED) && !running(p)) {
			if (p->fd >= 0)
				close(p->fd);
			p->fd = ENDED;
			t->alive--;
		}
	}
	return t->alive;
}

bool tree_unpinned(const struct tree *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].fd == UNPINNED)
			return true;
	return false;
}

void tree_note_strangers(struct tree *t)
{
	char path[64], buf[4096];
	snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	/* More children than the buffer holds: the rest are not noted. */
	char *end;
	for (const char *p = buf;; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p || pid <= 0 || pid > INT32_MAX)
			break;
		struct pinned *grown = realloc(t->strangers,
					       (t->n_strangers + 1) * sizeof *grown);
		if (!grown)
			break;
		t->strangers = grown;
		int pfd = pidfd_open_((pid_t)pid);
		if (pfd >= 0 || pfd == UNPINNED)
			t->strangers[t->n_strangers++] = (struct pinned){ (pid_t)pid, pfd };
	}
}

void tree_free(struct tree *t)
{
	for (size_t i = 0; i < t->n_strangers; i++)
		if (t->strangers[i].fd >= 0)
			close(t->strangers[i].fd);
	free(t->strangers);
	for (size_t i = 0; i < t->n; i++)
		if (t->p[i].fd >= 0)
			close(t->p[i].fd);
	free(t->p);
	memset(t, 0, sizeof *t);
}
