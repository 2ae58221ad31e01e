/* What sync needs of each job's own settings before the plan: the grace
 * (its timeout and ping deadline, from its command line or its config
 * section), the tz of that section, and where a new token would go: the
 * job's token file, or section [NAME] of the config file hbrun would read
 * for it, each judged writable by the trust rules now, before anything
 * is sent. */
#ifndef HBCTL_SYNC_PREPARE_H
#define HBCTL_SYNC_PREPARE_H

#include <stdbool.h>

#include "found.h"

/* Complete every job of L named by -j: a job without -c reads the file
 * hbrun's search finds (for a job of another user: none of ours).  False
 * when memory ran out. */
bool sync_prepare(struct found_list *l);

#endif
