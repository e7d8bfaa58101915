/*
 * batch: one flush's worth of output — series, service checks and events — in one arena.
 *
 * The aggregator fills a batch on its own thread, then hands it to the outputs, which only read
 * it. Every string in a batch is a NUL-terminated copy owned by the batch. A batch is reference
 * counted so several outputs can hold the same one; the last tally_batch_unref() frees it.
 * Filling is single-threaded; ref/unref may be called from any thread.
 */
#ifndef TALLY_CORE_BATCH_H
#define TALLY_CORE_BATCH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sample.h"

/* What a series' value means, as the Datadog v1 series API types it. */
enum tally_series_kind {
	TALLY_SERIES_GAUGE = 0,
	TALLY_SERIES_RATE,  /* per second over interval_s */
	TALLY_SERIES_COUNT, /* raw count over interval_s */
};

/* Returns "gauge", "rate" or "count". */
const char *tally_series_kind_name(enum tally_series_kind kind);

/* The two 4-byte fields last: 56 bytes, not 64 (a flush of 1M contexts holds many). */
struct tally_series {
	const char *name;
	const char *host;        /* "" when the series has no host */
	const char *const *tags; /* sorted, unique "key:value" strings */
	size_t n_tags;
	int64_t timestamp; /* Unix seconds: bucket start, or the sample's own |T */
	double value;
	enum tally_series_kind kind;
	uint32_t interval_s;
};

struct tally_service_check {
	const char *name;
	int status; /* 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN */
	const char *host;
	const char *const *tags;
	size_t n_tags;
	int64_t timestamp;
	const char *message;
};

struct tally_event {
	const char *title;
	const char *text;
	int64_t timestamp;
	const char *host;
	const char *aggregation_key; /* "" when absent, likewise the next three */
	const char *priority;        /* "normal" or "low" */
	const char *alert_type;      /* "info", "warning", "error", "success" */
	const char *source_type_name;
	const char *const *tags;
	size_t n_tags;
};

struct tally_arena_chunk;

struct tally_batch {
	_Atomic int refs;
	int64_t flush_ts; /* when the flush that made it ran, Unix seconds */
	/* More batches of the same flush follow (a big flush is handed over in chunks). */
	bool partial;
	struct tally_series *series;
	size_t n_series, cap_series;
	struct tally_service_check *checks;
	size_t n_checks, cap_checks;
	struct tally_event *events;
	size_t n_events, cap_events;
	struct tally_arena_chunk *arena;
};

/* Returns a new empty batch holding one reference. */
struct tally_batch *tally_batch_new(int64_t flush_ts);
void tally_batch_ref(struct tally_batch *b);
/* Makes room for n series in all without moving the array again (a chunk's known size). */
void tally_batch_reserve_series(struct tally_batch *b, size_t n);
/* Drops one reference; frees the batch at zero. Accepts NULL. */
void tally_batch_unref(struct tally_batch *b);

/* Copies len bytes into the batch's arena and NUL-terminates; the batch owns the result. */
const char *tally_batch_strndup(struct tally_batch *b, const char *s, size_t len);
/* Copies n string pointers' worth of storage into the arena (strings must already be in it). */
const char *const *tally_batch_copy_ptrs(struct tally_batch *b, const char *const *ptrs, size_t n);

/*
 * Appends a series. name, host and the tags are copied unless they already point into this
 * batch's arena (then pass them as-is with tally_batch_add_series_owned()).
 */
struct tally_series *tally_batch_add_series(struct tally_batch *b, const char *name,
                                            const char *host, const char *const *tags,
                                            size_t n_tags, enum tally_series_kind kind,
                                            int64_t timestamp, double value, uint32_t interval_s);
/* Like tally_batch_add_series(), but name, host and tags already live in this batch. */
struct tally_series *tally_batch_add_series_owned(struct tally_batch *b, const char *name,
                                                  const char *host, const char *const *tags,
                                                  size_t n_tags, enum tally_series_kind kind,
                                                  int64_t timestamp, double value,
                                                  uint32_t interval_s);
/* Appends a copy of *sc (strings and tags copied). */
void tally_batch_add_service_check(struct tally_batch *b, const struct tally_service_check *sc);
/* Appends a copy of *ev (strings and tags copied). */
void tally_batch_add_event(struct tally_batch *b, const struct tally_event *ev);

#endif
