#include "found.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "invocation.h"

struct found_job *found_add(struct found_list *l, enum found_kind kind,
			    const char *path, long line)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct found_job *v = realloc(l->v, cap * sizeof *v);
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	struct found_job *j = &l->v[l->n];
	memset(j, 0, sizeof *j);
	j->kind = kind;
	j->grace = -1;
	size_t len = strlen(path) + 24;
	j->place = malloc(len);
	if (!j->place)
		return NULL;
	snprintf(j->place, len, "%s:%ld", path, line);
	l->n++;
	return j;
}

bool found_set(char **slot, const char *value)
{
	free(*slot);
	*slot = value ? strdup(value) : NULL;
	return !value || *slot;
}

static bool is_shell(const char *w)
{
	const char *b = strrchr(w, '/');
	b = b ? b + 1 : w;
	return !strcmp(b, "sh") || !strcmp(b, "bash") || !strcmp(b, "dash") ||
	       !strcmp(b, "ash");
}

/* WORDS as one command: hbrun's or not. */
static bool command_job(struct found_job *j, char *const *words, size_t n)
{
	struct invocation inv;
	if (!invocation_read(words, n, &inv))
		return false;
	bool ok = true;
	if (!inv.runs_hbrun) {
		j->kind = FOUND_UNMONITORED;
	} else {
		if (j->kind != FOUND_SUSPENDED)
			j->kind = inv.name ? FOUND_JOB : FOUND_NO_NAME;
		ok = found_set(&j->name, inv.name) &&
		     found_set(&j->config, inv.config ? inv.config
						      : inv.config_env) &&
		     found_set(&j->token_file, inv.token_file) &&
		     found_set(&j->timeout, inv.timeout) &&
		     found_set(&j->ping_deadline, inv.ping_deadline);
		j->token_given = inv.token_given;
	}
	invocation_free(&inv);
	return ok;
}

typedef bool command_fn(struct found_job *j, char *const *words, size_t n);

/* The simple commands of shell TEXT, each read by STEP until one runs
 * hbrun. */
static bool each_command(struct found_job *j, const char *text,
			 command_fn *step)
{
	struct strv *cmds;
	size_t n;
	if (!shell_commands(text, &cmds, &n)) {
		j->kind = FOUND_UNREADABLE;
		return found_set(&j->why, "a quote is left open");
	}
	bool ok = true;
	j->kind = FOUND_UNMONITORED;
	for (size_t i = 0; ok && i < n && j->kind == FOUND_UNMONITORED; i++)
		ok = step(j, cmds[i].v, cmds[i].n);
	words_free_all(cmds, n);
	return ok;
}

/* sh -c SCRIPT: the script's own commands are what runs (one level: an
 * sh -c inside it is read as a command, not opened again). */
static bool shell_or_command(struct found_job *j, char *const *words,
			     size_t n)
{
	if (n >= 3 && is_shell(words[0]) && strcmp(words[1], "-c") == 0)
		return each_command(j, words[2], command_job);
	return command_job(j, words, n);
}

bool found_from_words(struct found_job *j, char *const *words, size_t n)
{
	return shell_or_command(j, words, n);
}

bool found_from_shell(struct found_job *j, const char *text)
{
	return each_command(j, text, shell_or_command);
}

static void found_job_free(struct found_job *j)
{
	free(j->place);
	free(j->command);
	free(j->name);
	strv_free(&j->exprs);
	free(j->tz);
	free(j->user);
	free(j->config);
	free(j->token_file);
	free(j->secret);
	free(j->timeout);
	free(j->ping_deadline);
	free(j->why);
	free(j->section_tz);
	free(j->dest);
}

void found_list_free(struct found_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		found_job_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof *l);
}
