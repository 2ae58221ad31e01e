/* systemd unit files as systemd reads them: [Section] headers, Key=Value
 * lines, # and ; comments, a trailing backslash continuing a line, a key
 * repeated, and an empty assignment resetting a list; a unit file and its
 * drop-ins read in order into one.  Pure: text in, assignments out. */
#ifndef HBCTL_UNITFILE_H
#define HBCTL_UNITFILE_H

#include <stdbool.h>
#include <stddef.h>

struct unit_entry {
	char *section, *key, *value;
	const char *file; /* one of the unit's FILES */
	long line;
};

struct unit {
	struct unit_entry *v;
	size_t n, cap;
	char **files;
	size_t nfiles;
	bool incomplete; /* a file or folder of it could not be read */
};

/* Add the assignments of TEXT (LEN bytes, read from FILE) to U, after
 * those already there.  False when memory ran out. */
bool unit_parse(struct unit *u, const char *text, size_t len,
		const char *file);

/* The values of KEY in SECTION that stand: those after its last empty
 * assignment, in order, at most MAX into OUT (pointers into U); how many
 * there are. */
size_t unit_list(const struct unit *u, const char *section, const char *key,
		 const struct unit_entry **out, size_t max);

/* As unit_list, for KEY one of the keys KEYS (NULL-ended) that share one
 * list: an empty assignment of any of them empties it (a timer's
 * OnCalendar= and OnUnitActiveSec=). */
size_t unit_list_shared(const struct unit *u, const char *section,
			const char *const *keys, const char *key,
			const struct unit_entry **out, size_t max);

/* The last assignment of KEY in SECTION, or NULL; an empty one (reset)
 * counts as none. */
const struct unit_entry *unit_last(const struct unit *u, const char *section,
				   const char *key);

/* The last assignment of KEY in SECTION that is not empty, or NULL: for a
 * key whose empty assignment systemd ignores (a time span). */
const struct unit_entry *unit_last_set(const struct unit *u,
				       const char *section, const char *key);

void unit_free(struct unit *u);

/* A systemd time span ("1h 30min", "90", "2.5s", "1d") into whole seconds,
 * rounded up.  False when TEXT is not one. */
bool timespan_seconds(const char *text, long *out);

#endif
