/*
 * hist: the weighted samples of one histogram (or timer) context for one bucket, and the Datadog
 * agent's aggregates over them (reference/dogstatsd.md §2.4): max, min, sum, weighted count and
 * avg, and the weighted-rank median and percentiles.
 *
 * A hist belongs to the aggregator's thread; nothing here locks. It keeps every sample, so its
 * memory grows with the samples of one interval and shrinks again at tally_hist_reset().
 */
#ifndef TALLY_CORE_HIST_H
#define TALLY_CORE_HIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally_hist_sample {
	double value;
	int64_t weight;
};

struct tally_hist {
	struct tally_hist_sample *samples;
	size_t n, cap;
	int64_t count; /* sum of the weights */
	double sum;    /* sum of value * weight */
	double min, max;
	bool sorted;
};

struct tally_hist_summary {
	double min, max, sum, avg, median;
	int64_t count; /* weighted */
};

/* Returns a new, empty hist; free it with tally_hist_free(). */
struct tally_hist *tally_hist_new(void);
/* Accepts NULL. */
void tally_hist_free(struct tally_hist *h);

/* The agent's weight for a sample rate: (int64)(1 / rate) truncated, at least 1. */
int64_t tally_hist_weight(double sample_rate);

/* Adds value with weight (>= 1; smaller is taken as 1). */
void tally_hist_add(struct tally_hist *h, double value, int64_t weight);

/* Forgets the samples; keeps a small buffer for the next bucket. */
void tally_hist_reset(struct tally_hist *h);

/* Sorts the samples if needed and fills *out. Returns 0, or -ENODATA when h is empty. */
int tally_hist_summarize(struct tally_hist *h, struct tally_hist_summary *out);

/*
 * The agent's percentile p (a fraction in (0, 1]): the first sample, in value order, whose
 * cumulative weight exceeds (int64)((p*100 * count - 1) / 100). Sorts if needed.
 * Returns 0 and the value in *out, or -ENODATA when h is empty.
 */
int tally_hist_percentile(struct tally_hist *h, double p, double *out);

#endif
