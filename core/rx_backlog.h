/*
 * rx_backlog: datagrams read while the aggregator is busy flushing, kept in memory until it can
 * take them. The receiver keeps draining its sockets during a long flush (a million contexts
 * handed to a slow output), so the kernel's buffer never overflows because of a flush; the
 * backlog is bounded in bytes and what does not fit is counted. Receiver thread only.
 */
#ifndef TALLY_CORE_RX_BACKLOG_H
#define TALLY_CORE_RX_BACKLOG_H

#include <sys/types.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "selfstats.h"

struct tally_origin;
struct tally_rx_ctx;

struct tally_rx_backlog_item {
	size_t off, len;
	enum tally_listener_kind kind;
	bool truncated;
	pid_t sender; /* Unix socket: the sender's pid for origin detection; 0 otherwise */
};

struct tally_rx_backlog {
	size_t max_bytes;
	char *data;
	size_t len, cap;
	struct tally_rx_backlog_item *items;
	size_t n, cap_items;
};

/* Keeps a copy of one datagram; false (nothing kept) when max_bytes would be exceeded. */
bool tally_rx_backlog_push(struct tally_rx_backlog *bl, enum tally_listener_kind kind,
                           const char *buf, size_t len, bool truncated, pid_t sender);
/*
 * Processes every kept datagram through tally_rx_process() in arrival order (with its sender's
 * origin tag from origin, which may be NULL), then empties.
 */
void tally_rx_backlog_replay(struct tally_rx_backlog *bl, struct tally_rx_ctx *ctx,
                             struct tally_origin *origin);
/* Frees the memory (the struct itself is the caller's). */
void tally_rx_backlog_fini(struct tally_rx_backlog *bl);

#endif
