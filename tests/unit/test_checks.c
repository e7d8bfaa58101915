/*
 * checks: the agent-level object over the real tplug.so (tests/plugins/) in a temp checks.d
 * and a temp conf.d: instances added and removed by a reload, unchanged ones kept with their
 * rate baselines, a removed instance's running check allowed to finish, errors reported.
 */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <json-c/json.h>

#include "check_testutil.h"
#include "checks.h"
#include "config.h"
#include "log.h"

#ifndef TEST_PLUGIN_DIR
#error "TEST_PLUGIN_DIR must point at the built test plugins"
#endif

struct fixture {
	struct event_base *base;
	char dir[64], confd[96], checksd[96];
	struct tally_config cfg;
	char *checksd_paths[1];
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	evthread_use_pthreads();
	tally_log_set_level(TALLY_LOG_ERROR);
	ctu_clear();
	f->base = event_base_new();
	strcpy(f->dir, "/tmp/test_checks.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->confd, sizeof(f->confd), "%s/conf.d", f->dir);
	snprintf(f->checksd, sizeof(f->checksd), "%s/checks.d", f->dir);
	mkdir(f->confd, 0755);
	mkdir(f->checksd, 0755);
	f->checksd_paths[0] = f->checksd;
	f->cfg.confd_path = f->confd;
	f->cfg.checksd_paths = f->checksd_paths;
	f->cfg.n_checksd_paths = 1;
	f->cfg.check_runners = 2;
	f->cfg.hostname = (char *)"h1";
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	event_base_free(f->base);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

/* Every tplug.counter of instance label arg has a value: +10 since the previous run. */
static void
expect_counter_delta(const struct ctu_rec *r, void *arg)
{
	if (strcmp(r->name, "tplug.counter") == 0 && strcmp(r->label, arg) == 0)
		assert_true(r->has_value && r->value == 10);
}

static void
install_tplug(struct fixture *f)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "install -m 0644 %s/tplug.so %s/tplug.so", TEST_PLUGIN_DIR,
	         f->checksd);
	assert_int_equal(system(cmd), 0);
}

static const char *want_label;

static bool
label_seen(void *arg)
{
	return ctu_recorded("tplug.gauge", want_label) > 0;
}

static void
wait_label(struct fixture *f, const char *label)
{
	want_label = label;
	ctu_run_until(f->base, label_seen, NULL, 5000, label);
}

/* Labels of the instances in the checks status, joined with ','. */
static void
labels_in_status(struct tally_checks *c, char *out, size_t size, size_t *n_errors)
{
	struct json_object *arr = tally_checks_status_json(c), *errs = tally_checks_errors_json(c);
	size_t n;

	out[0] = '\0';
	*n_errors = json_object_array_length(errs);
	json_object_put(errs);
	n = json_object_array_length(arr);
	for (size_t i = 0; i < n; i++) {
		struct json_object *v;

		json_object_object_get_ex(json_object_array_get_idx(arr, i), "config", &v);
		strncat(out, i ? "," : "", size - strlen(out) - 1);
		strncat(out, strrchr(json_object_get_string(v), '/') + 1, size - strlen(out) - 1);
	}
	json_object_put(arr);
}

static void
test_reload_adds_and_removes_instances(void **state)
{
	struct fixture *f = *state;
	struct tally_checks *c;
	char err[256], labels[256];
	size_t n_errors;

	install_tplug(f);
	mkdir(strcat(strcpy(labels, f->confd), "/tplug.d"), 0755);
	ctu_write_file(f->confd, "tplug.d/a.yaml",
	               "instances:\n  - {label: a, min_collection_interval: 0.1}\n");
	ctu_write_file(f->confd, "tplug.d/b.yaml",
	               "instances:\n  - {label: b, min_collection_interval: 0.1}\n");
	c = tally_checks_new_with(&f->cfg, f->base, ctu_record_run, NULL, true, err, sizeof(err));
	assert_non_null(c);
	wait_label(f, "a");
	wait_label(f, "b");
	labels_in_status(c, labels, sizeof(labels), &n_errors);
	assert_string_equal(labels, "a.yaml,b.yaml");

	/* b goes, c comes, a stays untouched. */
	assert_int_equal(unlink(strcat(strcpy(labels, f->confd), "/tplug.d/b.yaml")), 0);
	ctu_write_file(f->confd, "tplug.d/c.yaml",
	               "instances:\n  - {label: c, min_collection_interval: 0.1}\n");
	assert_int_equal(tally_checks_reload(c), 0);
	labels_in_status(c, labels, sizeof(labels), &n_errors);
	assert_string_equal(labels, "a.yaml,c.yaml");
	assert_int_equal(n_errors, 0);
	wait_label(f, "c");
	/* a kept its rate baseline: its monotonic_count has values right after the reload. */
	ctu_clear();
	wait_label(f, "a");
	ctu_run_for_ms(f->base, 50);
	ctu_foreach(expect_counter_delta, (void *)"a");

	/* A conf.d error: that file does not run, the others do, and status says why. */
	ctu_write_file(f->confd, "tplug.d/c.yaml", "instances:\n  - {label: c, nope: 1}\n");
	assert_int_equal(tally_checks_reload(c), -EINVAL);
	labels_in_status(c, labels, sizeof(labels), &n_errors);
	assert_string_equal(labels, "a.yaml");
	assert_int_equal(n_errors, 1);

	/* The plugin file gone: no instances, and a conf.d without its check is an error. */
	assert_int_equal(unlink(strcat(strcpy(labels, f->checksd), "/tplug.so")), 0);
	assert_int_equal(tally_checks_reload(c), -EINVAL);
	labels_in_status(c, labels, sizeof(labels), &n_errors);
	assert_string_equal(labels, "");
	assert_int_equal(n_errors, 1);
	tally_checks_free(c);
}

static void
test_reload_lets_a_running_instance_finish(void **state)
{
	struct fixture *f = *state;
	struct tally_checks *c;
	char err[256], labels[256];
	size_t n_errors;

	install_tplug(f);
	ctu_write_file(f->confd, "tplug.yaml",
	               "instances:\n  - {label: slow, sleep_ms: 400, "
	               "min_collection_interval: 5}\n");
	c = tally_checks_new_with(&f->cfg, f->base, ctu_record_run, NULL, true, err, sizeof(err));
	assert_non_null(c);
	ctu_run_for_ms(f->base, 100); /* started, sleeping */
	ctu_write_file(f->confd, "tplug.yaml",
	               "instances:\n  - {label: fast, min_collection_interval: 5}\n");
	assert_int_equal(tally_checks_reload(c), 0);
	labels_in_status(c, labels, sizeof(labels), &n_errors);
	assert_string_equal(labels, "tplug.yaml");
	assert_int_equal(ctu_recorded("tplug.gauge", "slow"), 0);
	wait_label(f, "fast");
	wait_label(f, "slow"); /* the removed instance's last run is still delivered */
	tally_checks_free(c);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_reload_adds_and_removes_instances),
		T(test_reload_lets_a_running_instance_finish),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
