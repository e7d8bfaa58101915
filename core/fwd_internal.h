/*
 * fwd_internal: the forwarder's state, shared by forwarder.c (sending, retrying, spooling),
 * fwd_drain.c (shutdown), fwd_setup.c (construction) and fwd_stats.c (tally.forwarder.*
 * series and status). Not for other modules: outputs use forwarder.h. Main thread only.
 */
#ifndef TALLY_CORE_FWD_INTERNAL_H
#define TALLY_CORE_FWD_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "forwarder.h"
#include "fwd_policy.h"
#include "fwd_queue.h"
#include "log.h"

struct event;
struct tally_http;
struct tally_http_req;
struct tally_spool;

struct tally_fwd_counters {
	uint64_t sent; /* payloads delivered (2xx) */
	uint64_t sent_bytes;
	uint64_t retried; /* attempts that failed and were kept for retry */
	uint64_t spooled; /* payloads written to the disk spool */
	uint64_t dropped[TALLY_DROP__COUNT];
};

/* One request in flight: its payload is held out of the endpoint's queue until the answer. */
struct tally_fwd_slot {
	struct tally_fwd_endpoint *ep;
	struct tally_fwd_payload *p; /* NULL when the slot is free */
	struct tally_http_req *req;
};

struct tally_fwd_endpoint {
	struct tally_fwd *fwd;
	char name[32];
	struct tally_fwd_queue q;
	struct tally_fwd_breaker br;
	struct tally_fwd_slot slots[TALLY_FWD_WORKERS_MAX]; /* the first fwd->n_workers are used */
	unsigned n_inflight;                                /* slots with a request running */
	struct event *timer; /* next pump: now (kick) or when the breaker unblocks */
	struct tally_fwd_counters total, reported;
	long last_status;
	struct tally_ratelimit log_rl;   /* retries and rejections */
	struct tally_ratelimit spill_rl; /* queue overflow */
	char last_error[256];            /* the last failed or rejected request, for status */
};

struct tally_fwd {
	struct event_base *base;
	struct tally_http *http;
	struct tally_spool *spool; /* NULL when forwarder_storage_path is unset */
	char *id, *base_url, *key_hint;
	char **headers;
	size_t n_headers;
	long timeout_ms;
	unsigned n_workers; /* requests in flight per endpoint, 1..TALLY_FWD_WORKERS_MAX */
	struct tally_fwd_endpoint *eps;
	size_t n_eps;
	uint64_t rng;
	bool closed;     /* drained: nothing is sent any more */
	bool warned_403; /* "invalid API key" is logged once per output */
};

/* The endpoint's timer callback (arg: the endpoint): sends what it can. */
void tally_fwd_ep_on_timer(int fd, short what, void *arg);
/* Stops sending for good; spools (or drops and counts) whatever is queued. Idempotent. */
void tally_fwd_close(struct tally_fwd *f);
/* Arms the endpoint's timer to pump in delay_ms (0: on the next loop pass); not once closed. */
void tally_fwd_arm(struct tally_fwd_endpoint *ep, int64_t delay_ms);

#endif
