#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "batch.h"
#include "fwd_queue.h"
#include "influx_line.h"

/* Formats one series' line into out (caller frees). */
static char *
line_of(const char *name, const char *host, const char *const *tags, size_t n_tags, double value,
        enum tally_influx_precision prec)
{
	struct tally_series s = { .name = name,
		                  .host = host,
		                  .tags = tags,
		                  .n_tags = n_tags,
		                  .kind = TALLY_SERIES_GAUGE,
		                  .timestamp = 1700000000,
		                  .value = value,
		                  .interval_s = 10 };
	char *buf = NULL;
	size_t len = 0, cap = 0;

	if (!tally_influx_line(&s, prec, &buf, &len, &cap)) {
		free(buf);
		return NULL;
	}
	return buf;
}

static void
test_lines_table(void **state)
{
	static const struct {
		const char *name, *host;
		const char *tags[4];
		size_t n_tags;
		double value;
		const char *want;
	} rows[] = {
		{ "cpu", "h1", { 0 }, 0, 1.5, "cpu,host=h1 value=1.5 1700000000\n" },
		{ "cpu", "", { 0 }, 0, 2, "cpu value=2 1700000000\n" },
		{ "cpu",
		  "h1",
		  { "env:prod", "role:web" },
		  2,
		  0.1,
		  "cpu,env=prod,host=h1,role=web value=0.1 1700000000\n" },
		/* tag without ':' becomes key=true; empty key or value is left out */
		{ "m",
		  "h",
		  { "canary", ":x", "k:" },
		  3,
		  1,
		  "m,canary=true,host=h value=1 1700000000\n" },
		/* the value keeps everything after the first ':' */
		{ "m",
		  "",
		  { "url:http://a:80/x" },
		  1,
		  1,
		  "m,url=http://a:80/x value=1 1700000000\n" },
		/* escaping: comma, space, equals in tags; comma and space in the measurement */
		{ "my metric,x=1",
		  "",
		  { "a b:c,d=e" },
		  1,
		  -3,
		  "my\\ metric\\,x=1,a\\ b=c\\,d\\=e value=-3 1700000000\n" },
		/* control characters and a trailing backslash become '_' */
		{ "m\nx", "", { "k:v\\", "t:a\tb" }, 2, 1, "m_x,k=v_,t=a_b value=1 1700000000\n" },
		/* the series' host wins over a host: tag; first of duplicate keys kept */
		{ "m",
		  "real",
		  { "env:a", "env:b", "host:fake" },
		  3,
		  1,
		  "m,env=a,host=real value=1 1700000000\n" },
		{ "m", "", { "env:a", "env:b" }, 2, 1e20, "m,env=a value=1e+20 1700000000\n" },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char *got = line_of(rows[i].name, rows[i].host, rows[i].tags, rows[i].n_tags,
		                    rows[i].value, TALLY_INFLUX_S);

		assert_non_null(got);
		if (strcmp(got, rows[i].want) != 0)
			fail_msg("row %zu: got %s want %s", i, got, rows[i].want);
		free(got);
	}
}

static void
test_precision_and_non_finite(void **state)
{
	char *got = line_of("m", "", NULL, 0, 1, TALLY_INFLUX_NS);

	assert_string_equal(got, "m value=1 1700000000000000000\n");
	free(got);
	got = line_of("m", "", NULL, 0, 1, TALLY_INFLUX_MS);
	assert_string_equal(got, "m value=1 1700000000000\n");
	free(got);
	got = line_of("m", "", NULL, 0, 1, TALLY_INFLUX_US);
	assert_string_equal(got, "m value=1 1700000000000000\n");
	free(got);
	assert_null(line_of("m", "", NULL, 0, NAN, TALLY_INFLUX_S));
	assert_null(line_of("m", "", NULL, 0, -INFINITY, TALLY_INFLUX_S));
}

static void
test_url_precision(void **state)
{
	static const struct {
		const char *url;
		int has;
		enum tally_influx_precision want;
	} rows[] = {
		{ "http://h:8086/write?db=x", 0, TALLY_INFLUX_S },
		{ "http://h:8086/write", 0, TALLY_INFLUX_S },
		{ "http://h:8086/write?db=x&precision=ns", 1, TALLY_INFLUX_NS },
		{ "http://h:8086/write?precision=ms&db=x", 1, TALLY_INFLUX_MS },
		{ "http://h:8086/write?db=x&precision=u", 1, TALLY_INFLUX_US },
		{ "http://h:8086/write?db=x&precision=s", 1, TALLY_INFLUX_S },
		{ "http://h:8086/write?db=myprecision=ns", 0, TALLY_INFLUX_S },
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		int has = -1;

		assert_int_equal(tally_influx_url_precision(rows[i].url, &has), rows[i].want);
		assert_int_equal(has, rows[i].has);
	}
}

static void
test_build_splits_and_counts(void **state)
{
	struct tally_batch *b = tally_batch_new(0);
	struct tally_influx_result res;
	char big[300];
	unsigned lines = 0, n = 0;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	for (int i = 0; i < 100; i++)
		tally_batch_add_series(b, "metric.name", "host1", NULL, 0, TALLY_SERIES_RATE, 1, i,
		                       10);
	tally_batch_add_series(b, big, "", NULL, 0, TALLY_SERIES_GAUGE, 1, 1, 10);
	tally_batch_add_series(b, "nan", "", NULL, 0, TALLY_SERIES_GAUGE, 1, NAN, 10);
	tally_influx_build(b, TALLY_INFLUX_S, 200, &res);
	assert_int_equal(res.too_big, 1);
	assert_int_equal(res.invalid, 1);
	for (const struct tally_fwd_payload *p = res.payloads; p; p = p->next) {
		assert_true(p->len <= 200);
		assert_true(p->len > 0 && p->body[p->len - 1] == '\n');
		assert_string_equal(p->path, "");
		assert_null(p->content_encoding);
		assert_int_equal(strncmp(p->content_type, "text/plain", 10), 0);
		lines += p->n_items;
		n++;
	}
	assert_int_equal(lines, 100);
	assert_true(n >= 20);
	assert_int_equal(memcmp(res.payloads->body, "metric.name,host=host1 value=0 1\n", 33), 0);
	tally_fwd_payload_free_list(res.payloads);

	/* default limit: everything in one body */
	tally_influx_build(b, TALLY_INFLUX_S, 0, &res);
	assert_non_null(res.payloads);
	assert_null(res.payloads->next);
	assert_int_equal(res.payloads->n_items, 101);
	tally_fwd_payload_free_list(res.payloads);
	tally_batch_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_table),
		cmocka_unit_test(test_precision_and_non_finite),
		cmocka_unit_test(test_url_precision),
		cmocka_unit_test(test_build_splits_and_counts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
