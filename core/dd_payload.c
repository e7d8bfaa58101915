#include "dd_payload.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "batch.h"
#include "fwd_queue.h"
#include "jtext.h"
#include "xmem.h"

const char *const tally_dd_endpoint_names[TALLY_DD__COUNT] = { "series", "check_run", "events" };

static const char *const endpoint_paths[TALLY_DD__COUNT] = {
	"/api/v1/series",
	"/api/v1/check_run",
	"/api/v1/events",
};

/* How one endpoint's items are wrapped and packed. */
struct envelope {
	const char *prefix, *suffix;
	size_t max_items; /* 0: no limit */
};

static const struct envelope envelopes[TALLY_DD__COUNT] = {
	[TALLY_DD_SERIES] = { "{\"series\":[", "]}", 0 },
	[TALLY_DD_CHECK_RUN] = { "[", "]", 0 },
	[TALLY_DD_EVENTS] = { "", "", 1 },
};

/*
 * The payload being filled: its items' JSON, comma-separated, without the envelope; item i
 * starts at off[i] and ends one byte (the comma) before off[i + 1]. Only one payload's worth
 * is ever held, so memory stays at the raw limit however many items a batch has.
 */
struct body {
	struct tally_jtext text;
	size_t *off;
	size_t n, cap_n;
};

/* Where one endpoint's payloads go. */
struct sink {
	enum tally_dd_endpoint ep;
	const struct tally_dd_limits *lim;
	struct tally_fwd_payload **tail;
	struct tally_dd_result *res;
	struct tally_jtext item; /* the item being written */
	struct body body;
};

void
tally_dd_format_double(double v, char *out, size_t len)
{
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, len, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
}

static void
series_json(struct tally_jtext *j, const struct tally_series *s)
{
	char num[40];

	tally_dd_format_double(s->value, num, sizeof(num));
	tally_jtext_lit(j, "{\"metric\":");
	tally_jtext_str(j, s->name);
	tally_jtext_lit(j, ",\"points\":[[");
	tally_jtext_i64(j, s->timestamp);
	tally_jtext_lit(j, ",");
	tally_jtext_raw(j, num, strlen(num));
	tally_jtext_lit(j, "]],\"tags\":");
	tally_jtext_strs(j, s->tags, s->n_tags);
	tally_jtext_lit(j, ",\"host\":");
	tally_jtext_str(j, s->host);
	tally_jtext_lit(j, ",\"type\":\"");
	tally_jtext_raw(j, tally_series_kind_name(s->kind),
	                strlen(tally_series_kind_name(s->kind)));
	tally_jtext_lit(j, "\",\"interval\":");
	tally_jtext_i64(j, s->interval_s);
	tally_jtext_lit(j, "}");
}

static void
check_json(struct tally_jtext *j, const struct tally_service_check *c)
{
	tally_jtext_lit(j, "{\"check\":");
	tally_jtext_str(j, c->name);
	tally_jtext_lit(j, ",\"host_name\":");
	tally_jtext_str(j, c->host);
	tally_jtext_lit(j, ",\"timestamp\":");
	tally_jtext_i64(j, c->timestamp);
	tally_jtext_lit(j, ",\"status\":");
	tally_jtext_i64(j, c->status);
	tally_jtext_lit(j, ",\"message\":");
	tally_jtext_str(j, c->message);
	tally_jtext_lit(j, ",\"tags\":");
	tally_jtext_strs(j, c->tags, c->n_tags);
	tally_jtext_lit(j, "}");
}

static void
add_if_set(struct tally_jtext *j, const char *key, const char *value)
{
	if (!value || !*value)
		return;
	tally_jtext_lit(j, ",\"");
	tally_jtext_raw(j, key, strlen(key));
	tally_jtext_lit(j, "\":");
	tally_jtext_str(j, value);
}

static void
event_json(struct tally_jtext *j, const struct tally_event *e)
{
	tally_jtext_lit(j, "{\"title\":");
	tally_jtext_str(j, e->title);
	tally_jtext_lit(j, ",\"text\":");
	tally_jtext_str(j, e->text);
	tally_jtext_lit(j, ",\"date_happened\":");
	tally_jtext_i64(j, e->timestamp);
	add_if_set(j, "priority", e->priority);
	tally_jtext_lit(j, ",\"host\":");
	tally_jtext_str(j, e->host);
	tally_jtext_lit(j, ",\"tags\":");
	tally_jtext_strs(j, e->tags, e->n_tags);
	add_if_set(j, "alert_type", e->alert_type);
	add_if_set(j, "aggregation_key", e->aggregation_key);
	add_if_set(j, "source_type_name", e->source_type_name);
	tally_jtext_lit(j, "}");
}

/* Makes room in the output, or returns false once it is past max. */
static bool
out_room(z_stream *z, unsigned char **out, size_t *cap, size_t max)
{
	if (z->avail_out)
		return true;
	if (z->total_out > max)
		return false;
	*out = tally_xrealloc(*out, *cap * 2);
	z->next_out = *out + *cap;
	z->avail_out = (uInt)*cap;
	*cap *= 2;
	return true;
}

/*
 * Deflates the pieces as one zlib stream into a buffer of just the compressed size, or returns
 * NULL once the output passes max (no use finishing it). The output grows as needed, so a body
 * that compresses 20x costs a twentieth of it, not compressBound() of it.
 */
static unsigned char *
deflate_pieces(const char *const *piece, const size_t *len, size_t n, size_t max, size_t *out_len)
{
	z_stream z = { 0 };
	size_t raw = 0, cap;
	unsigned char *out;
	int rc;

	for (size_t i = 0; i < n; i++)
		raw += len[i];
	if (deflateInit(&z, Z_DEFAULT_COMPRESSION) != Z_OK)
		return NULL;
	cap = raw / 8 + 256;
	out = tally_xmalloc(cap);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	for (size_t i = 0; i < n; i++) {
		z.next_in = (Bytef *)piece[i];
		z.avail_in = (uInt)len[i];
		while (z.avail_in) {
			if (!out_room(&z, &out, &cap, max) ||
			    deflate(&z, Z_NO_FLUSH) == Z_STREAM_ERROR)
				goto fail;
		}
	}
	do {
		if (!out_room(&z, &out, &cap, max))
			goto fail;
		rc = deflate(&z, Z_FINISH);
	} while (rc == Z_OK || rc == Z_BUF_ERROR);
	if (rc != Z_STREAM_END || z.total_out > max)
		goto fail;
	*out_len = z.total_out;
	deflateEnd(&z);
	return tally_xrealloc(out, *out_len);
fail:
	deflateEnd(&z);
	free(out);
	return NULL;
}

/* The body's items [first, last) with their envelope, compressed: one payload at the tail. */
static void
emit_range(struct sink *k, size_t first, size_t last)
{
	const struct envelope *env = &envelopes[k->ep];
	const struct body *b = &k->body;
	const char *piece[3] = { env->prefix, b->text.buf + b->off[first], env->suffix };
	size_t len[3] = { strlen(env->prefix), b->off[last] - 1 - b->off[first],
		          strlen(env->suffix) };
	size_t zlen;
	unsigned char *z = deflate_pieces(piece, len, 3, k->lim->max_compressed, &zlen);

	if (!z) {
		/* Over the compressed limit: halves, down to a single item, which is dropped. */
		if (last - first == 1) {
			k->res->too_big[k->ep]++;
			return;
		}
		emit_range(k, first, first + (last - first) / 2);
		emit_range(k, first + (last - first) / 2, last);
		return;
	}
	*k->tail =
	    tally_fwd_payload_new(endpoint_paths[k->ep], "application/json", "deflate", z, zlen);
	(*k->tail)->n_items = (unsigned)(last - first);
	k->tail = &(*k->tail)->next;
}

static void
body_flush(struct sink *k)
{
	if (k->body.n)
		emit_range(k, 0, k->body.n);
	k->body.n = 0;
	k->body.text.len = 0;
}

/*
 * Adds the item just written to k->item: to the current payload while it fits the raw limit
 * and the item count, else to a new one; alone over the raw limit, it is dropped.
 */
static void
sink_add(struct sink *k)
{
	const struct envelope *env = &envelopes[k->ep];
	size_t frame = strlen(env->prefix) + strlen(env->suffix);
	struct body *b = &k->body;

	if (b->n && (frame + b->text.len + 1 + k->item.len > k->lim->max_raw ||
	             (env->max_items && b->n >= env->max_items)))
		body_flush(k);
	if (frame + k->item.len > k->lim->max_raw) {
		k->res->too_big[k->ep]++;
		k->item.len = 0;
		return;
	}
	b->off = tally_xgrow(b->off, &b->cap_n, b->n + 2, sizeof(*b->off), 64);
	if (b->n)
		tally_jtext_lit(&b->text, ",");
	b->off[b->n++] = b->text.len;
	tally_jtext_raw(&b->text, k->item.buf, k->item.len);
	b->off[b->n] = b->text.len + 1;
	k->item.len = 0;
}

static void
sink_done(struct sink *k)
{
	body_flush(k);
	free(k->body.text.buf);
	free(k->body.off);
	free(k->item.buf);
}

void
tally_dd_build(const struct tally_batch *b, const struct tally_dd_limits *lim,
               struct tally_dd_result *res)
{
	static const struct tally_dd_limits agent_limits = {
		.max_compressed = TALLY_DD_MAX_COMPRESSED_BYTES,
		.max_raw = TALLY_DD_MAX_RAW_BYTES,
	};
	struct sink k[TALLY_DD__COUNT];

	memset(res, 0, sizeof(*res));
	if (!lim)
		lim = &agent_limits;
	for (int ep = 0; ep < TALLY_DD__COUNT; ep++)
		k[ep] =
		    (struct sink){ .ep = ep, .lim = lim, .tail = &res->payloads[ep], .res = res };
	for (size_t i = 0; i < b->n_series; i++) {
		if (!isfinite(b->series[i].value)) {
			res->invalid[TALLY_DD_SERIES]++;
			continue;
		}
		series_json(&k[TALLY_DD_SERIES].item, &b->series[i]);
		sink_add(&k[TALLY_DD_SERIES]);
	}
	for (size_t i = 0; i < b->n_checks; i++) {
		check_json(&k[TALLY_DD_CHECK_RUN].item, &b->checks[i]);
		sink_add(&k[TALLY_DD_CHECK_RUN]);
	}
	for (size_t i = 0; i < b->n_events; i++) {
		event_json(&k[TALLY_DD_EVENTS].item, &b->events[i]);
		sink_add(&k[TALLY_DD_EVENTS]);
	}
	for (int ep = 0; ep < TALLY_DD__COUNT; ep++)
		sink_done(&k[ep]);
}
