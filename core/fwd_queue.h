/*
 * fwd_queue: one ready-to-send HTTP payload, and the byte-bounded FIFO of them that each
 * forwarder endpoint keeps for sending and retrying.
 *
 * A payload carries everything needed to send it again later, even after a restart: the path
 * below the output's base URL, its Content-Type and Content-Encoding, and the body. Secrets
 * (the API key) are never part of a payload; the forwarder adds them at send time.
 *
 * The queue's bound covers queued bytes plus the bytes of every payload taken out for sending
 * and not yet done or returned ("held": one per request in flight, up to
 * forwarder_num_workers), which are never evicted. Pushing past the bound evicts the oldest
 * queued payloads into a list handed back to the caller, who spools or drops (and counts)
 * them. Returned payloads go back to the head in the order they come back, so with several in
 * flight the retry order follows the answers, not the original order.
 * Main thread only; no locking.
 */
#ifndef TALLY_CORE_FWD_QUEUE_H
#define TALLY_CORE_FWD_QUEUE_H

#include <stddef.h>
#include <stdint.h>

struct tally_fwd_payload {
	struct tally_fwd_payload *next;
	char *path;             /* appended to the base URL: "/api/v1/series", or "" */
	char *content_type;     /* "application/json" */
	char *content_encoding; /* "deflate", or NULL for identity */
	unsigned char *body;
	size_t len;
	unsigned n_items; /* series/checks/events inside, for logs */
};

/*
 * Returns a new payload that takes ownership of body (malloc'd, len bytes); path,
 * content_type and content_encoding (may be NULL) are copied. Free with
 * tally_fwd_payload_free().
 */
struct tally_fwd_payload *tally_fwd_payload_new(const char *path, const char *content_type,
                                                const char *content_encoding, unsigned char *body,
                                                size_t len);
/* Frees one payload (not the ones chained after it). Accepts NULL. */
void tally_fwd_payload_free(struct tally_fwd_payload *p);
/* Frees a whole ->next chain. Accepts NULL. */
void tally_fwd_payload_free_list(struct tally_fwd_payload *p);
/* Returns the length of a ->next chain (0 for NULL). */
unsigned tally_fwd_payload_count(const struct tally_fwd_payload *p);

struct tally_fwd_queue {
	struct tally_fwd_payload *head, *tail;
	size_t count;
	size_t bytes;     /* body bytes queued */
	size_t held;      /* body bytes in flight: taken, not yet done or returned */
	size_t max_bytes; /* bound on bytes + held; 0 means unbounded */
};

/* Initialises an empty queue bounded at max_bytes (0: unbounded). */
void tally_fwd_queue_init(struct tally_fwd_queue *q, size_t max_bytes);
/* Frees every queued payload (not a held one, which the caller owns). */
void tally_fwd_queue_clear(struct tally_fwd_queue *q);

/*
 * Appends p (the queue takes ownership), then evicts the oldest queued payloads while the
 * bound is exceeded — p itself last, if it is too big even alone. The evicted payloads are
 * appended, oldest first, to *evicted (which the caller owns and must free or spool).
 * Returns the number evicted.
 */
size_t tally_fwd_queue_push(struct tally_fwd_queue *q, struct tally_fwd_payload *p,
                            struct tally_fwd_payload **evicted);
/*
 * Evicts oldest payloads until bytes + held <= target_bytes, appending them to *evicted.
 * Returns the number evicted.
 */
size_t tally_fwd_queue_shrink(struct tally_fwd_queue *q, size_t target_bytes,
                              struct tally_fwd_payload **evicted);
/* Takes the oldest payload out for sending (its bytes join held), or NULL when empty. */
struct tally_fwd_payload *tally_fwd_queue_take(struct tally_fwd_queue *q);
/* The held payload p was sent or dropped: the caller frees it; held loses its bytes. */
void tally_fwd_queue_done(struct tally_fwd_queue *q, const struct tally_fwd_payload *p);
/* The held payload p failed and will be retried: it goes back to the head, first in line. */
void tally_fwd_queue_return(struct tally_fwd_queue *q, struct tally_fwd_payload *p);
/* Removes every queued payload and returns them as a chain, oldest first (caller owns). */
struct tally_fwd_payload *tally_fwd_queue_steal(struct tally_fwd_queue *q);

#endif
