/* hbctl next: a schedule's next due times (see hbctl(1)). */
#ifndef HBCTL_NEXT_H
#define HBCTL_NEXT_H

#include "cli.h"

/* Print A's next due times; returns hbctl's exit status. */
int hbctl_next(const struct hbctl_args *a);

#endif
