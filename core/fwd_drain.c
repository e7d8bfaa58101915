/*
 * The forwarder's shutdown: the bounded drain at SIGTERM (forwarder_stop_timeout), then
 * closing every endpoint — requests in flight cancelled, what is left spooled or dropped and
 * counted. The sending engine is forwarder.c.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <event2/event.h>

#include "clock.h"
#include "forwarder.h"
#include "fwd_http.h"
#include "fwd_internal.h"
#include "fwd_spool.h"

/* Nothing more can go out before the deadline: no request running, and each endpoint is
 * empty or blocked past the deadline. */
static bool
drained(const struct tally_fwd *f, int64_t deadline_ms)
{
	for (size_t i = 0; i < f->n_eps; i++) {
		const struct tally_fwd_endpoint *ep = &f->eps[i];
		bool pending = ep->q.head || (f->spool && tally_spool_has(f->spool, ep->name));

		if (ep->n_inflight)
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

/*
 * Stops one endpoint for good: cancel its requests (their payloads go back to the head of the
 * queue, ahead of what never left), spool (or drop) everything queued.
 */
static void
close_endpoint(struct tally_fwd_endpoint *ep)
{
	struct tally_fwd *f = ep->fwd;
	struct tally_fwd_payload *rest;
	unsigned n;
	int rc = -ENOENT;

	evtimer_del(ep->timer);
	for (unsigned i = f->n_workers; i-- > 0;) {
		struct tally_fwd_slot *s = &ep->slots[i];

		if (!s->p)
			continue;
		tally_http_cancel(s->req);
		tally_fwd_queue_return(&ep->q, s->p);
		s->req = NULL;
		s->p = NULL;
		ep->n_inflight--;
	}
	rest = tally_fwd_queue_steal(&ep->q);
	n = tally_fwd_payload_count(rest);
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
		tally_fwd_arm(&f->eps[i], 0);
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
