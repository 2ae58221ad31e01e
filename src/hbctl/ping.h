/* `hbctl ping`: hbrun's ping request to the heartbeat service, made once
 * by hand, with the messages hbrun would say about it (see hbctl(1)). */
#ifndef HBCTL_PING_H
#define HBCTL_PING_H

#include <stdbool.h>

#include "call.h"
#include "settings.h"

/* Send the ping of S, retried by S's ping_retries, ping_timeout and
 * ping_deadline.  A failure has been said when this returns.  *OUT (if
 * given) gets what it came to; call_result_free() it.  Returns the
 * outcome. */
enum outcome ping_call(const struct settings *s, struct call_result *out);

#endif
