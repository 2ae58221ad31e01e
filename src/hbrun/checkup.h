/* hbrun --check: run nothing, send no HTTP request; show the settings with
 * where each came from, the warnings a run would print, and whether a ping
 * could be sent.  See hbrun(1), --check. */
#ifndef HBRUN_CHECKUP_H
#define HBRUN_CHECKUP_H

#include "cli.h"
#include "settings.h"

/* Print the report to stdout for settings S, read from LAYERS (LAYER_COUNT
 * of them) by CLI.  Returns hbrun's exit status: 0 when no check found a
 * problem, else 1. */
int check_main(const struct settings *s, const struct layer layers[],
	       const struct cli *cli);

/* Pure: where setting D's value came from, into BUF: "default", "command
 * line", "environment NAME" or "FILE:LINE", for the deciding layer FROM
 * (-1: the default) of LAYERS. */
void check_source(const struct setting_def *d, const struct layer layers[],
		  int from, int id, char *buf, size_t size);

#endif
