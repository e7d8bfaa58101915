/*
 * lineq: a FIFO of text lines bounded in bytes, for line protocols over one stream (Graphite).
 *
 * Whole lines ('\n'-terminated) are appended and kept in blocks. The transport takes blocks
 * in order ("in flight"), reports how many of those bytes the socket accepted (ack), and when
 * the connection drops it rewinds: whatever was not completely written goes out again from the
 * start of its first unfinished line, so a dead connection neither loses a queued line nor
 * makes one be sent twice (a line the kernel accepted but the peer never read is beyond
 * what a plaintext protocol can know).
 *
 * The bound covers every queued byte, in flight or not. An append that would exceed it drops
 * the oldest lines that are not in flight first, then the new line itself if it still does not
 * fit; every drop is counted. Not thread-safe: one thread (the main loop) owns a queue.
 */
#ifndef TALLY_CORE_LINEQ_H
#define TALLY_CORE_LINEQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tally_lineq_block;

struct tally_lineq {
	struct tally_lineq_block *head, *tail;
	size_t max_bytes;
	size_t bytes;         /* queued, including in flight */
	size_t lines;         /* queued, including in flight */
	size_t acked_partial; /* bytes of the head line already written */
	uint64_t sent_lines;  /* totals since creation: lines completely written */
	uint64_t sent_bytes;
	uint64_t dropped_lines; /* oldest-first drops because the bound was reached */
	uint64_t dropped_bytes;
};

/* Returns a new empty queue bounded at max_bytes; free with tally_lineq_free(). */
struct tally_lineq *tally_lineq_new(size_t max_bytes);
/* Frees the queue and every line still in it. Accepts NULL. */
void tally_lineq_free(struct tally_lineq *q);

/*
 * Copies one line of len bytes (its last byte, and only that one, must be '\n') into the
 * queue, dropping the oldest lines not in flight while it would not fit. Borrows line.
 * Returns 0, or -ENOBUFS when the line itself was dropped (counted), -EINVAL when it is not
 * exactly one '\n'-terminated line.
 */
int tally_lineq_append(struct tally_lineq *q, const char *line, size_t len);

/*
 * Moves the oldest lines not in flight out of the queue until at most keep_bytes stay
 * queued (or only lines in flight are left), concatenated into one new buffer: *buf (the
 * caller frees it; NULL when nothing moved) of *len bytes. They count as neither sent nor
 * dropped: the caller keeps them elsewhere (a disk spool). Returns the number of lines moved.
 */
size_t tally_lineq_take(struct tally_lineq *q, size_t keep_bytes, char **buf, size_t *len);

/*
 * Hands the oldest block not yet in flight to the transport: *data and *len point into the queue
 * and stay valid until those bytes are acked or the queue is rewound or freed. Returns false
 * when every queued byte is already in flight.
 */
bool tally_lineq_next(struct tally_lineq *q, const char **data, size_t *len);

/* The transport wrote the next n in-flight bytes; completed lines leave the queue as sent. */
void tally_lineq_ack(struct tally_lineq *q, size_t n);

/* The connection is gone: nothing is in flight; unfinished lines will be handed out again. */
void tally_lineq_rewind(struct tally_lineq *q);

/* Bytes handed to the transport and not yet acked. */
size_t tally_lineq_inflight_bytes(const struct tally_lineq *q);

#endif
