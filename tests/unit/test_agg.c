#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "agg.h"
#include "agg_internal.h"
#include "batch.h"
#define MAX_TAGS 64

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

/* One sample as a test writes it: tags as "a:1,b:2", host non-NULL for a host: override. */
struct spec {
	const char *name;
	enum tally_mtype type;
	double value;
	const double *values; /* with n_values, instead of value */
	size_t n_values;
	double rate; /* 0 means 1 */
	const char *tags;
	const char *host;
	int64_t ts;
	const char *member;
};

static size_t
split_tags(const char *csv, struct tally_slice *out)
{
	size_t n = 0;

	while (csv && *csv && n < MAX_TAGS) {
		const char *end = strchr(csv, ',');
		size_t len = end ? (size_t)(end - csv) : strlen(csv);

		out[n].ptr = csv;
		out[n++].len = len;
		csv = end ? end + 1 : NULL;
	}
	return n;
}

static enum tally_agg_result
add(struct tally_agg *agg, const struct spec *sp, int64_t now)
{
	struct tally_slice tags[MAX_TAGS];
	struct tally_sample s = {
		.name = { sp->name, strlen(sp->name) },
		.type = sp->type,
		.values = sp->values ? sp->values : &sp->value,
		.n_values = sp->values ? sp->n_values : 1,
		.sample_rate = sp->rate > 0 ? sp->rate : 1.0,
		.tags = tags,
		.n_tags = split_tags(sp->tags, tags),
		.has_host = sp->host != NULL,
		.host = { sp->host, sp->host ? strlen(sp->host) : 0 },
		.timestamp = sp->ts,
		.set_value = { sp->member, sp->member ? strlen(sp->member) : 0 },
	};

	return tally_agg_add(agg, &s, now);
}
#define ADD(agg, now, ...) add((agg), &(struct spec){ __VA_ARGS__ }, (now))

static const double default_pcts[] = { 0.95 };

static struct tally_agg_opts
base_opts(void)
{
	return (struct tally_agg_opts){
		.interval_s = 10,
		.expiry_s = 300,
		.context_expiry_s = 20,
		.context_limit = 2000000,
		.hist_aggregates = TALLY_HAGG_DEFAULT,
		.percentiles = default_pcts,
		.n_percentiles = 1,
		.default_host = "myhost",
	};
}

static struct tally_batch *
flush(struct tally_agg *agg, int64_t bucket_start_s, int64_t now_s)
{
	struct tally_batch *b = tally_batch_new(now_s);

	tally_agg_flush(agg, bucket_start_s, now_s, b);
	return b;
}

static const struct tally_series *
find_on(const struct tally_batch *b, const char *name, const char *host)
{
	for (size_t i = 0; i < b->n_series; i++)
		if (!strcmp(b->series[i].name, name) && (!host || !strcmp(b->series[i].host, host)))
			return &b->series[i];
	return NULL;
}

static const struct tally_series *
find(const struct tally_batch *b, const char *name)
{
	return find_on(b, name, NULL);
}

/* Asserts one series' kind and value (and the bucket stamp when ts >= 0). */
static void
check_series(const struct tally_batch *b, const char *name, enum tally_series_kind kind,
             double value, double eps, int64_t ts)
{
	const struct tally_series *s = find(b, name);

	if (!s)
		print_error("no series %s\n", name);
	assert_non_null(s);
	assert_int_equal(s->kind, kind);
	assert_double_equal(s->value, value, eps);
	assert_int_equal(s->interval_s, 10);
	if (ts >= 0)
		assert_int_equal(s->timestamp, ts);
}

static const char *
tags_of(const struct tally_series *s, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_tags; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", s->tags[i]);
	return buf;
}

static struct tally_agg_stats
stats_of(const struct tally_agg *agg)
{
	struct tally_agg_stats st;

	tally_agg_get_stats(agg, &st);
	return st;
}

static void
test_counter_rate(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	static const double packed[] = { 1, 2, 3 };
	struct tally_batch *b;

	for (int i = 0; i < 3; i++)
		assert_int_equal(ADD(agg, 100, .name = "hits", .value = 1, .rate = 0.5),
		                 TALLY_AGG_OK);
	ADD(agg, 100, .name = "packed", .values = packed, .n_values = 3, .rate = 0.5);
	ADD(agg, 100, .name = "third", .value = 1, .rate = 0.3); /* float scaling: 3.33 */
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 3);
	check_series(b, "hits", TALLY_SERIES_RATE, 0.6, 1e-12, 100); /* 3 * 2 / 10 */
	check_series(b, "packed", TALLY_SERIES_RATE, 1.2, 1e-12, 100);
	check_series(b, "third", TALLY_SERIES_RATE, 1.0 / 3.0, 1e-12, 100);
	assert_string_equal(find(b, "hits")->host, "myhost");
	assert_int_equal(find(b, "hits")->n_tags, 0);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_counter_zero_fill_then_expiry(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg;
	struct tally_batch *b;

	o.expiry_s = 30;
	agg = tally_agg_new(&o);
	ADD(agg, 100, .name = "c", .value = 5);
	b = flush(agg, 100, 110);
	check_series(b, "c", TALLY_SERIES_RATE, 0.5, 0, 100);
	tally_batch_unref(b);
	/* Idle for 20 s and 29 s: still inside the 30 s window, so 0. */
	for (int64_t now = 120; now <= 129; now += 9) {
		b = flush(agg, now - 10, now);
		check_series(b, "c", TALLY_SERIES_RATE, 0.0, 0, now - 10);
		tally_batch_unref(b);
	}
	b = flush(agg, 120, 130); /* 30 s: gone */
	assert_int_equal(b->n_series, 0);
	assert_int_equal(stats_of(agg).contexts, 0);
	assert_int_equal(stats_of(agg).contexts_expired, 1);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_gauge_last_wins_nothing_when_idle(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	static const double packed[] = { 7, 8 };
	struct tally_batch *b;

	ADD(agg, 100, .name = "g", .type = TALLY_MT_GAUGE, .value = 1);
	ADD(agg, 101, .name = "g", .type = TALLY_MT_GAUGE, .value = 3);
	ADD(agg, 102, .name = "g", .type = TALLY_MT_GAUGE, .values = packed, .n_values = 2);
	/* No values: nothing to add, and no context made for it. */
	assert_int_equal(ADD(agg, 102, .name = "empty", .type = TALLY_MT_GAUGE, .values = packed),
	                 TALLY_AGG_OK);
	assert_int_equal(stats_of(agg).contexts, 1);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 1);
	check_series(b, "g", TALLY_SERIES_GAUGE, 8, 0, 100);
	tally_batch_unref(b);
	b = flush(agg, 110, 120); /* idle 18 s: no point, context kept */
	assert_int_equal(b->n_series, 0);
	assert_int_equal(stats_of(agg).contexts, 1);
	tally_batch_unref(b);
	b = flush(agg, 120, 122); /* idle 20 s: removed */
	assert_int_equal(b->n_series, 0);
	assert_int_equal(stats_of(agg).contexts, 0);
	assert_int_equal(stats_of(agg).contexts_expired, 1);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_set_distinct(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	static const char *const members[] = { "a", "b", "a", "c", "", "", "b" };
	struct tally_batch *b;

	for (size_t i = 0; i < sizeof(members) / sizeof(members[0]); i++)
		ADD(agg, 100, .name = "users", .type = TALLY_MT_SET, .member = members[i]);
	b = flush(agg, 100, 110);
	check_series(b, "users", TALLY_SERIES_GAUGE, 4, 0, 100); /* a, b, c, "" */
	tally_batch_unref(b);
	ADD(agg, 111, .name = "users", .type = TALLY_MT_SET, .member = "a");
	b = flush(agg, 110, 120);
	check_series(b, "users", TALLY_SERIES_GAUGE, 1, 0, 110);
	tally_batch_unref(b);
	b = flush(agg, 120, 130);
	assert_int_equal(b->n_series, 0);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_histogram_one_to_hundred(void **state)
{
	static const double pcts[] = { 0.95, 0.99, 0.999 };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg;
	struct tally_batch *b;

	o.hist_aggregates = TALLY_HAGG_MAX | TALLY_HAGG_MIN | TALLY_HAGG_MEDIAN | TALLY_HAGG_AVG |
	                    TALLY_HAGG_SUM | TALLY_HAGG_COUNT;
	o.percentiles = pcts;
	o.n_percentiles = 3;
	agg = tally_agg_new(&o);
	for (int v = 100; v >= 1; v--)
		ADD(agg, 100, .name = "lat", .type = TALLY_MT_HISTOGRAM, .value = v);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 9);
	check_series(b, "lat.max", TALLY_SERIES_GAUGE, 100, 0, 100);
	check_series(b, "lat.min", TALLY_SERIES_GAUGE, 1, 0, 100);
	check_series(b, "lat.median", TALLY_SERIES_GAUGE, 50, 0, 100);
	check_series(b, "lat.avg", TALLY_SERIES_GAUGE, 50.5, 0, 100);
	check_series(b, "lat.sum", TALLY_SERIES_GAUGE, 5050, 0, 100);
	check_series(b, "lat.count", TALLY_SERIES_RATE, 10, 0, 100);
	check_series(b, "lat.95percentile", TALLY_SERIES_GAUGE, 95, 0, 100);
	check_series(b, "lat.99percentile", TALLY_SERIES_GAUGE, 99, 0, 100);
	check_series(b, "lat.99.9percentile", TALLY_SERIES_GAUGE, 100, 0, 100);
	tally_batch_unref(b);
	b = flush(agg, 110, 120); /* idle: nothing, and the samples are gone */
	assert_int_equal(b->n_series, 0);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_histogram_default_aggregates(void **state)
{
	static const char *const want[] = { "h.max", "h.median", "h.avg", "h.count",
		                            "h.95percentile" };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	ADD(agg, 100, .name = "h", .type = TALLY_MT_HISTOGRAM, .value = 1);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 5);
	for (size_t i = 0; i < 5; i++)
		assert_string_equal(b->series[i].name, want[i]);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_histogram_rates_and_timer(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	/* 10 with weight 2 (a timer), 20 with 1, 30 with 3 (0.3 truncates): count 6. */
	assert_int_equal(
	    ADD(agg, 100, .name = "t", .type = TALLY_MT_TIMER, .value = 10, .rate = 0.5),
	    TALLY_AGG_OK);
	assert_int_equal(ADD(agg, 100, .name = "t", .type = TALLY_MT_HISTOGRAM, .value = 20),
	                 TALLY_AGG_OK);
	ADD(agg, 100, .name = "t", .type = TALLY_MT_HISTOGRAM, .value = 30, .rate = 0.3);
	assert_int_equal(stats_of(agg).contexts, 1);
	b = flush(agg, 100, 110);
	check_series(b, "t.count", TALLY_SERIES_RATE, 0.6, 1e-12, 100);
	check_series(b, "t.avg", TALLY_SERIES_GAUGE, 130.0 / 6.0, 1e-12, 100);
	check_series(b, "t.median", TALLY_SERIES_GAUGE, 20, 0, 100); /* target 2: cum 2, 3 */
	check_series(b, "t.max", TALLY_SERIES_GAUGE, 30, 0, 100);
	check_series(b, "t.95percentile", TALLY_SERIES_GAUGE, 30, 0, 100); /* target 5 */
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_distribution(void **state)
{
	static const struct {
		const char *name;
		double exact;
	} qs[] = { { "d.p50", 500 },
		   { "d.p75", 750 },
		   { "d.p90", 900 },
		   { "d.p95", 950 },
		   { "d.p99", 990 } };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	for (int v = 1; v <= 1000; v++)
		ADD(agg, 100, .name = "d", .type = TALLY_MT_DISTRIBUTION, .value = v);
	ADD(agg, 100, .name = "d2", .type = TALLY_MT_DISTRIBUTION, .value = 4, .rate = 0.5);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 20);
	check_series(b, "d.avg", TALLY_SERIES_GAUGE, 500.5, 1e-9, 100);
	check_series(b, "d.min", TALLY_SERIES_GAUGE, 1, 0, 100);
	check_series(b, "d.max", TALLY_SERIES_GAUGE, 1000, 0, 100);
	check_series(b, "d.sum", TALLY_SERIES_GAUGE, 500500, 0, 100);
	check_series(b, "d.count", TALLY_SERIES_RATE, 100, 0, 100);
	/* rank floor(q * 999) of 1..1000, within 1% */
	for (size_t i = 0; i < sizeof(qs) / sizeof(qs[0]); i++)
		check_series(b, qs[i].name, TALLY_SERIES_GAUGE, qs[i].exact, qs[i].exact * 0.01,
		             100);
	check_series(b, "d2.count", TALLY_SERIES_RATE, 0.2, 1e-12, 100); /* weight 2 */
	check_series(b, "d2.sum", TALLY_SERIES_GAUGE, 8, 0, 100);
	check_series(b, "d2.p99", TALLY_SERIES_GAUGE, 4, 0, 100);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_tags_order_and_repeats(void **state)
{
	static const char *const variants[] = { "b:2,a:1,a:1", "a:1,b:2", "b:2,a:1,b:2,a:1" };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	char many[512], reversed[1024], buf[1024];
	struct tally_batch *b;
	size_t n = 0, r = 0;

	for (size_t i = 0; i < 3; i++)
		ADD(agg, 100, .name = "c", .value = 1, .tags = variants[i]);
	assert_int_equal(stats_of(agg).contexts, 1);
	/* Above 16 tags repeats are found by sorting hashes: same answer. */
	for (int i = 0; i < 20; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "%sk%02d:v", i ? "," : "", i);
	for (int i = 19; i >= 0; i--)
		r += (size_t)snprintf(reversed + r, sizeof(reversed) - r, "k%02d:v,k%02d:v,", i, i);
	reversed[r - 1] = '\0';
	ADD(agg, 100, .name = "m", .value = 1, .tags = many);
	ADD(agg, 100, .name = "m", .value = 1, .tags = reversed);
	assert_int_equal(stats_of(agg).contexts, 2);
	b = flush(agg, 100, 110);
	check_series(b, "c", TALLY_SERIES_RATE, 0.3, 1e-12, 100);
	assert_string_equal(tags_of(find(b, "c"), buf, sizeof(buf)), "a:1,b:2");
	check_series(b, "m", TALLY_SERIES_RATE, 0.2, 1e-12, 100);
	assert_string_equal(tags_of(find(b, "m"), buf, sizeof(buf)), many);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_host_override(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	ADD(agg, 100, .name = "c", .value = 1);
	ADD(agg, 100, .name = "c", .value = 2, .host = "other");
	ADD(agg, 100, .name = "c", .value = 4, .host = "");       /* host: with no value: no host */
	ADD(agg, 100, .name = "c", .value = 8, .host = "myhost"); /* same as the default */
	assert_int_equal(stats_of(agg).contexts, 3);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 3);
	assert_double_equal(find_on(b, "c", "myhost")->value, 0.9, 1e-12);
	assert_double_equal(find_on(b, "c", "other")->value, 0.2, 1e-12);
	assert_double_equal(find_on(b, "c", "")->value, 0.4, 1e-12);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_extra_tags(void **state)
{
	char env[] = "env:prod";
	const char *extra[] = { env, "dc:1", "env:prod" };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg;
	struct tally_batch *b;
	char buf[256];

	o.extra_tags = extra;
	o.n_extra_tags = 3;
	o.default_host = "";
	agg = tally_agg_new(&o);
	env[0] = 'X'; /* the aggregator keeps its own copy */
	ADD(agg, 100, .name = "c", .value = 1, .tags = "z:9,env:prod");
	ADD(agg, 100, .name = "x", .value = 1);
	ADD(agg, 100, .name = "x", .value = 1, .tags = "env:prod,dc:1"); /* already there */
	/* 17 tags, 16 of them extra: the one left is a repeat and must count once. */
	ADD(agg, 100, .name = "y", .value = 1, .tags = "k:v");
	ADD(agg, 100, .name = "y", .value = 1,
	    .tags = "k:v,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,dc:1,"
	            "dc:1,k:v");
	assert_int_equal(stats_of(agg).contexts, 3);
	b = flush(agg, 100, 110);
	assert_string_equal(tags_of(find(b, "c"), buf, sizeof(buf)), "dc:1,env:prod,z:9");
	assert_string_equal(tags_of(find(b, "x"), buf, sizeof(buf)), "dc:1,env:prod");
	assert_double_equal(find(b, "x")->value, 0.2, 1e-12);
	assert_string_equal(find(b, "x")->host, "");
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_type_conflict(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	assert_int_equal(ADD(agg, 100, .name = "m", .value = 1), TALLY_AGG_OK);
	assert_int_equal(ADD(agg, 100, .name = "m", .type = TALLY_MT_GAUGE, .value = 5),
	                 TALLY_AGG_DROP_TYPE_CONFLICT);
	assert_int_equal(ADD(agg, 100, .name = "m", .type = TALLY_MT_COUNT, .value = 5),
	                 TALLY_AGG_DROP_TYPE_CONFLICT);
	assert_int_equal(ADD(agg, 100, .name = "m", .type = TALLY_MT__COUNT, .value = 5),
	                 TALLY_AGG_DROP_TYPE_CONFLICT);
	assert_int_equal(stats_of(agg).dropped_type_conflict, 3);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, 1);
	check_series(b, "m", TALLY_SERIES_RATE, 0.1, 1e-12, 100);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_context_limit(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg;
	struct tally_batch *b;

	o.context_limit = 2;
	agg = tally_agg_new(&o);
	assert_int_equal(ADD(agg, 100, .name = "a", .type = TALLY_MT_GAUGE, .value = 1),
	                 TALLY_AGG_OK);
	assert_int_equal(ADD(agg, 100, .name = "b", .value = 1), TALLY_AGG_OK);
	assert_int_equal(ADD(agg, 100, .name = "c", .value = 1), TALLY_AGG_DROP_CONTEXT_LIMIT);
	assert_int_equal(ADD(agg, 100, .name = "a", .type = TALLY_MT_GAUGE, .value = 2),
	                 TALLY_AGG_OK);
	/* Timestamped samples make no context, so the limit does not apply to them. */
	assert_int_equal(ADD(agg, 100, .name = "d", .value = 1, .ts = 90), TALLY_AGG_OK);
	assert_int_equal(stats_of(agg).dropped_context_limit, 1);
	assert_int_equal(stats_of(agg).contexts, 2);
	tally_batch_unref(flush(agg, 100, 110));
	b = flush(agg, 110, 120); /* "a" expires, which frees a slot */
	tally_batch_unref(b);
	assert_int_equal(ADD(agg, 121, .name = "c", .value = 1), TALLY_AGG_OK);
	assert_int_equal(stats_of(agg).contexts, 2);
	tally_agg_free(agg);
}

static void
test_timestamped(void **state)
{
	static const double packed[] = { 5, 6 };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	const struct tally_series *s;
	struct tally_batch *b;
	char buf[64];

	ADD(agg, 2000, .name = "tc", .value = 2, .rate = 0.5, .ts = 1234, .tags = "b,a,b");
	ADD(agg, 2000, .name = "tg", .type = TALLY_MT_GAUGE, .values = packed, .n_values = 2,
	    .ts = 1500);
	/* Other types ignore the timestamp and aggregate as usual. */
	ADD(agg, 2000, .name = "th", .type = TALLY_MT_HISTOGRAM, .value = 3, .ts = 1500);
	assert_int_equal(stats_of(agg).pending, 2);
	assert_int_equal(stats_of(agg).contexts, 1);
	b = flush(agg, 2000, 2010);
	check_series(b, "tc", TALLY_SERIES_COUNT, 4, 0, 1234);
	s = find(b, "tc");
	assert_string_equal(s->host, "myhost");
	assert_string_equal(tags_of(s, buf, sizeof(buf)), "a,b");
	check_series(b, "tg", TALLY_SERIES_GAUGE, 6, 0, 1500);
	check_series(b, "th.max", TALLY_SERIES_GAUGE, 3, 0, 2000);
	assert_int_equal(stats_of(agg).pending, 0);
	tally_batch_unref(b);
	b = flush(agg, 2010, 2020);
	assert_null(find(b, "tc"));
	assert_null(find(b, "tg"));
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_pending_cap(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	for (int i = 0; i < TALLY_AGG_MAX_PENDING; i++)
		assert_int_equal(ADD(agg, 100, .name = "p", .value = 1, .ts = 50), TALLY_AGG_OK);
	assert_int_equal(ADD(agg, 100, .name = "p", .value = 1, .ts = 50),
	                 TALLY_AGG_DROP_PENDING_FULL);
	assert_int_equal(stats_of(agg).dropped_timestamped, 1);
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, TALLY_AGG_MAX_PENDING);
	tally_batch_unref(b);
	assert_int_equal(ADD(agg, 110, .name = "p", .value = 1, .ts = 50), TALLY_AGG_OK);
	tally_agg_free(agg); /* frees what is still pending */
}

static void
test_count_type(void **state)
{
	static const double vals[] = { 3, 4 };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;

	ADD(agg, 100, .name = "n", .type = TALLY_MT_COUNT, .values = vals, .n_values = 2,
	    .rate = 0.5);
	ADD(agg, 100, .name = "n", .type = TALLY_MT_COUNT, .value = 1);
	b = flush(agg, 100, 110);
	check_series(b, "n", TALLY_SERIES_COUNT, 15, 0, 100); /* raw sum, not per second */
	tally_batch_unref(b);
	b = flush(agg, 110, 119); /* no zero-fill */
	assert_int_equal(b->n_series, 0);
	assert_int_equal(stats_of(agg).contexts, 1);
	tally_batch_unref(b);
	b = flush(agg, 120, 120); /* expires like a gauge */
	assert_int_equal(stats_of(agg).contexts, 0);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

static void
test_expiry_per_type(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_agg_stats st;

	ADD(agg, 100, .name = "c", .value = 1);
	ADD(agg, 100, .name = "g", .type = TALLY_MT_GAUGE, .value = 1);
	ADD(agg, 100, .name = "h", .type = TALLY_MT_HISTOGRAM, .value = 1);
	ADD(agg, 100, .name = "s", .type = TALLY_MT_SET, .member = "x");
	ADD(agg, 100, .name = "d", .type = TALLY_MT_DISTRIBUTION, .value = 1);
	ADD(agg, 100, .name = "n", .type = TALLY_MT_COUNT, .value = 1);
	tally_batch_unref(flush(agg, 100, 110));
	tally_batch_unref(flush(agg, 110, 120)); /* the five non-counters go at 20 s */
	st = stats_of(agg);
	assert_int_equal(st.contexts, 1);
	assert_int_equal(st.contexts_expired, 5);
	tally_batch_unref(flush(agg, 390, 400)); /* the counter at 300 s */
	st = stats_of(agg);
	assert_int_equal(st.contexts, 0);
	assert_int_equal(st.contexts_expired, 6);
	tally_agg_free(agg);
}

/* Expiring every other context shuffles the table; the rest must still be found. */
static void
test_partial_expiry_keeps_lookups(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	char tags[64];
	struct tally_agg_stats st;
	const int n = 50000;

	for (int i = 0; i < n; i++) {
		snprintf(tags, sizeof(tags), "id:%d,env:x", i);
		ADD(agg, 100, .name = "g", .type = TALLY_MT_GAUGE, .value = i, .tags = tags);
	}
	tally_batch_unref(flush(agg, 100, 110));
	for (int i = 0; i < n; i += 2) {
		snprintf(tags, sizeof(tags), "env:x,id:%d", i);
		ADD(agg, 115, .name = "g", .type = TALLY_MT_GAUGE, .value = i, .tags = tags);
	}
	tally_batch_unref(flush(agg, 110, 125));
	st = stats_of(agg);
	assert_int_equal(st.contexts, n / 2);
	assert_int_equal(st.contexts_expired, n / 2);
	for (int i = 0; i < n; i++) {
		snprintf(tags, sizeof(tags), "id:%d,env:x", i);
		ADD(agg, 130, .name = "g", .type = TALLY_MT_GAUGE, .value = i, .tags = tags);
		assert_int_equal(stats_of(agg).contexts, (size_t)(n / 2 + (i + 1) / 2));
	}
	tally_agg_free(agg);
}

static long
rss_kb(const char *field)
{
	char line[256];
	long kb = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, strlen(field)))
			kb = atol(line + strlen(field) + 1);
	if (f)
		fclose(f);
	return kb;
}

static void
test_million_contexts(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b;
	char tags[64];
	const size_t n = 1000000;
	long before = rss_kb("VmRSS");

	/*
	 * The per-context budget: header (with the key hash) and index slot within the 32 + 16
	 * bytes they once were, then the name (the tag sets are shared).
	 */
	assert_true(offsetof(struct tally_ctx, name) + sizeof(struct tally_ctx *) <= 32 + 16);

	for (size_t i = 0; i < n; i++) {
		snprintf(tags, sizeof(tags), "env:prod,id:%zu", i);
		assert_int_equal(ADD(agg, 100, .name = "metric.name", .value = 1, .tags = tags),
		                 TALLY_AGG_OK);
	}
	assert_int_equal(stats_of(agg).contexts, n);
	print_message("1M contexts: aggregator %ld MB (index %zu MB, contexts and tag sets %zu MB, "
	              "%zu tag sets)\n",
	              (rss_kb("VmRSS") - before) / 1024, tally_ctx_table_bytes(agg->table) >> 20,
	              tally_ctx_table_ctx_bytes(agg->table) >> 20,
	              tally_ctx_table_tagsets(agg->table));
	b = flush(agg, 100, 110);
	assert_int_equal(b->n_series, n);
	assert_double_equal(b->series[n / 2].value, 0.1, 1e-12);
	print_message("after flush into a batch: RSS %ld MB, peak %ld MB\n", rss_kb("VmRSS") / 1024,
	              rss_kb("VmHWM") / 1024);
	tally_batch_unref(b);
	tally_batch_unref(flush(agg, 400, 400));
	assert_int_equal(stats_of(agg).contexts, 0);
	assert_int_equal(stats_of(agg).contexts_expired, n);
	tally_agg_free(agg);
}

static void
test_invalid_opts(void **state)
{
	static const double bad_pct[] = { 1.5 };
	struct tally_agg_opts o = base_opts();

	assert_null(tally_agg_new(NULL));
	o.interval_s = 0;
	assert_null(tally_agg_new(&o));
	o = base_opts();
	o.context_limit = 0;
	assert_null(tally_agg_new(&o));
	o = base_opts();
	o.percentiles = bad_pct;
	assert_null(tally_agg_new(&o));
	o = base_opts();
	o.n_extra_tags = 1;
	assert_null(tally_agg_new(&o));
	tally_agg_free(NULL);
}

struct chunks {
	size_t n_chunks, n_series;
	int ok_kinds;
};

static struct tally_batch *
take_chunk(struct tally_batch *full, void *arg)
{
	struct chunks *c = arg;

	c->n_chunks++;
	c->n_series += full->n_series;
	/* One histogram's five series never straddle two chunks. */
	c->ok_kinds += full->n_series % 5 == 0;
	tally_batch_unref(full);
	return tally_batch_new(0);
}

static void
test_chunked_flush(void **state)
{
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg = tally_agg_new(&o);
	struct tally_batch *b = tally_batch_new(0);
	struct chunks c = { 0 };
	char name[32];

	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "h.%d", i);
		ADD(agg, 100, .name = name, .type = TALLY_MT_HISTOGRAM, .value = i);
	}
	tally_agg_flush_chunked(agg, 100, 110, &b, 12, take_chunk, &c);
	/* 100 histograms x 5 series; a chunk is handed over once it holds >= 12 series. */
	assert_int_equal(c.n_series + b->n_series, 500);
	assert_int_equal(c.n_chunks, 33);
	assert_int_equal(c.ok_kinds, 33);
	tally_batch_unref(b);
	tally_agg_free(agg);
}

/* Every series of a chunk carries the shared tags, and its own batch's copy of them. */
static struct tally_batch *
check_shared_chunk(struct tally_batch *full, void *arg)
{
	size_t *n = arg;

	for (size_t i = 0; i < full->n_series; i++) {
		const struct tally_series *s = &full->series[i];

		assert_int_equal(s->n_tags, 3);
		assert_string_equal(s->tags[0], "env:prod");
		assert_string_equal(s->tags[1], "svc:api");
		assert_string_equal(s->tags[2], "team:core");
		/* One copy per run of contexts with the same tag set, not one per series. */
		if (i && !strcmp(s->host, full->series[i - 1].host))
			assert_ptr_equal(s->tags, full->series[i - 1].tags);
		(*n)++;
	}
	tally_batch_unref(full); /* the next chunk must not point into this one */
	return tally_batch_new(0);
}

static void
test_shared_tagsets(void **state)
{
	static const char *const extra[] = { "team:core" };
	struct tally_agg_opts o = base_opts();
	struct tally_agg *agg;
	struct tally_batch *b = tally_batch_new(0);
	size_t n = 0;
	char name[32];

	o.extra_tags = extra;
	o.n_extra_tags = 1;
	agg = tally_agg_new(&o);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "g.%d", i);
		/* Order, repeats and an extra tag sent along do not make another set. */
		ADD(agg, 100, .name = name, .type = TALLY_MT_GAUGE, .value = i,
		    .tags = i % 2 ? "svc:api,env:prod" : "env:prod,svc:api,env:prod,team:core");
	}
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "o.%d", i);
		ADD(agg, 100, .name = name, .type = TALLY_MT_GAUGE, .value = i, .host = "other",
		    .tags = "env:prod,svc:api");
	}
	ADD(agg, 100, .name = "ts.g", .type = TALLY_MT_GAUGE, .value = 1, .ts = 99,
	    .tags = "env:prod,svc:api");
	assert_int_equal(stats_of(agg).contexts, 1010);
	assert_int_equal(tally_ctx_table_tagsets(agg->table), 2);
	tally_agg_flush_chunked(agg, 100, 110, &b, 100, check_shared_chunk, &n);
	tally_batch_unref(check_shared_chunk(b, &n));
	assert_int_equal(n, 1011);
	assert_int_equal(tally_ctx_table_tagsets(agg->table), 2); /* the pending one went */
	/* Expired: the contexts go, and with the last of them their tag sets. */
	tally_batch_unref(flush(agg, 140, 140));
	assert_int_equal(stats_of(agg).contexts, 0);
	assert_int_equal(tally_ctx_table_tagsets(agg->table), 0);
	assert_int_equal(tally_ctx_table_ctx_bytes(agg->table), 0);
	tally_agg_free(agg);
}

/* The key compare of names and hosts: every length, a difference at every position. */
static void
test_ctx_bytes_eq(void **state)
{
	char a[48], *b;

	for (size_t len = 0; len <= sizeof(a); len++) {
		/* Exactly len bytes each, so that ASan sees a read past either. */
		char *x = malloc(len ? len : 1);

		b = malloc(len ? len : 1);
		assert_non_null(x);
		assert_non_null(b);
		for (size_t i = 0; i < len; i++)
			a[i] = (char)('a' + i % 26);
		memcpy(x, a, len);
		memcpy(b, a, len);
		assert_true(tally_ctx_bytes_eq(x, b, len));
		for (size_t i = 0; i < len; i++) {
			b[i] ^= 0x20;
			assert_false(tally_ctx_bytes_eq(x, b, len));
			b[i] ^= 0x20;
		}
		free(x);
		free(b);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ctx_bytes_eq),
		cmocka_unit_test(test_counter_rate),
		cmocka_unit_test(test_counter_zero_fill_then_expiry),
		cmocka_unit_test(test_gauge_last_wins_nothing_when_idle),
		cmocka_unit_test(test_set_distinct),
		cmocka_unit_test(test_histogram_one_to_hundred),
		cmocka_unit_test(test_histogram_default_aggregates),
		cmocka_unit_test(test_histogram_rates_and_timer),
		cmocka_unit_test(test_distribution),
		cmocka_unit_test(test_tags_order_and_repeats),
		cmocka_unit_test(test_host_override),
		cmocka_unit_test(test_extra_tags),
		cmocka_unit_test(test_type_conflict),
		cmocka_unit_test(test_context_limit),
		cmocka_unit_test(test_timestamped),
		cmocka_unit_test(test_pending_cap),
		cmocka_unit_test(test_count_type),
		cmocka_unit_test(test_expiry_per_type),
		cmocka_unit_test(test_partial_expiry_keeps_lookups),
		cmocka_unit_test(test_million_contexts),
		cmocka_unit_test(test_invalid_opts),
		cmocka_unit_test(test_chunked_flush),
		cmocka_unit_test(test_shared_tagsets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
