#include "promtext.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const result_names[RESULT_COUNT] = {
	"success", "failure", "timeout", "stopped", "lock_held",
};

/* The series, in the order they are written; the HELP texts never change
 * with the job: node_exporter refuses one name with two texts. */
enum series { START, END, SUCCESS, EXIT, DURATION, RSS, CPU, RUNS, GAP,
	      SERIES_COUNT };
static const struct { const char *name, *type, *help; } series[] = {
	[START] = { "hbrun_last_start_timestamp_seconds", "gauge",
		    "When the job's last run started, in Unix time." },
	[END] = { "hbrun_last_end_timestamp_seconds", "gauge",
		  "When the job's last run ended, in Unix time." },
	[SUCCESS] = { "hbrun_last_success_timestamp_seconds", "gauge",
		      "When the job last succeeded, in Unix time." },
	[EXIT] = { "hbrun_last_exit_status", "gauge",
		   "The last run's exit status: 0 a success, 124 timed out, "
		   "128+S killed by signal S, 75 its lock held by another run." },
	[DURATION] = { "hbrun_last_duration_seconds", "gauge",
		       "How long the job ran in its last run." },
	[RSS] = { "hbrun_last_max_rss_bytes", "gauge",
		  "The job's largest resident set in its last run." },
	[CPU] = { "hbrun_last_cpu_seconds", "gauge",
		  "The CPU time the job used in its last run, by mode." },
	[RUNS] = { "hbrun_runs_total", "counter", "Runs of the job, by result." },
	[GAP] = { "hbrun_schedule_longest_gap_seconds", "gauge",
		  "The longest time between two due times of the job's "
		  "schedule." },
};

bool promtext_label_usable(const char *job)
{
	const unsigned char *p = (const unsigned char *)job;
	while (*p) {
		int n = *p < 0x80 ? 0 : (*p & 0xe0) == 0xc0 ? 1
			: (*p & 0xf0) == 0xe0 ? 2 : (*p & 0xf8) == 0xf0 ? 3 : -1;
		if (n < 0 || (n == 1 && *p < 0xc2) || (n == 3 && *p > 0xf4))
			return false;
		unsigned cp = n ? *p & (0x3f >> n) : *p;
		for (int i = 1; i <= n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		/* Overlong forms, surrogates and past U+10FFFF are not UTF-8. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		p += n + 1;
	}
	return true;
}

/* JOB as a label value: backslash, double quote and newline escaped, as
 * the format has it.  Malloc'd, or NULL. */
static char *escaped(const char *job)
{
	char *out = malloc(2 * strlen(job) + 1);
	if (!out)
		return NULL;
	char *o = out;
	for (const char *p = job; *p; p++) {
		if (*p == '\\' || *p == '"' || *p == '\n')
			*o++ = '\\';
		*o++ = (char)(*p == '\n' ? 'n' : *p);
	}
	*o = '\0';
	return out;
}

static void head(FILE *f, enum series s)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", series[s].name,
		series[s].help, series[s].name, series[s].type);
}

/* One series: NAME{job="JOB"[,LABEL="VALUE"]} and its value, whole
 * milliseconds (or microseconds, DIGITS 6) written as decimal seconds. */
static void sample(FILE *f, enum series s, const char *job,
		   const char *label, const char *value)
{
	fprintf(f, "%s{job=\"%s\"", series[s].name, job);
	if (label)
		fprintf(f, ",%s=\"%s\"", label, value);
	fputs("} ", f);
}

static void fraction(FILE *f, int64_t units, int digits)
{
	int64_t one = digits == 6 ? 1000000 : 1000;
	fprintf(f, "%lld.%0*lld\n", (long long)(units / one), digits,
		(long long)(units % one));
}

static void job_figures(FILE *f, const char *job, const struct promtext_run *r)
{
	head(f, DURATION);
	sample(f, DURATION, job, NULL, NULL);
	fraction(f, r->duration_ms, 3);
	if (!r->has_usage)
		return;
	head(f, RSS);
	sample(f, RSS, job, NULL, NULL);
	fprintf(f, "%lld\n", (long long)r->max_rss_kb * 1024);
	head(f, CPU);
	sample(f, CPU, job, "mode", "user");
	fraction(f, r->cpu_user_us, 6);
	sample(f, CPU, job, "mode", "system");
	fraction(f, r->cpu_system_us, 6);
}

static void write_all(FILE *f, const char *job, const struct promtext_run *r,
		      const struct promtext_carried *c)
{
	head(f, START);
	sample(f, START, job, NULL, NULL);
	fraction(f, r->start_ms, 3);
	head(f, END);
	sample(f, END, job, NULL, NULL);
	fraction(f, r->end_ms, 3);
	if (c->has_success) {
		head(f, SUCCESS);
		sample(f, SUCCESS, job, NULL, NULL);
		fraction(f, c->last_success_ms, 3);
	}
	head(f, EXIT);
	sample(f, EXIT, job, NULL, NULL);
	fprintf(f, "%d\n", r->exit_status);
	if (r->job_ran)
		job_figures(f, job, r);
	head(f, RUNS);
	for (int i = 0; i < RESULT_COUNT; i++) {
		sample(f, RUNS, job, "result", result_names[i]);
		fprintf(f, "%llu\n", (unsigned long long)c->runs[i]);
	}
	if (r->has_gap) {
		head(f, GAP);
		sample(f, GAP, job, NULL, NULL);
		fprintf(f, "%lld\n", (long long)r->longest_gap_s);
	}
}

char *promtext_format(const char *job, const struct promtext_run *run,
		      const struct promtext_carried *prev)
{
	struct promtext_carried now = { { 0 }, false, 0 };
	if (prev)
		now = *prev;
	if (now.runs[run->result] < PROMTEXT_COUNTER_MAX)
		now.runs[run->result]++;
	if (run->result == RESULT_SUCCESS) {
		now.has_success = true;
		now.last_success_ms = run->end_ms;
	}
	char *label = escaped(job);
	char *text = NULL;
	size_t len;
	FILE *f = label ? open_memstream(&text, &len) : NULL;
	if (f) {
		write_all(f, label, run, &now);
		if (fclose(f) != 0) {
			free(text);
			text = NULL;
		}
	}
	free(label);
	return text;
}

size_t promtext_read_limit(const char *job)
{
	/* Fewer than 40 lines, each under 200 bytes besides the label. */
	return 8192 + strlen(job) * 2 * 40;
}

/* Reading a previous file back: a cursor over one line. */
struct cursor {
	const char *p, *end; /* the line, its newline excluded */
};

static bool take(struct cursor *c, const char *s)
{
	size_t n = strlen(s);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n) != 0)
		return false;
	c->p += n;
	return true;
}

/* A run of lower-case letters and underscores, into WORD (SIZE bytes). */
static bool word(struct cursor *c, char *out, size_t size)
{
	size_t n = 0;
	while (c->p + n < c->end && ((c->p[n] >= 'a' && c->p[n] <= 'z') ||
				     c->p[n] == '_'))
		n++;
	if (n == 0 || n >= size)
		return false;
	memcpy(out, c->p, n);
	out[n] = '\0';
	c->p += n;
	return true;
}

/* The rest of the line as digits with at most one point and up to
 * DECIMALS digits after it, into *UNITS (the value times 10^DECIMALS);
 * false for anything else, or a value of 2^53 units or more. */
static bool number(struct cursor *c, int decimals, uint64_t *units)
{
	uint64_t v = 0;
	int after = -1;
	if (c->p == c->end)
		return false;
	for (; c->p < c->end; c->p++) {
		if (*c->p == '.' && after < 0) {
			after = 0;
			continue;
		}
		if (*c->p < '0' || *c->p > '9' || after >= decimals ||
		    v > PROMTEXT_COUNTER_MAX / 10)
			return false;
		v = v * 10 + (uint64_t)(*c->p - '0');
		after += after >= 0;
	}
	for (int i = after < 0 ? 0 : after; i < decimals; i++) {
		if (v > PROMTEXT_COUNTER_MAX / 10)
			return false;
		v *= 10;
	}
	*units = v;
	return v <= PROMTEXT_COUNTER_MAX;
}

/* The rest of the line as any value hbrun writes: digits, at most one
 * point. */
static bool plain_number(struct cursor *c)
{
	bool point = false, digit = false;
	if (c->end - c->p > 32)
		return false;
	for (; c->p < c->end; c->p++) {
		if (*c->p == '.' && !point)
			point = true;
		else if (*c->p >= '0' && *c->p <= '9')
			digit = true;
		else
			return false;
	}
	return digit;
}

struct seen {
	struct promtext_carried *out;
	unsigned runs;   /* bit per result seen */
	bool success;
};

static int result_of(const char *name)
{
	for (int i = 0; i < RESULT_COUNT; i++)
		if (strcmp(result_names[i], name) == 0)
			return i;
	return -1;
}

/* One series line after its name and the job's label: what is carried
 * over is taken, once each; every other value is a plain number. */
static bool series_rest(struct cursor *c, const char *name, struct seen *s)
{
	char label[16] = "", value[16] = "";
	uint64_t v;
	if (take(c, ",")) {
		if (!word(c, label, sizeof label) || !take(c, "=\"") ||
		    !word(c, value, sizeof value) || !take(c, "\""))
			return false;
	}
	if (!take(c, "} "))
		return false;
	if (strcmp(name, series[RUNS].name) == 0) {
		int r = result_of(value);
		if (strcmp(label, "result") != 0 || r < 0 ||
		    (s->runs >> r & 1u) || !number(c, 0, &v))
			return false;
		s->runs |= 1u << r;
		s->out->runs[r] = v;
		return true;
	}
	if (strcmp(name, series[SUCCESS].name) == 0) {
		if (*label || s->success || !number(c, 3, &v))
			return false;
		s->success = true;
		s->out->has_success = true;
		s->out->last_success_ms = (int64_t)v;
		return true;
	}
	return plain_number(c);
}

static bool read_one_line(struct cursor *c, const char *job_label,
			  struct seen *s)
{
	char name[64];
	if (take(c, "# HELP hbrun_") || take(c, "# TYPE hbrun_"))
		return true;
	return word(c, name, sizeof name) && strncmp(name, "hbrun_", 6) == 0 &&
	       take(c, job_label) && series_rest(c, name, s);
}

bool promtext_read(const char *text, size_t len, const char *job,
		   struct promtext_carried *out)
{
	memset(out, 0, sizeof *out);
	char *esc = escaped(job);
	char *label = esc ? malloc(strlen(esc) + 9) : NULL;
	struct seen s = { out, 0, false };
	bool ok = label && len > 0 && text[len - 1] == '\n' &&
		  !memchr(text, '\0', len);
	if (label)
		sprintf(label, "{job=\"%s\"", esc);
	for (const char *p = text; ok && p < text + len;) {
		const char *nl = memchr(p, '\n', (size_t)(text + len - p));
		struct cursor c = { p, nl };
		ok = read_one_line(&c, label, &s);
		p = nl + 1;
	}
	ok = ok && s.runs == (1u << RESULT_COUNT) - 1;
	if (!ok)
		memset(out, 0, sizeof *out);
	free(label);
	free(esc);
	return ok;
}
