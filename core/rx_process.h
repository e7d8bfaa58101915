/*
 * rx_process: what the receiver does with one datagram — cut lines, parse, hand metrics to the
 * aggregator and service checks / events to the pending batch, count everything by outcome.
 * Receiver thread only; no I/O besides rate-limited log lines for bad input.
 */
#ifndef TALLY_CORE_RX_PROCESS_H
#define TALLY_CORE_RX_PROCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selfstats.h"

struct tally_agg;
struct tally_batch;
struct tally_parser;

struct tally_rx_ctx {
	struct tally_parser *parser;
	struct tally_agg *agg;
	struct tally_batch *pending; /* service checks and events wait here for the flush */
	struct tally_rx_counters *counters;
	const char *default_host;
	int64_t now_s;
	/* "container_id:ID" of the current datagram's sender (Unix socket), or NULL. */
	const char *origin_tag;
	/* Room for a line's tags plus the origin tag: the parser's tag capacity + 1. */
	struct tally_slice *tag_scratch;
};

/*
 * Processes buf[0..len) received on listener kind. truncated means the datagram did not fit the
 * buffer: its last, cut line is dropped and the datagram counted as truncated. buf is modified.
 */
void tally_rx_process(struct tally_rx_ctx *ctx, enum tally_listener_kind kind, char *buf,
                      size_t len, bool truncated);

#endif
