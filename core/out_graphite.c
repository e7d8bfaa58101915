#include "out_graphite.h"

#include <sys/time.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/util.h>
#include <json-c/json.h>

#include "batch.h"
#include "config.h"
#include "graphite_fmt.h"
#include "hostport.h"
#include "lineq.h"
#include "log.h"
#include "outfmt.h"
#include "output.h"
#include "xmem.h"

#define GRAPHITE_DEFAULT_PORT 2003
#define BACKOFF_MIN_MS	      1000
#define BACKOFF_MAX_MS	      60000
#define DRAIN_RETRY_MS	      200
#define CONNECT_TIMEOUT_MAX_S 10.0
/* Bytes kept in the socket's output buffer; more is handed over when it falls below half. */
#define WINDOW_BYTES (64 * 1024)
#define LOG_EVERY_MS (60 * 1000)

struct graphite_totals {
	uint64_t sent_lines, sent_bytes, retried;
	uint64_t dropped_full, dropped_invalid, dropped_shutdown;
};

struct graphite {
	struct tally_output out; /* first: the agent holds &out */
	struct event_base *base;
	struct evdns_base *dns;
	char host[256];
	int port;
	char address[300]; /* host:port as configured, for logs and status */
	struct timeval connect_timeout, write_timeout;
	struct bufferevent *bev; /* NULL while waiting to reconnect */
	struct evbuffer_cb_entry *ack_cb;
	struct event *retry_ev;
	struct tally_lineq *q;
	bool connected, down_logged, draining;
	uint32_t backoff_ms;
	uint64_t rng;
	char *line; /* scratch for one formatted line */
	size_t line_cap;
	uint64_t retried, dropped_invalid, dropped_shutdown;
	struct graphite_totals prev; /* what the last stats() reported */
	char **tags;		     /* "output:graphite" and the config's tags */
	size_t n_tags;
};

static struct tally_ratelimit drop_log;

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void start_connect(struct graphite *g);

/* The next retry delay: the current backoff with jitter in [backoff/2, backoff]; then double. */
static uint32_t
next_delay_ms(struct graphite *g)
{
	uint32_t half = g->backoff_ms / 2, delay;

	g->rng ^= g->rng << 13;
	g->rng ^= g->rng >> 7;
	g->rng ^= g->rng << 17;
	delay = half + (uint32_t)(g->rng % (half + 1));
	g->backoff_ms = g->backoff_ms >= BACKOFF_MAX_MS / 2 ? BACKOFF_MAX_MS : g->backoff_ms * 2;
	if (g->draining && delay > DRAIN_RETRY_MS)
		delay = DRAIN_RETRY_MS;
	return delay;
}

static void
schedule_retry(struct graphite *g, uint32_t delay_ms)
{
	struct timeval tv = { .tv_sec = delay_ms / 1000, .tv_usec = (delay_ms % 1000) * 1000 };

	evtimer_add(g->retry_ev, &tv);
}

static void
close_conn(struct graphite *g)
{
	if (!g->bev)
		return;
	evbuffer_remove_cb_entry(bufferevent_get_output(g->bev), g->ack_cb);
	bufferevent_free(g->bev);
	g->bev = NULL;
	g->ack_cb = NULL;
	g->connected = false;
	tally_lineq_rewind(g->q);
}

/* The connection failed or dropped: keep what is queued, log once per outage, retry later. */
static void
conn_lost(struct graphite *g, const char *why)
{
	uint32_t delay;

	close_conn(g);
	delay = next_delay_ms(g);
	if (!g->down_logged)
		TALLY_WARN("graphite", "cannot send address=%s error=\"%s\" queued_lines=%zu "
				       "retry_in_ms=%u",
			   g->address, why, g->q->lines, delay);
	else
		TALLY_DEBUG("graphite", "still down address=%s error=\"%s\" queued_lines=%zu "
					"retry_in_ms=%u",
			    g->address, why, g->q->lines, delay);
	g->down_logged = true;
	schedule_retry(g, delay);
}

/* Hands queued lines to the socket while its output buffer is below the window. */
static void
pump(struct graphite *g)
{
	struct evbuffer *out;
	const char *data;
	size_t len;

	if (!g->connected)
		return;
	out = bufferevent_get_output(g->bev);
	while (evbuffer_get_length(out) < WINDOW_BYTES && tally_lineq_next(g->q, &data, &len)) {
		if (bufferevent_write(g->bev, data, len) < 0) {
			conn_lost(g, "cannot buffer output");
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
		snprintf(buf, len, "%s",
			 evutil_socket_error_to_string(EVUTIL_SOCKET_ERROR()));
}

static void
on_event(struct bufferevent *bev, short what, void *arg)
{
	struct graphite *g = arg;
	char why[128];

	if (what & BEV_EVENT_CONNECTED) {
		g->connected = true;
		g->backoff_ms = BACKOFF_MIN_MS;
		bufferevent_set_timeouts(bev, NULL, &g->write_timeout);
		bufferevent_enable(bev, EV_READ);
		TALLY_LOG_AT(g->down_logged ? TALLY_LOG_INFO : TALLY_LOG_DEBUG, "graphite",
			     "connected address=%s queued_lines=%zu", g->address,
			     g->q->lines);
		g->down_logged = false;
		pump(g);
		return;
	}
	describe_error(bev, what, why, sizeof(why));
	conn_lost(g, why);
}

/* Graphite never answers; whatever arrives is discarded so the socket never fills. */
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
	pump(arg);
}

/* Bytes left the output buffer for the kernel: the lines they complete are sent. */
static void
on_output_drained(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
	struct graphite *g = arg;

	if (info->n_deleted)
		tally_lineq_ack(g->q, info->n_deleted);
}

static void
start_connect(struct graphite *g)
{
	g->bev = bufferevent_socket_new(g->base, -1,
					BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	if (!g->bev) {
		conn_lost(g, "cannot create a socket buffer");
		return;
	}
	bufferevent_setcb(g->bev, on_read, on_write, on_event, g);
	bufferevent_set_timeouts(g->bev, NULL, &g->connect_timeout);
	bufferevent_setwatermark(g->bev, EV_WRITE, WINDOW_BYTES / 2, 0);
	g->ack_cb = evbuffer_add_cb(bufferevent_get_output(g->bev), on_output_drained, g);
	if (bufferevent_socket_connect_hostname(g->bev, g->dns, AF_UNSPEC, g->host, g->port) < 0)
		conn_lost(g, "connect failed");
}

static void
on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct graphite *g = arg;

	g->retried++;
	start_connect(g);
}

static void
graphite_submit(struct tally_output *out, struct tally_batch *b)
{
	struct graphite *g = (struct graphite *)out;
	uint64_t dropped = g->q->dropped_lines;

	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *s = &b->series[i];
		size_t max = tally_graphite_line_max(s), n;

		if (max > g->line_cap) {
			g->line_cap = max * 2;
			g->line = tally_xrealloc(g->line, g->line_cap);
		}
		n = tally_graphite_format(s, g->line);
		if (n == 0)
			g->dropped_invalid++;
		else
			tally_lineq_append(g->q, g->line, n);
	}
	if (g->q->dropped_lines != dropped)
		tally_log_ratelimited(&drop_log, LOG_EVERY_MS, TALLY_LOG_WARN, "graphite",
				      "queue full, oldest lines dropped address=%s "
				      "dropped_total=%llu queue_bytes=%zu",
				      g->address, (unsigned long long)g->q->dropped_lines,
				      g->q->bytes);
	pump(g);
}

static void
on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
}

static void
graphite_drain(struct tally_output *out, struct event_base *base, int64_t deadline_ms)
{
	struct graphite *g = (struct graphite *)out;
	struct event *deadline = evtimer_new(base, on_drain_deadline, NULL);
	int64_t left = deadline_ms - now_ms();

	g->draining = true;
	if (g->q->bytes > 0 && !g->bev) {
		evtimer_del(g->retry_ev);
		schedule_retry(g, 0);
	}
	if (deadline && left > 0) {
		struct timeval tv = { .tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000 };

		evtimer_add(deadline, &tv);
		while (g->q->bytes > 0 && now_ms() < deadline_ms)
			event_base_loop(base, EVLOOP_ONCE);
	}
	if (deadline)
		event_free(deadline);
	if (g->q->lines > 0) {
		g->dropped_shutdown += g->q->lines;
		TALLY_WARN("graphite", "lines not delivered at shutdown address=%s lines=%zu",
			   g->address, g->q->lines);
	}
}

static void
read_totals(const struct graphite *g, struct graphite_totals *t)
{
	t->sent_lines = g->q->sent_lines;
	t->sent_bytes = g->q->sent_bytes;
	t->retried = g->retried;
	t->dropped_full = g->q->dropped_lines;
	t->dropped_invalid = g->dropped_invalid;
	t->dropped_shutdown = g->dropped_shutdown;
}

static void
graphite_stats(struct tally_output *out, struct tally_batch *b, int64_t ts, uint32_t interval_s,
	       const char *host)
{
	struct graphite *g = (struct graphite *)out;
	struct tally_out_emit e = { b, ts, interval_s, host, (const char *const *)g->tags,
				    g->n_tags };
	struct graphite_totals now, *p = &g->prev;

	read_totals(g, &now);
	tally_out_emit_series(&e, "tally.forwarder.sent", TALLY_SERIES_COUNT,
			      (double)(now.sent_lines - p->sent_lines), NULL);
	tally_out_emit_series(&e, "tally.forwarder.sent_bytes", TALLY_SERIES_COUNT,
			      (double)(now.sent_bytes - p->sent_bytes), NULL);
	tally_out_emit_series(&e, "tally.forwarder.retried", TALLY_SERIES_COUNT,
			      (double)(now.retried - p->retried), NULL);
	tally_out_emit_series(&e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
			      (double)(now.dropped_full - p->dropped_full), "reason:queue_full");
	tally_out_emit_series(&e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
			      (double)(now.dropped_invalid - p->dropped_invalid),
			      "reason:invalid");
	tally_out_emit_series(&e, "tally.forwarder.queue_bytes", TALLY_SERIES_GAUGE,
			      (double)g->q->bytes, NULL);
	tally_out_emit_series(&e, "tally.forwarder.connected", TALLY_SERIES_GAUGE,
			      g->connected ? 1 : 0, NULL);
	*p = now;
}

static struct json_object *
graphite_status(struct tally_output *out)
{
	struct graphite *g = (struct graphite *)out;
	struct json_object *o = json_object_new_object();
	struct json_object *d = json_object_new_object();

	json_object_object_add(o, "type", json_object_new_string("graphite"));
	json_object_object_add(o, "address", json_object_new_string(g->address));
	json_object_object_add(o, "connected", json_object_new_boolean(g->connected));
	json_object_object_add(o, "queue_bytes", json_object_new_int64((int64_t)g->q->bytes));
	json_object_object_add(o, "queue_lines", json_object_new_int64((int64_t)g->q->lines));
	json_object_object_add(o, "sent_lines", json_object_new_int64((int64_t)g->q->sent_lines));
	json_object_object_add(o, "retried", json_object_new_int64((int64_t)g->retried));
	json_object_object_add(d, "queue_full", json_object_new_int64((int64_t)g->q->dropped_lines));
	json_object_object_add(d, "invalid", json_object_new_int64((int64_t)g->dropped_invalid));
	json_object_object_add(d, "shutdown", json_object_new_int64((int64_t)g->dropped_shutdown));
	json_object_object_add(o, "dropped", d);
	return o;
}

static void
graphite_free(struct tally_output *out)
{
	struct graphite *g = (struct graphite *)out;

	if (!g)
		return;
	close_conn(g);
	if (g->retry_ev)
		event_free(g->retry_ev);
	if (g->dns)
		evdns_base_free(g->dns, 0);
	tally_lineq_free(g->q);
	for (size_t i = 0; i < g->n_tags; i++)
		free(g->tags[i]);
	free(g->tags);
	free(g->line);
	free(out->name);
	free(g);
}

static const struct tally_output_ops graphite_ops = {
	.type = "graphite",
	.submit = graphite_submit,
	.drain = graphite_drain,
	.stats = graphite_stats,
	.status = graphite_status,
	.free = graphite_free,
};

static struct timeval
seconds_tv(double s)
{
	struct timeval tv = { .tv_sec = (time_t)s, .tv_usec = (suseconds_t)((s - (time_t)s) * 1e6) };

	return tv;
}

static void
init_settings(struct graphite *g, const struct tally_config *cfg)
{
	double t = cfg->forwarder_timeout > 0 ? cfg->forwarder_timeout : 20;

	g->connect_timeout = seconds_tv(t < CONNECT_TIMEOUT_MAX_S ? t : CONNECT_TIMEOUT_MAX_S);
	g->write_timeout = seconds_tv(t);
	g->backoff_ms = BACKOFF_MIN_MS;
	g->rng = (uint64_t)now_ms() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)g;
	if (!g->rng)
		g->rng = 1;
	g->n_tags = cfg->n_tags + 1;
	g->tags = tally_xcalloc(g->n_tags, sizeof(*g->tags));
	g->tags[0] = tally_xstrdup("output:graphite");
	for (size_t i = 0; i < cfg->n_tags; i++)
		g->tags[i + 1] = tally_xstrdup(cfg->tags[i]);
}

struct tally_output *
tally_out_graphite_new(const struct tally_output_conf *oc, const struct tally_config *cfg,
		       struct event_base *base, char *err, size_t err_len)
{
	struct graphite *g = tally_xcalloc(1, sizeof(*g));
	char name[320];

	g->out.ops = &graphite_ops;
	g->base = base;
	if (!oc->address || tally_hostport_split(oc->address, "127.0.0.1", GRAPHITE_DEFAULT_PORT,
						 g->host, sizeof(g->host), &g->port) < 0) {
		snprintf(err, err_len, "graphite output: address \"%s\" is not host:port",
			 oc->address ? oc->address : "");
		goto fail;
	}
	snprintf(g->address, sizeof(g->address), "%s:%d", g->host, g->port);
	snprintf(name, sizeof(name), "graphite %s", g->address);
	g->out.name = tally_xstrdup(name);
	g->q = tally_lineq_new(cfg->forwarder_retry_queue_max_size);
	init_settings(g, cfg);
	g->dns = evdns_base_new(base, EVDNS_BASE_INITIALIZE_NAMESERVERS |
					      EVDNS_BASE_DISABLE_WHEN_INACTIVE);
	if (!g->dns)
		TALLY_WARN("graphite", "no asynchronous resolver, host names resolve blocking "
				       "address=%s",
			   g->address);
	g->retry_ev = evtimer_new(base, on_retry, g);
	if (!g->retry_ev) {
		snprintf(err, err_len, "graphite output: cannot create a timer");
		goto fail;
	}
	start_connect(g);
	return &g->out;
fail:
	graphite_free(&g->out);
	return NULL;
}
