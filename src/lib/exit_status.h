/* The one translation of the job's wait status into hbrun's own ending. */
#ifndef HBRUN_EXIT_STATUS_H
#define HBRUN_EXIT_STATUS_H

#include <stdbool.h>
#include <stddef.h>

/* coreutils' vocabulary for a job that did not run. */
#define EXIT_CANNOT_INVOKE 126
#define EXIT_ENOENT 127
#define EXIT_USAGE 125

struct ending {
	int exit_code; /* exit with this ... */
	int signal;    /* ... unless nonzero: die of this signal */
};

/* WSTATUS is what waitpid() gave for the job.  As PID 1 the kernel would
 * drop a signal hbrun raised at itself, so it exits 128+S instead. */
struct ending exit_status_of(int wstatus, bool pid1);

/* The exit status for a job whose exec failed with ERR. */
int exit_status_of_exec_error(int err);

/* Why COMMAND could not be executed with ERR, in words, into BUF: for a
 * file that exists but whose "#!" interpreter or ELF loader does not,
 * that, rather than a bare "No such file or directory". */
void exec_error_reason(const char *command, int err, char *buf, size_t size);

/* End the process as ENDING says.  Death by signal leaves no core. */
_Noreturn void end_as(struct ending ending);

#endif
