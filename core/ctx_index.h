/*
 * ctx_index: the open-addressing map from a context's 64-bit key hash to the context, under
 * ctx_table. Linear probing from the hash's home slot, with backward-shift deletion (no
 * tombstones), so an entry always lies between its home and the next empty slot.
 *
 * Next to the slots, one control byte per slot holds 0 for empty or 0x80 | the hash's top seven
 * bits. A lookup reads eight control bytes at once and visits only the slots whose byte matches,
 * so it takes one well-predicted branch however long the probe run is, where a slot-by-slot
 * probe mispredicts at every run of uncertain length. The idea is Abseil's SwissTable, here in
 * plain 64-bit words (no SIMD) over a linear-probing layout.
 *
 * A slot is only the context's address: every context starts with its 64-bit key hash, which
 * the index reads there (tally_ctx_hash_of()). Eight bytes a slot instead of sixteen: at a
 * million contexts (2^21 slots) that is 17 MB less, and 26 MB less while growing, when the old
 * and new arrays coexist. A lookup that hits reads the context anyway; the control byte keeps
 * the other reads to one in 128 slots of its run.
 *
 * One owner thread; nothing here locks.
 */
#ifndef TALLY_CORE_CTX_INDEX_H
#define TALLY_CORE_CTX_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "swar.h"

struct tally_ctx;

#define TALLY_CTX_GROUP 8 /* control bytes read per step */

struct tally_ctx_index {
	/* mask + 1 + TALLY_CTX_GROUP - 1 bytes: the last ones mirror the first, so a group read
	 * near the end needs no wrap. */
	uint8_t *ctrl;
	struct tally_ctx **slots; /* NULL: empty */
	size_t mask;              /* capacity - 1; capacity a power of two >= TALLY_CTX_GROUP */
	size_t n;
};

/* Where one lookup stands: call tally_ctx_probe_start(), then _next() until NULL. */
struct tally_ctx_probe {
	uint64_t hash, match, empty;
	size_t pos;
	uint8_t h2;
};

void tally_ctx_index_init(struct tally_ctx_index *ix, size_t capacity);
void tally_ctx_index_free(struct tally_ctx_index *ix);
/* Adds ctx, which starts with hash (not there yet), first growing past 0.7 load. */
void tally_ctx_index_put(struct tally_ctx_index *ix, uint64_t hash, struct tally_ctx *ctx);
/* As tally_ctx_table_sweep(): visit each entry once, remove those it returns true for. */
size_t tally_ctx_index_sweep(struct tally_ctx_index *ix,
                             bool (*visit)(struct tally_ctx *ctx, void *arg), void *arg);

/* The key hash every context starts with. */
static inline uint64_t
tally_ctx_hash_of(const struct tally_ctx *ctx)
{
	uint64_t h;

	memcpy(&h, ctx, sizeof(h));
	return h;
}

/* Eight control bytes from i, byte j of the group in bits 8j..8j+7 whatever the endianness. */
static inline uint64_t
tally_ctx_group(const struct tally_ctx_index *ix, size_t i)
{
	uint64_t w;

	memcpy(&w, ix->ctrl + i, sizeof(w));
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	w = __builtin_bswap64(w);
#endif
	return w;
}

static inline uint8_t
tally_ctx_h2(uint64_t hash)
{
	return (uint8_t)(0x80 | (hash >> 57));
}

static inline void
tally_ctx_probe_load(const struct tally_ctx_index *ix, struct tally_ctx_probe *p)
{
	uint64_t w = tally_ctx_group(ix, p->pos);

	p->empty = tally_swar_zero_bytes(w);
	p->match = tally_swar_zero_bytes(w ^ tally_swar_repeat(p->h2));
	/* Entries past the first empty slot belong to other runs. */
	if (p->empty)
		p->match &= (p->empty & (0 - p->empty)) - 1;
}

static inline void
tally_ctx_probe_start(const struct tally_ctx_index *ix, struct tally_ctx_probe *p, uint64_t hash)
{
	p->hash = hash;
	p->h2 = tally_ctx_h2(hash);
	p->pos = hash & ix->mask;
	tally_ctx_probe_load(ix, p);
}

/*
 * The next context whose control byte matches p->hash's, or NULL when there is none left; it
 * is a candidate only: the caller compares its hash. Reads no context.
 */
static inline struct tally_ctx *
tally_ctx_probe_candidate(const struct tally_ctx_index *ix, struct tally_ctx_probe *p)
{
	for (;;) {
		if (p->match) {
			size_t i = (p->pos + (size_t)__builtin_ctzll(p->match) / 8) & ix->mask;

			p->match &= p->match - 1;
			return ix->slots[i];
		}
		if (p->empty)
			return NULL;
		p->pos = (p->pos + TALLY_CTX_GROUP) & ix->mask;
		tally_ctx_probe_load(ix, p);
	}
}

/* The next context stored under exactly p->hash, or NULL when there is none left. */
static inline struct tally_ctx *
tally_ctx_probe_next(const struct tally_ctx_index *ix, struct tally_ctx_probe *p)
{
	struct tally_ctx *ctx;

	while ((ctx = tally_ctx_probe_candidate(ix, p)))
		if (tally_ctx_hash_of(ctx) == p->hash)
			return ctx;
	return NULL;
}

/* Starts loading what a lookup of hash reads first: its control bytes and home slot. */
static inline void
tally_ctx_index_prefetch(const struct tally_ctx_index *ix, uint64_t hash)
{
	size_t i = hash & ix->mask;

	__builtin_prefetch(ix->ctrl + i);
	__builtin_prefetch(&ix->slots[i]);
}

#endif
