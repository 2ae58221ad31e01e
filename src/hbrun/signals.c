#include "signals.h"

#include <signal.h>

bool signal_is_forwarded(int sig)
{
	switch (sig) {
	case SIGKILL: case SIGSTOP:               /* cannot be caught */
	case SIGTSTP: case SIGTTIN: case SIGTTOU: /* the terminal's */
	case SIGSEGV: case SIGBUS: case SIGFPE:   /* hbrun's own faults */
	case SIGILL: case SIGTRAP: case SIGSYS:
		return false;
	default:
		return sig > 0 && sig < NSIG;
	}
}

bool signal_is_stop(int sig)
{
	return sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT;
}
