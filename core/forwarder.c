#include "forwarder.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>

#include "clock.h"
#include "fwd_http.h"
#include "fwd_internal.h"
#include "fwd_spool.h"
#include "xmem.h"

#define CONNECT_TIMEOUT_MAX_MS 10000
#define RETRY_LOG_INTERVAL_MS  30000

/* xorshift64*: jitter only, no need for quality or secrecy. */
static double
next_uniform(struct tally_fwd *f)
{
	f->rng ^= f->rng >> 12;
	f->rng ^= f->rng << 25;
	f->rng ^= f->rng >> 27;
	return (double)((f->rng * 2685821657736338717ULL) >> 11) / 9007199254740992.0;
}

void
tally_fwd_arm(struct tally_fwd_endpoint *ep, int64_t delay_ms)
{
	struct timeval tv = { .tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000 };

	if (!ep->fwd->closed)
		evtimer_add(ep->timer, &tv);
}

/* Memory is full: spool the oldest half of the queue, or drop and count what was evicted. */
static void
overflow(struct tally_fwd_endpoint *ep, struct tally_fwd_payload *evicted)
{
	struct tally_fwd *f = ep->fwd;
	unsigned n;
	int rc;

	if (!f->spool) {
		n = tally_fwd_payload_count(evicted);
		ep->total.dropped[TALLY_DROP_QUEUE_FULL] += n;
		tally_log_ratelimited(&ep->spill_rl, RETRY_LOG_INTERVAL_MS, TALLY_LOG_WARN,
		                      "forwarder",
		                      "retry queue full, oldest dropped output=%s endpoint=%s "
		                      "payloads=%u max_bytes=%zu",
		                      f->id, ep->name, n, ep->q.max_bytes);
		tally_fwd_payload_free_list(evicted);
		return;
	}
	tally_fwd_queue_shrink(&ep->q, ep->q.max_bytes / 2, &evicted);
	n = tally_fwd_payload_count(evicted);
	rc = tally_spool_write(f->spool, ep->name, evicted);
	if (rc == 0) {
		ep->total.spooled += n;
		tally_log_ratelimited(
		    &ep->spill_rl, RETRY_LOG_INTERVAL_MS, TALLY_LOG_WARN, "forwarder",
		    "retry queue full, oldest moved to disk output=%s endpoint=%s "
		    "payloads=%u",
		    f->id, ep->name, n);
	} else {
		ep->total.dropped[rc == -EFBIG ? TALLY_DROP_SPOOL_FULL : TALLY_DROP_SPOOL_ERROR] +=
		    n;
		TALLY_ERR("forwarder",
		          "cannot spool, dropped output=%s endpoint=%s payloads=%u "
		          "errno=%d",
		          f->id, ep->name, n, -rc);
	}
	tally_fwd_payload_free_list(evicted);
}

static void
push_all(struct tally_fwd_endpoint *ep, struct tally_fwd_payload *list)
{
	struct tally_fwd_payload *evicted = NULL;

	while (list) {
		struct tally_fwd_payload *next = list->next;

		tally_fwd_queue_push(&ep->q, list, &evicted);
		list = next;
	}
	if (evicted)
		overflow(ep, evicted);
}

/* Memory is empty and the endpoint may send: bring back its oldest spooled file. */
static void
load_spooled(struct tally_fwd_endpoint *ep)
{
	struct tally_fwd *f = ep->fwd;
	struct tally_fwd_payload *list = NULL;
	int rc;

	if (!f->spool || !tally_spool_has(f->spool, ep->name))
		return;
	rc = tally_spool_load(f->spool, ep->name, &list);
	if (rc < 0)
		ep->total.dropped[TALLY_DROP_INVALID]++;
	TALLY_DEBUG("forwarder", "loaded from spool output=%s endpoint=%s payloads=%u", f->id,
	            ep->name, tally_fwd_payload_count(list));
	push_all(ep, list);
}

static void on_done(void *arg, const struct tally_http_result *res);

/* Starts the POST of slot s's payload; the answer comes to on_done with s. */
static struct tally_http_req *
start(struct tally_fwd_endpoint *ep, struct tally_fwd_slot *s)
{
	struct tally_fwd *f = ep->fwd;
	const struct tally_fwd_payload *p = s->p;
	const char *hdrs[16];
	char ctype[160], cenc[96], *url;
	size_t n = 0;
	struct tally_http_req *req;

	for (size_t i = 0; i < f->n_headers && n < 14; i++)
		hdrs[n++] = f->headers[i];
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", p->content_type);
	hdrs[n++] = ctype;
	if (p->content_encoding) {
		snprintf(cenc, sizeof(cenc), "Content-Encoding: %s", p->content_encoding);
		hdrs[n++] = cenc;
	}
	url = tally_xmalloc(strlen(f->base_url) + strlen(p->path) + 1);
	strcpy(url, f->base_url);
	strcat(url, p->path);
	req = tally_http_post(f->http,
	                      &(struct tally_http_post_opts){
	                          .url = url,
	                          .headers = hdrs,
	                          .n_headers = n,
	                          .body = p->body,
	                          .len = p->len,
	                          .timeout_ms = f->timeout_ms,
	                          .connect_timeout_ms = f->timeout_ms < CONNECT_TIMEOUT_MAX_MS
	                                                    ? f->timeout_ms
	                                                    : CONNECT_TIMEOUT_MAX_MS,
	                          .done = on_done,
	                          .arg = s,
	                      });
	free(url);
	return req;
}

/* A worker with no request running, or NULL when all n_workers are busy. */
static struct tally_fwd_slot *
free_slot(struct tally_fwd_endpoint *ep)
{
	for (unsigned i = 0; i < ep->fwd->n_workers; i++) {
		if (!ep->slots[i].p)
			return &ep->slots[i];
	}
	return NULL;
}

/* Starts one request in the free slot s; returns false when nothing more may start now. */
static bool
start_one(struct tally_fwd_endpoint *ep, struct tally_fwd_slot *s)
{
	struct tally_fwd *f = ep->fwd;
	int64_t now = tally_mono_ms();
	struct tally_fwd_payload *p;

	if (!tally_fwd_breaker_can_send(&ep->br, now)) {
		if (ep->br.state == TALLY_FWD_BLOCKED)
			tally_fwd_arm(ep, ep->br.until_ms - now);
		return false;
	}
	if (!ep->q.head)
		load_spooled(ep);
	p = tally_fwd_queue_take(&ep->q);
	if (!p)
		return false;
	tally_fwd_breaker_on_send(&ep->br, now);
	s->p = p;
	s->req = start(ep, s);
	if (!s->req) {
		/* curl refused to even start it: a transport error, retried after backoff */
		s->p = NULL;
		tally_fwd_queue_return(&ep->q, p);
		ep->total.retried++;
		tally_fwd_breaker_on_failure(&ep->br, now, next_uniform(f));
		tally_fwd_arm(ep, ep->br.until_ms - now);
		return false;
	}
	ep->n_inflight++;
	return true;
}

/*
 * Starts requests while a worker is free, the breaker lets one go and something is queued.
 *
 * A failing intake gets one request per backoff, never n_workers parallel retries: the first
 * failure blocks the breaker and nothing starts while it is blocked; when the block expires,
 * the first send moves it to half-blocked (tally_fwd_breaker_on_send), which lets nothing else
 * start until an answer comes back. So the probe goes alone; successful probes (each takes
 * TALLY_FWD_RECOVERY_INTERVAL errors off) unblock the breaker, and the next pump fills every
 * worker again — the Datadog agent's blocked endpoints behave the same way. Parallel retries
 * against a struggling intake would only slow its recovery; the queue and the spool keep
 * what waits meanwhile.
 *
 * Requests already in flight when the block began run to their end: a success is delivered
 * and counted, a failure goes back to the queue. The breaker ignores answers that land while it
 * is blocked (they say nothing newer than the failure that blocked it); one that lands while
 * the probe is out is taken as the probe's answer — either way it is a fresh word from the
 * intake.
 */
static void
pump(struct tally_fwd_endpoint *ep)
{
	struct tally_fwd_slot *s;

	while (!ep->fwd->closed && (s = free_slot(ep)) && start_one(ep, s))
		continue;
}

void
tally_fwd_ep_on_timer(evutil_socket_t fd, short what, void *arg)
{
	pump(arg);
}

static enum tally_fwd_drop_reason
drop_reason(long status)
{
	switch (status) {
	case 403:
		return TALLY_DROP_HTTP_403;
	case 413:
		return TALLY_DROP_HTTP_413;
	case 400:
	default:
		return TALLY_DROP_HTTP_400;
	}
}

static void
log_drop(struct tally_fwd_endpoint *ep, const struct tally_fwd_payload *p,
         const struct tally_http_result *res)
{
	struct tally_fwd *f = ep->fwd;

	if (res->status == 403) {
		if (f->warned_403)
			return;
		f->warned_403 = true;
		TALLY_ERR("forwarder",
		          "invalid API key, payloads dropped output=%s endpoint=%s "
		          "status=403 api_key=%s",
		          f->id, ep->name, f->key_hint ? f->key_hint : "none");
		return;
	}
	tally_log_ratelimited(&ep->log_rl, RETRY_LOG_INTERVAL_MS, TALLY_LOG_ERROR, "forwarder",
	                      "payload rejected, dropped output=%s endpoint=%s status=%ld "
	                      "bytes=%zu body=\"%.200s\"",
	                      f->id, ep->name, res->status, p->len, res->body);
}

static void
log_retry(struct tally_fwd_endpoint *ep, const struct tally_http_result *res, int64_t now)
{
	struct tally_fwd *f = ep->fwd;

	tally_log_ratelimited(&ep->log_rl, RETRY_LOG_INTERVAL_MS, TALLY_LOG_WARN, "forwarder",
	                      "request failed, will retry output=%s endpoint=%s status=%ld "
	                      "error=\"%s\" retry_in_ms=%lld queued=%zu",
	                      f->id, ep->name, res->status, res->error,
	                      (long long)(ep->br.until_ms - now), ep->q.count);
}

/* Slot s's request is over: count the outcome, free the slot, pump again. */
static void
on_done(void *arg, const struct tally_http_result *res)
{
	struct tally_fwd_slot *s = arg;
	struct tally_fwd_endpoint *ep = s->ep;
	struct tally_fwd_payload *p = s->p;
	int64_t now = tally_mono_ms();

	s->p = NULL;
	s->req = NULL;
	ep->n_inflight--;
	ep->last_status = res->status;
	switch (tally_fwd_classify(res->status, res->curl_code)) {
	case TALLY_FWD_SENT:
		tally_fwd_breaker_on_success(&ep->br, now, next_uniform(ep->fwd));
		ep->total.sent++;
		ep->total.sent_bytes += p->len;
		break;
	case TALLY_FWD_DROP:
		tally_fwd_breaker_on_success(&ep->br, now, next_uniform(ep->fwd));
		ep->total.dropped[drop_reason(res->status)]++;
		snprintf(ep->last_error, sizeof(ep->last_error), "HTTP %ld: payload rejected",
		         res->status);
		log_drop(ep, p, res);
		break;
	case TALLY_FWD_RETRY:
	default:
		tally_fwd_breaker_on_failure(&ep->br, now, next_uniform(ep->fwd));
		tally_fwd_queue_return(&ep->q, p);
		ep->total.retried++;
		if (res->status)
			snprintf(ep->last_error, sizeof(ep->last_error), "HTTP %ld", res->status);
		else
			snprintf(ep->last_error, sizeof(ep->last_error), "%s",
			         res->error && *res->error ? res->error : "transport error");
		log_retry(ep, res, now);
		tally_fwd_arm(ep, 0);
		return;
	}
	tally_fwd_queue_done(&ep->q, p);
	tally_fwd_payload_free(p);
	tally_fwd_arm(ep, 0);
}

void
tally_fwd_enqueue(struct tally_fwd *f, size_t ep, struct tally_fwd_payload *list)
{
	if (ep >= f->n_eps || f->closed) {
		if (ep < f->n_eps)
			f->eps[ep].total.dropped[TALLY_DROP_SHUTDOWN] +=
			    tally_fwd_payload_count(list);
		tally_fwd_payload_free_list(list);
		return;
	}
	push_all(&f->eps[ep], list);
	if (f->eps[ep].n_inflight < f->n_workers)
		tally_fwd_arm(&f->eps[ep], 0);
}

void
tally_fwd_count_drop(struct tally_fwd *f, size_t ep, enum tally_fwd_drop_reason r, uint64_t n)
{
	if (ep < f->n_eps && r < TALLY_DROP__COUNT)
		f->eps[ep].total.dropped[r] += n;
}
