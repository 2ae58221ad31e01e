#include "words.h"

#include <stdlib.h>
#include <string.h>

bool strv_push(struct strv *a, const char *s, size_t len)
{
	if (a->n + 1 >= a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 8;
		char **v = realloc(a->v, cap * sizeof *v);
		if (!v)
			return false;
		a->v = v;
		a->cap = cap;
	}
	char *c = malloc(len + 1);
	if (!c)
		return false;
	memcpy(c, s, len);
	c[len] = '\0';
	a->v[a->n++] = c;
	a->v[a->n] = NULL;
	return true;
}

bool strv_add(struct strv *a, const char *s)
{
	return strv_push(a, s, strlen(s));
}

void strv_free(struct strv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = a->cap = 0;
}

void words_free_all(struct strv *cmds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		strv_free(&cmds[i]);
	free(cmds);
}

/* A word being built, byte by byte. */
struct buf {
	char *p;
	size_t n, cap;
	bool started; /* "" is a word too */
};

static bool buf_put(struct buf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		char *p = realloc(b->p, cap);
		if (!p)
			return false;
		b->p = p;
		b->cap = cap;
	}
	b->p[b->n++] = c;
	b->started = true;
	return true;
}

static bool buf_flush(struct buf *b, struct strv *to)
{
	if (!b->started)
		return true;
	bool ok = strv_push(to, b->p ? b->p : "", b->n);
	b->n = 0;
	b->started = false;
	return ok;
}

struct shell {
	struct strv *cmds;
	size_t n, cap;
	struct buf w;
	bool redirect; /* the next word is a redirection's target */
};

static struct strv *shell_current(struct shell *sh)
{
	if (!sh->cmds) {
		sh->cmds = calloc(8, sizeof *sh->cmds);
		if (!sh->cmds)
			return NULL;
		sh->cap = 8;
		sh->n = 1;
	}
	return &sh->cmds[sh->n - 1];
}

/* End the word; a redirection's target is dropped. */
static bool shell_word_end(struct shell *sh)
{
	if (!sh->w.started)
		return true;
	if (sh->redirect) {
		sh->redirect = false;
		sh->w.n = 0;
		sh->w.started = false;
		return true;
	}
	struct strv *c = shell_current(sh);
	return c && buf_flush(&sh->w, c);
}

/* End the simple command: the next word starts another. */
static bool shell_command_end(struct shell *sh)
{
	if (!shell_word_end(sh))
		return false;
	struct strv *c = shell_current(sh);
	if (!c)
		return false;
	if (c->n == 0)
		return true;
	if (sh->n == sh->cap) {
		struct strv *m = realloc(sh->cmds, 2 * sh->cap * sizeof *m);
		if (!m)
			return false;
		sh->cmds = m;
		sh->cap *= 2;
	}
	memset(&sh->cmds[sh->n++], 0, sizeof *sh->cmds);
	return true;
}

/* A quoted stretch starting at *P (on the quote); false when unclosed. */
static bool shell_quoted(struct shell *sh, const char **p)
{
	char q = **p;
	const char *s = *p + 1;
	sh->w.started = true;
	for (; *s && *s != q; s++) {
		if (q == '"' && *s == '\\' && s[1] &&
		    strchr("$`\"\\\n", s[1]))
			s++;
		if (!buf_put(&sh->w, *s))
			return false;
	}
	if (!*s)
		return false;
	*p = s;
	return true;
}

/* A redirection: digits already in the word, then < or >, its operator
 * characters, and its target (attached or the next word). */
static bool shell_redirection(struct shell *sh, const char **p)
{
	bool digits = true;
	for (size_t i = 0; i < sh->w.n; i++)
		if (sh->w.p[i] < '0' || sh->w.p[i] > '9')
			digits = false;
	if (!digits)
		return false;
	sh->w.n = 0;
	sh->w.started = false;
	const char *s = *p;
	while (*s == '<' || *s == '>' || *s == '&' || *s == '|')
		s++;
	sh->redirect = true;
	*p = s - 1;
	return true;
}

static bool shell_step(struct shell *sh, const char **p)
{
	char c = **p;
	if (c == ' ' || c == '\t')
		return shell_word_end(sh);
	if (strchr(";&|()\n", c))
		return shell_command_end(sh);
	if (c == '#' && !sh->w.started) {
		while ((*p)[1] && (*p)[1] != '\n')
			++*p;
		return true;
	}
	if (c == '\'' || c == '"')
		return shell_quoted(sh, p);
	if ((c == '<' || c == '>') && shell_redirection(sh, p))
		return true;
	if (c == '\\' && (*p)[1]) {
		++*p;
		if (**p == '\n')
			return true;
		return buf_put(&sh->w, **p);
	}
	return buf_put(&sh->w, c);
}

bool shell_commands(const char *text, struct strv **cmds, size_t *n)
{
	struct shell sh = { 0 };
	bool ok = true;
	for (const char *p = text; ok && *p; p++)
		ok = shell_step(&sh, &p);
	ok = ok && shell_command_end(&sh) && shell_current(&sh);
	free(sh.w.p);
	if (!ok) {
		words_free_all(sh.cmds, sh.n);
		return false;
	}
	if (sh.n > 0 && sh.cmds[sh.n - 1].n == 0)
		sh.n--; /* the empty one after the last */
	*cmds = sh.cmds;
	*n = sh.n;
	return true;
}

static int c_escape(char c)
{
	switch (c) {
	case 'a': return '\a';
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	case 's': return ' ';
	default: return c;
	}
}

/* One word of an ExecStart= value from *P: false when a quote is open. */
static bool exec_word(const char **p, struct buf *b)
{
	const char *s = *p;
	char q = 0;
	for (; *s; s++) {
		if (!q && (*s == ' ' || *s == '\t'))
			break;
		if (!q && (*s == '"' || *s == '\'')) {
			q = *s;
			b->started = true;
			continue;
		}
		if (q && *s == q) {
			q = 0;
			continue;
		}
		char c = *s;
		if (c == '\\' && s[1])
			c = (char)c_escape(*++s);
		if (!buf_put(b, c))
			return false;
	}
	*p = s;
	return q == 0;
}

static void exec_prefixes(struct strv *out)
{
	char *w = out->v[0];
	size_t skip = strspn(w, "@-:+!");
	bool at = memchr(w, '@', skip) != NULL;
	memmove(w, w + skip, strlen(w + skip) + 1);
	if (at && out->n >= 2) { /* @EXE ARGV0 ARGS: EXE is what runs */
		free(out->v[1]);
		memmove(&out->v[1], &out->v[2], (out->n - 1) * sizeof *out->v);
		out->n--;
	}
}

bool exec_words(const char *text, struct strv *out)
{
	struct buf b = { 0 };
	const char *p = text;
	bool ok = true;
	while (ok && *p) {
		p += strspn(p, " \t");
		if (!*p)
			break;
		ok = exec_word(&p, &b) && buf_flush(&b, out);
	}
	free(b.p);
	if (!ok || out->n == 0) {
		strv_free(out);
		return false;
	}
	exec_prefixes(out);
	return true;
}
