#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "prom_fmt.h"

#define MAX_TAGS 8

static void
test_names(void **state)
{
	static const struct {
		const char *in;
		bool counter;
		const char *want;
	} rows[] = {
		{ "app.hits", false, "app_hits" },
		{ "app.hits", true, "app_hits_total" },
		{ "my-app.req-time.95percentile", false, "my_app_req_time_95percentile" },
		{ "ns:sub.x", false, "ns:sub_x" },
		{ "9lives", false, "_9lives" },
		{ "", false, "_" },
		{ "a b/c\xc3\xa9", false, "a_b_c__" },
		{ "requests_total", true, "requests_total" },
		{ "requests.total", true, "requests_total" },
		{ "total", true, "total_total" },
		{ "_total", true, "_total" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *buf = malloc(tally_prom_name_max(rows[i].in));
		size_t n = tally_prom_name(rows[i].in, rows[i].counter, buf);

		print_message("row %zu: %s\n", i, rows[i].in);
		assert_string_equal(buf, rows[i].want);
		assert_int_equal(n, strlen(rows[i].want));
		assert_true(n < tally_prom_name_max(rows[i].in));
		free(buf);
	}
}

struct lrow {
	const char *host;
	const char *tags[MAX_TAGS];
	const char *want;
};

static const struct lrow lrows[] = {
	{ "", { NULL }, "" },
	{ "h1", { NULL }, "{host=\"h1\"}" },
	{ "h1", { "env:prod", "role:web" }, "{host=\"h1\",env=\"prod\",role=\"web\"}" },
	{ "", { "canary", "flag:", ":v" }, "{canary=\"true\",flag=\"true\",_=\"v\"}" },
	/* Label names keep [a-zA-Z0-9_]; a leading digit gets '_'. */
	{ "", { "my.key-1:x", "1st:y", "a:b:c" }, "{my_key_1=\"x\",_1st=\"y\",a=\"b:c\"}" },
	/* Values escape backslash, quote and newline, and nothing else. */
	{ "", { "k:a\\b\"c\nd e{}=," }, "{k=\"a\\\\b\\\"c\\nd e{}=,\"}" },
	/* Duplicate names after sanitizing: the first wins; the host comes first. */
	{ "h1", { "a.b:1", "a_b:2", "host:other" }, "{host=\"h1\",a_b=\"1\"}" },
	/* Valid UTF-8 passes; an invalid byte becomes U+FFFD. */
	{ "",
	  { "k:caf\xc3\xa9", "j:x\xffy", "l:\xe2\x82" },
	  "{k=\"caf\xc3\xa9\",j=\"x\xef\xbf\xbdy\",l=\"\xef\xbf\xbd\xef\xbf\xbd\"}" },
};

static size_t
count_tags(const struct lrow *r)
{
	size_t n = 0;

	while (n < MAX_TAGS && r->tags[n])
		n++;
	return n;
}

static void
test_labels(void **state)
{
	for (size_t i = 0; i < sizeof(lrows) / sizeof(lrows[0]); i++) {
		const struct lrow *r = &lrows[i];
		struct tally_series s = {
			.name = "m", .host = r->host, .tags = r->tags, .n_tags = count_tags(r)
		};
		size_t max = tally_prom_labels_max(&s), scratch[MAX_TAGS + 1];
		char *buf = malloc(max);
		size_t n = tally_prom_labels(&s, buf, scratch);

		print_message("row %zu: %s\n", i, r->want);
		assert_string_equal(buf, r->want);
		assert_int_equal(n, strlen(r->want));
		assert_true(n < max);
		free(buf);
	}
}

/* The bound holds when every byte needs the most room. */
static void
test_labels_max_is_an_upper_bound(void **state)
{
	const char *tags[] = { ":", "\xff\xff\xff", "1", "k:\"\"\"" };
	struct tally_series s = { .name = "m", .host = "\xff", .tags = tags, .n_tags = 4 };
	size_t max = tally_prom_labels_max(&s), scratch[5];
	char *buf = malloc(max);

	assert_true(tally_prom_labels(&s, buf, scratch) < max);
	free(buf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_labels),
		cmocka_unit_test(test_labels_max_is_an_upper_bound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
