#include "supervise.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "monotime.h"
#include "msg.h"
#include "signals.h"
void stdio_ensure_open(void)
{
	for (int fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) >= 0 || errno != EBADF)
			continue;
		/* The lowest free descriptor is FD itself. */
		int null = open("/dev/null", O_RDWR);
		if (null >= 0 && null != fd)
			close(null);
	}
}

static bool ignored_at_start(int sig)
{
	struct sigaction sa;
	return sigaction(sig, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN;
}

int supervise_init(struct supervisor *sv)
{
	memset(sv, 0, sizeof *sv);
	sv->sigfd = sv->jobfd = -1;
	sv->timeout.timerfd = -1;
	sv->job_stdio[0] = sv->job_stdio[1] = -1;
	sv->pid1 = getpid() == 1;
	sigprocmask(SIG_SETMASK, NULL, &sv->inherited_mask);
	sigemptyset(&sv->forwarded);
	/* A signal ignored at start stays ignored, here and in the job: it is
	 * not blocked, so the kernel keeps discarding it. */
	for (int sig = 1; sig < NSIG; sig++)
		if (signal_is_forwarded(sig) && !ignored_at_start(sig))
			sigaddset(&sv->forwarded, sig);
	/* SIGCHLD ignored would reap the job behind our back. */
	if (ignored_at_start(SIGCHLD)) {
		sv->chld_ignored = true;
		signal(SIGCHLD, SIG_DFL);
	}
	sigaddset(&sv->forwarded, SIGCHLD);
	sigset_t block = sv->inherited_mask;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(&sv->forwarded, sig) == 1)
			sigaddset(&block, sig);
	if (sigprocmask(SIG_SETMASK, &block, NULL) != 0)
		return -1;
	sv->sigfd = signalfd(-1, &sv->forwarded, SFD_CLOEXEC);
	return sv->sigfd < 0 ? -1 : 0;
}

/* In the child: only async-signal-safe calls from here to exec.  The child
 * of vfork() runs on hbrun's memory and stack until it execs, so it also
 * changes no variable of hbrun's and never returns: what it has to say
 * goes through the pipe. */
static _Noreturn void exec_job(const struct supervisor *sv,
			       char *const argv[], int errfd, pid_t parent)
{
	if (sv->chld_ignored)
		signal(SIGCHLD, SIG_IGN);
	sigprocmask(SIG_SETMASK, &sv->inherited_mask, NULL);
	/* With a timeout, a job must not run on unlimited if hbrun is
	 * killed. */
	if (sv->timeout.secs > 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(128 + SIGKILL); /* hbrun died before that */
	}
	for (int i = 0; i < 2; i++)
		if (sv->job_stdio[i] >= 0)
			dup2(sv->job_stdio[i], STDOUT_FILENO + i);
	execvp(argv[0], argv);
	int err = errno;
	while (write(errfd, &err, sizeof err) < 0 && errno == EINTR)
		;
	_exit(127);
}

/* The errno of a failed exec, or 0 once the exec succeeded (the pipe's
 * write end closed on exec). */
static int exec_result(int errfd)
{
	int err = 0;
	ssize_t n;
	do
		n = read(errfd, &err, sizeof err);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof err ? err : 0;
}

static void close_jobfd(struct supervisor *sv)
{
	if (sv->jobfd >= 0)
		close(sv->jobfd);
	sv->jobfd = -1;
}

/* Reap what has ended; as PID 1, or as the subreaper of a job with a
 * timeout, that includes every orphan. */
static void reap(struct supervisor *sv)
{
	bool all = sv->pid1 || sv->timeout.secs > 0;
	pid_t target = all ? -1 : sv->job;
	if (target == 0)
		return;
	for (;;) {
		int status;
		struct rusage usage;
		pid_t pid = wait4(target, &status, WNOHANG, &usage);
		if (pid <= 0)
			return;
		if (pid == sv->job) {
			sv->ended_at = monotime_now();
			sv->wstatus = status;
			sv->usage = usage;
			sv->usage_known = true;
			sv->job = 0;
			close_jobfd(sv);
			if (!all)
				return;
		}
	}
}

/* Whether JOB is in hbrun's process group; a job already gone counts as
 * in it, as there is nothing to forward to. */
static bool in_our_group(pid_t job)
{
	pid_t group = job > 0 ? getpgid(job) : -1;
	return group < 0 || group == getpgrp();
}

static void forward(struct supervisor *sv, const struct signalfd_siginfo *si)
{
	int sig = (int)si->ssi_signo;
	if (signal_is_stop(sig)) {
		if (!sv->stop_requested)
			sv->stop_signal = sig;
		sv->stop_requested = true;
	}
	/* The terminal sent it to hbrun's whole process group: the job has
	 * it already, unless it moved to a group of its own. */
	if (si->ssi_code == SI_KERNEL && in_our_group(sv->job))
		return;
	/* hbrun's own doing, such as SIGPIPE from a write to a closed stderr. */
	if ((pid_t)si->ssi_pid == getpid() &&
	    (si->ssi_code == SI_USER || si->ssi_code == SI_TKILL))
		return;
	if (sv->job > 0)
		kill(sv->job, sig);
}

static int read_signal(int fd, struct signalfd_siginfo *si)
{
	ssize_t n;
	do
		n = read(fd, si, sizeof *si);
	while (n < 0 && errno == EINTR);
	return n == (ssize_t)sizeof *si ? 0 : -1;
}

void supervise_on_signal(struct supervisor *sv)
{
	struct signalfd_siginfo si;
	if (read_signal(sv->sigfd, &si) != 0)
		return;
	if (si.ssi_signo == SIGCHLD)
		reap(sv);
	else
		forward(sv, &si);
}

void supervise_on_job_end(struct supervisor *sv)
{
	reap(sv);
}

bool supervise_waiting(const struct supervisor *sv)
{
	return sv->job > 0 || timeout_busy(&sv->timeout);
}

void supervise_wait_plain(struct supervisor *sv)
{
	if (sv->job > 0 &&
	    wait4(sv->job, &sv->wstatus, 0, &sv->usage) == sv->job) {
		sv->ended_at = monotime_now();
		sv->usage_known = true;
	}
	sv->job = 0;
}

/* Without the signalfd, a pidfd of the job, readable once it has ended,
 * tells of its end (SIGCHLD does otherwise; valgrind 3.19 warns of the
 * call, unknown to it).  -1 where neither can be had. */
static int job_pidfd(const struct supervisor *sv, pid_t pid)
{
	return sv->sigfd >= 0 ? -1 : (int)syscall(SYS_pidfd_open, pid, 0);
}

int supervise_start(struct supervisor *sv, char *const argv[])
{
	int pipefd[2];
	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return errno;
	/* vfork(): the job starts without a copy of hbrun's page tables, and
	 * hbrun takes no copy-on-write faults on its own pages afterwards;
	 * hbrun is suspended only until the exec.  (valgrind runs it as a
	 * fork, which the pipe is right for too.)  The analyzers object to
	 * any call in a vfork child but exec and _exit; exec_job's others are
	 * sigprocmask, sigaction, prctl, getppid and write, system calls that change nothing
	 * of hbrun's, as in glibc's own posix_spawn, which cannot be used
	 * here: it has no way to hand the job SIGCHLD ignored. */
	pid_t self = getpid();
	/* NOLINTNEXTLINE(clang-analyzer-security.insecureAPI.vfork) */
	pid_t pid = vfork();
	if (pid < 0) {
		int err = errno;
		close(pipefd[0]);
		close(pipefd[1]);
		return err;
	}
	if (pid == 0)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Vfork) */
		exec_job(sv, argv, pipefd[1], self);
	sv->job = pid;
	sv->started_at = monotime_now();
	close(pipefd[1]);
	for (int i = 0; i < 2; i++) {
		if (sv->job_stdio[i] >= 0)
			close(sv->job_stdio[i]);
		sv->job_stdio[i] = -1;
	}
	int err = exec_result(pipefd[0]);
	close(pipefd[0]);
	if (err) {
		waitpid(pid, NULL, 0);
		sv->job = 0;
		return err;
	}
	sv->jobfd = job_pidfd(sv, pid);
	/* Counted from the job's start, the exec included. */
	if (timeout_arm(&sv->timeout) != 0)
		msg_error("cannot set the timeout: %s", strerror(errno));
	return 0;
}

bool supervise_stop_arrived(struct supervisor *sv)
{
	bool stop = false;
	int flags = fcntl(sv->sigfd, F_GETFL);
	fcntl(sv->sigfd, F_SETFL, flags | O_NONBLOCK);
	struct signalfd_siginfo si;
	while (read_signal(sv->sigfd, &si) == 0) {
		if (si.ssi_signo == SIGCHLD)
			reap(sv);
		else if (signal_is_stop((int)si.ssi_signo))
			stop = true;
	}
	fcntl(sv->sigfd, F_SETFL, flags);
	return stop;
}

static bool stop_arrived(void *ctx)
{
	return supervise_stop_arrived(ctx);
}

struct cancel supervise_cancel(struct supervisor *sv)
{
	return (struct cancel){ .fd = sv->sigfd, .arrived = stop_arrived,
				.ctx = sv };
}

void supervise_free(struct supervisor *sv)
{
	if (sv->sigfd >= 0)
		close(sv->sigfd);
	sv->sigfd = -1;
	close_jobfd(sv);
	timeout_free(&sv->timeout);
}
