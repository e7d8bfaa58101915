/*
 * config: the main configuration (DESIGN.md "Configuration"), loaded from YAML with every key
 * overridable by a DD_<KEY> environment variable, or the embedded default when no file is given.
 *
 * Loading is done once on the main thread (and again on SIGHUP); the result is immutable and
 * may then be read from any thread. Errors are reported as "FILE:LINE:COL: message".
 */
#ifndef TALLY_CORE_CONFIG_H
#define TALLY_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One entry of `outputs:`. Keys that a type does not use stay NULL. The Datadog intake at dd_url
 * is not listed here: it is on whenever api_key is set. A "datadog" entry is another
 * Datadog-compatible intake (e.g. VictoriaMetrics' /datadog) and always has a url.
 */
struct tally_output_conf {
	char *type;    /* "console", "graphite", "influxdb", "prometheus", "datadog" */
	char *address; /* graphite: host:port */
	char *url;     /* influxdb: http://host:port/write?db=...; datadog: base URL, no '/' */
	char *listen;  /* prometheus: host:port, host may be empty (all addresses) */
	int line, col; /* where it was declared, for later error messages; 0 when from env */
};

struct tally_config {
	char *source;   /* the file loaded, or "<embedded>" */
	char *api_key;  /* NULL when unset */
	char *dd_url;   /* default https://api.datadoghq.com, no trailing '/' */
	char *hostname; /* default: gethostname() */
	char **tags;
	size_t n_tags;
	char *bind_host;    /* default 127.0.0.1; 0.0.0.0 when dogstatsd_non_local_traffic */
	int dogstatsd_port; /* 0 turns UDP off */
	bool dogstatsd_non_local_traffic;
	char *dogstatsd_socket; /* NULL when unset */
	size_t dogstatsd_buffer_size;
	size_t dogstatsd_so_rcvbuf;
	size_t dogstatsd_context_limit;
	uint32_t dogstatsd_expiry_seconds;
	uint32_t flush_interval;       /* seconds */
	unsigned histogram_aggregates; /* TALLY_HAGG_* bits (agg.h) */
	double *histogram_percentiles; /* fractions, e.g. 0.95 */
	size_t n_histogram_percentiles;
	char *confd_path;
	char **checksd_paths; /* checksd_path: one folder or a list */
	size_t n_checksd_paths;
	unsigned check_runners; /* worker threads for checks, default 4 */
	struct tally_output_conf *outputs;
	size_t n_outputs;
	size_t forwarder_retry_queue_max_size; /* bytes */
	char *forwarder_storage_path;          /* NULL: no disk spool */
	size_t forwarder_storage_max_size;     /* bytes */
	double forwarder_timeout;              /* seconds */
	double forwarder_stop_timeout;         /* seconds */
	unsigned forwarder_num_workers;        /* requests in flight per endpoint */
	int log_level;                         /* enum tally_log_level */
	char *log_file;                        /* NULL: stderr */
	char *status_listen; /* local status API, default 127.0.0.1:5000; NULL when disabled
	                      * ("" or "0" in the file or DD_STATUS_LISTEN) */
	/* the |c:ci-ID field and dd.internal.entity_id tag name a line's container */
	bool dogstatsd_origin_detection_client;
};

/*
 * Loads path (NULL: the embedded default), then applies DD_<KEY> environment overrides.
 * Returns a new config the caller frees with tally_config_free(), or NULL with a
 * "FILE:LINE:COL: message" (or "FILE: message", "DD_KEY: message") in err.
 *
 * Unknown keys are errors, except well-known datadog.yaml keys that do not apply to Tally
 * (apm_config, logs_enabled, ...), which are named in one warning. A null value (`key:`) or an
 * empty environment variable leaves the default. Also accepted: `site` (dd_url becomes
 * https://api.<site> unless dd_url is given). With no outputs and no api_key, outputs is one
 * console entry. Not thread-safe against concurrent setenv().
 */
struct tally_config *tally_config_load(const char *path, char *err, size_t err_len);
/*
 * `tally configcheck`: the same, but every error of the file and the environment goes to
 * report(arg, "FILE:LINE:COL: message") and loading goes on (a key in error keeps its
 * default). *n_errors counts them. Returns the config (NULL only when it cannot be built).
 */
struct tally_config *tally_config_load_all(const char *path,
                                           void (*report)(void *arg, const char *msg), void *arg,
                                           size_t *n_errors);
/* Accepts NULL. */
void tally_config_free(struct tally_config *cfg);
/* Writes the resolved configuration as YAML; api_key shows only its last 5 characters. */
void tally_config_print(const struct tally_config *cfg, FILE *out);

#endif
