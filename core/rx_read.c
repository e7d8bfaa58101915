/*
 * rx_read: the receiver's reading side — recvmmsg batches from each socket, the kernel's drop
 * counter (UDP) and sender credentials (Unix socket), naps that batch wake-ups under load, and
 * the backlog used while a flush waits on the main thread.
 */
#include <sys/socket.h>

#include <errno.h>
#include <string.h>

#include <event2/event.h>

#include "log.h"
#include "origin.h"
#include "receiver_internal.h"
#include "xmem.h"

static void
reset_msgs(struct tally_receiver *r, int n)
{
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &r->msgs[i].msg_hdr;

		h->msg_control = r->cmsg[i];
		h->msg_controllen = sizeof(r->cmsg[i]);
		h->msg_flags = 0;
	}
}

/* The sender's pid from SCM_CREDENTIALS, or 0. */
static pid_t
sender_pid(const struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			return cred.pid;
		}
	}
	return 0;
}

/* SO_RXQ_OVFL: the kernel's running count of datagrams dropped on this socket. */
static void
read_overflow(struct tally_receiver *r, const struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR((struct msghdr *)h, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
			uint32_t drops;

			memcpy(&drops, CMSG_DATA(c), sizeof(drops));
			r->counters.kernel_drops = drops;
		}
	}
}

/* Keeps a datagram for after the flush (ctx NULL) or processes it now. */
static void
take(struct tally_receiver *r, struct tally_rx_ctx *ctx, enum tally_listener_kind kind,
     const struct mmsghdr *m)
{
	const struct msghdr *h = &m->msg_hdr;
	bool truncated = (h->msg_flags & MSG_TRUNC) != 0;
	pid_t sender = kind == TALLY_LISTENER_UDS ? sender_pid(h) : 0;

	if (!ctx) {
		if (!tally_rx_backlog_push(&r->backlog, kind, h->msg_iov->iov_base, m->msg_len,
		                           truncated, sender))
			r->counters.backlog_dropped++;
		return;
	}
	tally_rx_set_origin(ctx, sender ? tally_origin_tag(r->origin, sender, ctx->now_s) : NULL);
	tally_rx_process(ctx, kind, h->msg_iov->iov_base, m->msg_len, truncated);
	tally_rx_set_origin(ctx, NULL);
}

/*
 * New kernel drops, seen by a drain that began at start_us after gap_us away from the
 * sockets. At most one line a second: under overload this would otherwise log per batch;
 * datagrams= counts this event only, total= every drop so far (suppressed lines included).
 */
static void
log_drops(struct tally_receiver *r, int64_t start_us, int64_t gap_us)
{
	uint32_t now = (uint32_t)r->counters.kernel_drops;

	tally_log_ratelimited(&r->drop_rl, 1000, TALLY_LOG_WARN, "receiver",
	                      "kernel dropped datagrams=%u total=%u (socket buffer full) "
	                      "away_from_socket_ms=%.1f last_flush_ms=%.1f "
	                      "last_flush_ended_ms_before=%.1f",
	                      now - r->drops_seen, now, gap_us / 1000.0,
	                      (r->flush_end_us - r->flush_start_us) / 1000.0,
	                      r->flush_end_us ? (start_us - r->flush_end_us) / 1000.0 : -1.0);
	r->drops_seen = now;
}

/*
 * Reads until the socket is empty or RX_ROUNDS batches were taken; returns datagrams read.
 * With ctx NULL they go to the backlog instead of the aggregator.
 */
static int
drain(struct tally_receiver *r, struct tally_rx_listener *l, struct tally_rx_ctx *ctx,
      size_t *charged)
{
	bool udp = l->kind == TALLY_LISTENER_UDP;
	int total = 0;
	int64_t start_us = tally_rx_mono_us();
	int64_t gap_us = r->last_drain_end_us ? start_us - r->last_drain_end_us : 0;

	for (int round = 0; round < RX_ROUNDS; round++) {
		int n;

		reset_msgs(r, RX_BATCH);
		n = recvmmsg(l->fd, r->msgs, RX_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0) {
			if (n < 0 && errno != EAGAIN && errno != EINTR)
				TALLY_WARN("receiver", "recvmmsg failed errno=%d", errno);
			break;
		}
		for (int i = 0; i < n; i++) {
			take(r, ctx, l->kind, &r->msgs[i]);
			*charged += r->msgs[i].msg_len + RX_SKB_OVERHEAD;
		}
		if (udp)
			read_overflow(r, &r->msgs[n - 1].msg_hdr);
		total += n;
		if (n < RX_BATCH)
			break;
	}
	if (udp) {
		r->last_drain_end_us = tally_rx_mono_us();
		if ((uint32_t)r->counters.kernel_drops != r->drops_seen)
			log_drops(r, start_us, gap_us);
	}
	return total;
}

int
tally_rx_stash_sockets(struct tally_receiver *r)
{
	size_t charged = 0;
	int n = 0;

	for (int i = 0; i < TALLY_LISTENER__COUNT; i++) {
		if (r->listeners[i].fd >= 0 && r->listeners[i].ev)
			n += drain(r, &r->listeners[i], NULL, &charged);
	}
	return n;
}

void
tally_rx_on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct tally_rx_listener *l = arg;
	struct tally_receiver *r = l->r;
	struct tally_rx_listener *uds = &r->listeners[TALLY_LISTENER_UDS];
	struct tally_rx_ctx ctx = tally_receiver_rx_ctx(r);
	size_t charged = 0;
	int n = drain(r, l, &ctx, &charged);

	/*
	 * Only UDP naps (its buffer holds MiBs). A Unix datagram socket queues a number of
	 * datagrams, not bytes (net.unix.max_dgram_qlen, often 10), so it is read at once when
	 * it wakes us, and drained on every round of a UDP nap loop too.
	 */
	for (long slept = 0; l->kind == TALLY_LISTENER_UDP && n > 0 && slept < RX_NAP_SPAN_NS;
	     slept += r->nap_ns) {
		struct timespec nap = { 0, r->nap_ns };

		tally_selfstats_publish(r->opts.stats, &r->counters);
		nanosleep(&nap, NULL);
		charged = 0;
		n = drain(r, l, &ctx, &charged);
		/* A drain that stopped at RX_ROUNDS batches left more behind than it read. */
		r->nap_ns = tally_rx_next_nap(r->nap_ns, charged, r->opts.udp_rcvbuf,
		                              n >= RX_BATCH * RX_ROUNDS);
		if (uds->ev)
			n += drain(r, uds, &ctx, &charged);
	}
	tally_selfstats_publish(r->opts.stats, &r->counters);
}

void
tally_rx_setup_buffers(struct tally_receiver *r)
{
	size_t sz = r->opts.buffer_size;

	r->bufs = tally_xmalloc(sz * RX_BATCH);
	for (int i = 0; i < RX_BATCH; i++) {
		r->iov[i].iov_base = r->bufs + (size_t)i * sz;
		r->iov[i].iov_len = sz;
		memset(&r->msgs[i], 0, sizeof(r->msgs[i]));
		r->msgs[i].msg_hdr.msg_iov = &r->iov[i];
		r->msgs[i].msg_hdr.msg_iovlen = 1;
	}
}
