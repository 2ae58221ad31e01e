/* hbrun's request to the heartbeat service: the ping, sent when the job
 * succeeded, with every message hbrun says about it (see hbrun(1)). */
#ifndef HBRUN_PING_H
#define HBRUN_PING_H

#include <stdbool.h>

#include "call.h"
#include "settings.h"
#include "supervise.h"

/* Send the ping of S, retried by S's ping_retries, ping_timeout and
 * ping_deadline; a stop signal on SV (if given) abandons it.  A failure
 * has been said when this returns.  *OUT (if given) gets what it came to;
 * call_result_free() it.  Returns the outcome. */
enum outcome ping_call(const struct settings *s, struct supervisor *sv,
		       struct call_result *out);

/* hbrun's ping: true on success. */
bool ping_send(const struct settings *s, struct supervisor *sv);

#endif
