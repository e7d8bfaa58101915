#include "checks.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <tally/check.h>

#include "check_loader.h"
#include "clock.h"
#include "confd.h"
#include "config.h"
#include "log.h"
#include "xmem.h"

/* At most this many conf.d messages are kept for `tally status`. */
#define MAX_KEPT_ERRORS 100

struct strv {
	char **v;
	size_t n;
};

struct tally_checks {
	const struct tally_config *cfg;
	struct tally_check_sched *sched;
	struct tally_plugin_list plugins;
	struct strv errors;                         /* of the last (re)load */
	struct strv refused_paths, refused_reasons; /* plugins refused by the last (re)load */
};

/* An instance wanted by the configuration now. */
struct wanted {
	struct tally_plugin *plugin;
	struct tally_confd_instance *conf;
};

struct wanted_list {
	struct wanted *v;
	size_t n, cap;
};

static void
strv_add(struct strv *s, const char *msg)
{
	if (s->n >= MAX_KEPT_ERRORS)
		return;
	s->v = tally_xrealloc(s->v, (s->n + 1) * sizeof(*s->v));
	s->v[s->n++] = tally_xstrdup(msg);
}

static void
strv_clear(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static void
log_conf_error(void *arg, const char *msg)
{
	struct tally_checks *c = arg;

	TALLY_ERR("checks", "%s", msg);
	strv_add(&c->errors, msg);
}

/* Makes ids unique within the wanted list: a repeated instance gets "#2", "#3"... */
static void
uniquify(struct wanted_list *w, struct tally_confd_instance *ci)
{
	size_t dup = 1;
	char *id;

	for (size_t i = 0; i < w->n; i++) {
		if (strncmp(w->v[i].conf->id, ci->id, strlen(ci->id)) == 0)
			dup++;
	}
	if (dup == 1)
		return;
	id = tally_xmalloc(strlen(ci->id) + 24);
	sprintf(id, "%s#%zu", ci->id, dup);
	free(ci->id);
	ci->id = id;
}

static void
wanted_add(struct wanted_list *w, struct tally_plugin *p, struct tally_confd_instance *ci)
{
	uniquify(w, ci);
	w->v = tally_xgrow(w->v, &w->cap, w->n + 1, sizeof(*w->v), 16);
	w->v[w->n++] = (struct wanted){ p, ci };
}

/* Which of NAME.yaml, NAME.yml, NAME.d exists in confd_path. */
static const char *
confd_suffix(const char *confd_path, const char *name)
{
	static const char *const suffixes[] = { ".yaml", ".yml", ".d" };
	char path[4200];
	struct stat st;

	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "%s/%s%s", confd_path, name, suffixes[i]);
		if (stat(path, &st) == 0)
			return suffixes[i];
	}
	return "";
}

/* Every conf.d name without a plugin is an error. */
static size_t
orphan_files(const struct tally_config *cfg, const struct tally_plugin_list *plugins,
             tally_check_conf_report_fn report, void *arg)
{
	char **names = NULL, msg[4400];
	size_t n = 0, errors = 0;

	if (cfg->confd_path && tally_confd_names(cfg->confd_path, &names, &n) < 0)
		TALLY_WARN("checks", "cannot read confd_path path=%s", cfg->confd_path);
	for (size_t i = 0; i < n; i++) {
		if (!tally_plugin_list_find(plugins, names[i])) {
			snprintf(msg, sizeof(msg), "%s/%s%s: no check plugin %s.so in checksd_path",
			         cfg->confd_path, names[i], confd_suffix(cfg->confd_path, names[i]),
			         names[i]);
			report(arg, msg);
			errors++;
		}
		free(names[i]);
	}
	free(names);
	return errors;
}

/* A refusal as one "PATH: message" line for report(). */
static void
refusal_msg(const char *path, const char *why, char *msg, size_t len)
{
	snprintf(msg, len, "%s: check plugin refused: %s", path, why);
}

static void
print_refusal(void *arg, const char *path, const char *why)
{
	char msg[5000];

	refusal_msg(path, why, msg, sizeof(msg));
	fprintf(arg, "%s\n", msg);
}

/* The running agent: logged, and kept for `tally status`. */
static void
keep_refusal(void *arg, const char *path, const char *why)
{
	struct tally_checks *c = arg;
	char msg[5000];

	refusal_msg(path, why, msg, sizeof(msg));
	log_conf_error(c, msg);
	strv_add(&c->refused_paths, path);
	strv_add(&c->refused_reasons, why);
}

/* Loads plugins and instances; returns the number of problems. */
static size_t
load_all(const struct tally_config *cfg, const struct tally_plugin_list *old,
         struct tally_plugin_list *plugins, struct wanted_list *w,
         tally_check_conf_report_fn report, tally_plugin_refused_fn refused, void *arg)
{
	size_t errors =
	    tally_plugin_scan_report((const char *const *)cfg->checksd_paths, cfg->n_checksd_paths,
	                             NULL, old, plugins, refused, arg);

	for (size_t i = 0; i < plugins->n; i++) {
		struct tally_confd_list list = { 0 };

		errors +=
		    tally_confd_load(cfg->confd_path, plugins->items[i]->desc, &list, report, arg);
		for (size_t j = 0; j < list.n; j++)
			wanted_add(w, plugins->items[i], list.items[j]);
		free(list.items);
	}
	return errors + orphan_files(cfg, plugins, report, arg);
}

/* The wanted entry that inst already is (same plugin object, same id); NULL if none. */
static struct wanted *
match(struct wanted_list *w, struct tally_check_inst *inst)
{
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].conf && w->v[i].plugin == tally_check_inst_plugin(inst) &&
		    strcmp(w->v[i].conf->id, tally_check_inst_conf(inst)->id) == 0)
			return &w->v[i];
	}
	return NULL;
}

static void
apply(struct tally_checks *c, struct wanted_list *w)
{
	struct tally_check_inst *inst, *next;
	size_t kept = 0, added = 0, removed = 0;

	for (inst = tally_check_sched_first(c->sched); inst; inst = next) {
		struct wanted *m = match(w, inst);

		next = tally_check_sched_next(inst);
		if (m) {
			tally_confd_instance_free(m->conf);
			m->conf = NULL;
			kept++;
		} else {
			tally_check_sched_remove(c->sched, inst);
			removed++;
		}
	}
	for (size_t i = 0; i < w->n; i++) {
		if (w->v[i].conf) {
			tally_check_sched_add(c->sched, w->v[i].plugin, w->v[i].conf);
			added++;
		}
	}
	TALLY_INFO("checks", "check instances loaded kept=%zu added=%zu removed=%zu", kept, added,
	           removed);
}

int
tally_checks_reload(struct tally_checks *c)
{
	struct tally_plugin_list plugins = { 0 };
	struct wanted_list w = { 0 };
	size_t errors;

	strv_clear(&c->errors);
	strv_clear(&c->refused_paths);
	strv_clear(&c->refused_reasons);
	errors = load_all(c->cfg, &c->plugins, &plugins, &w, log_conf_error, keep_refusal, c);
	apply(c, &w);
	free(w.v);
	tally_plugin_list_clear(&c->plugins);
	c->plugins = plugins;
	return errors ? -EINVAL : 0;
}

struct tally_checks *
tally_checks_new_with(const struct tally_config *cfg, struct event_base *base,
                      tally_check_commit_fn commit, void *arg, bool no_jitter, char *err,
                      size_t err_len)
{
	struct tally_checks *c = tally_xcalloc(1, sizeof(*c));
	struct tally_check_sched_opts o = {
		.base = base,
		.workers = cfg->check_runners ? cfg->check_runners : 4,
		.host = cfg->hostname ? cfg->hostname : "",
		.tags = (const char *const *)cfg->tags,
		.n_tags = cfg->n_tags,
		.commit = commit,
		.commit_arg = arg,
		.no_jitter = no_jitter,
	};

	c->cfg = cfg;
	c->sched = tally_check_sched_new(&o, err, err_len);
	if (!c->sched) {
		free(c);
		return NULL;
	}
	tally_checks_reload(c);
	return c;
}

void
tally_checks_free(struct tally_checks *c)
{
	tally_checks_free_by(c, tally_mono_ms() + (int64_t)(TALLY_CHECKS_STOP_WAIT_S * 1000.0));
}

void
tally_checks_stop(struct tally_checks *c)
{
	if (c)
		tally_check_sched_stop(c->sched);
}

size_t
tally_checks_free_by(struct tally_checks *c, int64_t deadline_ms)
{
	size_t stuck;

	if (!c)
		return 0;
	stuck = tally_check_sched_free_by(c->sched, deadline_ms);
	tally_plugin_list_clear(&c->plugins);
	strv_clear(&c->errors);
	strv_clear(&c->refused_paths);
	strv_clear(&c->refused_reasons);
	free(c);
	return stuck;
}

struct json_object *
tally_checks_status_json(struct tally_checks *c)
{
	return tally_check_sched_status_json(c->sched);
}

struct json_object *
tally_checks_errors_json(struct tally_checks *c)
{
	struct json_object *errors = json_object_new_array();

	for (size_t i = 0; i < c->errors.n; i++)
		json_object_array_add(errors, json_object_new_string(c->errors.v[i]));
	return errors;
}

struct json_object *
tally_checks_refused_json(struct tally_checks *c)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < c->refused_paths.n && i < c->refused_reasons.n; i++) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "path", json_object_new_string(c->refused_paths.v[i]));
		json_object_object_add(o, "reason",
		                       json_object_new_string(c->refused_reasons.v[i]));
		json_object_array_add(arr, o);
	}
	return arr;
}

struct json_object *
tally_checks_refused_json_cb(void *c)
{
	return tally_checks_refused_json(c);
}

struct json_object *
tally_checks_status_json_cb(void *c)
{
	return tally_checks_status_json(c);
}

struct json_object *
tally_checks_errors_json_cb(void *c)
{
	return tally_checks_errors_json(c);
}

/* --- tally configcheck --- */

static void
print_conf_error(void *arg, const char *msg)
{
	fprintf(arg, "%s\n", msg);
}

static void
print_instance(const struct tally_plugin *p, const struct tally_confd_instance *ci, FILE *out)
{
	fprintf(out, "    - id: %s\n      source: %s:%d:%d\n", ci->id, ci->file, ci->line, ci->col);
	fprintf(out, "      min_collection_interval: %g\n      timeout: %g\n      tags: [",
	        ci->interval_s, ci->timeout_s);
	for (size_t i = 0; i < ci->n_tags; i++)
		fprintf(out, "%s\"%s\"", i ? ", " : "", ci->tags[i]);
	fputs("]\n", out);
	tally_check_conf_print(p->desc, ci->state, "      ", out);
}

size_t
tally_checks_configcheck(const struct tally_config *cfg, FILE *out, FILE *err)
{
	struct tally_plugin_list plugins = { 0 };
	struct wanted_list w = { 0 };
	size_t errors = load_all(cfg, NULL, &plugins, &w, print_conf_error, print_refusal, err);

	fprintf(out, "checks:\n");
	for (size_t i = 0; i < plugins.n; i++) {
		const struct tally_plugin *p = plugins.items[i];

		size_t n = 0;

		fprintf(out, "  %s:  # version %s, %s\n", p->name,
		        p->desc->version ? p->desc->version : "?", p->path);
		for (size_t j = 0; j < w.n; j++) {
			if (w.v[j].plugin == p && ++n)
				print_instance(p, w.v[j].conf, out);
		}
		if (n == 0)
			fprintf(out, "    # no instances: runs only with a conf.d/%s.yaml\n",
			        p->name);
	}
	for (size_t j = 0; j < w.n; j++)
		tally_confd_instance_free(w.v[j].conf);
	free(w.v);
	tally_plugin_list_clear(&plugins);
	return errors;
}
