/*
 * out_prom: the Prometheus output ({type: prometheus, listen: host:port}) — an evhttp server on
 * the main event loop that answers GET /metrics with the latest state of every series
 * (prom_store.h) in the text exposition format 0.0.4, and 404 for any other path.
 *
 * submit() folds each flush into the store; a scrape renders the store and never waits on the
 * receiver, which runs on its own thread. Series idle for dogstatsd_expiry_seconds (at least
 * three flush intervals) drop out; at most dogstatsd_context_limit series are kept, and what is
 * dropped is counted in tally.prometheus.* series tagged output:prometheus. Main thread only.
 */
#ifndef TALLY_CORE_OUT_PROM_H
#define TALLY_CORE_OUT_PROM_H

#include <stddef.h>

struct event_base;
struct tally_config;
struct tally_output_conf;

/*
 * Builds the output for oc (oc->listen "host:port"; ":port" listens on every address) and
 * starts serving on base. Borrows oc only for the call; cfg and base must outlive the output.
 * Returns the output (free it through its ops->free), or NULL with a message in err when the
 * address is malformed or cannot be bound.
 */
struct tally_output *tally_out_prom_new(const struct tally_output_conf *oc,
                                        const struct tally_config *cfg, struct event_base *base,
                                        char *err, size_t err_len);

#endif
