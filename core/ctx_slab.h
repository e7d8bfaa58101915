/*
 * ctx_slab: where the aggregator's contexts and tag sets live.
 *
 * A million contexts of 40 bytes each cost 48 MB through malloc (an 8-byte size field, then
 * rounding to 16) and more once the receiver's arena is fragmented by flush batches between
 * them. Here small objects are carved from 64 KiB blocks in 8-byte steps with no header; a
 * freed one goes on the free list of its size and is reused by the next object of that size.
 * The caller passes the size back to tally_ctx_slab_free() (a context knows its own length).
 * Blocks are only given back when the slab is finished: memory is bounded by the context limit,
 * and what a wave of expiries frees is what the next wave of new contexts reuses.
 * Objects above TALLY_CTX_SLAB_MAX_OBJ bytes go to malloc.
 *
 * One owner thread (the aggregator's); nothing here locks.
 */
#ifndef TALLY_CORE_CTX_SLAB_H
#define TALLY_CORE_CTX_SLAB_H

#include <stddef.h>

#define TALLY_CTX_SLAB_MAX_OBJ 512
#define TALLY_CTX_SLAB_ALIGN   8

struct tally_slab_block;

struct tally_ctx_slab {
	struct tally_slab_block *blocks; /* newest first; objects are bumped from the first */
	size_t used;                     /* bytes bumped in the first block */
	void *free_list[TALLY_CTX_SLAB_MAX_OBJ / TALLY_CTX_SLAB_ALIGN];
	size_t bytes_live;   /* what callers hold, rounded up to 8 */
	size_t bytes_blocks; /* what the blocks take */
};

void tally_ctx_slab_init(struct tally_ctx_slab *s);
/* Frees every block; objects still out are gone with them (large ones are the caller's). */
void tally_ctx_slab_fini(struct tally_ctx_slab *s);
/* Returns size bytes (> 0), 8-aligned, uninitialized; never NULL. */
void *tally_ctx_slab_alloc(struct tally_ctx_slab *s, size_t size);
/* Gives back p, allocated with the same size. Accepts NULL. */
void tally_ctx_slab_free(struct tally_ctx_slab *s, void *p, size_t size);

#endif
