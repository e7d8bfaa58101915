#include "check_pool.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "log.h"
#include "mailbox.h"
#include "xmem.h"

#define WAIT_SLICE_MS 20

struct tally_check_pool {
	pthread_mutex_t lock;
	pthread_cond_t work; /* a job was queued, or stop */
	pthread_cond_t idle; /* a worker finished a job */
	struct tally_pool_job *head, *tail;
	bool stop, abandoned;
	size_t busy;
	pthread_t *threads;
	unsigned n_threads;
	struct tally_mailbox *done_mb;
};

static void
on_done(void *msg, void *arg)
{
	struct tally_pool_job *job = msg;

	job->done(job, true);
}

static struct tally_pool_job *
next_job_locked(struct tally_check_pool *pool)
{
	struct tally_pool_job *job;

	while (!pool->stop && !pool->head)
		pthread_cond_wait(&pool->work, &pool->lock);
	if (pool->stop)
		return NULL;
	job = pool->head;
	pool->head = job->next;
	if (!pool->head)
		pool->tail = NULL;
	pool->busy++;
	return job;
}

static void *
worker(void *arg)
{
	struct tally_check_pool *pool = arg;
	struct tally_pool_job *job;

	pthread_mutex_lock(&pool->lock);
	while ((job = next_job_locked(pool))) {
		pthread_mutex_unlock(&pool->lock);
		job->run(job);
		pthread_mutex_lock(&pool->lock);
		pool->busy--;
		if (!pool->abandoned)
			tally_mailbox_post(pool->done_mb, job);
		pthread_cond_broadcast(&pool->idle);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

struct tally_check_pool *
tally_check_pool_new(unsigned n_threads, struct event_base *base, char *err, size_t err_len)
{
	struct tally_check_pool *pool = tally_xcalloc(1, sizeof(*pool));
	pthread_condattr_t ca;
	int rc;

	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->idle, &ca);
	pthread_condattr_destroy(&ca);
	pool->done_mb = tally_mailbox_new(base, on_done, pool);
	if (!pool->done_mb) {
		snprintf(err, err_len, "check pool: cannot create its mailbox");
		goto fail;
	}
	pool->threads = tally_xcalloc(n_threads ? n_threads : 1, sizeof(*pool->threads));
	for (unsigned i = 0; i < (n_threads ? n_threads : 1); i++) {
		rc = pthread_create(&pool->threads[i], NULL, worker, pool);
		if (rc != 0) {
			snprintf(err, err_len, "check pool: cannot start a worker: %s",
			         strerror(rc));
			goto fail;
		}
		pool->n_threads++;
	}
	return pool;
fail:
	tally_check_pool_free(pool, 0);
	return NULL;
}

void
tally_check_pool_submit(struct tally_check_pool *pool, struct tally_pool_job *job)
{
	job->next = NULL;
	pthread_mutex_lock(&pool->lock);
	if (pool->tail)
		pool->tail->next = job;
	else
		pool->head = job;
	pool->tail = job;
	pthread_cond_signal(&pool->work);
	pthread_mutex_unlock(&pool->lock);
}

size_t
tally_check_pool_busy(struct tally_check_pool *pool)
{
	size_t busy;

	pthread_mutex_lock(&pool->lock);
	busy = pool->busy;
	pthread_mutex_unlock(&pool->lock);
	return busy;
}

/* Waits until no worker is inside a job or deadline_ms; returns how many still are. */
static size_t
wait_idle(struct tally_check_pool *pool, int64_t deadline_ms)
{
	size_t busy;

	for (;;) {
		int64_t now = tally_mono_ms(), until = now + WAIT_SLICE_MS;
		struct timespec ts;

		tally_mailbox_drain(pool->done_mb);
		pthread_mutex_lock(&pool->lock);
		busy = pool->busy;
		if (busy && now < deadline_ms) {
			until = until < deadline_ms ? until : deadline_ms;
			ts.tv_sec = until / 1000;
			ts.tv_nsec = (until % 1000) * 1000000;
			pthread_cond_timedwait(&pool->idle, &pool->lock, &ts);
		}
		pthread_mutex_unlock(&pool->lock);
		if (!busy || now >= deadline_ms)
			return busy;
	}
}

static void
cancel_queued(struct tally_check_pool *pool)
{
	struct tally_pool_job *job, *next;

	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	job = pool->head;
	pool->head = pool->tail = NULL;
	pthread_cond_broadcast(&pool->work);
	pthread_mutex_unlock(&pool->lock);
	for (; job; job = next) {
		next = job->next;
		job->done(job, false);
	}
}

size_t
tally_check_pool_free(struct tally_check_pool *pool, int64_t deadline_ms)
{
	size_t stuck;

	if (!pool)
		return 0;
	cancel_queued(pool);
	stuck = pool->done_mb ? wait_idle(pool, deadline_ms) : 0;
	if (stuck) {
		pthread_mutex_lock(&pool->lock);
		pool->abandoned = true;
		pthread_mutex_unlock(&pool->lock);
		tally_mailbox_drain(pool->done_mb);
		for (unsigned i = 0; i < pool->n_threads; i++)
			pthread_detach(pool->threads[i]);
		TALLY_WARN("checks", "abandoning check runs that did not return in time runs=%zu",
		           stuck);
		return stuck;
	}
	for (unsigned i = 0; i < pool->n_threads; i++)
		pthread_join(pool->threads[i], NULL);
	tally_mailbox_free(pool->done_mb);
	pthread_cond_destroy(&pool->work);
	pthread_cond_destroy(&pool->idle);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
	return 0;
}

void
tally_check_pool_cancel(struct tally_check_pool *pool)
{
	if (pool)
		cancel_queued(pool);
}
