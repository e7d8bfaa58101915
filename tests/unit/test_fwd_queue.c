#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fwd_queue.h"
#include "xmem.h"

/* A payload whose body is `len` bytes and whose n_items is its id. */
static struct tally_fwd_payload *
mk(unsigned id, size_t len)
{
	unsigned char *body = tally_xmalloc(len ? len : 1);
	struct tally_fwd_payload *p;

	memset(body, 'a' + (int)(id % 26), len);
	p = tally_fwd_payload_new("/api/v1/series", "application/json", "deflate", body, len);
	p->n_items = id;
	return p;
}

static unsigned
count(const struct tally_fwd_payload *p)
{
	unsigned n = 0;

	for (; p; p = p->next)
		n++;
	return n;
}

static void
test_payload_copies_strings(void **state)
{
	struct tally_fwd_payload *p = mk(1, 10);

	assert_string_equal(p->path, "/api/v1/series");
	assert_string_equal(p->content_type, "application/json");
	assert_string_equal(p->content_encoding, "deflate");
	tally_fwd_payload_free(p);
	p = tally_fwd_payload_new(NULL, NULL, NULL, tally_xmalloc(1), 0);
	assert_string_equal(p->path, "");
	assert_null(p->content_encoding);
	tally_fwd_payload_free(p);
	tally_fwd_payload_free(NULL);
}

static void
test_fifo_and_unbounded(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL, *p;

	tally_fwd_queue_init(&q, 0);
	for (unsigned i = 1; i <= 100; i++)
		assert_int_equal(tally_fwd_queue_push(&q, mk(i, 1000), &ev), 0);
	assert_null(ev);
	assert_int_equal(q.count, 100);
	assert_int_equal(q.bytes, 100000);
	for (unsigned i = 1; i <= 100; i++) {
		p = tally_fwd_queue_take(&q);
		assert_int_equal(p->n_items, i);
		tally_fwd_queue_done(&q, p);
		tally_fwd_payload_free(p);
	}
	assert_null(tally_fwd_queue_take(&q));
	assert_int_equal(q.bytes + q.held, 0);
}

static void
test_bound_drops_oldest_first(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL;
	size_t dropped = 0;

	tally_fwd_queue_init(&q, 1000);
	for (unsigned i = 1; i <= 10; i++)
		dropped += tally_fwd_queue_push(&q, mk(i, 300), &ev);
	/* 3 x 300 fit in 1000: 7 evicted, oldest first */
	assert_int_equal(dropped, 7);
	assert_int_equal(count(ev), 7);
	assert_int_equal(ev->n_items, 1);
	assert_int_equal(ev->next->n_items, 2);
	assert_int_equal(q.count, 3);
	assert_int_equal(q.bytes, 900);
	assert_int_equal(q.head->n_items, 8);
	assert_int_equal(q.tail->n_items, 10);
	tally_fwd_payload_free_list(ev);
	tally_fwd_queue_clear(&q);
}

static void
test_held_counts_and_is_never_evicted(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL, *held;

	tally_fwd_queue_init(&q, 1000);
	tally_fwd_queue_push(&q, mk(1, 400), &ev);
	tally_fwd_queue_push(&q, mk(2, 400), &ev);
	held = tally_fwd_queue_take(&q);
	assert_int_equal(held->n_items, 1);
	assert_int_equal(q.held, 400);
	/* 400 held + 400 + 400 > 1000: payload 2 (oldest queued) goes, held stays */
	assert_int_equal(tally_fwd_queue_push(&q, mk(3, 400), &ev), 1);
	assert_int_equal(ev->n_items, 2);
	assert_int_equal(q.head->n_items, 3);
	/* the held one failed: back at the head, first in line */
	tally_fwd_queue_return(&q, held);
	assert_int_equal(q.held, 0);
	assert_int_equal(q.head->n_items, 1);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.bytes, 800);
	tally_fwd_payload_free_list(ev);
	tally_fwd_queue_clear(&q);
}

/* forwarder_num_workers: several payloads held at once, answered in any order. */
static void
test_many_held_never_evicted_and_come_back_in_answer_order(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL, *held[4];

	tally_fwd_queue_init(&q, 1000);
	for (unsigned i = 1; i <= 6; i++)
		tally_fwd_queue_push(&q, mk(i, 100), &ev);
	assert_null(ev);
	for (unsigned i = 0; i < 4; i++)
		held[i] = tally_fwd_queue_take(&q);
	assert_int_equal(held[3]->n_items, 4);
	assert_int_equal(q.held, 400);
	assert_int_equal(q.bytes, 200);
	assert_int_equal(q.count, 2);
	/* 400 held + 200 + 600 > 1000: queued 5 then 6 go, the four in flight stay */
	assert_int_equal(tally_fwd_queue_push(&q, mk(7, 600), &ev), 2);
	assert_int_equal(ev->n_items, 5);
	assert_int_equal(ev->next->n_items, 6);
	assert_int_equal(q.bytes + q.held, 1000);
	/* even a push that needs more room than is queued cannot touch what is held */
	assert_int_equal(tally_fwd_queue_push(&q, mk(8, 700), &ev), 2);
	assert_int_equal(count(ev), 4);
	assert_null(q.head);
	assert_int_equal(q.held, 400);
	/* answers come back out of order: 3 delivered, 2 and 4 failed, 1 delivered */
	tally_fwd_queue_done(&q, held[2]);
	tally_fwd_payload_free(held[2]);
	tally_fwd_queue_return(&q, held[1]);
	tally_fwd_queue_return(&q, held[3]);
	assert_int_equal(q.held, 100);
	tally_fwd_queue_done(&q, held[0]);
	tally_fwd_payload_free(held[0]);
	assert_int_equal(q.held, 0);
	/* the retries are first in line, the last returned first */
	assert_int_equal(q.count, 2);
	assert_int_equal(q.bytes, 200);
	assert_int_equal(q.head->n_items, 4);
	assert_int_equal(q.head->next->n_items, 2);
	assert_ptr_equal(q.tail, q.head->next);
	/* the returned ones count against the bound again: a 900-byte push evicts the oldest */
	assert_int_equal(tally_fwd_queue_push(&q, mk(9, 900), &ev), 1);
	assert_int_equal(count(ev), 5);
	assert_int_equal(q.count, 2);
	assert_int_equal(q.bytes, 1000);
	tally_fwd_payload_free_list(ev);
	tally_fwd_queue_clear(&q);
}

static void
test_payload_bigger_than_bound_is_evicted_itself(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL;

	tally_fwd_queue_init(&q, 1000);
	tally_fwd_queue_push(&q, mk(1, 100), &ev);
	assert_int_equal(tally_fwd_queue_push(&q, mk(2, 5000), &ev), 2);
	assert_int_equal(ev->n_items, 1);
	assert_int_equal(ev->next->n_items, 2);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	assert_null(q.head);
	assert_null(q.tail);
	tally_fwd_payload_free_list(ev);
	/* and the queue still works after being emptied by eviction */
	ev = NULL;
	tally_fwd_queue_push(&q, mk(3, 10), &ev);
	assert_null(ev);
	assert_int_equal(q.head->n_items, 3);
	tally_fwd_queue_clear(&q);
}

static void
test_shrink_and_steal(void **state)
{
	struct tally_fwd_queue q;
	struct tally_fwd_payload *ev = NULL, *all;

	tally_fwd_queue_init(&q, 10000);
	for (unsigned i = 1; i <= 10; i++)
		tally_fwd_queue_push(&q, mk(i, 1000), &ev);
	assert_null(ev);
	assert_int_equal(tally_fwd_queue_shrink(&q, 5000, &ev), 5);
	assert_int_equal(ev->n_items, 1);
	assert_int_equal(q.bytes, 5000);
	all = tally_fwd_queue_steal(&q);
	assert_int_equal(count(all), 5);
	assert_int_equal(all->n_items, 6);
	assert_int_equal(q.count, 0);
	assert_int_equal(q.bytes, 0);
	tally_fwd_payload_free_list(all);
	tally_fwd_payload_free_list(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_copies_strings),
		cmocka_unit_test(test_fifo_and_unbounded),
		cmocka_unit_test(test_bound_drops_oldest_first),
		cmocka_unit_test(test_held_counts_and_is_never_evicted),
		cmocka_unit_test(test_many_held_never_evicted_and_come_back_in_answer_order),
		cmocka_unit_test(test_payload_bigger_than_bound_is_evicted_itself),
		cmocka_unit_test(test_shrink_and_steal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
