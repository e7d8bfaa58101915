#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "fwd_policy.h"

static void
test_classify_table(void **state)
{
	static const struct {
		long status;
		int transport_error;
		enum tally_fwd_outcome want;
	} rows[] = {
		{ 200, 0, TALLY_FWD_SENT },   { 201, 0, TALLY_FWD_SENT },
		{ 202, 0, TALLY_FWD_SENT },   { 204, 0, TALLY_FWD_SENT },
		{ 299, 0, TALLY_FWD_SENT },   { 400, 0, TALLY_FWD_DROP },
		{ 413, 0, TALLY_FWD_DROP },   { 403, 0, TALLY_FWD_DROP },
		{ 404, 0, TALLY_FWD_RETRY },  { 408, 0, TALLY_FWD_RETRY },
		{ 429, 0, TALLY_FWD_RETRY },  { 500, 0, TALLY_FWD_RETRY },
		{ 502, 0, TALLY_FWD_RETRY },  { 503, 0, TALLY_FWD_RETRY },
		{ 504, 0, TALLY_FWD_RETRY },  { 599, 0, TALLY_FWD_RETRY },
		{ 401, 0, TALLY_FWD_RETRY },  { 405, 0, TALLY_FWD_RETRY },
		{ 409, 0, TALLY_FWD_RETRY },  { 410, 0, TALLY_FWD_RETRY },
		{ 414, 0, TALLY_FWD_RETRY },  { 451, 0, TALLY_FWD_RETRY },
		{ 301, 0, TALLY_FWD_RETRY },  { 100, 0, TALLY_FWD_RETRY },
		{ 0, 0, TALLY_FWD_RETRY },    /* no status at all */
		{ 0, 7, TALLY_FWD_RETRY },    /* connection refused */
		{ 0, 28, TALLY_FWD_RETRY },   /* timed out */
		{ 200, 56, TALLY_FWD_RETRY }, /* reset mid-answer: the status does not count */
		{ 400, 52, TALLY_FWD_RETRY },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		enum tally_fwd_outcome got =
		    tally_fwd_classify(rows[i].status, rows[i].transport_error);

		if (got != rows[i].want)
			fail_msg("status %ld transport %d: got %d want %d", rows[i].status,
			         rows[i].transport_error, got, rows[i].want);
	}
}

static void
test_backoff_bounds(void **state)
{
	/* n -> [lo, hi]: 2-4 s, 4-8, 8-16, 16-32, then 64 flat */
	static const struct {
		int n;
		int64_t lo, hi;
	} rows[] = {
		{ 1, 2000, 4000 },   { 2, 4000, 8000 },   { 3, 8000, 16000 },   { 4, 16000, 32000 },
		{ 5, 64000, 64000 }, { 6, 64000, 64000 }, { 40, 64000, 64000 },
	};

	assert_int_equal(tally_fwd_backoff_ms(0, 0.5), 0);
	assert_int_equal(tally_fwd_backoff_ms(-3, 0.5), 0);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		for (double u = 0; u < 1.0; u += 0.0625) {
			int64_t t = tally_fwd_backoff_ms(rows[i].n, u);

			assert_true(t >= rows[i].lo && t <= rows[i].hi);
		}
		assert_int_equal(tally_fwd_backoff_ms(rows[i].n, 0), rows[i].lo);
		assert_true(tally_fwd_backoff_ms(rows[i].n, 0.999999) <= rows[i].hi);
		/* out-of-range draws are clamped, never outside the window */
		assert_true(tally_fwd_backoff_ms(rows[i].n, 7) <= rows[i].hi);
		assert_int_equal(tally_fwd_backoff_ms(rows[i].n, -1), rows[i].lo);
	}
	assert_int_equal(TALLY_FWD_MAX_ERRORS, 6);
}

static void
test_breaker_block_probe_recover(void **state)
{
	struct tally_fwd_breaker br = { 0 };
	int64_t now = 1000;

	assert_true(tally_fwd_breaker_can_send(&br, now));
	assert_string_equal(tally_fwd_breaker_state_name(br.state), "closed");
	tally_fwd_breaker_on_send(&br, now);
	assert_int_equal(br.state, TALLY_FWD_UNBLOCKED);

	/* first error: blocked for 2-4 s (u = 0: exactly 2 s) */
	tally_fwd_breaker_on_failure(&br, now, 0);
	assert_int_equal(br.state, TALLY_FWD_BLOCKED);
	assert_int_equal(br.n_errors, 1);
	assert_int_equal(br.until_ms, now + 2000);
	assert_false(tally_fwd_breaker_can_send(&br, now + 1999));
	assert_true(tally_fwd_breaker_can_send(&br, now + 2000));

	/* a late result from before the block changes nothing */
	tally_fwd_breaker_on_failure(&br, now + 10, 0);
	tally_fwd_breaker_on_success(&br, now + 10, 0);
	assert_int_equal(br.n_errors, 1);
	assert_int_equal(br.state, TALLY_FWD_BLOCKED);

	/* block expires: one probe goes out, nothing else may */
	tally_fwd_breaker_on_send(&br, now + 2000);
	assert_int_equal(br.state, TALLY_FWD_HALF_BLOCKED);
	assert_string_equal(tally_fwd_breaker_state_name(br.state), "probing");
	assert_false(tally_fwd_breaker_can_send(&br, now + 2001));

	/* probe fails: two errors, 4-8 s */
	tally_fwd_breaker_on_failure(&br, now + 2100, 0);
	assert_int_equal(br.n_errors, 2);
	assert_int_equal(br.until_ms, now + 2100 + 4000);

	/* probe succeeds: errors - 2 = 0, unblocked */
	tally_fwd_breaker_on_send(&br, now + 6100);
	tally_fwd_breaker_on_success(&br, now + 6200, 0);
	assert_int_equal(br.state, TALLY_FWD_UNBLOCKED);
	assert_int_equal(br.n_errors, 0);
	assert_true(tally_fwd_breaker_can_send(&br, now + 6200));
}

static void
test_breaker_recovery_is_gradual_and_errors_capped(void **state)
{
	struct tally_fwd_breaker br = { 0 };
	int64_t now = 0;

	for (int i = 0; i < 20; i++) {
		now = br.until_ms;
		tally_fwd_breaker_on_send(&br, now);
		tally_fwd_breaker_on_failure(&br, now, 0.5);
	}
	assert_int_equal(br.n_errors, TALLY_FWD_MAX_ERRORS);
	assert_int_equal(br.until_ms - now, 64000);

	/* success with 6 errors: 4 left, blocked again but shorter (16-32 s) */
	now = br.until_ms;
	tally_fwd_breaker_on_send(&br, now);
	tally_fwd_breaker_on_success(&br, now, 0);
	assert_int_equal(br.state, TALLY_FWD_BLOCKED);
	assert_int_equal(br.n_errors, 4);
	assert_int_equal(br.until_ms - now, 16000);
	now = br.until_ms;
	tally_fwd_breaker_on_send(&br, now);
	tally_fwd_breaker_on_success(&br, now, 0);
	assert_int_equal(br.n_errors, 2);
	assert_int_equal(br.until_ms - now, 4000);
	now = br.until_ms;
	tally_fwd_breaker_on_send(&br, now);
	tally_fwd_breaker_on_success(&br, now, 0);
	assert_int_equal(br.state, TALLY_FWD_UNBLOCKED);
	assert_int_equal(br.n_errors, 0);
}

static void
test_breaker_expire_for_drain(void **state)
{
	struct tally_fwd_breaker br = { 0 };

	tally_fwd_breaker_on_failure(&br, 100, 0.3);
	assert_false(tally_fwd_breaker_can_send(&br, 200));
	tally_fwd_breaker_expire(&br, 200);
	assert_true(tally_fwd_breaker_can_send(&br, 200));
	assert_int_equal(br.n_errors, 1);
	/* expiring an unblocked breaker is a no-op */
	br = (struct tally_fwd_breaker){ 0 };
	tally_fwd_breaker_expire(&br, 50);
	assert_int_equal(br.state, TALLY_FWD_UNBLOCKED);
	assert_int_equal(br.until_ms, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_classify_table),
		cmocka_unit_test(test_backoff_bounds),
		cmocka_unit_test(test_breaker_block_probe_recover),
		cmocka_unit_test(test_breaker_recovery_is_gradual_and_errors_capped),
		cmocka_unit_test(test_breaker_expire_for_drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
