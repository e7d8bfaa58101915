#include "out_graphite.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batch.h"
#include "config.h"
#include "graphite_fmt.h"
#include "hostport.h"
#include "linestream.h"
#include "log.h"
#include "outfmt.h"
#include "output.h"
#include "xmem.h"

#define GRAPHITE_DEFAULT_PORT 2003
#define LOG_EVERY_MS          (60 * 1000)

struct graphite {
	struct tally_output out; /* first: the agent holds &out */
	struct tally_linestream *ls;
	char address[300]; /* host:port, for logs and status */
	char *line;        /* scratch for one formatted line */
	size_t line_cap;
	uint64_t dropped_invalid;
	struct tally_linestream_stats prev; /* what the last stats() reported */
	uint64_t prev_invalid;
	char **tags; /* "output:graphite" and the config's tags */
	size_t n_tags;
};

static struct tally_ratelimit drop_log;

static void
graphite_submit(struct tally_output *out, struct tally_batch *b)
{
	struct graphite *g = (struct graphite *)out;
	struct tally_linestream_stats st;
	uint64_t dropped;

	tally_linestream_get_stats(g->ls, &st);
	dropped = st.dropped_full;
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
			tally_linestream_append(g->ls, g->line, n);
	}
	tally_linestream_get_stats(g->ls, &st);
	if (st.dropped_full != dropped)
		tally_log_ratelimited(&drop_log, LOG_EVERY_MS, TALLY_LOG_WARN, "graphite",
		                      "queue full, oldest lines dropped address=%s "
		                      "dropped_total=%llu queue_bytes=%zu",
		                      g->address, (unsigned long long)st.dropped_full,
		                      st.queue_bytes);
	tally_linestream_flush(g->ls);
}

static void
graphite_drain(struct tally_output *out, struct event_base *base, int64_t deadline_ms)
{
	tally_linestream_drain(((struct graphite *)out)->ls, base, deadline_ms);
}

static void
graphite_stats(struct tally_output *out, struct tally_batch *b, int64_t ts, uint32_t interval_s,
               const char *host)
{
	struct graphite *g = (struct graphite *)out;
	struct tally_out_emit e = {
		b, ts, interval_s, host, (const char *const *)g->tags, g->n_tags
	};
	struct tally_linestream_stats now, *p = &g->prev;

	tally_linestream_get_stats(g->ls, &now);
	tally_out_emit_series(&e, "tally.forwarder.sent", TALLY_SERIES_COUNT,
	                      (double)(now.sent_lines - p->sent_lines), NULL);
	tally_out_emit_series(&e, "tally.forwarder.sent_bytes", TALLY_SERIES_COUNT,
	                      (double)(now.sent_bytes - p->sent_bytes), NULL);
	tally_out_emit_series(&e, "tally.forwarder.retried", TALLY_SERIES_COUNT,
	                      (double)(now.retried - p->retried), NULL);
	tally_out_emit_series(&e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
	                      (double)(now.dropped_full - p->dropped_full), "reason:queue_full");
	tally_out_emit_series(&e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
	                      (double)(g->dropped_invalid - g->prev_invalid), "reason:invalid");
	tally_out_emit_series(&e, "tally.forwarder.queue_bytes", TALLY_SERIES_GAUGE,
	                      (double)now.queue_bytes, NULL);
	tally_out_emit_series(&e, "tally.forwarder.connected", TALLY_SERIES_GAUGE,
	                      now.connected ? 1 : 0, NULL);
	*p = now;
	g->prev_invalid = g->dropped_invalid;
}

static struct json_object *
graphite_status(struct tally_output *out)
{
	struct graphite *g = (struct graphite *)out;
	struct json_object *o = json_object_new_object();
	struct json_object *d = json_object_new_object();
	struct tally_linestream_stats st;

	tally_linestream_get_stats(g->ls, &st);
	json_object_object_add(o, "type", json_object_new_string("graphite"));
	json_object_object_add(o, "address", json_object_new_string(g->address));
	json_object_object_add(o, "connected", json_object_new_boolean(st.connected));
	json_object_object_add(o, "queue_bytes", json_object_new_int64((int64_t)st.queue_bytes));
	json_object_object_add(o, "queue_lines", json_object_new_int64((int64_t)st.queue_lines));
	json_object_object_add(o, "sent_lines", json_object_new_int64((int64_t)st.sent_lines));
	json_object_object_add(o, "retried", json_object_new_int64((int64_t)st.retried));
	json_object_object_add(d, "queue_full", json_object_new_int64((int64_t)st.dropped_full));
	json_object_object_add(d, "invalid", json_object_new_int64((int64_t)g->dropped_invalid));
	json_object_object_add(d, "shutdown", json_object_new_int64((int64_t)st.dropped_shutdown));
	json_object_object_add(o, "dropped", d);
	return o;
}

static void
graphite_free(struct tally_output *out)
{
	struct graphite *g = (struct graphite *)out;

	if (!g)
		return;
	tally_linestream_free(g->ls);
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

static void
init_tags(struct graphite *g, const struct tally_config *cfg)
{
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
	struct tally_linestream_opts o = { .max_bytes = cfg->forwarder_retry_queue_max_size,
		                           .timeout_s = cfg->forwarder_timeout,
		                           .log_subsys = "graphite" };
	char host[256], name[320];

	g->out.ops = &graphite_ops;
	if (!oc->address || tally_hostport_split(oc->address, "127.0.0.1", GRAPHITE_DEFAULT_PORT,
	                                         host, sizeof(host), &o.port) < 0) {
		snprintf(err, err_len, "graphite output: address \"%s\" is not host:port",
		         oc->address ? oc->address : "");
		goto fail;
	}
	o.host = host;
	snprintf(g->address, sizeof(g->address), "%s:%d", host, o.port);
	snprintf(name, sizeof(name), "graphite %s", g->address);
	g->out.name = tally_xstrdup(name);
	init_tags(g, cfg);
	g->ls = tally_linestream_new(base, &o);
	if (!g->ls) {
		snprintf(err, err_len, "graphite output: cannot set up the connection");
		goto fail;
	}
	return &g->out;
fail:
	graphite_free(&g->out);
	return NULL;
}
