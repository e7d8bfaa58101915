#include "uset.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Header-only XXH3: short keys hash several times faster inlined than through libxxhash.so. */
#define XXH_INLINE_ALL
#include <xxhash.h>

#include "xmem.h"

#define USET_SEED     0x5e7a11e55e7a11e5ULL
#define USET_MIN_CAP  8
#define USET_KEEP_CAP 256

/* slots hold member hashes; 0 marks an empty slot, so a member hashing to 0 is stored as 1. */
struct tally_uset {
	uint64_t *slots;
	size_t cap, n;
};

struct tally_uset *
tally_uset_new(void)
{
	return tally_xcalloc(1, sizeof(struct tally_uset));
}

void
tally_uset_free(struct tally_uset *u)
{
	if (!u)
		return;
	free(u->slots);
	free(u);
}

/* Returns true if h was inserted, false if it was already there. */
static bool
slot_insert(uint64_t *slots, size_t cap, uint64_t h)
{
	size_t mask = cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		if (slots[i] == h)
			return false;
		if (slots[i] == 0) {
			slots[i] = h;
			return true;
		}
	}
}

static void
uset_grow(struct tally_uset *u)
{
	size_t cap = u->cap ? u->cap * 2 : USET_MIN_CAP;
	uint64_t *slots = tally_xcalloc(cap, sizeof(*slots));

	for (size_t i = 0; i < u->cap; i++)
		if (u->slots[i])
			slot_insert(slots, cap, u->slots[i]);
	free(u->slots);
	u->slots = slots;
	u->cap = cap;
}

bool
tally_uset_add(struct tally_uset *u, const char *member, size_t len)
{
	uint64_t h = XXH3_64bits_withSeed(member, len, USET_SEED);

	if (h == 0)
		h = 1;
	/* Grow at 3/4 load, which also guarantees an empty slot for the probe to stop at. */
	if ((u->n + 1) * 4 > u->cap * 3)
		uset_grow(u);
	if (!slot_insert(u->slots, u->cap, h))
		return false;
	u->n++;
	return true;
}

size_t
tally_uset_count(const struct tally_uset *u)
{
	return u->n;
}

void
tally_uset_reset(struct tally_uset *u)
{
	if (u->cap > USET_KEEP_CAP) {
		free(u->slots);
		u->slots = NULL;
		u->cap = 0;
	} else if (u->slots) {
		memset(u->slots, 0, u->cap * sizeof(*u->slots));
	}
	u->n = 0;
}
