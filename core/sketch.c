#include "sketch.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xmem.h"

/*
 * gamma = (1 + a) / (1 - a) with a = 1%: a value v > 0 lands in the bin k with
 * gamma^(k-1) < v <= gamma^k, and the bin stands for 2 gamma^k / (gamma + 1), which is within
 * a of every value in it. The constants are ln(gamma) and 2 / (gamma + 1) for a = 0.01.
 */
#define LN_GAMMA      0.020000666706669435
#define BIN_SCALE     0.99
#define STORE_MIN_CAP 32

/* Bins of one sign: bins[i] counts key base + i; lo..hi are the non-empty extremes. */
struct store {
	uint64_t *bins;
	int32_t base;
	uint32_t cap;
	int32_t lo, hi;
	uint64_t count;
};

struct tally_sketch {
	struct store pos, neg;
	uint64_t zero;
	uint64_t count;
	double sum, min, max;
};

struct tally_sketch *
tally_sketch_new(void)
{
	return tally_xcalloc(1, sizeof(struct tally_sketch));
}

void
tally_sketch_free(struct tally_sketch *sk)
{
	if (!sk)
		return;
	free(sk->pos.bins);
	free(sk->neg.bins);
	free(sk);
}

static void
store_reset(struct store *st)
{
	if (st->count)
		memset(st->bins + (st->lo - st->base), 0,
		       (size_t)(st->hi - st->lo + 1) * sizeof(*st->bins));
	st->count = 0;
}

void
tally_sketch_reset(struct tally_sketch *sk)
{
	store_reset(&sk->pos);
	store_reset(&sk->neg);
	sk->zero = 0;
	sk->count = 0;
	sk->sum = sk->min = sk->max = 0.0;
}

static int32_t
key_of(double magnitude)
{
	return (int32_t)ceil(log(magnitude) / LN_GAMMA);
}

static double
value_of(int32_t key)
{
	return exp((double)key * LN_GAMMA) * BIN_SCALE;
}

/* Moves the counts of every bin below lo into the bin lo (which the store may not cover yet). */
static uint64_t
store_take_below(struct store *st, int32_t lo)
{
	uint64_t folded = 0;
	int32_t end = st->hi < lo ? st->hi : lo - 1;

	if (st->count == 0)
		return 0;
	for (int32_t k = st->lo; k <= end; k++) {
		folded += st->bins[k - st->base];
		st->bins[k - st->base] = 0;
	}
	return folded;
}

/* Makes the storage cover keys lo..hi, keeping the counts in that range; grows by doubling. */
static void
store_fit(struct store *st, int32_t lo, int32_t hi)
{
	uint32_t span = (uint32_t)(hi - lo + 1), cap = st->cap ? st->cap : STORE_MIN_CAP;
	uint64_t *bins;
	int32_t base, from;

	if (st->bins && lo >= st->base && (int64_t)hi < (int64_t)st->base + st->cap)
		return;
	while (cap < 2 * span && cap < TALLY_SKETCH_MAX_BINS)
		cap *= 2;
	base = lo - (int32_t)((cap - span) / 2);
	bins = tally_xcalloc(cap, sizeof(*bins));
	from = st->lo > lo ? st->lo : lo;
	if (st->count && from <= st->hi)
		memcpy(bins + (from - base), st->bins + (from - st->base),
		       (size_t)(st->hi - from + 1) * sizeof(*bins));
	free(st->bins);
	st->bins = bins;
	st->base = base;
	st->cap = cap;
}

static void
store_add(struct store *st, int32_t key, uint64_t n)
{
	int32_t lo = key, hi = key;
	uint64_t folded;

	if (st->count) {
		lo = st->lo < key ? st->lo : key;
		hi = st->hi > key ? st->hi : key;
	}
	if ((int64_t)hi - lo + 1 > TALLY_SKETCH_MAX_BINS) {
		lo = hi - TALLY_SKETCH_MAX_BINS + 1;
		if (key < lo)
			key = lo;
	}
	folded = store_take_below(st, lo);
	store_fit(st, lo, hi);
	st->bins[lo - st->base] += folded;
	st->bins[key - st->base] += n;
	st->lo = lo;
	st->hi = hi;
	st->count += n;
}

static void
note_extremes(struct tally_sketch *sk, double min, double max)
{
	if (sk->count == 0 || min < sk->min)
		sk->min = min;
	if (sk->count == 0 || max > sk->max)
		sk->max = max;
}

int
tally_sketch_add(struct tally_sketch *sk, double value, uint64_t n)
{
	if (!isfinite(value) || n == 0)
		return -EINVAL;
	if (value > 0.0)
		store_add(&sk->pos, key_of(value), n);
	else if (value < 0.0)
		store_add(&sk->neg, key_of(-value), n);
	else
		sk->zero += n;
	note_extremes(sk, value, value);
	sk->count += n;
	sk->sum += value * (double)n;
	return 0;
}

static void
store_merge(struct store *dst, const struct store *src)
{
	if (src->count == 0)
		return;
	for (int32_t k = src->lo; k <= src->hi; k++) {
		uint64_t n = src->bins[k - src->base];

		if (n)
			store_add(dst, k, n);
	}
}

void
tally_sketch_merge(struct tally_sketch *dst, const struct tally_sketch *src)
{
	if (src->count == 0)
		return;
	store_merge(&dst->pos, &src->pos);
	store_merge(&dst->neg, &src->neg);
	note_extremes(dst, src->min, src->max);
	dst->zero += src->zero;
	dst->count += src->count;
	dst->sum += src->sum;
}

uint64_t
tally_sketch_count(const struct tally_sketch *sk)
{
	return sk->count;
}

double
tally_sketch_sum(const struct tally_sketch *sk)
{
	return sk->sum;
}

double
tally_sketch_min(const struct tally_sketch *sk)
{
	return sk->min;
}

double
tally_sketch_max(const struct tally_sketch *sk)
{
	return sk->max;
}

/* Walks the bins in value order; returns the value of the first one whose count passes rank. */
static double
rank_value(const struct tally_sketch *sk, double rank)
{
	const struct store *neg = &sk->neg, *pos = &sk->pos;
	double cum = 0.0;

	for (int32_t k = neg->hi; neg->count && k >= neg->lo; k--) {
		cum += (double)neg->bins[k - neg->base];
		if (cum > rank)
			return -value_of(k);
	}
	cum += (double)sk->zero;
	if (cum > rank)
		return 0.0;
	for (int32_t k = pos->lo; pos->count && k <= pos->hi; k++) {
		cum += (double)pos->bins[k - pos->base];
		if (cum > rank)
			return value_of(k);
	}
	return sk->max;
}

double
tally_sketch_quantile(const struct tally_sketch *sk, double q)
{
	double v;

	if (sk->count == 0)
		return NAN;
	if (!(q > 0.0))
		return sk->min;
	if (q >= 1.0)
		return sk->max;
	v = rank_value(sk, floor(q * (double)(sk->count - 1)));
	return v < sk->min ? sk->min : v > sk->max ? sk->max : v;
}
