#include "out_graphite.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "batch.h"
#include "config.h"
#include "fwd_queue.h"
#include "fwd_spool.h"
#include "graphite_fmt.h"
#include "hostport.h"
#include "linestream.h"
#include "log.h"
#include "outfmt.h"
#include "output.h"
#include "xmem.h"

#define GRAPHITE_DEFAULT_PORT 2003
#define LOG_EVERY_MS          (60 * 1000)
#define SPOOL_ENDPOINT        "lines"
#define SPOOL_DEFAULT_BYTES   (100u << 20)

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
	struct tally_spool *spool; /* NULL without forwarder_storage_path */
	size_t max_bytes;          /* the memory queue's bound */
	uint64_t spooled;          /* lines written to the spool */
	uint64_t spool_error;      /* lines that could not be written to it */
	uint64_t spool_full;       /* spool files removed to respect its bound */
	uint64_t outdated;         /* spool files removed for age */
	uint64_t prev_spooled, prev_spool_error, prev_spool_full, prev_outdated;
};

static struct tally_ratelimit drop_log, spill_log;

/* The queue is full, or drain() is over: the oldest lines go to the disk spool. */
static void
on_spill(void *arg, const char *lines, size_t len, size_t n_lines)
{
	struct graphite *g = arg;
	unsigned char *body = tally_xmalloc(len);
	struct tally_fwd_payload *p;
	int rc;

	memcpy(body, lines, len);
	p = tally_fwd_payload_new("", "text/plain", NULL, body, len);
	p->n_items = (unsigned)n_lines;
	rc = tally_spool_write(g->spool, SPOOL_ENDPOINT, p);
	tally_fwd_payload_free(p);
	if (rc < 0) {
		g->spool_error += n_lines;
		TALLY_ERR("graphite", "cannot spool, dropped address=%s lines=%zu errno=%d",
		          g->address, n_lines, -rc);
		return;
	}
	g->spooled += n_lines;
	tally_log_ratelimited(&spill_log, LOG_EVERY_MS, TALLY_LOG_INFO, "graphite",
	                      "lines moved to disk address=%s lines=%zu spool_bytes=%zu",
	                      g->address, n_lines, tally_spool_bytes(g->spool, SPOOL_ENDPOINT));
}

/* Queues the lines of one spooled file; a corrupt file counts as one invalid drop. */
static void
load_one(struct graphite *g)
{
	struct tally_fwd_payload *list = NULL;
	int rc = tally_spool_load(g->spool, SPOOL_ENDPOINT, &list);

	if (rc < 0)
		g->dropped_invalid++;
	for (const struct tally_fwd_payload *p = list; p; p = p->next) {
		const char *s = (const char *)p->body, *end = s + p->len, *nl;

		for (; s < end && (nl = memchr(s, '\n', (size_t)(end - s))); s = nl + 1)
			tally_linestream_append(g->ls, s, (size_t)(nl - s) + 1);
	}
	tally_fwd_payload_free_list(list);
}

/* Brings spooled files back, oldest first, while they fit in the memory queue. */
static void
refill_from_spool(struct graphite *g)
{
	struct tally_linestream_stats st;

	while (g->spool && tally_spool_has(g->spool, SPOOL_ENDPOINT)) {
		tally_linestream_get_stats(g->ls, &st);
		if (st.queue_bytes > 0 && st.queue_bytes + g->spool->files[0].bytes > g->max_bytes)
			break;
		load_one(g);
	}
}

static void
graphite_submit(struct tally_output *out, struct tally_batch *b)
{
	struct graphite *g = (struct graphite *)out;
	struct tally_linestream_stats st;
	uint64_t dropped;

	refill_from_spool(g); /* older lines first */
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
	struct graphite *g = (struct graphite *)out;
	uint64_t spooled = g->spooled;

	tally_linestream_drain(g->ls, base, deadline_ms);
	if (g->spooled != spooled)
		TALLY_INFO("graphite", "spooled for the next start address=%s lines=%llu",
		           g->address, (unsigned long long)(g->spooled - spooled));
}

static void
emit_spool_stats(struct graphite *g, const struct tally_out_emit *e)
{
	tally_out_emit_series(e, "tally.forwarder.spooled", TALLY_SERIES_COUNT,
	                      (double)(g->spooled - g->prev_spooled), NULL);
	tally_out_emit_series(e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
	                      (double)(g->spool_error - g->prev_spool_error), "reason:spool_error");
	tally_out_emit_series(e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
	                      (double)(g->spool_full - g->prev_spool_full), "reason:spool_full");
	tally_out_emit_series(e, "tally.forwarder.dropped", TALLY_SERIES_COUNT,
	                      (double)(g->outdated - g->prev_outdated), "reason:outdated");
	tally_out_emit_series(e, "tally.forwarder.spool_bytes", TALLY_SERIES_GAUGE,
	                      (double)tally_spool_bytes(g->spool, SPOOL_ENDPOINT), NULL);
	g->prev_spooled = g->spooled;
	g->prev_spool_error = g->spool_error;
	g->prev_spool_full = g->spool_full;
	g->prev_outdated = g->outdated;
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
	if (g->spool)
		emit_spool_stats(g, &e);
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
	json_object_object_add(d, "spool_error", json_object_new_int64((int64_t)g->spool_error));
	json_object_object_add(d, "spool_full", json_object_new_int64((int64_t)g->spool_full));
	json_object_object_add(d, "outdated", json_object_new_int64((int64_t)g->outdated));
	json_object_object_add(o, "spooled", json_object_new_int64((int64_t)g->spooled));
	json_object_object_add(
	    o, "spool_bytes",
	    json_object_new_int64(g->spool ? (int64_t)tally_spool_bytes(g->spool, SPOOL_ENDPOINT)
	                                   : 0));
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
	tally_spool_free(g->spool);
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

static void
on_spool_evict(void *arg, const char *endpoint, unsigned count)
{
	struct graphite *g = arg;

	g->spool_full += count;
	TALLY_WARN("graphite", "spool full, oldest file removed address=%s", g->address);
}

static void
on_spool_outdated(void *arg, const char *endpoint, unsigned count)
{
	((struct graphite *)arg)->outdated += count;
}

/*
 * Opens <forwarder_storage_path>/graphite-<host>_<port>/ (characters other than letters,
 * digits, '.' and '-' become '_'), so each address has its own folder.
 */
static int
open_spool(struct graphite *g, const struct tally_config *cfg, char *err, size_t err_len)
{
	size_t len =
	    strlen(cfg->forwarder_storage_path) + sizeof("/graphite-") + strlen(g->address);
	char *dir = tally_xmalloc(len), *s;

	snprintf(dir, len, "%s/graphite-", cfg->forwarder_storage_path);
	s = dir + strlen(dir);
	snprintf(s, len - (size_t)(s - dir), "%s", g->address);
	for (; *s; s++) {
		bool ok = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		          (*s >= '0' && *s <= '9') || *s == '.' || *s == '-';

		if (!ok)
			*s = '_';
	}
	g->spool = tally_spool_open(
	    dir,
	    cfg->forwarder_storage_max_size ? cfg->forwarder_storage_max_size : SPOOL_DEFAULT_BYTES,
	    TALLY_SPOOL_MAX_AGE_S, err, err_len);
	free(dir);
	if (!g->spool)
		return -EIO;
	g->spool->on_evict = on_spool_evict;
	g->spool->on_outdated = on_spool_outdated;
	g->spool->arg = g;
	tally_spool_expire(g->spool, (int64_t)time(NULL));
	if (g->spool->n_files)
		TALLY_INFO("graphite",
		           "spooled lines found, sending them address=%s files=%zu bytes=%zu",
		           g->address, g->spool->n_files, g->spool->bytes);
	return 0;
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
	if (cfg->forwarder_storage_path && *cfg->forwarder_storage_path) {
		if (open_spool(g, cfg, err, err_len) < 0)
			goto fail;
		o.spill = on_spill;
		o.spill_arg = g;
	}
	g->max_bytes = o.max_bytes;
	g->ls = tally_linestream_new(base, &o);
	if (!g->ls) {
		snprintf(err, err_len, "graphite output: cannot set up the connection");
		goto fail;
	}
	refill_from_spool(g);
	return &g->out;
fail:
	graphite_free(&g->out);
	return NULL;
}
