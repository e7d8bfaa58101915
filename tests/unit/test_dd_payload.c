#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cmocka.h>

#include "batch.h"
#include "dd_payload.h"
#include "fwd_queue.h"
#include "xmem.h"

/* Inflates a payload body into a NUL-terminated string the caller frees. */
static char *
inflate_body(const struct tally_fwd_payload *p)
{
	uLongf len = 64 * 1024 * 1024;
	char *out = tally_xmalloc(len + 1);

	assert_int_equal(uncompress((Bytef *)out, &len, p->body, p->len), Z_OK);
	out[len] = '\0';
	return out;
}

static unsigned
count(const struct tally_fwd_payload *p)
{
	unsigned n = 0;

	for (; p; p = p->next)
		n++;
	return n;
}

static void
free_result(struct tally_dd_result *res)
{
	for (int i = 0; i < TALLY_DD__COUNT; i++)
		tally_fwd_payload_free_list(res->payloads[i]);
}

static void
test_exact_series_json(void **state)
{
	const char *tags[] = { "env:prod", "role:web" };
	struct tally_batch *b = tally_batch_new(1700000010);
	struct tally_dd_result res;
	char *json;

	tally_batch_add_series(b, "app.requests", "web-1", tags, 2, TALLY_SERIES_RATE, 1700000000,
	                       1.5, 10);
	tally_batch_add_series(b, "app.latency.95percentile", "web-1", NULL, 0, TALLY_SERIES_GAUGE,
	                       1700000000, 12, 10);
	tally_batch_add_series(b, "app.x", NULL, NULL, 0, TALLY_SERIES_COUNT, 1700000000, 0.1, 10);
	tally_dd_build(b, NULL, &res);
	assert_int_equal(count(res.payloads[TALLY_DD_SERIES]), 1);
	assert_null(res.payloads[TALLY_DD_CHECK_RUN]);
	assert_null(res.payloads[TALLY_DD_EVENTS]);
	assert_string_equal(res.payloads[TALLY_DD_SERIES]->path, "/api/v1/series");
	assert_string_equal(res.payloads[TALLY_DD_SERIES]->content_type, "application/json");
	assert_string_equal(res.payloads[TALLY_DD_SERIES]->content_encoding, "deflate");
	assert_int_equal(res.payloads[TALLY_DD_SERIES]->n_items, 3);
	json = inflate_body(res.payloads[TALLY_DD_SERIES]);
	assert_string_equal(
	    json, "{\"series\":["
	          "{\"metric\":\"app.requests\",\"points\":[[1700000000,1.5]],"
	          "\"tags\":[\"env:prod\",\"role:web\"],\"host\":\"web-1\",\"type\":\"rate\","
	          "\"interval\":10},"
	          "{\"metric\":\"app.latency.95percentile\",\"points\":[[1700000000,12]],"
	          "\"tags\":[],\"host\":\"web-1\",\"type\":\"gauge\",\"interval\":10},"
	          "{\"metric\":\"app.x\",\"points\":[[1700000000,0.1]],\"tags\":[],\"host\":\"\","
	          "\"type\":\"count\",\"interval\":10}"
	          "]}");
	free(json);
	free_result(&res);
	tally_batch_unref(b);
}

static void
test_checks_and_events_json(void **state)
{
	const char *tags[] = { "a:1" };
	struct tally_batch *b = tally_batch_new(100);
	struct tally_service_check sc = { .name = "app.up",
		                          .status = 2,
		                          .host = "h1",
		                          .tags = tags,
		                          .n_tags = 1,
		                          .timestamp = 90,
		                          .message = "down \"x\"/y" };
	struct tally_event ev = { .title = "Deploy",
		                  .text = "line1\nline2",
		                  .timestamp = 91,
		                  .host = "h1",
		                  .aggregation_key = "",
		                  .priority = "normal",
		                  .alert_type = "info",
		                  .source_type_name = "",
		                  .tags = tags,
		                  .n_tags = 1 };
	struct tally_dd_result res;
	char *json;

	tally_batch_add_service_check(b, &sc);
	tally_batch_add_service_check(b, &sc);
	tally_batch_add_event(b, &ev);
	ev.aggregation_key = "k1";
	ev.source_type_name = "deployer";
	tally_batch_add_event(b, &ev);
	tally_dd_build(b, NULL, &res);
	assert_null(res.payloads[TALLY_DD_SERIES]);
	assert_int_equal(count(res.payloads[TALLY_DD_CHECK_RUN]), 1);
	assert_string_equal(res.payloads[TALLY_DD_CHECK_RUN]->path, "/api/v1/check_run");
	json = inflate_body(res.payloads[TALLY_DD_CHECK_RUN]);
	assert_string_equal(json,
	                    "[{\"check\":\"app.up\",\"host_name\":\"h1\",\"timestamp\":90,"
	                    "\"status\":2,\"message\":\"down \\\"x\\\"/y\",\"tags\":[\"a:1\"]},"
	                    "{\"check\":\"app.up\",\"host_name\":\"h1\",\"timestamp\":90,"
	                    "\"status\":2,\"message\":\"down \\\"x\\\"/y\",\"tags\":[\"a:1\"]}]");
	free(json);
	/* one event per request, as POST /api/v1/events takes one object */
	assert_int_equal(count(res.payloads[TALLY_DD_EVENTS]), 2);
	assert_string_equal(res.payloads[TALLY_DD_EVENTS]->path, "/api/v1/events");
	json = inflate_body(res.payloads[TALLY_DD_EVENTS]);
	assert_string_equal(json, "{\"title\":\"Deploy\",\"text\":\"line1\\nline2\","
	                          "\"date_happened\":91,\"priority\":\"normal\",\"host\":\"h1\","
	                          "\"tags\":[\"a:1\"],\"alert_type\":\"info\"}");
	free(json);
	json = inflate_body(res.payloads[TALLY_DD_EVENTS]->next);
	assert_non_null(
	    strstr(json, "\"aggregation_key\":\"k1\",\"source_type_name\":\"deployer\"}"));
	free(json);
	free_result(&res);
	tally_batch_unref(b);
}

/* 1000 series under a 10 KB raw limit: several payloads, each valid and within the limit. */
static void
test_split_by_raw_limit(void **state)
{
	struct tally_dd_limits lim = { .max_compressed = 1 << 20, .max_raw = 10000 };
	struct tally_batch *b = tally_batch_new(0);
	struct tally_dd_result res;
	unsigned items = 0, n = 0;
	char name[64];

	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "metric.number.%d", i);
		tally_batch_add_series(b, name, "h", NULL, 0, TALLY_SERIES_GAUGE, 1, i, 10);
	}
	tally_dd_build(b, &lim, &res);
	for (const struct tally_fwd_payload *p = res.payloads[TALLY_DD_SERIES]; p; p = p->next) {
		char *json = inflate_body(p);

		assert_true(strlen(json) <= lim.max_raw);
		assert_true(strncmp(json, "{\"series\":[{", 12) == 0);
		assert_string_equal(json + strlen(json) - 3, "}]}");
		if (n == 0)
			assert_non_null(strstr(json, "\"metric.number.0\""));
		items += p->n_items;
		n++;
		free(json);
	}
	assert_true(n > 5);
	assert_int_equal(items, 1000);
	assert_int_equal(res.too_big[TALLY_DD_SERIES], 0);
	free_result(&res);
	tally_batch_unref(b);
}

/* Random-looking tags compress badly: the compressed limit forces splits by halving. */
static void
test_split_by_compressed_limit(void **state)
{
	struct tally_dd_limits lim = { .max_compressed = 2000, .max_raw = 1 << 20 };
	struct tally_batch *b = tally_batch_new(0);
	struct tally_dd_result res;
	unsigned items = 0, n = 0;
	char tag[80];
	const char *tags[1] = { tag };
	uint32_t x = 12345;

	for (int i = 0; i < 200; i++) {
		int w = snprintf(tag, sizeof(tag), "k:");

		for (int j = 0; j < 40; j++) {
			x = x * 1103515245u + 12345u;
			tag[w++] = (char)('a' + (x >> 16) % 26);
		}
		tag[w] = '\0';
		tally_batch_add_series(b, "m", "h", tags, 1, TALLY_SERIES_GAUGE, 1, i, 10);
	}
	tally_dd_build(b, &lim, &res);
	for (const struct tally_fwd_payload *p = res.payloads[TALLY_DD_SERIES]; p; p = p->next) {
		assert_true(p->len <= lim.max_compressed);
		items += p->n_items;
		n++;
	}
	assert_true(n > 2);
	assert_int_equal(items, 200);
	free_result(&res);
	tally_batch_unref(b);
}

static void
test_oversized_single_item_dropped(void **state)
{
	struct tally_dd_limits lim = { .max_compressed = 1 << 20, .max_raw = 500 };
	struct tally_batch *b = tally_batch_new(0);
	struct tally_dd_result res;
	char big[1000];
	char *json;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	tally_batch_add_series(b, "small.before", "h", NULL, 0, TALLY_SERIES_GAUGE, 1, 1, 10);
	tally_batch_add_series(b, big, "h", NULL, 0, TALLY_SERIES_GAUGE, 1, 2, 10);
	tally_batch_add_series(b, "small.after", "h", NULL, 0, TALLY_SERIES_GAUGE, 1, 3, 10);
	tally_batch_add_series(b, "bad.nan", "h", NULL, 0, TALLY_SERIES_GAUGE, 1, NAN, 10);
	tally_batch_add_series(b, "bad.inf", "h", NULL, 0, TALLY_SERIES_GAUGE, 1, INFINITY, 10);
	tally_dd_build(b, &lim, &res);
	assert_int_equal(res.too_big[TALLY_DD_SERIES], 1);
	assert_int_equal(res.invalid[TALLY_DD_SERIES], 2);
	/* packing is in order: the dropped item ends one payload, the next starts another */
	assert_int_equal(count(res.payloads[TALLY_DD_SERIES]), 2);
	json = inflate_body(res.payloads[TALLY_DD_SERIES]);
	assert_non_null(strstr(json, "small.before"));
	assert_null(strstr(json, "xxxx"));
	free(json);
	json = inflate_body(res.payloads[TALLY_DD_SERIES]->next);
	assert_non_null(strstr(json, "small.after"));
	assert_null(strstr(json, "xxxx"));
	free(json);
	free_result(&res);

	/* the same item too big once compressed (random bytes do not compress) */
	lim = (struct tally_dd_limits){ .max_compressed = 60, .max_raw = 1 << 20 };
	tally_dd_build(b, &lim, &res);
	assert_int_equal(res.too_big[TALLY_DD_SERIES], 3);
	free_result(&res);
	tally_batch_unref(b);
}

static void
test_format_double_round_trips(void **state)
{
	static const double values[] = { 0,    1,       -1,      0.1,          1.5,   1e20,
		                         1e-7, 3.14159, 2.0 / 3, 123456789012, 1e300, -0.25 };
	char buf[40];

	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
		tally_dd_format_double(values[i], buf, sizeof(buf));
		assert_true(strtod(buf, NULL) == values[i]);
	}
	tally_dd_format_double(0.1, buf, sizeof(buf));
	assert_string_equal(buf, "0.1");
	tally_dd_format_double(42, buf, sizeof(buf));
	assert_string_equal(buf, "42");
}

static void
test_invalid_utf8_replaced(void **state)
{
	const char *tags[] = { "city:z\xc3\xbcrich", "bad:\xc3(" };
	struct tally_batch *b = tally_batch_new(0);
	struct tally_dd_result res;
	char *json;

	tally_batch_add_series(b, "bad\xffname\xed\xa0\x80", "h\xe2\x82\xac", tags, 2,
	                       TALLY_SERIES_GAUGE, 1, 1, 10);
	tally_dd_build(b, NULL, &res);
	json = inflate_body(res.payloads[TALLY_DD_SERIES]);
	/* invalid bytes (a stray 0xff, a surrogate, a cut sequence) become U+FFFD */
	assert_non_null(
	    strstr(json, "\"bad\xef\xbf\xbdname\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	assert_non_null(strstr(json, "\"bad:\xef\xbf\xbd(\""));
	/* valid multi-byte text is kept as it is */
	assert_non_null(strstr(json, "\"city:z\xc3\xbcrich\""));
	assert_non_null(strstr(json, "\"host\":\"h\xe2\x82\xac\""));
	free(json);
	free_result(&res);
	tally_batch_unref(b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exact_series_json),
		cmocka_unit_test(test_checks_and_events_json),
		cmocka_unit_test(test_split_by_raw_limit),
		cmocka_unit_test(test_split_by_compressed_limit),
		cmocka_unit_test(test_oversized_single_item_dropped),
		cmocka_unit_test(test_format_double_round_trips),
		cmocka_unit_test(test_invalid_utf8_replaced),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
