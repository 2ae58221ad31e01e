/* Fuzz target: systemd unit files as hbctl sync reads them.
 *
 * Input: a unit file, cut at the first NUL byte into a file and a drop-in
 * read after it (unit_parse twice).  Every Timer and Service key sync reads
 * is looked up (unit_list, unit_last), each value read as a time span and
 * as ExecStart= words.
 *
 * Checked: a list holds no empty value (an empty one resets it) and as
 * many as it says; the last value is the list's last; an entry's line lies
 * within the lines of its file; a span is never negative; words, when
 * read, are at least one.  The input's first line as a unit's name: going
 * up its dashes (the drop-in folders of its prefixes) ends, each name
 * shorter than the one before and with its suffix. */
#include <stdbool.h>
#include <stdio.h>

#include "fuzz.h"
#include "unitfile.h"
#include "unitname.h"
#include "words.h"

static const char *const keys[][2] = {
	{ "Timer", "OnCalendar" }, { "Timer", "OnUnitActiveSec" },
	{ "Timer", "RandomizedDelaySec" }, { "Timer", "AccuracySec" },
	{ "Timer", "Unit" }, { "Service", "ExecStart" },
	{ "Service", "LoadCredential" }, { "Service", "User" },
};

static void check_key(const struct unit *u, const char *section,
		      const char *key, size_t lines)
{
	const struct unit_entry *e[16];
	size_t n = unit_list(u, section, key, e, 16);
	for (size_t i = 0; i < n && i < 16; i++) {
		FUZZ_ASSERT(e[i]->value[0] != '\0');
		FUZZ_ASSERT(e[i]->line >= 1 && (size_t)e[i]->line <= lines);
		long secs = -1;
		if (timespan_seconds(e[i]->value, &secs))
			FUZZ_ASSERT(secs >= 0);
		struct strv w = { 0 };
		if (exec_words(e[i]->value, &w))
			FUZZ_ASSERT(w.n >= 1);
		strv_free(&w);
	}
	const struct unit_entry *last = unit_last(u, section, key);
	FUZZ_ASSERT((last != NULL) == (n > 0));
	if (last && n <= 16)
		FUZZ_ASSERT(last == e[n - 1]);
}

static void check_name(const char *text, size_t size)
{
	char name[256], up[256];
	const char *nl = memchr(text, '\n', size);
	size_t n = nl ? (size_t)(nl - text) : size;
	if (n >= sizeof name || memchr(text, '\0', n))
		return;
	memcpy(name, text, n);
	name[n] = '\0';
	const char *dot = strrchr(name, '.');
	while (unit_name_dash_parent(name, up, sizeof up)) {
		FUZZ_ASSERT(strlen(up) < strlen(name));
		if (dot)
			FUZZ_ASSERT(strcmp(strrchr(up, '.'), dot) == 0);
		snprintf(name, sizeof name, "%s", up);
		dot = strrchr(name, '.');
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	const char *nul = memchr(text, '\0', size);
	size_t first = nul ? (size_t)(nul - text) : size;
	struct unit u = { 0 };
	if (!unit_parse(&u, text, first, "a.timer"))
		abort();
	if (nul && !unit_parse(&u, nul + 1, size - first - 1, "a.timer.d/b.conf"))
		abort();
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
		check_key(&u, keys[i][0], keys[i][1], size + 1);
	unit_free(&u);
	check_name(text, size);
	return 0;
}
