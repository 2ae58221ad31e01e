/* Command lines as the schedulers hand them on: a crontab's or a
 * manifest's shell text (as /bin/sh reads it, far enough to find the
 * simple commands and their words) and a unit's ExecStart= (systemd's own
 * quoting).  Pure: nothing is expanded but quotes and escapes. */
#ifndef HBCTL_WORDS_H
#define HBCTL_WORDS_H

#include <stdbool.h>
#include <stddef.h>

/* A growing array of malloc'd strings. */
struct strv {
	char **v;
	size_t n, cap;
};

/* Append a copy of S (LEN bytes); false when memory ran out. */
bool strv_push(struct strv *a, const char *s, size_t len);
bool strv_add(struct strv *a, const char *s);
void strv_free(struct strv *a);

/* Each simple command of the shell text TEXT, its words with the quotes
 * removed and redirections left out, into *CMDS (an array of *N strv,
 * to free with words_free_all).  Commands end at ; & | && || ( ) and new
 * lines; a word starting with # begins a comment.  False when memory ran
 * out or a quote is left open (the shell would refuse the line too). */
bool shell_commands(const char *text, struct strv **cmds, size_t *n);
void words_free_all(struct strv *cmds, size_t n);

/* The words of one ExecStart= value, systemd's way: white space between
 * words, "..." and '...' quoting, C escapes; the prefixes @ - : + ! !! of
 * the first word dropped (with @, the second word, argv[0], too).  False
 * for an unbalanced quote or no word at all. */
bool exec_words(const char *text, struct strv *out);

#endif
