#include "tagset.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#include "ctx_slab.h"
#include "xmem.h"

#define TABLE_MIN_CAP 64

struct tally_tagset_table {
	struct tally_ctx_slab *slab;
	struct tally_tagset **slots; /* NULL: empty */
	size_t mask, n;
	char *scratch; /* the canonical bytes of the set being interned */
	size_t cap_scratch;
};

struct tally_tagset_table *
tally_tagset_table_new(struct tally_ctx_slab *slab)
{
	struct tally_tagset_table *t = tally_xcalloc(1, sizeof(*t));

	t->slab = slab;
	t->slots = tally_xcalloc(TABLE_MIN_CAP, sizeof(*t->slots));
	t->mask = TABLE_MIN_CAP - 1;
	return t;
}

static size_t
alloc_bytes(const struct tally_tagset *ts)
{
	return sizeof(*ts) + ts->data_len;
}

void
tally_tagset_table_free(struct tally_tagset_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i])
			tally_ctx_slab_free(t->slab, t->slots[i], alloc_bytes(t->slots[i]));
	free(t->slots);
	free(t->scratch);
	free(t);
}

size_t
tally_tagset_table_count(const struct tally_tagset_table *t)
{
	return t->n;
}

/* host \0 tag \0 ... into the scratch; returns its length. */
static size_t
canonical(struct tally_tagset_table *t, struct tally_slice host, const struct tally_slice *tags,
          size_t n)
{
	size_t len = host.len + 1, w;

	for (size_t i = 0; i < n; i++)
		len += tags[i].len + 1;
	t->scratch = tally_xgrow(t->scratch, &t->cap_scratch, len, 1, 256);
	memcpy(t->scratch, host.ptr, host.len);
	t->scratch[host.len] = '\0';
	w = host.len + 1;
	for (size_t i = 0; i < n; i++) {
		memcpy(t->scratch + w, tags[i].ptr, tags[i].len);
		w += tags[i].len;
		t->scratch[w++] = '\0';
	}
	return len;
}

static bool
same(const struct tally_tagset *ts, uint64_t hash, const char *data, size_t len, size_t n_tags,
     uint32_t n_key_tags, size_t host_len)
{
	return ts->hash == hash && ts->data_len == len && ts->n_tags == n_tags &&
	       ts->n_key_tags == n_key_tags && ts->host_len == host_len &&
	       memcmp(ts->data, data, len) == 0;
}

static void
place(struct tally_tagset **slots, size_t mask, struct tally_tagset *ts)
{
	size_t i = ts->hash & mask;

	while (slots[i])
		i = (i + 1) & mask;
	slots[i] = ts;
}

static void
grow(struct tally_tagset_table *t)
{
	size_t cap = (t->mask + 1) * 2;
	struct tally_tagset **slots = tally_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i <= t->mask; i++)
		if (t->slots[i])
			place(slots, cap - 1, t->slots[i]);
	free(t->slots);
	t->slots = slots;
	t->mask = cap - 1;
}

const struct tally_tagset *
tally_tagset_intern(struct tally_tagset_table *t, struct tally_slice host,
                    const struct tally_slice *tags, size_t n, uint32_t n_key_tags)
{
	size_t len = canonical(t, host, tags, n);
	uint64_t hash = XXH3_64bits_withSeed(t->scratch, len, n_key_tags);
	struct tally_tagset *ts;

	for (size_t i = hash & t->mask; (ts = t->slots[i]); i = (i + 1) & t->mask) {
		if (same(ts, hash, t->scratch, len, n, n_key_tags, host.len)) {
			ts->refs++;
			return ts;
		}
	}
	ts = tally_ctx_slab_alloc(t->slab, sizeof(*ts) + len);
	ts->hash = hash;
	ts->refs = 1;
	ts->data_len = (uint32_t)len;
	ts->n_tags = (uint32_t)n;
	ts->n_key_tags = n_key_tags;
	ts->host_len = (uint32_t)host.len;
	memcpy(ts->data, t->scratch, len);
	/* At most 0.7 full, like the context index. */
	if ((t->n + 1) * 10 > (t->mask + 1) * 7)
		grow(t);
	place(t->slots, t->mask, ts);
	t->n++;
	return ts;
}

/* Empties slot i and pulls back the later entries of its run that may live there. */
static void
delete_at(struct tally_tagset_table *t, size_t i)
{
	size_t mask = t->mask;

	for (size_t j = (i + 1) & mask; t->slots[j]; j = (j + 1) & mask) {
		size_t home = t->slots[j]->hash & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			t->slots[i] = t->slots[j];
			i = j;
		}
	}
	t->slots[i] = NULL;
	t->n--;
}

void
tally_tagset_release(struct tally_tagset_table *t, const struct tally_tagset *cts)
{
	struct tally_tagset *ts = (struct tally_tagset *)cts;

	if (!ts || --ts->refs)
		return;
	for (size_t i = ts->hash & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
		if (t->slots[i] == ts) {
			delete_at(t, i);
			break;
		}
	}
	tally_ctx_slab_free(t->slab, ts, alloc_bytes(ts));
}
