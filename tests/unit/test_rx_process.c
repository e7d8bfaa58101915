/*
 * rx_process: datagrams in, flushed series out, end to end through the receiver's keyed
 * pipeline (parse, key, add up to eight lines later, re-parse to create a context) and the
 * lines that bypass it (sets, packed values, |T). Values are chosen distinct per line, so that a
 * line added with another line's value, tags or order shows up as a wrong number.
 */
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
#include "batch.h"
#include "log.h"
#include "parse.h"
#include "rx_process.h"

#define BUCKET_S   100
#define FLUSH_S    110
#define INTERVAL_S 10

struct rig {
	struct tally_rx_ctx ctx;
	struct tally_rx_counters counters;
};

static struct rig *
rig_new(size_t context_limit, const char *origin_tag)
{
	struct tally_agg_opts o = {
		.interval_s = INTERVAL_S,
		.expiry_s = 300,
		.context_expiry_s = 300,
		.context_limit = context_limit,
		.hist_aggregates = TALLY_HAGG_DEFAULT,
		.default_host = "myhost",
	};
	struct rig *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->ctx.parser = tally_parser_new(8192);
	r->ctx.agg = tally_agg_new(&o);
	r->ctx.pending = tally_batch_new(0);
	r->ctx.tag_scratch = calloc(8192 + 2, sizeof(struct tally_slice));
	r->ctx.counters = &r->counters;
	r->ctx.default_host = "myhost";
	r->ctx.now_s = 105;
	r->ctx.origin_tag = origin_tag;
	assert_non_null(r->ctx.parser);
	assert_non_null(r->ctx.agg);
	assert_non_null(r->ctx.tag_scratch);
	return r;
}

static void
rig_free(struct rig *r)
{
	tally_parser_free(r->ctx.parser);
	tally_agg_free(r->ctx.agg);
	tally_batch_unref(r->ctx.pending);
	free(r->ctx.tag_scratch);
	free(r);
}

/* One datagram, in a buffer of exactly its size (no NUL) as the socket would leave it. */
static void
send_n(struct rig *r, const char *text, size_t len, bool truncated)
{
	char *buf = malloc(len ? len : 1);

	assert_non_null(buf);
	if (len)
		memcpy(buf, text, len);
	tally_rx_process(&r->ctx, TALLY_LISTENER_UDP, buf, len, truncated);
	free(buf);
}

static void
send(struct rig *r, const char *text)
{
	send_n(r, text, strlen(text), false);
}

static struct tally_batch *
flush(struct rig *r)
{
	struct tally_batch *b = tally_batch_new(FLUSH_S);

	tally_agg_flush(r->ctx.agg, BUCKET_S, FLUSH_S, b);
	return b;
}

static struct tally_agg_stats
stats_of(const struct rig *r)
{
	struct tally_agg_stats st;

	tally_agg_get_stats(r->ctx.agg, &st);
	return st;
}

/* ---- a growable datagram ---- */

struct text {
	char *p;
	size_t len, cap;
};

static void __attribute__((format(printf, 2, 3))) addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p ? t->p + t->len : NULL, t->p ? t->cap - t->len : 0, fmt, ap);
		va_end(ap);
		assert_true(n >= 0);
		if (t->p && t->len + (size_t)n < t->cap)
			break;
		t->cap = (t->cap + (size_t)n + 1) * 2;
		t->p = realloc(t->p, t->cap);
		assert_non_null(t->p);
	}
	t->len += (size_t)n;
}

static void
send_text(struct rig *r, struct text *t)
{
	send_n(r, t->p, t->len, false);
	free(t->p);
	*t = (struct text){ 0 };
}

/* ---- reading a flushed batch ---- */

static void
join_tags(const struct tally_series *s, char *buf, size_t size)
{
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < s->n_tags && used < size; i++)
		used += (size_t)snprintf(buf + used, size - used, "%s%s", i ? "," : "", s->tags[i]);
}

/* The one series with this name and tags (comma-joined, as flushed), and ts unless < 0. */
static const struct tally_series *
find_series(const struct tally_batch *b, const char *name, const char *tags, int64_t ts)
{
	const struct tally_series *found = NULL;
	char joined[1024];

	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *s = &b->series[i];

		if (strcmp(s->name, name) || (ts >= 0 && s->timestamp != ts))
			continue;
		join_tags(s, joined, sizeof(joined));
		if (strcmp(joined, tags))
			continue;
		if (found)
			print_error("two series %s{%s}\n", name, tags);
		assert_null(found);
		found = s;
	}
	return found;
}

static void
check_at(const struct tally_batch *b, const char *name, const char *tags,
         enum tally_series_kind kind, double value, const char *file, int line)
{
	const struct tally_series *s = find_series(b, name, tags, BUCKET_S);

	if (!s) {
		print_error("no series %s{%s}\n", name, tags);
		_fail(file, line);
		return;
	}
	if (s->kind != kind || fabs(s->value - value) > 1e-9 * (1 + fabs(value)) ||
	    s->interval_s != INTERVAL_S) {
		print_error("%s{%s}: kind %d value %.17g, want kind %d value %.17g\n", name, tags,
		            (int)s->kind, s->value, (int)kind, value);
		_fail(file, line);
	}
}

/* A series of the flushed bucket: name, joined tags, kind, value. */
#define CHECK(b, name, tags, kind, value)                                                          \
	check_at((b), (name), (tags), (kind), (value), __FILE__, __LINE__)
/* A counter whose samples summed to sum: flushed as a rate over the interval. */
#define CHECK_SUM(b, name, tags, sum)                                                              \
	CHECK((b), (name), (tags), TALLY_SERIES_RATE, (double)(sum) / INTERVAL_S)
#define CHECK_GAUGE(b, name, tags, v) CHECK((b), (name), (tags), TALLY_SERIES_GAUGE, (v))

static size_t
count_named(const struct tally_batch *b, const char *name)
{
	size_t n = 0;

	for (size_t i = 0; i < b->n_series; i++)
		n += !strcmp(b->series[i].name, name);
	return n;
}

/* ---- (a) order ---- */

static void
test_gauge_order_long_datagram(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;

	/* 30 values of g, each followed by a new context: 60 lines, all through the pipeline. */
	for (int i = 1; i <= 30; i++)
		addf(&t, "g:%d|g\no%d:%d|c\n", i, i, i);
	send_text(r, &t);
	/* The same contexts again, now found by key; then g alone, many times in a row. */
	for (int i = 31; i <= 60; i++)
		addf(&t, "g:%d|g\no%d:%d|c\n", i, i - 30, i);
	for (int i = 61; i <= 80; i++)
		addf(&t, "g:%d|g\n", i);
	send_text(r, &t);
	b = flush(r);
	CHECK_GAUGE(b, "g", "", 80);
	for (int i = 1; i <= 30; i++) {
		char name[16];

		snprintf(name, sizeof(name), "o%d", i);
		CHECK_SUM(b, name, "", i + i + 30);
	}
	assert_int_equal(b->n_series, 31);
	assert_int_equal(r->counters.metrics, 140);
	tally_batch_unref(b);
	rig_free(r);
}

static void
test_gauge_order_around_bypass(void **state)
{
	static const char dgram[] = "g1:1|g\ng1:2|g\nset:a|s\ng1:3|g\n" /* set between */
	                            "g2:1|g\ng2:2|g\ng2:5:6|g\n"        /* packed last */
	                            "g3:1|g\ng3:7:8|g\ng3:9|g\n"        /* packed between */
	                            "g4:1|g\ng4:2|g|T50\ng4:3|g\n"      /* |T between */
	                            "g5:1|g\ng5:2|g\ng5:3|g\ng5:4|g\ng5:5|g\ng5:6|g\ng5:7|g\n"
	                            "g5:8|g\ng5:9|g\ng5:10|g\ng5:11|g\ng5:12|g\ng5:13:14|g\n"
	                            "g6:1|g\ng6:2|g\ng6:3|g\ng6:4|g\ng6:5|g\ng6:6|g\ng6:7|g\n"
	                            "g6:8|g\ng6:9|g\ng6:10|g\nset:b|s\n";
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	for (int round = 0; round < 2; round++) {
		/* Once creating every context, once finding them. */
		send(r, dgram);
		b = flush(r);
		CHECK_GAUGE(b, "g1", "", 3);
		CHECK_GAUGE(b, "g2", "", 6);
		CHECK_GAUGE(b, "g3", "", 9);
		CHECK_GAUGE(b, "g4", "", 3);
		CHECK_GAUGE(b, "g5", "", 14);
		CHECK_GAUGE(b, "g6", "", 10);
		CHECK_GAUGE(b, "set", "", 2);
		assert_non_null(find_series(b, "g4", "", 50));
		assert_int_equal(find_series(b, "g4", "", 50)->kind, TALLY_SERIES_GAUGE);
		assert_true(find_series(b, "g4", "", 50)->value == 2);
		assert_int_equal(b->n_series, 8);
		tally_batch_unref(b);
	}
	/* 37 lines, 40 values: three packed lines carry two each. */
	assert_int_equal(r->counters.metrics, 2 * 40);
	rig_free(r);
}

/* ---- (b) sums ---- */

static void
test_counter_sums_over_datagrams(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;
	long sum = 0, tagged = 0, lines = 0;

	for (int d = 0; d < 40; d++) {
		for (int j = 0; j < 25; j++) {
			int v = (d * 25 + j) % 9 + 1;

			addf(&t, "cnt:%d|c\n", v);
			sum += v;
			lines++;
			if (j % 3 == 0) {
				addf(&t, "cnt:%d|c|#a:1\n", v * 10);
				tagged += v * 10;
				lines++;
			}
		}
		send_text(r, &t);
	}
	b = flush(r);
	CHECK_SUM(b, "cnt", "", sum);
	CHECK_SUM(b, "cnt", "a:1", tagged);
	assert_int_equal(b->n_series, 2);
	assert_int_equal(r->counters.metrics, lines);
	assert_int_equal(r->counters.packets[TALLY_LISTENER_UDP], 40);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (c) contexts created in the middle of a run ---- */

static void
test_new_contexts_mid_datagram(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;
	char name[32], tags[64];

	addf(&t, "warm:1|c\nwarm:1|c\n");
	send_text(r, &t);
	/* 60 new contexts, each with its own value, tags unsorted, every 4th on host h1. */
	for (int i = 0; i < 60; i++) {
		addf(&t, "new.%d:%d|c|#b:%d,a:x%s%s\n", i, 100 + i, i, i % 4 ? "" : ",host:h1",
		     i % 5 ? "" : ",b:dup,b:dup");
		if (i % 3 == 0)
			addf(&t, "warm:1|c\n");
	}
	send_text(r, &t);
	b = flush(r);
	CHECK_SUM(b, "warm", "", 2 + 20);
	for (int i = 0; i < 60; i++) {
		const struct tally_series *s;

		snprintf(name, sizeof(name), "new.%d", i);
		if (i % 5)
			snprintf(tags, sizeof(tags), "a:x,b:%d", i);
		else
			snprintf(tags, sizeof(tags), "a:x,b:%d,b:dup", i);
		CHECK_SUM(b, name, tags, 100 + i);
		s = find_series(b, name, tags, BUCKET_S);
		assert_string_equal(s->host, i % 4 ? "myhost" : "h1");
	}
	assert_int_equal(b->n_series, 61);
	assert_int_equal(stats_of(r).contexts, 61);
	tally_batch_unref(b);
	rig_free(r);
}

/* The smallest case: eight new contexts, then lines of one that also starts new. */
static void
test_value_of_line_after_new_context(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	send(r, "n0:100|c\nn1:101|c\nn2:102|c\nn3:103|c\nn4:104|c\nn5:105|c\nn6:106|c\n"
	        "n7:107|c\ng:1|g\ng:2|g\ng:3|g\ng:4|g\ng:5|g\ng:6|g\ng:7|g\ng:8|g\n");
	b = flush(r);
	for (int i = 0; i < 8; i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%d", i);
		CHECK_SUM(b, name, "", 100 + i);
	}
	CHECK_GAUGE(b, "g", "", 8);
	tally_batch_unref(b);
	rig_free(r);
}

/* A line keyed right after an earlier line was re-parsed keeps its own tags. */
static void
test_tags_of_line_after_new_context(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	send(r, "a:1|c|#t:1\n");
	/* fresh is new (re-parsed when a:7 is keyed, eight lines on); a{u:9} is new too. */
	send(r, "fresh:5|c|#t:1\nf1:0|g\nf1:0|g\nf1:0|g\nf1:0|g\nf1:0|g\nf1:0|g\nf1:0|g\n"
	        "a:7|c|#u:9\n");
	b = flush(r);
	CHECK_SUM(b, "a", "t:1", 1);
	CHECK_SUM(b, "a", "u:9", 7);
	CHECK_SUM(b, "fresh", "t:1", 5);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (d) type conflicts ---- */

static void
test_type_conflict(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	/* Both new, within the pipeline: the counter is created first and keeps the context. */
	send(r, "x:1|c\nx:5|g\ny:1:2:3|h\nz:4|c\n");
	assert_int_equal(stats_of(r).dropped_type_conflict, 1);
	assert_int_equal(r->counters.metrics, 1 + 3 + 1);
	/* Now both ways on an existing context: by key, and as a packed (bypass) line. */
	send(r, "x:2|g\nx:3|c\nz:1:1|g\nz:6|c\n");
	assert_int_equal(stats_of(r).dropped_type_conflict, 3);
	assert_int_equal(r->counters.metrics, 5 + 2);
	b = flush(r);
	CHECK_SUM(b, "x", "", 4);
	CHECK_SUM(b, "z", "", 10);
	assert_int_equal(count_named(b, "x"), 1);
	assert_int_equal(count_named(b, "z"), 1);
	CHECK(b, "y.count", "", TALLY_SERIES_RATE, 0.3);
	CHECK_GAUGE(b, "y.max", "", 3);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (e) the context limit ---- */

static void
test_context_limit(void **state)
{
	struct rig *r = rig_new(5, NULL);
	struct text t = { 0 };
	struct tally_batch *b;

	for (int i = 0; i < 12; i++)
		addf(&t, "c%d:%d|c\n", i, i + 1);
	addf(&t, "c0:10|c\nc4:20|c\nc7:1|c\nset:m|s\nc1:1:1|c\n");
	send_text(r, &t);
	assert_int_equal(stats_of(r).contexts, 5);
	/* c5..c11, then c7 again and the set. */
	assert_int_equal(stats_of(r).dropped_context_limit, 9);
	assert_int_equal(r->counters.metrics, 5 + 2 + 2);
	send(r, "c9:1|c\nc2:100|c\n");
	assert_int_equal(stats_of(r).dropped_context_limit, 10);
	assert_int_equal(r->counters.metrics, 10);
	b = flush(r);
	assert_int_equal(b->n_series, 5);
	CHECK_SUM(b, "c0", "", 11);
	CHECK_SUM(b, "c1", "", 4);
	CHECK_SUM(b, "c2", "", 103);
	CHECK_SUM(b, "c3", "", 4);
	CHECK_SUM(b, "c4", "", 25);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (f) the origin tag ---- */

static void
test_origin_tag_on_every_path(void **state)
{
	static const char dgram[] =
	    "o.a:1|c|#b:1\no.b:2|c\no.c:3|c|#z:1,a:1\no.d:4|g\no.e:5|c\no.f:6|c|#host:h2\n"
	    "o.g:7|c\no.h:8|c\no.i:9|c\no.j:10|c|#b:1\n" /* all new: re-parse path */
	    "o.set:u1|s\no.pk:1:2|g\no.ts:4|g|T50\n"     /* bypass */
	    "o.a:1|c|#b:1\no.b:2|c\n";
	struct rig *r = rig_new(100000, "container_id:abc");
	struct tally_batch *b;

	for (int round = 1; round <= 2; round++) {
		send(r, dgram);
		b = flush(r);
		assert_int_equal(b->n_series, 13);
		for (size_t i = 0; i < b->n_series; i++) {
			const struct tally_series *s = &b->series[i];
			bool has = false;

			for (size_t j = 0; j < s->n_tags; j++)
				has |= !strcmp(s->tags[j], "container_id:abc");
			if (!has)
				print_error("%s has no origin tag\n", s->name);
			assert_true(has);
		}
		CHECK_SUM(b, "o.a", "b:1,container_id:abc", 2);
		CHECK_SUM(b, "o.b", "container_id:abc", 4);
		CHECK_SUM(b, "o.c", "a:1,container_id:abc,z:1", 3);
		CHECK_GAUGE(b, "o.d", "container_id:abc", 4);
		CHECK_SUM(b, "o.f", "container_id:abc", 6);
		assert_string_equal(find_series(b, "o.f", "container_id:abc", BUCKET_S)->host,
		                    "h2");
		CHECK_SUM(b, "o.j", "b:1,container_id:abc", 10);
		CHECK_GAUGE(b, "o.set", "container_id:abc", 1);
		CHECK_GAUGE(b, "o.pk", "container_id:abc", 2);
		assert_non_null(find_series(b, "o.ts", "container_id:abc", 50));
		/* The keyed path found what the re-parse path created: no second context. */
		assert_int_equal(stats_of(r).contexts, 12);
		tally_batch_unref(b);
	}
	/* Without an origin, the same line is another context. */
	r->ctx.origin_tag = NULL;
	send(r, "o.a:1|c|#b:1\n");
	assert_int_equal(stats_of(r).contexts, 13);
	rig_free(r);
}

/* ---- (g) sample rate ---- */

static void
test_sample_rate(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;

	send(r, "c:1|c|@0.5\n");
	for (int i = 0; i < 12; i++)
		addf(&t, "c:1|c|@0.5\nd%d:3|c|@0.25\n", i % 3);
	addf(&t, "e:2|c|@0\ne:2|c|@2\nc:1:1|c|@0.5\n");
	send_text(r, &t);
	b = flush(r);
	CHECK_SUM(b, "c", "", 2 + 24 + 4);
	for (int i = 0; i < 3; i++) {
		char name[8];

		snprintf(name, sizeof(name), "d%d", i);
		CHECK_SUM(b, name, "", 4 * 12);
	}
	CHECK_SUM(b, "e", "", 4); /* out-of-range rates count as 1 */
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (h) parse errors inside a run ---- */

static void
test_parse_errors_mid_run(void **state)
{
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	send(r, "p:1|c\np:2|c\nq:1|g\np:3|c\nbad line\np:4|c\n:1|c\nq:2|g\np:5|c\n"
	        "p:x|c\np:6|c\nq:3|g\np:7|zz\np:8|c\n\n\r\np:9|c\nq:4|g\n");
	assert_int_equal(r->counters.parse_errors[TALLY_PERR_NO_PIPE], 1);
	assert_int_equal(r->counters.parse_errors[TALLY_PERR_EMPTY_NAME], 1);
	assert_int_equal(r->counters.parse_errors[TALLY_PERR_BAD_VALUE], 1);
	assert_int_equal(r->counters.parse_errors[TALLY_PERR_BAD_TYPE], 1);
	assert_int_equal(r->counters.metrics, 8 + 4);
	/* The status API's per-listener counts: all of it came on UDP. */
	assert_int_equal(r->counters.metrics_by[TALLY_LISTENER_UDP], 8 + 4);
	assert_int_equal(r->counters.parse_errors_by[TALLY_LISTENER_UDP], 4);
	assert_int_equal(r->counters.metrics_by[TALLY_LISTENER_UDS], 0);
	tally_rx_process(&r->ctx, TALLY_LISTENER_UDS, (char[]){ "q:4|g\nbad\n" }, 10, false);
	assert_int_equal(r->counters.metrics_by[TALLY_LISTENER_UDS], 1);
	assert_int_equal(r->counters.parse_errors_by[TALLY_LISTENER_UDS], 1);
	assert_int_equal(r->counters.metrics_by[TALLY_LISTENER_UDP], 8 + 4);
	b = flush(r);
	CHECK_SUM(b, "p", "", 1 + 2 + 3 + 4 + 5 + 6 + 8 + 9);
	CHECK_GAUGE(b, "q", "", 4);
	assert_int_equal(b->n_series, 2);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- service checks, events and a truncated datagram among metrics ---- */

static void
test_checks_events_truncated(void **state)
{
	static const char dgram[] = "m:1|c\nm:2|c\n_sc|chk|1|#a:1\nm:3|c\n_e{2,3}:ti|txt\nm:4|c\n"
	                            "g:1|g\n_sc|chk2|0\ng:2|g\nm:5|c\nm:6|c\nm:7|c\nm:8|c\ng:3|g\n"
	                            "m:9|c\nm:100";
	struct rig *r = rig_new(100000, NULL);
	struct tally_batch *b;

	send_n(r, dgram, sizeof(dgram) - 1, true);
	assert_int_equal(r->counters.truncated, 1);
	assert_int_equal(r->counters.service_checks, 2);
	assert_int_equal(r->counters.events, 1);
	assert_int_equal(r->ctx.pending->n_checks, 2);
	assert_int_equal(r->ctx.pending->n_events, 1);
	assert_string_equal(r->ctx.pending->checks[0].name, "chk");
	assert_string_equal(r->ctx.pending->checks[0].tags[0], "a:1");
	assert_string_equal(r->ctx.pending->events[0].title, "ti");
	assert_int_equal(r->counters.metrics, 12);
	b = flush(r);
	CHECK_SUM(b, "m", "", 45);
	CHECK_GAUGE(b, "g", "", 3);
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (i) a large datagram, twice ---- */

#define BIG_LINES    10000
#define BIG_CONTEXTS 3000

/* Context id: name big.<id % 1000>, tag k:<id / 1000>, host h<id % 7> for every 10th. */
static void
big_datagram(struct text *t, long *sums)
{
	for (int i = 0; i < BIG_LINES; i++) {
		int id = (i * 7) % BIG_CONTEXTS, v = i % 13 + 1;

		addf(t, "big.%d:%d|c|#k:%d%s", id % 1000, v, id / 1000, id % 10 ? "" : ",host:h");
		if (id % 10 == 0)
			addf(t, "%d", id % 7);
		addf(t, "\n");
		sums[id] += v;
	}
}

static void
test_big_datagrams(void **state)
{
	static long sums[BIG_CONTEXTS];
	static bool seen[BIG_CONTEXTS];
	struct rig *r = rig_new(1000000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;
	size_t wrong = 0;

	memset(sums, 0, sizeof(sums));
	for (int round = 0; round < 2; round++) {
		big_datagram(&t, sums);
		send_text(r, &t);
	}
	assert_int_equal(r->counters.metrics, 2 * BIG_LINES);
	assert_int_equal(stats_of(r).contexts, BIG_CONTEXTS);
	b = flush(r);
	assert_int_equal(b->n_series, BIG_CONTEXTS);
	for (size_t i = 0; i < b->n_series; i++) {
		const struct tally_series *s = &b->series[i];
		int name, k, id;
		char host[8];

		assert_int_equal(sscanf(s->name, "big.%d", &name), 1);
		assert_int_equal(s->n_tags, 1);
		assert_int_equal(sscanf(s->tags[0], "k:%d", &k), 1);
		id = k * 1000 + name;
		assert_true(id >= 0 && id < BIG_CONTEXTS);
		assert_false(seen[id]);
		seen[id] = true;
		if (id % 10)
			snprintf(host, sizeof(host), "myhost");
		else
			snprintf(host, sizeof(host), "h%d", id % 7);
		assert_string_equal(s->host, host);
		assert_int_equal(s->kind, TALLY_SERIES_RATE);
		if (s->value != (double)sums[id] / INTERVAL_S) {
			if (wrong++ < 5)
				print_error("big.%d{k:%d}: %.17g, want %.17g\n", name, k, s->value,
				            (double)sums[id] / INTERVAL_S);
		}
	}
	assert_int_equal(wrong, 0);
	/*
	 * A sample written out, lest the reference above share a mistake with the test: id 0
	 * comes on lines 0, 3000, 6000, 9000 (i * 7 % 3000 == 0) with values 1, 11, 8, 5, twice.
	 */
	CHECK_SUM(b, "big.0", "k:0", 50);
	assert_string_equal(find_series(b, "big.0", "k:0", BUCKET_S)->host, "h0");
	CHECK_SUM(b, "big.7", "k:0", 58);
	CHECK_SUM(b, "big.7", "k:2", 60);
	CHECK_SUM(b, "big.234", "k:1", 24);
	CHECK_SUM(b, "big.999", "k:2", 68);
	CHECK_SUM(b, "big.0", "k:1", 60);
	assert_string_equal(find_series(b, "big.0", "k:1", BUCKET_S)->host, "h6");
	tally_batch_unref(b);
	rig_free(r);
}

/* ---- (j) the tag-field memo ---- */

/*
 * The same tags written in another order, repeated, or with host: in between are one context,
 * whether the key comes from the memo (the same field again) or not (a new field). Over a few
 * memo windows, so the memo is warm, then left alone, then tried again.
 */
static void
test_tag_field_memo_same_context(void **state)
{
	static const char *const forms[] = { "a:1,b:2", "b:2,a:1", "a:1,b:2,a:1", "b:2,,a:1,b:2" };
	struct rig *r = rig_new(1000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;
	long sum = 0;

	for (int i = 0; i < 3000; i++) {
		addf(&t, "m:%d|c|#%s\n", i % 5 + 1, forms[(i / 300) % 4]);
		sum += i % 5 + 1;
		if (i % 500 == 499)
			send_text(r, &t);
	}
	send_text(r, &t);
	send(r, "n:1000|c|#a:1,host:h2,b:2\nn:2000|c|#b:2,host:h2,a:1\nn:4000|c|#a:1,b:2\n");
	assert_int_equal(stats_of(r).contexts, 3);
	b = flush(r);
	CHECK_SUM(b, "m", "a:1,b:2", sum);
	assert_int_equal(count_named(b, "m"), 1);
	assert_int_equal(count_named(b, "n"), 2);
	for (size_t i = 0; i < b->n_series; i++) {
		if (strcmp(b->series[i].name, "n"))
			continue;
		assert_true(fabs(b->series[i].value -
		                 (strcmp(b->series[i].host, "h2") ? 400.0 : 300.0)) < 1e-9);
	}
	tally_batch_unref(b);
	rig_free(r);
}

/*
 * Many tag fields interleaved, so the memo misses and is bypassed, then a few repeated ones, so
 * it is used again: every context gets exactly its own samples throughout.
 */
static void
test_tag_field_memo_interleaved(void **state)
{
	static long sums[2000];
	struct rig *r = rig_new(100000, NULL);
	struct text t = { 0 };
	struct tally_batch *b;
	char tags[32];

	memset(sums, 0, sizeof(sums));
	for (int i = 0; i < 40000; i++) {
		/* 2000 fields for the first 20000 lines, then 3 of them. */
		int k = i < 20000 ? (i * 7) % 2000 : (i % 3) * 100;

		addf(&t, "x:%d|c|#env:a,k:%d\n", i % 9 + 1, k);
		sums[k] += i % 9 + 1;
		if (i % 150 == 149)
			send_text(r, &t);
	}
	send_text(r, &t);
	assert_int_equal(stats_of(r).contexts, 2000);
	b = flush(r);
	for (int k = 0; k < 2000; k++) {
		snprintf(tags, sizeof(tags), "env:a,k:%d", k);
		CHECK_SUM(b, "x", tags, sums[k]);
	}
	tally_batch_unref(b);
	rig_free(r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gauge_order_long_datagram),
		cmocka_unit_test(test_gauge_order_around_bypass),
		cmocka_unit_test(test_counter_sums_over_datagrams),
		cmocka_unit_test(test_new_contexts_mid_datagram),
		cmocka_unit_test(test_value_of_line_after_new_context),
		cmocka_unit_test(test_tags_of_line_after_new_context),
		cmocka_unit_test(test_type_conflict),
		cmocka_unit_test(test_context_limit),
		cmocka_unit_test(test_origin_tag_on_every_path),
		cmocka_unit_test(test_sample_rate),
		cmocka_unit_test(test_parse_errors_mid_run),
		cmocka_unit_test(test_checks_events_truncated),
		cmocka_unit_test(test_big_datagrams),
		cmocka_unit_test(test_tag_field_memo_same_context),
		cmocka_unit_test(test_tag_field_memo_interleaved),
	};

	tally_log_set_level(TALLY_LOG_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
