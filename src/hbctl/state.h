/* The commands that change a heartbeat's state and judge what the server
 * left, not only its status code: pause and resume (a server may answer
 * 2xx to a request it ignored), and ensure (the heartbeat NAME exists with
 * the values given; see hbctl(1)).  Each returns hbctl's exit status. */
#ifndef HBCTL_STATE_H
#define HBCTL_STATE_H

#include "reply.h"

/* pause or resume, as CX's command says. */
int hbctl_pause(const struct hbctl_context *cx);

int hbctl_ensure(const struct hbctl_context *cx);

#endif
