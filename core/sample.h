/*
 * sample: what enters the aggregator, from the DogStatsD parser or from a check's sink.
 *
 * Everything here is borrowed: slices point into the receive buffer (or into the check run's
 * memory) and are valid only for the call that hands the sample over. The aggregator copies
 * what it keeps when it creates a context.
 */
#ifndef TALLY_CORE_SAMPLE_H
#define TALLY_CORE_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A borrowed byte range; not NUL-terminated. */
struct tally_slice {
	const char *ptr;
	size_t len;
};

/*
 * Metric types. The first six are the DogStatsD wire types; COUNT is what checks submit with
 * count() and monotonic_count(): summed per interval and flushed as type "count" (raw sum, not a
 * per-second rate).
 */
enum tally_mtype {
	TALLY_MT_COUNTER = 0,  /* c */
	TALLY_MT_GAUGE,        /* g */
	TALLY_MT_TIMER,        /* ms: a histogram */
	TALLY_MT_HISTOGRAM,    /* h */
	TALLY_MT_SET,          /* s */
	TALLY_MT_DISTRIBUTION, /* d */
	TALLY_MT_COUNT,        /* checks only */
	TALLY_MT__COUNT
};

/* One metric line (or one check submission), possibly carrying several packed values. */
struct tally_sample {
	struct tally_slice name;
	enum tally_mtype type;
	/* For every type but SET: n_values finite values (packed "name:1:2:3|h" gives 3). */
	const double *values;
	size_t n_values;
	/* For SET: the raw member string (values is unused). */
	struct tally_slice set_value;
	/* 1.0 when absent; already clamped into (0, 1] by whoever filled it. */
	double sample_rate;
	/* Tags without the host: tag; may repeat and come in any order (the aggregator dedupes). */
	const struct tally_slice *tags;
	size_t n_tags;
	/*
	 * The wire field the tags and host: tag were split from ("a:1,b:2", without '#'), or empty
	 * when they were not: the same field always gives the same tags, so the aggregator may
	 * reuse what it computed from them.
	 */
	struct tally_slice tags_raw;
	/* host: tag override. has_host with an empty host means "no host". */
	bool has_host;
	struct tally_slice host;
	/* |T timestamp in Unix seconds; 0 when absent. Such samples bypass aggregation. */
	int64_t timestamp;
	/* |c: origin field, kept for origin tagging; empty when absent. */
	struct tally_slice container;
};

#endif
