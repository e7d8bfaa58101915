/*
 * sketch: a DDSketch-style quantile sketch for distribution metrics. Every quantile it returns
 * is within TALLY_SKETCH_REL_ACCURACY (1%) relative error of the exact one, for any value
 * range, while keeping only one counter per logarithmic bin. Count, sum, min and max are exact.
 *
 * Positive and negative values go to two bin stores keyed by ceil(log_gamma(|v|)), zero to its
 * own counter. Each store keeps at most TALLY_SKETCH_MAX_BINS bins; past that the bins nearest
 * zero are folded together, which only loses accuracy for the smallest magnitudes. Sketches with
 * the same parameters merge exactly (merging equals sketching the union), so backends can ship
 * and combine them.
 *
 * A sketch belongs to one thread at a time; nothing here locks.
 */
#ifndef TALLY_CORE_SKETCH_H
#define TALLY_CORE_SKETCH_H

#include <stdint.h>

#define TALLY_SKETCH_REL_ACCURACY 0.01
#define TALLY_SKETCH_MAX_BINS     2048

struct tally_sketch;

/* Returns a new, empty sketch; free it with tally_sketch_free(). */
struct tally_sketch *tally_sketch_new(void);
/* Accepts NULL. */
void tally_sketch_free(struct tally_sketch *sk);
/* Empties sk, keeping its bin storage. */
void tally_sketch_reset(struct tally_sketch *sk);

/* Adds value n times. Returns 0, or -EINVAL for a non-finite value or n == 0 (nothing added). */
int tally_sketch_add(struct tally_sketch *sk, double value, uint64_t n);
/* Adds everything in src to dst; src is only read. */
void tally_sketch_merge(struct tally_sketch *dst, const struct tally_sketch *src);

uint64_t tally_sketch_count(const struct tally_sketch *sk);
/* Exact sum, min and max of the values added; 0 for an empty sketch. */
double tally_sketch_sum(const struct tally_sketch *sk);
double tally_sketch_min(const struct tally_sketch *sk);
double tally_sketch_max(const struct tally_sketch *sk);

/*
 * The q-quantile (q in [0, 1]): an estimate of the value of rank floor(q * (count - 1)) in
 * sorted order, within 1% relative error and clamped to [min, max]. NAN if sk is empty.
 */
double tally_sketch_quantile(const struct tally_sketch *sk, double q);

#endif
