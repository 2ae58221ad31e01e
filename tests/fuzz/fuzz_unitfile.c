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
 * read, are at least one. */
#include <stdbool.h>

#include "fuzz.h"
#include "unitfile.h"
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
	return 0;
}
