/* systemd timers and the services they start, as systemd reads their unit
 * files: the first folder of the search path that holds a unit decides
 * it, its drop-ins come after it, by file name (the *.conf files of
 * NAME.d/, an instance's template's, its dashed prefixes' foo-.timer.d/,
 * in each folder in turn, then timer.d/ or service.d/ of each; of one file
 * name, the first in that order); a unit linked to /dev/null is masked.  An instance (foo@bar.timer)
 * enabled by a link in a folder's *.wants/ or *.requires/ is read from its
 * template (foo@.timer) with the drop-ins of both.  From a timer:
 * OnCalendar= (their union), OnUnitActiveSec=, RandomizedDelaySec= and
 * AccuracySec= (added to the grace), Unit=; from its service: ExecStart=,
 * LoadCredential= (where a %d/ID token file comes from), User=,
 * Environment= (HBRUN_CONFIG, HBRUN_TOKEN). */
#ifndef HBCTL_FIND_UNITS_H
#define HBCTL_FIND_UNITS_H

#include <stdbool.h>
#include <stddef.h>

#include "found.h"

/* The folders systemd reads system units from, in its order. */
extern const char *const units_default_dirs[];

/* Every timer in DIRS (N folders, highest precedence first), and every
 * instance of a template that their links enable, into L.  A folder that
 * cannot be read is a warning; false only when memory ran out. */
bool find_units(const char *const *dirs, size_t n, struct found_list *l);

#endif
