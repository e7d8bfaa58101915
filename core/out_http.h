/*
 * out_http: the HTTP outputs, each a thin vtable over the forwarder —
 *   "datadog"   the Datadog intake API (series, check_run, events) at cfg->dd_url with
 *               cfg->api_key; the agent adds it itself when api_key is set;
 *   "influxdb"  InfluxDB line protocol POSTed to oc->url (`outputs: [{type: influxdb, url}]`).
 * Both share the forwarder settings (forwarder_retry_queue_max_size, forwarder_storage_path,
 * forwarder_storage_max_size, forwarder_timeout, forwarder_num_workers). Constructors run on the
 * main thread, like every op of the returned output.
 */
#ifndef TALLY_CORE_OUT_HTTP_H
#define TALLY_CORE_OUT_HTTP_H

#include <stddef.h>

struct event_base;
struct tally_config;
struct tally_output;
struct tally_output_conf;

/*
 * Returns the Datadog output, or NULL with a message in err (no api_key, bad dd_url).
 * cfg and base are borrowed and must outlive the output; free it through its ops.
 */
struct tally_output *tally_out_datadog_new(const struct tally_config *cfg, struct event_base *base,
                                           char *err, size_t err_len);

/*
 * Returns an InfluxDB output for oc (oc->url required, borrowed for the call only), or NULL
 * with a message in err. cfg and base are borrowed and must outlive the output.
 */
struct tally_output *tally_out_influxdb_new(const struct tally_output_conf *oc,
                                            const struct tally_config *cfg, struct event_base *base,
                                            char *err, size_t err_len);

#endif
