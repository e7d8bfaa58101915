/*
 * outfmt: small helpers shared by the Graphite and Prometheus outputs: numbers that read back
 * exactly, the one rule for turning a DogStatsD tag into a key and a value, and appending an
 * output's own health series to a batch.
 *
 * The text helpers are pure functions on caller buffers (any thread); the emitter writes to a
 * batch being filled, which only its filling thread (the main thread for outputs) may do.
 */
#ifndef TALLY_CORE_OUTFMT_H
#define TALLY_CORE_OUTFMT_H

#include <stddef.h>
#include <stdint.h>

#include "batch.h"

/* A buffer that always holds tally_fmt_double()'s output. */
#define TALLY_FMT_DOUBLE_MAX 32

/*
 * Writes v as the shortest of "%.15g" / "%.17g" that reads back as the same double, or
 * "NaN", "+Inf", "-Inf". buf holds TALLY_FMT_DOUBLE_MAX bytes. Returns the length written
 * (NUL-terminated).
 */
size_t tally_fmt_double(double v, char *buf);

/* A tag split into key and value; both point into the tag or into static storage. */
struct tally_tag_kv {
	const char *key;
	size_t key_len;
	const char *val;
	size_t val_len;
};

/*
 * Splits a "key:value" tag at its first ':'. A tag without ':' or with nothing after it
 * ("flag", "flag:") gets the value "true"; an empty key (":v") becomes "_". Borrows tag.
 */
void tally_tag_split(const char *tag, struct tally_tag_kv *kv);

/* Where an output's own health series go: one flush's stamp, host and common tags. */
struct tally_out_emit {
	struct tally_batch *b;
	int64_t ts;
	uint32_t interval_s;
	const char *host;
	const char *const *tags; /* e.g. "output:graphite" plus the config's tags */
	size_t n_tags;
};

/*
 * Appends series name = value of kind to e->b with e's tags plus extra_tag (may be NULL),
 * sorted and unique as a batch requires; everything is copied. Main thread.
 */
void tally_out_emit_series(const struct tally_out_emit *e, const char *name,
                           enum tally_series_kind kind, double value, const char *extra_tag);

#endif
