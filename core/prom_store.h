/*
 * prom_store: the latest state of every series the Prometheus output exposes, and its
 * rendering as the text exposition format (version 0.0.4).
 *
 * A series is identified by its exposed identity — family name and label set after
 * sanitizing (prom_fmt.h) — so two series that sanitize alike are one. GAUGE series keep
 * their last value. RATE series (DogStatsD counters, histogram .count) become counters
 * <name>_total holding the running sum of value * interval_s, and COUNT series counters holding
 * the running sum of their values, both from when the series was first seen. A family has one
 * type: a series whose family already exists with the other type is dropped and counted.
 * Series not updated for expiry_s seconds are forgotten (a counter that comes back starts
 * again from 0, which Prometheus reads as a reset); at most max_series are kept, new ones
 * beyond are dropped and counted.
 *
 * Families render in first-seen order, each with one "# TYPE" line, then its series in
 * first-seen order, without timestamps. Updates and renders cost O(series touched), plus
 * O(families + series) for a render. Not thread-safe: the main thread owns a store.
 */
#ifndef TALLY_CORE_PROM_STORE_H
#define TALLY_CORE_PROM_STORE_H

#include <stddef.h>
#include <stdint.h>

struct evbuffer;
struct tally_series;
struct tally_prom_store;

struct tally_prom_counts {
	size_t series;             /* live */
	size_t families;           /* live */
	uint64_t dropped_limit;    /* totals since creation */
	uint64_t dropped_conflict; /* family exists with the other type */
	uint64_t dropped_invalid;  /* NaN or infinite counter increment */
	uint64_t expired;
};

/* Returns a new empty store; free with tally_prom_store_free(). */
struct tally_prom_store *tally_prom_store_new(size_t max_series, uint32_t expiry_s);
/* Accepts NULL. */
void tally_prom_store_free(struct tally_prom_store *st);

/*
 * Folds one series in at time now_s (Unix seconds). Borrows s. Returns 0, -ENOSPC when it
 * was new and the store is full, -EEXIST when its family has the other type, -EINVAL for a
 * non-finite counter increment (each counted).
 */
int tally_prom_store_put(struct tally_prom_store *st, const struct tally_series *s, int64_t now_s);

/* Forgets the series last updated more than expiry_s seconds before now_s. */
void tally_prom_store_expire(struct tally_prom_store *st, int64_t now_s);

/* Appends the exposition text of every live series to out. */
void tally_prom_store_render(const struct tally_prom_store *st, struct evbuffer *out);

void tally_prom_store_counts(const struct tally_prom_store *st, struct tally_prom_counts *c);

#endif
