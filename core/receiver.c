#include "receiver.h"

#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "batch.h"
#include "log.h"
#include "mailbox.h"
#include "origin.h"
#include "parse.h"
#include "receiver_internal.h"
#include "rx_backlog.h"
#include "rx_process.h"
#include "tagger.h"
#include "xmem.h"

/*
 * A flush is handed to the main thread in batches of this many series, and the receiver waits
 * while more than RX_CHUNKS_IN_FLIGHT are undelivered: flushing a million contexts then needs
 * a few chunks of memory, not one batch as big as the aggregator. Measured with 1M contexts
 * (bench/e2e.py --memory): 20,000-series chunks held ~13 MB in flight, 10,000 half that; a
 * chunk is at least one Datadog payload, and 100 payloads per million series cost the
 * backend no more than 50.
 */
#define RX_CHUNK_SERIES     10000
#define RX_CHUNKS_IN_FLIGHT 4
/* A context's series stay in one chunk: a histogram's aggregates and percentiles may overrun. */
#define RX_CHUNK_SLACK 64
/*
 * The receiver's niceness when the process may raise it (root, CAP_SYS_NICE). Its socket
 * buffer holds only some tens of milliseconds at millions of metrics per second, so any
 * CPU-bound neighbour that shares its core at equal weight (a compiler, the backend, our own
 * output thread at flush) makes the kernel drop datagrams; at -10 the scheduler gives it about
 * nine times a nice-0 task's share. It only runs while datagrams arrive, so it cannot take
 * more than the load sent to it.
 */
#define RX_NICE (-10)

struct rx_job {
	tally_receiver_job_fn fn; /* NULL: the stop request */
	void *arg;
};

/*
 * Hands b to the main thread. Mid-flush, it waits while too many chunks are undelivered, and
 * keeps the sockets drained into the backlog meanwhile, so receiving never stalls on a slow
 * output. At the final flush the main thread is joining us: never wait then.
 */
static void
post_batch(struct tally_receiver *r, struct tally_batch *b)
{
	static const struct timespec wait = { 0, 1000000L };

	r->chunks_posted++;
	tally_mailbox_post(r->to_main, b);
	while (!r->stopping && !atomic_load(&r->stop_asked) &&
	       r->chunks_posted - atomic_load(&r->chunks_done) > RX_CHUNKS_IN_FLIGHT) {
		if (tally_rx_stash_sockets(r) == 0)
			nanosleep(&wait, NULL);
	}
}

static struct tally_batch *
next_chunk(struct tally_batch *full, void *arg)
{
	struct tally_receiver *r = arg;
	struct tally_batch *next = tally_batch_new(full->flush_ts);

	tally_batch_reserve_series(next, RX_CHUNK_SERIES + RX_CHUNK_SLACK);
	full->partial = true;
	post_batch(r, full);
	return next;
}

/* The tagger's tags of a container, through this receiver thread's own view (tagger.h). */
static const struct tally_slice *
entity_lookup(void *arg, const char *id, size_t len, int64_t now_s, size_t *n)
{
	*n = 0;
	return arg ? tally_tagger_view_container(arg, id, len, now_s, n) : NULL;
}

struct tally_rx_ctx
tally_receiver_rx_ctx(struct tally_receiver *r)
{
	return (struct tally_rx_ctx){
		.parser = r->parser,
		.agg = r->agg,
		.pending = r->pending,
		.counters = &r->counters,
		.default_host = r->host,
		.now_s = tally_rx_wall_ms() / 1000,
		.tag_scratch = r->tag_scratch,
		.entity_lookup = entity_lookup,
		.entity_arg = r->tags_view,
		.origin_client = r->opts.origin_client,
	};
}

static void
flush_now(struct tally_receiver *r, int64_t bucket_start_s, int64_t now_s)
{
	struct tally_batch *b = r->pending;
	struct tally_agg_stats st;

	r->pending = tally_batch_new(now_s);
	b->flush_ts = now_s;
	tally_agg_flush_chunked(r->agg, bucket_start_s, now_s, &b, RX_CHUNK_SERIES, next_chunk, r);
	tally_agg_get_stats(r->agg, &st);
	r->counters.contexts = st.contexts;
	r->counters.dropped_context_limit = st.dropped_context_limit;
	r->counters.dropped_type_conflict = st.dropped_type_conflict;
	tally_selfstats_emit(b, &r->counters, &r->flushed, bucket_start_s, r->opts.agg.interval_s,
	                     r->host, (const char *const *)r->tags, r->opts.n_tags);
	tally_selfstats_publish(r->opts.stats, &r->counters);
	post_batch(r, b);
}

static void
schedule_flush(struct tally_receiver *r)
{
	int64_t iv_ms = (int64_t)r->opts.agg.interval_s * 1000;
	int64_t now = tally_rx_wall_ms();
	int64_t next_ms = (now / iv_ms + 1) * iv_ms;
	struct timeval tv;

	/* Never flush the same boundary twice if the timer fired a little early. */
	if (next_ms / 1000 <= r->next_flush_s)
		next_ms = (r->next_flush_s + r->opts.agg.interval_s) * 1000;
	r->next_flush_s = next_ms / 1000;
	tv.tv_sec = (next_ms - now) / 1000;
	tv.tv_usec = ((next_ms - now) % 1000) * 1000;
	evtimer_add(r->flush_ev, &tv);
}

static void
on_flush_timer(evutil_socket_t fd, short what, void *arg)
{
	struct tally_receiver *r = arg;
	int64_t boundary = r->next_flush_s;
	struct tally_rx_ctx ctx = tally_receiver_rx_ctx(r);

	r->flush_start_us = tally_rx_mono_us();
	flush_now(r, boundary - r->opts.agg.interval_s, boundary);
	/* What arrived during the flush belongs to the new bucket. */
	ctx.pending = r->pending;
	tally_rx_backlog_replay(&r->backlog, &ctx, r->origin);
	tally_selfstats_publish(r->opts.stats, &r->counters);
	schedule_flush(r);
	r->flush_end_us = tally_rx_mono_us();
}

static void
on_job(void *msg, void *arg)
{
	struct tally_receiver *r = arg;
	struct rx_job *job = msg;
	int64_t now_s = tally_rx_wall_ms() / 1000;

	if (job->fn) {
		job->fn(r->agg, r->pending, now_s, job->arg);
	} else {
		/* Stop: the partial bucket goes out too, stamped with its own start. */
		struct tally_rx_ctx ctx = tally_receiver_rx_ctx(r);

		r->stopping = true;
		/* What the kernel still holds was received before the stop: it goes out too. */
		tally_rx_stash_sockets(r);
		tally_rx_backlog_replay(&r->backlog, &ctx, r->origin);
		flush_now(r, r->next_flush_s - r->opts.agg.interval_s, now_s);
		event_base_loopbreak(r->base);
	}
	free(job);
}

static int
add_listener(struct tally_receiver *r, enum tally_listener_kind kind)
{
	struct tally_rx_listener *l = &r->listeners[kind];

	l->r = r;
	l->kind = kind;
	if (l->fd < 0)
		return 0;
	l->ev = event_new(r->base, l->fd, EV_READ | EV_PERSIST, tally_rx_on_readable, l);
	if (!l->ev || event_add(l->ev, NULL) < 0)
		return -ENOMEM;
	return 0;
}

static void
deliver_batch(void *msg, void *arg)
{
	struct tally_receiver *r = arg;

	r->opts.on_batch(msg, r->opts.arg);
	atomic_fetch_add(&r->chunks_done, 1);
}

static void
copy_identity(struct tally_receiver *r, const struct tally_receiver_opts *opts)
{
	r->host = tally_xstrdup(opts->host ? opts->host : "");
	r->tags = tally_xcalloc(opts->n_tags + 1, sizeof(char *));
	for (size_t i = 0; i < opts->n_tags; i++)
		r->tags[i] = tally_xstrdup(opts->tags[i]);
	r->opts.host = r->host;
	r->opts.tags = (const char *const *)r->tags;
}

struct tally_receiver *
tally_receiver_new(const struct tally_receiver_opts *opts, char *err, size_t err_len)
{
	struct tally_receiver *r = tally_xcalloc(1, sizeof(*r));

	r->opts = *opts;
	/* The fds are ours from here on, even if setting up fails. */
	r->listeners[TALLY_LISTENER_UDP].fd = opts->udp_fd;
	r->listeners[TALLY_LISTENER_UDS].fd = opts->uds_fd;
	copy_identity(r, opts);
	r->agg = tally_agg_new(&opts->agg);
	r->parser = tally_parser_new(opts->buffer_size);
	r->base = event_base_new();
	if (!r->agg || !r->parser || !r->base) {
		snprintf(err, err_len, "cannot set up the receiver (bad aggregator options?)");
		goto fail;
	}
	r->jobs = tally_mailbox_new(r->base, on_job, r);
	r->to_main = tally_mailbox_new(opts->main_base, deliver_batch, r);
	r->flush_ev = evtimer_new(r->base, on_flush_timer, r);
	r->pending = tally_batch_new(0);
	r->backlog.max_bytes = RX_BACKLOG_MAX_BYTES;
	r->origin = tally_origin_new("/proc");
	r->nap_ns = RX_NAP_START_NS;
	/* The parser holds at most buffer_size / 2 + 1 tags; one more for the origin tag, and
	 * the origin's entity tags. */
	r->tag_scratch = tally_xcalloc(opts->buffer_size / 2 + 2 + TALLY_RX_ENTITY_TAGS,
	                               sizeof(*r->tag_scratch));
	r->tags_view = tally_tagger_view_new();
	tally_rx_setup_buffers(r);
	if (!r->jobs || !r->to_main || !r->flush_ev || add_listener(r, TALLY_LISTENER_UDP) < 0 ||
	    add_listener(r, TALLY_LISTENER_UDS) < 0) {
		snprintf(err, err_len, "cannot set up the receiver's events");
		goto fail;
	}
	return r;
fail:
	tally_receiver_free(r);
	return NULL;
}

/* Per thread on Linux: PRIO_PROCESS with a thread id sets that thread's niceness only. */
static void
raise_priority(void)
{
	int tid = (int)gettid();

	if (setpriority(PRIO_PROCESS, (id_t)tid, RX_NICE) == 0)
		TALLY_INFO("receiver", "receiver thread priority raised nice=%d", RX_NICE);
	else
		TALLY_INFO("receiver",
		           "receiver thread priority unchanged nice=0 errno=%d "
		           "(nice %d needs CAP_SYS_NICE)",
		           errno, RX_NICE);
}

static void *
receiver_main(void *arg)
{
	struct tally_receiver *r = arg;

	/* Named, so top -H, perf sched and /proc/PID/task/TID/comm tell it apart. */
	pthread_setname_np(pthread_self(), "tally-rx");
	raise_priority();
	schedule_flush(r);
	event_base_dispatch(r->base);
	return NULL;
}

int
tally_receiver_start(struct tally_receiver *r)
{
	int rc = pthread_create(&r->thread, NULL, receiver_main, r);

	if (rc != 0)
		return -rc;
	r->running = true;
	return 0;
}

void
tally_receiver_run_on(struct tally_receiver *r, tally_receiver_job_fn fn, void *arg)
{
	struct rx_job *job = tally_xmalloc(sizeof(*job));

	job->fn = fn;
	job->arg = arg;
	tally_mailbox_post(r->jobs, job);
}

void
tally_receiver_stop(struct tally_receiver *r)
{
	struct rx_job *stop;

	if (!r->running)
		return;
	stop = tally_xcalloc(1, sizeof(*stop));
	atomic_store(&r->stop_asked, true);
	tally_mailbox_post(r->jobs, stop);
	pthread_join(r->thread, NULL);
	r->running = false;
	tally_mailbox_drain(r->to_main);
}

void
tally_receiver_free(struct tally_receiver *r)
{
	if (!r)
		return;
	if (r->running)
		tally_receiver_stop(r);
	for (int i = 0; i < TALLY_LISTENER__COUNT; i++) {
		if (r->listeners[i].ev)
			event_free(r->listeners[i].ev);
		if (r->listeners[i].fd >= 0)
			close(r->listeners[i].fd);
	}
	if (r->flush_ev)
		event_free(r->flush_ev);
	tally_mailbox_free(r->jobs);
	tally_mailbox_free(r->to_main);
	if (r->base)
		event_base_free(r->base);
	tally_batch_unref(r->pending);
	tally_rx_backlog_fini(&r->backlog);
	tally_origin_free(r->origin);
	free(r->tag_scratch);
	tally_tagger_view_free(r->tags_view);
	tally_parser_free(r->parser);
	tally_agg_free(r->agg);
	for (size_t i = 0; r->tags && r->tags[i]; i++)
		free(r->tags[i]);
	free(r->tags);
	free(r->host);
	free(r->bufs);
	free(r);
}
