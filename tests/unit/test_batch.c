#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"

static void
test_series_are_copied(void **state)
{
	char name[] = "app.hits";
	const char *tags[] = { "a:1", "b:2" };
	struct tally_batch *b = tally_batch_new(100);
	struct tally_series *s;

	s = tally_batch_add_series(b, name, "h1", tags, 2, TALLY_SERIES_RATE, 90, 1.5, 10);
	name[0] = 'X';
	assert_string_equal(s->name, "app.hits");
	assert_string_equal(s->host, "h1");
	assert_int_equal(s->n_tags, 2);
	assert_string_equal(s->tags[1], "b:2");
	assert_string_equal(tally_series_kind_name(s->kind), "rate");
	tally_batch_unref(b);
}

static void
test_many_series_and_big_strings(void **state)
{
	struct tally_batch *b = tally_batch_new(0);
	static char big[100000];

	memset(big, 'x', sizeof(big) - 1);
	for (int i = 0; i < 5000; i++)
		tally_batch_add_series(b, "m", NULL, NULL, 0, TALLY_SERIES_GAUGE, 0, i, 10);
	const char *p = tally_batch_strndup(b, big, sizeof(big) - 1);
	assert_int_equal(strlen(p), sizeof(big) - 1);
	assert_int_equal(b->n_series, 5000);
	assert_true(b->series[4999].value == 4999);
	assert_string_equal(b->series[0].host, "");
	tally_batch_ref(b);
	tally_batch_unref(b);
	tally_batch_unref(b);
}

static void
test_event_defaults(void **state)
{
	struct tally_batch *b = tally_batch_new(0);
	struct tally_event ev = { .title = "t", .text = "x" };

	tally_batch_add_event(b, &ev);
	assert_string_equal(b->events[0].priority, "normal");
	assert_string_equal(b->events[0].alert_type, "info");
	assert_string_equal(b->events[0].host, "");
	tally_batch_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_series_are_copied),
		cmocka_unit_test(test_many_series_and_big_strings),
		cmocka_unit_test(test_event_defaults),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
