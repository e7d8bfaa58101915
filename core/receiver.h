/*
 * receiver: the aggregation thread. It reads the DogStatsD sockets in batches (recvmmsg),
 * parses in place, aggregates into the one aggregator it owns, and every flush_interval —
 * aligned to wall-clock multiples — closes the bucket into a batch that it posts to the main
 * thread. Nothing else touches the aggregator: work from other threads (check results) is
 * handed over with tally_receiver_run_on() and runs between socket reads, so the hot path
 * takes no lock.
 */
#ifndef TALLY_CORE_RECEIVER_H
#define TALLY_CORE_RECEIVER_H

#include <stddef.h>
#include <stdint.h>

#include "agg.h"
#include "selfstats.h"

struct event_base;
struct tally_batch;
struct tally_receiver;

/* Receives each flush's batch on the main thread; takes the caller's reference on b. */
typedef void (*tally_receiver_batch_fn)(struct tally_batch *b, void *arg);
/*
 * Work to run on the aggregator's thread: may add samples to agg and service checks/events to
 * pending (the batch of the next flush). now_s is the current Unix time. The job owns arg and
 * frees it. A job still queued when the receiver is freed is run then.
 */
typedef void (*tally_receiver_job_fn)(struct tally_agg *agg, struct tally_batch *pending,
                                      int64_t now_s, void *arg);

struct tally_receiver_opts {
	int udp_fd;         /* -1 when UDP is off; the receiver takes ownership of both fds */
	int uds_fd;         /* -1 when the Unix socket is off */
	size_t udp_rcvbuf;  /* granted to udp_fd, as SO_RCVBUF reports it (0: unknown) */
	size_t buffer_size; /* dogstatsd_buffer_size: the largest datagram read */
	struct tally_agg_opts agg; /* copied; interval_s is also the flush interval */
	const char *host;          /* default host of service checks, events and tally.* metrics */
	const char *const *tags;   /* config tags, added to tally.* metrics */
	size_t n_tags;
	struct event_base *main_base; /* where on_batch runs */
	tally_receiver_batch_fn on_batch;
	void *arg;
	struct tally_selfstats *stats; /* published counters; borrowed, outlives the receiver */
	bool origin_client; /* dogstatsd_origin_detection_client: honour |c: and entity_id */
};

/* Returns a receiver ready to start, or NULL with a message in err. Main thread. */
struct tally_receiver *tally_receiver_new(const struct tally_receiver_opts *opts, char *err,
                                          size_t err_len);
/* Starts the thread. 0 or -errno. */
int tally_receiver_start(struct tally_receiver *r);
/* Queues fn(agg, pending, now, arg) to run on the receiver thread. Any thread. */
void tally_receiver_run_on(struct tally_receiver *r, tally_receiver_job_fn fn, void *arg);
/*
 * Flushes what is buffered (the partial bucket too), stops and joins the thread, and delivers
 * the last batch to on_batch before returning. Main thread.
 */
void tally_receiver_stop(struct tally_receiver *r);
/* Stops if running, closes the sockets, frees. Accepts NULL. */
void tally_receiver_free(struct tally_receiver *r);

#endif
