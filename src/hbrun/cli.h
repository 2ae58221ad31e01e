/* The command line: hbrun's own options, then the job's words untouched. */
#ifndef HBRUN_CLI_H
#define HBRUN_CLI_H

#include <stdbool.h>

#include "settings.h"

struct cli {
	struct layer *layer; /* the command line's settings go here */
	const char *job;     /* -j NAME */
	const char *config;  /* -c FILE */
	bool verbose;
	bool check;          /* --check: run nothing, send nothing */
	char **command;      /* the job's argv, NULL-ended; with --check, may
				be empty */
};

enum cli_result { CLI_RUN, CLI_EXIT_OK, CLI_USAGE };

/* Parse ARGV.  CLI_USAGE has already said what is wrong.  A token given
 * with -t is overwritten in ARGV once copied. */
enum cli_result cli_parse(int argc, char **argv, struct cli *cli);

#endif
