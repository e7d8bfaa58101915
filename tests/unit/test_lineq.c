#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lineq.h"

/* Takes everything not yet in flight and returns it as one string (static storage). */
static const char *
take_all(struct tally_lineq *q)
{
	static char buf[256 * 1024];
	size_t used = 0, len;
	const char *data;

	while (tally_lineq_next(q, &data, &len)) {
		assert_true(used + len < sizeof(buf));
		memcpy(buf + used, data, len);
		used += len;
	}
	buf[used] = '\0';
	return buf;
}

static void
append_str(struct tally_lineq *q, const char *s)
{
	assert_int_equal(tally_lineq_append(q, s, strlen(s)), 0);
}

static void
test_fifo_send_and_ack(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1000);

	append_str(q, "a 1 1\n");
	append_str(q, "bb 2 2\n");
	assert_int_equal(q->lines, 2);
	assert_int_equal(q->bytes, 13);
	assert_string_equal(take_all(q), "a 1 1\nbb 2 2\n");
	assert_int_equal(tally_lineq_inflight_bytes(q), 13);
	tally_lineq_ack(q, 13);
	assert_int_equal(q->lines, 0);
	assert_int_equal(q->bytes, 0);
	assert_int_equal(q->sent_lines, 2);
	assert_int_equal(q->sent_bytes, 13);
	assert_string_equal(take_all(q), "");
	tally_lineq_free(q);
}

static void
test_rejects_partial_lines(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1000);

	assert_int_equal(tally_lineq_append(q, "no newline", 10), -EINVAL);
	assert_int_equal(tally_lineq_append(q, "", 0), -EINVAL);
	assert_int_equal(tally_lineq_append(q, "two\nlines\n", 10), -EINVAL);
	assert_int_equal(q->lines, 0);
	tally_lineq_free(q);
}

static void
test_bound_drops_oldest_first(void **state)
{
	struct tally_lineq *q = tally_lineq_new(20); /* two 9-byte lines, not three */

	append_str(q, "m1 1 100\n");
	append_str(q, "m2 2 200\n");
	append_str(q, "m3 3 300\n");
	append_str(q, "m4 4 400\n");
	assert_int_equal(q->dropped_lines, 2);
	assert_int_equal(q->dropped_bytes, 18);
	assert_int_equal(q->bytes, 18);
	assert_int_equal(q->lines, 2);
	assert_string_equal(take_all(q), "m3 3 300\nm4 4 400\n");
	tally_lineq_free(q);
}

static void
test_line_larger_than_bound_is_dropped(void **state)
{
	struct tally_lineq *q = tally_lineq_new(8);

	append_str(q, "ok 1 1\n");
	assert_int_equal(tally_lineq_append(q, "far too long 1 1\n", 17), -ENOBUFS);
	/* The old line went first (oldest first), then the new one could still not fit. */
	assert_int_equal(q->dropped_lines, 2);
	assert_int_equal(q->lines, 0);
	tally_lineq_free(q);
}

static void
test_in_flight_lines_are_not_dropped(void **state)
{
	struct tally_lineq *q = tally_lineq_new(21);
	const char *data;
	size_t len;

	append_str(q, "a 1 1\n"); /* 6 */
	assert_true(tally_lineq_next(q, &data, &len));
	assert_int_equal(len, 6);
	append_str(q, "b 2 2\n");
	append_str(q, "c 3 3\n");
	append_str(q, "d 4 4\n"); /* 24 > 21: drops b, the oldest not in flight */
	assert_int_equal(q->dropped_lines, 1);
	tally_lineq_ack(q, 6);
	assert_int_equal(q->sent_lines, 1);
	assert_string_equal(take_all(q), "c 3 3\nd 4 4\n");
	tally_lineq_free(q);
}

static void
test_rewind_resends_unfinished_line_whole(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1000);

	append_str(q, "first 1 1\n");  /* 10 */
	append_str(q, "second 2 2\n"); /* 11 */
	take_all(q);
	tally_lineq_ack(q, 10 + 4); /* first written, 4 bytes of second */
	assert_int_equal(q->sent_lines, 1);
	assert_int_equal(tally_lineq_inflight_bytes(q), 7);
	tally_lineq_rewind(q);
	assert_int_equal(tally_lineq_inflight_bytes(q), 0);
	assert_string_equal(take_all(q), "second 2 2\n");
	tally_lineq_ack(q, 11);
	assert_int_equal(q->sent_lines, 2);
	assert_int_equal(q->bytes, 0);
	tally_lineq_free(q);
}

static void
test_acks_in_small_pieces_across_blocks(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1 << 20);
	char line[64];
	size_t total = 0;

	for (int i = 0; i < 3000; i++) {
		int n = snprintf(line, sizeof(line), "metric.%d %d 1700000000\n", i, i);

		assert_int_equal(tally_lineq_append(q, line, (size_t)n), 0);
		total += (size_t)n;
	}
	assert_int_equal(strlen(take_all(q)), total);
	for (size_t done = 0; done < total; done += 7)
		tally_lineq_ack(q, total - done < 7 ? total - done : 7);
	assert_int_equal(q->sent_lines, 3000);
	assert_int_equal(q->sent_bytes, total);
	assert_int_equal(q->bytes, 0);
	assert_null(q->head);
	tally_lineq_free(q);
}

static void
test_appends_after_in_flight_tail_go_to_new_block(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1000);
	const char *data;
	size_t len;

	append_str(q, "x 1 1\n");
	assert_true(tally_lineq_next(q, &data, &len));
	append_str(q, "y 2 2\n");
	assert_true(tally_lineq_next(q, &data, &len));
	assert_int_equal(len, 6);
	assert_memory_equal(data, "y 2 2\n", 6);
	assert_false(tally_lineq_next(q, &data, &len));
	tally_lineq_ack(q, 12);
	assert_int_equal(q->sent_lines, 2);
	tally_lineq_free(q);
}

/* take() moves the oldest lines not in flight out, uncounted; in-flight lines stay. */
static void
test_take_moves_oldest_not_in_flight(void **state)
{
	struct tally_lineq *q = tally_lineq_new(1000);
	const char *data;
	char *buf;
	size_t len;

	append_str(q, "a 1 1\n");
	assert_true(tally_lineq_next(q, &data, &len)); /* "a" in flight */
	append_str(q, "b 2 2\n");
	append_str(q, "c 3 3\n");
	append_str(q, "d 4 4\n");
	assert_int_equal(tally_lineq_take(q, 12, &buf, &len), 2);
	assert_int_equal(len, 12);
	assert_memory_equal(buf, "b 2 2\nc 3 3\n", 12);
	free(buf);
	assert_int_equal(q->lines, 2);
	assert_int_equal(q->bytes, 12);
	assert_int_equal(q->dropped_lines, 0);
	assert_int_equal(tally_lineq_take(q, 0, &buf, &len), 1); /* "d"; "a" is in flight */
	assert_memory_equal(buf, "d 4 4\n", 6);
	free(buf);
	assert_int_equal(tally_lineq_take(q, 0, &buf, &len), 0);
	assert_null(buf);
	tally_lineq_rewind(q);
	assert_int_equal(tally_lineq_take(q, 0, &buf, &len), 1);
	assert_memory_equal(buf, "a 1 1\n", 6);
	free(buf);
	assert_int_equal(q->bytes, 0);
	assert_int_equal(q->sent_lines, 0);
	tally_lineq_free(q);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fifo_send_and_ack),
		cmocka_unit_test(test_rejects_partial_lines),
		cmocka_unit_test(test_bound_drops_oldest_first),
		cmocka_unit_test(test_line_larger_than_bound_is_dropped),
		cmocka_unit_test(test_in_flight_lines_are_not_dropped),
		cmocka_unit_test(test_rewind_resends_unfinished_line_whole),
		cmocka_unit_test(test_acks_in_small_pieces_across_blocks),
		cmocka_unit_test(test_appends_after_in_flight_tail_go_to_new_block),
		cmocka_unit_test(test_take_moves_oldest_not_in_flight),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
