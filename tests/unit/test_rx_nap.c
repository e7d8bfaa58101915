/*
 * The receiver's adaptive UDP nap (tally_rx_next_nap in receiver_internal.h): it grows while
 * naps leave the socket buffer nearly empty, shrinks as soon as one fills more than 1/16 of
 * it or a drain is cut short, and stays within its bounds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "receiver_internal.h"

#define MIB (1024u * 1024u)

static void
test_grows_to_the_cap_on_a_quiet_socket(void **state)
{
	long nap = RX_NAP_START_NS;

	nap = tally_rx_next_nap(nap, 100, 16 * MIB, false);
	assert_int_equal(nap, 2 * RX_NAP_START_NS);
	for (int i = 0; i < 10; i++)
		nap = tally_rx_next_nap(nap, 100, 16 * MIB, false);
	assert_int_equal(nap, RX_NAP_MAX_NS);
}

static void
test_shrinks_to_the_floor_when_the_buffer_fills(void **state)
{
	long nap = RX_NAP_MAX_NS;

	/* More than 1/16 of a 16 MiB buffer in one nap. */
	nap = tally_rx_next_nap(nap, MIB + 1, 16 * MIB, false);
	assert_int_equal(nap, RX_NAP_MAX_NS / 2);
	for (int i = 0; i < 10; i++)
		nap = tally_rx_next_nap(nap, MIB + 1, 16 * MIB, false);
	assert_int_equal(nap, RX_NAP_MIN_NS);
}

static void
test_holds_in_the_band(void **state)
{
	/* Between 1/32 and 1/16: neither grows nor shrinks. */
	assert_int_equal(tally_rx_next_nap(1000000, MIB - MIB / 4, 16 * MIB, false), 1000000);
	assert_int_equal(tally_rx_next_nap(1000000, MIB / 2, 16 * MIB, false), 1000000);
	assert_int_equal(tally_rx_next_nap(1000000, MIB, 16 * MIB, false), 1000000);
}

static void
test_cut_short_drain_shrinks(void **state)
{
	assert_int_equal(tally_rx_next_nap(1000000, 0, 16 * MIB, true), 500000);
	assert_int_equal(tally_rx_next_nap(RX_NAP_MIN_NS, 0, 16 * MIB, true), RX_NAP_MIN_NS);
}

static void
test_unknown_buffer_keeps_the_nap(void **state)
{
	assert_int_equal(tally_rx_next_nap(RX_NAP_START_NS, 0, 0, false), RX_NAP_START_NS);
	assert_int_equal(tally_rx_next_nap(RX_NAP_START_NS, 10 * MIB, 0, true), RX_NAP_START_NS);
}

/*
 * The kernel's default buffer (208 KiB) at 16M packed metrics/s (~720 KB per ms charged): the
 * nap goes down to the floor, where it fills a small part of what even the floor nap allows.
 */
static void
test_small_buffer_under_load_stays_at_the_floor(void **state)
{
	long nap = RX_NAP_START_NS;

	for (int i = 0; i < 10; i++)
		nap = tally_rx_next_nap(nap, (size_t)(720.0 * 1024 * nap / 1e6), 212992, false);
	assert_int_equal(nap, RX_NAP_MIN_NS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grows_to_the_cap_on_a_quiet_socket),
		cmocka_unit_test(test_shrinks_to_the_floor_when_the_buffer_fills),
		cmocka_unit_test(test_holds_in_the_band),
		cmocka_unit_test(test_cut_short_drain_shrinks),
		cmocka_unit_test(test_unknown_buffer_keeps_the_nap),
		cmocka_unit_test(test_small_buffer_under_load_stays_at_the_floor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
