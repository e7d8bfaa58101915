#include "dd_payload.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <json-c/json.h>

#include "batch.h"
#include "fwd_queue.h"
#include "xmem.h"

const char *const tally_dd_endpoint_names[TALLY_DD__COUNT] = { "series", "check_run", "events" };

static const char *const endpoint_paths[TALLY_DD__COUNT] = {
	"/api/v1/series",
	"/api/v1/check_run",
	"/api/v1/events",
};

/* The JSON text of every item of one endpoint, back to back; item i is [off[i], off[i+1]). */
struct items {
	char *buf;
	size_t len, cap;
	size_t *off;
	size_t n, cap_n;
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
items_add(struct items *it, struct json_object *obj)
{
	size_t n;
	const char *s = json_object_to_json_string_length(
	    obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &n);

	if (it->n + 2 > it->cap_n) {
		it->cap_n = it->cap_n ? 2 * it->cap_n : 64;
		it->off = tally_xrealloc(it->off, it->cap_n * sizeof(*it->off));
	}
	if (it->len + n > it->cap) {
		it->cap = it->len + n > 2 * it->cap ? it->len + n : 2 * it->cap;
		it->buf = tally_xrealloc(it->buf, it->cap);
	}
	it->off[it->n] = it->len;
	memcpy(it->buf + it->len, s, n);
	it->len += n;
	it->off[++it->n] = it->len;
	json_object_put(obj);
}

/* Length of the valid UTF-8 sequence at s, or 0 when the bytes there are not one. */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0; /* overlong */
	else if (c == 0xed)
		hi = 0x9f; /* surrogates */
	else if (c == 0xf0)
		lo = 0x90; /* overlong */
	else if (c == 0xf4)
		hi = 0x8f; /* above U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++) {
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	}
	return n;
}

/*
 * A JSON string for s. JSON must be UTF-8 and an intake rejects the whole payload (400) for
 * one bad byte, so invalid bytes become U+FFFD, as Go's encoder does for the Datadog agent.
 */
static struct json_object *
jstr(const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	struct json_object *o;
	size_t i = 0, w = 0, n;
	char *fixed;

	while (u[i] && (n = utf8_len(u + i)))
		i += n;
	if (!u[i])
		return json_object_new_string((const char *)u);
	fixed = tally_xmalloc(3 * strlen((const char *)u) + 1);
	for (i = 0; u[i]; i += n ? n : 1) {
		n = utf8_len(u + i);
		if (n) {
			memcpy(fixed + w, u + i, n);
			w += n;
		} else {
			memcpy(fixed + w, "\xef\xbf\xbd", 3);
			w += 3;
		}
	}
	fixed[w] = '\0';
	o = json_object_new_string(fixed);
	free(fixed);
	return o;
}

static struct json_object *
tags_array(const char *const *tags, size_t n)
{
	struct json_object *a = json_object_new_array_ext((int)n);

	for (size_t i = 0; i < n; i++)
		json_object_array_add(a, jstr(tags[i]));
	return a;
}

static struct json_object *
series_object(const struct tally_series *s)
{
	struct json_object *o = json_object_new_object();
	struct json_object *points = json_object_new_array_ext(1);
	struct json_object *point = json_object_new_array_ext(2);
	char num[40];

	tally_dd_format_double(s->value, num, sizeof(num));
	json_object_array_add(point, json_object_new_int64(s->timestamp));
	json_object_array_add(point, json_object_new_double_s(s->value, num));
	json_object_array_add(points, point);
	json_object_object_add(o, "metric", jstr(s->name));
	json_object_object_add(o, "points", points);
	json_object_object_add(o, "tags", tags_array(s->tags, s->n_tags));
	json_object_object_add(o, "host", jstr(s->host));
	json_object_object_add(o, "type", json_object_new_string(tally_series_kind_name(s->kind)));
	json_object_object_add(o, "interval", json_object_new_int64(s->interval_s));
	return o;
}

static struct json_object *
check_object(const struct tally_service_check *c)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "check", jstr(c->name));
	json_object_object_add(o, "host_name", jstr(c->host));
	json_object_object_add(o, "timestamp", json_object_new_int64(c->timestamp));
	json_object_object_add(o, "status", json_object_new_int(c->status));
	json_object_object_add(o, "message", jstr(c->message));
	json_object_object_add(o, "tags", tags_array(c->tags, c->n_tags));
	return o;
}

static void
add_if_set(struct json_object *o, const char *key, const char *value)
{
	if (value && *value)
		json_object_object_add(o, key, jstr(value));
}

static struct json_object *
event_object(const struct tally_event *e)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "title", jstr(e->title));
	json_object_object_add(o, "text", jstr(e->text));
	json_object_object_add(o, "date_happened", json_object_new_int64(e->timestamp));
	add_if_set(o, "priority", e->priority);
	json_object_object_add(o, "host", jstr(e->host));
	json_object_object_add(o, "tags", tags_array(e->tags, e->n_tags));
	add_if_set(o, "alert_type", e->alert_type);
	add_if_set(o, "aggregation_key", e->aggregation_key);
	add_if_set(o, "source_type_name", e->source_type_name);
	return o;
}

/* Compresses [first, last) into one payload appended at **tail; splits in halves if the
 * compressed body is over the limit, and drops a single item that still is. */
static void
emit_range(const struct items *it, size_t first, size_t last, enum tally_dd_endpoint ep,
           const struct tally_dd_limits *lim, struct tally_fwd_payload ***tail,
           struct tally_dd_result *res)
{
	const struct envelope *env = &envelopes[ep];
	size_t pre = strlen(env->prefix), suf = strlen(env->suffix);
	size_t raw_len = pre + suf + (it->off[last] - it->off[first]) + (last - first - 1), w = 0;
	char *raw = tally_xmalloc(raw_len);
	uLongf zlen = compressBound(raw_len);
	unsigned char *z;

	memcpy(raw, env->prefix, pre);
	w = pre;
	for (size_t i = first; i < last; i++) {
		if (i > first)
			raw[w++] = ',';
		memcpy(raw + w, it->buf + it->off[i], it->off[i + 1] - it->off[i]);
		w += it->off[i + 1] - it->off[i];
	}
	memcpy(raw + w, env->suffix, suf);
	z = tally_xmalloc(zlen);
	if (compress2(z, &zlen, (const Bytef *)raw, raw_len, Z_DEFAULT_COMPRESSION) != Z_OK)
		zlen = (uLongf)-1;
	free(raw);
	if (zlen > lim->max_compressed) {
		free(z);
		if (last - first == 1) {
			res->too_big[ep]++;
			return;
		}
		emit_range(it, first, first + (last - first) / 2, ep, lim, tail, res);
		emit_range(it, first + (last - first) / 2, last, ep, lim, tail, res);
		return;
	}
	**tail = tally_fwd_payload_new(endpoint_paths[ep], "application/json", "deflate", z, zlen);
	(**tail)->n_items = (unsigned)(last - first);
	*tail = &(**tail)->next;
}

/* Packs the items greedily under the raw limit, one payload per run. */
static void
pack(const struct items *it, enum tally_dd_endpoint ep, const struct tally_dd_limits *lim,
     struct tally_dd_result *res)
{
	const struct envelope *env = &envelopes[ep];
	size_t frame = strlen(env->prefix) + strlen(env->suffix);
	struct tally_fwd_payload **tail = &res->payloads[ep];
	size_t i = 0;

	while (i < it->n) {
		size_t j = i, raw = frame;

		while (j < it->n && raw + (it->off[j + 1] - it->off[j]) + (j > i) <= lim->max_raw &&
		       (!env->max_items || j - i < env->max_items)) {
			raw += (it->off[j + 1] - it->off[j]) + (j > i);
			j++;
		}
		if (j == i) {
			res->too_big[ep]++; /* alone, it is over the raw limit */
			i++;
			continue;
		}
		emit_range(it, i, j, ep, lim, &tail, res);
		i = j;
	}
}

void
tally_dd_build(const struct tally_batch *b, const struct tally_dd_limits *lim,
               struct tally_dd_result *res)
{
	static const struct tally_dd_limits agent_limits = {
		.max_compressed = TALLY_DD_MAX_COMPRESSED_BYTES,
		.max_raw = TALLY_DD_MAX_RAW_BYTES,
	};
	struct items it[TALLY_DD__COUNT] = { { 0 } };

	memset(res, 0, sizeof(*res));
	if (!lim)
		lim = &agent_limits;
	for (size_t i = 0; i < b->n_series; i++) {
		if (!isfinite(b->series[i].value)) {
			res->invalid[TALLY_DD_SERIES]++;
			continue;
		}
		items_add(&it[TALLY_DD_SERIES], series_object(&b->series[i]));
	}
	for (size_t i = 0; i < b->n_checks; i++)
		items_add(&it[TALLY_DD_CHECK_RUN], check_object(&b->checks[i]));
	for (size_t i = 0; i < b->n_events; i++)
		items_add(&it[TALLY_DD_EVENTS], event_object(&b->events[i]));
	for (int ep = 0; ep < TALLY_DD__COUNT; ep++) {
		pack(&it[ep], ep, lim, res);
		free(it[ep].buf);
		free(it[ep].off);
	}
}
