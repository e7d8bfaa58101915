/*
 * check_sched, check_pool: scheduling on a real libevent base with real worker threads. An
 * in-process check (below) counts its calls and can sleep or fail on demand.
 */

#include <sys/stat.h>

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <json-c/json.h>

#include <tally/check.h>

#include "check_loader.h"
#include "check_pool.h"
#include "check_sched.h"
#include "check_testutil.h"
#include "confd.h"
#include "log.h"

#define MAX_STARTS 64

/* --- the in-process check "ts" --- */

struct ts_state {
	int64_t sleep_ms, fail_runs;
	bool fail_init;
	int64_t runs;
};

static const struct tally_check_conf ts_conf[] = {
	{ "sleep_ms", TALLY_CONF_INT, 0, "0", offsetof(struct ts_state, sleep_ms), 0, 0, "" },
	{ "fail_runs", TALLY_CONF_INT, 0, "0", offsetof(struct ts_state, fail_runs), 0, 0, "" },
	{ "fail_init", TALLY_CONF_BOOL, 0, "false", offsetof(struct ts_state, fail_init), 0, 0,
	  "" },
	{ 0 },
};

static atomic_int ts_inits, ts_starts, ts_ends, ts_destroys;
static atomic_bool ts_on_main_thread;
static pthread_t main_thread;
static double ts_start_times[MAX_STARTS];

static int
ts_init(void *state, char *err, size_t err_len)
{
	struct ts_state *st = state;

	atomic_fetch_add(&ts_inits, 1);
	if (st->fail_init) {
		snprintf(err, err_len, "told to fail init");
		return -EIO;
	}
	return 0;
}

static int
ts_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct ts_state *st = state;
	int n = atomic_fetch_add(&ts_starts, 1);

	if (n < MAX_STARTS)
		ts_start_times[n] = ctu_mono();
	if (pthread_equal(pthread_self(), main_thread))
		atomic_store(&ts_on_main_thread, true);
	if (st->sleep_ms) {
		struct timespec t = { st->sleep_ms / 1000, (st->sleep_ms % 1000) * 1000000 };

		nanosleep(&t, NULL);
	}
	st->runs++;
	ops->gauge(ctx, "ts.gauge", (double)st->runs, NULL, 0);
	atomic_fetch_add(&ts_ends, 1);
	if (st->runs <= st->fail_runs) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "told to fail run %lld", (long long)st->runs);
		return -EIO;
	}
	return 0;
}

static void
ts_destroy(void *state)
{
	atomic_fetch_add(&ts_destroys, 1);
}

static const struct tally_check_plugin ts_desc = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "ts",
	.version = "1",
	.state_size = sizeof(struct ts_state),
	.conf = ts_conf,
	.init = ts_init,
	.run = ts_run,
	.destroy = ts_destroy,
};

/* --- fixture --- */

struct fixture {
	struct event_base *base;
	char dir[64], confd[96];
	struct tally_plugin *ts;
	struct tally_check_sched *sched;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char err[256];

	evthread_use_pthreads();
	tally_log_set_level(TALLY_LOG_ERROR);
	main_thread = pthread_self();
	atomic_store(&ts_inits, 0);
	atomic_store(&ts_starts, 0);
	atomic_store(&ts_ends, 0);
	atomic_store(&ts_destroys, 0);
	atomic_store(&ts_on_main_thread, false);
	ctu_clear();
	f->base = event_base_new();
	strcpy(f->dir, "/tmp/test_check_sched.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->confd, sizeof(f->confd), "%s/conf.d", f->dir);
	mkdir(f->confd, 0755);
	f->ts = tally_plugin_from_desc(&ts_desc, err, sizeof(err));
	assert_non_null(f->ts);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	tally_check_sched_free(f->sched, 5);
	tally_plugin_unref(f->ts);
	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
no_errors(void *arg, const char *msg)
{
	fail_msg("unexpected conf.d error: %s", msg);
}

/* A scheduler with every instance of conf.d/ts.yaml (text) added; returns the first. */
static struct tally_check_inst *
start_ts(struct fixture *f, const char *text)
{
	struct tally_check_sched_opts o = {
		.base = f->base,
		.workers = 2,
		.host = "h1",
		.commit = ctu_record_run,
		.no_jitter = true,
	};
	struct tally_confd_list list = { 0 };
	char err[256];

	ctu_write_file(f->confd, "ts.yaml", text);
	assert_int_equal(tally_confd_load(f->confd, &ts_desc, &list, no_errors, NULL), 0);
	f->sched = tally_check_sched_new(&o, err, sizeof(err));
	assert_non_null(f->sched);
	for (size_t i = 0; i < list.n; i++)
		tally_check_sched_add(f->sched, f->ts, list.items[i]);
	free(list.items);
	return tally_check_sched_first(f->sched);
}

static uint64_t want_runs;

static bool
status_runs(void *arg)
{
	return tally_check_inst_status(arg)->runs >= want_runs;
}

static bool
timeouts_seen(void *arg)
{
	return tally_check_inst_status(arg)->timeouts > 0;
}

static bool
started(void *arg)
{
	return atomic_load(&ts_starts) > 0;
}

static bool
destroyed(void *arg)
{
	return atomic_load(&ts_destroys) > 0;
}

static void
test_runs_on_workers_on_schedule(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 0.1\n");
	const struct tally_check_inst_status *st = tally_check_inst_status(inst);

	want_runs = 3;
	ctu_run_until(f->base, status_runs, inst, 3000, "3 runs");
	assert_false(atomic_load(&ts_on_main_thread));
	assert_int_equal(atomic_load(&ts_inits), 1);
	assert_string_equal(st->state, "ok");
	assert_true(st->last_metrics == 1);
	assert_true(st->metrics_total >= 3);
	assert_true(st->last_run_s > 0);
	assert_null(st->last_error);
	assert_true(ctu_recorded("ts.gauge", NULL) >= 3);
	/* On schedule: the starts are about 100 ms apart. */
	assert_true(ts_start_times[2] - ts_start_times[1] > 0.08);
	assert_true(ts_start_times[2] - ts_start_times[1] < 0.5);
}

static void
test_timeout_is_reported_and_not_restarted(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 0.1\n"
	                                            "    timeout: 0.1\n"
	                                            "    sleep_ms: 600\n");
	const struct tally_check_inst_status *st = tally_check_inst_status(inst);

	ctu_run_until(f->base, timeouts_seen, inst, 3000, "a timeout");
	assert_string_equal(st->state, "timeout");
	assert_int_equal(st->timeouts, 1);
	assert_int_equal(ctu_recorded("tally.check.timeouts", NULL), 1);
	/* Past several intervals, still the one run. */
	ctu_run_for_ms(f->base, 250);
	assert_int_equal(atomic_load(&ts_starts), 1);
	want_runs = 1;
	ctu_run_until(f->base, status_runs, inst, 3000, "the slow run to return");
	assert_int_equal(st->failures, 1);
	assert_int_equal(st->consecutive_failures, 1);
	assert_non_null(strstr(st->last_error, "over its timeout of 0.1 s"));
	assert_true(st->effective_interval_s == 0.2);
	assert_int_equal(ctu_recorded("ts.gauge", NULL), 1); /* its results are still sent */
}

static void
test_backoff_doubles_caps_and_recovers(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 0.1\n"
	                                            "    fail_runs: 4\n");
	const struct tally_check_inst_status *st = tally_check_inst_status(inst);
	const double want[] = { 0.2, 0.4, 0.8, 0.8, 0.1 };

	want_runs = 1;
	ctu_run_until(f->base, status_runs, inst, 3000, "run 1");
	assert_string_equal(st->state, "error");
	assert_string_equal(st->last_error, "told to fail run 1");
	assert_true(st->effective_interval_s == 0.2);
	want_runs = 6;
	ctu_run_until(f->base, status_runs, inst, 8000, "6 runs");
	for (size_t i = 0; i < 5; i++) {
		double gap = ts_start_times[i + 1] - ts_start_times[i];

		/*
		 * The schedule counts from when a run was handed to the pool; the start is stamped
		 * on the worker, which on a loaded machine picks a run up some tens of ms late, so
		 * a gap after a late start looks short by that much.
		 */
		if (gap < want[i] - 0.05 || gap > want[i] + 0.25)
			fail_msg("gap %zu: %.3f s, want about %.1f s", i, gap, want[i]);
	}
	assert_int_equal(st->failures, 4);
	assert_int_equal(st->consecutive_failures, 0);
	assert_null(st->last_error);
	assert_string_equal(st->state, "ok");
	assert_true(st->effective_interval_s == 0.1);
}

static void
test_init_failure_backs_off_and_retries(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 0.1\n"
	                                            "    fail_init: true\n");
	const struct tally_check_inst_status *st = tally_check_inst_status(inst);

	want_runs = 2;
	ctu_run_until(f->base, status_runs, inst, 3000, "two attempts");
	assert_int_equal(atomic_load(&ts_inits), 2);
	assert_int_equal(atomic_load(&ts_starts), 0);
	assert_string_equal(st->last_error, "init: told to fail init");
	assert_int_equal(st->consecutive_failures, 2);
	assert_true(st->effective_interval_s == 0.4);
	/* Never initialised: destroy must not run. */
	tally_check_sched_free(f->sched, 5);
	f->sched = NULL;
	assert_int_equal(atomic_load(&ts_destroys), 0);
}

static void
test_remove_while_running_finishes_first(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 5\n"
	                                            "    sleep_ms: 300\n");

	ctu_run_until(f->base, started, NULL, 3000, "the run to start");
	tally_check_sched_remove(f->sched, inst);
	assert_null(tally_check_sched_first(f->sched));
	assert_int_equal(atomic_load(&ts_destroys), 0);
	ctu_run_until(f->base, destroyed, NULL, 3000, "destroy after the run");
	assert_int_equal(atomic_load(&ts_ends), 1);
	assert_int_equal(ctu_recorded("ts.gauge", NULL), 1);
}

static void
test_free_waits_for_running_checks(void **state)
{
	struct fixture *f = *state;

	start_ts(f, "instances:\n  - min_collection_interval: 5\n    sleep_ms: 300\n"
	            "  - min_collection_interval: 5\n    sleep_ms: 200\n    fail_runs: 1\n");
	while (atomic_load(&ts_starts) < 2)
		ctu_run_for_ms(f->base, 5);
	tally_check_sched_free(f->sched, 5);
	f->sched = NULL;
	assert_int_equal(atomic_load(&ts_ends), 2);
	assert_int_equal(atomic_load(&ts_destroys), 2);
	assert_int_equal(ctu_recorded("ts.gauge", NULL), 2);
}

static void
test_status_json(void **state)
{
	struct fixture *f = *state;
	struct tally_check_inst *inst = start_ts(f, "instances:\n"
	                                            "  - min_collection_interval: 0.1\n"
	                                            "    tags: [a:b]\n");
	struct json_object *arr, *o, *v;

	want_runs = 1;
	ctu_run_until(f->base, status_runs, inst, 3000, "a run");
	arr = tally_check_sched_status_json(f->sched);
	assert_int_equal(json_object_array_length(arr), 1);
	o = json_object_array_get_idx(arr, 0);
	assert_true(json_object_object_get_ex(o, "check", &v));
	assert_string_equal(json_object_get_string(v), "ts");
	assert_true(json_object_object_get_ex(o, "status", &v));
	assert_string_equal(json_object_get_string(v), "ok");
	assert_true(json_object_object_get_ex(o, "runs", &v));
	assert_true(json_object_get_int64(v) >= 1);
	assert_true(json_object_object_get_ex(o, "last_error", &v));
	assert_null(v);
	assert_true(json_object_object_get_ex(o, "last_duration_ms", &v));
	assert_true(json_object_object_get_ex(o, "metrics", &v));
	assert_int_equal(json_object_get_int64(v), 1);
	assert_true(json_object_object_get_ex(o, "instance", &v));
	assert_int_equal(strncmp(json_object_get_string(v), "ts:", 3), 0);
	json_object_put(arr);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_runs_on_workers_on_schedule),
		T(test_timeout_is_reported_and_not_restarted),
		T(test_backoff_doubles_caps_and_recovers),
		T(test_init_failure_backs_off_and_retries),
		T(test_remove_while_running_finishes_first),
		T(test_free_waits_for_running_checks),
		T(test_status_json),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
