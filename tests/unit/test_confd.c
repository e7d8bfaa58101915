/*
 * confd + check_conf: conf.d files against an in-process check's config table. Every error
 * must be "FILE:LINE:COL: message" pointing at the offending key or value.
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

#include <tally/check.h>

#include "check_conf.h"
#include "confd.h"

struct tc_state {
	const char *url;
	int64_t port;
	double ratio;
	bool verbose;
	struct tally_check_strlist paths;
	const char *name;
};

static const struct tally_check_conf tc_conf[] = {
	{ "url", TALLY_CONF_STR, TALLY_CONF_REQUIRED, NULL, offsetof(struct tc_state, url), 0, 0,
	  "where to connect" },
	{ "port", TALLY_CONF_INT, 0, "80", offsetof(struct tc_state, port), 1, 65535, "port" },
	{ "ratio", TALLY_CONF_DOUBLE, 0, "0.5", offsetof(struct tc_state, ratio), 0, 0, "ratio" },
	{ "verbose", TALLY_CONF_BOOL, 0, "false", offsetof(struct tc_state, verbose), 0, 0, "" },
	{ "paths", TALLY_CONF_STRLIST, 0, "a,b", offsetof(struct tc_state, paths), 0, 0, "" },
	{ "name", TALLY_CONF_STR, 0, NULL, offsetof(struct tc_state, name), 0, 0, "" },
	{ 0 },
};

static int
tc_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	return 0;
}

static const struct tally_check_plugin tc = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "tc",
	.state_size = sizeof(struct tc_state),
	.conf = tc_conf,
	.run = tc_run,
};

struct fixture {
	char dir[64];
	char errors[16][512];
	size_t n_errors;
	struct tally_confd_list list;
};

static void
collect(void *arg, const char *msg)
{
	struct fixture *f = arg;

	if (f->n_errors < 16)
		snprintf(f->errors[f->n_errors++], sizeof(f->errors[0]), "%s", msg);
}

static void
write_file(struct fixture *f, const char *name, const char *text)
{
	char path[256];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	out = fopen(path, "w");
	assert_non_null(out);
	fputs(text, out);
	fclose(out);
}

static size_t
load(struct fixture *f, const struct tally_check_plugin *desc)
{
	tally_confd_list_clear(&f->list);
	f->n_errors = 0;
	return tally_confd_load(f->dir, desc, &f->list, collect, f);
}

static const struct tc_state *
st(struct fixture *f, size_t i)
{
	assert_true(i < f->list.n);
	return f->list.items[i]->state;
}

/* errors[i] must be exactly "DIR/FILE:POS: rest". */
static void
expect_error(struct fixture *f, size_t i, const char *file, const char *pos_and_msg)
{
	char want[512];

	assert_true(i < f->n_errors);
	snprintf(want, sizeof(want), "%s/%s:%s", f->dir, file, pos_and_msg);
	assert_string_equal(f->errors[i], want);
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_confd.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	tally_confd_list_clear(&f->list);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_values_defaults_and_init_config(void **state)
{
	struct fixture *f = *state;
	const struct tally_confd_instance *ci;

	write_file(f, "tc.yaml",
	           "init_config:\n"
	           "  port: 8080\n"
	           "  min_collection_interval: 30\n"
	           "instances:\n"
	           "  - url: http://a\n"
	           "    verbose: yes\n"
	           "    paths: [x, y, z]\n"
	           "    tags: [team:core, env:prod]\n"
	           "  - url: http://b\n"
	           "    port: 9090\n"
	           "    min_collection_interval: 2.5\n"
	           "    timeout: 0.5\n"
	           "    service: web\n"
	           "    name: ~\n");
	assert_int_equal(load(f, &tc), 0);
	assert_int_equal(f->list.n, 2);
	assert_string_equal(st(f, 0)->url, "http://a");
	assert_int_equal(st(f, 0)->port, 8080); /* from init_config */
	assert_true(st(f, 0)->ratio == 0.5);    /* default */
	assert_true(st(f, 0)->verbose);
	assert_int_equal(st(f, 0)->paths.n, 3);
	assert_string_equal(st(f, 0)->paths.items[2], "z");
	assert_null(st(f, 0)->name);
	ci = f->list.items[0];
	assert_true(ci->interval_s == 30);
	assert_true(ci->timeout_s == 30);
	assert_int_equal(ci->n_tags, 2);
	assert_string_equal(ci->tags[0], "team:core");
	assert_int_equal(ci->line, 5);
	assert_int_equal(ci->col, 5);
	assert_int_equal(strncmp(ci->id, "tc:", 3), 0);
	assert_int_equal(strlen(ci->id), 3 + 16);

	assert_int_equal(st(f, 1)->port, 9090);
	assert_int_equal(st(f, 1)->paths.n, 2); /* default "a,b" */
	assert_string_equal(st(f, 1)->paths.items[1], "b");
	ci = f->list.items[1];
	assert_true(ci->interval_s == 2.5);
	assert_true(ci->timeout_s == 0.5);
	assert_int_equal(ci->n_tags, 1);
	assert_string_equal(ci->tags[0], "service:web");
	assert_string_not_equal(f->list.items[0]->id, f->list.items[1]->id);
}

static void
test_defaults_of_generic_keys(void **state)
{
	struct fixture *f = *state;

	write_file(f, "tc.yaml",
	           "instances:\n  - url: u\n  - url: v\n    min_collection_interval: 0.2\n");
	assert_int_equal(load(f, &tc), 0);
	assert_true(f->list.items[0]->interval_s == TALLY_CONFD_DEFAULT_INTERVAL_S);
	assert_true(f->list.items[0]->timeout_s == TALLY_CONFD_DEFAULT_INTERVAL_S);
	assert_int_equal(f->list.items[0]->n_tags, 0);
	assert_true(f->list.items[1]->timeout_s == 1.0); /* at least 1 s */
}

static void
test_unknown_key(void **state)
{
	struct fixture *f = *state;

	write_file(f, "tc.yaml",
	           "init_config:\n"
	           "  colour: red\n"
	           "instances:\n"
	           "  - url: http://a\n"
	           "    prot: 80\n"
	           "  - url: http://b\n");
	assert_int_equal(load(f, &tc), 2);
	expect_error(f, 0, "tc.yaml", "2:3: init_config: unknown key \"colour\" for check tc");
	expect_error(f, 1, "tc.yaml", "5:5: instances[0]: unknown key \"prot\" for check tc");
	/* A wrong init_config keeps the whole file from running. */
	assert_int_equal(f->list.n, 0);
}

static void
test_bad_types(void **state)
{
	struct fixture *f = *state;

	write_file(f, "tc.yaml",
	           "instances:\n"
	           "  - url: http://a\n"
	           "    port: eighty\n"
	           "  - url: [1, 2]\n"
	           "    verbose: maybe\n"
	           "  - url: ok\n"
	           "    port: 70000\n"
	           "    tags: {a: b}\n"
	           "  - url: fine\n");
	assert_int_equal(load(f, &tc), 5);
	expect_error(f, 0, "tc.yaml",
	             "3:11: instances[0].port: expected integer 1..65535, "
	             "got \"eighty\"");
	assert_non_null(strstr(f->errors[1], "/tc.yaml:4:10: instances[1].url: expected"));
	assert_non_null(strstr(f->errors[2], "/tc.yaml:5:14: instances[1].verbose: expected"));
	assert_non_null(strstr(f->errors[3], "/tc.yaml:8:11: instances[2].tags: expected"));
	assert_non_null(strstr(f->errors[4], "/tc.yaml:7:11: instances[2].port: expected "
	                                     "integer 1..65535, got \"70000\""));
	/* The good instance still loads. */
	assert_int_equal(f->list.n, 1);
	assert_string_equal(st(f, 0)->url, "fine");
}

static void
test_required_and_generic_errors(void **state)
{
	struct fixture *f = *state;

	write_file(f, "tc.yaml",
	           "instances:\n"
	           "  - port: 81\n"
	           "  - url: a\n"
	           "    min_collection_interval: 0\n"
	           "  - url: b\n"
	           "    timeout: soon\n");
	assert_int_equal(load(f, &tc), 3);
	expect_error(f, 0, "tc.yaml",
	             "2:5: instances[0]: missing required key \"url\" (where "
	             "to connect)");
	assert_non_null(strstr(f->errors[1], "tc.yaml:4:30: instances[1].min_collection_interval: "
	                                     "expected"));
	assert_non_null(strstr(f->errors[2], "tc.yaml:6:14: instances[2].timeout: expected"));
	assert_int_equal(f->list.n, 0);
}

static void
test_file_structure_errors(void **state)
{
	struct fixture *f = *state;

	write_file(f, "tc.yaml", "- just\n- a list\n");
	assert_int_equal(load(f, &tc), 1);
	assert_non_null(strstr(f->errors[0], "tc.yaml:1:1: expected a map with init_config: and "
	                                     "instances:, got sequence"));
	write_file(f, "tc.yaml", "init_config: {}\ninstance:\n  - url: a\n");
	assert_int_equal(load(f, &tc), 2);
	expect_error(f, 0, "tc.yaml",
	             "2:1: unknown key \"instance\" (expected init_config: and "
	             "instances:)");
	expect_error(f, 1, "tc.yaml", "1:1: missing instances:");
	write_file(f, "tc.yaml", "instances:\n  url: a\n");
	assert_int_equal(load(f, &tc), 1);
	expect_error(f, 0, "tc.yaml", "2:3: instances: expected a list, got map");
	write_file(f, "tc.yaml", "instances: [\n");
	assert_int_equal(load(f, &tc), 1);
	assert_int_equal(strncmp(f->errors[0], f->dir, strlen(f->dir)), 0);
	write_file(f, "tc.yaml", "logs:\n  - type: file\n");
	assert_int_equal(load(f, &tc), 0);
	assert_int_equal(f->list.n, 0);
}

static void
test_name_d_folder_merges(void **state)
{
	struct fixture *f = *state;
	char dir[128];

	write_file(f, "tc.yaml", "instances:\n  - url: top\n");
	snprintf(dir, sizeof(dir), "%s/tc.d", f->dir);
	assert_int_equal(mkdir(dir, 0755), 0);
	write_file(f, "tc.d/b.yaml",
	           "init_config:\n  port: 2\ninstances:\n  - url: b1\n"
	           "  - url: b2\n");
	write_file(f, "tc.d/a.yml", "instances:\n  - url: a1\n");
	write_file(f, "tc.d/c.yaml.example", "instances:\n  - url: nope\n");
	write_file(f, "tc.yaml.example", "instances:\n  - url: nope\n");
	write_file(f, "tc.d/broken.yaml", "instances:\n  - url: x\n    port: -1\n");
	assert_int_equal(load(f, &tc), 1);
	expect_error(f, 0, "tc.d/broken.yaml",
	             "3:11: instances[0].port: expected integer "
	             "1..65535, got \"-1\"");
	assert_int_equal(f->list.n, 4);
	assert_string_equal(st(f, 0)->url, "top");
	assert_string_equal(st(f, 1)->url, "a1");
	assert_string_equal(st(f, 2)->url, "b1");
	assert_int_equal(st(f, 2)->port, 2);
	assert_string_equal(st(f, 3)->url, "b2");
	assert_int_equal(st(f, 1)->port, 80); /* b.yaml's init_config is b.yaml's only */
	assert_non_null(strstr(f->list.items[1]->file, "/tc.d/a.yml"));
}

static void
test_default_instance(void **state)
{
	struct fixture *f = *state;
	static const struct tally_check_conf dconf[] = {
		{ "port", TALLY_CONF_INT, 0, "7", 0, 0, 0, "" },
		{ 0 },
	};
	struct tally_check_plugin with_default = tc;

	/* No file, no flag: nothing runs. */
	assert_int_equal(load(f, &tc), 0);
	assert_int_equal(f->list.n, 0);
	with_default.name = "dflt";
	with_default.conf = dconf;
	with_default.state_size = sizeof(int64_t);
	with_default.flags = TALLY_CHECK_DEFAULT_INSTANCE;
	assert_int_equal(load(f, &with_default), 0);
	assert_int_equal(f->list.n, 1);
	assert_int_equal(*(const int64_t *)f->list.items[0]->state, 7);
	assert_true(f->list.items[0]->interval_s == 15);
	/* A file replaces the default instance. */
	write_file(f, "dflt.yaml", "instances:\n  - port: 8\n  - port: 9\n");
	assert_int_equal(load(f, &with_default), 0);
	assert_int_equal(f->list.n, 2);
	/* A default instance of a check with a required key is an error. */
	unlink("dflt.yaml");
	with_default.conf = tc_conf;
	with_default.name = "dflt2";
	with_default.state_size = sizeof(struct tc_state);
	assert_int_equal(load(f, &with_default), 1);
	assert_non_null(strstr(f->errors[0], "dflt2 <default instance>:1:13: instances[0]: missing "
	                                     "required key \"url\""));
}

/* NAME.yaml.default is read only when neither NAME.yaml nor NAME.d/ holds a file. */
static void
test_yaml_default_file(void **state)
{
	struct fixture *f = *state;
	static const struct tally_check_conf dconf[] = {
		{ "port", TALLY_CONF_INT, 0, "7", 0, 0, 0, "" },
		{ 0 },
	};
	struct tally_check_plugin d = tc;
	char dir[128];

	d.name = "dd";
	d.conf = dconf;
	d.state_size = sizeof(int64_t);
	write_file(f, "dd.yaml.default", "instances:\n  - port: 3\n  - port: 4\n");
	assert_int_equal(load(f, &d), 0);
	assert_int_equal(f->list.n, 2);
	assert_int_equal(*(const int64_t *)f->list.items[1]->state, 4);
	/* A .d folder's file replaces the default file. */
	snprintf(dir, sizeof(dir), "%s/dd.d", f->dir);
	mkdir(dir, 0755);
	write_file(f, "dd.d/a.yaml", "instances:\n  - port: 5\n");
	assert_int_equal(load(f, &d), 0);
	assert_int_equal(f->list.n, 1);
	assert_int_equal(*(const int64_t *)f->list.items[0]->state, 5);
	/* And so does NAME.yaml. */
	write_file(f, "dd.yaml", "instances:\n  - port: 6\n");
	assert_int_equal(load(f, &d), 0);
	assert_int_equal(f->list.n, 2);
	/* Errors in a default file name it. */
	write_file(f, "bad.yaml.default", "instances:\n  - port: x\n");
	d.name = "bad";
	assert_int_equal(load(f, &d), 1);
	assert_non_null(strstr(f->errors[0], "bad.yaml.default:2:"));
}

static void
test_ids_follow_the_configuration(void **state)
{
	struct fixture *f = *state;
	char first[64];

	write_file(f, "tc.yaml", "instances:\n  - url: a\n    port: 1\n");
	assert_int_equal(load(f, &tc), 0);
	snprintf(first, sizeof(first), "%s", f->list.items[0]->id);
	write_file(f, "tc.yaml", "# a comment\ninstances:\n  - {url: a, port: 1}\n");
	assert_int_equal(load(f, &tc), 0);
	assert_string_equal(f->list.items[0]->id, first);
	write_file(f, "tc.yaml", "instances:\n  - url: a\n    port: 2\n");
	assert_int_equal(load(f, &tc), 0);
	assert_string_not_equal(f->list.items[0]->id, first);
	write_file(f, "tc.yaml", "init_config: {port: 1}\ninstances:\n  - url: a\n");
	assert_int_equal(load(f, &tc), 0);
	assert_string_not_equal(f->list.items[0]->id, first);
}

static void
test_confd_names(void **state)
{
	struct fixture *f = *state;
	char dir[128], **names = NULL;
	size_t n = 0;

	write_file(f, "zeta.yaml", "");
	write_file(f, "alpha.yml", "");
	write_file(f, "alpha.yaml.example", "");
	write_file(f, "beta.yaml.default", "");
	write_file(f, "notes.txt", "");
	snprintf(dir, sizeof(dir), "%s/alpha.d", f->dir);
	mkdir(dir, 0755);
	snprintf(dir, sizeof(dir), "%s/mid.d", f->dir);
	mkdir(dir, 0755);
	assert_int_equal(tally_confd_names(f->dir, &names, &n), 0);
	assert_int_equal(n, 4);
	assert_string_equal(names[0], "alpha");
	assert_string_equal(names[1], "beta");
	assert_string_equal(names[2], "mid");
	assert_string_equal(names[3], "zeta");
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	assert_int_equal(tally_confd_names("/nonexistent/conf.d", &names, &n), -ENOENT);
}

static void
test_table_checks(void **state)
{
	static const struct tally_check_conf dup[] = {
		{ "a", TALLY_CONF_INT, 0, NULL, 0, 0, 0, "" },
		{ "a", TALLY_CONF_INT, 0, NULL, 8, 0, 0, "" },
		{ 0 },
	};
	static const struct tally_check_conf reserved[] = {
		{ "tags", TALLY_CONF_STRLIST, 0, NULL, 0, 0, 0, "" },
		{ 0 },
	};
	static const struct tally_check_conf misaligned[] = {
		{ "d", TALLY_CONF_DOUBLE, 0, NULL, 3, 0, 0, "" },
		{ 0 },
	};
	static const struct tally_check_conf bad_default[] = {
		{ "n", TALLY_CONF_INT, 0, "ten", 0, 0, 0, "" },
		{ 0 },
	};
	static const struct tally_check_conf bad_type[] = {
		{ "n", (enum tally_check_conf_type)42, 0, NULL, 0, 0, 0, "" },
		{ 0 },
	};
	struct tally_check_plugin d = tc;
	char err[256];

	assert_int_equal(tally_check_conf_table_check(&tc, err, sizeof(err)), 0);
	d.state_size = 16;
	d.conf = dup;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config key \"a\" is declared twice");
	d.conf = reserved;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config key \"tags\" is reserved for the agent");
	d.conf = misaligned;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "offset 3 does not fit a number"));
	d.conf = bad_default;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "config key \"n\": bad default:"));
	d.conf = bad_type;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config key \"n\": unknown type 42");
}

/* A check that declares timeout itself gets the value bound and the agent's deadline 2 s later. */
static void
test_check_owned_timeout(void **state)
{
	struct fixture *f = *state;
	struct own_state {
		double timeout;
	};
	static const struct tally_check_conf own_conf[] = {
		{ "timeout", TALLY_CONF_DOUBLE, 0, "10", offsetof(struct own_state, timeout), 0.1,
		  3600, "command deadline" },
		{ 0 },
	};
	static const struct tally_check_conf not_number[] = {
		{ "timeout", TALLY_CONF_INT, 0, NULL, 0, 0, 0, "" },
		{ 0 },
	};
	struct tally_check_plugin d = tc;
	const struct own_state *os;
	char err[256];

	d.state_size = sizeof(struct own_state);
	d.conf = own_conf;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), 0);
	write_file(f, "tc.yaml", "instances:\n  - {}\n  - timeout: 3\n");
	assert_int_equal(load(f, &d), 0);
	assert_int_equal(f->list.n, 2);
	os = f->list.items[0]->state;
	assert_true(os->timeout == 10.0);
	assert_true(f->list.items[0]->timeout_s == 12.0);
	os = f->list.items[1]->state;
	assert_true(os->timeout == 3.0);
	assert_true(f->list.items[1]->timeout_s == 5.0);
	d.conf = not_number;
	assert_int_equal(tally_check_conf_table_check(&d, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "config key \"timeout\" must be a number");
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_values_defaults_and_init_config),
		T(test_check_owned_timeout),
		T(test_defaults_of_generic_keys),
		T(test_unknown_key),
		T(test_bad_types),
		T(test_required_and_generic_errors),
		T(test_file_structure_errors),
		T(test_name_d_folder_merges),
		T(test_default_instance),
		T(test_ids_follow_the_configuration),
		T(test_confd_names),
		T(test_yaml_default_file),
		T(test_table_checks),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
