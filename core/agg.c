/*
 * agg.c: the aggregator's life cycle, adding samples to contexts and flushing buckets, driven by
 * the per-kind table of agg_types.c.
 */
#include "agg.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agg_internal.h"
#include "batch.h"
#include "ctx_table.h"
#include "xmem.h"

struct flush_state {
	struct tally_agg_emitter e;
	int64_t bucket_start_s, now_s;
	size_t chunk_series;
	tally_agg_chunk_fn chunk_fn;
	void *chunk_arg;
};

static const uint8_t kind_of_type[TALLY_MT__COUNT] = {
	[TALLY_MT_COUNTER] = TALLY_AGG_KIND_COUNTER, [TALLY_MT_GAUGE] = TALLY_AGG_KIND_GAUGE,
	[TALLY_MT_TIMER] = TALLY_AGG_KIND_HIST,      [TALLY_MT_HISTOGRAM] = TALLY_AGG_KIND_HIST,
	[TALLY_MT_SET] = TALLY_AGG_KIND_SET,         [TALLY_MT_DISTRIBUTION] = TALLY_AGG_KIND_DIST,
	[TALLY_MT_COUNT] = TALLY_AGG_KIND_COUNT,
};

/* ---- emitting series ---- */

static void
emitter_bind(struct tally_agg_emitter *e, const struct tally_ctx *ctx, int64_t timestamp)
{
	e->ctx = ctx;
	e->timestamp = timestamp;
	e->str.name = NULL;
}

void
tally_agg_emit(struct tally_agg_emitter *e, const char *suffix, enum tally_series_kind kind,
               double value)
{
	struct tally_agg *agg = e->agg;
	size_t name_len = e->ctx->name_len, suffix_len = strlen(suffix);
	const char *name;

	if (!e->str.name)
		tally_ctx_table_export(agg->table, e->ctx, e->b, &e->cache, &e->str);
	name = e->str.name;
	if (suffix_len) {
		agg->name_buf =
		    tally_xgrow(agg->name_buf, &agg->cap_name_buf, name_len + suffix_len, 1, 64);
		memcpy(agg->name_buf, name, name_len);
		memcpy(agg->name_buf + name_len, suffix, suffix_len);
		name = tally_batch_strndup(e->b, agg->name_buf, name_len + suffix_len);
	}
	tally_batch_add_series_owned(e->b, name, e->str.host, e->str.tags, e->str.n_tags, kind,
	                             e->timestamp, value, agg->opts.interval_s);
}

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
	struct tally_agg *agg = arg;

	tally_agg_kinds[ctx->kind].release(ctx);
	tally_ctx_table_release(agg->table, ctx);
	return true;
}

void
tally_agg_free(struct tally_agg *agg)
{
	if (!agg)
		return;
	if (agg->table)
		tally_ctx_table_sweep(agg->table, free_visit, agg);
	for (size_t i = 0; i < agg->n_pending; i++)
		tally_ctx_table_release(agg->table, agg->pending[i].ctx);
	tally_ctx_table_free(agg->table);
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
	agg->pending = tally_xgrow(agg->pending, &agg->cap_pending, agg->n_pending + 1,
	                           sizeof(*agg->pending), 64);
	p = &agg->pending[agg->n_pending++];
	tally_ctx_table_key(agg->table, s, &k);
	p->ctx = tally_ctx_table_create(agg->table, s, &k, false);
	p->timestamp = s->timestamp;
	if (s->type == TALLY_MT_COUNTER) {
		tally_agg_kinds[TALLY_AGG_KIND_COUNTER].add(p->ctx, s);
		p->value = p->ctx->st.sum;
		p->kind = TALLY_SERIES_COUNT;
	} else {
		tally_agg_kinds[TALLY_AGG_KIND_GAUGE].add(p->ctx, s);
		p->value = p->ctx->st.last;
		p->kind = TALLY_SERIES_GAUGE;
	}
	return TALLY_AGG_OK;
}

/* The sample's context, created if new; NULL when the context limit forbids a new one. */
static struct tally_ctx *
find_or_create(struct tally_agg *agg, const struct tally_sample *s)
{
	struct tally_ctx *ctx;
	struct tally_ctx_key k;

	tally_ctx_table_key(agg->table, s, &k);
	ctx = tally_ctx_table_find(agg->table, &k);
	if (!ctx) {
		if (tally_ctx_table_count(agg->table) >= agg->opts.context_limit)
			return NULL;
		ctx = tally_ctx_table_create(agg->table, s, &k, true);
		ctx->kind = kind_of_type[s->type];
	}
	return ctx;
}

static enum tally_agg_result
add_to(struct tally_agg *agg, struct tally_ctx *ctx, const struct tally_sample *s, int64_t now_s)
{
	if (ctx->kind != kind_of_type[s->type]) {
		agg->stats.dropped_type_conflict++;
		return TALLY_AGG_DROP_TYPE_CONFLICT;
	}
	tally_agg_kinds[ctx->kind].add(ctx, s);
	ctx->last_seen_s = (uint32_t)now_s;
	ctx->flags |= TALLY_AGG_CTX_DIRTY;
	return TALLY_AGG_OK;
}

enum tally_agg_result
tally_agg_add(struct tally_agg *agg, const struct tally_sample *s, int64_t now_s)
{
	struct tally_ctx *ctx;

	if (s->type >= TALLY_MT__COUNT) {
		agg->stats.dropped_type_conflict++;
		return TALLY_AGG_DROP_TYPE_CONFLICT;
	}
	if (s->type != TALLY_MT_SET && s->n_values == 0)
		return TALLY_AGG_OK; /* nothing to add, and no context for it */
	if (s->timestamp > 0 && (s->type == TALLY_MT_COUNTER || s->type == TALLY_MT_GAUGE))
		return pending_add(agg, s);
	ctx = find_or_create(agg, s);
	if (!ctx) {
		agg->stats.dropped_context_limit++;
		return TALLY_AGG_DROP_CONTEXT_LIMIT;
	}
	return add_to(agg, ctx, s, now_s);
}

void
tally_agg_key(struct tally_agg *agg, const struct tally_sample *s, struct tally_ctx_key *k)
{
	tally_ctx_table_key(agg->table, s, k);
}

struct tally_ctx *
tally_agg_prefetch_ctx(const struct tally_agg *agg, const struct tally_ctx_key *k)
{
	return tally_ctx_table_prefetch_ctx(agg->table, k->hash);
}

bool
tally_agg_add_keyed(struct tally_agg *agg, const struct tally_sample *s,
                    const struct tally_ctx_key *k, struct tally_ctx *guess, int64_t now_s,
                    enum tally_agg_result *result)
{
	struct tally_ctx *ctx =
	    guess && tally_ctx_matches(guess, k) ? guess : tally_ctx_table_find(agg->table, k);

	if (!ctx)
		return false;
	*result = add_to(agg, ctx, s, now_s);
	return true;
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

	if (fs->chunk_fn && fs->e.b->n_series >= fs->chunk_series) {
		fs->e.b = fs->chunk_fn(fs->e.b, fs->chunk_arg);
		tally_ctx_export_cache_reset(&fs->e.cache);
	}
	emitter_bind(&fs->e, ctx, fs->bucket_start_s);
	if (ctx->flags & TALLY_AGG_CTX_DIRTY) {
		tally_agg_kinds[ctx->kind].flush(&fs->e, ctx);
		ctx->flags &= (uint8_t)~TALLY_AGG_CTX_DIRTY;
		return false;
	}
	if (idle_s >= (int64_t)(counter ? o->expiry_s : o->context_expiry_s)) {
		tally_agg_kinds[ctx->kind].release(ctx);
		tally_ctx_table_release(fs->e.agg->table, ctx);
		return true;
	}
	if (counter)
		tally_agg_emit(&fs->e, "", TALLY_SERIES_RATE, 0.0);
	else
		tally_agg_kinds[ctx->kind].release(ctx);
	return false;
}

static void
pending_flush(struct tally_agg *agg, struct tally_agg_emitter *e)
{
	for (size_t i = 0; i < agg->n_pending; i++) {
		struct tally_agg_pending *p = &agg->pending[i];

		emitter_bind(e, p->ctx, p->timestamp);
		tally_agg_emit(e, "", p->kind, p->value);
		tally_ctx_table_release(agg->table, p->ctx);
	}
	agg->n_pending = 0;
}

void
tally_agg_flush_chunked(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s,
                        struct tally_batch **out, size_t chunk_series, tally_agg_chunk_fn fn,
                        void *arg)
{
	struct flush_state fs = {
		.e = { .agg = agg, .b = *out },
		.bucket_start_s = bucket_start_s,
		.now_s = now_s,
		.chunk_series = chunk_series ? chunk_series : 1,
		.chunk_fn = fn,
		.chunk_arg = arg,
	};

	agg->stats.contexts_expired += tally_ctx_table_sweep(agg->table, flush_visit, &fs);
	pending_flush(agg, &fs.e);
	*out = fs.e.b;
}

void
tally_agg_flush(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s,
                struct tally_batch *out)
{
	tally_agg_flush_chunked(agg, bucket_start_s, now_s, &out, 0, NULL, NULL);
}

void
tally_agg_get_stats(const struct tally_agg *agg, struct tally_agg_stats *stats)
{
	*stats = agg->stats;
	stats->contexts = tally_ctx_table_count(agg->table);
	stats->pending = agg->n_pending;
}
