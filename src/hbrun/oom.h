/* Whether the kernel's OOM killer struck in hbrun's memory cgroup: the
 * cgroup's oom_kill count, read before the job starts and after it ends.
 * The job runs in hbrun's cgroup, so a rise means a kill there during the
 * run (cgroup v2 memory.events, v1 memory.oom_control). */
#ifndef HBRUN_OOM_H
#define HBRUN_OOM_H

#include <stdbool.h>

/* The oom_kill count of hbrun's memory cgroup into *COUNT; false when
 * there is none to read (no memory controller, no such file, no access). */
bool oom_kill_count(long long *count);

/* Pure: the oom_kill count in TEXT, the contents of memory.events or
 * memory.oom_control ("oom_kill N" on a line of its own); false if none. */
bool oom_kill_parse(const char *text, long long *count);

/* Pure: the file that holds the count of the cgroup named by CGROUP, the
 * contents of /proc/self/cgroup, under ROOT ("/sys/fs/cgroup"), into BUF.
 * A v1 memory hierarchy is preferred, since on a hybrid layout the v2 one
 * has no memory controller.  False when CGROUP names none. */
bool oom_events_path(const char *cgroup, const char *root, char *buf,
		     unsigned size);

#endif
