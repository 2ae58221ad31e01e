#include "invocation.h"

#include <stdlib.h>
#include <string.h>

#include "settings.h"

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');
	return slash ? slash + 1 : path;
}

static bool is_assignment(const char *w)
{
	size_t n = strcspn(w, "=");
	if (!w[n] || n == 0 || (w[0] >= '0' && w[0] <= '9'))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!(w[i] == '_' || (w[i] >= 'a' && w[i] <= 'z') ||
		      (w[i] >= 'A' && w[i] <= 'Z') || (w[i] >= '0' && w[i] <= '9')))
			return false;
	return true;
}

/* The options of the wrappers that take an argument in the next word. */
static bool wrapper_takes_arg(const char *prog, const char *opt)
{
	if (strcmp(prog, "env") == 0)
		return !strcmp(opt, "-u") || !strcmp(opt, "--unset") ||
		       !strcmp(opt, "-C") || !strcmp(opt, "--chdir") ||
		       !strcmp(opt, "-S") || !strcmp(opt, "--split-string");
	if (strcmp(prog, "nice") == 0)
		return !strcmp(opt, "-n") || !strcmp(opt, "--adjustment");
	if (strcmp(prog, "exec") == 0)
		return !strcmp(opt, "-a");
	if (strcmp(prog, "ionice") == 0)
		return !strcmp(opt, "-c") || !strcmp(opt, "-n") ||
		       !strcmp(opt, "-p") || !strcmp(opt, "-P") ||
		       !strcmp(opt, "-u") || !strcmp(opt, "--class") ||
		       !strcmp(opt, "--classdata");
	return false;
}

/* Past a wrapper's own options (and env's assignments) to its command. */
static size_t past_wrapper(char *const *w, size_t n, size_t i,
			   struct invocation *out)
{
	const char *prog = base_name(w[i++]);
	while (i < n) {
		if (strcmp(w[i], "--") == 0)
			return i + 1;
		if (strcmp(prog, "env") == 0 && is_assignment(w[i])) {
			if (strncmp(w[i], "HBRUN_TOKEN=", 12) == 0 && w[i][12])
				out->token_given = true;
			i++;
			continue;
		}
		if (w[i][0] != '-' || !w[i][1])
			return i;
		i += wrapper_takes_arg(prog, w[i]) ? 2 : 1;
	}
	return i;
}

static bool is_wrapper(const char *w)
{
	const char *b = base_name(w);
	return !strcmp(b, "env") || !strcmp(b, "nice") || !strcmp(b, "ionice") ||
	       !strcmp(w, "exec") || !strcmp(b, "nohup");
}

static bool keep(char **slot, const char *value)
{
	free(*slot);
	*slot = strdup(value);
	return *slot != NULL;
}

/* hbrun's option NAME (long, without "--") or LETTER: which field it
 * fills, and whether it takes an argument. */
static char **option_slot(struct invocation *inv, const char *name, int letter,
			  bool *takes_arg)
{
	*takes_arg = true;
	if (letter == 'j' || (name && !strcmp(name, "job")))
		return &inv->name;
	if (letter == 'c' || (name && !strcmp(name, "config")))
		return &inv->config;
	for (int id = 0; id < S_COUNT; id++) {
		const struct setting_def *d = &setting_defs[id];
		if (!d->option || !(d->flags & SETTING_HBRUN))
			continue;
		if ((name && strcmp(d->option, name) == 0) ||
		    (letter && d->letter == letter)) {
			*takes_arg = d->arg != NULL;
			if (id == S_TOKEN)
				inv->token_given = true;
			return id == S_TOKEN_FILE ? &inv->token_file
			     : id == S_TIMEOUT ? &inv->timeout
			     : id == S_PING_DEADLINE ? &inv->ping_deadline
			     : NULL;
		}
	}
	*takes_arg = false; /* -v, -q, --check, or one hbrun refuses */
	return NULL;
}

/* A long option at W[*I]: "--name=value" or "--name value". */
static bool long_option(char *const *w, size_t n, size_t *i,
			struct invocation *inv)
{
	const char *word = w[*i] + 2;
	const char *eq = strchr(word, '=');
	char name[64];
	size_t len = eq ? (size_t)(eq - word) : strlen(word);
	if (len >= sizeof name)
		len = sizeof name - 1;
	memcpy(name, word, len);
	name[len] = '\0';
	bool arg;
	char **slot = option_slot(inv, name, 0, &arg);
	const char *value = eq ? eq + 1 : NULL;
	if (arg && !eq)
		value = *i + 1 < n ? w[++*i] : NULL;
	return !slot || !value || keep(slot, value);
}

/* Short options grouped at W[*I]: "-vj" "NAME", "-jNAME". */
static bool short_options(char *const *w, size_t n, size_t *i,
			  struct invocation *inv)
{
	for (const char *s = w[*i] + 1; *s; s++) {
		bool arg;
		char **slot = option_slot(inv, NULL, *s, &arg);
		if (!arg)
			continue;
		const char *value = s[1] ? s + 1 : *i + 1 < n ? w[++*i] : NULL;
		return !slot || !value || keep(slot, value);
	}
	return true;
}

static bool hbrun_options(char *const *w, size_t n, size_t i,
			  struct invocation *inv)
{
	for (; i < n; i++) {
		if (strcmp(w[i], "--") == 0 || w[i][0] != '-' || !w[i][1])
			return true;
		bool ok = w[i][1] == '-' ? long_option(w, n, &i, inv)
					 : short_options(w, n, &i, inv);
		if (!ok)
			return false;
	}
	return true;
}

bool invocation_read(char *const *w, size_t n, struct invocation *out)
{
	memset(out, 0, sizeof *out);
	size_t i = 0;
	for (;;) {
		while (i < n && is_assignment(w[i])) {
			if (!strncmp(w[i], "HBRUN_TOKEN=", 12) && w[i][12])
				out->token_given = true;
			if (!strncmp(w[i], "HBRUN_CONFIG=", 13) && w[i][13] &&
			    !keep(&out->config_env, w[i] + 13))
				return false;
			i++;
		}
		if (i < n && is_wrapper(w[i]))
			i = past_wrapper(w, n, i, out);
		else
			break;
	}
	if (i >= n || strcmp(base_name(w[i]), "hbrun") != 0)
		return true;
	out->runs_hbrun = true;
	return hbrun_options(w, n, i + 1, out);
}

void invocation_free(struct invocation *inv)
{
	free(inv->name);
	free(inv->config);
	free(inv->token_file);
	free(inv->timeout);
	free(inv->ping_deadline);
	free(inv->config_env);
	memset(inv, 0, sizeof *inv);
}
