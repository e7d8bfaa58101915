/*
 * example: a small but complete Tally check, meant to be copied.
 *
 * Each run it reads PROC_ROOT/loadavg and submits the load averages and process counts as
 * gauges, reads one number from counter_file (by default the loopback interface's received
 * bytes, a counter that only goes up) and submits it as a monotonic_count and as a rate, and
 * reports with a service check whether counter_file could be read.
 *
 * Build it on its own, against the installed header only:
 *   cc -shared -fPIC -I/usr/local/include example.c -o example.so
 * and see README.md next to this file for the rest.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <tally/check.h>

/* One instance's state: the agent allocates and zeroes it, and binds the config into it. */
struct example_state {
	const char *proc_root;    /* bound from the instance's proc_root: (owned by the agent) */
	const char *counter_file; /* bound from counter_file: */
	int64_t scale;            /* bound from scale: */
};

/* The keys an instance may set, with their defaults; anything else is a configuration error. */
static const struct tally_check_conf example_conf[] = {
	{ .key = "proc_root",
	  .type = TALLY_CONF_STR,
	  .def = "/proc",
	  .offset = offsetof(struct example_state, proc_root),
	  .doc = "where /proc is mounted (/host/proc in a container)" },
	{ .key = "counter_file",
	  .type = TALLY_CONF_STR,
	  .def = "/sys/class/net/lo/statistics/rx_bytes",
	  .offset = offsetof(struct example_state, counter_file),
	  .doc = "a file holding one ever-growing number" },
	{ .key = "scale",
	  .type = TALLY_CONF_INT,
	  .def = "1",
	  .min = 1,
	  .max = 1000000,
	  .offset = offsetof(struct example_state, scale),
	  .doc = "the counter is divided by this before it is submitted" },
	{ 0 },
};

/* Reads loadavg ("0.52 0.58 0.59 2/1234 5678") and submits five gauges. */
static int
example_loadavg(struct example_state *st, const struct tally_check_ops *ops,
                struct tally_check_ctx *ctx)
{
	char path[4096];
	double l1, l5, l15;
	long running, total;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "%s/loadavg", st->proc_root);
	f = fopen(path, "r");
	if (!f) {
		int rc = -errno;

		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "cannot open %s: %s", path, strerror(errno));
		return rc;
	}
	n = fscanf(f, "%lf %lf %lf %ld/%ld", &l1, &l5, &l15, &running, &total);
	fclose(f);
	if (n != 5) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "cannot parse %s", path);
		return -EINVAL;
	}
	ops->gauge(ctx, "example.load.1", l1, NULL, 0);
	ops->gauge(ctx, "example.load.5", l5, NULL, 0);
	ops->gauge(ctx, "example.load.15", l15, NULL, 0);
	ops->gauge(ctx, "example.procs.running", (double)running, NULL, 0);
	ops->gauge(ctx, "example.procs.total", (double)total, NULL, 0);
	return 0;
}

/* Reads counter_file; a file that cannot be read is reported, not a failed run. */
static void
example_counter(struct example_state *st, const struct tally_check_ops *ops,
                struct tally_check_ctx *ctx)
{
	const char *tags[] = { "source:counter_file" };
	char msg[4200] = "";
	double value = 0;
	FILE *f = fopen(st->counter_file, "r");

	if (!f)
		snprintf(msg, sizeof(msg), "cannot open %s: %s", st->counter_file, strerror(errno));
	else if (fscanf(f, "%lf", &value) != 1)
		snprintf(msg, sizeof(msg), "%s does not start with a number", st->counter_file);
	if (f)
		fclose(f);
	if (msg[0]) {
		ops->log(ctx, TALLY_CHECK_LOG_WARN, "%s", msg);
		ops->service_check(ctx, "example.can_read", TALLY_CHECK_CRITICAL, tags, 1, msg);
		return;
	}
	/* The agent keeps the previous value: the first run sends nothing for these two. */
	ops->monotonic_count(ctx, "example.counter", value / (double)st->scale, tags, 1);
	ops->rate(ctx, "example.counter.per_second", value / (double)st->scale, tags, 1);
	ops->service_check(ctx, "example.can_read", TALLY_CHECK_OK, tags, 1, NULL);
}

static int
example_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct example_state *st = state;

	example_counter(st, ops, ctx);
	return example_loadavg(st, ops, ctx);
}

static const struct tally_check_plugin example_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "example", /* must match the file name: example.so */
	.version = "1.0.0",
	.state_size = sizeof(struct example_state),
	.conf = example_conf,
	.flags = 0, /* no conf.d/example.yaml: the check does not run */
	.init = NULL,
	.run = example_run,
	.destroy = NULL,
};

TALLY_CHECK_DEFINE(example_check)
