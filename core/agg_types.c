/*
 * agg_types.c: what each kind of context does (agg.h lists the series per type): add a sample,
 * flush a bucket, release lazily allocated state. One row per kind in tally_agg_kinds[].
 */
#include <stddef.h>
#include <stdint.h>

#include "agg_internal.h"
#include "hist.h"
#include "sketch.h"
#include "uset.h"

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
counter_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	tally_agg_emit(e, "", TALLY_SERIES_RATE, ctx->st.sum / e->agg->opts.interval_s);
	ctx->st.sum = 0.0;
}

static void
count_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	tally_agg_emit(e, "", TALLY_SERIES_COUNT, ctx->st.sum);
	ctx->st.sum = 0.0;
}

static void
gauge_add(struct tally_ctx *ctx, const struct tally_sample *s)
{
	if (s->n_values)
		ctx->st.last = s->values[s->n_values - 1];
}

static void
gauge_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	tally_agg_emit(e, "", TALLY_SERIES_GAUGE, ctx->st.last);
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
hist_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	static const struct {
		unsigned bit;
		const char *suffix;
	} aggs[] = { { TALLY_HAGG_MAX, ".max" },       { TALLY_HAGG_MIN, ".min" },
		     { TALLY_HAGG_MEDIAN, ".median" }, { TALLY_HAGG_AVG, ".avg" },
		     { TALLY_HAGG_SUM, ".sum" },       { TALLY_HAGG_COUNT, ".count" } };
	const struct tally_agg *agg = e->agg;
	struct tally_hist_summary sum;
	double v;

	if (!ctx->st.hist || tally_hist_summarize(ctx->st.hist, &sum) < 0)
		return;
	const double vals[] = { sum.max, sum.min, sum.median,
		                sum.avg, sum.sum, (double)sum.count / agg->opts.interval_s };
	for (size_t i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (agg->opts.hist_aggregates & aggs[i].bit)
			tally_agg_emit(e, aggs[i].suffix,
			               aggs[i].bit == TALLY_HAGG_COUNT ? TALLY_SERIES_RATE
			                                               : TALLY_SERIES_GAUGE,
			               vals[i]);
	for (size_t i = 0; i < agg->opts.n_percentiles; i++)
		if (tally_hist_percentile(ctx->st.hist, agg->percentiles[i], &v) == 0)
			tally_agg_emit(e, agg->pct_suffix[i], TALLY_SERIES_GAUGE, v);
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
set_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	if (!ctx->st.set)
		return;
	tally_agg_emit(e, "", TALLY_SERIES_GAUGE, (double)tally_uset_count(ctx->st.set));
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
dist_flush(struct tally_agg_emitter *e, struct tally_ctx *ctx)
{
	static const struct {
		double q;
		const char *suffix;
	} qs[] = { { 0.50, ".p50" },
		   { 0.75, ".p75" },
		   { 0.90, ".p90" },
		   { 0.95, ".p95" },
		   { 0.99, ".p99" } };
	struct tally_sketch *sk = ctx->st.sketch;
	double count;

	if (!sk || tally_sketch_count(sk) == 0)
		return;
	count = (double)tally_sketch_count(sk);
	tally_agg_emit(e, ".avg", TALLY_SERIES_GAUGE, tally_sketch_sum(sk) / count);
	tally_agg_emit(e, ".min", TALLY_SERIES_GAUGE, tally_sketch_min(sk));
	tally_agg_emit(e, ".max", TALLY_SERIES_GAUGE, tally_sketch_max(sk));
	tally_agg_emit(e, ".sum", TALLY_SERIES_GAUGE, tally_sketch_sum(sk));
	tally_agg_emit(e, ".count", TALLY_SERIES_RATE, count / e->agg->opts.interval_s);
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		tally_agg_emit(e, qs[i].suffix, TALLY_SERIES_GAUGE,
		               tally_sketch_quantile(sk, qs[i].q));
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

const struct tally_agg_kind_ops tally_agg_kinds[TALLY_AGG_KIND__N] = {
	[TALLY_AGG_KIND_COUNTER] = { sum_add, counter_flush, nothing },
	[TALLY_AGG_KIND_GAUGE] = { gauge_add, gauge_flush, nothing },
	[TALLY_AGG_KIND_HIST] = { hist_add, hist_flush, hist_release },
	[TALLY_AGG_KIND_SET] = { set_add, set_flush, set_release },
	[TALLY_AGG_KIND_DIST] = { dist_add, dist_flush, dist_release },
	[TALLY_AGG_KIND_COUNT] = { sum_add, count_flush, nothing },
};
