/*
 * selfstats: the agent's own health counters, emitted every flush as tally.* metrics and read
 * by `tally status`.
 *
 * The receiver thread is the only writer: it bumps plain fields on the hot path and publishes
 * them with relaxed atomic stores once per receive batch, so other threads read recent totals
 * without any locked instruction on the hot path. All counters are totals since start.
 */
#ifndef TALLY_CORE_SELFSTATS_H
#define TALLY_CORE_SELFSTATS_H

#include <stdatomic.h>
#include <stdint.h>

#include "parse.h"

struct tally_batch;
struct tally_agg_stats;

enum tally_listener_kind { TALLY_LISTENER_UDP = 0, TALLY_LISTENER_UDS, TALLY_LISTENER__COUNT };

/* Written by the receiver thread only. */
struct tally_rx_counters {
	uint64_t packets[TALLY_LISTENER__COUNT];
	uint64_t bytes[TALLY_LISTENER__COUNT];
	uint64_t metrics; /* values accepted (a packed line counts each value) */
	uint64_t service_checks;
	uint64_t events;
	uint64_t parse_errors[TALLY_PERR__COUNT];
	uint64_t truncated;    /* datagrams larger than dogstatsd_buffer_size */
	uint64_t kernel_drops; /* SO_RXQ_OVFL: datagrams the kernel dropped, buffer full */
	uint64_t dropped_context_limit;
	uint64_t dropped_type_conflict;
	uint64_t contexts;        /* live, a level not a total */
	uint64_t backlog_dropped; /* datagrams read during a flush with the backlog full */
	/* Per listener, for the status API: values accepted and lines rejected. */
	uint64_t metrics_by[TALLY_LISTENER__COUNT];
	uint64_t parse_errors_by[TALLY_LISTENER__COUNT];
};

/* The published copy, readable from any thread. */
struct tally_selfstats {
	_Atomic uint64_t v[sizeof(struct tally_rx_counters) / sizeof(uint64_t)];
};

/* Publishes *c into *pub (receiver thread). */
void tally_selfstats_publish(struct tally_selfstats *pub, const struct tally_rx_counters *c);
/* Reads the published totals into *c (any thread). */
void tally_selfstats_read(const struct tally_selfstats *pub, struct tally_rx_counters *c);

/*
 * Appends the tally.* series for the interval between *prev and *now (counts as COUNT series,
 * levels as GAUGE) to b, then copies *now into *prev. host and tags are copied.
 */
void tally_selfstats_emit(struct tally_batch *b, const struct tally_rx_counters *now,
                          struct tally_rx_counters *prev, int64_t ts, uint32_t interval_s,
                          const char *host, const char *const *tags, size_t n_tags);

#endif
