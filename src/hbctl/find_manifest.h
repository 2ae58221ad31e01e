/* Kubernetes CronJob manifests, read with libyaml: several documents in a
 * file, and kind: List with its items as kubectl get -o yaml prints them.
 * From each CronJob: spec.schedule, spec.timeZone, spec.suspend, and each
 * container's command and args (a sh -c script read as shell text); where
 * its token comes from a Secret (HBRUN_TOKEN from a secretKeyRef, or a
 * --token-file in a mounted secret volume), that Secret and key. */
#ifndef HBCTL_FIND_MANIFEST_H
#define HBCTL_FIND_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>

#include "found.h"

/* The manifests in TEXT (LEN bytes, read from PATH) into L.  YAML that
 * cannot be read is one unreadable entry at its line; false only when
 * memory ran out. */
bool manifest_parse(const char *text, size_t len, const char *path,
		    struct found_list *l);

/* The same from the file PATH, "-" standard input.  A file that cannot be
 * read is a warning. */
bool find_manifest(const char *path, struct found_list *l);

#endif
