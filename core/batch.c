#include "batch.h"

#include <stdlib.h>
#include <string.h>

#include "xmem.h"

#define ARENA_CHUNK_BYTES (64 * 1024)

struct tally_arena_chunk {
	struct tally_arena_chunk *next;
	size_t used, size;
	_Alignas(max_align_t) char data[];
};

const char *
tally_series_kind_name(enum tally_series_kind kind)
{
	switch (kind) {
	case TALLY_SERIES_RATE:
		return "rate";
	case TALLY_SERIES_COUNT:
		return "count";
	case TALLY_SERIES_GAUGE:
	default:
		return "gauge";
	}
}

struct tally_batch *
tally_batch_new(int64_t flush_ts)
{
	struct tally_batch *b = tally_xcalloc(1, sizeof(*b));

	atomic_init(&b->refs, 1);
	b->flush_ts = flush_ts;
	return b;
}

void
tally_batch_reserve_series(struct tally_batch *b, size_t n)
{
	if (n <= b->cap_series)
		return;
	b->series = tally_xrealloc(b->series, n * sizeof(*b->series));
	b->cap_series = n;
}

void
tally_batch_ref(struct tally_batch *b)
{
	atomic_fetch_add(&b->refs, 1);
}

void
tally_batch_unref(struct tally_batch *b)
{
	struct tally_arena_chunk *c, *next;

	if (!b || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	for (c = b->arena; c; c = next) {
		next = c->next;
		free(c);
	}
	free(b->series);
	free(b->checks);
	free(b->events);
	free(b);
}

static void *
arena_alloc(struct tally_batch *b, size_t size, size_t align)
{
	struct tally_arena_chunk *c = b->arena;
	size_t off;

	if (c) {
		off = (c->used + align - 1) & ~(align - 1);
		if (off + size <= c->size) {
			c->used = off + size;
			return c->data + off;
		}
	}
	size_t chunk = size > ARENA_CHUNK_BYTES / 4 ? size : ARENA_CHUNK_BYTES;

	c = tally_xmalloc(sizeof(*c) + chunk);
	c->size = chunk;
	c->used = size;
	/* A big one-off allocation goes behind the current chunk so its free space stays usable. */
	if (size > ARENA_CHUNK_BYTES / 4 && b->arena) {
		c->next = b->arena->next;
		b->arena->next = c;
	} else {
		c->next = b->arena;
		b->arena = c;
	}
	return c->data;
}

const char *
tally_batch_strndup(struct tally_batch *b, const char *s, size_t len)
{
	char *p = arena_alloc(b, len + 1, 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

static const char *
dup_str(struct tally_batch *b, const char *s)
{
	return tally_batch_strndup(b, s ? s : "", s ? strlen(s) : 0);
}

const char *const *
tally_batch_copy_ptrs(struct tally_batch *b, const char *const *ptrs, size_t n)
{
	const char **p;

	if (n == 0)
		return NULL;
	p = arena_alloc(b, n * sizeof(*p), _Alignof(const char *));
	memcpy(p, ptrs, n * sizeof(*p));
	return p;
}

static const char *const *
dup_tags(struct tally_batch *b, const char *const *tags, size_t n)
{
	const char **p;

	if (n == 0)
		return NULL;
	p = arena_alloc(b, n * sizeof(*p), _Alignof(const char *));
	for (size_t i = 0; i < n; i++)
		p[i] = dup_str(b, tags[i]);
	return p;
}

struct tally_series *
tally_batch_add_series_owned(struct tally_batch *b, const char *name, const char *host,
                             const char *const *tags, size_t n_tags, enum tally_series_kind kind,
                             int64_t timestamp, double value, uint32_t interval_s)
{
	struct tally_series *s;

	b->series = tally_xgrow(b->series, &b->cap_series, b->n_series + 1, sizeof(*b->series), 64);
	s = &b->series[b->n_series++];
	s->name = name;
	s->host = host ? host : "";
	s->tags = tags;
	s->n_tags = n_tags;
	s->kind = kind;
	s->timestamp = timestamp;
	s->value = value;
	s->interval_s = interval_s;
	return s;
}

struct tally_series *
tally_batch_add_series(struct tally_batch *b, const char *name, const char *host,
                       const char *const *tags, size_t n_tags, enum tally_series_kind kind,
                       int64_t timestamp, double value, uint32_t interval_s)
{
	return tally_batch_add_series_owned(b, dup_str(b, name), dup_str(b, host),
	                                    dup_tags(b, tags, n_tags), n_tags, kind, timestamp,
	                                    value, interval_s);
}

void
tally_batch_add_service_check(struct tally_batch *b, const struct tally_service_check *sc)
{
	struct tally_service_check *d;

	b->checks = tally_xgrow(b->checks, &b->cap_checks, b->n_checks + 1, sizeof(*b->checks), 64);
	d = &b->checks[b->n_checks++];
	d->name = dup_str(b, sc->name);
	d->status = sc->status;
	d->host = dup_str(b, sc->host);
	d->tags = dup_tags(b, sc->tags, sc->n_tags);
	d->n_tags = sc->n_tags;
	d->timestamp = sc->timestamp;
	d->message = dup_str(b, sc->message);
}

void
tally_batch_add_event(struct tally_batch *b, const struct tally_event *ev)
{
	struct tally_event *d;

	b->events = tally_xgrow(b->events, &b->cap_events, b->n_events + 1, sizeof(*b->events), 64);
	d = &b->events[b->n_events++];
	d->title = dup_str(b, ev->title);
	d->text = dup_str(b, ev->text);
	d->timestamp = ev->timestamp;
	d->host = dup_str(b, ev->host);
	d->aggregation_key = dup_str(b, ev->aggregation_key);
	d->priority = dup_str(b, ev->priority && *ev->priority ? ev->priority : "normal");
	d->alert_type = dup_str(b, ev->alert_type && *ev->alert_type ? ev->alert_type : "info");
	d->source_type_name = dup_str(b, ev->source_type_name);
	d->tags = dup_tags(b, ev->tags, ev->n_tags);
	d->n_tags = ev->n_tags;
}
