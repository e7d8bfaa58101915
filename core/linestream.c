#include "linestream.h"

#include <sys/time.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>

#include "clock.h"
#include "lineq.h"
#include "log.h"
#include "xmem.h"

#define BACKOFF_MIN_MS        1000
#define BACKOFF_MAX_MS        60000
#define DRAIN_RETRY_MS        200
#define CONNECT_TIMEOUT_MAX_S 10.0
/* Bytes kept in the socket's output buffer; more is handed over when it falls below half. */
#define WINDOW_BYTES (64 * 1024)

struct tally_linestream {
	struct event_base *base;
	struct evdns_base *dns; /* NULL: host names resolve blocking */
	char *host;
	int port;
	const char *subsys;
	struct timeval connect_timeout, write_timeout;
	struct bufferevent *bev; /* NULL while waiting to reconnect */
	struct evbuffer_cb_entry *ack_cb;
	struct event *retry_ev;
	struct tally_lineq *q;
	void (*spill)(void *arg, const char *lines, size_t len, size_t n_lines);
	void *spill_arg;
	bool connected, down_logged, draining;
	uint32_t backoff_ms;
	uint64_t rng;
	uint64_t retried, dropped_shutdown;
};

static struct timeval
ms_tv(int64_t ms)
{
	struct timeval tv = { .tv_sec = (time_t)(ms / 1000),
		              .tv_usec = (suseconds_t)(ms % 1000) * 1000 };

	return tv;
}

/* The next retry delay: the current backoff with jitter in [backoff/2, backoff]; then double. */
static uint32_t
next_delay_ms(struct tally_linestream *ls)
{
	uint32_t half = ls->backoff_ms / 2, delay;

	ls->rng ^= ls->rng << 13;
	ls->rng ^= ls->rng >> 7;
	ls->rng ^= ls->rng << 17;
	delay = half + (uint32_t)(ls->rng % (half + 1));
	ls->backoff_ms = ls->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : ls->backoff_ms * 2;
	if (ls->draining && delay > DRAIN_RETRY_MS)
		delay = DRAIN_RETRY_MS;
	return delay;
}

static void
close_conn(struct tally_linestream *ls)
{
	if (!ls->bev)
		return;
	evbuffer_remove_cb_entry(bufferevent_get_output(ls->bev), ls->ack_cb);
	bufferevent_free(ls->bev);
	ls->bev = NULL;
	ls->ack_cb = NULL;
	ls->connected = false;
	tally_lineq_rewind(ls->q);
}

/* The connection failed or dropped: keep what is queued, log once per outage, retry later. */
static void
conn_lost(struct tally_linestream *ls, const char *why)
{
	uint32_t delay;
	struct timeval tv;

	close_conn(ls);
	delay = next_delay_ms(ls);
	TALLY_LOG_AT(ls->down_logged ? TALLY_LOG_DEBUG : TALLY_LOG_WARN, ls->subsys,
	             "cannot send address=%s:%d error=\"%s\" queued_lines=%zu retry_in_ms=%u",
	             ls->host, ls->port, why, ls->q->lines, delay);
	ls->down_logged = true;
	tv = ms_tv(delay);
	evtimer_add(ls->retry_ev, &tv);
}

void
tally_linestream_flush(struct tally_linestream *ls)
{
	struct evbuffer *out;
	const char *data;
	size_t len;

	if (!ls->connected)
		return;
	out = bufferevent_get_output(ls->bev);
	while (evbuffer_get_length(out) < WINDOW_BYTES && tally_lineq_next(ls->q, &data, &len)) {
		if (bufferevent_write(ls->bev, data, len) < 0) {
			conn_lost(ls, "cannot buffer output");
			return;
		}
	}
}

static void
describe_error(struct bufferevent *bev, short what, char *buf, size_t len)
{
	int dns_err = bufferevent_socket_get_dns_error(bev);

	if (what & BEV_EVENT_TIMEOUT)
		snprintf(buf, len, "timed out");
	else if (what & BEV_EVENT_EOF)
		snprintf(buf, len, "connection closed by peer");
	else if (dns_err)
		snprintf(buf, len, "%s", evutil_gai_strerror(dns_err));
	else
		snprintf(buf, len, "%s", evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct tally_linestream *ls = arg;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		ls->connected = true;
		ls->backoff_ms = BACKOFF_MIN_MS;
		bufferevent_set_timeouts(bev, NULL, &ls->write_timeout);
		bufferevent_enable(bev, EV_READ);
		TALLY_LOG_AT(ls->down_logged ? TALLY_LOG_INFO : TALLY_LOG_DEBUG, ls->subsys,
		             "connected address=%s:%d queued_lines=%zu", ls->host, ls->port,
		             ls->q->lines);
		ls->down_logged = false;
		tally_linestream_flush(ls);
		return;
	}
	describe_error(bev, what, why, sizeof(why));
	conn_lost(ls, why);
}

/* The peer is not expected to talk; whatever arrives is discarded so the socket never fills. */
static void
on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev);

	evbuffer_drain(in, evbuffer_get_length(in));
}

/* The output buffer fell below half the window. */
static void
on_write(struct bufferevent *bev, void *arg)
{
	tally_linestream_flush(arg);
}

/* Bytes left the output buffer for the kernel: the lines they complete are sent. */
static void
on_output_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct tally_linestream *ls = arg;

	if (info->n_deleted)
		tally_lineq_ack(ls->q, info->n_deleted);
}

static void
start_connect(struct tally_linestream *ls)
{
	ls->bev =
	    bufferevent_socket_new(ls->base, -1, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!ls->bev) {
		conn_lost(ls, "cannot create a socket buffer");
		return;
	}
	bufferevent_setcb(ls->bev, on_read, on_write, on_event, ls);
	bufferevent_set_timeouts(ls->bev, NULL, &ls->connect_timeout);
	bufferevent_setwatermark(ls->bev, EV_WRITE, WINDOW_BYTES / 2, 0);
	ls->ack_cb = evbuffer_add_cb(bufferevent_get_output(ls->bev), on_output_drained, ls);
	if (bufferevent_socket_connect_hostname(ls->bev, ls->dns, AF_UNSPEC, ls->host, ls->port) <
	    0)
		conn_lost(ls, "connect failed");
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct tally_linestream *ls = arg;

	ls->retried++;
	start_connect(ls);
}

/* Hands the oldest lines not in flight to the spill callback until keep_bytes are left. */
static void
spill_oldest(struct tally_linestream *ls, size_t keep_bytes)
{
	char *buf;
	size_t len, n = tally_lineq_take(ls->q, keep_bytes, &buf, &len);

	if (n)
		ls->spill(ls->spill_arg, buf, len, n);
	free(buf);
}

int
tally_linestream_append(struct tally_linestream *ls, const char *line, size_t len)
{
	if (ls->spill && ls->q->bytes + len > ls->q->max_bytes)
		spill_oldest(ls, ls->q->max_bytes / 2);
	return tally_lineq_append(ls->q, line, len);
}

static void
on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
}

void
tally_linestream_drain(struct tally_linestream *ls, struct event_base *base, int64_t deadline_ms)
{
	struct event *deadline = evtimer_new(base, on_drain_deadline, NULL);
	int64_t left = deadline_ms - tally_mono_ms();

	ls->draining = true;
	if (ls->q->bytes > 0 && !ls->bev) {
		struct timeval now = { 0, 0 };

		evtimer_add(ls->retry_ev, &now); /* no waiting out a long backoff */
	}
	if (deadline && left > 0) {
		struct timeval tv = ms_tv(left);

		evtimer_add(deadline, &tv);
		while (ls->q->bytes > 0 && tally_mono_ms() < deadline_ms)
			event_base_loop(base, EVLOOP_ONCE);
	}
	if (deadline)
		event_free(deadline);
	if (ls->q->lines > 0 && ls->spill) {
		close_conn(ls); /* nothing in flight any more: every line can be taken */
		spill_oldest(ls, 0);
	}
	if (ls->q->lines > 0) {
		ls->dropped_shutdown += ls->q->lines;
		TALLY_WARN(ls->subsys, "lines not delivered at shutdown address=%s:%d lines=%zu",
		           ls->host, ls->port, ls->q->lines);
	}
}

void
tally_linestream_get_stats(const struct tally_linestream *ls, struct tally_linestream_stats *st)
{
	st->connected = ls->connected;
	st->queue_bytes = ls->q->bytes;
	st->queue_lines = ls->q->lines;
	st->sent_lines = ls->q->sent_lines;
	st->sent_bytes = ls->q->sent_bytes;
	st->dropped_full = ls->q->dropped_lines;
	st->dropped_shutdown = ls->dropped_shutdown;
	st->retried = ls->retried;
}

void
tally_linestream_free(struct tally_linestream *ls)
{
	if (!ls)
		return;
	close_conn(ls);
	if (ls->retry_ev)
		event_free(ls->retry_ev);
	if (ls->dns)
		evdns_base_free(ls->dns, 0);
	tally_lineq_free(ls->q);
	free(ls->host);
	free(ls);
}

static void
init_timeouts(struct tally_linestream *ls, double timeout_s)
{
	double t = timeout_s > 0 ? timeout_s : 20;

	ls->connect_timeout =
	    ms_tv((int64_t)((t < CONNECT_TIMEOUT_MAX_S ? t : CONNECT_TIMEOUT_MAX_S) * 1000));
	ls->write_timeout = ms_tv((int64_t)(t * 1000));
}

struct tally_linestream *
tally_linestream_new(struct event_base *base, const struct tally_linestream_opts *o)
{
	struct tally_linestream *ls = tally_xcalloc(1, sizeof(*ls));

	ls->base = base;
	ls->host = tally_xstrdup(o->host);
	ls->port = o->port;
	ls->subsys = o->log_subsys;
	ls->q = tally_lineq_new(o->max_bytes);
	ls->spill = o->spill;
	ls->spill_arg = o->spill_arg;
	ls->backoff_ms = BACKOFF_MIN_MS;
	ls->rng = ((uint64_t)tally_mono_ms() * 0x9e3779b97f4a7c15ULL) ^ (uint64_t)(uintptr_t)ls;
	if (!ls->rng)
		ls->rng = 1;
	init_timeouts(ls, o->timeout_s);
	ls->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
	                                   EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!ls->dns)
		TALLY_WARN(ls->subsys,
		           "no asynchronous resolver, host names resolve blocking "
		           "address=%s:%d",
		           ls->host, ls->port);
	ls->retry_ev = evtimer_new(base, on_retry, ls);
	if (!ls->retry_ev) {
		tally_linestream_free(ls);
		return NULL;
	}
	start_connect(ls);
	return ls;
}
