/*
 * config_internal: the seams of the config loader, shared by config.c (the key table, the file
 * and DD_<KEY> sources, derived defaults), config_set.c (the typed setters), config_outputs.c
 * (`outputs:`). Not for other modules: they use config.h. Same threading rule as config.h:
 * loading happens on the main thread.
 */
#ifndef TALLY_CORE_CONFIG_INTERNAL_H
#define TALLY_CORE_CONFIG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "ytree.h"

struct tally_config_key;

/* State of one load: what was set explicitly, so derived defaults do not override it. */
struct tally_config_loader {
	struct tally_config *cfg;
	bool *set;     /* per key of the table */
	bool env;      /* applying environment overrides */
	char *site;    /* datadog.yaml `site`: dd_url is derived from it unless given */
	char *ignored; /* well-known datadog.yaml keys we skip, for one log line */
	char *err;
	size_t err_len;
	/* configcheck: each error goes here and loading goes on (NULL: stop at the first). */
	void (*report)(void *arg, const char *msg);
	void *report_arg;
	size_t n_errors;
};

/* The integer field types that tally_config_set_integer() can store into. */
enum tally_config_field {
	TALLY_CONFIG_F_INT,
	TALLY_CONFIG_F_UINT,
	TALLY_CONFIG_F_U32,
	TALLY_CONFIG_F_SIZE,
};

/* How DD_<KEY> is read: one value, a list split at spaces/commas or ':', or YAML text. */
enum tally_config_env_form {
	TALLY_CONFIG_ENV_SCALAR,
	TALLY_CONFIG_ENV_WORDS,
	TALLY_CONFIG_ENV_PATHS,
	TALLY_CONFIG_ENV_YAML,
};

/* One row of the key table (config.c). */
struct tally_config_key {
	const char *name;
	int (*set)(struct tally_config_loader *ld, const struct tally_config_key *k,
	           const struct tally_ynode *v, const char *what);
	enum tally_config_env_form env;
	size_t off, off_n; /* the field in struct tally_config, and its count for lists */
	enum tally_config_field field;
	double min, max;
};

/*
 * Setters (config_set.c, config_outputs.c), one per kind of key: each reads v (borrowed, never
 * null) into the field k names in ld->cfg, replacing and freeing what was there. what names the
 * value in messages, NULL for the environment. Return 0, or -EINVAL with "FILE:LINE:COL: what:
 * ..." in ld->err and the field unchanged.
 */
int tally_config_set_opt_str(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);
int tally_config_set_req_str(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);
int tally_config_set_url(struct tally_config_loader *ld, const struct tally_config_key *k,
                         const struct tally_ynode *v, const char *what);
/* Into ld->site, not a field: dd_url is derived from it later. */
int tally_config_set_site(struct tally_config_loader *ld, const struct tally_config_key *k,
                          const struct tally_ynode *v, const char *what);
/* Within k->min..k->max, stored as k->field says. */
int tally_config_set_integer(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);
int tally_config_set_size(struct tally_config_loader *ld, const struct tally_config_key *k,
                          const struct tally_ynode *v, const char *what);
int tally_config_set_seconds(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);
int tally_config_set_bool(struct tally_config_loader *ld, const struct tally_config_key *k,
                          const struct tally_ynode *v, const char *what);
/* Into the fields off (char **) and off_n (size_t); split at " ," for TALLY_CONFIG_ENV_WORDS. */
int tally_config_set_strlist(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);
int tally_config_set_log_level(struct tally_config_loader *ld, const struct tally_config_key *k,
                               const struct tally_ynode *v, const char *what);
/* host:port, or "" / "0" for off. */
int tally_config_set_status_listen(struct tally_config_loader *ld, const struct tally_config_key *k,
                                   const struct tally_ynode *v, const char *what);
int tally_config_set_aggregates(struct tally_config_loader *ld, const struct tally_config_key *k,
                                const struct tally_ynode *v, const char *what);
int tally_config_set_percentiles(struct tally_config_loader *ld, const struct tally_config_key *k,
                                 const struct tally_ynode *v, const char *what);
/* config_outputs.c */
int tally_config_set_outputs(struct tally_config_loader *ld, const struct tally_config_key *k,
                             const struct tally_ynode *v, const char *what);

/* Helpers of config_set.c that the other files use. */

/* Frees *dst and stores a copy of s, or NULL when s is "" (so `foo: ""` means unset). */
void tally_config_replace_str(char **dst, const char *s);
/* Writes "what: expected <want>, got <v>" at v; returns -EINVAL. */
int tally_config_expected(struct tally_config_loader *ld, const struct tally_ynode *v,
                          const char *what, const char *want);
/* An http(s) URL without its trailing '/' into *out (the caller frees it). */
int tally_config_get_url(struct tally_config_loader *ld, const struct tally_ynode *v,
                         const char *what, char **out);
/* "host:port" (the host may be empty if empty_host) into *out (the caller frees it). */
int tally_config_get_host_port(struct tally_config_loader *ld, const struct tally_ynode *v,
                               const char *what, bool empty_host, char **out);
/* "what[i]" into buf, or NULL (no prefix) when what is NULL. */
const char *tally_config_item_name(char *buf, size_t size, const char *what, size_t i);

/* config_outputs.c: frees n entries and the array; accepts NULL. */
void tally_config_outputs_free(struct tally_output_conf *o, size_t n);

#endif
