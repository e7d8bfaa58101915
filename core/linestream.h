/*
 * linestream: a line protocol over one TCP connection that never blocks and keeps what it
 * cannot send yet — the transport of the Graphite output (and of any later line output:
 * OpenTSDB telnet, a StatsD repeater over TCP).
 *
 * The connection is a libevent bufferevent on the caller's event loop: asynchronous DNS and
 * connect, a connect timeout (at most 10 s) and a write-stall timeout. When it fails or
 * drops, reconnects back off exponentially with jitter, 1 s doubling to 60 s, back to 1 s
 * once connected. Lines wait in a byte-bounded queue (lineq.h): oldest dropped first when full,
 * counted, or handed to a spill callback (a disk spool) when one is set; lines cut by a dropped
 * connection are sent again whole. A down peer is logged once per outage, not per attempt. Main
 * thread (the loop's thread) only.
 */
#ifndef TALLY_CORE_LINESTREAM_H
#define TALLY_CORE_LINESTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct tally_linestream;

struct tally_linestream_opts {
	const char *host; /* name or address; copied */
	int port;
	size_t max_bytes;       /* queue bound */
	double timeout_s;       /* write stall; the connect timeout is min(this, 10 s) */
	const char *log_subsys; /* e.g. "graphite"; must outlive the stream */
	/*
	 * Optional (NULL: lines over the bound are dropped, lines left at shutdown counted as
	 * dropped): handed the oldest n_lines lines (len bytes, borrowed for the call) instead,
	 * when the queue is full (the oldest half of it) and at the end of drain() (all of it).
	 */
	void (*spill)(void *arg, const char *lines, size_t len, size_t n_lines);
	void *spill_arg;
};

struct tally_linestream_stats {
	bool connected;
	size_t queue_bytes, queue_lines;
	uint64_t sent_lines, sent_bytes; /* totals: lines completely written to the socket */
	uint64_t dropped_full;           /* totals: oldest lines dropped, queue full */
	uint64_t dropped_shutdown;       /* lines left when drain() gave up */
	uint64_t retried;                /* reconnect attempts */
};

/*
 * Returns a new stream on base that starts connecting at once. Borrows o for the call;
 * base must outlive the stream. Free with tally_linestream_free().
 */
struct tally_linestream *tally_linestream_new(struct event_base *base,
                                              const struct tally_linestream_opts *o);
/* Closes the connection and frees every queued line. Accepts NULL. */
void tally_linestream_free(struct tally_linestream *ls);

/*
 * Queues one '\n'-terminated line (copied; borrows line). Nothing is sent until
 * tally_linestream_flush(). Returns 0, or -ENOBUFS / -EINVAL as tally_lineq_append().
 */
int tally_linestream_append(struct tally_linestream *ls, const char *line, size_t len);
/* Hands queued lines to the connection, if there is one; never waits. */
void tally_linestream_flush(struct tally_linestream *ls);

/*
 * Shutdown: runs base until every queued line is written to the socket or the deadline
 * (CLOCK_MONOTONIC ms) passes, reconnecting every 200 ms meanwhile; then hands what is left
 * (including what was buffered but not written) to the spill callback, or without one counts
 * and logs it as dropped.
 */
void tally_linestream_drain(struct tally_linestream *ls, struct event_base *base,
                            int64_t deadline_ms);

void tally_linestream_get_stats(const struct tally_linestream *ls,
                                struct tally_linestream_stats *st);

#endif
