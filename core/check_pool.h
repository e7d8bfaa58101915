/*
 * check_pool: the worker threads that run checks, so that no check ever runs on the event
 * loop. Jobs are intrusive (a struct tally_pool_job inside the caller's object): run() is
 * called on a worker, then done() on the event loop's thread through a mailbox.
 *
 * tally_check_pool_new/submit/free are main-thread (the base's thread) only.
 */
#ifndef TALLY_CORE_CHECK_POOL_H
#define TALLY_CORE_CHECK_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct tally_check_pool;

struct tally_pool_job {
	/* On a worker thread. */
	void (*run)(struct tally_pool_job *job);
	/* On the main thread, after run() (ran) or instead of it when cancelled (!ran). */
	void (*done)(struct tally_pool_job *job, bool ran);
	struct tally_pool_job *next; /* the pool's */
};

/* Returns a pool of n_threads (>= 1) workers, or NULL with a message in err. */
struct tally_check_pool *tally_check_pool_new(unsigned n_threads, struct event_base *base,
                                              char *err, size_t err_len);
/* Queues job (borrowed until its done() has been called). */
void tally_check_pool_submit(struct tally_check_pool *pool, struct tally_pool_job *job);
/* Jobs being run by a worker right now. */
size_t tally_check_pool_busy(struct tally_check_pool *pool);

/*
 * Stops the pool: queued jobs get done(job, false); running jobs get until deadline_ms
 * (CLOCK_MONOTONIC) to finish and get done(job, true). Returns 0 when every worker finished
 * and the pool was freed; otherwise the number of jobs still inside a check, whose done() will
 * never be called: the pool is then abandoned (not freed) and those workers exit on their own
 * if their check ever returns. Accepts NULL.
 */
size_t tally_check_pool_free(struct tally_check_pool *pool, int64_t deadline_ms);

/*
 * Shutdown's first step: queued jobs get done(job, false) now and no job starts any more;
 * running ones go on (their done() still comes through the event loop). Call
 * tally_check_pool_free() later. Accepts NULL.
 */
void tally_check_pool_cancel(struct tally_check_pool *pool);

#endif
