#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "graphite_fmt.h"

#define MAX_TAGS 8

struct row {
	const char *name;
	const char *host;
	const char *tags[MAX_TAGS];
	double value;
	const char *want;
};

static const struct row rows[] = {
	{ "app.hits", "", { NULL }, 3, "app.hits 3 1700000000\n" },
	{ "app.hits", "h1", { NULL }, 0.5, "app.hits;host=h1 0.5 1700000000\n" },
	{ "app.hits",
	  "h1",
	  { "env:prod", "role:web" },
	  2,
	  "app.hits;host=h1;env=prod;role=web 2 1700000000\n" },
	/* A tag without a value, or with an empty one, is "true"; an empty key is "_". */
	{ "m", "", { "canary", "flag:", ":v" }, 1, "m;canary=true;flag=true;_=v 1 1700000000\n" },
	/* Only the first ':' splits; later ones belong to the value. */
	{ "m", "", { "url:http://x:80" }, 1, "m;url=http://x:80 1 1700000000\n" },
	/* Forbidden bytes become '_' in the name, keys and values. */
	{ "a b;c~d!e^f=g\th\ni", "", { NULL }, 1, "a_b_c_d_e_f_g_h_i 1 1700000000\n" },
	{ "m",
	  "my host",
	  { "k;1:v~1", "k=2:a b", "x!^:y=z" },
	  1,
	  "m;host=my_host;k_1=v_1;k_2=a_b;x__=y_z 1 1700000000\n" },
	/* Duplicate keys after sanitizing: the first wins; the host comes first. */
	{ "m", "h1", { "a b:1", "a_b:2", "host:other" }, 1, "m;host=h1;a_b=1 1 1700000000\n" },
	/* Values round-trip exactly and read well. */
	{ "m", "", { NULL }, 0.1, "m 0.1 1700000000\n" },
	{ "m", "", { NULL }, -7.25, "m -7.25 1700000000\n" },
	{ "m", "", { NULL }, 1e20, "m 1e+20 1700000000\n" },
	{ "m", "", { NULL }, 1.0 / 3, "m 0.33333333333333331 1700000000\n" },
	{ "", "", { NULL }, 1, "_ 1 1700000000\n" },
	/* UTF-8 passes through untouched. */
	{ "caf\xc3\xa9", "", { "k:\xe2\x82\xac" }, 1, "caf\xc3\xa9;k=\xe2\x82\xac 1 1700000000\n" },
};

static size_t
count_tags(const struct row *r)
{
	size_t n = 0;

	while (n < MAX_TAGS && r->tags[n])
		n++;
	return n;
}

static void
test_rows(void **state)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct tally_series s = { .name = r->name,
			                  .host = r->host,
			                  .tags = r->tags,
			                  .n_tags = count_tags(r),
			                  .kind = TALLY_SERIES_GAUGE,
			                  .timestamp = 1700000000,
			                  .value = r->value,
			                  .interval_s = 10 };
		size_t max = tally_graphite_line_max(&s);
		char *buf = malloc(max);
		size_t n = tally_graphite_format(&s, buf);

		print_message("row %zu: %s", i, r->want);
		assert_true(n <= max);
		assert_int_equal(n, strlen(r->want));
		assert_memory_equal(buf, r->want, n);
		free(buf);
	}
}

static void
test_non_finite_values_are_refused(void **state)
{
	double bad[] = { NAN, INFINITY, -INFINITY };
	char buf[256];

	for (size_t i = 0; i < 3; i++) {
		struct tally_series s = { .name = "m", .host = "", .value = bad[i] };

		assert_true(tally_graphite_line_max(&s) <= sizeof(buf));
		assert_int_equal(tally_graphite_format(&s, buf), 0);
	}
}

/* The bound holds in the worst case: every tag empty or valueless, big numbers. */
static void
test_line_max_is_an_upper_bound(void **state)
{
	const char *tags[] = { ":", "a", "b:", ":c" };
	struct tally_series s = { .name = "n",
		                  .host = "h",
		                  .tags = tags,
		                  .n_tags = 4,
		                  .timestamp = INT64_MIN,
		                  .value = -1.2345678901234567e-300 };
	char *buf = malloc(tally_graphite_line_max(&s));
	size_t n = tally_graphite_format(&s, buf);

	assert_true(n > 0 && n <= tally_graphite_line_max(&s));
	assert_memory_equal(buf, "n;host=h;_=true;a=true;b=true ", 30);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_non_finite_values_are_refused),
		cmocka_unit_test(test_line_max_is_an_upper_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
