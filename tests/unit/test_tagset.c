/*
 * tagset and ctx_slab: the interned host + tag sets that contexts share, and the slab both come
 * from. Sharing, reference counts, removal from the table when the last reference goes (with
 * the probe runs still intact for the others), and the slab's reuse of freed objects.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ctx_slab.h"
#include "tagset.h"

#define S(lit) ((struct tally_slice){ (lit), sizeof(lit) - 1 })

static const struct tally_tagset *
intern2(struct tally_tagset_table *t, const char *host, const char *a, const char *b,
        uint32_t n_key)
{
	struct tally_slice tags[2] = { { a, strlen(a) }, { b, strlen(b) } };

	return tally_tagset_intern(t, (struct tally_slice){ host, strlen(host) }, tags, 2, n_key);
}

static void
test_shared_and_counted(void **state)
{
	struct tally_ctx_slab slab;
	struct tally_tagset_table *t;
	const struct tally_tagset *a, *b, *c, *d;

	tally_ctx_slab_init(&slab);
	t = tally_tagset_table_new(&slab);
	a = intern2(t, "h1", "env:prod", "svc:api", 2);
	b = intern2(t, "h1", "env:prod", "svc:api", 2);
	assert_ptr_equal(a, b);
	assert_int_equal(a->refs, 2);
	assert_int_equal(tally_tagset_table_count(t), 1);
	assert_string_equal(tally_tagset_host(a), "h1");
	assert_string_equal(tally_tagset_tags(a), "env:prod");
	assert_string_equal(tally_tagset_tags(a) + 9, "svc:api");
	assert_int_equal(a->n_tags, 2);

	/* Another host, another key tag count, or tags split differently: other sets. */
	c = intern2(t, "h2", "env:prod", "svc:api", 2);
	d = intern2(t, "h1", "env:prod", "svc:api", 1);
	assert_ptr_not_equal(c, a);
	assert_ptr_not_equal(d, a);
	assert_ptr_not_equal(intern2(t, "h1", "env:prodsvc", ":api", 2), a);
	assert_int_equal(tally_tagset_table_count(t), 4);

	tally_tagset_release(t, b);
	assert_int_equal(a->refs, 1);
	assert_int_equal(tally_tagset_table_count(t), 4);
	tally_tagset_release(t, a);
	assert_int_equal(tally_tagset_table_count(t), 3);
	/* Gone from the table: interning it again makes a fresh one. */
	a = intern2(t, "h1", "env:prod", "svc:api", 2);
	assert_int_equal(a->refs, 1);
	assert_int_equal(tally_tagset_table_count(t), 4);
	tally_tagset_release(t, NULL);
	tally_tagset_table_free(t); /* frees what is left */
	tally_ctx_slab_fini(&slab);
}

static void
test_no_tags_and_empty_host(void **state)
{
	struct tally_ctx_slab slab;
	struct tally_tagset_table *t;
	const struct tally_tagset *a, *b;

	tally_ctx_slab_init(&slab);
	t = tally_tagset_table_new(&slab);
	a = tally_tagset_intern(t, S(""), NULL, 0, 0);
	b = tally_tagset_intern(t, S(""), NULL, 0, 0);
	assert_ptr_equal(a, b);
	assert_string_equal(tally_tagset_host(a), "");
	assert_int_equal(a->n_tags, 0);
	tally_tagset_release(t, a);
	tally_tagset_release(t, b);
	assert_int_equal(tally_tagset_table_count(t), 0);
	tally_tagset_table_free(t);
	tally_ctx_slab_fini(&slab);
}

/*
 * Many sets: the table grows, runs form, and removing every other set (backward shifts) must
 * leave each remaining one findable, i.e. interned again to the same object.
 */
static void
test_many_with_removals(void **state)
{
	enum { N = 5000 };
	static const struct tally_tagset *sets[N];
	struct tally_ctx_slab slab;
	struct tally_tagset_table *t;
	char tag[32];

	tally_ctx_slab_init(&slab);
	t = tally_tagset_table_new(&slab);
	for (int i = 0; i < N; i++) {
		snprintf(tag, sizeof(tag), "id:%d", i);
		sets[i] = intern2(t, "h", "env:x", tag, 2);
	}
	assert_int_equal(tally_tagset_table_count(t), N);
	for (int i = 0; i < N; i += 2)
		tally_tagset_release(t, sets[i]);
	assert_int_equal(tally_tagset_table_count(t), N / 2);
	for (int i = 1; i < N; i += 2) {
		snprintf(tag, sizeof(tag), "id:%d", i);
		assert_ptr_equal(intern2(t, "h", "env:x", tag, 2), sets[i]);
		assert_int_equal(sets[i]->refs, 2);
	}
	for (int i = 1; i < N; i += 2) {
		tally_tagset_release(t, sets[i]);
		tally_tagset_release(t, sets[i]);
	}
	assert_int_equal(tally_tagset_table_count(t), 0);
	assert_int_equal(slab.bytes_live, 0);
	tally_tagset_table_free(t);
	tally_ctx_slab_fini(&slab);
}

static void
test_slab_reuse(void **state)
{
	struct tally_ctx_slab slab;
	void *a, *b, *c, *big;

	tally_ctx_slab_init(&slab);
	a = tally_ctx_slab_alloc(&slab, 37);
	b = tally_ctx_slab_alloc(&slab, 40);
	assert_int_equal((uintptr_t)a % TALLY_CTX_SLAB_ALIGN, 0);
	assert_int_equal((char *)b - (char *)a, 40); /* no header, 8-byte steps */
	memset(a, 1, 37);
	memset(b, 2, 40);
	assert_int_equal(slab.bytes_live, 80);
	tally_ctx_slab_free(&slab, a, 37);
	c = tally_ctx_slab_alloc(&slab, 33); /* the same size class: reused */
	assert_ptr_equal(c, a);
	assert_int_equal(((unsigned char *)b)[0], 2);
	big = tally_ctx_slab_alloc(&slab, TALLY_CTX_SLAB_MAX_OBJ + 1);
	memset(big, 3, TALLY_CTX_SLAB_MAX_OBJ + 1);
	tally_ctx_slab_free(&slab, big, TALLY_CTX_SLAB_MAX_OBJ + 1);
	/* Past one block. */
	for (int i = 0; i < 3000; i++)
		memset(tally_ctx_slab_alloc(&slab, 64), 4, 64);
	assert_true(slab.bytes_blocks > 64 * 1024);
	tally_ctx_slab_free(&slab, NULL, 8);
	tally_ctx_slab_fini(&slab);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shared_and_counted),
		cmocka_unit_test(test_no_tags_and_empty_host),
		cmocka_unit_test(test_many_with_removals),
		cmocka_unit_test(test_slab_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
