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

static unsigned
list_count(const struct tally_fwd_payload *p)
{
	unsigned n = 0;

	for (; p; p = p->next)
		n++;
	return n;
}

static void
arm(struct tally_fwd_endpoint *ep, int64_t delay_ms)
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
		n = list_count(evicted);
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
	n = list_count(evicted);
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
	            ep->name, list_count(list));
	push_all(ep, list);
}

static void on_done(void *arg, const struct tally_http_result *res);

static struct tally_http_req *
start(struct tally_fwd_endpoint *ep, struct tally_fwd_payload *p)
{
	struct tally_fwd *f = ep->fwd;
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
	                          .arg = ep,
	                      });
	free(url);
	return req;
}

static void
pump(struct tally_fwd_endpoint *ep)
{
	struct tally_fwd *f = ep->fwd;
	int64_t now = tally_mono_ms();
	struct tally_fwd_payload *p;

	if (ep->req || f->closed)
		return;
	if (!tally_fwd_breaker_can_send(&ep->br, now)) {
		if (ep->br.state == TALLY_FWD_BLOCKED)
			arm(ep, ep->br.until_ms - now);
		return;
	}
	if (!ep->q.head)
		load_spooled(ep);
	p = tally_fwd_queue_take(&ep->q);
	if (!p)
		return;
	tally_fwd_breaker_on_send(&ep->br, now);
	ep->inflight = p;
	ep->req = start(ep, p);
	if (!ep->req) {
		/* curl refused to even start it: a transport error, retried after backoff */
		ep->inflight = NULL;
		tally_fwd_queue_return(&ep->q, p);
		ep->total.retried++;
		tally_fwd_breaker_on_failure(&ep->br, now, next_uniform(f));
		arm(ep, ep->br.until_ms - now);
	}
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
log_drop(struct tally_fwd_endpoint *ep, const struct tally_http_result *res)
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
	                      f->id, ep->name, res->status, ep->inflight->len, res->body);
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

static void
on_done(void *arg, const struct tally_http_result *res)
{
	struct tally_fwd_endpoint *ep = arg;
	struct tally_fwd_payload *p = ep->inflight;
	int64_t now = tally_mono_ms();

	ep->req = NULL;
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
		log_drop(ep, res);
		break;
	case TALLY_FWD_RETRY:
	default:
		tally_fwd_breaker_on_failure(&ep->br, now, next_uniform(ep->fwd));
		ep->inflight = NULL;
		tally_fwd_queue_return(&ep->q, p);
		ep->total.retried++;
		if (res->status)
			snprintf(ep->last_error, sizeof(ep->last_error), "HTTP %ld", res->status);
		else
			snprintf(ep->last_error, sizeof(ep->last_error), "%s",
			         res->error && *res->error ? res->error : "transport error");
		log_retry(ep, res, now);
		arm(ep, 0);
		return;
	}
	ep->inflight = NULL;
	tally_fwd_queue_done(&ep->q, p);
	tally_fwd_payload_free(p);
	arm(ep, 0);
}

void
tally_fwd_enqueue(struct tally_fwd *f, size_t ep, struct tally_fwd_payload *list)
{
	if (ep >= f->n_eps || f->closed) {
		if (ep < f->n_eps)
			f->eps[ep].total.dropped[TALLY_DROP_SHUTDOWN] += list_count(list);
		tally_fwd_payload_free_list(list);
		return;
	}
	push_all(&f->eps[ep], list);
	if (!f->eps[ep].req)
		arm(&f->eps[ep], 0);
}

void
tally_fwd_count_drop(struct tally_fwd *f, size_t ep, enum tally_fwd_drop_reason r, uint64_t n)
{
	if (ep < f->n_eps && r < TALLY_DROP__COUNT)
		f->eps[ep].total.dropped[r] += n;
}

/* Nothing more can go out before the deadline: no request running, and each endpoint is
 * empty or blocked past the deadline. */
static bool
drained(const struct tally_fwd *f, int64_t deadline_ms)
{
	for (size_t i = 0; i < f->n_eps; i++) {
		const struct tally_fwd_endpoint *ep = &f->eps[i];
		bool pending = ep->q.head || (f->spool && tally_spool_has(f->spool, ep->name));

		if (ep->req)
			return false;
		if (pending && (ep->br.state != TALLY_FWD_BLOCKED || ep->br.until_ms < deadline_ms))
			return false;
	}
	return true;
}

static void
on_wake(evutil_socket_t fd, short what, void *arg)
{
}

/* Stops one endpoint for good: cancel its request, spool (or drop) everything queued. */
static void
close_endpoint(struct tally_fwd_endpoint *ep)
{
	struct tally_fwd *f = ep->fwd;
	struct tally_fwd_payload *rest;
	unsigned n;
	int rc = -ENOENT;

	evtimer_del(ep->timer);
	if (ep->req) {
		tally_http_cancel(ep->req);
		ep->req = NULL;
		tally_fwd_queue_return(&ep->q, ep->inflight);
		ep->inflight = NULL;
	}
	rest = tally_fwd_queue_steal(&ep->q);
	n = list_count(rest);
	if (!n)
		return;
	if (f->spool)
		rc = tally_spool_write(f->spool, ep->name, rest);
	if (rc == 0) {
		ep->total.spooled += n;
		TALLY_INFO("forwarder",
		           "spooled for the next start output=%s endpoint=%s "
		           "payloads=%u",
		           f->id, ep->name, n);
	} else {
		ep->total.dropped[TALLY_DROP_SHUTDOWN] += n;
		TALLY_WARN("forwarder",
		           "undelivered at exit, dropped output=%s endpoint=%s "
		           "payloads=%u reason=%s",
		           f->id, ep->name, n,
		           f->spool ? strerror(-rc) : "no forwarder_storage_path");
	}
	tally_fwd_payload_free_list(rest);
}

void
tally_fwd_close(struct tally_fwd *f)
{
	if (f->closed)
		return;
	f->closed = true;
	for (size_t i = 0; i < f->n_eps; i++)
		close_endpoint(&f->eps[i]);
}

void
tally_fwd_drain(struct tally_fwd *f, struct event_base *base, int64_t deadline_ms)
{
	struct event *wake = evtimer_new(base, on_wake, NULL);
	int64_t now = tally_mono_ms();

	for (size_t i = 0; i < f->n_eps && !f->closed; i++) {
		tally_fwd_breaker_expire(&f->eps[i].br, now);
		arm(&f->eps[i], 0);
	}
	while (wake && !f->closed && (now = tally_mono_ms()) < deadline_ms &&
	       !drained(f, deadline_ms)) {
		int64_t left = deadline_ms - now;
		struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };

		evtimer_add(wake, &tv);
		event_base_loop(base, EVLOOP_ONCE);
	}
	if (wake)
		event_free(wake);
	tally_fwd_close(f);
}
