/* What the finders found: every scheduled command of every source, with
 * its place, its schedule and what its hbrun command line says.  The
 * finders (find_cron.c, find_units.c, find_manifest.c) fill it, sync.c
 * completes it, plan.c reads it. */
#ifndef HBCTL_FOUND_H
#define HBCTL_FOUND_H

#include <stdbool.h>
#include <stddef.h>

#include "words.h"

enum found_kind {
	FOUND_JOB,         /* runs hbrun -j NAME */
	FOUND_NO_NAME,     /* runs hbrun without -j */
	FOUND_UNMONITORED, /* runs no hbrun */
	FOUND_SUSPENDED,   /* a suspended CronJob that runs hbrun -j NAME */
	FOUND_UNREADABLE,  /* a line or unit that cannot be read: WHY */
};

/* Where a created heartbeat's token would go. */
enum token_to {
	TOKEN_TO_CONFIG,     /* section [NAME] of DEST */
	TOKEN_TO_FILE,       /* the token file DEST, made */
	TOKEN_TO_SECRET,     /* nowhere: a Kubernetes Secret, DEST says which */
	TOKEN_TO_NOWHERE,    /* refused: WHY */
};

struct found_job {
	enum found_kind kind;
	char *place;         /* FILE:LINE */
	char *command;       /* the command as written, for unmonitored */
	char *name;          /* -j NAME */
	struct strv exprs;   /* the schedule: cron or calendar expressions */
	char *tz;            /* CRON_TZ=, timeZone=: the source's zone */
	long every;          /* OnUnitActiveSec= in seconds; 0: none */
	long extra_grace;    /* a timer's delays, added to the grace */
	char *user;          /* who runs it, where the source says; or NULL */
	char *config;        /* the job's -c FILE (or HBRUN_CONFIG=) */
	char *token_file;    /* its --token-file, specifiers resolved */
	bool token_given;    /* the token is in the command line itself */
	char *secret;        /* a manifest: where the token comes from */
	char *timeout;       /* --timeout, --ping-deadline on its command line */
	char *ping_deadline;
	char *why;           /* FOUND_UNREADABLE: why */
	/* Completed by sync.c before the plan: */
	long grace;          /* -1: not known */
	char *section_tz;    /* tz of the job's config section */
	enum token_to token_to;
	char *dest;          /* TOKEN_TO_CONFIG, _FILE: the file; _SECRET: the
				Secret; _NOWHERE: why */
};

struct found_list {
	struct found_job *v;
	size_t n, cap;
};

/* A new, zeroed job at the end of L, its place PATH:LINE; NULL when memory
 * ran out. */
struct found_job *found_add(struct found_list *l, enum found_kind kind,
			    const char *path, long line);

/* Set *SLOT to a copy of VALUE (NULL too); false when memory ran out. */
bool found_set(char **slot, const char *value);

/* From the hbrun command line in WORDS (N of them): the kind, the name,
 * the config, the token file; for sh -c SCRIPT, from the script's
 * commands (one level deep).  False when memory ran out. */
bool found_from_words(struct found_job *j, char *const *words, size_t n);

/* The same from shell text (a crontab's command, a container's sh -c):
 * the first of its simple commands that runs hbrun decides; with none,
 * unmonitored; a quote left open, unreadable. */
bool found_from_shell(struct found_job *j, const char *text);

void found_list_free(struct found_list *l);

#endif
