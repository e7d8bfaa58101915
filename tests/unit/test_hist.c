#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hist.h"

/* cmocka 1.1 only compares floats; doubles need their own check. */
static void
dbl_equal(double got, double want, double eps, const char *file, int line)
{
	if (fabs(got - want) <= eps)
		return;
	print_error("got %.17g, want %.17g\n", got, want);
	_fail(file, line);
}
#define assert_double_equal(got, want, eps) dbl_equal((got), (want), (eps), __FILE__, __LINE__)

static void
test_weight(void **state)
{
	static const struct {
		double rate;
		int64_t weight;
	} rows[] = {
		{ 1.0, 1 },  { 0.5, 2 },
		{ 0.3, 3 }, /* 3.33 truncates */
		{ 0.1, 10 }, { 0.0, 1 },
		{ -1.0, 1 }, /* garbage rates count once */
		{ 2.0, 1 },  { 1e-30, INT64_C(1) << 32 },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		assert_int_equal(tally_hist_weight(rows[i].rate), rows[i].weight);
}

static void
test_empty(void **state)
{
	struct tally_hist *h = tally_hist_new();
	struct tally_hist_summary sum;
	double v;

	assert_int_equal(tally_hist_summarize(h, &sum), -ENODATA);
	assert_int_equal(tally_hist_percentile(h, 0.95, &v), -ENODATA);
	tally_hist_free(h);
	tally_hist_free(NULL);
}

/* 1..n added in descending order, so summarize must sort. */
static struct tally_hist *
hist_1_to(int n)
{
	struct tally_hist *h = tally_hist_new();

	for (int i = n; i >= 1; i--)
		tally_hist_add(h, i, 1);
	return h;
}

static void
test_one_to_hundred(void **state)
{
	struct tally_hist *h = hist_1_to(100);
	struct tally_hist_summary sum;

	assert_int_equal(tally_hist_summarize(h, &sum), 0);
	assert_double_equal(sum.max, 100.0, 0.0);
	assert_double_equal(sum.min, 1.0, 0.0);
	/* (100 - 1) / 2 = 49: the first sample with cumulative weight > 49 is the 50th. */
	assert_double_equal(sum.median, 50.0, 0.0);
	assert_double_equal(sum.avg, 50.5, 0.0);
	assert_double_equal(sum.sum, 5050.0, 0.0);
	assert_int_equal(sum.count, 100);
	tally_hist_free(h);
}

static void
test_percentiles(void **state)
{
	static const struct {
		int n;
		double p;
		double want;
	} rows[] = {
		{ 100, 0.95, 95 }, /* (9500 - 1) / 100 = 94 -> 95th */
		{ 100, 0.99, 99 },
		{ 100, 0.50, 50 },
		{ 100, 1.0, 100 },
		{ 100, 0.01, 1 },     /* (100 - 1) / 100 = 0 -> 1st */
		{ 1000, 0.999, 999 }, /* (99900 - 1) / 100 = 998 -> 999th */
		/* 29 * 69 - 1 = 2000: exactly rank 20, not 19 as 0.29 * 100 in doubles would give
		 */
		{ 69, 0.29, 21 },
		{ 1, 0.95, 1 },
		{ 10, 0.95, 10 },
	};
	double v;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct tally_hist *h = hist_1_to(rows[i].n);

		assert_int_equal(tally_hist_percentile(h, rows[i].p, &v), 0);
		assert_double_equal(v, rows[i].want, 0.0);
		tally_hist_free(h);
	}
}

static void
test_weighted(void **state)
{
	struct tally_hist *h = tally_hist_new();
	struct tally_hist_summary sum;
	double v;

	/* 2 with weight 3 (rate 0.3), 1 and 10 with weight 1: count 5, sorted 1, 2x3, 10. */
	tally_hist_add(h, 10, 1);
	tally_hist_add(h, 2, tally_hist_weight(0.3));
	tally_hist_add(h, 1, 1);
	assert_int_equal(tally_hist_summarize(h, &sum), 0);
	assert_int_equal(sum.count, 5);
	assert_double_equal(sum.sum, 17.0, 0.0);
	assert_double_equal(sum.avg, 3.4, 1e-12);
	assert_double_equal(sum.median, 2.0, 0.0); /* target 2: cum 1, 4 > 2 */
	assert_int_equal(tally_hist_percentile(h, 0.95, &v), 0);
	/* (95 * 5 - 1) / 100 = 4 -> cum 1, 4, 5 > 4 -> 10 */
	assert_double_equal(v, 10.0, 0.0);
	assert_int_equal(tally_hist_percentile(h, 0.5, &v), 0);
	assert_double_equal(v, 2.0, 0.0);
	tally_hist_free(h);
}

static void
test_reset_reuses(void **state)
{
	struct tally_hist *h = hist_1_to(1000);
	struct tally_hist_summary sum;

	tally_hist_reset(h);
	assert_int_equal(tally_hist_summarize(h, &sum), -ENODATA);
	tally_hist_add(h, -5.5, 1);
	tally_hist_add(h, 7, 2);
	assert_int_equal(tally_hist_summarize(h, &sum), 0);
	assert_double_equal(sum.min, -5.5, 0.0);
	assert_double_equal(sum.max, 7.0, 0.0);
	assert_int_equal(sum.count, 3);
	assert_double_equal(sum.sum, 8.5, 0.0);
	assert_double_equal(sum.median, 7.0, 0.0);
	tally_hist_free(h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_weight),         cmocka_unit_test(test_empty),
		cmocka_unit_test(test_one_to_hundred), cmocka_unit_test(test_percentiles),
		cmocka_unit_test(test_weighted),       cmocka_unit_test(test_reset_reuses),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
