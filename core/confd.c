#include "confd.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

#include "xmem.h"
#include "ytree.h"

#define FNV64_OFFSET 0xcbf29ce484222325ull
#define FNV64_PRIME  0x100000001b3ull

/* Where one file's problems go, and how many there were. */
struct reporter {
	tally_check_conf_report_fn fn;
	void *arg;
	size_t errors;
};

static void __attribute__((format(printf, 3, 4)))
report_at(struct reporter *r, const struct tally_ynode *at, const char *fmt, ...)
{
	char msg[768], text[700];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	tally_ynode_error(at, msg, sizeof(msg), "%s", text);
	r->fn(r->arg, msg);
	r->errors++;
}

static void
forward_report(void *arg, const char *msg)
{
	struct reporter *r = arg;

	r->fn(r->arg, msg);
	r->errors++;
}

static uint64_t
fnv(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= FNV64_PRIME;
	}
	return h;
}

/* A digest of n's kinds and texts, so that the same YAML (spacing aside) digests the same. */
static uint64_t
digest(uint64_t h, const struct tally_ynode *n)
{
	char tag = n ? "nsqm"[n->kind] : 'n';

	h = fnv(h, &tag, 1);
	if (!n)
		return h;
	switch (n->kind) {
	case TALLY_YNODE_SCALAR:
		h = fnv(h, &n->len, sizeof(n->len));
		return fnv(h, n->text, n->len);
	case TALLY_YNODE_SEQ:
		h = fnv(h, &n->n, sizeof(n->n));
		for (size_t i = 0; i < n->n; i++)
			h = digest(h, n->items[i]);
		return h;
	case TALLY_YNODE_MAP:
		h = fnv(h, &n->n, sizeof(n->n));
		for (size_t i = 0; i < n->n; i++)
			h = digest(digest(h, n->pairs[i].key), n->pairs[i].value);
		return h;
	default:
		return h;
	}
}

void
tally_confd_instance_free(struct tally_confd_instance *ci)
{
	if (!ci)
		return;
	tally_check_conf_bound_free(&ci->bound);
	tally_ystrlist_free(ci->tags, ci->n_tags);
	free(ci->state);
	free(ci->check);
	free(ci->id);
	free(ci->file);
	free(ci);
}

void
tally_confd_list_add(struct tally_confd_list *l, struct tally_confd_instance *ci)
{
	l->items = tally_xgrow(l->items, &l->cap, l->n + 1, sizeof(*l->items), 8);
	l->items[l->n++] = ci;
}

void
tally_confd_list_clear(struct tally_confd_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		tally_confd_instance_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* The instance's value for key, else init_config's (when allowed there). */
static const struct tally_ynode *
generic_node(const struct tally_ynode *init_config, const struct tally_ynode *inst, const char *key,
             const char **from)
{
	const struct tally_ynode *n = tally_ynode_map_get(inst, key);

	*from = "instance";
	if (n && n->kind != TALLY_YNODE_NULL)
		return n;
	n = tally_check_conf_is_generic(key, false) ? tally_ynode_map_get(init_config, key) : NULL;
	*from = "init_config";
	return n && n->kind != TALLY_YNODE_NULL ? n : NULL;
}

static int
read_seconds(const struct tally_ynode *init_config, const struct tally_ynode *inst,
             const char *where, const char *key, double *out, struct reporter *r)
{
	char what[128], msg[768];
	const char *from;
	const struct tally_ynode *n = generic_node(init_config, inst, key, &from);

	if (!n)
		return 0;
	snprintf(what, sizeof(what), "%s.%s", strcmp(from, "instance") ? from : where, key);
	if (tally_ynode_double(n, what, TALLY_CONFD_MIN_INTERVAL_S, TALLY_CONFD_MAX_INTERVAL_S, out,
	                       msg, sizeof(msg)) < 0) {
		forward_report(r, msg);
		return -EINVAL;
	}
	return 0;
}

static int
read_tags(struct tally_confd_instance *ci, const struct tally_ynode *init_config,
          const struct tally_ynode *inst, const char *where, struct reporter *r)
{
	char what[128], msg[768];
	const char *from, *service;
	const struct tally_ynode *n = generic_node(init_config, inst, "tags", &from);

	snprintf(what, sizeof(what), "%s.tags", where);
	if (!n)
		ci->tags = tally_xcalloc(1, sizeof(*ci->tags));
	else if (tally_ynode_strlist(n, what, NULL, &ci->tags, &ci->n_tags, msg, sizeof(msg)) < 0) {
		forward_report(r, msg);
		return -EINVAL;
	}
	n = generic_node(init_config, inst, "service", &from);
	if (!n)
		return 0;
	snprintf(what, sizeof(what), "%s.service", strcmp(from, "instance") ? from : where);
	if (tally_ynode_str(n, what, &service, msg, sizeof(msg)) < 0) {
		forward_report(r, msg);
		return -EINVAL;
	}
	ci->tags = tally_xrealloc(ci->tags, (ci->n_tags + 1) * sizeof(*ci->tags));
	ci->tags[ci->n_tags] = tally_xmalloc(strlen(service) + sizeof("service:"));
	sprintf(ci->tags[ci->n_tags++], "service:%s", service);
	return 0;
}

static struct tally_confd_instance *
build_instance(const struct tally_check_plugin *desc, const struct tally_ydoc *doc,
               const struct tally_ynode *init_config, const struct tally_ynode *inst, size_t index,
               struct reporter *r)
{
	struct tally_confd_instance *ci = tally_xcalloc(1, sizeof(*ci));
	char where[64];
	size_t before = r->errors;
	uint64_t h;

	snprintf(where, sizeof(where), "instances[%zu]", index);
	ci->check = tally_xstrdup(desc->name);
	ci->file = tally_xstrdup(doc->name);
	ci->line = inst->line;
	ci->col = inst->col;
	ci->index = index;
	ci->interval_s = TALLY_CONFD_DEFAULT_INTERVAL_S;
	ci->state = tally_xcalloc(1, desc->state_size ? desc->state_size : 1);
	read_seconds(init_config, inst, where, "min_collection_interval", &ci->interval_s, r);
	ci->timeout_s = ci->interval_s > 1.0 ? ci->interval_s : 1.0;
	read_seconds(init_config, inst, where, "timeout", &ci->timeout_s, r);
	read_tags(ci, init_config, inst, where, r);
	if (inst->kind != TALLY_YNODE_MAP && inst->kind != TALLY_YNODE_NULL)
		report_at(r, inst, "%s: expected a map of settings, got %s", where,
		          tally_ynode_kind_name(inst->kind));
	else
		tally_check_conf_bind(desc, init_config, inst, where, ci->state, &ci->bound,
		                      forward_report, r);
	if (r->errors != before) {
		tally_confd_instance_free(ci);
		return NULL;
	}
	if (tally_check_conf_own_timeout(desc, ci->state, &ci->timeout_s))
		ci->timeout_s += TALLY_CHECK_OWN_TIMEOUT_GRACE_S;
	h = digest(digest(fnv(FNV64_OFFSET, desc->name, strlen(desc->name)), init_config), inst);
	ci->id = tally_xmalloc(strlen(desc->name) + 18);
	sprintf(ci->id, "%s:%016llx", desc->name, (unsigned long long)h);
	return ci;
}

static bool
top_key_known(const char *key)
{
	/* logs: and ad_identifiers: belong to other parts of a Datadog agent; accepted as is. */
	return strcmp(key, "init_config") == 0 || strcmp(key, "instances") == 0 ||
	       strcmp(key, "logs") == 0 || strcmp(key, "ad_identifiers") == 0;
}

static void
load_doc(const struct tally_ydoc *doc, const struct tally_check_plugin *desc,
         struct tally_confd_list *out, struct reporter *r)
{
	const struct tally_ynode *root = doc->root, *init_config, *instances;
	bool init_ok;

	if (root->kind != TALLY_YNODE_MAP) {
		report_at(r, root, "expected a map with init_config: and instances:, got %s",
		          tally_ynode_kind_name(root->kind));
		return;
	}
	for (size_t i = 0; i < root->n; i++) {
		if (!top_key_known(root->pairs[i].key->text))
			report_at(r, root->pairs[i].key,
			          "unknown key \"%s\" (expected init_config: and instances:)",
			          root->pairs[i].key->text);
	}
	init_config = tally_ynode_map_get(root, "init_config");
	if (init_config && init_config->kind != TALLY_YNODE_MAP &&
	    init_config->kind != TALLY_YNODE_NULL) {
		report_at(r, init_config, "init_config: expected a map, got %s",
		          tally_ynode_kind_name(init_config->kind));
		return;
	}
	init_ok = tally_check_conf_check_init(desc, init_config, forward_report, r) == 0;
	instances = tally_ynode_map_get(root, "instances");
	if (!instances && !tally_ynode_map_get(root, "logs"))
		report_at(r, root, "missing instances:");
	if (!instances || instances->kind == TALLY_YNODE_NULL)
		return;
	if (instances->kind != TALLY_YNODE_SEQ) {
		report_at(r, instances, "instances: expected a list, got %s",
		          tally_ynode_kind_name(instances->kind));
		return;
	}
	for (size_t i = 0; i < instances->n; i++) {
		struct tally_confd_instance *ci =
		    build_instance(desc, doc, init_config, instances->items[i], i, r);

		/* A wrong init_config keeps every instance of the file from running. */
		if (ci && init_ok)
			tally_confd_list_add(out, ci);
		else
			tally_confd_instance_free(ci);
	}
}

static void
load_file(const char *path, const struct tally_check_plugin *desc, struct tally_confd_list *out,
          struct reporter *r)
{
	char err[768];
	struct tally_ydoc *doc = tally_ydoc_load_file(path, err, sizeof(err));

	if (!doc) {
		forward_report(r, err);
		return;
	}
	load_doc(doc, desc, out, r);
	tally_ydoc_free(doc);
}

/* "x.yaml" or "x.yml": the length of x; 0 otherwise. */
static size_t
yaml_stem(const char *file)
{
	size_t len = strlen(file);

	if (len > 5 && strcmp(file + len - 5, ".yaml") == 0)
		return len - 5;
	if (len > 4 && strcmp(file + len - 4, ".yml") == 0)
		return len - 4;
	return 0;
}

/* "x.yaml.default": the length of x; 0 otherwise. */
static size_t
default_stem(const char *file)
{
	size_t len = strlen(file);

	if (len > 13 && strcmp(file + len - 13, ".yaml.default") == 0)
		return len - 13;
	return 0;
}

static bool
is_regular(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Loads every *.yaml / *.yml file of dir in name order; returns how many there were. */
static size_t
load_dir(const char *dir, const struct tally_check_plugin *desc, struct tally_confd_list *out,
         struct reporter *r)
{
	struct dirent **ents = NULL;
	char path[4096];
	size_t files = 0;
	int n = scandir(dir, &ents, NULL, alphasort);

	for (int i = 0; i < n; i++) {
		int len = snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);

		if (len > 0 && (size_t)len < sizeof(path) && ents[i]->d_name[0] != '.' &&
		    yaml_stem(ents[i]->d_name) && is_regular(path)) {
			load_file(path, desc, out, r);
			files++;
		}
		free(ents[i]);
	}
	free(ents);
	return files;
}

static void
load_default(const struct tally_check_plugin *desc, struct tally_confd_list *out,
             struct reporter *r)
{
	char name[300], err[256];
	struct tally_ydoc *doc;

	snprintf(name, sizeof(name), "%s <default instance>", desc->name);
	doc = tally_ydoc_load_string(name, "instances: [{}]\n", 16, err, sizeof(err));
	if (!doc) {
		forward_report(r, err);
		return;
	}
	load_doc(doc, desc, out, r);
	tally_ydoc_free(doc);
}

size_t
tally_confd_load(const char *confd_path, const struct tally_check_plugin *desc,
                 struct tally_confd_list *out, tally_check_conf_report_fn report, void *arg)
{
	static const char *const suffixes[] = { ".yaml", ".yml" };
	struct reporter r = { report, arg, 0 };
	char path[4096];
	size_t files = 0;

	for (size_t i = 0; confd_path && i < 2; i++) {
		int len =
		    snprintf(path, sizeof(path), "%s/%s%s", confd_path, desc->name, suffixes[i]);

		if (len > 0 && (size_t)len < sizeof(path) && is_regular(path)) {
			load_file(path, desc, out, &r);
			files++;
		}
	}
	if (confd_path) {
		int len = snprintf(path, sizeof(path), "%s/%s.d", confd_path, desc->name);

		if (len > 0 && (size_t)len < sizeof(path))
			files += load_dir(path, desc, out, &r);
	}
	/* Datadog's conf.yaml.default: bundled defaults, used only when nothing else is there. */
	if (files == 0 && confd_path) {
		int len =
		    snprintf(path, sizeof(path), "%s/%s.yaml.default", confd_path, desc->name);

		if (len > 0 && (size_t)len < sizeof(path) && is_regular(path)) {
			load_file(path, desc, out, &r);
			files++;
		}
	}
	if (files == 0 && (desc->flags & TALLY_CHECK_DEFAULT_INSTANCE))
		load_default(desc, out, &r);
	return r.errors;
}

static void
add_name(char ***names, size_t *n, const char *name, size_t len)
{
	for (size_t i = 0; i < *n; i++) {
		if (strlen((*names)[i]) == len && memcmp((*names)[i], name, len) == 0)
			return;
	}
	*names = tally_xrealloc(*names, (*n + 1) * sizeof(**names));
	(*names)[(*n)++] = tally_xstrndup(name, len);
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
tally_confd_names(const char *confd_path, char ***names, size_t *n)
{
	struct dirent **ents = NULL;
	char path[4096];
	struct stat st;
	int count = scandir(confd_path, &ents, NULL, alphasort);

	if (count < 0)
		return -errno;
	for (int i = 0; i < count; i++) {
		const char *f = ents[i]->d_name;
		size_t len = strlen(f), stem = yaml_stem(f) ? yaml_stem(f) : default_stem(f);
		int plen = snprintf(path, sizeof(path), "%s/%s", confd_path, f);

		if (plen > 0 && (size_t)plen < sizeof(path) && f[0] != '.' &&
		    stat(path, &st) == 0) {
			if (S_ISREG(st.st_mode) && stem)
				add_name(names, n, f, stem);
			else if (S_ISDIR(st.st_mode) && len > 2 && strcmp(f + len - 2, ".d") == 0)
				add_name(names, n, f, len - 2);
		}
		free(ents[i]);
	}
	free(ents);
	if (*n > 1)
		qsort(*names, *n, sizeof(**names), cmp_name);
	return 0;
}
