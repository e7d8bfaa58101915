/* tally.forwarder.* series and the forwarder's `tally status` object. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "batch.h"
#include "forwarder.h"
#include "fwd_internal.h"
#include "fwd_spool.h"
#include "xmem.h"

/* Tags for one series: the caller's tags plus up to three of ours, sorted and unique. */
struct tagset {
	const char **v;
	size_t n, base;
	char ep[64], out[160], reason[48];
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
tagset_init(struct tagset *t, const char *const *tags, size_t n_tags, const char *out,
            const char *ep)
{
	t->v = tally_xcalloc(n_tags + 3, sizeof(*t->v));
	snprintf(t->ep, sizeof(t->ep), "endpoint:%s", ep);
	snprintf(t->out, sizeof(t->out), "output:%s", out);
	if (n_tags)
		memcpy(t->v, tags, n_tags * sizeof(*tags));
	t->base = n_tags;
}

/* Sets the tags to base + ours (+ reason when non-NULL), sorted, duplicates removed. */
static void
tagset_with(struct tagset *t, const char *reason)
{
	size_t n = t->base, w = 0;

	t->v[n++] = t->ep;
	t->v[n++] = t->out;
	if (reason) {
		snprintf(t->reason, sizeof(t->reason), "reason:%s", reason);
		t->v[n++] = t->reason;
	}
	qsort(t->v, n, sizeof(*t->v), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (w == 0 || strcmp(t->v[w - 1], t->v[i]) != 0)
			t->v[w++] = t->v[i];
	}
	t->n = w;
}

static void
tagset_reset(struct tagset *t, const char *const *tags, size_t n_tags)
{
	if (n_tags)
		memcpy(t->v, tags, n_tags * sizeof(*tags));
}

static void
emit_endpoint(const struct tally_fwd *f, struct tally_fwd_endpoint *ep, struct tally_batch *b,
              int64_t ts, uint32_t interval_s, const char *host, const char *const *tags,
              size_t n_tags)
{
	const struct tally_fwd_counters *now = &ep->total, *prev = &ep->reported;
	static const struct {
		const char *name;
		size_t off;
	} counts[] = {
		{ "tally.forwarder.sent", offsetof(struct tally_fwd_counters, sent) },
		{ "tally.forwarder.retried", offsetof(struct tally_fwd_counters, retried) },
		{ "tally.forwarder.spooled", offsetof(struct tally_fwd_counters, spooled) },
	};
	struct tagset t;

	tagset_init(&t, tags, n_tags, f->id, ep->name);
	tagset_with(&t, NULL);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		uint64_t a = *(const uint64_t *)((const char *)now + counts[i].off);
		uint64_t z = *(const uint64_t *)((const char *)prev + counts[i].off);

		tally_batch_add_series(b, counts[i].name, host, t.v, t.n, TALLY_SERIES_COUNT, ts,
		                       (double)(a - z), interval_s);
	}
	tally_batch_add_series(b, "tally.forwarder.queue_bytes", host, t.v, t.n, TALLY_SERIES_GAUGE,
	                       ts, (double)(ep->q.bytes + ep->q.held), interval_s);
	tally_batch_add_series(b, "tally.forwarder.spool_bytes", host, t.v, t.n, TALLY_SERIES_GAUGE,
	                       ts, f->spool ? (double)tally_spool_bytes(f->spool, ep->name) : 0,
	                       interval_s);
	for (int r = 0; r < TALLY_DROP__COUNT; r++) {
		if (!now->dropped[r])
			continue;
		tagset_reset(&t, tags, n_tags);
		tagset_with(&t, tally_fwd_drop_reason_name(r));
		tally_batch_add_series(b, "tally.forwarder.dropped", host, t.v, t.n,
		                       TALLY_SERIES_COUNT, ts,
		                       (double)(now->dropped[r] - prev->dropped[r]), interval_s);
	}
	free(t.v);
	ep->reported = ep->total;
}

void
tally_fwd_stats(struct tally_fwd *f, struct tally_batch *b, int64_t ts, uint32_t interval_s,
                const char *host, const char *const *tags, size_t n_tags)
{
	for (size_t i = 0; i < f->n_eps; i++)
		emit_endpoint(f, &f->eps[i], b, ts, interval_s, host, tags, n_tags);
}

static struct json_object *
endpoint_status(const struct tally_fwd *f, const struct tally_fwd_endpoint *ep)
{
	struct json_object *o = json_object_new_object(), *dropped = json_object_new_object();

	json_object_object_add(o, "endpoint", json_object_new_string(ep->name));
	json_object_object_add(o, "state",
	                       json_object_new_string(tally_fwd_breaker_state_name(ep->br.state)));
	json_object_object_add(o, "errors", json_object_new_int(ep->br.n_errors));
	json_object_object_add(o, "last_status", json_object_new_int64(ep->last_status));
	json_object_object_add(o, "in_flight", json_object_new_boolean(ep->n_inflight > 0));
	json_object_object_add(o, "requests_in_flight", json_object_new_int64(ep->n_inflight));
	json_object_object_add(o, "queue_payloads", json_object_new_int64((int64_t)ep->q.count));
	json_object_object_add(o, "queue_bytes",
	                       json_object_new_int64((int64_t)(ep->q.bytes + ep->q.held)));
	json_object_object_add(
	    o, "spool_bytes",
	    json_object_new_int64(f->spool ? (int64_t)tally_spool_bytes(f->spool, ep->name) : 0));
	json_object_object_add(o, "sent", json_object_new_int64((int64_t)ep->total.sent));
	json_object_object_add(o, "sent_bytes",
	                       json_object_new_int64((int64_t)ep->total.sent_bytes));
	json_object_object_add(o, "retried", json_object_new_int64((int64_t)ep->total.retried));
	json_object_object_add(o, "spooled", json_object_new_int64((int64_t)ep->total.spooled));
	for (int r = 0; r < TALLY_DROP__COUNT; r++) {
		if (ep->total.dropped[r])
			json_object_object_add(
			    dropped, tally_fwd_drop_reason_name(r),
			    json_object_new_int64((int64_t)ep->total.dropped[r]));
	}
	json_object_object_add(o, "dropped", dropped);
	json_object_object_add(o, "last_error",
	                       ep->last_error[0] ? json_object_new_string(ep->last_error) : NULL);
	return o;
}

struct json_object *
tally_fwd_status(const struct tally_fwd *f)
{
	struct json_object *o = json_object_new_object(), *eps = json_object_new_array();

	json_object_object_add(o, "output", json_object_new_string(f->id));
	json_object_object_add(o, "num_workers", json_object_new_int64(f->n_workers));
	json_object_object_add(o, "spool", f->spool ? json_object_new_string(f->spool->dir) : NULL);
	json_object_object_add(o, "api_key",
	                       f->key_hint ? json_object_new_string(f->key_hint) : NULL);
	for (size_t i = 0; i < f->n_eps; i++)
		json_object_array_add(eps, endpoint_status(f, &f->eps[i]));
	json_object_object_add(o, "endpoints", eps);
	return o;
}
