/*
 * agg_internal: the aggregator's private state, shared only by core/agg.c (the table-driving
 * core), core/agg_types.c (what each kind adds and emits) and the unit tests (which look at
 * memory use and table internals). Same threading rule as agg.h: one thread.
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

/* Flush state for one context: batch copies of its strings, made on the first series. */
struct tally_agg_emitter {
	struct tally_agg *agg;
	struct tally_batch *b;
	int64_t timestamp;
	const struct tally_ctx *ctx;
	struct tally_ctx_strings str; /* str.name NULL until copied */
	/* b's copies of the last tag set exported; reset whenever b changes. */
	struct tally_ctx_export_cache cache;
};

/*
 * One row per kind: add a sample; flush a bucket that has samples; release the lazily
 * allocated state (at an idle flush and when the context goes).
 */
struct tally_agg_kind_ops {
	void (*add)(struct tally_ctx *ctx, const struct tally_sample *s);
	void (*flush)(struct tally_agg_emitter *e, struct tally_ctx *ctx);
	void (*release)(struct tally_ctx *ctx);
};

/* Indexed by enum tally_agg_kind (agg_types.c). */
extern const struct tally_agg_kind_ops tally_agg_kinds[TALLY_AGG_KIND__N];

/*
 * Appends one series named after e's context plus suffix ("" for none) to e's batch, copying
 * the context's strings into the batch on the first series (agg.c).
 */
void tally_agg_emit(struct tally_agg_emitter *e, const char *suffix, enum tally_series_kind kind,
                    double value);

#endif
