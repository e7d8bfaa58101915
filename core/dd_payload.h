/*
 * dd_payload: turns one flush's batch into Datadog intake payloads — pure, no I/O.
 *
 *   series          POST /api/v1/series     {"series":[{metric,points,tags,host,type,interval}]}
 *   service checks  POST /api/v1/check_run  [{check,host_name,timestamp,status,message,tags}]
 *   events          POST /api/v1/events     one {title,text,date_happened,...} per request
 *
 * Bodies are JSON text (jtext.h: what json-c would write), zlib-compressed (Content-Encoding:
 * deflate). Items are packed in order into as few payloads as the limits allow (the agent's
 * 2.5 MB compressed / 4 MB raw); an item that does not fit in an empty payload is dropped and
 * counted as too_big, a series whose value JSON cannot carry (NaN, ±Inf) as invalid. Payloads
 * are written and compressed one at a time, each body into a buffer of its compressed size,
 * so building holds at most one raw payload however big the batch. Reentrant; any thread.
 */
#ifndef TALLY_CORE_DD_PAYLOAD_H
#define TALLY_CORE_DD_PAYLOAD_H

#include <stddef.h>
#include <stdint.h>

struct tally_batch;
struct tally_fwd_payload;

enum tally_dd_endpoint {
	TALLY_DD_SERIES = 0,
	TALLY_DD_CHECK_RUN,
	TALLY_DD_EVENTS,
	TALLY_DD__COUNT
};

/* "series", "check_run", "events": the forwarder's endpoint names. */
extern const char *const tally_dd_endpoint_names[TALLY_DD__COUNT];

#define TALLY_DD_MAX_COMPRESSED_BYTES (2u * 1024 * 1024 + 512 * 1024) /* 2.5 MiB */
#define TALLY_DD_MAX_RAW_BYTES        (4u * 1024 * 1024)

struct tally_dd_limits {
	size_t max_compressed; /* body as sent */
	size_t max_raw;        /* JSON before compression */
};

struct tally_dd_result {
	struct tally_fwd_payload *payloads[TALLY_DD__COUNT]; /* ->next chains; caller owns */
	uint64_t too_big[TALLY_DD__COUNT];                   /* items dropped, per endpoint */
	uint64_t invalid[TALLY_DD__COUNT];
};

/*
 * Builds the payloads for b (borrowed) under lim (NULL: the agent's limits) into *res, which
 * it zeroes first. The caller owns the payload chains (tally_fwd_payload_free_list()).
 */
void tally_dd_build(const struct tally_batch *b, const struct tally_dd_limits *lim,
                    struct tally_dd_result *res);

/* Writes the shortest decimal that reads back as v exactly (as used in the JSON). */
void tally_dd_format_double(double v, char *out, size_t len);

#endif
