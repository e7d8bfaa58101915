/*
 * out_graphite: the Graphite output ({type: graphite, address: host:port}) — each flush's
 * series as Graphite 1.1 tagged plaintext lines (graphite_fmt.h) over one TCP connection.
 *
 * Everything runs on the main event loop and nothing waits: the connection is a libevent
 * bufferevent (non-blocking DNS and connect, connect and write timeouts of forwarder_timeout,
 * at most 10 s for the connect); when it fails or drops, reconnects back off exponentially
 * with jitter from 1 s to 60 s. Lines wait in a byte-bounded queue (lineq.h,
 * forwarder_retry_queue_max_size) that drops the oldest lines first when full. At shutdown
 * drain() keeps sending until the deadline. Health goes out as tally.forwarder.* series tagged
 * output:graphite. Main thread only.
 */
#ifndef TALLY_CORE_OUT_GRAPHITE_H
#define TALLY_CORE_OUT_GRAPHITE_H

#include <stddef.h>

struct event_base;
struct tally_config;
struct tally_output_conf;

/*
 * Builds the output for oc (oc->address "host:port", port 2003 when left out) and starts
 * connecting on base. Borrows oc only for the call; cfg and base must outlive the output.
 * Returns the output (free it through its ops->free), or NULL with a message in err.
 */
struct tally_output *tally_out_graphite_new(const struct tally_output_conf *oc,
					    const struct tally_config *cfg,
					    struct event_base *base, char *err, size_t err_len);

#endif
