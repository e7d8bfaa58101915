/*
 * confd: a check's configuration, Datadog style: conf.d/NAME.yaml and every
 * conf.d/NAME.d/<file>.yaml (".yml" too; anything else, such as NAME.yaml.example, is
 * ignored), each with `init_config:` (shared by the file's instances) and `instances:`.
 *
 * Each entry of instances: becomes one resolved instance: the generic keys every instance has
 * (min_collection_interval, default 15 s; timeout, default the interval but at least 1 s;
 * tags; service, which adds the tag service:VALUE; the first two may also be set in
 * init_config for all its instances) and a fresh state with the check's own keys bound into
 * it (check_conf.h). Every problem is reported as "FILE:LINE:COL: message" through a callback;
 * an instance with an error is left out, the others still load.
 *
 * A check with no file runs one instance made of defaults only when its descriptor has
 * TALLY_CHECK_DEFAULT_INSTANCE; otherwise it does not run.
 *
 * No global state; main thread in the agent, but any thread may load its own instances.
 */
#ifndef TALLY_CORE_CONFD_H
#define TALLY_CORE_CONFD_H

#include <stddef.h>
#include <stdint.h>

#include "check_conf.h"

struct tally_check_plugin;

#define TALLY_CONFD_DEFAULT_INTERVAL_S 15.0
#define TALLY_CONFD_MIN_INTERVAL_S     0.05
#define TALLY_CONFD_MAX_INTERVAL_S     86400.0

/* One resolved entry of instances:. Everything here is owned by the instance. */
struct tally_confd_instance {
	char *check; /* the check's name */
	char *id;    /* "NAME:0123456789abcdef": a digest of init_config and the instance */
	char *file;  /* the file it came from, or "NAME <default instance>" */
	int line, col;
	size_t index;      /* position in its file's instances: */
	double interval_s; /* min_collection_interval */
	double timeout_s;
	char **tags; /* tags: plus service:VALUE, as written */
	size_t n_tags;
	void *state; /* state_size bytes (at least 1), values bound */
	struct tally_check_bound bound;
};

struct tally_confd_list {
	struct tally_confd_instance **items;
	size_t n, cap;
};

/*
 * Loads every conf.d file of the check desc describes from confd_path and appends one
 * instance per valid entry to *out (the list owns them). Borrows desc. Each problem goes to
 * report(arg, "FILE:LINE:COL: message"). Returns the number of problems (0: all good).
 */
size_t tally_confd_load(const char *confd_path, const struct tally_check_plugin *desc,
                        struct tally_confd_list *out, tally_check_conf_report_fn report, void *arg);

/*
 * Appends the name of every check that has a file in confd_path (NAME.yaml, NAME.yml, a
 * NAME.d folder, or the bundled NAME.yaml.default), sorted, without repeats, to *names (n entries);
 * the caller frees each and the array. Returns 0 or -errno when confd_path cannot be read.
 */
int tally_confd_names(const char *confd_path, char ***names, size_t *n);

/*
 * Frees ci: its bound values and state. The check's destroy() must have run on the state
 * first (or init never have). Accepts NULL.
 */
void tally_confd_instance_free(struct tally_confd_instance *ci);
/* Takes ownership of ci. */
void tally_confd_list_add(struct tally_confd_list *l, struct tally_confd_instance *ci);
/* Frees every instance still in the list and the list's array. */
void tally_confd_list_clear(struct tally_confd_list *l);

#endif
