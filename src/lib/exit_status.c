#include "exit_status.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

struct ending exit_status_of(int wstatus, bool pid1)
{
	struct ending e = { .exit_code = 0, .signal = 0 };
	if (WIFEXITED(wstatus)) {
		e.exit_code = WEXITSTATUS(wstatus);
	} else if (WIFSIGNALED(wstatus)) {
		e.exit_code = 128 + WTERMSIG(wstatus);
		if (!pid1)
			e.signal = WTERMSIG(wstatus);
	} else {
		e.exit_code = EXIT_FAILURE; /* stopped or continued: not an end */
	}
	return e;
}

int exit_status_of_exec_error(int err)
{
	return err == ENOENT ? EXIT_ENOENT : EXIT_CANNOT_INVOKE;
}

/* The file execvp() would have run for COMMAND, if one exists: PATH is
 * searched as execvp() searches it.  Into BUF; false when none. */
static bool found_file(const char *command, char *buf, size_t size)
{
	struct stat st;
	if (strchr(command, '/')) {
		snprintf(buf, size, "%s", command);
		return stat(buf, &st) == 0 && S_ISREG(st.st_mode);
	}
	const char *path = getenv("PATH");
	if (!path)
		path = "/bin:/usr/bin";
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");
		snprintf(buf, size, "%.*s%s%s", (int)len, p, len ? "/" : "",
			 command);
		if (stat(buf, &st) == 0 && S_ISREG(st.st_mode))
			return true;
		p += len + (p[len] == ':');
	}
	return false;
}

void exec_error_reason(const char *command, int err, char *buf, size_t size)
{
	char file[4096], head[256] = "";
	snprintf(buf, size, "%s", strerror(err));
	if (err != ENOENT || !found_file(command, file, sizeof file))
		return;
	int fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, head, sizeof head - 1) : -1;
	if (fd >= 0)
		close(fd);
	head[n > 0 ? n : 0] = '\0';
	if (strncmp(head, "#!", 2) == 0) {
		const char *word = head + 2 + strspn(head + 2, " \t");
		int len = (int)strcspn(word, " \t\n");
		/* A script saved with CRLF line ends names "/bin/sh\r". */
		bool cr = len > 0 && word[len - 1] == '\r';
		snprintf(buf, size, cr ? "its #! line names '%.*s' followed by "
			 "a stray CR (\\r): the script has CRLF line ends"
			 : "its interpreter '%.*s' is missing", len - cr, word);
	} else if (n >= 4 && memcmp(head, "\x7f" "ELF", 4) == 0) {
		snprintf(buf, size, "its ELF loader (program interpreter) is "
			 "missing");
	}
}

#ifndef __has_feature
#define __has_feature(x) 0
#endif
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
#define HBRUN_LSAN 1
void __lsan_do_leak_check(void);
#endif

/* _exit(), not exit(): after a ping, exit()'s handlers are the destructors
 * of libcurl's thirty-odd libraries and OpenSSL's cleanup, which free what
 * the kernel takes back anyway (tests/bench/README.md has the cost).  hbrun
 * registers no handler of its own and has written nothing to stdout by
 * now.  LeakSanitizer checks from an exit handler: in its builds, ask it
 * here, so that leaks still fail the tests. */
static _Noreturn void quick_exit_now(int code)
{
#ifdef HBRUN_LSAN
	__lsan_do_leak_check();
#endif
	_exit(code);
}

_Noreturn void end_as(struct ending ending)
{
	if (ending.signal != 0) {
		/* The job's core, if any, is the job's; hbrun's own would only
		 * mislead, so none is written nor handed to a core handler. */
		struct rlimit none = { 0, 0 };
		setrlimit(RLIMIT_CORE, &none);
		prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);

		struct sigaction dfl = { .sa_handler = SIG_DFL };
		sigemptyset(&dfl.sa_mask);
		sigaction(ending.signal, &dfl, NULL);
		sigset_t only;
		sigemptyset(&only);
		sigaddset(&only, ending.signal);
		raise(ending.signal);
		/* raise() returns when the signal's default action is to ignore
		 * it, or while it is blocked; cppcheck takes it for noreturn. */
		/* cppcheck-suppress unreachableCode */
		sigprocmask(SIG_UNBLOCK, &only, NULL);
	}
	/* Reached for a normal exit, or for a signal whose default action
	 * does not end a process. */
	quick_exit_now(ending.exit_code);
}
