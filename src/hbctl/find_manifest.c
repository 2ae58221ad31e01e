#include "find_manifest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "msg.h"

#define MANIFEST_MAX_BYTES ((size_t)64 << 20)

struct doc {
	yaml_document_t *d;
	const char *path;
	struct found_list *l;
};

static yaml_node_t *node(const struct doc *x, int id)
{
	return id ? yaml_document_get_node(x->d, id) : NULL;
}

/* The value of KEY in mapping N, or NULL. */
static yaml_node_t *get(const struct doc *x, yaml_node_t *n, const char *key)
{
	if (!n || n->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = node(x, p->key);
		if (k && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return node(x, p->value);
	}
	return NULL;
}

/* A path of keys, "spec", "jobTemplate", ..., NULL-ended. */
static yaml_node_t *dig(const struct doc *x, yaml_node_t *n,
			const char *const *keys)
{
	for (; n && *keys; keys++)
		n = get(x, n, *keys);
	return n;
}

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE
		       ? (const char *)n->data.scalar.value : NULL;
}

static size_t seq_len(yaml_node_t *n)
{
	return n && n->type == YAML_SEQUENCE_NODE
		       ? (size_t)(n->data.sequence.items.top -
				  n->data.sequence.items.start) : 0;
}

static yaml_node_t *seq_at(const struct doc *x, yaml_node_t *n, size_t i)
{
	return node(x, n->data.sequence.items.start[i]);
}

/* The scalars of sequence N onto W; false when one is not a scalar. */
static bool words_of(const struct doc *x, yaml_node_t *n, struct strv *w,
		     bool *ok)
{
	for (size_t i = 0; i < seq_len(n); i++) {
		const char *s = scalar(seq_at(x, n, i));
		if (!s)
			return false;
		if (!strv_add(w, s)) {
			*ok = false;
			return false;
		}
	}
	return true;
}


static bool join_words(const struct strv *w, char **out)
{
	size_t len = 1;
	for (size_t i = 0; i < w->n; i++)
		len += strlen(w->v[i]) + 1;
	*out = malloc(len);
	if (!*out)
		return false;
	char *at = *out;
	for (size_t i = 0; i < w->n; i++) {
		if (i)
			*at++ = ' ';
		size_t n = strlen(w->v[i]);
		memcpy(at, w->v[i], n);
		at += n;
	}
	*at = '\0';
	return true;
}

/* HBRUN_TOKEN from a Secret's key. */
static bool env_secret(const struct doc *x, yaml_node_t *c, char *buf,
		       size_t size)
{
	yaml_node_t *env = get(x, c, "env");
	for (size_t i = 0; i < seq_len(env); i++) {
		yaml_node_t *e = seq_at(x, env, i);
		const char *name = scalar(get(x, e, "name"));
		static const char *const ref[] = { "valueFrom", "secretKeyRef",
						   NULL };
		yaml_node_t *r = dig(x, e, ref);
		const char *sname = scalar(get(x, r, "name"));
		const char *key = scalar(get(x, r, "key"));
		if (name && strcmp(name, "HBRUN_TOKEN") == 0 && sname && key) {
			snprintf(buf, size, "Secret %s key %s", sname, key);
			return true;
		}
	}
	return false;
}

/* A token file under a volume mount of a secret volume. */
static bool file_secret(const struct doc *x, yaml_node_t *pod, yaml_node_t *c,
			const char *file, char *buf, size_t size)
{
	yaml_node_t *mounts = get(x, c, "volumeMounts");
	for (size_t i = 0; file && i < seq_len(mounts); i++) {
		yaml_node_t *m = seq_at(x, mounts, i);
		const char *at = scalar(get(x, m, "mountPath"));
		const char *vol = scalar(get(x, m, "name"));
		size_t n = at ? strlen(at) : 0;
		if (!at || !vol || strncmp(file, at, n) != 0 || file[n] != '/')
			continue;
		yaml_node_t *vols = get(x, pod, "volumes");
		for (size_t k = 0; k < seq_len(vols); k++) {
			yaml_node_t *v = seq_at(x, vols, k);
			const char *sn = scalar(get(x, get(x, v, "secret"),
						    "secretName"));
			const char *vn = scalar(get(x, v, "name"));
			if (sn && vn && strcmp(vn, vol) == 0) {
				snprintf(buf, size, "Secret %s key %s", sn,
					 file + n + 1);
				return true;
			}
		}
	}
	return false;
}

static bool container_secret(const struct doc *x, yaml_node_t *pod,
			     yaml_node_t *c, struct found_job *j)
{
	char buf[512];
	j->token_to = TOKEN_TO_SECRET;
	if (env_secret(x, c, buf, sizeof buf) ||
	    file_secret(x, pod, c, j->token_file, buf, sizeof buf))
		return found_set(&j->secret, buf) && found_set(&j->dest, buf);
	return found_set(&j->dest, "no Secret: the CronJob reads its token "
			 "from none");
}

/* What the CronJob as a whole says of each of its containers. */
struct cronjob {
	const char *schedule, *tz;
	bool suspended;
	yaml_node_t *pod;
};

static bool container_job(const struct doc *x, const struct cronjob *cj,
			  yaml_node_t *c)
{
	struct found_job *j = found_add(x->l, FOUND_UNMONITORED, x->path,
					(long)c->start_mark.line + 1);
	if (!j || !strv_add(&j->exprs, cj->schedule) ||
	    !found_set(&j->tz, cj->tz))
		return false;
	struct strv w = { 0 };
	bool ok = true;
	if (!words_of(x, get(x, c, "command"), &w, &ok) ||
	    !words_of(x, get(x, c, "args"), &w, &ok)) {
		strv_free(&w);
		j->kind = FOUND_UNREADABLE;
		return ok && found_set(&j->why, "command or args is not a list "
				       "of strings");
	}
	ok = found_from_words(j, w.v, w.n);
	ok = ok && join_words(&w, &j->command);
	strv_free(&w);
	if (ok && j->kind == FOUND_JOB && cj->suspended)
		j->kind = FOUND_SUSPENDED;
	return ok && container_secret(x, cj->pod, c, j);
}

/* spec.schedule, and a CRON_TZ= or TZ= it starts with. */
static const char *schedule_zone(const char *s, char *tz, size_t size)
{
	const char *p = !strncmp(s, "CRON_TZ=", 8) ? s + 8
		      : !strncmp(s, "TZ=", 3) ? s + 3 : NULL;
	if (!p)
		return s;
	size_t n = strcspn(p, " \t");
	snprintf(tz, size, "%.*s", (int)n, p);
	return p + n + strspn(p + n, " \t");
}

static bool cronjob(const struct doc *x, yaml_node_t *obj)
{
	static const char *const pod_path[] = { "spec", "jobTemplate", "spec",
						"template", "spec", NULL };
	yaml_node_t *spec = get(x, obj, "spec");
	struct cronjob cj = {
		.schedule = scalar(get(x, spec, "schedule")),
		.tz = scalar(get(x, spec, "timeZone")),
		.pod = dig(x, obj, pod_path),
	};
	const char *suspend = scalar(get(x, spec, "suspend"));
	cj.suspended = suspend && strcmp(suspend, "true") == 0;
	yaml_node_t *containers = get(x, cj.pod, "containers");
	if (!cj.schedule || seq_len(containers) == 0) {
		struct found_job *j = found_add(x->l, FOUND_UNREADABLE, x->path,
						(long)obj->start_mark.line + 1);
		return j && found_set(&j->why, "a CronJob without spec.schedule "
				      "or containers");
	}
	char tz[256];
	if (!cj.tz) {
		const char *rest = schedule_zone(cj.schedule, tz, sizeof tz);
		if (rest != cj.schedule) {
			cj.tz = tz;
			cj.schedule = rest;
		}
	}
	bool ok = true;
	for (size_t i = 0; ok && i < seq_len(containers); i++)
		ok = container_job(x, &cj, seq_at(x, containers, i));
	return ok;
}

static bool is_list(const char *kind)
{
	size_t n = kind ? strlen(kind) : 0;
	return n >= 4 && strcmp(kind + n - 4, "List") == 0;
}

/* One document: a CronJob, or a List (any kind ending in List, as kubectl
 * prints them) of objects, the CronJobs among them read. */
static bool object(const struct doc *x, yaml_node_t *obj)
{
	const char *kind = scalar(get(x, obj, "kind"));
	if (kind && strcmp(kind, "CronJob") == 0)
		return cronjob(x, obj);
	if (!is_list(kind))
		return true;
	yaml_node_t *items = get(x, obj, "items");
	bool ok = true;
	for (size_t i = 0; ok && i < seq_len(items); i++) {
		yaml_node_t *item = seq_at(x, items, i);
		const char *k = scalar(get(x, item, "kind"));
		if (k && strcmp(k, "CronJob") == 0)
			ok = cronjob(x, item);
	}
	return ok;
}

static bool yaml_failed(yaml_parser_t *p, const char *path,
			struct found_list *l)
{
	struct found_job *j = found_add(l, FOUND_UNREADABLE, path,
					(long)p->problem_mark.line + 1);
	char why[256];
	snprintf(why, sizeof why, "not YAML: %s",
		 p->problem ? p->problem : "unreadable");
	return j && found_set(&j->why, why);
}

bool manifest_parse(const char *text, size_t len, const char *path,
		    struct found_list *l)
{
	yaml_parser_t p;
	if (!yaml_parser_initialize(&p))
		return false;
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	bool ok = true;
	for (;;) {
		yaml_document_t d;
		if (!yaml_parser_load(&p, &d)) {
			ok = p.error == YAML_MEMORY_ERROR ? false
							 : yaml_failed(&p, path, l);
			break;
		}
		struct doc x = { &d, path, l };
		yaml_node_t *root = yaml_document_get_root_node(&d);
		if (root)
			ok = object(&x, root);
		yaml_document_delete(&d);
		if (!root || !ok)
			break;
	}
	yaml_parser_delete(&p);
	return ok;
}

static char *slurp_stream(FILE *f, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap);
	*len = 0;
	while (buf) {
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0 || n > MANIFEST_MAX_BYTES)
			break;
		if (n == cap) {
			char *b = realloc(buf, cap *= 2);
			if (!b) {
				free(buf);
				return NULL;
			}
			buf = b;
		}
	}
	*len = n;
	return buf;
}

bool find_manifest(const char *path, struct found_list *l)
{
	bool in = strcmp(path, "-") == 0;
	FILE *f = in ? stdin : fopen(path, "re");
	if (!f) {
		msg_warn("sync: cannot read %s: %s", path, strerror(errno));
		return true;
	}
	size_t len = 0;
	char *text = slurp_stream(f, &len);
	bool failed = ferror(f) || len > MANIFEST_MAX_BYTES;
	if (!in)
		fclose(f);
	if (!text)
		return false;
	if (failed)
		msg_warn("sync: cannot read %s: %s", path,
			 len > MANIFEST_MAX_BYTES ? "larger than 64 MiB"
						  : "read error");
	bool ok = failed || manifest_parse(text, len, in ? "stdin" : path, l);
	free(text);
	return ok;
}
