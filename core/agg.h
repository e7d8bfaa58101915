/*
 * agg: the aggregator. Merges samples into contexts and, at each flush, turns the interval's
 * bucket into series with the Datadog agent's semantics (reference/dogstatsd.md §2).
 *
 * A context is name + host + the sorted, de-duplicated tag set (order and repeats in the input
 * do not matter). One aggregator is owned by one thread: tally_agg_add() and tally_agg_flush()
 * must be called from that thread only, and nothing here takes a lock.
 *
 * Per type, at flush (one bucket = everything added since the previous flush, stamped with
 * bucket_start_s and interval_s):
 *   counter      value*(1/rate) summed, emitted as RATE sum/interval; after its last sample it
 *                emits 0 every flush until expiry_s has passed, then the context is removed
 *   count        (checks) summed, emitted as COUNT
 *   gauge        last value, GAUGE; nothing for a bucket without samples
 *   set          number of distinct members, GAUGE
 *   timer/hist   per configured aggregate name.max/.min/.median/.avg/.sum (GAUGE) and .count
 *                (RATE, weighted count/interval), and name.<P>percentile (GAUGE) with the agent's
 *                weighted-rank rule; weight = (int)(1/rate). Timer and histogram samples may
 *                share a context.
 *   distribution DDSketch-style (<= 1% relative error), emitted as .avg .min .max .sum (GAUGE),
 *                .count (RATE) and .p50 .p75 .p90 .p95 .p99 (GAUGE)
 * Samples with a timestamp (|T) bypass the buckets and go out at the next flush as they came:
 * a counter as COUNT with value*(1/rate), a gauge as GAUGE; other types ignore the timestamp.
 * They make no context; at most TALLY_AGG_MAX_PENDING (100,000) wait for a flush.
 * Non-counter contexts idle for context_expiry_s are removed.
 *
 * Choices beyond the agent: a distribution sample is weighted like a histogram's, (int)(1/rate);
 * packed values of one timestamped sample make one point (a counter's summed, a gauge's last).
 */
#ifndef TALLY_CORE_AGG_H
#define TALLY_CORE_AGG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct tally_batch;

/* Histogram aggregates, as bits of tally_agg_opts.hist_aggregates. */
enum tally_hist_agg {
	TALLY_HAGG_MAX = 1u << 0,
	TALLY_HAGG_MIN = 1u << 1,
	TALLY_HAGG_MEDIAN = 1u << 2,
	TALLY_HAGG_AVG = 1u << 3,
	TALLY_HAGG_SUM = 1u << 4,
	TALLY_HAGG_COUNT = 1u << 5,
};
#define TALLY_HAGG_DEFAULT (TALLY_HAGG_MAX | TALLY_HAGG_MEDIAN | TALLY_HAGG_AVG | TALLY_HAGG_COUNT)

struct tally_agg_opts {
	uint32_t interval_s;       /* flush_interval; > 0 */
	uint32_t expiry_s;         /* dogstatsd_expiry_seconds: counter zero-fill window */
	uint32_t context_expiry_s; /* idle non-counter contexts are dropped after this */
	size_t context_limit;      /* dogstatsd_context_limit */
	unsigned hist_aggregates;  /* TALLY_HAGG_* bits */
	const double *percentiles; /* fractions in (0, 1], e.g. 0.95 -> name.95percentile */
	size_t n_percentiles;
	const char *default_host;      /* host of contexts without a host: tag; "" for none */
	const char *const *extra_tags; /* config "tags": merged into every context's tag set */
	size_t n_extra_tags;
};

/* Why tally_agg_add() dropped a sample; 0 is success. */
enum tally_agg_result {
	TALLY_AGG_OK = 0,
	TALLY_AGG_DROP_CONTEXT_LIMIT, /* a new context while context_limit are live */
	TALLY_AGG_DROP_TYPE_CONFLICT, /* the context exists with another type */
	TALLY_AGG_DROP_PENDING_FULL,  /* a timestamped sample while the pending list is full */
};

struct tally_agg_stats {
	size_t contexts;                /* live contexts now */
	uint64_t dropped_context_limit; /* samples, since start */
	uint64_t dropped_type_conflict; /* samples, since start */
	uint64_t contexts_expired;      /* since start */
	uint64_t dropped_timestamped;   /* samples, since start: pending list full */
	size_t pending;                 /* timestamped samples waiting for the next flush */
};

struct tally_agg;

/*
 * Returns a new aggregator; opts and everything it points to are copied. NULL if invalid:
 * interval_s or context_limit 0, a percentile outside (0, 1], a NULL array or extra tag.
 */
struct tally_agg *tally_agg_new(const struct tally_agg_opts *opts);
/* Accepts NULL. */
void tally_agg_free(struct tally_agg *agg);

/*
 * Adds every value of *s at time now_s (Unix seconds, used for expiry). Borrows *s for the call.
 * Returns TALLY_AGG_OK or why the sample was dropped (also counted in the stats).
 */
enum tally_agg_result tally_agg_add(struct tally_agg *agg, const struct tally_sample *s,
                                    int64_t now_s);

struct tally_ctx;
struct tally_ctx_key;

/*
 * tally_agg_add() in steps, so that the receiver can key a few lines ahead and have the memory
 * of their contexts on its way while it parses (the lookups of a busy table miss the caches):
 *   tally_agg_key()            computes the key of *s (it borrows *s's strings) and starts
 *                              loading the table slot the lookup will read first
 *   tally_agg_prefetch_ctx()   once that slot is in cache: starts loading the context itself
 *                              and returns it as a guess (or NULL), so the add need not probe
 *                              the table again
 *   tally_agg_add_keyed()      adds *s when its context exists (the guess is checked, never
 *                              trusted); returns false, having done nothing, when it does not,
 *                              and the caller then uses tally_agg_add() with the full sample
 * *s must be a sample tally_agg_add() would aggregate: values, no timestamp. Keys and guesses
 * stay valid until the next flush; only tally_agg_add*() may run in between.
 */
void tally_agg_key(struct tally_agg *agg, const struct tally_sample *s, struct tally_ctx_key *k);
struct tally_ctx *tally_agg_prefetch_ctx(const struct tally_agg *agg,
                                         const struct tally_ctx_key *k);
bool tally_agg_add_keyed(struct tally_agg *agg, const struct tally_sample *s,
                         const struct tally_ctx_key *k, struct tally_ctx *guess, int64_t now_s,
                         enum tally_agg_result *result);

/*
 * Closes the current bucket: appends its series (stamped bucket_start_s) and the pending
 * timestamped samples to *out, resets the bucket, applies zero-fill and expiry relative to now_s.
 */
void tally_agg_flush(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s,
                     struct tally_batch *out);

/*
 * Hands over a full batch during tally_agg_flush_chunked() and returns the batch to continue
 * filling (the aggregator's thread).
 */
typedef struct tally_batch *(*tally_agg_chunk_fn)(struct tally_batch *full, void *arg);

/*
 * Like tally_agg_flush(), but once *out holds chunk_series series it is passed to fn, so a flush
 * of millions of contexts never builds one huge batch. A context's series stay in one batch.
 * On return *out is the last (current) batch.
 */
void tally_agg_flush_chunked(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s,
                             struct tally_batch **out, size_t chunk_series, tally_agg_chunk_fn fn,
                             void *arg);

void tally_agg_get_stats(const struct tally_agg *agg, struct tally_agg_stats *stats);

#endif
