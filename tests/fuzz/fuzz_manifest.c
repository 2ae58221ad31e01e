/* Fuzz target: Kubernetes manifests as hbctl sync reads them, YAML
 * through libyaml (find_manifest.c).
 *
 * Input: a manifest file, any number of documents.  libyaml is not
 * instrumented: libFuzzer's guidance sees hbctl's side.
 *
 * Checked: every job found has a place in the file; a CronJob's job has
 * one schedule expression; a job named by -j (or suspended) has a name; an
 * unreadable one says why; a manifest's token is never to be written to a
 * file (a Secret is named, or none). */
#include "find_manifest.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct found_list l = { 0 };
	if (!manifest_parse((const char *)data, size, "m.yaml", &l))
		abort();
	for (size_t i = 0; i < l.n; i++) {
		const struct found_job *j = &l.v[i];
		FUZZ_ASSERT(strncmp(j->place, "m.yaml:", 7) == 0);
		if (j->kind == FOUND_UNREADABLE) {
			FUZZ_ASSERT(j->why);
			continue;
		}
		FUZZ_ASSERT(j->exprs.n == 1);
		FUZZ_ASSERT((j->kind != FOUND_JOB && j->kind != FOUND_SUSPENDED) ||
			    j->name);
		FUZZ_ASSERT(j->token_to == TOKEN_TO_SECRET && j->dest);
	}
	found_list_free(&l);
	return 0;
}
