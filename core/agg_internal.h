/*
 * agg_internal: the aggregator's private state, shared only by core/agg.c and its unit tests
 * (which look at memory use and table internals). Same threading rule as agg.h: one thread.
 */
#ifndef TALLY_CORE_AGG_INTERNAL_H
#define TALLY_CORE_AGG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "batch.h"
#include "ctx_table.h"

/* Timestamped samples waiting for the next flush; more are dropped and counted. */
#define TALLY_AGG_MAX_PENDING 100000

/* What a context aggregates; the value of tally_ctx.kind. Timers share HIST with histograms. */
enum tally_agg_kind {
	TALLY_AGG_KIND_COUNTER = 0,
	TALLY_AGG_KIND_GAUGE,
	TALLY_AGG_KIND_HIST,
	TALLY_AGG_KIND_SET,
	TALLY_AGG_KIND_DIST,
	TALLY_AGG_KIND_COUNT,
	TALLY_AGG_KIND__N
};

/* tally_ctx.flags */
#define TALLY_AGG_CTX_DIRTY 0x1u /* has samples in the open bucket */

/* A timestamped sample: its own context copy (outside the table), kind and value. */
struct tally_agg_pending {
	struct tally_ctx *ctx;
	int64_t timestamp;
	double value;
	enum tally_series_kind kind;
};

struct tally_agg {
	/* The caller's opts; the table keeps default_host and extra_tags, which are cleared. */
	struct tally_agg_opts opts;
	double *percentiles; /* copy of opts.percentiles */
	char **pct_suffix;   /* ".95percentile", one per percentile */

	struct tally_ctx_table *table;
	struct tally_agg_pending *pending;
	size_t n_pending, cap_pending;
	struct tally_agg_stats stats;

	char *name_buf; /* flush scratch for name + suffix */
	size_t cap_name_buf;
};

#endif
