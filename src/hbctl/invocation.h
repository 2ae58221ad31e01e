/* Where a scheduled command runs hbrun, and what its command line says
 * that sync needs: the job's name, its config file, its token file.  Pure:
 * words in, a reading out. */
#ifndef HBCTL_INVOCATION_H
#define HBCTL_INVOCATION_H

#include <stdbool.h>
#include <stddef.h>

struct invocation {
	bool runs_hbrun;
	char *name;          /* -j NAME; NULL: none */
	char *config;        /* -c FILE */
	char *token_file;    /* --token-file FILE, as written */
	bool token_given;    /* -t / HBRUN_TOKEN=: the token is in the command */
	char *timeout;       /* --timeout, --ping-deadline as written */
	char *ping_deadline;
	char *config_env;    /* HBRUN_CONFIG= before the command */
};

/* Read the words of one simple command (WORDS, N of them): hbrun itself,
 * or after environment assignments, env (and its options), nice, ionice,
 * nohup (under any folder) and the shell's exec.  Options are hbrun's, read up to the job's command.
 * False when memory ran out; otherwise OUT says whether hbrun runs. */
bool invocation_read(char *const *words, size_t n, struct invocation *out);

void invocation_free(struct invocation *inv);

#endif
