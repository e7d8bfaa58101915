#include "ctx_table.h"

#include <stdlib.h>
#include <string.h>

/* Header-only XXH3: short keys hash several times faster inlined than through libxxhash.so. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "batch.h"
#include "ctx_index.h"
#include "ctx_slab.h"
#include "tagset.h"
#include "xmem.h"

/*
 * XXH3 of a key string. Nearly every name and tag is at most 16 bytes, for which XXH3's own
 * short-input routine is called directly: the same hash, but inlined here, where the public
 * entry point is a call that dispatches on the length first.
 */
static inline __attribute__((always_inline)) uint64_t
key_hash(const char *p, size_t len, uint64_t seed)
{
	if (len <= 16)
		return XXH3_len_0to16_64b((const xxh_u8 *)p, len, XXH3_kSecret, seed);
	return XXH3_64bits_withSeed(p, len, seed);
}

#define TABLE_MIN_CAP 1024
/* Name and host hash with their own seeds so that a name and a host cannot trade places. */
#define SEED_NAME 0x7a11e0a3e5a1d001ULL
#define SEED_HOST 0x7a11e0b05705d002ULL
/* Up to this many tags, repeats are found by comparing hashes pairwise; above, by sorting. */
#define PAIRWISE_MAX_TAGS 16
/* Tag fields remembered with their hash, and the longest one that is. */
#define MEMO_SLOTS     64
#define MEMO_MAX_BYTES 112
/*
 * A miss costs more than hashing alone (the compare and the copy), so when fewer than half the
 * lookups of a window hit, as with many tag fields interleaved, the memo is left alone for a
 * while before it is tried again.
 */
#define MEMO_WINDOW 256
#define MEMO_BYPASS 4096

/*
 * A tag field seen recently and its part of the key. Clients send the same few tag fields over
 * and over; comparing the bytes of one costs a fraction of hashing its tags one by one.
 */
struct memo {
	uint64_t sum;
	uint32_t n_key_tags;
	uint32_t len; /* 0: empty */
	char raw[MEMO_MAX_BYTES];
};

struct tally_ctx_table {
	struct tally_ctx_index index;
	struct tally_ctx_slab slab;         /* the contexts and tag sets */
	struct tally_tagset_table *tagsets; /* draws from slab */
	struct tally_slice default_host;
	uint64_t default_host_hash;
	struct tally_slice *extra; /* sorted, unique, strings owned */
	uint64_t *extra_hash;
	size_t n_extra;
	uint64_t *scratch; /* tag hashes of the sample being keyed */
	size_t cap_scratch;
	const char **ptrs; /* tag pointers of the tag set being exported */
	size_t cap_ptrs;
	struct tally_slice *tag_buf; /* the tags of the context being created */
	size_t cap_tag_buf;
	struct memo *memo; /* MEMO_SLOTS */
	/* Memo lookups and hits in the current window; lookups left to do without it. */
	uint32_t memo_seen, memo_hits, memo_bypass;
};

static int
cmp_slice(const void *a, const void *b)
{
	const struct tally_slice *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	int c = n ? memcmp(x->ptr, y->ptr, n) : 0;

	if (c)
		return c;
	return (x->len > y->len) - (x->len < y->len);
}

size_t
tally_slices_sort_unique(struct tally_slice *v, size_t n)
{
	size_t out = 0;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), cmp_slice);
	for (size_t i = 1; i < n; i++)
		if (cmp_slice(&v[out], &v[i]))
			v[++out] = v[i];
	return out + 1;
}

static void
copy_extra(struct tally_ctx_table *t, const char *const *tags, size_t n)
{
	t->extra = tally_xcalloc(n, sizeof(*t->extra));
	for (size_t i = 0; i < n; i++) {
		t->extra[i].ptr = tags[i];
		t->extra[i].len = strlen(tags[i]);
	}
	t->n_extra = tally_slices_sort_unique(t->extra, n);
	t->extra_hash = tally_xcalloc(t->n_extra, sizeof(*t->extra_hash));
	for (size_t i = 0; i < t->n_extra; i++) {
		t->extra[i].ptr = tally_xstrndup(t->extra[i].ptr, t->extra[i].len);
		t->extra_hash[i] = key_hash(t->extra[i].ptr, t->extra[i].len, 0);
	}
}

struct tally_ctx_table *
tally_ctx_table_new(const char *default_host, const char *const *extra_tags, size_t n_extra_tags)
{
	struct tally_ctx_table *t = tally_xcalloc(1, sizeof(*t));

	tally_ctx_index_init(&t->index, TABLE_MIN_CAP);
	tally_ctx_slab_init(&t->slab);
	t->tagsets = tally_tagset_table_new(&t->slab);
	t->memo = tally_xcalloc(MEMO_SLOTS, sizeof(*t->memo));
	t->default_host.ptr = tally_xstrdup(default_host ? default_host : "");
	t->default_host.len = strlen(t->default_host.ptr);
	t->default_host_hash = key_hash(t->default_host.ptr, t->default_host.len, SEED_HOST);
	copy_extra(t, extra_tags, n_extra_tags);
	return t;
}

void
tally_ctx_table_free(struct tally_ctx_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n_extra; i++)
		free((char *)t->extra[i].ptr);
	free(t->extra);
	free(t->extra_hash);
	free((char *)t->default_host.ptr);
	free(t->scratch);
	free(t->ptrs);
	free(t->tag_buf);
	tally_ctx_index_free(&t->index);
	tally_tagset_table_free(t->tagsets);
	tally_ctx_slab_fini(&t->slab);
	free(t->memo);
	free(t);
}

size_t
tally_ctx_table_count(const struct tally_ctx_table *t)
{
	return t->index.n;
}

size_t
tally_ctx_table_bytes(const struct tally_ctx_table *t)
{
	return (t->index.mask + 1) * (sizeof(*t->index.slots) + 1);
}

static bool
hash_in(const uint64_t *v, size_t n, uint64_t h)
{
	for (size_t i = 0; i < n; i++)
		if (v[i] == h)
			return true;
	return false;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static size_t
sort_unique_u64(uint64_t *v, size_t n)
{
	size_t u = 1;

	if (n < 2)
		return n;
	qsort(v, n, sizeof(*v), cmp_u64);
	for (size_t i = 1; i < n; i++)
		if (v[i] != v[u - 1])
			v[u++] = v[i];
	return u;
}

/*
 * Order-independent hash of the distinct sample tags: the sum of their hashes. Tags that are
 * also extra tags are left out, since every context carries those anyway.
 */
static uint64_t
tags_hash(struct tally_ctx_table *t, const struct tally_slice *tags, size_t n_tags,
          uint32_t *n_key_tags)
{
	uint64_t *h, sum = 0;
	size_t n = 0;

	t->scratch = tally_xgrow(t->scratch, &t->cap_scratch, n_tags, sizeof(*t->scratch), 64);
	h = t->scratch;
	for (size_t i = 0; i < n_tags; i++) {
		uint64_t x = key_hash(tags[i].ptr, tags[i].len, 0);

		if (t->n_extra && hash_in(t->extra_hash, t->n_extra, x))
			continue;
		if (n_tags <= PAIRWISE_MAX_TAGS && hash_in(h, n, x))
			continue;
		h[n++] = x;
	}
	if (n_tags > PAIRWISE_MAX_TAGS)
		n = sort_unique_u64(h, n);
	for (size_t i = 0; i < n; i++)
		sum += h[i];
	*n_key_tags = (uint32_t)n;
	return sum;
}

/* tags_hash() of *s's tags, remembered by their wire field when there is one. */
static uint64_t
tags_hash_memo(struct tally_ctx_table *t, const struct tally_sample *s, uint32_t *n_key_tags)
{
	struct tally_slice raw = s->tags_raw;
	struct memo *m;
	uint64_t first = 0, last = 0;

	if (raw.len == 0 || raw.len > MEMO_MAX_BYTES)
		return tags_hash(t, s->tags, s->n_tags, n_key_tags);
	if (t->memo_bypass) {
		t->memo_bypass--;
		return tags_hash(t, s->tags, s->n_tags, n_key_tags);
	}
	if (++t->memo_seen == MEMO_WINDOW) {
		if (t->memo_hits < MEMO_WINDOW / 2)
			t->memo_bypass = MEMO_BYPASS;
		t->memo_seen = t->memo_hits = 0;
	}
	/* Tag fields often share a prefix and differ at the end: both ends pick the slot. */
	if (raw.len >= 8) {
		memcpy(&first, raw.ptr, 8);
		memcpy(&last, raw.ptr + raw.len - 8, 8);
	} else {
		memcpy(&first, raw.ptr, raw.len);
	}
	m = &t->memo[(((first ^ raw.len) * 0x9e3779b97f4a7c15ULL) ^ last) * 0xc2b2ae3d27d4eb4fULL >>
	             58];
	if (m->len != raw.len || !tally_ctx_bytes_eq(m->raw, raw.ptr, raw.len)) {
		m->sum = tags_hash(t, s->tags, s->n_tags, &m->n_key_tags);
		m->len = (uint32_t)raw.len;
		memcpy(m->raw, raw.ptr, raw.len);
	} else {
		t->memo_hits++;
	}
	*n_key_tags = m->n_key_tags;
	return m->sum;
}

void
tally_ctx_table_key(struct tally_ctx_table *t, const struct tally_sample *s,
                    struct tally_ctx_key *k)
{
	uint64_t host_hash = t->default_host_hash;

	k->name = s->name;
	k->host = t->default_host;
	if (s->has_host) {
		k->host = s->host;
		host_hash = key_hash(s->host.ptr, s->host.len, SEED_HOST);
	}
	k->hash = key_hash(s->name.ptr, s->name.len, SEED_NAME) ^ host_hash ^
	          tags_hash_memo(t, s, &k->n_key_tags);
	tally_ctx_index_prefetch(&t->index, k->hash);
}

struct tally_ctx *
tally_ctx_table_find(const struct tally_ctx_table *t, const struct tally_ctx_key *k)
{
	struct tally_ctx_probe p;
	struct tally_ctx *ctx;

	tally_ctx_probe_start(&t->index, &p, k->hash);
	while ((ctx = tally_ctx_probe_next(&t->index, &p)))
		if (tally_ctx_matches(ctx, k))
			return ctx;
	return NULL;
}

struct tally_ctx *
tally_ctx_table_prefetch_ctx(const struct tally_ctx_table *t, uint64_t hash)
{
	struct tally_ctx_probe p;
	struct tally_ctx *ctx;

	/* The first slot whose control byte matches: reading its hash would wait for the miss
	 * this is meant to hide, and the caller checks the guess anyway. */
	tally_ctx_probe_start(&t->index, &p, hash);
	ctx = tally_ctx_probe_candidate(&t->index, &p);
	if (ctx)
		__builtin_prefetch(ctx);
	return ctx;
}

static size_t
ctx_bytes(size_t name_len)
{
	return offsetof(struct tally_ctx, name) + name_len + 1;
}

/*
 * The context: header and name from the slab, and the interned tag set of its host and the
 * sorted union of sample and extra tags.
 */
static struct tally_ctx *
ctx_new(struct tally_ctx_table *t, const struct tally_sample *s, const struct tally_ctx_key *k)
{
	size_t n = s->n_tags + t->n_extra;
	struct tally_slice *all;
	struct tally_ctx *ctx = tally_ctx_slab_alloc(&t->slab, ctx_bytes(k->name.len));

	t->tag_buf = tally_xgrow(t->tag_buf, &t->cap_tag_buf, n, sizeof(*t->tag_buf), 16);
	all = t->tag_buf;
	if (s->n_tags)
		memcpy(all, s->tags, s->n_tags * sizeof(*all));
	if (t->n_extra)
		memcpy(all + s->n_tags, t->extra, t->n_extra * sizeof(*all));
	n = tally_slices_sort_unique(all, n);
	memset(ctx, 0, offsetof(struct tally_ctx, name));
	ctx->hash = k->hash;
	ctx->ts = tally_tagset_intern(t->tagsets, k->host, all, n, k->n_key_tags);
	ctx->name_len = (uint32_t)k->name.len;
	memcpy(ctx->name, k->name.ptr, k->name.len);
	ctx->name[k->name.len] = '\0';
	return ctx;
}

void
tally_ctx_table_release(struct tally_ctx_table *t, struct tally_ctx *ctx)
{
	if (!ctx)
		return;
	tally_tagset_release(t->tagsets, ctx->ts);
	tally_ctx_slab_free(&t->slab, ctx, ctx_bytes(ctx->name_len));
}

/* Copies ts's host and tags into b, once per run of contexts with the same tag set. */
static void
export_tagset(struct tally_ctx_table *t, const struct tally_tagset *ts, struct tally_batch *b,
              struct tally_ctx_export_cache *cache)
{
	const char *p = tally_tagset_tags(ts), *copy;

	if (cache->ts == ts)
		return;
	t->ptrs = tally_xgrow(t->ptrs, &t->cap_ptrs, ts->n_tags, sizeof(*t->ptrs), 16);
	copy = tally_batch_strndup(b, ts->data, ts->data_len - 1);
	for (uint32_t i = 0; i < ts->n_tags; i++) {
		t->ptrs[i] = copy + (p - ts->data);
		p += strlen(p) + 1;
	}
	cache->ts = ts;
	cache->host = copy;
	cache->tags = tally_batch_copy_ptrs(b, t->ptrs, ts->n_tags);
}

void
tally_ctx_table_export(struct tally_ctx_table *t, const struct tally_ctx *ctx,
                       struct tally_batch *b, struct tally_ctx_export_cache *cache,
                       struct tally_ctx_strings *out)
{
	export_tagset(t, ctx->ts, b, cache);
	out->name = tally_batch_strndup(b, ctx->name, ctx->name_len);
	out->host = cache->host;
	out->tags = cache->tags;
	out->n_tags = ctx->ts->n_tags;
}

size_t
tally_ctx_table_ctx_bytes(const struct tally_ctx_table *t)
{
	return t->slab.bytes_live;
}

size_t
tally_ctx_table_tagsets(const struct tally_ctx_table *t)
{
	return tally_tagset_table_count(t->tagsets);
}

struct tally_ctx *
tally_ctx_table_create(struct tally_ctx_table *t, const struct tally_sample *s,
                       const struct tally_ctx_key *k, bool insert)
{
	struct tally_ctx *ctx = ctx_new(t, s, k);

	if (insert)
		tally_ctx_index_put(&t->index, k->hash, ctx);
	return ctx;
}

size_t
tally_ctx_table_sweep(struct tally_ctx_table *t, bool (*visit)(struct tally_ctx *ctx, void *arg),
                      void *arg)
{
	return tally_ctx_index_sweep(&t->index, visit, arg);
}
