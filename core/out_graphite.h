/*
 * out_graphite: the Graphite output ({type: graphite, address: host:port}) — each flush's
 * series as Graphite 1.1 tagged plaintext lines (graphite_fmt.h) over one TCP connection.
 *
 * Everything runs on the main event loop and nothing waits: the transport (linestream.h) is a
 * non-blocking connection with timeouts of forwarder_timeout (at most 10 s to connect) that
 * reconnects with exponential backoff and jitter, 1 s to 60 s, while lines wait in a queue
 * bounded by forwarder_retry_queue_max_size that drops the oldest lines first when full. At
 * shutdown drain() keeps sending until the deadline. Health goes out as tally.forwarder.*
 * series tagged output:graphite: sent (lines), sent_bytes, retried (reconnect attempts),
 * dropped (reason:queue_full, reason:invalid for NaN/Inf values), queue_bytes, connected.
 *
 * With forwarder_storage_path set, nothing is dropped for a full queue or at shutdown: the
 * oldest half of a full queue, and whatever is still queued when drain() gives up, goes to
 * the disk spool (fwd_spool.h, endpoint "lines") in <forwarder_storage_path>/graphite-<host>_
 * <port>/, bounded by forwarder_storage_max_size. Spooled files are read back into the queue,
 * oldest first, at start and on each flush while they fit, and deleted once queued (at least
 * once, as the HTTP forwarder). Extra series then: spooled (lines), spool_bytes, and dropped
 * with reason:spool_error (lines), reason:spool_full and reason:outdated (spool files removed
 * for the size bound or for age).
 * Main thread only.
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
                                            const struct tally_config *cfg, struct event_base *base,
                                            char *err, size_t err_len);

#endif
