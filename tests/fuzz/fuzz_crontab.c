/* Fuzz target: crontab lines as hbctl sync reads them.
 *
 * Input: one line of a crontab.  It is read with and without a user field
 * (cron_line_read), and an entry's command goes on as sync takes it: into
 * shell words, the hbrun invocation found in them (found_from_shell).
 *
 * Checked: an entry has a schedule, a command that is not blank and holds
 * no unescaped %; a variable has a name without blanks; every piece lies
 * within the line; a found job's kind is one of the kinds and a job named
 * by -j has a name. */
#include <stdbool.h>

#include "find_cron.h"
#include "found.h"
#include "fuzz.h"

static void within(const char *p, const char *line, size_t size)
{
	if (p)
		FUZZ_ASSERT(p >= line && p <= line + size);
}

static void one(const char *data, size_t size, bool user_field)
{
	char *line = malloc(size + 1);
	if (!line)
		abort();
	memcpy(line, data, size);
	line[size] = '\0';
	struct cron_line c;
	cron_line_read(line, user_field, &c);
	within(c.command, line, size);
	within(c.user, line, size);
	within(c.name, line, size);
	within(c.value, line, size);
	if (c.kind == CRON_ENTRY) {
		FUZZ_ASSERT(c.expr[0] != '\0');
		FUZZ_ASSERT(c.command[strspn(c.command, " \t")] != '\0');
		FUZZ_ASSERT(!user_field || c.user);
		struct found_list l = { 0 };
		struct found_job *j = found_add(&l, FOUND_UNMONITORED, "f", 1);
		if (!j || !found_from_shell(j, c.command))
			abort();
		FUZZ_ASSERT(j->kind <= FOUND_UNREADABLE);
		FUZZ_ASSERT(j->kind != FOUND_JOB || j->name);
		FUZZ_ASSERT(j->kind != FOUND_UNREADABLE || j->why);
		found_list_free(&l);
	} else if (c.kind == CRON_VARIABLE) {
		FUZZ_ASSERT(c.name[0] && !strpbrk(c.name, " \t"));
	} else if (c.kind == CRON_BAD) {
		FUZZ_ASSERT(c.why);
	}
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* One line: cron reads up to the newline. */
	const char *nl = memchr(data, '\n', size);
	if (nl)
		size = (size_t)(nl - (const char *)data);
	if (memchr(data, '\0', size))
		size = strnlen((const char *)data, size);
	one((const char *)data, size, true);
	one((const char *)data, size, false);
	return 0;
}
