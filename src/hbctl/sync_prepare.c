#include "sync_prepare.h"

#include <math.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf_edit.h"
#include "config.h"
#include "plan.h"
#include "settings.h"

/* The file a config search would make: root's /etc/hbrun.conf, else the
 * user's own. */
static char *new_config_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	char buf[4096];
	if (geteuid() == 0)
		return strdup("/etc/hbrun.conf");
	if (xdg && *xdg == '/')
		snprintf(buf, sizeof buf, "%s/hbrun/hbrun.conf", xdg);
	else if (home && *home)
		snprintf(buf, sizeof buf, "%s/.config/hbrun/hbrun.conf", home);
	else
		return NULL;
	return strdup(buf);
}

/* A number of seconds of setting ID: the command line's TEXT, else the
 * job's section, else the global part; FALLBACK when none is usable. */
static double seconds_of(const char *text, const struct layer *job,
			 const struct layer *global, int id, double fallback)
{
	double v;
	if (text && parse_seconds(text, &v))
		return v;
	if (job->v[id].state == VALUE_SET)
		return job->v[id].number;
	if (global->v[id].state == VALUE_SET)
		return global->v[id].number;
	return fallback;
}

static bool nowhere(struct found_job *j, const char *why)
{
	j->token_to = TOKEN_TO_NOWHERE;
	return found_set(&j->dest, why);
}

/* A token file: written only where none exists yet. */
static bool to_token_file(struct found_job *j, const char *path)
{
	char why[1024];
	if (!conf_writable(path, true, why, sizeof why))
		return nowhere(j, why);
	j->token_to = TOKEN_TO_FILE;
	return found_set(&j->dest, path);
}

/* Where the token goes, from what the job's layers say. */
static bool token_place(struct found_job *j, const char *path,
			enum config_result r, const struct layer *job)
{
	char why[1024];
	if (j->token_given)
		return nowhere(j, "its token is set where it runs (-t or HBRUN_TOKEN)");
	if (j->token_file)
		return to_token_file(j, j->token_file);
	if (r == CONFIG_UNUSABLE) {
		snprintf(why, sizeof why, "%s cannot be used (the trust rules, "
			 "see above); no token is written there", path);
		return nowhere(j, why);
	}
	if (job->v[S_TOKEN].state != VALUE_UNSET) {
		snprintf(why, sizeof why, "[%s] of %s holds a token already",
			 j->name, path);
		return nowhere(j, why);
	}
	if (job->v[S_TOKEN_FILE].state == VALUE_SET) {
		const char *f = job->v[S_TOKEN_FILE].text;
		if (f[0] == '/' || !job->folder)
			return to_token_file(j, f);
		snprintf(why, sizeof why, "%s/%s", job->folder, f);
		return to_token_file(j, why);
	}
	if (!conf_writable(path, false, why, sizeof why))
		return nowhere(j, why);
	j->token_to = TOKEN_TO_CONFIG;
	return found_set(&j->dest, path);
}

/* The job's config: its -c, else the file hbrun's search finds, else the
 * one that search would make. */
static char *job_config_path(const struct found_job *j)
{
	bool explicit;
	if (j->config)
		return strdup(j->config);
	char *found = config_find(NULL, &explicit, NULL);
	return found ? found : new_config_path();
}

/* A job run by another user searches that user's files, not ours. */
static bool other_user(const struct found_job *j)
{
	struct passwd *me = getpwuid(geteuid());
	return j->user && !j->config && me && strcmp(j->user, me->pw_name) != 0;
}

static bool prepare_job(struct found_job *j)
{
	struct layer global, job;
	layer_init(&global);
	layer_init(&job);
	char *path = other_user(j) ? NULL : job_config_path(j);
	enum config_result r = CONFIG_NONE;
	bool ok = true;
	bool here = j->token_to != TOKEN_TO_SECRET; /* a manifest's is not */
	if (here && path && path[0] == '/' && access(path, F_OK) == 0)
		r = config_load(path, conf_section_state(path, j->name) >= 0
					      ? j->name : NULL,
				&global, &job);
	double timeout = seconds_of(j->timeout, &job, &global, S_TIMEOUT, 0);
	double deadline = seconds_of(j->ping_deadline, &job, &global,
				     S_PING_DEADLINE, DEFAULT_PING_DEADLINE);
	j->grace = timeout > 0 ? (long)ceil(timeout + deadline)
			       : SYNC_GRACE_DEFAULT;
	int tz = setting_by_key("tz");
	if (tz >= 0 && job.v[tz].state == VALUE_SET)
		ok = found_set(&j->section_tz, job.v[tz].text);
	else if (tz >= 0 && global.v[tz].state == VALUE_SET)
		ok = found_set(&j->section_tz, global.v[tz].text);
	if (ok && here)
		ok = !path ? nowhere(j, other_user(j)
				? "the job runs as another user, whose config "
				  "file is not ours to choose: name one with -c"
				: "no config file, and no HOME to make one in")
			   : token_place(j, path, r, &job);
	free(path);
	layer_free(&global);
	layer_free(&job);
	return ok;
}

bool sync_prepare(struct found_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		struct found_job *j = &l->v[i];
		if ((j->kind == FOUND_JOB || j->kind == FOUND_SUSPENDED) &&
		    !prepare_job(j))
			return false;
	}
	return true;
}
