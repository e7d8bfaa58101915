/*
 * ctx_table: aggregation contexts, their keys, and the hash table that finds them.
 *
 * A context is name + host + the sorted, de-duplicated tag set with the configured extra tags
 * merged in. Its key hash is hash(name) ^ hash(host) ^ the sum of the hashes of the distinct
 * sample tags, so tag order and repeats cost no sorting on lookup; tags are only sorted when a
 * context is created. A lookup confirms a hash match by name, host and distinct tag count.
 *
 * A context is a 34-byte header (key hash, per-type state in a union, the tag set, lengths,
 * kind) and its NUL-terminated name, carved from the table's slab (ctx_slab.h). Its host and
 * tags are an interned tag set (tagset.h) shared with every context that has the same ones, so
 * a million contexts that differ by name cost about 48 bytes each plus 8-byte slots.
 * The table is open addressing over context pointers: linear probing, power-of-two capacity,
 * growth at 0.7 load and backward-shift deletion (no tombstones).
 *
 * Everything here belongs to the aggregator's thread; nothing locks.
 */
#ifndef TALLY_CORE_CTX_TABLE_H
#define TALLY_CORE_CTX_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sample.h"
#include "tagset.h"

struct tally_batch;
struct tally_hist;
struct tally_uset;
struct tally_sketch;

/* What the aggregator keeps per context; this module never looks inside. */
union tally_ctx_state {
	double sum;                  /* counter, count */
	double last;                 /* gauge */
	struct tally_hist *hist;     /* histogram/timer, NULL until the first sample */
	struct tally_uset *set;      /* set, likewise */
	struct tally_sketch *sketch; /* distribution, likewise */
};

struct tally_ctx {
	uint64_t hash; /* the key hash; first: the index reads it here (ctx_index.h) */
	union tally_ctx_state st;
	const struct tally_tagset *ts; /* host and tags; the table holds a reference for us */
	uint32_t last_seen_s;          /* Unix seconds of the last sample (fits until 2106) */
	uint32_t name_len;
	uint8_t kind;  /* owner's type code */
	uint8_t flags; /* owner's flags */
	char name[];   /* name \0 */
};

/* A sample's key, from tally_ctx_table_key(); borrows from the sample. */
struct tally_ctx_key {
	struct tally_slice name, host;
	uint64_t hash;
	uint32_t n_key_tags;
};

static inline const char *
tally_ctx_name(const struct tally_ctx *ctx)
{
	return ctx->name;
}

static inline const char *
tally_ctx_host(const struct tally_ctx *ctx)
{
	return tally_tagset_host(ctx->ts);
}

/* The first tag; each next one starts after the previous one's NUL (ctx->ts->n_tags). */
static inline const char *
tally_ctx_tags(const struct tally_ctx *ctx)
{
	return tally_tagset_tags(ctx->ts);
}

/* Sorts slices bytewise and drops repeats in place; returns the new count. */
size_t tally_slices_sort_unique(struct tally_slice *v, size_t n);

struct tally_ctx_table;

/*
 * Returns a new empty table. default_host (NULL for none) is the host of samples without
 * has_host; extra_tags are merged into every context. Both are copied.
 */
struct tally_ctx_table *tally_ctx_table_new(const char *default_host, const char *const *extra_tags,
                                            size_t n_extra_tags);
/* Frees the table, not the contexts in it (sweep them out first). Accepts NULL. */
void tally_ctx_table_free(struct tally_ctx_table *t);
size_t tally_ctx_table_count(const struct tally_ctx_table *t);
/* Bytes the slot array takes. */
size_t tally_ctx_table_bytes(const struct tally_ctx_table *t);

/*
 * Computes the key of *s into *k (no allocation once the table's scratch is warm) and starts
 * loading the table slot a lookup of it reads first.
 */
void tally_ctx_table_key(struct tally_ctx_table *t, const struct tally_sample *s,
                         struct tally_ctx_key *k);
/*
 * For a lookup of hash coming soon, once the slot tally_ctx_table_key() started loading is
 * cached: starts loading the context stored under hash, if any, and returns it as a guess for
 * tally_ctx_matches(). Contexts never move and are only freed by a sweep, so the guess stays a
 * valid pointer until the next sweep; it may still be another key's context.
 */
struct tally_ctx *tally_ctx_table_prefetch_ctx(const struct tally_ctx_table *t, uint64_t hash);

/*
 * Names are short: an inline compare beats a call into libc's memcmp. Words at a time, the last
 * word (or the two halves of a short string) read overlapping rather than byte by byte.
 */
static inline bool
tally_ctx_bytes_eq(const char *a, const char *b, size_t len)
{
	uint64_t x, y;
	uint32_t u, v;

	if (len >= 8) {
		for (; len > 8; a += 8, b += 8, len -= 8) {
			memcpy(&x, a, 8);
			memcpy(&y, b, 8);
			if (x != y)
				return false;
		}
		memcpy(&x, a + len - 8, 8);
		memcpy(&y, b + len - 8, 8);
		return x == y;
	}
	if (len >= 4) {
		memcpy(&u, a, 4);
		memcpy(&v, b, 4);
		if (u != v)
			return false;
		memcpy(&u, a + len - 4, 4);
		memcpy(&v, b + len - 4, 4);
		return u == v;
	}
	for (; len; a++, b++, len--) {
		if (*a != *b)
			return false;
	}
	return true;
}

/*
 * ctx is the context of key k. The tags are not compared: their part of the 64-bit hash
 * stands for them (the name and host are compared, since they are at hand: the tag set is
 * shared by many contexts, so it is nearly always in cache).
 */
static inline bool
tally_ctx_matches(const struct tally_ctx *ctx, const struct tally_ctx_key *k)
{
	const struct tally_tagset *ts = ctx->ts;

	return ctx->hash == k->hash && ctx->name_len == k->name.len &&
	       ts->host_len == k->host.len && ts->n_key_tags == k->n_key_tags &&
	       tally_ctx_bytes_eq(ctx->name, k->name.ptr, k->name.len) &&
	       tally_ctx_bytes_eq(tally_tagset_host(ts), k->host.ptr, k->host.len);
}
/* Returns the context with key k, or NULL. */
struct tally_ctx *tally_ctx_table_find(const struct tally_ctx_table *t,
                                       const struct tally_ctx_key *k);
/*
 * Returns a new context for *s (key k, state zeroed) holding copies of its strings. With insert
 * the table finds it from now on (k must not be there yet); without, it is the caller's to give
 * back with tally_ctx_table_release(). The table only frees contexts that way.
 */
struct tally_ctx *tally_ctx_table_create(struct tally_ctx_table *t, const struct tally_sample *s,
                                         const struct tally_ctx_key *k, bool insert);
/*
 * Frees ctx (from this table; the owner releases what st points to first) and its reference
 * to its tag set. A context in the index is released only from a sweep that removes it.
 * Accepts NULL.
 */
void tally_ctx_table_release(struct tally_ctx_table *t, struct tally_ctx *ctx);

/* A context's strings as copied into a batch (the batch owns them). */
struct tally_ctx_strings {
	const char *name, *host;
	const char *const *tags;
	size_t n_tags;
};

/*
 * The batch copies of one tag set: consecutive contexts with the same tag set share them
 * within a batch. Zero it (or call tally_ctx_export_cache_reset()) whenever the batch changes.
 */
struct tally_ctx_export_cache {
	const struct tally_tagset *ts; /* NULL: nothing cached */
	const char *host;
	const char *const *tags;
};

static inline void
tally_ctx_export_cache_reset(struct tally_ctx_export_cache *c)
{
	c->ts = NULL;
}

/*
 * Copies ctx's name into b, and its host and tags unless cache already holds b's copies of
 * them; borrows ctx, fills *out.
 */
void tally_ctx_table_export(struct tally_ctx_table *t, const struct tally_ctx *ctx,
                            struct tally_batch *b, struct tally_ctx_export_cache *cache,
                            struct tally_ctx_strings *out);
/* Bytes the contexts and tag sets take (their slab blocks and large ones not counted). */
size_t tally_ctx_table_ctx_bytes(const struct tally_ctx_table *t);
size_t tally_ctx_table_tagsets(const struct tally_ctx_table *t);

/*
 * Calls visit on every context once; removes those for which it returns true (visit may free
 * them). Returns how many were removed.
 */
size_t tally_ctx_table_sweep(struct tally_ctx_table *t,
                             bool (*visit)(struct tally_ctx *ctx, void *arg), void *arg);

#endif
