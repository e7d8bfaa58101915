/*
 * check_sink, check_deriv, check_commit: what a check submits through the ops table, how
 * rate and monotonic_count are derived from the agent-side previous sample (first sample
 * nothing, reset on decrease), and what reaches a real aggregator and batch.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <tally/check.h>

#include "agg.h"
#include "batch.h"
#include "check_commit.h"
#include "check_deriv.h"
#include "check_sink.h"
#include "log.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const base_tags[] = { "env:test", "team:core" };

static struct tally_check_ctx *
sink(struct tally_check_deriv *d, double now_s)
{
	struct tally_check_sink_opts o = {
		.check = "t",
		.instance = "t:1",
		.host = "h1",
		.tags = base_tags,
		.n_tags = ARRAY_SIZE(base_tags),
		.deriv = d,
		.now_s = now_s,
		.wall_s = 1700000000,
	};

	return tally_check_sink_new(&o);
}

/* One run submitting value to op; returns the run (caller frees). */
static struct tally_check_run *
one(struct tally_check_deriv *d, double now_s, int kind, double value)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_ctx *ctx = sink(d, now_s);

	if (kind == TALLY_CK_RATE)
		assert_int_equal(ops->rate(ctx, "m", value, NULL, 0), 0);
	else
		assert_int_equal(ops->monotonic_count(ctx, "m", value, NULL, 0), 0);
	return tally_check_sink_finish(ctx);
}

/* Submits value at now_s; asserts whether a value comes out, and which. */
static void
step(struct tally_check_deriv *d, int kind, double now_s, double value, bool has, double expect)
{
	struct tally_check_run *run = one(d, now_s, kind, value);

	assert_int_equal(run->n_metrics, 1);
	assert_int_equal(run->metrics[0].kind, kind);
	assert_true(run->metrics[0].raw == value);
	if (run->metrics[0].has_value != has)
		fail_msg("t=%g value=%g: has_value %d, want %d", now_s, value,
		         run->metrics[0].has_value, has);
	if (has && fabs(run->metrics[0].value - expect) > 1e-9)
		fail_msg("t=%g value=%g: got %g, want %g", now_s, value, run->metrics[0].value,
		         expect);
	tally_check_run_free(run);
}

static void
test_rate_rules(void **state)
{
	struct tally_check_deriv *d = tally_check_deriv_new(100);

	step(d, TALLY_CK_RATE, 100, 50, false, 0);  /* first sample: baseline only */
	step(d, TALLY_CK_RATE, 110, 150, true, 10); /* 100 in 10 s */
	step(d, TALLY_CK_RATE, 115, 150, true, 0);  /* flat */
	step(d, TALLY_CK_RATE, 115, 500, false, 0); /* no time passed: nothing, keep 115/150 */
	step(d, TALLY_CK_RATE, 120, 200, true, 10); /* from 115/150 */
	step(d, TALLY_CK_RATE, 125, 20, false, 0);  /* went down: reset, new baseline */
	step(d, TALLY_CK_RATE, 130, 70, true, 10);  /* from the new baseline */
	assert_int_equal(tally_check_deriv_size(d), 1);
	tally_check_deriv_free(d);
}

static void
test_monotonic_count_rules(void **state)
{
	struct tally_check_deriv *d = tally_check_deriv_new(100);
	double total = 0;
	const double seq[] = { 1, 3, 5, 7 };

	/* Datadog's example: 1, 3, 5, 7 sends 6. */
	for (size_t i = 0; i < ARRAY_SIZE(seq); i++) {
		struct tally_check_run *run =
		    one(d, 10 + (double)i, TALLY_CK_MONOTONIC_COUNT, seq[i]);

		assert_int_equal(run->metrics[0].has_value, i > 0);
		total += run->metrics[0].has_value ? run->metrics[0].value : 0;
		tally_check_run_free(run);
	}
	assert_true(total == 6);
	step(d, TALLY_CK_MONOTONIC_COUNT, 20, 2, false, 0); /* reset (7 -> 2) */
	step(d, TALLY_CK_MONOTONIC_COUNT, 21, 9, true, 7);
	step(d, TALLY_CK_MONOTONIC_COUNT, 21, 12, true, 3); /* no time needed for a count */
	tally_check_deriv_free(d);
}

static void
test_derived_series_are_keyed_by_kind_name_tags_host(void **state)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_deriv *d = tally_check_deriv_new(100);
	const char *ab[] = { "a:1", "b:2" }, *ba[] = { "b:2", "a:1", "a:1" };
	const char *other_host[] = { "a:1", "b:2", "host:other" };
	struct tally_check_ctx *ctx = sink(d, 1);
	struct tally_check_run *run;

	ops->rate(ctx, "m", 1, ab, 2);
	ops->monotonic_count(ctx, "m", 1, ab, 2);
	ops->rate(ctx, "m", 1, other_host, 3);
	ops->rate(ctx, "n", 1, ab, 2);
	tally_check_run_free(tally_check_sink_finish(ctx));
	assert_int_equal(tally_check_deriv_size(d), 4);

	ctx = sink(d, 2);
	ops->rate(ctx, "m", 5, ba, 3); /* same tags in another order, repeated: same series */
	run = tally_check_sink_finish(ctx);
	assert_true(run->metrics[0].has_value);
	assert_true(run->metrics[0].value == 4);
	tally_check_run_free(run);
	assert_int_equal(tally_check_deriv_size(d), 4);
	tally_check_deriv_free(d);
}

static void
test_deriv_bounds_and_expiry(void **state)
{
	struct tally_check_deriv *d = tally_check_deriv_new(2);
	double out;

	assert_false(tally_check_deriv_update(d, TALLY_DERIV_RATE, "a", 1, 1, 1, &out));
	assert_false(tally_check_deriv_update(d, TALLY_DERIV_RATE, "b", 1, 1, 1, &out));
	assert_false(tally_check_deriv_update(d, TALLY_DERIV_RATE, "c", 1, 1, 1, &out));
	assert_false(tally_check_deriv_update(d, TALLY_DERIV_RATE, "c", 1, 2, 2, &out));
	assert_int_equal(tally_check_deriv_dropped(d), 2);
	assert_int_equal(tally_check_deriv_size(d), 2);
	assert_true(tally_check_deriv_update(d, TALLY_DERIV_RATE, "a", 1, 3, 2, &out));
	assert_true(out == 2);
	tally_check_deriv_expire(d, 1.5); /* b was last seen at 1 */
	assert_int_equal(tally_check_deriv_size(d), 1);
	assert_false(tally_check_deriv_update(d, TALLY_DERIV_RATE, "b", 1, 9, 3, &out));
	tally_check_deriv_free(d);

	/* Growth past the initial table keeps every key. */
	d = tally_check_deriv_new(10000);
	for (int i = 0; i < 1000; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		tally_check_deriv_update(d, TALLY_DERIV_MONOTONIC, key, strlen(key), i, 1, &out);
	}
	assert_int_equal(tally_check_deriv_size(d), 1000);
	assert_true(tally_check_deriv_update(d, TALLY_DERIV_MONOTONIC, "k500", 4, 600, 2, &out));
	assert_true(out == 100);
	tally_check_deriv_free(d);
}

static void
test_tags_host_and_validation(void **state)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_ctx *ctx = sink(NULL, 1);
	const char *tags[] = { "z:1", "env:test", NULL, "", "host:box7", "a:0" };
	const char *no_host[] = { "host:" };
	const char *bad_tag[] = { "bad\ntag" };
	const char *many[TALLY_CHECK_MAX_TAGS + 1];
	struct tally_check_run *run;
	const struct tally_check_metric *m;

	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = "t:x";
	assert_int_equal(ops->struct_size, sizeof(struct tally_check_ops));
	assert_int_equal(ops->abi_version, TALLY_CHECK_ABI_VERSION);
	assert_true(TALLY_CHECK_HAS_OP(ops, log));
	assert_int_equal(ops->gauge(ctx, "g", 1.5, tags, ARRAY_SIZE(tags)), 0);
	assert_int_equal(ops->count(ctx, "c", 2, no_host, 1), 0);
	assert_int_equal(ops->histogram(ctx, "h", 3, NULL, 0), 0);
	assert_int_equal(ops->gauge(ctx, "", 1, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, NULL, 1, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "x", NAN, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "x", INFINITY, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "bad\nname", 1, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "x", 1, bad_tag, 1), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "x", 1, NULL, 2), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "x", 1, many, ARRAY_SIZE(many)), -EINVAL);
	run = tally_check_sink_finish(ctx);
	assert_int_equal(run->n_metrics, 3);
	assert_int_equal(run->dropped, 8);
	m = &run->metrics[0];
	assert_string_equal(m->name, "g");
	assert_string_equal(m->host, "box7");
	assert_int_equal(m->n_tags, 4); /* a:0 env:test team:core z:1: sorted, env:test once */
	assert_string_equal(m->tags[0], "a:0");
	assert_string_equal(m->tags[1], "env:test");
	assert_string_equal(m->tags[2], "team:core");
	assert_string_equal(m->tags[3], "z:1");
	assert_string_equal(run->metrics[1].host, "");
	assert_string_equal(run->metrics[2].host, "h1");
	assert_int_equal(run->metrics[2].n_tags, 2);
	assert_int_equal(tally_check_run_values(run), 3);
	tally_check_run_free(run);
}

static void
test_service_checks_events_and_log(void **state)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_ctx *ctx = sink(NULL, 1);
	struct tally_check_event ev = { .title = "deploy", .text = "v2", .alert_type = "success" };
	struct tally_check_event bad = { .title = "x", .priority = "urgent" };
	struct tally_check_run *run;

	tally_log_set_level(TALLY_LOG_ERROR);
	assert_int_equal(ops->service_check(ctx, "up", TALLY_CHECK_CRITICAL, NULL, 0, "down!"), 0);
	assert_int_equal(ops->service_check(ctx, "up2", TALLY_CHECK_OK, NULL, 0, NULL), 0);
	assert_int_equal(ops->service_check(ctx, "up3", (enum tally_check_status)4, NULL, 0, ""),
	                 -EINVAL);
	assert_int_equal(ops->event(ctx, &ev), 0);
	assert_int_equal(ops->event(ctx, &bad), -EINVAL);
	assert_int_equal(ops->event(ctx, NULL), -EINVAL);
	ops->log(ctx, TALLY_CHECK_LOG_WARN, "slow %d", 1);
	ops->log(ctx, TALLY_CHECK_LOG_ERROR, "first\n");
	ops->log(ctx, TALLY_CHECK_LOG_ERROR, "second %s", "error");
	run = tally_check_sink_finish(ctx);
	assert_int_equal(run->n_svcs, 2);
	assert_int_equal(run->svcs[0].status, 2);
	assert_string_equal(run->svcs[0].message, "down!");
	assert_string_equal(run->svcs[0].host, "h1");
	assert_int_equal(run->svcs[0].n_tags, 2);
	assert_string_equal(run->svcs[1].message, "");
	assert_int_equal(run->n_events, 1);
	assert_string_equal(run->events[0].title, "deploy");
	assert_string_equal(run->events[0].alert_type, "success");
	assert_string_equal(run->events[0].priority, "normal");
	assert_string_equal(run->events[0].aggregation_key, "");
	assert_int_equal(run->events[0].timestamp, 1700000000);
	assert_string_equal(run->last_error, "second error");
	assert_string_equal(run->last_warning, "slow 1");
	assert_int_equal(run->dropped, 3);
	tally_check_run_free(run);
}

static void
test_submission_limit(void **state)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_ctx *ctx = sink(NULL, 1);
	struct tally_check_run *run;

	tally_log_set_level(TALLY_LOG_ERROR);
	for (int i = 0; i < TALLY_CHECK_MAX_SUBMISSIONS; i++)
		assert_int_equal(ops->gauge(ctx, "g", i, NULL, 0), 0);
	assert_int_equal(ops->gauge(ctx, "g", 1, NULL, 0), -ENOSPC);
	assert_int_equal(ops->service_check(ctx, "s", 0, NULL, 0, ""), -ENOSPC);
	run = tally_check_sink_finish(ctx);
	assert_int_equal(run->n_metrics, TALLY_CHECK_MAX_SUBMISSIONS);
	assert_int_equal(run->dropped, 2);
	tally_check_run_free(run);
}

static const struct tally_series *
find(const struct tally_batch *b, const char *name)
{
	for (size_t i = 0; i < b->n_series; i++) {
		if (strcmp(b->series[i].name, name) == 0)
			return &b->series[i];
	}
	fail_msg("no series %s", name);
	return NULL;
}

static bool
has(const struct tally_batch *b, const char *name)
{
	for (size_t i = 0; i < b->n_series; i++) {
		if (strcmp(b->series[i].name, name) == 0)
			return true;
	}
	return false;
}

static void
test_commit_into_aggregator(void **state)
{
	static const double pcts[] = { 0.95 };
	struct tally_agg_opts ao = {
		.interval_s = 10,
		.expiry_s = 300,
		.context_expiry_s = 20,
		.context_limit = 1000,
		.hist_aggregates = TALLY_HAGG_DEFAULT,
		.percentiles = pcts,
		.n_percentiles = 1,
		.default_host = "agenthost",
	};
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_deriv *d = tally_check_deriv_new(100);
	struct tally_agg *agg = tally_agg_new(&ao);
	struct tally_batch *pending = tally_batch_new(0), *out = tally_batch_new(1010);
	struct tally_check_ctx *ctx;
	const struct tally_series *s;

	for (int run = 0; run < 2; run++) {
		ctx = sink(d, 100 + 10 * run);
		ops->gauge(ctx, "g", 1 + run, NULL, 0);
		ops->count(ctx, "c", 5, NULL, 0);
		ops->rate(ctx, "r", 100 + 50 * run, NULL, 0);
		ops->monotonic_count(ctx, "mc", 10 + 7 * run, NULL, 0);
		ops->histogram(ctx, "h", 4 + run, NULL, 0);
		ops->service_check(ctx, "up", TALLY_CHECK_WARNING, NULL, 0, "meh");
		tally_check_commit_apply(agg, pending, 1000, tally_check_sink_finish(ctx));
	}
	tally_agg_flush(agg, 1000, 1010, out);
	s = find(out, "g");
	assert_int_equal(s->kind, TALLY_SERIES_GAUGE);
	assert_true(s->value == 2);
	assert_string_equal(s->host, "h1");
	assert_int_equal(s->n_tags, 2);
	s = find(out, "c");
	assert_int_equal(s->kind, TALLY_SERIES_COUNT);
	assert_true(s->value == 10);
	s = find(out, "r"); /* only the second run has a rate: 50 / 10 s */
	assert_int_equal(s->kind, TALLY_SERIES_GAUGE);
	assert_true(s->value == 5);
	s = find(out, "mc");
	assert_int_equal(s->kind, TALLY_SERIES_COUNT);
	assert_true(s->value == 7);
	s = find(out, "h.max");
	assert_true(s->value == 5);
	assert_true(find(out, "h.count") != NULL);
	assert_false(has(out, "h"));
	assert_int_equal(pending->n_checks, 2);
	assert_string_equal(pending->checks[0].name, "up");
	assert_int_equal(pending->checks[0].status, 1);
	assert_string_equal(pending->checks[0].message, "meh");
	assert_string_equal(pending->checks[0].host, "h1");
	assert_int_equal(pending->checks[0].timestamp, 1700000000);
	tally_batch_unref(out);
	tally_batch_unref(pending);
	tally_agg_free(agg);
	tally_check_deriv_free(d);
}

/* Finds the metric named name in run, or fails. */
static const struct tally_check_metric *
metric(const struct tally_check_run *run, const char *name, size_t nth)
{
	for (size_t i = 0; i < run->n_metrics; i++) {
		if (strcmp(run->metrics[i].name, name) == 0 && nth-- == 0)
			return &run->metrics[i];
	}
	fail_msg("no metric %s", name);
	return NULL;
}

static bool
has_tag(char *const *tags, size_t n, const char *tag)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(tags[i], tag) == 0)
			return true;
	}
	return false;
}

static void
test_gauge_at_keeps_its_timestamp(void **state)
{
	const struct tally_check_ops *ops = tally_check_sink_ops();
	const char *const tags[] = { "k:v", "host:other" };
	struct tally_check_ctx *ctx = sink(NULL, 0);
	struct tally_check_run *run;
	const struct tally_check_metric *m;

	(void)state;
	assert_true(TALLY_CHECK_HAS_OP(ops, gauge_at));
	assert_int_equal(ops->gauge_at(ctx, "ga", 2.5, 1699999000, tags, 2), 0);
	assert_int_equal(ops->gauge_at(ctx, "ga", 1, 0, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge_at(ctx, "ga", 1, -5, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge_at(ctx, "", 1, 1699999000, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge_at(ctx, "ga", NAN, 1699999000, NULL, 0), -EINVAL);
	assert_int_equal(ops->gauge(ctx, "plain", 1, NULL, 0), 0);
	run = tally_check_sink_finish(ctx);
	assert_int_equal(run->n_metrics, 2);
	assert_int_equal(run->dropped, 4);
	m = metric(run, "ga", 0);
	assert_int_equal(m->kind, TALLY_CK_GAUGE);
	assert_int_equal(m->timestamp, 1699999000);
	assert_true(m->value == 2.5);
	assert_string_equal(m->host, "other");
	assert_int_equal(m->n_tags, 3); /* k:v plus the two sink tags */
	assert_int_equal(metric(run, "plain", 0)->timestamp, 0);
	assert_string_equal(tally_check_metric_type(m), "gauge");
	tally_check_run_free(run);
}

static void
test_dogstatsd_lines(void **state)
{
	static const char text[] = "a.gauge:1.5|g|#x:1\n"
	                           "a.count:2|c|@0.5\r\n"
	                           "\n"
	                           "a.hist:1:2:3|h|#host:h9\n"
	                           "a.set:alice|s\n"
	                           "a.ts:7|g|T1699990000\n"
	                           "broken\n"
	                           "a.bad:x|g\n"
	                           "_sc|svc.up|2|h:h7|#s:1|m:down\n"
	                           "_e{5,4}:title|text|t:error|#e:1\n"
	                           "a.nul:1|zz";
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_check_ctx *ctx = sink(NULL, 0);
	struct tally_check_run *run;
	const struct tally_check_metric *m;
	size_t bad = 99;

	(void)state;
	assert_true(TALLY_CHECK_HAS_OP(ops, dogstatsd));
	/* Not NUL-terminated: the text stops before the last line's type. */
	assert_int_equal(ops->dogstatsd(ctx, text, sizeof(text) - 3, &bad), 7);
	assert_int_equal(bad, 3);
	assert_int_equal(ops->dogstatsd(ctx, "", 0, &bad), 0);
	assert_int_equal(bad, 0);
	assert_int_equal(ops->dogstatsd(ctx, "z:1|g", 5, NULL), 1);
	run = tally_check_sink_finish(ctx);
	assert_int_equal(run->n_metrics, 8); /* the histogram's three values are three */
	m = metric(run, "a.gauge", 0);
	assert_true(m->wire);
	assert_string_equal(tally_check_metric_type(m), "gauge");
	assert_true(has_tag(m->tags, m->n_tags, "x:1"));
	assert_true(has_tag(m->tags, m->n_tags, "env:test")); /* the instance's tags */
	assert_string_equal(m->host, "h1");
	m = metric(run, "a.count", 0);
	assert_string_equal(tally_check_metric_type(m), "counter");
	assert_true(m->sample_rate == 0.5);
	m = metric(run, "a.hist", 2);
	assert_true(m->value == 3);
	assert_string_equal(m->host, "h9");
	assert_string_equal(metric(run, "a.set", 0)->set_value, "alice");
	assert_int_equal(metric(run, "a.ts", 0)->timestamp, 1699990000);
	assert_int_equal(run->n_svcs, 1);
	assert_string_equal(run->svcs[0].name, "svc.up");
	assert_int_equal(run->svcs[0].status, 2);
	assert_string_equal(run->svcs[0].host, "h7");
	assert_string_equal(run->svcs[0].message, "down");
	assert_true(has_tag(run->svcs[0].tags, run->svcs[0].n_tags, "team:core"));
	assert_int_equal(run->n_events, 1);
	assert_string_equal(run->events[0].title, "title");
	assert_string_equal(run->events[0].text, "text");
	assert_string_equal(run->events[0].alert_type, "error");
	assert_true(has_tag(run->events[0].tags, run->events[0].n_tags, "e:1"));
	tally_check_run_free(run);
}

/* Timestamped and wire samples reach the aggregator as the network's would. */
static void
test_commit_timestamps_and_wire_types(void **state)
{
	struct tally_agg_opts ao = {
		.interval_s = 10,
		.expiry_s = 300,
		.context_expiry_s = 20,
		.context_limit = 1000,
		.hist_aggregates = TALLY_HAGG_DEFAULT,
		.default_host = "agenthost",
	};
	static const char text[] = "w.c:3|c|@0.5\nw.s:a|s\nw.s:b|s\nw.s:a|s\nw.t:9|g|T1699990000\n";
	const struct tally_check_ops *ops = tally_check_sink_ops();
	struct tally_agg *agg = tally_agg_new(&ao);
	struct tally_batch *pending = tally_batch_new(0), *out = tally_batch_new(1010);
	struct tally_check_ctx *ctx = sink(NULL, 0);
	const struct tally_series *s;

	(void)state;
	assert_int_equal(ops->gauge_at(ctx, "ts.g", 4, 1699999000, NULL, 0), 0);
	assert_int_equal(ops->dogstatsd(ctx, text, sizeof(text) - 1, NULL), 5);
	tally_check_commit_apply(agg, pending, 1000, tally_check_sink_finish(ctx));
	tally_agg_flush(agg, 1000, 1010, out);
	s = find(out, "ts.g");
	assert_int_equal(s->kind, TALLY_SERIES_GAUGE);
	assert_int_equal(s->timestamp, 1699999000);
	assert_true(s->value == 4);
	s = find(out, "w.t");
	assert_int_equal(s->timestamp, 1699990000);
	assert_true(s->value == 9);
	s = find(out, "w.c"); /* 3 sampled at 0.5: 6 in 10 s, sent as a rate like DogStatsD's */
	assert_int_equal(s->timestamp, 1000);
	assert_int_equal(s->kind, TALLY_SERIES_RATE);
	assert_true(fabs(s->value - 0.6) < 1e-9);
	s = find(out, "w.s");
	assert_true(s->value == 2);
	tally_batch_unref(out);
	tally_batch_unref(pending);
	tally_agg_free(agg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rate_rules),
		cmocka_unit_test(test_monotonic_count_rules),
		cmocka_unit_test(test_derived_series_are_keyed_by_kind_name_tags_host),
		cmocka_unit_test(test_deriv_bounds_and_expiry),
		cmocka_unit_test(test_tags_host_and_validation),
		cmocka_unit_test(test_service_checks_events_and_log),
		cmocka_unit_test(test_submission_limit),
		cmocka_unit_test(test_commit_into_aggregator),
		cmocka_unit_test(test_gauge_at_keeps_its_timestamp),
		cmocka_unit_test(test_dogstatsd_lines),
		cmocka_unit_test(test_commit_timestamps_and_wire_types),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
