#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <event2/buffer.h>

#include "batch.h"
#include "prom_store.h"

/* Renders st and compares with want exactly. */
static void
assert_exposition(const struct tally_prom_store *st, const char *want)
{
	struct evbuffer *out = evbuffer_new();
	size_t len;
	char *text;

	tally_prom_store_render(st, out);
	len = evbuffer_get_length(out);
	text = malloc(len + 1);
	evbuffer_remove(out, text, len);
	text[len] = '\0';
	assert_string_equal(text, want);
	free(text);
	evbuffer_free(out);
}

static void
put_batch(struct tally_prom_store *st, struct tally_batch *b, int64_t now)
{
	for (size_t i = 0; i < b->n_series; i++)
		tally_prom_store_put(st, &b->series[i], now);
}

/* What the aggregator flushes for c, g, ms and h over a 10 s interval. */
static struct tally_batch *
small_batch(double count_rate, double gauge)
{
	const char *web[] = { "env:prod", "role:web" };
	const char *db[] = { "env:prod", "role:db" };
	struct tally_batch *b = tally_batch_new(1700000010);

	tally_batch_add_series(b, "app.requests", "h1", web, 2, TALLY_SERIES_RATE, 1700000000,
	                       count_rate, 10);
	tally_batch_add_series(b, "app.requests", "h1", db, 2, TALLY_SERIES_RATE, 1700000000, 0.1,
	                       10);
	tally_batch_add_series(b, "app.temp-c", "h1", NULL, 0, TALLY_SERIES_GAUGE, 1700000000,
	                       gauge, 10);
	tally_batch_add_series(b, "app.latency.count", "h1", NULL, 0, TALLY_SERIES_RATE, 1700000000,
	                       0.3, 10);
	tally_batch_add_series(b, "app.latency.95percentile", "h1", NULL, 0, TALLY_SERIES_GAUGE,
	                       1700000000, 12.5, 10);
	tally_batch_add_series(b, "chk.restarts", "", NULL, 0, TALLY_SERIES_COUNT, 1700000000, 2,
	                       10);
	return b;
}

static void
test_exposition_of_a_small_batch(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100, 300);
	struct tally_batch *b = small_batch(0.7, 21.5);

	put_batch(st, b, 1700000010);
	assert_exposition(st, "# TYPE app_requests_total counter\n"
	                      "app_requests_total{host=\"h1\",env=\"prod\",role=\"web\"} 7\n"
	                      "app_requests_total{host=\"h1\",env=\"prod\",role=\"db\"} 1\n"
	                      "# TYPE app_temp_c gauge\n"
	                      "app_temp_c{host=\"h1\"} 21.5\n"
	                      "# TYPE app_latency_count_total counter\n"
	                      "app_latency_count_total{host=\"h1\"} 3\n"
	                      "# TYPE app_latency_95percentile gauge\n"
	                      "app_latency_95percentile{host=\"h1\"} 12.5\n"
	                      "# TYPE chk_restarts_total counter\n"
	                      "chk_restarts_total 2\n");
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

static void
test_counters_accumulate_gauges_replace(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100, 300);
	struct tally_batch *b1 = small_batch(0.7, 21.5), *b2 = small_batch(1.2, -3);
	struct tally_prom_counts c;

	put_batch(st, b1, 1700000010);
	put_batch(st, b2, 1700000020);
	assert_exposition(st, "# TYPE app_requests_total counter\n"
	                      "app_requests_total{host=\"h1\",env=\"prod\",role=\"web\"} 19\n"
	                      "app_requests_total{host=\"h1\",env=\"prod\",role=\"db\"} 2\n"
	                      "# TYPE app_temp_c gauge\n"
	                      "app_temp_c{host=\"h1\"} -3\n"
	                      "# TYPE app_latency_count_total counter\n"
	                      "app_latency_count_total{host=\"h1\"} 6\n"
	                      "# TYPE app_latency_95percentile gauge\n"
	                      "app_latency_95percentile{host=\"h1\"} 12.5\n"
	                      "# TYPE chk_restarts_total counter\n"
	                      "chk_restarts_total 4\n");
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.series, 6);
	assert_int_equal(c.families, 5);
	tally_batch_unref(b1);
	tally_batch_unref(b2);
	tally_prom_store_free(st);
}

static void
test_stale_series_expire(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100, 300);
	struct tally_batch *b = tally_batch_new(0);
	struct tally_prom_counts c;

	tally_batch_add_series(b, "old", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 1, 10);
	tally_batch_add_series(b, "fresh", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 2, 10);
	tally_batch_add_series(b, "cnt", "", NULL, 0, TALLY_SERIES_COUNT, 0, 5, 10);
	tally_prom_store_put(st, &b->series[0], 1000);
	tally_prom_store_put(st, &b->series[2], 1000);
	tally_prom_store_put(st, &b->series[1], 1200);
	tally_prom_store_expire(st, 1300); /* exactly expiry_s old: still there */
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.series, 3);
	tally_prom_store_expire(st, 1301);
	assert_exposition(st, "# TYPE fresh gauge\nfresh 2\n");
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.expired, 2);
	assert_int_equal(c.families, 1);
	/* A counter that comes back starts again from zero. */
	tally_prom_store_put(st, &b->series[2], 1400);
	tally_prom_store_expire(st, 1400);
	assert_exposition(st,
	                  "# TYPE fresh gauge\nfresh 2\n# TYPE cnt_total counter\ncnt_total 5\n");
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

static void
test_updates_keep_series_alive(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100, 60);
	struct tally_batch *b = tally_batch_new(0);

	tally_batch_add_series(b, "a", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 1, 10);
	tally_batch_add_series(b, "b", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 2, 10);
	tally_prom_store_put(st, &b->series[0], 0);
	tally_prom_store_put(st, &b->series[1], 0);
	tally_prom_store_put(st, &b->series[0], 50); /* a moves to the back of the line */
	tally_prom_store_expire(st, 100);
	assert_exposition(st, "# TYPE a gauge\na 1\n");
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

static void
test_series_limit_drops_new_ones(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(2, 300);
	struct tally_batch *b = tally_batch_new(0);
	struct tally_prom_counts c;

	tally_batch_add_series(b, "a", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 1, 10);
	tally_batch_add_series(b, "b", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 2, 10);
	tally_batch_add_series(b, "c", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 3, 10);
	assert_int_equal(tally_prom_store_put(st, &b->series[0], 0), 0);
	assert_int_equal(tally_prom_store_put(st, &b->series[1], 0), 0);
	assert_int_equal(tally_prom_store_put(st, &b->series[2], 0), -ENOSPC);
	assert_int_equal(tally_prom_store_put(st, &b->series[0], 0), 0); /* known: updated */
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.dropped_limit, 1);
	assert_int_equal(c.series, 2);
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

static void
test_type_conflicts_and_merged_names(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100, 300);
	struct tally_batch *b = tally_batch_new(0);
	struct tally_prom_counts c;

	/* A gauge called x_total and a counter x would both be family x_total. */
	tally_batch_add_series(b, "x_total", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 1, 10);
	tally_batch_add_series(b, "x", "", NULL, 0, TALLY_SERIES_COUNT, 0, 2, 10);
	/* a.b and a-b are the same exposed series: last gauge value wins. */
	tally_batch_add_series(b, "a.b", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 3, 10);
	tally_batch_add_series(b, "a-b", "", NULL, 0, TALLY_SERIES_GAUGE, 0, 4, 10);
	tally_batch_add_series(b, "bad", "", NULL, 0, TALLY_SERIES_COUNT, 0, NAN, 10);
	assert_int_equal(tally_prom_store_put(st, &b->series[0], 0), 0);
	assert_int_equal(tally_prom_store_put(st, &b->series[1], 0), -EEXIST);
	assert_int_equal(tally_prom_store_put(st, &b->series[2], 0), 0);
	assert_int_equal(tally_prom_store_put(st, &b->series[3], 0), 0);
	assert_int_equal(tally_prom_store_put(st, &b->series[4], 0), -EINVAL);
	assert_exposition(st, "# TYPE x_total gauge\nx_total 1\n# TYPE a_b gauge\na_b 4\n");
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.dropped_conflict, 1);
	assert_int_equal(c.dropped_invalid, 1);
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

/* Many series across many families: the tables grow, and everything is still found. */
static void
test_many_series(void **state)
{
	struct tally_prom_store *st = tally_prom_store_new(100000, 300);
	struct tally_batch *b = tally_batch_new(0);
	char name[32], tag[32];
	struct tally_prom_counts c;

	for (int i = 0; i < 20000; i++) {
		const char *tags[] = { tag };

		snprintf(name, sizeof(name), "fam%d", i % 500);
		snprintf(tag, sizeof(tag), "i:%d", i);
		tally_batch_add_series(b, name, "h", tags, 1, TALLY_SERIES_COUNT, 0, 1, 10);
	}
	put_batch(st, b, 0);
	put_batch(st, b, 1);
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.series, 20000);
	assert_int_equal(c.families, 500);
	tally_prom_store_expire(st, 302);
	tally_prom_store_counts(st, &c);
	assert_int_equal(c.series, 0);
	assert_int_equal(c.families, 0);
	assert_exposition(st, "");
	tally_batch_unref(b);
	tally_prom_store_free(st);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exposition_of_a_small_batch),
		cmocka_unit_test(test_counters_accumulate_gauges_replace),
		cmocka_unit_test(test_stale_series_expire),
		cmocka_unit_test(test_updates_keep_series_alive),
		cmocka_unit_test(test_series_limit_drops_new_ones),
		cmocka_unit_test(test_type_conflicts_and_merged_names),
		cmocka_unit_test(test_many_series),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
