/*
 * ctx_index: the open-addressing hash -> context map under ctx_table. The contexts are opaque
 * here: addresses of a local pool's elements, each holding its hash (the index reads a
 * context's first eight bytes as its hash, and nothing else). Besides lookups,
 * every test checks the layout itself (control bytes, their mirror past the end, no hole inside
 * a probe run) so that a broken invariant is caught where it is made, not lookups later.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctx_index.h"

#define POOL_SIZE 16384

static uint64_t pool[POOL_SIZE];
static unsigned visits[POOL_SIZE];

static struct tally_ctx *
ctx_of(size_t id)
{
	return (struct tally_ctx *)&pool[id];
}

static size_t
id_of(const struct tally_ctx *ctx)
{
	return (size_t)((const uint64_t *)ctx - pool);
}

/* Puts pool element id, which holds its hash as a context does. */
static void
put_id(struct tally_ctx_index *ix, uint64_t hash, size_t id)
{
	pool[id] = hash;
	tally_ctx_index_put(ix, hash, ctx_of(id));
}

/* splitmix64: a fixed seed gives the same sequence everywhere. */
static uint64_t
rnd(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Everything the probe stored under hash, in probe order; returns how many (at most max). */
static size_t
probe_all(const struct tally_ctx_index *ix, uint64_t hash, size_t *ids, size_t max)
{
	struct tally_ctx_probe p;
	struct tally_ctx *ctx;
	size_t n = 0;

	tally_ctx_index_prefetch(ix, hash);
	tally_ctx_probe_start(ix, &p, hash);
	while ((ctx = tally_ctx_probe_next(ix, &p))) {
		assert_true(n < max);
		ids[n++] = id_of(ctx);
	}
	/* Exhausted stays exhausted. */
	assert_null(tally_ctx_probe_next(ix, &p));
	return n;
}

/* The one context under hash, or NULL; fails when there are several. */
static struct tally_ctx *
find_one(const struct tally_ctx_index *ix, uint64_t hash)
{
	size_t ids[2], n = probe_all(ix, hash, ids, 2);

	assert_true(n <= 1);
	return n ? ctx_of(ids[0]) : NULL;
}

/*
 * The layout: n matches the occupied slots, at most 0.7 full, each control byte is 0 or the
 * hash's h2, the last TALLY_CTX_GROUP - 1 are mirrored past the end, and no empty slot lies
 * between an entry and its home (else a probe would stop short of it).
 */
static void
check_layout(const struct tally_ctx_index *ix)
{
	size_t cap = ix->mask + 1, used = 0;

	assert_true(cap >= TALLY_CTX_GROUP);
	assert_int_equal(cap & ix->mask, 0);
	for (size_t i = 0; i < cap; i++) {
		struct tally_ctx *ctx = ix->slots[i];
		uint64_t hash = ctx ? tally_ctx_hash_of(ctx) : 0;

		if (!ctx) {
			assert_int_equal(ix->ctrl[i], 0);
			continue;
		}
		used++;
		assert_int_equal(ix->ctrl[i], 0x80 | (hash >> 57));
		for (size_t j = hash & ix->mask; j != i; j = (j + 1) & ix->mask)
			assert_non_null(ix->slots[j]);
	}
	for (size_t i = 0; i < TALLY_CTX_GROUP - 1; i++)
		assert_int_equal(ix->ctrl[cap + i], ix->ctrl[i]);
	assert_int_equal(used, ix->n);
	assert_true(ix->n * 10 <= cap * 7);
}

/* A hash with the given home slot bits, h2 bits (top 7) and anything in between. */
static uint64_t
hash_with(uint64_t low, unsigned top7, uint64_t mid)
{
	return ((uint64_t)top7 << 57) | ((mid << 20) & ((1ULL << 57) - 1)) | low;
}

static void
test_init_empty(void **state)
{
	struct tally_ctx_index ix;

	tally_ctx_index_init(&ix, 8);
	assert_int_equal(ix.mask, 7);
	assert_int_equal(ix.n, 0);
	check_layout(&ix);
	assert_null(find_one(&ix, 0));
	assert_null(find_one(&ix, 7));
	assert_null(find_one(&ix, UINT64_MAX));
	tally_ctx_index_free(&ix);
}

static void
test_put_find_across_grows(void **state)
{
	enum { N = 5000 };
	static uint64_t hashes[N];
	struct tally_ctx_index ix;
	uint64_t seed = 42;
	size_t last_cap = 8, grows = 0;

	tally_ctx_index_init(&ix, 8);
	for (size_t i = 0; i < N; i++) {
		hashes[i] = rnd(&seed);
		put_id(&ix, hashes[i], i);
		assert_int_equal(ix.n, i + 1);
		if (ix.mask + 1 != last_cap) {
			/* Doubled exactly when one more would pass 0.7 full. */
			assert_int_equal(ix.mask + 1, last_cap * 2);
			assert_int_equal(i + 1, last_cap * 7 / 10 + 1);
			last_cap = ix.mask + 1;
			grows++;
			check_layout(&ix);
			for (size_t j = 0; j <= i; j++)
				assert_ptr_equal(find_one(&ix, hashes[j]), ctx_of(j));
		}
	}
	assert_true(grows >= 10);
	assert_int_equal(ix.mask + 1, 8192); /* 5000 > 2867 = 4096 * 0.7, <= 5734 */
	check_layout(&ix);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(find_one(&ix, hashes[i]), ctx_of(i));
	for (size_t i = 0; i < 20000; i++)
		assert_null(find_one(&ix, rnd(&seed)));
	/* Near misses: one bit off in the home bits, the h2 bits or in between. */
	for (size_t i = 0; i < N; i += 7) {
		assert_null(find_one(&ix, hashes[i] ^ 1));
		assert_null(find_one(&ix, hashes[i] ^ (1ULL << 63)));
		assert_null(find_one(&ix, hashes[i] ^ (1ULL << 40)));
	}
	tally_ctx_index_free(&ix);
}

/* Put all, check layout and every lookup, then check some absent hashes. */
static void
put_and_check(struct tally_ctx_index *ix, const uint64_t *hashes, size_t n, size_t first_id)
{
	for (size_t i = 0; i < n; i++)
		put_id(ix, hashes[i], first_id + i);
	check_layout(ix);
	for (size_t i = 0; i < n; i++)
		assert_ptr_equal(find_one(ix, hashes[i]), ctx_of(first_id + i));
}

static void
test_same_home_slot(void **state)
{
	enum { N = 40 };
	uint64_t hashes[N];
	struct tally_ctx_index ix;

	/* One home, different h2 and middle bits: one run of 40 across six groups. */
	tally_ctx_index_init(&ix, 1024);
	for (size_t i = 0; i < N; i++)
		hashes[i] = hash_with(5, (unsigned)(i * 3) & 0x7f, i);
	put_and_check(&ix, hashes, N, 0);
	assert_int_equal(ix.mask, 1023);
	for (size_t i = 0; i < N; i++)
		assert_non_null(ix.slots[5 + i]);
	assert_null(ix.slots[5 + N]);
	assert_null(find_one(&ix, hash_with(5, 1, 999)));
	assert_null(find_one(&ix, hash_with(6, 0, 0)));
	tally_ctx_index_free(&ix);
}

static void
test_same_home_and_h2(void **state)
{
	enum { N = 40 };
	uint64_t hashes[N];
	struct tally_ctx_index ix;

	/* Every control byte in the run matches: only the full hash tells them apart. */
	tally_ctx_index_init(&ix, 1024);
	for (size_t i = 0; i < N; i++)
		hashes[i] = hash_with(1017, 0x55, i + 1);
	put_and_check(&ix, hashes, N, 100);
	for (size_t i = 0; i < N; i++)
		assert_int_equal(ix.ctrl[(1017 + i) & 1023], tally_ctx_h2(hashes[0]));
	/* Same home and h2, absent: scans every match, then stops at the run's end. */
	assert_null(find_one(&ix, hash_with(1017, 0x55, 1000)));
	assert_null(find_one(&ix, hash_with(1017, 0x55, 0)));
	/* An h2 twin elsewhere, inside the run but with another home. */
	assert_null(find_one(&ix, hash_with(1020, 0x55, 3)));
	tally_ctx_index_free(&ix);
}

static void
test_h2_twins_next_to_a_run(void **state)
{
	struct tally_ctx_index ix;
	uint64_t a = hash_with(2, 0x11, 1), b = hash_with(4, 0x11, 2), c = hash_with(3, 0x22, 3);

	/*
	 * a at 2, empty 3 until c arrives; b at 4 has a's h2 in the same group: the probe for an
	 * absent hash with home 2 and that h2 must stop at slot 3 before it, and find b only
	 * under b's own hash.
	 */
	tally_ctx_index_init(&ix, 16);
	put_id(&ix, a, 1);
	put_id(&ix, b, 2);
	check_layout(&ix);
	assert_null(find_one(&ix, hash_with(2, 0x11, 2 + (1ULL << 30))));
	assert_null(find_one(&ix, hash_with(2, 0x11, 2)));
	assert_ptr_equal(find_one(&ix, b), ctx_of(2));
	put_id(&ix, c, 3);
	check_layout(&ix);
	assert_ptr_equal(find_one(&ix, a), ctx_of(1));
	assert_ptr_equal(find_one(&ix, b), ctx_of(2));
	assert_ptr_equal(find_one(&ix, c), ctx_of(3));
	tally_ctx_index_free(&ix);
}

static void
test_wrap_around_cap8(void **state)
{
	struct tally_ctx_index ix;
	/* Homes 7, 7, 6, 7 land in slots 7, 0 (wrapped), 6 and 1 (after the wrapped run). */
	uint64_t hashes[4] = { hash_with(7, 1, 1), hash_with(7, 2, 2), hash_with(6, 3, 3),
		               hash_with(7, 1, 4) };

	tally_ctx_index_init(&ix, 8);
	put_and_check(&ix, hashes, 4, 10);
	assert_int_equal(ix.mask, 7); /* 4 of 8: no grow */
	assert_ptr_equal(ix.slots[7], ctx_of(10));
	assert_ptr_equal(ix.slots[0], ctx_of(11));
	assert_ptr_equal(ix.slots[6], ctx_of(12));
	assert_ptr_equal(ix.slots[1], ctx_of(13));
	/* The mirror: ctrl[8..14] repeats ctrl[0..6]. */
	assert_int_equal(ix.ctrl[8], tally_ctx_h2(hashes[1]));
	assert_int_equal(ix.ctrl[9], tally_ctx_h2(hashes[3]));
	assert_int_equal(ix.ctrl[14], tally_ctx_h2(hashes[2]));
	assert_null(find_one(&ix, hash_with(7, 1, 5)));
	assert_null(find_one(&ix, hash_with(0, 2, 2)));
	tally_ctx_index_free(&ix);
}

static void
test_wrap_around_cap16(void **state)
{
	enum { N = 8 };
	uint64_t hashes[N];
	struct tally_ctx_index ix;

	/* Homes 13, 14, 15, 15, ...: the run goes 13..15 then 0..4. */
	tally_ctx_index_init(&ix, 16);
	for (size_t i = 0; i < N; i++)
		hashes[i] = hash_with(i < 3 ? 13 + i : 15, (unsigned)(i % 2 ? 0x40 : 0x41), i);
	put_and_check(&ix, hashes, N, 20);
	assert_int_equal(ix.mask, 15);
	for (size_t i = 0; i < N; i++)
		assert_ptr_equal(ix.slots[(13 + i) & 15], ctx_of(20 + i));
	for (size_t i = 0; i < TALLY_CTX_GROUP - 1; i++)
		assert_int_equal(ix.ctrl[16 + i], ix.ctrl[i]);
	/* Home 1, inside the wrapped part of the run: absent, and the probe ends at slot 5. */
	assert_null(find_one(&ix, hash_with(1, 0x40, 1)));
	assert_null(find_one(&ix, hash_with(15, 0x41, 100)));
	tally_ctx_index_free(&ix);
}

/* ---- sweep ---- */

struct sweep_arg {
	const bool *remove; /* by id */
	size_t visited;
};

static bool
visit_by_table(struct tally_ctx *ctx, void *arg)
{
	struct sweep_arg *a = arg;
	size_t id = id_of(ctx);

	visits[id]++;
	a->visited++;
	return a->remove[id];
}

/*
 * Sweeps ix (entries ids[i] under hashes[i]) removing those with remove[id]; checks each was
 * visited once, the count, the survivors and the removed. Returns the survivors' count.
 */
static size_t
sweep_and_check(struct tally_ctx_index *ix, const uint64_t *hashes, const size_t *ids, size_t n,
                const bool *remove)
{
	struct sweep_arg a = { remove, 0 };
	size_t want_removed = 0, removed;

	for (size_t i = 0; i < n; i++) {
		visits[ids[i]] = 0;
		want_removed += remove[ids[i]];
	}
	removed = tally_ctx_index_sweep(ix, visit_by_table, &a);
	assert_int_equal(a.visited, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(visits[ids[i]], 1);
	assert_int_equal(removed, want_removed);
	assert_int_equal(ix->n, n - want_removed);
	check_layout(ix);
	for (size_t i = 0; i < n; i++) {
		size_t got[4], k = probe_all(ix, hashes[i], got, 4);
		bool there = false;

		for (size_t j = 0; j < k; j++)
			there |= got[j] == ids[i];
		assert_int_equal(there, !remove[ids[i]]);
	}
	return n - want_removed;
}

static void
test_sweep_every_other_then_all(void **state)
{
	enum { N = 3000 };
	static uint64_t hashes[N];
	static size_t ids[N], left_ids[N];
	static uint64_t left_hashes[N];
	static bool remove[POOL_SIZE];
	struct tally_ctx_index ix;
	uint64_t seed = 7;
	size_t left = 0;

	tally_ctx_index_init(&ix, 8);
	for (size_t i = 0; i < N; i++) {
		/* A third have homes 0..4 at any size: one long run, so deletions shift. */
		hashes[i] = i % 3 ? rnd(&seed) : (rnd(&seed) << 16) | (i % 5);
		ids[i] = i;
		remove[i] = i % 2;
	}
	put_and_check(&ix, hashes, N, 0);
	assert_int_equal(sweep_and_check(&ix, hashes, ids, N, remove), N / 2);
	for (size_t i = 0; i < N; i += 2) {
		left_hashes[left] = hashes[i];
		left_ids[left++] = i;
	}
	/* Nothing removed: each survivor visited once more, none lost. */
	memset(remove, 0, sizeof(remove));
	assert_int_equal(sweep_and_check(&ix, left_hashes, left_ids, left, remove), left);
	/* All of them. */
	for (size_t i = 0; i < N; i++)
		remove[i] = true;
	assert_int_equal(sweep_and_check(&ix, left_hashes, left_ids, left, remove), 0);
	assert_int_equal(ix.n, 0);
	for (size_t i = 0; i <= ix.mask + TALLY_CTX_GROUP - 1; i++)
		assert_int_equal(ix.ctrl[i], 0);
	/* And the emptied table takes them again. */
	put_and_check(&ix, hashes, N, 0);
	assert_int_equal(ix.n, N);
	tally_ctx_index_free(&ix);
}

/* Every subset of a wrapped run removed, in a table that never grows. */
static void
sweep_all_subsets(size_t cap, const uint64_t *hashes, size_t n)
{
	static bool remove[POOL_SIZE];
	size_t ids[16];
	struct tally_ctx_index ix;

	assert_true(n <= 16 && n * 2 <= cap);
	for (size_t i = 0; i < n; i++)
		ids[i] = 200 + i;
	for (unsigned subset = 0; subset < (1u << n); subset++) {
		tally_ctx_index_init(&ix, cap);
		put_and_check(&ix, hashes, n, 200);
		assert_int_equal(ix.mask + 1, cap);
		for (size_t i = 0; i < n; i++)
			remove[ids[i]] = subset >> i & 1;
		sweep_and_check(&ix, hashes, ids, n, remove);
		tally_ctx_index_free(&ix);
	}
}

static void
test_sweep_wrapped_runs(void **state)
{
	/* cap 8: homes 6, 7, 7, 0 -> slots 6 7 0 1, with slot 0 taken by a home-7 entry. */
	const uint64_t small[4] = { hash_with(6, 1, 1), hash_with(7, 2, 2), hash_with(7, 2, 3),
		                    hash_with(0, 3, 4) };
	/* cap 16: homes 12..15 and 0, 1 crowded into one run that wraps to slot 3. */
	const uint64_t big[8] = { hash_with(12, 9, 1), hash_with(14, 9, 2), hash_with(14, 9, 3),
		                  hash_with(15, 8, 4), hash_with(15, 8, 5), hash_with(0, 9, 6),
		                  hash_with(14, 7, 7), hash_with(1, 9, 8) };
	/* cap 16 with two runs: one wrapping, one in the middle. */
	const uint64_t two[8] = { hash_with(15, 1, 1), hash_with(15, 1, 2), hash_with(0, 1, 3),
		                  hash_with(7, 1, 4),  hash_with(7, 2, 5),  hash_with(8, 1, 6),
		                  hash_with(15, 3, 7), hash_with(1, 1, 8) };

	sweep_all_subsets(8, small, 4);
	sweep_all_subsets(16, big, 8);
	sweep_all_subsets(16, two, 8);
}

static void
test_sweep_random_small_tables(void **state)
{
	static bool remove[POOL_SIZE];
	uint64_t seed = 99, hashes[8];
	size_t ids[8];
	struct tally_ctx_index ix;

	/* Dense random homes in cap 16 (8 entries, the most before a grow): 3000 layouts. */
	for (int round = 0; round < 3000; round++) {
		tally_ctx_index_init(&ix, 16);
		for (size_t i = 0; i < 8; i++) {
			uint64_t r = rnd(&seed);

			hashes[i] = hash_with(r & 15, (unsigned)(r >> 8) & 3, r >> 16);
			ids[i] = 300 + i;
			remove[ids[i]] = rnd(&seed) & 1;
		}
		put_and_check(&ix, hashes, 8, 300);
		sweep_and_check(&ix, hashes, ids, 8, remove);
		tally_ctx_index_free(&ix);
	}
}

/* ---- the same hash more than once ---- */

static void
test_same_hash_twice(void **state)
{
	struct tally_ctx_index ix;
	const uint64_t h = hash_with(3, 0x33, 77);
	size_t got[4], n;
	bool remove[POOL_SIZE] = { false };
	uint64_t hashes[3] = { h, h, hash_with(3, 0x33, 78) };
	size_t ids[3] = { 1, 2, 3 };

	tally_ctx_index_init(&ix, 16);
	put_id(&ix, h, 1);
	put_id(&ix, hashes[2], 3);
	put_id(&ix, h, 2);
	check_layout(&ix);
	n = probe_all(&ix, h, got, 4);
	assert_int_equal(n, 2);
	assert_true((got[0] == 1 && got[1] == 2) || (got[0] == 2 && got[1] == 1));
	assert_ptr_equal(find_one(&ix, hashes[2]), ctx_of(3));
	/* Remove the first: the second is still there, alone. */
	remove[1] = true;
	sweep_and_check(&ix, hashes, ids, 3, remove);
	n = probe_all(&ix, h, got, 4);
	assert_int_equal(n, 1);
	assert_int_equal(got[0], 2);
	tally_ctx_index_free(&ix);
}

static void
test_same_hash_many_times_across_grow(void **state)
{
	struct tally_ctx_index ix;
	const uint64_t h = 0xdeadbeefcafef00dULL;
	size_t got[32], n, seen = 0;

	tally_ctx_index_init(&ix, 8);
	for (size_t i = 0; i < 20; i++)
		put_id(&ix, h, 500 + i);
	check_layout(&ix);
	assert_int_equal(ix.mask, 31); /* 20 <= 22 = 32 * 0.7 */
	n = probe_all(&ix, h, got, 32);
	assert_int_equal(n, 20);
	for (size_t i = 0; i < n; i++) {
		assert_true(got[i] >= 500 && got[i] < 520);
		seen |= (size_t)1 << (got[i] - 500);
	}
	assert_int_equal(seen, (1u << 20) - 1);
	tally_ctx_index_free(&ix);
}

/* ---- randomized against a reference ---- */

struct ref {
	uint64_t hash[POOL_SIZE];
	size_t id[POOL_SIZE];
	size_t n;
};

static int
cmp_hash_then_id(const void *a, const void *b)
{
	const uint64_t *x = a, *y = b;

	if (x[0] != y[0])
		return x[0] < y[0] ? -1 : 1;
	return (x[1] > y[1]) - (x[1] < y[1]);
}

static int
cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return (x > y) - (x < y);
}

/* Every hash of the reference yields exactly its contexts, and ix holds nothing else. */
static void
check_against_ref(const struct tally_ctx_index *ix, const struct ref *r)
{
	static uint64_t pairs[POOL_SIZE][2];
	size_t got[256];

	assert_int_equal(ix->n, r->n);
	check_layout(ix);
	for (size_t i = 0; i < r->n; i++) {
		pairs[i][0] = r->hash[i];
		pairs[i][1] = r->id[i];
	}
	qsort(pairs, r->n, sizeof(pairs[0]), cmp_hash_then_id);
	for (size_t i = 0, j; i < r->n; i = j) {
		size_t n;

		for (j = i; j < r->n && pairs[j][0] == pairs[i][0]; j++)
			;
		n = probe_all(ix, pairs[i][0], got, 256);
		assert_int_equal(n, j - i);
		qsort(got, n, sizeof(got[0]), cmp_size);
		for (size_t k = 0; k < n; k++)
			assert_int_equal(got[k], pairs[i + k][1]);
	}
}

/* Whether sweep number round removes id: a pure function, so the reference can follow. */
static bool
doomed(size_t id, unsigned round, unsigned percent)
{
	uint64_t s = ((uint64_t)round << 32) ^ id;

	return rnd(&s) % 100 < percent;
}

struct rsweep {
	unsigned round, percent;
	size_t visited;
};

static bool
visit_random(struct tally_ctx *ctx, void *arg)
{
	struct rsweep *a = arg;
	size_t id = id_of(ctx);

	visits[id]++;
	a->visited++;
	return doomed(id, a->round, a->percent);
}

static uint64_t
random_hash(uint64_t *seed, const uint64_t *hot)
{
	uint64_t r = rnd(seed);

	switch (r % 10) {
	case 0: /* the same hash again: several contexts under it */
		return hot[(r >> 8) % 32];
	case 1:
	case 2: /* homes mask - 3 .. mask and 0 .. 3 at any size up to 65536: a wrapping run */
		return (rnd(seed) << 17) | (0xfffc + ((r >> 8) & 7));
	case 3:
	case 4: /* one h2 for all */
		return (rnd(seed) & ((1ULL << 57) - 1)) | (0x2aULL << 57);
	default:
		return rnd(seed);
	}
}

static void
test_randomized_against_reference(void **state)
{
	static struct ref r;
	struct tally_ctx_index ix;
	uint64_t seed = 20240601, hot[32];
	size_t next_id = 0, puts = 0, sweeps = 0, removed_total = 0, max_n = 0;
	/* First the table fills (rare, light sweeps), then it mostly empties (heavy ones). */
	static const unsigned light[] = { 0, 1, 2, 5 }, heavy[] = { 30, 50, 90, 100 };

	for (size_t i = 0; i < 32; i++)
		hot[i] = rnd(&seed);
	r.n = 0;
	tally_ctx_index_init(&ix, 8);
	for (unsigned op = 0; op < 4000; op++) {
		bool filling = op < 2500;

		if (rnd(&seed) % 100 >= (filling ? 2u : 10u) && next_id < POOL_SIZE) {
			r.hash[r.n] = random_hash(&seed, hot);
			r.id[r.n] = next_id++;
			put_id(&ix, r.hash[r.n], r.id[r.n]);
			r.n++;
			puts++;
			if (r.n > max_n)
				max_n = r.n;
			if (op % 37 == 0)
				check_against_ref(&ix, &r);
			continue;
		}
		struct rsweep a = { op, (filling ? light : heavy)[rnd(&seed) % 4], 0 };
		size_t kept = 0, removed;

		for (size_t i = 0; i < r.n; i++)
			visits[r.id[i]] = 0;
		removed = tally_ctx_index_sweep(&ix, visit_random, &a);
		assert_int_equal(a.visited, r.n);
		for (size_t i = 0; i < r.n; i++) {
			assert_int_equal(visits[r.id[i]], 1);
			if (doomed(r.id[i], a.round, a.percent))
				continue;
			r.hash[kept] = r.hash[i];
			r.id[kept++] = r.id[i];
		}
		assert_int_equal(removed, r.n - kept);
		removed_total += removed;
		r.n = kept;
		sweeps++;
		check_against_ref(&ix, &r);
	}
	check_against_ref(&ix, &r);
	/* The sequence did what it is meant to: many puts, sweeps, removals and grows. */
	assert_true(puts > 3500);
	assert_true(sweeps > 100);
	assert_true(max_n > 1000);
	assert_true(removed_total > max_n);
	assert_true(ix.mask + 1 >= 4096);
	tally_ctx_index_free(&ix);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_empty),
		cmocka_unit_test(test_put_find_across_grows),
		cmocka_unit_test(test_same_home_slot),
		cmocka_unit_test(test_same_home_and_h2),
		cmocka_unit_test(test_h2_twins_next_to_a_run),
		cmocka_unit_test(test_wrap_around_cap8),
		cmocka_unit_test(test_wrap_around_cap16),
		cmocka_unit_test(test_sweep_every_other_then_all),
		cmocka_unit_test(test_sweep_wrapped_runs),
		cmocka_unit_test(test_sweep_random_small_tables),
		cmocka_unit_test(test_same_hash_twice),
		cmocka_unit_test(test_same_hash_many_times_across_grow),
		cmocka_unit_test(test_randomized_against_reference),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
