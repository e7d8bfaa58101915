#include "config.h"

#include "agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"
#include "batch.h"
#include "ctx_table.h"
#include "hist.h"
#include "sketch.h"
#include "uset.h"
#include "xmem.h"

/* Flush state for one context: batch copies of its strings, made on the first series. */
struct emitter {
	struct tally_agg *agg;
	struct tally_batch *b;
	int64_t timestamp;
	const struct tally_ctx *ctx;
	struct tally_ctx_strings str; /* str.name NULL until copied */
};

struct flush_state {
	struct emitter e;
	int64_t bucket_start_s, now_s;
};

/*
 * One row per kind: add a sample; flush a bucket that has samples; release the lazily
 * allocated state (at an idle flush and when the context goes).
 */
struct kind_ops {
	void (*add)(struct tally_ctx *ctx, const struct tally_sample *s);
	void (*flush)(struct emitter *e, struct tally_ctx *ctx);
	void (*release)(struct tally_ctx *ctx);
};

static const uint8_t kind_of_type[TALLY_MT__COUNT] = {
	[TALLY_MT_COUNTER] = TALLY_AGG_KIND_COUNTER,   [TALLY_MT_GAUGE] = TALLY_AGG_KIND_GAUGE,
	[TALLY_MT_TIMER] = TALLY_AGG_KIND_HIST,	       [TALLY_MT_HISTOGRAM] = TALLY_AGG_KIND_HIST,
	[TALLY_MT_SET] = TALLY_AGG_KIND_SET,	       [TALLY_MT_DISTRIBUTION] = TALLY_AGG_KIND_DIST,
	[TALLY_MT_COUNT] = TALLY_AGG_KIND_COUNT,
};

static void *
grow_scratch(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	*cap = need < 64 ? 64 : need * 2;
	return tally_xrealloc(p, *cap * elem);
}

/* ---- emitting series ---- */

static void
emitter_bind(struct emitter *e, const struct tally_ctx *ctx, int64_t timestamp)
{
	e->ctx = ctx;
	e->timestamp = timestamp;
	e->str.name = NULL;
}

/* Appends one series named after the context plus suffix ("" for none). */
static void
emit(struct emitter *e, const char *suffix, enum tally_series_kind kind, double value)
{
	struct tally_agg *agg = e->agg;
	size_t name_len = e->ctx->name_len, suffix_len = strlen(suffix);
	const char *name;

	if (!e->str.name)
		tally_ctx_table_export(agg->table, e->ctx, e->b, &e->str);
	name = e->str.name;
	if (suffix_len) {
		agg->name_buf = grow_scratch(agg->name_buf, &agg->cap_name_buf,
					     name_len + suffix_len, 1);
		memcpy(agg->name_buf, name, name_len);
		memcpy(agg->name_buf + name_len, suffix, suffix_len);
		name = tally_batch_strndup(e->b, agg->name_buf, name_len + suffix_len);
	}
	tally_batch_add_series_owned(e->b, name, e->str.host, e->str.tags, e->str.n_tags, kind,
				     e->timestamp, value, agg->opts.interval_s);
}

/* ---- per kind ---- */

static double
sample_scale(const struct tally_sample *s)
{
	if (s->sample_rate == 1.0 || !(s->sample_rate > 0.0))
		return 1.0;
	return 1.0 / s->sample_rate;
}

static void
sum_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	double scale = sample_scale(s);

	for (size_t i = 0; i < s->n_values; i++)
		ctx->st.sum += s->values[i] * scale;
}

static void
counter_flush(struct emitter *e, struct tally_ctx *ctx)
{
	emit(e, "", TALLY_SERIES_RATE, ctx->st.sum / e->agg->opts.interval_s);
	ctx->st.sum = 0.0;
}

static void
count_flush(struct emitter *e, struct tally_ctx *ctx)
{
	emit(e, "", TALLY_SERIES_COUNT, ctx->st.sum);
	ctx->st.sum = 0.0;
}

static void
gauge_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	if (s->n_values)
		ctx->st.last = s->values[s->n_values - 1];
}

static void
gauge_flush(struct emitter *e, struct tally_ctx *ctx)
{
	emit(e, "", TALLY_SERIES_GAUGE, ctx->st.last);
}

static void
hist_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	int64_t weight = tally_hist_weight(s->sample_rate);

	if (!ctx->st.hist)
		ctx->st.hist = tally_hist_new();
	for (size_t i = 0; i < s->n_values; i++)
		tally_hist_add(ctx->st.hist, s->values[i], weight);
}

static void
hist_flush(struct emitter *e, struct tally_ctx *ctx)
{
	static const struct {
		unsigned bit;
		const char *suffix;
	} aggs[] = { { TALLY_HAGG_MAX, ".max" }, { TALLY_HAGG_MIN, ".min" },
		     { TALLY_HAGG_MEDIAN, ".median" }, { TALLY_HAGG_AVG, ".avg" },
		     { TALLY_HAGG_SUM, ".sum" },       { TALLY_HAGG_COUNT, ".count" } };
	const struct tally_agg *agg = e->agg;
	struct tally_hist_summary sum;
	double v;

	if (!ctx->st.hist || tally_hist_summarize(ctx->st.hist, &sum) < 0)
		return;
	const double vals[] = { sum.max, sum.min, sum.median, sum.avg, sum.sum,
				(double)sum.count / agg->opts.interval_s };
	for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (agg->opts.hist_aggregates & aggs[i].bit)
			emit(e, aggs[i].suffix,
			     aggs[i].bit == TALLY_HAGG_COUNT ? TALLY_SERIES_RATE : TALLY_SERIES_GAUGE,
			     vals[i]);
	for (size_t i = 0; i < agg->opts.n_percentiles; i++)
		if (tally_hist_percentile(ctx->st.hist, agg->percentiles[i], &v) == 0)
			emit(e, agg->pct_suffix[i], TALLY_SERIES_GAUGE, v);
	tally_hist_reset(ctx->st.hist);
}

static void
hist_release(struct tally_ctx *ctx)
{
	tally_hist_free(ctx->st.hist);
	ctx->st.hist = NULL;
}

static void
set_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	if (!ctx->st.set)
		ctx->st.set = tally_uset_new();
	tally_uset_add(ctx->st.set, s->set_value.ptr, s->set_value.len);
}

static void
set_flush(struct emitter *e, struct tally_ctx *ctx)
{
	if (!ctx->st.set)
		return;
	emit(e, "", TALLY_SERIES_GAUGE, (double)tally_uset_count(ctx->st.set));
	tally_uset_reset(ctx->st.set);
}

static void
set_release(struct tally_ctx *ctx)
{
	tally_uset_free(ctx->st.set);
	ctx->st.set = NULL;
}

static void
dist_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	uint64_t n = (uint64_t)tally_hist_weight(s->sample_rate);

	if (!ctx->st.sketch)
		ctx->st.sketch = tally_sketch_new();
	for (size_t i = 0; i < s->n_values; i++)
		tally_sketch_add(ctx->st.sketch, s->values[i], n);
}

static void
dist_flush(struct emitter *e, struct tally_ctx *ctx)
{
	static const struct {
		double q;
		const char *suffix;
	} qs[] = { { 0.50, ".p50" }, { 0.75, ".p75" }, { 0.90, ".p90" },
		   { 0.95, ".p95" }, { 0.99, ".p99" } };
	struct tally_sketch *sk = ctx->st.sketch;
	double count;

	if (!sk || tally_sketch_count(sk) == 0)
		return;
	count = (double)tally_sketch_count(sk);
	emit(e, ".avg", TALLY_SERIES_GAUGE, tally_sketch_sum(sk) / count);
	emit(e, ".min", TALLY_SERIES_GAUGE, tally_sketch_min(sk));
	emit(e, ".max", TALLY_SERIES_GAUGE, tally_sketch_max(sk));
	emit(e, ".sum", TALLY_SERIES_GAUGE, tally_sketch_sum(sk));
	emit(e, ".count", TALLY_SERIES_RATE, count / e->agg->opts.interval_s);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		emit(e, qs[i].suffix, TALLY_SERIES_GAUGE, tally_sketch_quantile(sk, qs[i].q));
	tally_sketch_reset(sk);
}

static void
dist_release(struct tally_ctx *ctx)
{
	tally_sketch_free(ctx->st.sketch);
	ctx->st.sketch = NULL;
}

static void
nothing(struct tally_ctx *ctx)
{
}

static const struct kind_ops kind_ops[TALLY_AGG_KIND__N] = {
	[TALLY_AGG_KIND_COUNTER] = { sum_add, counter_flush, nothing },
	[TALLY_AGG_KIND_GAUGE] = { gauge_add, gauge_flush, nothing },
	[TALLY_AGG_KIND_HIST] = { hist_add, hist_flush, hist_release },
	[TALLY_AGG_KIND_SET] = { set_add, set_flush, set_release },
	[TALLY_AGG_KIND_DIST] = { dist_add, dist_flush, dist_release },
	[TALLY_AGG_KIND_COUNT] = { sum_add, count_flush, nothing },
};

/* ---- life cycle ---- */

static bool
opts_valid(const struct tally_agg_opts *o)
{
	if (o->interval_s == 0 || o->context_limit == 0)
		return false;
	if ((o->n_percentiles && !o->percentiles) || (o->n_extra_tags && !o->extra_tags))
		return false;
	for (size_t i = 0; i < o->n_percentiles; i++)
		if (!(o->percentiles[i] > 0.0 && o->percentiles[i] <= 1.0))
			return false;
	for (size_t i = 0; i < o->n_extra_tags; i++)
		if (!o->extra_tags[i])
			return false;
	return true;
}

static void
copy_percentiles(struct tally_agg *agg)
{
	size_t n = agg->opts.n_percentiles;
	char buf[64];

	agg->percentiles = tally_xcalloc(n, sizeof(double));
	agg->pct_suffix = tally_xcalloc(n, sizeof(char *));
	for (size_t i = 0; i < n; i++) {
		agg->percentiles[i] = agg->opts.percentiles[i];
		/* The agent's names: 0.95 -> ".95percentile", 0.999 -> ".99.9percentile". */
		snprintf(buf, sizeof(buf), ".%gpercentile",
			 round(agg->percentiles[i] * 100.0 * 1e6) / 1e6);
		agg->pct_suffix[i] = tally_xstrdup(buf);
	}
	agg->opts.percentiles = agg->percentiles;
}

struct tally_agg *
tally_agg_new(const struct tally_agg_opts *opts)
{
	struct tally_agg *agg;

	if (!opts || !opts_valid(opts))
		return NULL;
	agg = tally_xcalloc(1, sizeof(*agg));
	agg->opts = *opts;
	copy_percentiles(agg);
	agg->table = tally_ctx_table_new(opts->default_host, opts->extra_tags, opts->n_extra_tags);
	agg->opts.default_host = NULL;
	agg->opts.extra_tags = NULL;
	agg->opts.n_extra_tags = 0;
	return agg;
}

static bool
free_visit(struct tally_ctx *ctx, void *arg)
{
	kind_ops[ctx->kind].release(ctx);
	tally_ctx_free(ctx);
	return true;
}

void
tally_agg_free(struct tally_agg *agg)
{
	if (!agg)
		return;
	if (agg->table)
		tally_ctx_table_sweep(agg->table, free_visit, NULL);
	tally_ctx_table_free(agg->table);
	for (size_t i = 0; i < agg->n_pending; i++)
		tally_ctx_free(agg->pending[i].ctx);
	free(agg->pending);
	for (size_t i = 0; agg->pct_suffix && i < agg->opts.n_percentiles; i++)
		free(agg->pct_suffix[i]);
	free(agg->pct_suffix);
	free(agg->percentiles);
	free(agg->name_buf);
	free(agg);
}

/* ---- adding ---- */

/* A timestamped counter or gauge: one point at its own time, kept until the next flush. */
static enum tally_agg_result
pending_add(struct tally_agg *agg, const struct tally_sample *s)
{
	struct tally_agg_pending *p;
	struct tally_ctx_key k;

	if (agg->n_pending >= TALLY_AGG_MAX_PENDING) {
		agg->stats.dropped_timestamped++;
		return TALLY_AGG_DROP_PENDING_FULL;
	}
	agg->pending = grow_scratch(agg->pending, &agg->cap_pending, agg->n_pending + 1,
				    sizeof(*agg->pending));
	p = &agg->pending[agg->n_pending++];
	tally_ctx_table_key(agg->table, s, &k);
	p->ctx = tally_ctx_table_create(agg->table, s, &k, false);
	p->timestamp = s->timestamp;
	if (s->type == TALLY_MT_COUNTER) {
		sum_add(p->ctx, s);
		p->value = p->ctx->st.sum;
		p->kind = TALLY_SERIES_COUNT;
	} else {
		gauge_add(p->ctx, s);
		p->value = p->ctx->st.last;
		p->kind = TALLY_SERIES_GAUGE;
	}
	return TALLY_AGG_OK;
}

enum tally_agg_result
tally_agg_add(struct tally_agg *agg, const struct tally_sample *s, int64_t now_s)
{
	struct tally_ctx *ctx;
	struct tally_ctx_key k;

	if (s->type >= TALLY_MT__COUNT) {
		agg->stats.dropped_type_conflict++;
		return TALLY_AGG_DROP_TYPE_CONFLICT;
	}
	if (s->type != TALLY_MT_SET && s->n_values == 0)
		return TALLY_AGG_OK; /* nothing to add, and no context for it */
	if (s->timestamp > 0 && (s->type == TALLY_MT_COUNTER || s->type == TALLY_MT_GAUGE))
		return pending_add(agg, s);
	tally_ctx_table_key(agg->table, s, &k);
	ctx = tally_ctx_table_find(agg->table, &k);
	if (!ctx) {
		if (tally_ctx_table_count(agg->table) >= agg->opts.context_limit) {
			agg->stats.dropped_context_limit++;
			return TALLY_AGG_DROP_CONTEXT_LIMIT;
		}
		ctx = tally_ctx_table_create(agg->table, s, &k, true);
		ctx->kind = kind_of_type[s->type];
	} else if (ctx->kind != kind_of_type[s->type]) {
		agg->stats.dropped_type_conflict++;
		return TALLY_AGG_DROP_TYPE_CONFLICT;
	}
	kind_ops[ctx->kind].add(ctx, s);
	ctx->last_seen_s = (uint32_t)now_s;
	ctx->flags |= TALLY_AGG_CTX_DIRTY;
	return TALLY_AGG_OK;
}

/* ---- flushing ---- */

/*
 * A context with samples emits its bucket. An idle one is removed once its expiry has passed
 * (expiry_s for counters, context_expiry_s for the rest); until then an idle counter emits 0
 * and the others give back their per-bucket state.
 */
static bool
flush_visit(struct tally_ctx *ctx, void *arg)
{
	struct flush_state *fs = arg;
	const struct tally_agg_opts *o = &fs->e.agg->opts;
	bool counter = ctx->kind == TALLY_AGG_KIND_COUNTER;
	int64_t idle_s = fs->now_s - (int64_t)ctx->last_seen_s;

	emitter_bind(&fs->e, ctx, fs->bucket_start_s);
	if (ctx->flags & TALLY_AGG_CTX_DIRTY) {
		kind_ops[ctx->kind].flush(&fs->e, ctx);
		ctx->flags &= (uint8_t)~TALLY_AGG_CTX_DIRTY;
		return false;
	}
	if (idle_s >= (int64_t)(counter ? o->expiry_s : o->context_expiry_s)) {
		kind_ops[ctx->kind].release(ctx);
		tally_ctx_free(ctx);
		return true;
	}
	if (counter)
		emit(&fs->e, "", TALLY_SERIES_RATE, 0.0);
	else
		kind_ops[ctx->kind].release(ctx);
	return false;
}

static void
pending_flush(struct tally_agg *agg, struct emitter *e)
{
	for (size_t i = 0; i < agg->n_pending; i++) {
		struct tally_agg_pending *p = &agg->pending[i];

		emitter_bind(e, p->ctx, p->timestamp);
		emit(e, "", p->kind, p->value);
		tally_ctx_free(p->ctx);
	}
	agg->n_pending = 0;
}

void
tally_agg_flush(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s,
		struct tally_batch *out)
{
	struct flush_state fs = {
		.e = { .agg = agg, .b = out },
		.bucket_start_s = bucket_start_s,
		.now_s = now_s,
	};

	agg->stats.contexts_expired += tally_ctx_table_sweep(agg->table, flush_visit, &fs);
	pending_flush(agg, &fs.e);
}

void
tally_agg_get_stats(const struct tally_agg *agg, struct tally_agg_stats *stats)
{
	*stats = agg->stats;
	stats->contexts = tally_ctx_table_count(agg->table);
	stats->pending = agg->n_pending;
}
