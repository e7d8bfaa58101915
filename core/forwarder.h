/*
 * forwarder: delivers an HTTP output's payloads and loses nothing it can keep — one queue and
 * circuit breaker per endpoint (so an intake that refuses check_run never holds series back)
 * with up to forwarder_num_workers requests in flight each (payloads may then complete out of
 * order, as with the Datadog agent's workers), retries with backoff, a byte-bounded memory
 * queue, an optional disk spool, a bounded drain at shutdown, and tally.forwarder.* counters.
 *
 * Used by the HTTP outputs (out_datadog, out_influxdb). Everything runs on the main thread,
 * on the event loop given at creation; nothing here blocks it.
 */
#ifndef TALLY_CORE_FORWARDER_H
#define TALLY_CORE_FORWARDER_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct json_object;
struct tally_batch;
struct tally_fwd;
struct tally_fwd_payload;

/* Why something was dropped: the `reason` tag of tally.forwarder.dropped. */
enum tally_fwd_drop_reason {
	TALLY_DROP_QUEUE_FULL = 0, /* memory queue over its bound and no spool */
	TALLY_DROP_TOO_BIG,        /* one item larger than a payload may be (counts items) */
	TALLY_DROP_HTTP_400,
	TALLY_DROP_HTTP_403,
	TALLY_DROP_HTTP_413,
	TALLY_DROP_SPOOL_FULL,  /* oldest spool files removed to respect the disk bound */
	TALLY_DROP_SPOOL_ERROR, /* the spool could not be written */
	TALLY_DROP_INVALID,     /* a value the backend cannot represent (NaN, Inf) (counts items) */
	TALLY_DROP_SHUTDOWN,    /* still queued at exit with no spool configured */
	TALLY_DROP_OUTDATED,    /* spool files older than TALLY_SPOOL_MAX_AGE_S (10 days) */
	TALLY_DROP__COUNT
};

/* Returns "queue_full", "too_big", "http_400", ... */
const char *tally_fwd_drop_reason_name(enum tally_fwd_drop_reason r);

/* Bound of forwarder_num_workers: concurrent requests per endpoint. */
#define TALLY_FWD_WORKERS_MAX 32

struct tally_fwd_opts {
	const char *id;               /* "datadog": the output tag, spool subfolder, logs */
	const char *base_url;         /* each payload's path is appended to it */
	const char *const *endpoints; /* endpoint names ([a-z_]+), one queue and breaker each */
	size_t n_endpoints;
	const char *const *headers; /* "Name: value" sent with every request; never logged */
	size_t n_headers;
	const char *key_hint;     /* e.g. "***abcde", shown once when the intake says 403 */
	size_t queue_max_bytes;   /* per endpoint */
	const char *storage_path; /* NULL: no spool; else files go to storage_path/id/ */
	size_t storage_max_bytes; /* bound of this output's spool folder */
	long timeout_ms;          /* per request */
	unsigned num_workers;     /* requests in flight per endpoint, 1..TALLY_FWD_WORKERS_MAX;
	                           * 0 means 1 */
};

/*
 * Returns a new forwarder on base (borrowed, outlives it), or NULL with a message in err.
 * Everything in o is copied. Payloads found in the spool are queued for sending at once.
 */
struct tally_fwd *tally_fwd_new(struct event_base *base, const struct tally_fwd_opts *o, char *err,
                                size_t err_len);
/* Stops (spooling what is still queued if drain did not run) and frees. Accepts NULL. */
void tally_fwd_free(struct tally_fwd *f);

/* Takes ownership of the ->next chain list and queues it on endpoint ep (an index). */
void tally_fwd_enqueue(struct tally_fwd *f, size_t ep, struct tally_fwd_payload *list);
/* Counts n items dropped before they could be queued (too_big, invalid). */
void tally_fwd_count_drop(struct tally_fwd *f, size_t ep, enum tally_fwd_drop_reason r, uint64_t n);

/*
 * Shutdown: keeps sending until deadline_ms (CLOCK_MONOTONIC) or until nothing can go out
 * before it, running base; blocked endpoints get one immediate probe. Then cancels what is in
 * flight and writes everything left to the spool (or drops and counts it). No sending after.
 */
void tally_fwd_drain(struct tally_fwd *f, struct event_base *base, int64_t deadline_ms);

/*
 * Appends tally.forwarder.{sent,retried,spooled,dropped} (count over the interval since the
 * previous call) and tally.forwarder.{queue_bytes,spool_bytes} (gauges) per endpoint to b,
 * tagged endpoint:<name>, output:<id> (and reason:<r> for dropped) plus tags (borrowed).
 */
void tally_fwd_stats(struct tally_fwd *f, struct tally_batch *b, int64_t ts, uint32_t interval_s,
                     const char *host, const char *const *tags, size_t n_tags);
/* Returns a new json-c object with each endpoint's state and totals; the caller puts it. */
struct json_object *tally_fwd_status(const struct tally_fwd *f);

#endif
