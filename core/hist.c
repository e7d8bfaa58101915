#include "hist.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "xmem.h"

/* A buffer larger than this is given back at reset: one busy interval should not pin it. */
#define HIST_KEEP_CAP 64
#define HIST_MIN_CAP  8
/* Rates below 1/2^32 are not meaningful; the cap keeps weighted counts far from overflow. */
#define HIST_MAX_WEIGHT (INT64_C(1) << 32)

struct tally_hist *
tally_hist_new(void)
{
	return tally_xcalloc(1, sizeof(struct tally_hist));
}

void
tally_hist_free(struct tally_hist *h)
{
	if (!h)
		return;
	free(h->samples);
	free(h);
}

int64_t
tally_hist_weight(double sample_rate)
{
	double w;

	/* A rate of 0 (or garbage) is treated as 1, like the agent does. */
	if (!(sample_rate > 0.0) || sample_rate > 1.0)
		return 1;
	w = 1.0 / sample_rate;
	if (w >= (double)HIST_MAX_WEIGHT)
		return HIST_MAX_WEIGHT;
	return w < 1.0 ? 1 : (int64_t)w;
}

void
tally_hist_add(struct tally_hist *h, double value, int64_t weight)
{
	if (weight < 1)
		weight = 1;
	if (weight > HIST_MAX_WEIGHT)
		weight = HIST_MAX_WEIGHT;
	if (h->n == h->cap) {
		h->cap = h->cap ? h->cap * 2 : HIST_MIN_CAP;
		h->samples = tally_xrealloc(h->samples, h->cap * sizeof(*h->samples));
	}
	if (h->n == 0 || value < h->min)
		h->min = value;
	if (h->n == 0 || value > h->max)
		h->max = value;
	h->samples[h->n].value = value;
	h->samples[h->n].weight = weight;
	h->n++;
	h->count += weight;
	h->sum += value * (double)weight;
	h->sorted = h->n == 1;
}

void
tally_hist_reset(struct tally_hist *h)
{
	if (h->cap > HIST_KEEP_CAP) {
		free(h->samples);
		h->samples = NULL;
		h->cap = 0;
	}
	h->n = 0;
	h->count = 0;
	h->sum = 0.0;
	h->sorted = false;
}

static int
cmp_sample(const void *a, const void *b)
{
	double x = ((const struct tally_hist_sample *)a)->value;
	double y = ((const struct tally_hist_sample *)b)->value;

	return (x > y) - (x < y);
}

static void
hist_sort(struct tally_hist *h)
{
	if (h->sorted)
		return;
	qsort(h->samples, h->n, sizeof(*h->samples), cmp_sample);
	h->sorted = true;
}

/* The first sample, in value order, whose cumulative weight exceeds target. */
static double
value_at_rank(const struct tally_hist *h, int64_t target)
{
	int64_t cum = 0;

	for (size_t i = 0; i < h->n; i++) {
		cum += h->samples[i].weight;
		if (cum > target)
			return h->samples[i].value;
	}
	return h->samples[h->n - 1].value;
}

int
tally_hist_summarize(struct tally_hist *h, struct tally_hist_summary *out)
{
	if (h->n == 0)
		return -ENODATA;
	hist_sort(h);
	out->min = h->min;
	out->max = h->max;
	out->sum = h->sum;
	out->count = h->count;
	out->avg = h->sum / (double)h->count;
	out->median = value_at_rank(h, (h->count - 1) / 2);
	return 0;
}

int
tally_hist_percentile(struct tally_hist *h, double p, double *out)
{
	/*
	 * The agent works in whole percents (95, not 0.95). Rounding p*100 to six decimals keeps
	 * 0.29*100 = 28.999999999999996 from landing one rank low.
	 */
	double pct = round(p * 100.0 * 1e6) / 1e6;

	if (h->n == 0)
		return -ENODATA;
	hist_sort(h);
	*out = value_at_rank(h, (int64_t)((pct * (double)h->count - 1.0) / 100.0));
	return 0;
}
