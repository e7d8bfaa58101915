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
	/*
	 * Room for a line's tags plus the origin tag: the parser's tag capacity + 1, and
	 * TALLY_RX_ENTITY_TAGS more when entity_lookup is set.
	 */
	struct tally_slice *tag_scratch;
	/*
	 * The tagger (tagger.h): tags published for container id[0..len), or NULL. NULL
	 * entity_lookup: no entity tags. origin_extra holds the origin's (tally_rx_set_origin).
	 */
	const struct tally_slice *(*entity_lookup)(void *arg, const char *id, size_t len,
	                                           int64_t now_s, size_t *n);
	void *entity_arg;
	const struct tally_slice *origin_extra;
	size_t n_origin_extra;
	/* dogstatsd_origin_detection_client: |c:ci-ID and dd.internal.entity_id:ID name the origin
	 */
	bool origin_client;
	char field_tag[96]; /* "container_id:ID" of the current line's |c: field */
};

/* Entity tags a line may get on top of its own (tagger.h's TALLY_TAGGER_MAX_TAGS + 1). */
#define TALLY_RX_ENTITY_TAGS 65

/*
 * Sets the current datagram's origin tag ("container_id:ID" or NULL) and looks up the tags
 * published for that container. Call with NULL after the datagram.
 */
void tally_rx_set_origin(struct tally_rx_ctx *ctx, const char *origin_tag);

/*
 * Processes buf[0..len) received on listener kind. truncated means the datagram did not fit the
 * buffer: its last, cut line is dropped and the datagram counted as truncated. buf is modified.
 */
void tally_rx_process(struct tally_rx_ctx *ctx, enum tally_listener_kind kind, char *buf,
                      size_t len, bool truncated);

#endif
