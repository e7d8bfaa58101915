/*
 * tagset: interned host + tag sets, shared by every context that has the same ones.
 *
 * Most contexts differ only by name: a million gauges sent with `#env:prod,svc:api` and the
 * agent's host carry the same host and tags, so each context points to one shared tag set
 * instead of holding its own copy. A tag set is the host, the sorted unique tags (extra tags
 * merged in) and the count of distinct sample tags that went into a context's key hash; it is
 * reference counted by the contexts that use it and freed, and dropped from the table, when
 * the last one goes. The table is open addressing (linear probing, backward-shift deletion)
 * over pointers; each tag set keeps its own hash.
 *
 * Tag sets are carved from the caller's ctx_slab. One owner thread, like the aggregator.
 */
#ifndef TALLY_CORE_TAGSET_H
#define TALLY_CORE_TAGSET_H

#include <stddef.h>
#include <stdint.h>

#include "sample.h"

struct tally_ctx_slab;

struct tally_tagset {
	uint64_t hash;
	uint32_t refs;
	uint32_t data_len;   /* bytes of data[] */
	uint32_t n_tags;     /* stored tags */
	uint32_t n_key_tags; /* distinct sample tags in the key hash of its contexts */
	uint32_t host_len;
	char data[]; /* host \0 tag \0 tag \0 ... */
};

static inline const char *
tally_tagset_host(const struct tally_tagset *ts)
{
	return ts->data;
}

/* The first tag; each next one starts after the previous one's NUL. */
static inline const char *
tally_tagset_tags(const struct tally_tagset *ts)
{
	return ts->data + ts->host_len + 1;
}

struct tally_tagset_table;

/* Returns a new empty table whose tag sets come from slab (borrowed; it outlives the table). */
struct tally_tagset_table *tally_tagset_table_new(struct tally_ctx_slab *slab);
/* Frees the table and any tag set still in it. Accepts NULL. */
void tally_tagset_table_free(struct tally_tagset_table *t);
size_t tally_tagset_table_count(const struct tally_tagset_table *t);

/*
 * Returns the tag set of host, tags (sorted and unique, n of them) and n_key_tags, holding one
 * more reference to it: the existing one, or a new one with copies of the strings. Borrows the
 * arguments.
 */
const struct tally_tagset *tally_tagset_intern(struct tally_tagset_table *t,
                                               struct tally_slice host,
                                               const struct tally_slice *tags, size_t n,
                                               uint32_t n_key_tags);
/* Drops one reference; the last one frees ts and removes it from t. Accepts NULL. */
void tally_tagset_release(struct tally_tagset_table *t, const struct tally_tagset *ts);

#endif
