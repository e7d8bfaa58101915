#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "sketch.h"

#define N_VALUES 10000

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

static const double quantiles[] = { 0.0,  0.001, 0.01, 0.1,  0.25,  0.5,
	                            0.75, 0.9,   0.95, 0.99, 0.999, 1.0 };

/* xorshift64*: the same values on every run. */
static double
rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return (double)((*s * 0x2545F4914F6CDD1DULL) >> 11) / (double)(1ULL << 53);
}

/* Log-uniform over [1e-3, 1e6], some negative and some zero when mixed. */
static void
fill(double *v, size_t n, uint64_t seed, int mixed)
{
	for (size_t i = 0; i < n; i++) {
		v[i] = pow(10.0, -3.0 + 9.0 * rnd(&seed));
		if (mixed && rnd(&seed) < 0.3)
			v[i] = -v[i];
		if (mixed && rnd(&seed) < 0.05)
			v[i] = 0.0;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void
check_accuracy(int mixed)
{
	double *v = malloc(N_VALUES * sizeof(*v)), sum = 0.0;
	struct tally_sketch *sk = tally_sketch_new();

	fill(v, N_VALUES, 42 + mixed, mixed);
	for (size_t i = 0; i < N_VALUES; i++) {
		assert_int_equal(tally_sketch_add(sk, v[i], 1), 0);
		sum += v[i];
	}
	qsort(v, N_VALUES, sizeof(*v), cmp_double);
	assert_int_equal(tally_sketch_count(sk), N_VALUES);
	assert_double_equal(tally_sketch_min(sk), v[0], 0.0);
	assert_double_equal(tally_sketch_max(sk), v[N_VALUES - 1], 0.0);
	assert_double_equal(tally_sketch_sum(sk), sum, fabs(sum) * 1e-12);
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++) {
		double exact = v[(size_t)floor(quantiles[i] * (N_VALUES - 1))];

		assert_double_equal(tally_sketch_quantile(sk, quantiles[i]), exact,
		                    fabs(exact) * (TALLY_SKETCH_REL_ACCURACY + 1e-9));
	}
	tally_sketch_free(sk);
	free(v);
}

static void
test_accuracy_positive(void **state)
{
	check_accuracy(0);
}

static void
test_accuracy_mixed(void **state)
{
	check_accuracy(1);
}

static void
test_every_rank(void **state)
{
	struct tally_sketch *sk = tally_sketch_new();

	/* 1..1000: every rank, not only the usual quantiles, is within 1%. */
	for (int i = 1000; i >= 1; i--)
		tally_sketch_add(sk, i, 1);
	for (int r = 0; r < 1000; r++) {
		double q = r / 999.0, exact = floor(q * 999.0) + 1.0;

		assert_double_equal(tally_sketch_quantile(sk, q), exact,
		                    exact * (TALLY_SKETCH_REL_ACCURACY + 1e-9));
	}
	tally_sketch_free(sk);
}

static void
test_empty_and_invalid(void **state)
{
	struct tally_sketch *sk = tally_sketch_new();

	assert_int_equal(tally_sketch_count(sk), 0);
	assert_true(isnan(tally_sketch_quantile(sk, 0.5)));
	assert_int_equal(tally_sketch_add(sk, NAN, 1), -EINVAL);
	assert_int_equal(tally_sketch_add(sk, INFINITY, 1), -EINVAL);
	assert_int_equal(tally_sketch_add(sk, 1.0, 0), -EINVAL);
	assert_int_equal(tally_sketch_count(sk), 0);
	tally_sketch_free(sk);
	tally_sketch_free(NULL);
}

static void
test_single_and_weighted(void **state)
{
	struct tally_sketch *sk = tally_sketch_new();

	tally_sketch_add(sk, 123.456, 3);
	assert_int_equal(tally_sketch_count(sk), 3);
	assert_double_equal(tally_sketch_sum(sk), 370.368, 1e-9);
	/* Clamping to [min, max] makes a one-value sketch exact. */
	for (size_t i = 0; i < sizeof(quantiles) / sizeof(quantiles[0]); i++)
		assert_double_equal(tally_sketch_quantile(sk, quantiles[i]), 123.456, 0.0);
	tally_sketch_add(sk, 0.0, 1);
	assert_double_equal(tally_sketch_quantile(sk, 0.0), 0.0, 0.0);
	assert_double_equal(tally_sketch_min(sk), 0.0, 0.0);
	tally_sketch_reset(sk);
	assert_int_equal(tally_sketch_count(sk), 0);
	tally_sketch_add(sk, -2.0, 1);
	assert_double_equal(tally_sketch_quantile(sk, 0.5), -2.0, 0.0);
	tally_sketch_free(sk);
}

static void
assert_same_sketch(const struct tally_sketch *a, const struct tally_sketch *b)
{
	assert_int_equal(tally_sketch_count(a), tally_sketch_count(b));
	assert_double_equal(tally_sketch_min(a), tally_sketch_min(b), 0.0);
	assert_double_equal(tally_sketch_max(a), tally_sketch_max(b), 0.0);
	assert_double_equal(tally_sketch_sum(a), tally_sketch_sum(b),
	                    fabs(tally_sketch_sum(b)) * 1e-12);
	for (int i = 0; i <= 1000; i++)
		assert_double_equal(tally_sketch_quantile(a, i / 1000.0),
		                    tally_sketch_quantile(b, i / 1000.0), 0.0);
}

static void
check_merge(const double *v, size_t n, size_t split)
{
	struct tally_sketch *a = tally_sketch_new(), *b = tally_sketch_new();
	struct tally_sketch *all = tally_sketch_new(), *empty = tally_sketch_new();

	for (size_t i = 0; i < n; i++) {
		tally_sketch_add(i < split ? a : b, v[i], 1 + i % 3);
		tally_sketch_add(all, v[i], 1 + i % 3);
	}
	tally_sketch_merge(a, b);
	tally_sketch_merge(a, empty);
	assert_same_sketch(a, all);
	tally_sketch_merge(empty, all);
	assert_same_sketch(empty, all);
	tally_sketch_free(a);
	tally_sketch_free(b);
	tally_sketch_free(all);
	tally_sketch_free(empty);
}

static void
test_merge_equals_union(void **state)
{
	double *v = malloc(N_VALUES * sizeof(*v));

	fill(v, N_VALUES, 7, 1);
	check_merge(v, N_VALUES, N_VALUES / 2);
	check_merge(v, N_VALUES, 1);
	free(v);
}

static void
test_collapse_keeps_bounds(void **state)
{
	double *v = malloc(N_VALUES * sizeof(*v));
	struct tally_sketch *sk = tally_sketch_new();
	uint64_t seed = 99;

	/* 1e-300..1e300 spans ~69,000 bins: the smallest magnitudes fold, the top stays exact. */
	for (size_t i = 0; i < N_VALUES; i++) {
		v[i] = pow(10.0, -300.0 + 600.0 * rnd(&seed));
		tally_sketch_add(sk, v[i], 1);
	}
	assert_int_equal(tally_sketch_count(sk), N_VALUES);
	qsort(v, N_VALUES, sizeof(*v), cmp_double);
	for (double q = 0.99; q < 1.0; q += 0.001) {
		double exact = v[(size_t)floor(q * (N_VALUES - 1))];

		assert_double_equal(tally_sketch_quantile(sk, q), exact,
		                    exact * (TALLY_SKETCH_REL_ACCURACY + 1e-9));
	}
	assert_double_equal(tally_sketch_quantile(sk, 0.0), v[0], 0.0);
	tally_sketch_free(sk);
	/* Folding depends only on the final range, so merging still equals the union. */
	check_merge(v, N_VALUES, N_VALUES / 3);
	free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accuracy_positive),
		cmocka_unit_test(test_accuracy_mixed),
		cmocka_unit_test(test_every_rank),
		cmocka_unit_test(test_empty_and_invalid),
		cmocka_unit_test(test_single_and_weighted),
		cmocka_unit_test(test_merge_equals_union),
		cmocka_unit_test(test_collapse_keeps_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
