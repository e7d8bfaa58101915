#include "ctx_index.h"

#include <stdlib.h>

#include "xmem.h"

static void
set_ctrl(struct tally_ctx_index *ix, size_t i, uint8_t v)
{
	ix->ctrl[i] = v;
	if (i < TALLY_CTX_GROUP - 1)
		ix->ctrl[ix->mask + 1 + i] = v;
}

void
tally_ctx_index_init(struct tally_ctx_index *ix, size_t capacity)
{
	ix->slots = tally_xcalloc(capacity, sizeof(*ix->slots));
	ix->ctrl = tally_xcalloc(capacity + TALLY_CTX_GROUP - 1, 1);
	ix->mask = capacity - 1;
	ix->n = 0;
}

void
tally_ctx_index_free(struct tally_ctx_index *ix)
{
	free(ix->slots);
	free(ix->ctrl);
}

/* The first empty slot from hash's home on. */
static void
place(struct tally_ctx_index *ix, uint64_t hash, struct tally_ctx *ctx)
{
	size_t pos = hash & ix->mask, i;
	uint64_t empty;

	while (!(empty = tally_swar_zero_bytes(tally_ctx_group(ix, pos))))
		pos = (pos + TALLY_CTX_GROUP) & ix->mask;
	i = (pos + (size_t)__builtin_ctzll(empty) / 8) & ix->mask;
	ix->slots[i] = ctx;
	set_ctrl(ix, i, tally_ctx_h2(hash));
}

static void
grow(struct tally_ctx_index *ix)
{
	struct tally_ctx_index old = *ix;

	tally_ctx_index_init(ix, (old.mask + 1) * 2);
	/* The hashes are in the contexts: load a few slots ahead, since they miss the caches. */
	for (size_t i = 0; i <= old.mask; i++) {
		if (i + 8 <= old.mask && old.slots[i + 8])
			__builtin_prefetch(old.slots[i + 8]);
		if (old.slots[i])
			place(ix, tally_ctx_hash_of(old.slots[i]), old.slots[i]);
	}
	ix->n = old.n;
	tally_ctx_index_free(&old);
}

void
tally_ctx_index_put(struct tally_ctx_index *ix, uint64_t hash, struct tally_ctx *ctx)
{
	/*
	 * At most 0.7 full. With a slot-by-slot probe, lookups at 0.6 load cost 10% more than at
	 * 0.3 (bench/ingest, 10k contexts); with the group probe and the receiver prefetching the
	 * slot and the context ahead, the load no longer shows (equal at 10k-16k contexts), and
	 * the smaller arrays win at 100k.
	 */
	if ((ix->n + 1) * 10 > (ix->mask + 1) * 7)
		grow(ix);
	place(ix, hash, ctx);
	ix->n++;
}

/*
 * Empties slot i, then pulls back each later entry of the run that may live at the hole (its
 * home is not cyclically within (hole, j]), so every probe still reaches its entry.
 */
static void
delete_at(struct tally_ctx_index *ix, size_t i)
{
	size_t mask = ix->mask;

	for (size_t j = (i + 1) & mask; ix->slots[j]; j = (j + 1) & mask) {
		size_t home = tally_ctx_hash_of(ix->slots[j]) & mask;

		if (((j - home) & mask) >= ((j - i) & mask)) {
			ix->slots[i] = ix->slots[j];
			set_ctrl(ix, i, ix->ctrl[j]);
			i = j;
		}
	}
	ix->slots[i] = NULL;
	set_ctrl(ix, i, 0);
	ix->n--;
}

size_t
tally_ctx_index_sweep(struct tally_ctx_index *ix, bool (*visit)(struct tally_ctx *ctx, void *arg),
                      void *arg)
{
	size_t start = 0, removed = 0, cap = ix->mask + 1;

	/*
	 * Start just after an empty slot: no run crosses it, and deletion only moves entries
	 * backwards within their run, so an entry pulled into the current slot has not been
	 * visited yet and every entry is visited exactly once.
	 */
	while (ix->slots[start])
		start++;
	for (size_t k = 1; k <= cap; k++) {
		size_t i = (start + k) & ix->mask;

		while (ix->slots[i] && visit(ix->slots[i], arg)) {
			delete_at(ix, i);
			removed++;
		}
	}
	return removed;
}
