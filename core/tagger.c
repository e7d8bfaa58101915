/*
 * tagger.c: the entity tag store and its per-thread views (see tagger.h).
 *
 * Each entity is one allocation (struct ent followed by its key and tag strings), so a view
 * copies it with one memcpy and rebases the pointers. The store is a plain array (publishes
 * are rare: one per container per check run); a view adds an open-addressing index over its
 * copy for the receive path.
 */
#include "tagger.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define CONTAINER_PREFIX "container_id://"

struct ent {
	size_t size; /* bytes of this allocation */
	int64_t expires_s;
	uint64_t hash;
	struct tally_slice key;
	size_t n;
	struct tally_slice tags[]; /* then the key's and tags' bytes */
};

static struct {
	pthread_mutex_t lock;
	struct ent **ents;
	size_t n, cap;
	atomic_uint_fast64_t gen;
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct tally_tagger_view {
	uint64_t gen;
	struct ent **ents; /* private copies */
	size_t n;
	struct ent **index; /* open addressing, index_cap slots (a power of two) */
	size_t index_cap;
	/* the last container looked up (lines of one datagram name the same one): id, entry */
	char last_id[128];
	size_t last_len; /* 0: none */
	const struct ent *last;
};

static uint64_t
hash_key(const char *p, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)p[i];
		h *= 1099511628211ull;
	}
	return h;
}

static struct ent *
ent_new(const char *entity, const char *const *tags, size_t n, int64_t expires_s)
{
	size_t klen = strlen(entity), size = sizeof(struct ent) + n * sizeof(struct tally_slice);
	struct ent *e;
	char *p;

	size += klen;
	for (size_t i = 0; i < n; i++)
		size += strlen(tags[i]);
	e = malloc(size);
	if (!e)
		return NULL;
	e->size = size;
	e->expires_s = expires_s;
	e->hash = hash_key(entity, klen);
	e->n = n;
	p = (char *)&e->tags[n];
	memcpy(p, entity, klen);
	e->key = (struct tally_slice){ p, klen };
	p += klen;
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(tags[i]);

		memcpy(p, tags[i], l);
		e->tags[i] = (struct tally_slice){ p, l };
		p += l;
	}
	return e;
}

/* A private copy of e: one memcpy, then the slices moved to the copy's bytes. */
static struct ent *
ent_copy(const struct ent *e)
{
	struct ent *c = malloc(e->size);
	const char *from = (const char *)e;

	if (!c)
		return NULL;
	memcpy(c, e, e->size);
	c->key.ptr = (const char *)c + (c->key.ptr - from);
	for (size_t i = 0; i < c->n; i++)
		c->tags[i].ptr = (const char *)c + (c->tags[i].ptr - from);
	return c;
}

/* Drops expired entries; store.lock held. */
static void
purge(int64_t now_s)
{
	size_t k = 0;

	for (size_t i = 0; i < store.n; i++) {
		if (store.ents[i]->expires_s <= now_s)
			free(store.ents[i]);
		else
			store.ents[k++] = store.ents[i];
	}
	store.n = k;
}

static int
put(const char *entity, const char *const *tags, size_t n, uint32_t ttl_s, int64_t now_s)
{
	size_t klen = strlen(entity), i;
	struct ent *e = NULL;

	for (i = 0; i < store.n; i++)
		if (store.ents[i]->key.len == klen &&
		    memcmp(store.ents[i]->key.ptr, entity, klen) == 0)
			break;
	if (n > 0 && !(e = ent_new(entity, tags, n, now_s + ttl_s)))
		return -ENOMEM;
	if (i < store.n) {
		free(store.ents[i]);
		if (e)
			store.ents[i] = e;
		else
			store.ents[i] = store.ents[--store.n];
		return 0;
	}
	if (!e)
		return 0;
	if (store.n == store.cap) {
		size_t cap = store.cap ? store.cap * 2 : 64;
		struct ent **a =
		    cap <= TALLY_TAGGER_MAX_ENTITY ? realloc(store.ents, cap * sizeof(*a)) : NULL;

		if (!a) {
			free(e);
			return store.cap >= TALLY_TAGGER_MAX_ENTITY ? -ENOSPC : -ENOMEM;
		}
		store.ents = a;
		store.cap = cap;
	}
	store.ents[store.n++] = e;
	return 0;
}

int
tally_tagger_publish(const char *entity, const char *const *tags, size_t n, uint32_t ttl_s,
                     int64_t now_s)
{
	int rc;

	if (!entity || !entity[0])
		return -EINVAL;
	if (n > TALLY_TAGGER_MAX_TAGS)
		n = TALLY_TAGGER_MAX_TAGS;
	for (size_t i = 0; i < n; i++)
		if (!tags[i] || !tags[i][0] || strlen(tags[i]) > TALLY_TAGGER_MAX_TAG_LEN)
			return -EINVAL;
	pthread_mutex_lock(&store.lock);
	purge(now_s);
	rc = put(entity, tags, n, ttl_s, now_s);
	atomic_fetch_add_explicit(&store.gen, 1, memory_order_release);
	pthread_mutex_unlock(&store.lock);
	return rc;
}

void
tally_tagger_reset(void)
{
	pthread_mutex_lock(&store.lock);
	for (size_t i = 0; i < store.n; i++)
		free(store.ents[i]);
	free(store.ents);
	store.ents = NULL;
	store.n = store.cap = 0;
	atomic_fetch_add_explicit(&store.gen, 1, memory_order_release);
	pthread_mutex_unlock(&store.lock);
}

struct tally_tagger_view *
tally_tagger_view_new(void)
{
	struct tally_tagger_view *v = calloc(1, sizeof(*v));

	if (v)
		v->gen = UINT64_MAX; /* refreshed at the first lookup */
	return v;
}

static void
view_clear(struct tally_tagger_view *v)
{
	v->last_len = 0;
	v->last = NULL;
	for (size_t i = 0; i < v->n; i++)
		free(v->ents[i]);
	free(v->ents);
	free(v->index);
	v->ents = v->index = NULL;
	v->n = v->index_cap = 0;
}

void
tally_tagger_view_free(struct tally_tagger_view *v)
{
	if (!v)
		return;
	view_clear(v);
	free(v);
}

/* Copies the store into v and indexes it; on allocation failure v stays empty. */
static void
view_refresh(struct tally_tagger_view *v, uint64_t gen)
{
	view_clear(v);
	pthread_mutex_lock(&store.lock);
	v->gen = gen;
	if (store.n) {
		v->ents = calloc(store.n, sizeof(*v->ents));
		for (size_t i = 0; v->ents && i < store.n; i++)
			if ((v->ents[v->n] = ent_copy(store.ents[i])))
				v->n++;
	}
	pthread_mutex_unlock(&store.lock);
	if (!v->n)
		return;
	v->index_cap = 16;
	while (v->index_cap < v->n * 2)
		v->index_cap *= 2;
	v->index = calloc(v->index_cap, sizeof(*v->index));
	if (!v->index) {
		view_clear(v);
		return;
	}
	for (size_t i = 0; i < v->n; i++) {
		size_t s = v->ents[i]->hash & (v->index_cap - 1);

		while (v->index[s])
			s = (s + 1) & (v->index_cap - 1);
		v->index[s] = v->ents[i];
	}
}

static const struct ent *
view_find(struct tally_tagger_view *v, const char *key, size_t len, uint64_t h)
{
	uint64_t gen = atomic_load_explicit(&store.gen, memory_order_acquire);

	if (gen != v->gen)
		view_refresh(v, gen);
	if (!v->index)
		return NULL;
	for (size_t s = h & (v->index_cap - 1); v->index[s]; s = (s + 1) & (v->index_cap - 1)) {
		const struct ent *e = v->index[s];

		if (e->hash == h && e->key.len == len && memcmp(e->key.ptr, key, len) == 0)
			return e;
	}
	return NULL;
}

static const struct tally_slice *
found(const struct ent *e, int64_t now_s, size_t *n)
{
	if (!e || e->expires_s <= now_s) {
		*n = 0;
		return NULL;
	}
	*n = e->n;
	return e->tags;
}

const struct tally_slice *
tally_tagger_view_get(struct tally_tagger_view *v, const char *entity, size_t len, int64_t now_s,
                      size_t *n)
{
	return found(view_find(v, entity, len, hash_key(entity, len)), now_s, n);
}

const struct tally_slice *
tally_tagger_view_container(struct tally_tagger_view *v, const char *id, size_t len, int64_t now_s,
                            size_t *n)
{
	char key[sizeof(CONTAINER_PREFIX) + sizeof(v->last_id)];
	size_t pl = sizeof(CONTAINER_PREFIX) - 1;
	uint64_t gen = atomic_load_explicit(&store.gen, memory_order_acquire);

	if (len == 0 || len > sizeof(v->last_id)) {
		*n = 0;
		return NULL;
	}
	if (gen == v->gen && len == v->last_len && memcmp(v->last_id, id, len) == 0)
		return found(v->last, now_s, n);
	memcpy(key, CONTAINER_PREFIX, pl);
	memcpy(key + pl, id, len);
	v->last = view_find(v, key, pl + len, hash_key(key, pl + len));
	memcpy(v->last_id, id, len);
	v->last_len = len;
	return found(v->last, now_s, n);
}
