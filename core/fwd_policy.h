/*
 * fwd_policy: the forwarder's pure decisions — what an HTTP answer means (send, drop, retry),
 * how long to back off, and the per-endpoint circuit breaker (Datadog agent semantics,
 * reference/dogstatsd.md §3.7).
 *
 * Nothing here does I/O, reads a clock or draws a random number: time and randomness are
 * arguments, so every transition is unit-tested. A breaker belongs to one endpoint and is used
 * from the main thread only; the functions themselves are reentrant.
 */
#ifndef TALLY_CORE_FWD_POLICY_H
#define TALLY_CORE_FWD_POLICY_H

#include <stdbool.h>
#include <stdint.h>

enum tally_fwd_outcome {
	TALLY_FWD_SENT = 0, /* 2xx: delivered */
	TALLY_FWD_DROP,     /* 400, 403, 413: the intake will never take it */
	TALLY_FWD_RETRY,    /* 404, 408, 429, 5xx, other >400, transport errors */
};

/*
 * Classifies one finished request. transport_error is non-zero when no HTTP answer came back
 * (refused, timed out, reset); http_status is then ignored. 1xx and 3xx (a redirect we did not
 * follow) are retried like any other unexpected answer.
 */
enum tally_fwd_outcome tally_fwd_classify(long http_status, int transport_error);

/* Backoff defaults (forwarder_backoff_base / _factor / _max, recovery_interval). */
#define TALLY_FWD_BACKOFF_BASE_MS   2000
#define TALLY_FWD_BACKOFF_MAX_MS    64000
#define TALLY_FWD_RECOVERY_INTERVAL 2
/* floor(log2(max / base)) + 1 */
#define TALLY_FWD_MAX_ERRORS 6

/*
 * Returns the wait after n_errors consecutive errors: t = base * 2^n; t when t >= max (then
 * max), otherwise t/2 + u * t/2 for the caller's uniform draw u in [0, 1). 0 for n_errors <= 0.
 */
int64_t tally_fwd_backoff_ms(int n_errors, double u);

enum tally_fwd_breaker_state {
	TALLY_FWD_UNBLOCKED = 0,
	TALLY_FWD_BLOCKED,      /* nothing goes out before until_ms */
	TALLY_FWD_HALF_BLOCKED, /* one probe is out; its result decides */
};

struct tally_fwd_breaker {
	enum tally_fwd_breaker_state state;
	int n_errors; /* capped at TALLY_FWD_MAX_ERRORS */
	int64_t until_ms;
};

/* Returns the state name for logs and status: "closed", "blocked", "probing". */
const char *tally_fwd_breaker_state_name(enum tally_fwd_breaker_state state);
/* True when a request may start at now_ms (unblocked, or blocked and the block has expired). */
bool tally_fwd_breaker_can_send(const struct tally_fwd_breaker *br, int64_t now_ms);
/* A request starts: a blocked breaker whose block expired moves to half-blocked (the probe). */
void tally_fwd_breaker_on_send(struct tally_fwd_breaker *br, int64_t now_ms);
/*
 * The intake answered (sent or dropped). A probe's success subtracts the recovery interval
 * from the error count: at zero the breaker unblocks, otherwise it blocks again, shorter.
 */
void tally_fwd_breaker_on_success(struct tally_fwd_breaker *br, int64_t now_ms, double u);
/* A request failed and will be retried: one more error (capped), blocked for the backoff. */
void tally_fwd_breaker_on_failure(struct tally_fwd_breaker *br, int64_t now_ms, double u);
/* Shutdown drain: lets a blocked endpoint probe right away instead of after its backoff. */
void tally_fwd_breaker_expire(struct tally_fwd_breaker *br, int64_t now_ms);

#endif
