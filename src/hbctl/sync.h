/* hbctl sync: a heartbeat for every scheduled job that runs hbrun -j NAME
 * (see hbctl(1)).  Find the jobs in every source, complete them from
 * their config, list the heartbeats, plan, show the plan or carry it out.
 * Returns hbctl's exit status, 6 for a plan that would change something. */
#ifndef HBCTL_SYNC_H
#define HBCTL_SYNC_H

#include "reply.h"

#define HBCTL_EXIT_CHANGES 6

int hbctl_sync(const struct hbctl_context *cx);

#endif
