/* systemd unit names: an instance (foo@bar.timer) and its template
 * (foo@.timer), and the specifiers of a unit's name in a word as systemd
 * replaces them.  Pure. */
#ifndef HBCTL_UNITNAME_H
#define HBCTL_UNITNAME_H

#include <stdbool.h>
#include <stddef.h>

/* The template of the instance NAME into OUT (SIZE bytes): foo@bar.timer
 * gives foo@.timer.  False when NAME is no instance (no '@', or nothing
 * between it and the suffix) or OUT is too small. */
bool unit_name_template(const char *name, char *out, size_t size);

/* The next name up whose drop-in folder NAME also reads, as systemd goes
 * up a dashed name: foo-bar-baz.timer gives foo-bar-.timer, that one
 * foo-.timer; an instance keeps its instance (foo-bar@x.timer gives
 * foo-@x.timer), a template has none (foo-bar@.timer gives foo-.timer).
 * False when there is none (no dash but a leading one) or OUT is too
 * small. */
bool unit_name_dash_parent(const char *name, char *out, size_t size);

/* WORD with the specifiers of UNIT replaced: %n (the name), %N (without
 * its suffix), %p (the prefix), %P (unescaped), %i (the instance), %I
 * (unescaped: '-' is '/', \xNN a byte), %%.  Others (%d) stay as they are.
 * NULL when memory ran out, or, with *BAD set, when %I or %P names an
 * escape that systemd refuses. */
char *unit_specifiers(const char *word, const char *unit, bool *bad);

#endif
