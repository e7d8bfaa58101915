#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "outfmt.h"

static void
test_doubles_read_back_exactly(void **state)
{
	static const struct {
		double v;
		const char *want;
	} rows[] = {
		{ 0, "0" },
		{ -0.0, "0" },
		{ 1, "1" },
		{ -42, "-42" },
		{ 0.1, "0.1" },
		{ 2.5e-7, "2.5e-07" },
		{ 1e15, "1e+15" },
		{ 123456789012, "123456789012" },
		{ 0.1 + 0.2, "0.30000000000000004" },
		{ NAN, "NaN" },
		{ INFINITY, "+Inf" },
		{ -INFINITY, "-Inf" },
	};
	char buf[TALLY_FMT_DOUBLE_MAX];

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		size_t n = tally_fmt_double(rows[i].v, buf);

		assert_string_equal(buf, rows[i].want);
		assert_int_equal(n, strlen(rows[i].want));
	}
	tally_fmt_double(-1.2345678901234567e-300, buf);
	assert_true(strtod(buf, NULL) == -1.2345678901234567e-300);
}

static void
test_tag_split_rules(void **state)
{
	static const struct {
		const char *tag, *key, *val;
	} rows[] = {
		{ "env:prod", "env", "prod" },
		{ "url:a:b", "url", "a:b" },
		{ "flag", "flag", "true" },
		{ "flag:", "flag", "true" },
		{ ":v", "_", "v" },
		{ ":", "_", "true" },
		{ "", "_", "true" },
	};
	struct tally_tag_kv kv;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		tally_tag_split(rows[i].tag, &kv);
		assert_int_equal(kv.key_len, strlen(rows[i].key));
		assert_memory_equal(kv.key, rows[i].key, kv.key_len);
		assert_int_equal(kv.val_len, strlen(rows[i].val));
		assert_memory_equal(kv.val, rows[i].val, kv.val_len);
	}
}

static void
test_emit_sorts_and_dedups_tags(void **state)
{
	const char *common[] = { "output:graphite", "env:prod", "output:graphite" };
	struct tally_batch *b = tally_batch_new(100);
	struct tally_out_emit e = { b, 90, 10, "h1", common, 3 };
	const struct tally_series *s;

	tally_out_emit_series(&e, "tally.forwarder.dropped", TALLY_SERIES_COUNT, 4,
	                      "reason:queue_full");
	tally_out_emit_series(&e, "tally.forwarder.queue_bytes", TALLY_SERIES_GAUGE, 7, NULL);
	assert_int_equal(b->n_series, 2);
	s = &b->series[0];
	assert_string_equal(s->name, "tally.forwarder.dropped");
	assert_string_equal(s->host, "h1");
	assert_int_equal(s->kind, TALLY_SERIES_COUNT);
	assert_int_equal(s->timestamp, 90);
	assert_int_equal(s->interval_s, 10);
	assert_true(s->value == 4);
	assert_int_equal(s->n_tags, 3);
	assert_string_equal(s->tags[0], "env:prod");
	assert_string_equal(s->tags[1], "output:graphite");
	assert_string_equal(s->tags[2], "reason:queue_full");
	assert_int_equal(b->series[1].n_tags, 2);
	tally_batch_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_doubles_read_back_exactly),
		cmocka_unit_test(test_tag_split_rules),
		cmocka_unit_test(test_emit_sorts_and_dedups_tags),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
