#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fwd_queue.h"
#include "fwd_spool.h"
#include "xmem.h"

static char root[256];

static int
setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/tally-spool-test-XXXXXX");
	return mkdtemp(root) ? 0 : -1;
}

static int
teardown(void **state)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct tally_fwd_payload *
mk(const char *path, const char *enc, const char *body, size_t len)
{
	unsigned char *b = tally_xmalloc(len ? len : 1);

	memcpy(b, body, len);
	return tally_fwd_payload_new(path, "application/json", enc, b, len);
}

static size_t
count_files(const char *dir, const char *prefix)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, prefix, strlen(prefix)) == 0)
			n++;
	}
	closedir(d);
	return n;
}

static void
test_round_trip_survives_reopen(void **state)
{
	char dir[300], err[256];
	static const char bin[] = { 0,   1,   '\n', 'p', 'a',  'y',       'l',
		                    'o', 'a', 'd',  ' ', '\n', (char)0xff };
	struct tally_fwd_payload *in = mk("/api/v1/series", "deflate", bin, sizeof(bin));
	struct tally_fwd_payload *out = NULL;
	struct tally_spool *sp;

	in->n_items = 7;
	in->next = mk("", NULL, "m value=1 1\n", 12);
	in->next->next = mk("/api/v1/series", "deflate", "", 0);
	snprintf(dir, sizeof(dir), "%s/a/b/datadog", root);
	sp = tally_spool_open(dir, 1 << 20, TALLY_SPOOL_MAX_AGE_S, err, sizeof(err));
	assert_non_null(sp);
	assert_false(tally_spool_has(sp, "series"));
	assert_int_equal(tally_spool_write(sp, "series", in), 0);
	assert_int_equal(tally_spool_write(sp, "check_run", in->next), 0);
	assert_true(tally_spool_has(sp, "series"));
	assert_true(tally_spool_bytes(sp, "series") > sizeof(bin));
	assert_int_equal(count_files(dir, ".tmp"), 0);
	tally_spool_free(sp);

	/* a restart: the index is rebuilt from the directory alone */
	sp = tally_spool_open(dir, 1 << 20, TALLY_SPOOL_MAX_AGE_S, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(sp->n_files, 2);
	assert_int_equal(sp->files[0].count, 3);
	assert_string_equal(sp->files[0].endpoint, "series");
	assert_int_equal(tally_spool_load(sp, "series", &out), 3);
	assert_string_equal(out->path, "/api/v1/series");
	assert_string_equal(out->content_type, "application/json");
	assert_string_equal(out->content_encoding, "deflate");
	assert_int_equal(out->n_items, 7);
	assert_int_equal(out->len, sizeof(bin));
	assert_memory_equal(out->body, bin, sizeof(bin));
	assert_string_equal(out->next->path, "");
	assert_null(out->next->content_encoding);
	assert_int_equal(out->next->len, 12);
	assert_memory_equal(out->next->body, "m value=1 1\n", 12);
	assert_int_equal(out->next->next->len, 0);
	assert_false(tally_spool_has(sp, "series"));
	assert_int_equal(count_files(dir, "0"), 1);
	tally_fwd_payload_free_list(out);
	assert_int_equal(tally_spool_load(sp, "series", &out), 0);
	assert_null(out);
	assert_int_equal(tally_spool_load(sp, "check_run", &out), 2);
	tally_fwd_payload_free_list(out);
	assert_int_equal(sp->bytes, 0);
	/* sequence numbers keep growing across restarts */
	assert_true(sp->next_seq >= 3);
	tally_spool_free(sp);
	tally_fwd_payload_free_list(in);
}

struct evictions {
	unsigned files, payloads;
	char last[32];
};

static void
on_evict(void *arg, const char *endpoint, unsigned count)
{
	struct evictions *ev = arg;

	ev->files++;
	ev->payloads += count;
	snprintf(ev->last, sizeof(ev->last), "%s", endpoint);
}

static void
test_bound_removes_oldest_files(void **state)
{
	char dir[300], err[256], body[400];
	struct evictions ev = { 0 };
	struct tally_fwd_payload *p, *out = NULL;
	struct tally_spool *sp;

	snprintf(dir, sizeof(dir), "%s/bounded", root);
	sp = tally_spool_open(dir, 2100, TALLY_SPOOL_MAX_AGE_S, err, sizeof(err));
	assert_non_null(sp);
	sp->on_evict = on_evict;
	sp->arg = &ev;
	for (int i = 0; i < 10; i++) {
		memset(body, 'a' + i, sizeof(body));
		p = mk("/x", NULL, body, sizeof(body));
		assert_int_equal(tally_spool_write(sp, i == 0 ? "check_run" : "series", p), 0);
		tally_fwd_payload_free(p);
		assert_true(sp->bytes <= 2100);
	}
	/* ~503 bytes per file: 4 fit in 2100, 6 removed, oldest first */
	assert_int_equal(sp->n_files, 4);
	assert_int_equal(ev.files, 6);
	assert_int_equal(ev.payloads, 6);
	assert_false(tally_spool_has(sp, "check_run"));
	assert_int_equal(count_files(dir, "0"), 4);
	assert_int_equal(tally_spool_load(sp, "series", &out), 1);
	assert_int_equal(out->body[0], 'g');
	tally_fwd_payload_free_list(out);

	/* a file bigger than the whole bound is refused, nothing removed */
	p = mk("/x", NULL, "", 0);
	p->len = 5000;
	p->body = tally_xrealloc(p->body, 5000);
	memset(p->body, 'z', 5000);
	assert_int_equal(tally_spool_write(sp, "series", p), -EFBIG);
	assert_int_equal(sp->n_files, 3);
	tally_fwd_payload_free(p);
	tally_spool_free(sp);
}

/* Sets the mtime of sp's file i to mtime_s, as if it had been written then. */
static void
age_file(const struct tally_spool *sp, size_t i, int64_t mtime_s)
{
	const struct tally_spool_file *f = &sp->files[i];
	struct timespec ts[2] = { { .tv_sec = (time_t)mtime_s }, { .tv_sec = (time_t)mtime_s } };
	char path[400];

	snprintf(path, sizeof(path), "%s/%020" PRIu64 "-%s-%u.spool", sp->dir, f->seq, f->endpoint,
	         f->count);
	assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
}

static void
write_one(struct tally_spool *sp, const char *endpoint, const char *body, unsigned n)
{
	struct tally_fwd_payload *p = NULL;

	for (unsigned i = 0; i < n; i++) {
		struct tally_fwd_payload *q = mk("/x", NULL, body, strlen(body));

		q->next = p;
		p = q;
	}
	assert_int_equal(tally_spool_write(sp, endpoint, p), 0);
	tally_fwd_payload_free_list(p);
}

static void
test_outdated_files_removed(void **state)
{
	char dir[300], err[256];
	struct evictions ev = { 0 }, full = { 0 };
	struct tally_fwd_payload *out = NULL;
	struct tally_spool *sp;
	int64_t now = (int64_t)time(NULL);

	snprintf(dir, sizeof(dir), "%s/outdated", root);
	sp = tally_spool_open(dir, 1 << 20, 60, err, sizeof(err));
	assert_non_null(sp);
	write_one(sp, "series", "old-series", 1);
	write_one(sp, "check_run", "old-checks", 2);
	write_one(sp, "series", "fresh-series", 1);
	write_one(sp, "check_run", "fresh-checks", 1);
	age_file(sp, 0, now - 3600);
	age_file(sp, 1, now - 61);
	tally_spool_free(sp);

	/* a restart: the two old files go at the first sweep, counted, the fresh ones stay */
	sp = tally_spool_open(dir, 1 << 20, 60, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(sp->n_files, 4);
	sp->on_outdated = on_evict;
	sp->on_evict = on_evict;
	sp->arg = &ev;
	assert_int_equal(tally_spool_expire(sp, now), 2);
	assert_int_equal(ev.files, 2);
	assert_int_equal(ev.payloads, 3);
	assert_int_equal(sp->n_files, 2);
	assert_int_equal(count_files(dir, "0"), 2);
	assert_int_equal(tally_spool_expire(sp, now), 0);
	assert_int_equal(tally_spool_load(sp, "series", &out), 1);
	assert_memory_equal(out->body, "fresh-series", 12);
	tally_fwd_payload_free_list(out);
	assert_int_equal(tally_spool_load(sp, "check_run", &out), 1);
	assert_memory_equal(out->body, "fresh-checks", 12);
	tally_fwd_payload_free_list(out);
	assert_int_equal(ev.files, 2);
	tally_spool_free(sp);

	/* load sweeps too, before picking: the outdated oldest file is never sent */
	sp = tally_spool_open(dir, 1 << 20, 60, err, sizeof(err));
	assert_non_null(sp);
	sp->on_outdated = on_evict;
	sp->arg = &full;
	write_one(sp, "series", "stale", 1);
	write_one(sp, "series", "recent", 1);
	age_file(sp, 0, now - 120);
	sp->files[0].mtime_s = now - 120;
	assert_int_equal(tally_spool_load(sp, "series", &out), 1);
	assert_memory_equal(out->body, "recent", 6);
	tally_fwd_payload_free_list(out);
	assert_int_equal(full.files, 1);
	assert_string_equal(full.last, "series");
	assert_int_equal(count_files(dir, "0"), 0);

	/* the limit is "older than": exactly max_age_s is kept; <= 0 disables it */
	write_one(sp, "series", "edge", 1);
	assert_int_equal(tally_spool_expire(sp, sp->files[0].mtime_s + 60), 0);
	sp->max_age_s = 0;
	assert_int_equal(tally_spool_expire(sp, sp->files[0].mtime_s + 100000), 0);
	sp->max_age_s = 60;
	assert_int_equal(tally_spool_expire(sp, sp->files[0].mtime_s + 61), 1);
	assert_int_equal(sp->n_files, 0);
	assert_int_equal(sp->bytes, 0);
	tally_spool_free(sp);
}

static void
test_corrupt_and_stray_files(void **state)
{
	char dir[300], err[256], path[400];
	struct tally_fwd_payload *out = NULL;
	struct tally_spool *sp;
	FILE *f;

	snprintf(dir, sizeof(dir), "%s/corrupt", root);
	mkdir(dir, 0700);
	snprintf(path, sizeof(path), "%s/.tmp-00000000000000000001-series", dir);
	f = fopen(path, "w");
	fputs("half written", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/00000000000000000005-series-1.spool", dir);
	f = fopen(path, "w");
	fputs("TALLY-SPOOL 1\npayload path=/x content-type=a content-encoding=identity items=1 "
	      "length=100\nshort",
	      f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/README", dir);
	f = fopen(path, "w");
	fclose(f);
	sp = tally_spool_open(dir, 1 << 20, TALLY_SPOOL_MAX_AGE_S, err, sizeof(err));
	assert_non_null(sp);
	assert_int_equal(count_files(dir, ".tmp"), 0);
	assert_int_equal(sp->n_files, 1);
	assert_int_equal(sp->next_seq, 6);
	assert_int_equal(tally_spool_load(sp, "series", &out), -EBADMSG);
	assert_null(out);
	assert_int_equal(sp->n_files, 0);
	assert_int_equal(count_files(dir, "0"), 0);
	assert_int_equal(count_files(dir, "README"), 1);
	tally_spool_free(sp);
}

static void
test_parse_rejects_garbage(void **state)
{
	struct tally_fwd_payload *out = NULL;
	static const char *const bad[] = {
		"",
		"NOT-A-SPOOL\n",
		"TALLY-SPOOL 1\npayload path=/x\n",
		"TALLY-SPOOL 1\npayload path=/x content-type=a content-encoding=b items=1 "
		"length=2\nab",
		"TALLY-SPOOL 1\npayload path=/x content-type=a content-encoding=b items=1 "
		"length=x\nab\n",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(
		    tally_spool_parse((const unsigned char *)bad[i], strlen(bad[i]), &out),
		    -EBADMSG);
		tally_fwd_payload_free_list(out);
	}
	assert_int_equal(tally_spool_parse((const unsigned char *)"TALLY-SPOOL 1\n", 14, &out), 0);
	assert_null(out);
}

static void
test_open_fails_cleanly(void **state)
{
	char err[256] = "";

	assert_null(tally_spool_open("/proc/tally-cannot-exist/x", 100, TALLY_SPOOL_MAX_AGE_S, err,
	                             sizeof(err)));
	assert_non_null(strstr(err, "spool"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_survives_reopen),
		cmocka_unit_test(test_bound_removes_oldest_files),
		cmocka_unit_test(test_outdated_files_removed),
		cmocka_unit_test(test_corrupt_and_stray_files),
		cmocka_unit_test(test_parse_rejects_garbage),
		cmocka_unit_test(test_open_fails_cleanly),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
