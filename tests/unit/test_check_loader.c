/*
 * check_loader: real .so files built by `make check` (tests/plugins/), copied into a temp
 * folder so that each test controls names and modes, loaded through the real loader. Every
 * refusal must come with its reason and exactly one log line.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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

#include "check_loader.h"
#include "log.h"

#ifndef TEST_PLUGIN_DIR
#error "TEST_PLUGIN_DIR must point at the built test plugins"
#endif

struct fixture {
	char dir[64];
	char log[128];
};

static void
copy_file(const char *from, const char *to, mode_t mode)
{
	char buf[65536];
	int in = open(from, O_RDONLY), out;
	ssize_t n;

	assert_true(in >= 0);
	unlink(to);
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(out >= 0);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		assert_int_equal(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	assert_int_equal(chmod(to, mode), 0);
}

/* Copies tests/plugins/.libs/FROM.so to DIR/TO.so with mode; returns the path (static). */
static const char *
install(struct fixture *f, const char *from, const char *to, mode_t mode)
{
	static char path[256];
	char src[512];

	snprintf(src, sizeof(src), "%s/%s.so", TEST_PLUGIN_DIR, from);
	snprintf(path, sizeof(path), "%s/%s.so", f->dir, to);
	copy_file(src, path, mode);
	return path;
}

static char *
read_log(struct fixture *f)
{
	static char buf[65536];
	int fd = open(f->log, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	strcpy(f->dir, "/tmp/test_check_loader.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->log, sizeof(f->log), "%s.log", f->dir);
	assert_int_equal(tally_log_open(f->log), 0);
	tally_log_set_level(TALLY_LOG_INFO);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[200];

	tally_log_close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", f->dir, f->log);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void
test_good_plugin_loads(void **state)
{
	char err[512] = "";
	struct tally_plugin *p =
	    tally_plugin_load(install(*state, "tplug", "tplug", 0644), err, sizeof(err));

	assert_non_null(p);
	assert_string_equal(p->name, "tplug");
	assert_string_equal(p->desc->name, "tplug");
	assert_string_equal(p->desc->version, "0.1.0");
	assert_int_equal(p->desc->abi_version, TALLY_CHECK_ABI_VERSION);
	assert_non_null(p->desc->run);
	assert_non_null(p->handle);
	assert_int_equal(p->refs, 1);
	tally_plugin_ref(p);
	tally_plugin_unref(p);
	tally_plugin_unref(p);
}

/* Each broken file: the reason in err and exactly one "refusing" log line from a scan. */
static void
expect_refused(struct fixture *f, const char *path, const char *reason)
{
	char err[512] = "";
	const char *dirs[] = { f->dir };
	struct tally_plugin_list list = { 0 };
	char *log;

	assert_null(tally_plugin_load(path, err, sizeof(err)));
	if (!strstr(err, reason))
		fail_msg("err \"%s\" lacks \"%s\"", err, reason);
	assert_int_equal(tally_plugin_scan(dirs, 1, NULL, NULL, &list), 1);
	assert_int_equal(list.n, 0);
	log = read_log(f);
	assert_int_equal(count(log, "refusing check plugin"), 1);
	assert_int_equal(count(log, reason), 1);
	assert_non_null(strstr(log, path));
	unlink(path);
	assert_int_equal(truncate(f->log, 0), 0);
}

static void
test_wrong_abi(void **state)
{
	expect_refused(*state, install(*state, "bad_abi", "bad_abi", 0644),
	               "check ABI version 999, this agent speaks version 1");
}

static void
test_wrong_size(void **state)
{
	expect_refused(*state, install(*state, "bad_size", "bad_size", 0644),
	               "descriptor struct_size 8 is smaller than version 1's");
}

static void
test_missing_symbol(void **state)
{
	expect_refused(*state, install(*state, "no_symbol", "no_symbol", 0644),
	               "no symbol tally_check_entry");
}

static void
test_name_mismatch(void **state)
{
	expect_refused(*state, install(*state, "wrong_name", "wrong_name", 0644),
	               "descriptor name \"not_wrong_name\" does not match the file name "
	               "\"wrong_name\"");
	/* A good check renamed is refused too. */
	expect_refused(*state, install(*state, "tplug", "renamed", 0644),
	               "descriptor name \"tplug\" does not match the file name \"renamed\"");
}

static void
test_bad_config_table(void **state)
{
	expect_refused(*state, install(*state, "bad_table", "bad_table", 0644),
	               "config key \"n\": offset 4096 does not fit");
}

static void
test_writable_by_others(void **state)
{
	expect_refused(*state, install(*state, "tplug", "tplug", 0666),
	               "file is group- or world-writable (mode 0666)");
	expect_refused(*state, install(*state, "tplug", "tplug", 0664),
	               "file is group- or world-writable (mode 0664)");
	expect_refused(*state, install(*state, "tplug", "tplug", 0646),
	               "file is group- or world-writable (mode 0646)");
}

static void
test_foreign_owner(void **state)
{
	const char *path;

	if (geteuid() != 0) {
		print_message("skipped: chown needs root\n");
		return;
	}
	path = install(*state, "tplug", "tplug", 0644);
	assert_int_equal(chown(path, 65534, 65534), 0);
	expect_refused(*state, path, "file is owned by uid 65534, neither root nor the agent's");
}

static void
test_not_a_shared_object(void **state)
{
	struct fixture *f = *state;
	char path[256];
	FILE *out;

	snprintf(path, sizeof(path), "%s/garbage.so", f->dir);
	out = fopen(path, "w");
	fputs("not an ELF file\n", out);
	fclose(out);
	expect_refused(f, path, "cannot load:");
}

static void
test_scan_mixed_folder(void **state)
{
	struct fixture *f = *state;
	const char *dirs[] = { f->dir };
	struct tally_plugin_list list = { 0 };
	char notes[256];

	install(f, "tplug", "tplug", 0644);
	install(f, "bad_abi", "bad_abi", 0644);
	install(f, "bad_size", "bad_size", 0644);
	install(f, "wrong_name", "wrong_name", 0644);
	install(f, "no_symbol", "no_symbol", 0644);
	snprintf(notes, sizeof(notes), "%s/README.txt", f->dir);
	fclose(fopen(notes, "w"));
	assert_int_equal(tally_plugin_scan(dirs, 1, NULL, NULL, &list), 4);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.items[0]->name, "tplug");
	assert_int_equal(count(read_log(f), "refusing check plugin"), 4);
	tally_plugin_list_clear(&list);
	assert_int_equal(list.n, 0);

	/* Only the one asked for is looked at. */
	assert_int_equal(truncate(f->log, 0), 0);
	assert_int_equal(tally_plugin_scan(dirs, 1, "tplug", NULL, &list), 0);
	assert_int_equal(list.n, 1);
	assert_int_equal(count(read_log(f), "refusing check plugin"), 0);
	tally_plugin_list_clear(&list);
}

static void
test_scan_reuses_unchanged_and_reloads_replaced(void **state)
{
	struct fixture *f = *state;
	const char *dirs[] = { f->dir, "/nonexistent/tally-checks.d" };
	struct tally_plugin_list first = { 0 }, second = { 0 }, third = { 0 };
	char tmp[256], path[256];

	install(f, "tplug", "tplug", 0644);
	assert_int_equal(tally_plugin_scan(dirs, 2, NULL, NULL, &first), 0);
	assert_int_equal(first.n, 1);
	assert_int_equal(tally_plugin_scan(dirs, 2, NULL, &first, &second), 0);
	assert_ptr_equal(second.items[0], first.items[0]);
	assert_int_equal(first.items[0]->refs, 2);

	/* A new file (new inode, as install(1) or mv give) is a new plugin. */
	snprintf(tmp, sizeof(tmp), "%s/.tplug.tmp", f->dir);
	snprintf(path, sizeof(path), "%s/tplug.so", f->dir);
	copy_file(TEST_PLUGIN_DIR "/tplug.so", tmp, 0644);
	assert_int_equal(rename(tmp, path), 0);
	assert_int_equal(tally_plugin_scan(dirs, 2, NULL, &second, &third), 0);
	assert_int_equal(third.n, 1);
	assert_ptr_not_equal(third.items[0], second.items[0]);
	assert_string_equal(third.items[0]->desc->name, "tplug");
	tally_plugin_list_clear(&first);
	tally_plugin_list_clear(&second);
	tally_plugin_list_clear(&third);
}

static void
test_scan_first_folder_wins(void **state)
{
	struct fixture *f = *state;
	char dir2[128];
	const char *dirs[] = { f->dir, dir2 };
	struct tally_plugin_list list = { 0 };
	char src[512], dst[256];

	snprintf(dir2, sizeof(dir2), "%s/second", f->dir);
	assert_int_equal(mkdir(dir2, 0755), 0);
	install(f, "tplug", "tplug", 0644);
	snprintf(src, sizeof(src), "%s/tplug.so", TEST_PLUGIN_DIR);
	snprintf(dst, sizeof(dst), "%s/tplug.so", dir2);
	copy_file(src, dst, 0644);
	assert_int_equal(tally_plugin_scan(dirs, 2, NULL, NULL, &list), 0);
	assert_int_equal(list.n, 1);
	assert_string_equal(list.items[0]->path + strlen(f->dir), "/tplug.so");
	assert_non_null(strstr(read_log(f), "an earlier checksd_path folder has one named tplug"));
	tally_plugin_list_clear(&list);
}

static int
builtin_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	return 0;
}

static void
test_builtin_descriptor(void **state)
{
	static const struct tally_check_plugin good = {
		.abi_version = TALLY_CHECK_ABI_VERSION,
		.struct_size = sizeof(struct tally_check_plugin),
		.name = "builtin",
		.run = builtin_run,
	};
	static const struct tally_check_plugin old_abi = {
		.abi_version = 0,
		.struct_size = sizeof(struct tally_check_plugin),
		.name = "old",
		.run = builtin_run,
	};
	static const struct tally_check_plugin no_run = {
		.abi_version = TALLY_CHECK_ABI_VERSION,
		.struct_size = sizeof(struct tally_check_plugin),
		.name = "norun",
	};
	struct tally_check_plugin huge = good;
	char err[256];
	struct tally_plugin *p = tally_plugin_from_desc(&good, err, sizeof(err));

	assert_non_null(p);
	assert_string_equal(p->name, "builtin");
	assert_null(p->handle);
	tally_plugin_unref(p);
	assert_null(tally_plugin_from_desc(&old_abi, err, sizeof(err)));
	assert_non_null(strstr(err, "check ABI version 0"));
	assert_null(tally_plugin_from_desc(&no_run, err, sizeof(err)));
	assert_string_equal(err, "descriptor has no run callback");
	assert_null(tally_plugin_from_desc(NULL, err, sizeof(err)));
	huge.state_size = (size_t)TALLY_CHECK_MAX_STATE + 1;
	assert_null(tally_plugin_from_desc(&huge, err, sizeof(err)));
	assert_non_null(strstr(err, "state_size 16777217 is over"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_good_plugin_loads),
		T(test_wrong_abi),
		T(test_wrong_size),
		T(test_missing_symbol),
		T(test_name_mismatch),
		T(test_bad_config_table),
		T(test_writable_by_others),
		T(test_foreign_owner),
		T(test_not_a_shared_object),
		T(test_scan_mixed_folder),
		T(test_scan_reuses_unchanged_and_reloads_replaced),
		T(test_scan_first_folder_wins),
		T(test_builtin_descriptor),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
