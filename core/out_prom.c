#include "out_prom.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <json-c/json.h>

#include "batch.h"
#include "config.h"
#include "hostport.h"
#include "log.h"
#include "outfmt.h"
#include "output.h"
#include "prom_store.h"
#include "xmem.h"

#define PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define HTTP_TIMEOUT_S    30
#define MAX_HEADERS_BYTES 16384
#define MAX_BODY_BYTES    1024
#define LOG_EVERY_MS      (60 * 1000)
/* Series outlive at least this many flush intervals, whatever dogstatsd_expiry_seconds says. */
#define MIN_EXPIRY_FLUSHES 3

struct prom {
	struct tally_output out; /* first: the agent holds &out */
	struct evhttp *http;
	struct tally_prom_store *st;
	char listen[300];
	uint64_t scrapes;
	struct tally_prom_counts prev; /* what the last stats() reported */
	uint64_t prev_scrapes;
	char **tags; /* "output:prometheus" and the config's tags */
	size_t n_tags;
};

static struct tally_ratelimit drop_log;

static void
on_metrics(struct evhttp_request *req, void *arg)
{
	struct prom *p = arg;
	struct evbuffer *body = evbuffer_new();

	if (!body) {
		evhttp_send_error(req, HTTP_SERVUNAVAIL, NULL);
		return;
	}
	tally_prom_store_expire(p->st, (int64_t)time(NULL));
	tally_prom_store_render(p->st, body);
	evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
	                  PROM_CONTENT_TYPE);
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
	p->scrapes++;
}

static void
on_other(struct evhttp_request *req, void *arg)
{
	evhttp_send_error(req, HTTP_NOTFOUND, NULL);
}

static void
prom_submit(struct tally_output *out, struct tally_batch *b)
{
	struct prom *p = (struct prom *)out;
	struct tally_prom_counts before, after;

	tally_prom_store_counts(p->st, &before);
	for (size_t i = 0; i < b->n_series; i++)
		tally_prom_store_put(p->st, &b->series[i], b->flush_ts);
	tally_prom_store_expire(p->st, b->flush_ts);
	tally_prom_store_counts(p->st, &after);
	if (after.dropped_limit != before.dropped_limit ||
	    after.dropped_conflict != before.dropped_conflict)
		tally_log_ratelimited(&drop_log, LOG_EVERY_MS, TALLY_LOG_WARN, "prometheus",
		                      "series dropped listen=%s limit_total=%llu "
		                      "type_conflict_total=%llu series=%zu",
		                      p->listen, (unsigned long long)after.dropped_limit,
		                      (unsigned long long)after.dropped_conflict, after.series);
}

static void
prom_stats(struct tally_output *out, struct tally_batch *b, int64_t ts, uint32_t interval_s,
           const char *host)
{
	struct prom *p = (struct prom *)out;
	struct tally_out_emit e = {
		b, ts, interval_s, host, (const char *const *)p->tags, p->n_tags
	};
	struct tally_prom_counts now, *was = &p->prev;

	tally_prom_store_counts(p->st, &now);
	tally_out_emit_series(&e, "tally.prometheus.series", TALLY_SERIES_GAUGE, (double)now.series,
	                      NULL);
	tally_out_emit_series(&e, "tally.prometheus.scrapes", TALLY_SERIES_COUNT,
	                      (double)(p->scrapes - p->prev_scrapes), NULL);
	tally_out_emit_series(&e, "tally.prometheus.expired", TALLY_SERIES_COUNT,
	                      (double)(now.expired - was->expired), NULL);
	tally_out_emit_series(&e, "tally.prometheus.dropped", TALLY_SERIES_COUNT,
	                      (double)(now.dropped_limit - was->dropped_limit), "reason:limit");
	tally_out_emit_series(&e, "tally.prometheus.dropped", TALLY_SERIES_COUNT,
	                      (double)(now.dropped_conflict - was->dropped_conflict),
	                      "reason:type_conflict");
	tally_out_emit_series(&e, "tally.prometheus.dropped", TALLY_SERIES_COUNT,
	                      (double)(now.dropped_invalid - was->dropped_invalid),
	                      "reason:invalid");
	*was = now;
	p->prev_scrapes = p->scrapes;
}

static struct json_object *
prom_status(struct tally_output *out)
{
	struct prom *p = (struct prom *)out;
	struct json_object *o = json_object_new_object();
	struct json_object *d = json_object_new_object();
	struct tally_prom_counts c;

	tally_prom_store_counts(p->st, &c);
	json_object_object_add(o, "type", json_object_new_string("prometheus"));
	json_object_object_add(o, "listen", json_object_new_string(p->listen));
	json_object_object_add(o, "series", json_object_new_int64((int64_t)c.series));
	json_object_object_add(o, "scrapes", json_object_new_int64((int64_t)p->scrapes));
	json_object_object_add(o, "expired", json_object_new_int64((int64_t)c.expired));
	json_object_object_add(d, "limit", json_object_new_int64((int64_t)c.dropped_limit));
	json_object_object_add(d, "type_conflict",
	                       json_object_new_int64((int64_t)c.dropped_conflict));
	json_object_object_add(d, "invalid", json_object_new_int64((int64_t)c.dropped_invalid));
	json_object_object_add(o, "dropped", d);
	return o;
}

static void
prom_free(struct tally_output *out)
{
	struct prom *p = (struct prom *)out;

	if (!p)
		return;
	if (p->http)
		evhttp_free(p->http);
	tally_prom_store_free(p->st);
	for (size_t i = 0; i < p->n_tags; i++)
		free(p->tags[i]);
	free(p->tags);
	free(out->name);
	free(p);
}

static const struct tally_output_ops prom_ops = {
	.type = "prometheus",
	.submit = prom_submit,
	.drain = NULL,
	.stats = prom_stats,
	.status = prom_status,
	.free = prom_free,
};

static int
start_server(struct prom *p, struct event_base *base, const char *host, int port, char *err,
             size_t err_len)
{
	p->http = evhttp_new(base);
	if (!p->http) {
		snprintf(err, err_len, "prometheus output: cannot create the HTTP server");
		return -ENOMEM;
	}
	evhttp_set_timeout(p->http, HTTP_TIMEOUT_S);
	evhttp_set_max_headers_size(p->http, MAX_HEADERS_BYTES);
	evhttp_set_max_body_size(p->http, MAX_BODY_BYTES);
	evhttp_set_allowed_methods(p->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
	evhttp_set_cb(p->http, "/metrics", on_metrics, p);
	evhttp_set_gencb(p->http, on_other, p);
	if (!evhttp_bind_socket_with_handle(p->http, host, (ev_uint16_t)port)) {
		snprintf(err, err_len, "prometheus output: cannot listen on %s: %s", p->listen,
		         strerror(errno));
		return -EADDRNOTAVAIL;
	}
	return 0;
}

static void
init_tags(struct prom *p, const struct tally_config *cfg)
{
	p->n_tags = cfg->n_tags + 1;
	p->tags = tally_xcalloc(p->n_tags, sizeof(*p->tags));
	p->tags[0] = tally_xstrdup("output:prometheus");
	for (size_t i = 0; i < cfg->n_tags; i++)
		p->tags[i + 1] = tally_xstrdup(cfg->tags[i]);
}

struct tally_output *
tally_out_prom_new(const struct tally_output_conf *oc, const struct tally_config *cfg,
                   struct event_base *base, char *err, size_t err_len)
{
	struct prom *p = tally_xcalloc(1, sizeof(*p));
	uint32_t expiry = cfg->dogstatsd_expiry_seconds;
	uint32_t min_expiry = MIN_EXPIRY_FLUSHES * cfg->flush_interval;
	char host[256], name[320];
	int port;

	p->out.ops = &prom_ops;
	if (!oc->listen ||
	    tally_hostport_split(oc->listen, "0.0.0.0", 0, host, sizeof(host), &port) < 0) {
		snprintf(err, err_len, "prometheus output: listen \"%s\" is not host:port",
		         oc->listen ? oc->listen : "");
		goto fail;
	}
	snprintf(p->listen, sizeof(p->listen), "%s:%d", host, port);
	snprintf(name, sizeof(name), "prometheus %s", p->listen);
	p->out.name = tally_xstrdup(name);
	p->st = tally_prom_store_new(cfg->dogstatsd_context_limit,
	                             expiry > min_expiry ? expiry : min_expiry);
	init_tags(p, cfg);
	if (start_server(p, base, host, port, err, err_len) < 0)
		goto fail;
	TALLY_INFO("prometheus", "serving /metrics listen=%s", p->listen);
	return &p->out;
fail:
	prom_free(&p->out);
	return NULL;
}
