/*
 * receiver_internal: what receiver.c (the thread, timers, flushes, jobs) and rx_read.c (reading
 * the sockets) share. Receiver thread only, like everything in them.
 */
#ifndef TALLY_CORE_RECEIVER_INTERNAL_H
#define TALLY_CORE_RECEIVER_INTERNAL_H

#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include <event2/util.h>

#include "log.h"
#include "receiver.h"
#include "rx_backlog.h"
#include "rx_process.h"
#include "selfstats.h"

/* Datagrams per recvmmsg call, and calls per wake-up before timers and jobs get a turn. */
#define RX_BATCH  64
#define RX_ROUNDS 32
/*
 * Once the UDP socket is drained, nap and drain again (for at most RX_NAP_SPAN_NS in all)
 * before going back to epoll: under load each wake-up then takes tens or hundreds of datagrams
 * instead of one or two, which saves most of the context switches. The nap adapts between the
 * bounds: it doubles while a nap fills less than 1/32 of the granted receive buffer, and halves
 * once it fills more than 1/16, so a burst or a descheduled receiver still has nearly all the
 * buffer to land in. A datagram is charged RX_SKB_OVERHEAD bytes on top of its payload, about
 * what the kernel adds for a small skb (large ones cost more, which the margin covers).
 */
#define RX_NAP_MIN_NS   125000L
#define RX_NAP_START_NS 500000L
#define RX_NAP_MAX_NS   4000000L
#define RX_NAP_SPAN_NS  40000000L
#define RX_SKB_OVERHEAD 1024u
/* While it waits for the main thread, the receiver reads into a backlog of at most this. */
#define RX_BACKLOG_MAX_BYTES (64u << 20)

struct tally_rx_listener {
	struct tally_receiver *r;
	enum tally_listener_kind kind;
	int fd;
	struct event *ev;
};

struct tally_tagger_view;

struct tally_receiver {
	struct tally_receiver_opts opts;
	char *host;
	char **tags;
	struct event_base *base;
	struct tally_mailbox *jobs;    /* -> receiver thread */
	struct tally_mailbox *to_main; /* batches -> main thread */
	struct tally_rx_listener listeners[TALLY_LISTENER__COUNT];
	struct event *flush_ev;
	int64_t next_flush_s;
	struct tally_agg *agg;
	struct tally_parser *parser;
	struct tally_batch *pending;
	struct tally_rx_counters counters, flushed;
	struct tally_rx_backlog backlog;
	/* recvmmsg scratch: RX_BATCH buffers of buffer_size bytes, owned here. */
	char *bufs;
	struct mmsghdr msgs[RX_BATCH];
	struct iovec iov[RX_BATCH];
	/* Ancillary data: SO_RXQ_OVFL's drop count (UDP) or SCM_CREDENTIALS (Unix socket). */
	char cmsg[RX_BATCH][CMSG_SPACE(sizeof(struct ucred))];
	struct tally_origin *origin;
	struct tally_slice *tag_scratch; /* a line's tags + the origin tag */
	long nap_ns;                     /* the UDP nap, adapted (receiver thread) */
	pthread_t thread;
	bool running;
	bool stopping;          /* final flush: the main thread is joining, never wait on it */
	uint64_t chunks_posted; /* receiver thread */
	_Atomic uint64_t chunks_done;        /* main thread, after the outputs took the batch */
	struct tally_tagger_view *tags_view; /* this thread's copy of the entity tags */
	/* Set by the main thread before it joins: a flush in progress must not wait on it. */
	_Atomic bool stop_asked;
	/*
	 * Stall evidence (rx_read.c): when the kernel reports new drops, the log says how long
	 * the receiver had been away from its sockets and where the last flush ran, so a drop
	 * reads as "not scheduled / busy elsewhere for N ms" or "reading but too slow".
	 */
	int64_t last_drain_end_us;
	int64_t flush_start_us, flush_end_us;
	uint32_t drops_seen;
	struct tally_ratelimit drop_rl;
};

/*
 * The nap after one that let charged bytes pile up in a UDP socket granted rcvbuf bytes (0:
 * unknown, keep the nap); cut_short when the drain stopped at RX_ROUNDS batches with more left.
 */
static inline long
tally_rx_next_nap(long nap_ns, size_t charged, size_t rcvbuf, bool cut_short)
{
	if (rcvbuf == 0)
		return nap_ns;
	if (cut_short || charged > rcvbuf / 16)
		return nap_ns / 2 < RX_NAP_MIN_NS ? RX_NAP_MIN_NS : nap_ns / 2;
	if (charged < rcvbuf / 32)
		return nap_ns * 2 > RX_NAP_MAX_NS ? RX_NAP_MAX_NS : nap_ns * 2;
	return nap_ns;
}

static inline int64_t
tally_rx_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t
tally_rx_mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The context for processing datagrams now (rx_process.h). */
struct tally_rx_ctx tally_receiver_rx_ctx(struct tally_receiver *r);

/* rx_read.c: points the recvmmsg headers at RX_BATCH buffers of buffer_size bytes. */
void tally_rx_setup_buffers(struct tally_receiver *r);
/* rx_read.c: the read callback of every listener (arg: its struct tally_rx_listener). */
void tally_rx_on_readable(evutil_socket_t fd, short what, void *arg);
/* rx_read.c: reads every socket into the backlog; returns the datagrams read. */
int tally_rx_stash_sockets(struct tally_receiver *r);

#endif
