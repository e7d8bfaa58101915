/*
 * check_conf: a check's config table (struct tally_check_conf in tally/check.h): checks that a
 * plugin's table is sound, and binds one conf.d instance's values into a fresh state.
 *
 * Binding takes each key from the instance, else from init_config, else from the table's
 * default; it reports every unknown key, wrong type, out-of-range value and missing required
 * key as "FILE:LINE:COL: WHERE.KEY: message" through a callback, so `tally configcheck` can
 * list them all. The generic keys every instance has (min_collection_interval, timeout,
 * tags, service) are read by confd, not here, but are known keys here.
 *
 * No global state; any thread may call these on its own objects.
 */
#ifndef TALLY_CORE_CHECK_CONF_H
#define TALLY_CORE_CHECK_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct tally_check_conf;
struct tally_check_plugin;
struct tally_ynode;

/* Receives one error message ("FILE:LINE:COL: ..."); msg is borrowed for the call. */
typedef void (*tally_check_conf_report_fn)(void *arg, const char *msg);

/* Memory the agent allocated for bound values (strings, lists); freed after destroy(). */
struct tally_check_bound {
	void **ptrs;
	size_t n, cap;
};

/* Is key one of the keys every instance has (in_instance) or init_config may set? */
bool tally_check_conf_is_generic(const char *key, bool in_instance);

/*
 * Checks desc's config table: known types, unique keys that are not generic keys, fields
 * inside state_size and aligned, defaults that parse. 0, or -EINVAL with one line in err.
 */
int tally_check_conf_table_check(const struct tally_check_plugin *desc, char *err, size_t err_len);

/*
 * Binds the values for desc's keys into state (state_size zeroed bytes), from instance (a
 * map), else init_config (a map or null), else the default; unknown keys of instance are
 * errors (those of init_config are tally_check_conf_check_init()'s). where names the instance in
 * messages ("instances[0]"). Borrows the nodes; the strings and lists bound are recorded in
 * *bound, which the caller frees with tally_check_conf_bound_free() after destroy(). Every
 * error goes to report(arg, msg). Returns 0, or -EINVAL when there was at least one error
 * (the state is then only partly bound and must not be handed to the check).
 */
int tally_check_conf_bind(const struct tally_check_plugin *desc,
                          const struct tally_ynode *init_config, const struct tally_ynode *instance,
                          const char *where, void *state, struct tally_check_bound *bound,
                          tally_check_conf_report_fn report, void *arg);

/*
 * Reports every key of init_config (a map or null) that is neither one of desc's keys nor
 * one init_config may set. Returns 0 or -EINVAL.
 */
int tally_check_conf_check_init(const struct tally_check_plugin *desc,
                                const struct tally_ynode *init_config,
                                tally_check_conf_report_fn report, void *arg);

/* Frees what a bind allocated and empties *b. */
void tally_check_conf_bound_free(struct tally_check_bound *b);

/* Writes "key: value  # doc" lines for every key of desc as bound in state (configcheck). */
void tally_check_conf_print(const struct tally_check_plugin *desc, const void *state,
                            const char *indent, FILE *out);

/*
 * A check that enforces a deadline on what it runs itself (the exec check kills its command)
 * declares "timeout" as a TALLY_CONF_DOUBLE: the value is bound into its state like any key,
 * and the agent gives the run TALLY_CHECK_OWN_TIMEOUT_GRACE_S more before it calls the run
 * overdue. Returns true and the bound value when desc declares it.
 */
#define TALLY_CHECK_OWN_TIMEOUT_GRACE_S 2.0
bool tally_check_conf_own_timeout(const struct tally_check_plugin *desc, const void *state,
                                  double *timeout_s);

#endif
