#include "ctx_table.h"

#include <stdlib.h>
#include <string.h>

/* Header-only XXH3: short keys hash several times faster inlined than through libxxhash.so. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "batch.h"
#include "xmem.h"

#define TABLE_MIN_CAP 1024
/* Name and host hash with their own seeds so that a name and a host cannot trade places. */
#define SEED_NAME 0x7a11e0a3e5a1d001ULL
#define SEED_HOST 0x7a11e0b05705d002ULL
/* Up to this many tags, repeats are found by comparing hashes pairwise; above, by sorting. */
#define PAIRWISE_MAX_TAGS 16

/* ctx == NULL marks an empty slot. */
struct slot {
	uint64_t hash;
	struct tally_ctx *ctx;
};

struct tally_ctx_table {
	struct slot *slots;
	size_t mask; /* capacity - 1 */
	size_t n;
	struct tally_slice default_host;
	uint64_t default_host_hash;
	struct tally_slice *extra; /* sorted, unique, strings owned */
	uint64_t *extra_hash;
	size_t n_extra;
	uint64_t *scratch; /* tag hashes of the sample being keyed */
	size_t cap_scratch;
	const char **ptrs; /* tag pointers of the context being exported */
	size_t cap_ptrs;
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
		t->extra_hash[i] = XXH3_64bits(t->extra[i].ptr, t->extra[i].len);
	}
}

struct tally_ctx_table *
tally_ctx_table_new(const char *default_host, const char *const *extra_tags, size_t n_extra_tags)
{
	struct tally_ctx_table *t = tally_xcalloc(1, sizeof(*t));

	t->slots = tally_xcalloc(TABLE_MIN_CAP, sizeof(*t->slots));
	t->mask = TABLE_MIN_CAP - 1;
	t->default_host.ptr = tally_xstrdup(default_host ? default_host : "");
	t->default_host.len = strlen(t->default_host.ptr);
	t->default_host_hash =
	    XXH3_64bits_withSeed(t->default_host.ptr, t->default_host.len, SEED_HOST);
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
	free(t->slots);
	free(t);
}

size_t
tally_ctx_table_count(const struct tally_ctx_table *t)
{
	return t->n;
}

size_t
tally_ctx_table_bytes(const struct tally_ctx_table *t)
{
	return (t->mask + 1) * sizeof(*t->slots);
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

	if (n_tags > t->cap_scratch) {
		t->cap_scratch = n_tags < 64 ? 64 : n_tags * 2;
		t->scratch = tally_xrealloc(t->scratch, t->cap_scratch * sizeof(*t->scratch));
	}
	h = t->scratch;
	for (size_t i = 0; i < n_tags; i++) {
		uint64_t x = XXH3_64bits(tags[i].ptr, tags[i].len);

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

void
tally_ctx_table_key(struct tally_ctx_table *t, const struct tally_sample *s,
                    struct tally_ctx_key *k)
{
	uint64_t host_hash = t->default_host_hash;

	k->name = s->name;
	k->host = t->default_host;
	if (s->has_host) {
		k->host = s->host;
		host_hash = XXH3_64bits_withSeed(s->host.ptr, s->host.len, SEED_HOST);
	}
	k->hash = XXH3_64bits_withSeed(s->name.ptr, s->name.len, SEED_NAME) ^ host_hash ^
	          tags_hash(t, s->tags, s->n_tags, &k->n_key_tags);
}

/* Names are short: an inline word-at-a-time compare beats a call into libc's memcmp. */
static inline bool
bytes_eq(const char *a, const char *b, size_t len)
{
	uint64_t x, y;

	for (; len >= 8; a += 8, b += 8, len -= 8) {
		memcpy(&x, a, 8);
		memcpy(&y, b, 8);
		if (x != y)
			return false;
	}
	for (; len; a++, b++, len--) {
		if (*a != *b)
			return false;
	}
	return true;
}

static bool
ctx_eq(const struct tally_ctx *ctx, const struct tally_ctx_key *k)
{
	return ctx->name_len == k->name.len && ctx->host_len == k->host.len &&
	       ctx->n_key_tags == k->n_key_tags && bytes_eq(ctx->data, k->name.ptr, k->name.len) &&
	       bytes_eq(tally_ctx_host(ctx), k->host.ptr, k->host.len);
}

struct tally_ctx *
tally_ctx_table_find(const struct tally_ctx_table *t, const struct tally_ctx_key *k)
{
	const struct slot *s;

	for (size_t i = k->hash & t->mask;; i = (i + 1) & t->mask) {
		s = &t->slots[i];
		if (!s->ctx)
			return NULL;
		if (s->hash == k->hash && ctx_eq(s->ctx, k))
			return s->ctx;
	}
}

static char *
put_str(char *p, const char *s, size_t len)
{
	if (len)
		memcpy(p, s, len);
	p[len] = '\0';
	return p + len + 1;
}

/* One allocation: header, name, host, then the sorted union of sample and extra tags. */
static struct tally_ctx *
ctx_new(const struct tally_ctx_table *t, const struct tally_sample *s,
        const struct tally_ctx_key *k)
{
	size_t n = s->n_tags + t->n_extra, bytes = k->name.len + 1 + k->host.len + 1;
	struct tally_slice *all = tally_xmalloc(n * sizeof(*all));
	struct tally_ctx *ctx;
	char *p;

	if (s->n_tags)
		memcpy(all, s->tags, s->n_tags * sizeof(*all));
	if (t->n_extra)
		memcpy(all + s->n_tags, t->extra, t->n_extra * sizeof(*all));
	n = tally_slices_sort_unique(all, n);
	for (size_t i = 0; i < n; i++)
		bytes += all[i].len + 1;
	ctx = tally_xcalloc(1, sizeof(*ctx) + bytes);
	ctx->name_len = (uint32_t)k->name.len;
	ctx->host_len = (uint32_t)k->host.len;
	ctx->n_key_tags = k->n_key_tags;
	ctx->n_tags = (uint32_t)n;
	p = put_str(ctx->data, k->name.ptr, k->name.len);
	p = put_str(p, k->host.ptr, k->host.len);
	for (size_t i = 0; i < n; i++)
		p = put_str(p, all[i].ptr, all[i].len);
	free(all);
	return ctx;
}

void
tally_ctx_free(struct tally_ctx *ctx)
{
	free(ctx);
}

void
tally_ctx_table_export(struct tally_ctx_table *t, const struct tally_ctx *ctx,
                       struct tally_batch *b, struct tally_ctx_strings *out)
{
	const char *p = tally_ctx_tags(ctx), *copy;

	if (ctx->n_tags > t->cap_ptrs) {
		t->cap_ptrs = ctx->n_tags * 2;
		t->ptrs = tally_xrealloc(t->ptrs, t->cap_ptrs * sizeof(*t->ptrs));
	}
	for (uint32_t i = 0; i < ctx->n_tags; i++) {
		t->ptrs[i] = p;
		p += strlen(p) + 1;
	}
	copy = tally_batch_strndup(b, ctx->data, (size_t)(p - ctx->data));
	for (uint32_t i = 0; i < ctx->n_tags; i++)
		t->ptrs[i] = copy + (t->ptrs[i] - ctx->data);
	out->name = copy;
	out->host = copy + ctx->name_len + 1;
	out->tags = tally_batch_copy_ptrs(b, t->ptrs, ctx->n_tags);
	out->n_tags = ctx->n_tags;
}

static void
slots_put(struct slot *slots, size_t mask, uint64_t hash, struct tally_ctx *ctx)
{
	size_t i = hash & mask;

	while (slots[i].ctx)
		i = (i + 1) & mask;
	slots[i].hash = hash;
	slots[i].ctx = ctx;
}

static void
table_grow(struct tally_ctx_table *t)
{
	size_t cap = (t->mask + 1) * 2;
	struct slot *slots = tally_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i].ctx)
			slots_put(slots, cap - 1, t->slots[i].hash, t->slots[i].ctx);
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
}

struct tally_ctx *
tally_ctx_table_create(struct tally_ctx_table *t, const struct tally_sample *s,
                       const struct tally_ctx_key *k, bool insert)
{
	struct tally_ctx *ctx = ctx_new(t, s, k);

	if (!insert)
		return ctx;
	/* Grow past 0.7 load: probe runs stay short and an empty slot always ends them. */
	if ((t->n + 1) * 10 > (t->mask + 1) * 7)
		table_grow(t);
	slots_put(t->slots, t->mask, k->hash, ctx);
	t->n++;
	return ctx;
}

/*
 * Empties slot i, then pulls back each later entry of the run that may live at the hole (its
 * home is not cyclically within (hole, j]), so every probe still reaches its entry.
 */
static void
slot_delete(struct tally_ctx_table *t, size_t i)
{
	size_t mask = t->mask;

	for (size_t j = (i + 1) & mask; t->slots[j].ctx; j = (j + 1) & mask) {
		size_t home = t->slots[j].hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i].ctx = NULL;
	t->slots[i].hash = 0;
	t->n--;
}

size_t
tally_ctx_table_sweep(struct tally_ctx_table *t, bool (*visit)(struct tally_ctx *ctx, void *arg),
                      void *arg)
{
	size_t start = 0, removed = 0, cap = t->mask + 1;

	/*
	 * Start just after an empty slot: no run crosses it, and deletion only moves entries
	 * backwards within their run, so an entry pulled into the current slot has not been
	 * visited yet and every entry is visited exactly once.
	 */
	while (t->slots[start].ctx)
		start++;
	for (size_t k = 1; k <= cap; k++) {
		size_t i = (start + k) & t->mask;

		while (t->slots[i].ctx && visit(t->slots[i].ctx, arg)) {
			slot_delete(t, i);
			removed++;
		}
	}
	return removed;
}
