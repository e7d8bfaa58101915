/*
 * tplug: the test check. What it does each run is set by its instance config, so one .so
 * serves the scheduler, reload, `tally check` and end-to-end tests:
 *   value        gauge tplug.gauge (and histogram tplug.hist)
 *   step         tplug.counter (monotonic_count) and tplug.rate (rate) grow by step per run
 *   counter_file when set, tplug.counter and tplug.rate read their value from this file
 *   count        count tplug.count, when not 0
 *   label        tag label:LABEL on everything
 *   sleep_ms     sleep this long in run (timeouts)
 *   fail_runs    the first fail_runs runs fail; fail_always: every run fails
 *   fail_init    init fails
 *   event        submit an event each run
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <tally/check.h>

struct tplug_state {
	double value;
	int64_t step;
	const char *counter_file;
	double count;
	const char *label;
	int64_t sleep_ms;
	int64_t fail_runs;
	bool fail_always;
	bool fail_init;
	bool event;
	int64_t runs; /* the check's own, not bound */
	char label_tag[128];
};

static const struct tally_check_conf tplug_conf[] = {
	{ "value", TALLY_CONF_DOUBLE, 0, "1", offsetof(struct tplug_state, value), 0, 0,
	  "gauge value" },
	{ "step", TALLY_CONF_INT, 0, "10", offsetof(struct tplug_state, step), 0, 1000000,
	  "counter step per run" },
	{ "counter_file", TALLY_CONF_STR, 0, NULL, offsetof(struct tplug_state, counter_file), 0, 0,
	  "read the counter from this file" },
	{ "count", TALLY_CONF_DOUBLE, 0, "0", offsetof(struct tplug_state, count), 0, 0,
	  "count per run" },
	{ "label", TALLY_CONF_STR, 0, "none", offsetof(struct tplug_state, label), 0, 0,
	  "label: tag" },
	{ "sleep_ms", TALLY_CONF_INT, 0, "0", offsetof(struct tplug_state, sleep_ms), 0, 600000,
	  "sleep in run" },
	{ "fail_runs", TALLY_CONF_INT, 0, "0", offsetof(struct tplug_state, fail_runs), 0, 1000000,
	  "fail the first N runs" },
	{ "fail_always", TALLY_CONF_BOOL, 0, "false", offsetof(struct tplug_state, fail_always), 0,
	  0, "fail every run" },
	{ "fail_init", TALLY_CONF_BOOL, 0, "false", offsetof(struct tplug_state, fail_init), 0, 0,
	  "fail init" },
	{ "event", TALLY_CONF_BOOL, 0, "false", offsetof(struct tplug_state, event), 0, 0,
	  "submit an event" },
	{ 0 },
};

static int
tplug_init(void *state, char *err, size_t err_len)
{
	struct tplug_state *st = state;

	if (st->fail_init) {
		snprintf(err, err_len, "told to fail init");
		return -EIO;
	}
	snprintf(st->label_tag, sizeof(st->label_tag), "label:%s", st->label);
	return 0;
}

static double
tplug_counter(const struct tplug_state *st)
{
	double v = -1;
	FILE *f;

	if (!st->counter_file)
		return (double)(st->runs * st->step);
	f = fopen(st->counter_file, "r");
	if (f) {
		if (fscanf(f, "%lf", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void
tplug_submit(struct tplug_state *st, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	const char *tags[] = { st->label_tag };
	double counter = tplug_counter(st);

	ops->gauge(ctx, "tplug.gauge", st->value, tags, 1);
	ops->histogram(ctx, "tplug.hist", st->value, tags, 1);
	if (counter >= 0) {
		ops->monotonic_count(ctx, "tplug.counter", counter, tags, 1);
		ops->rate(ctx, "tplug.rate", counter, tags, 1);
	}
	if (st->count != 0)
		ops->count(ctx, "tplug.count", st->count, tags, 1);
	ops->service_check(ctx, "tplug.up", TALLY_CHECK_OK, tags, 1, "");
	if (st->event) {
		struct tally_check_event ev = {
			.title = "tplug ran", .text = "hello", .tags = tags, .n_tags = 1
		};

		ops->event(ctx, &ev);
	}
}

static int
tplug_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct tplug_state *st = state;

	st->runs++;
	if (st->sleep_ms > 0) {
		struct timespec ts = { st->sleep_ms / 1000, (st->sleep_ms % 1000) * 1000000 };

		nanosleep(&ts, NULL);
	}
	if (st->fail_always || st->runs <= st->fail_runs) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "told to fail run %lld", (long long)st->runs);
		return -EIO;
	}
	tplug_submit(st, ops, ctx);
	return 0;
}

static const struct tally_check_plugin tplug_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "tplug",
	.version = "0.1.0",
	.state_size = sizeof(struct tplug_state),
	.conf = tplug_conf,
	.init = tplug_init,
	.run = tplug_run,
};

TALLY_CHECK_DEFINE(tplug_check)
