/*
 * The cgroup reader on fixture trees (fixtures/, written by fixtures/mkfixtures.py): every
 * layout this machine cannot show (co-mounted cpu,cpuacct, pure v2, Amazon /cgroup, a
 * containerised agent's mountinfo, only the host's /proc/mounts) and this hybrid host's own,
 * through the same code the check runs. Parsers are fed the kernel documentation's formats.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup_int.h"

#define CID2 "abababababababababababababababababababababababababababababababab"
#define CID  "4d2a3b6f0c1e8a9b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b"

static char proc_root[PATH_MAX], cg_root[PATH_MAX];

/* Default roots and discovery over fixture layout name. */
static void
discover(const char *name, struct tally_cg_mounts *m)
{
	char fsroot[PATH_MAX];

	snprintf(fsroot, sizeof(fsroot), "%s/%s", FIXTURES, name);
	tally_cg_default_roots(fsroot, proc_root, sizeof(proc_root), cg_root, sizeof(cg_root));
	assert_int_equal(tally_cg_mounts_discover(m, proc_root, cg_root), 0);
}

static void
assert_dir(const struct tally_cg_mounts *m, enum tally_cg_hier h, const char *rel)
{
	char want[PATH_MAX + 64];

	snprintf(want, sizeof(want), "%s%s", cg_root, rel);
	assert_non_null(m->dir[h]);
	assert_string_equal(m->dir[h], want);
}

/* The values every fixture's /docker/<id> group holds, whichever version it is read from. */
static void
assert_docker_stats(const struct tally_cg_stats *st, bool v2)
{
	assert_true(st->has & TALLY_CG_HAS_CPU);
	assert_int_equal(st->cpu_usage_ns, 123456789000ull);
	assert_true(st->has & TALLY_CG_HAS_CPU_US);
	assert_int_equal(st->cpu_user_ns, 80000000000ull);
	assert_int_equal(st->cpu_system_ns, v2 ? 43456789000ull : 40000000000ull);
	assert_true(st->has & TALLY_CG_HAS_THROTTLE);
	assert_int_equal(st->cpu_nr_throttled, 5);
	assert_int_equal(st->cpu_nr_periods, 100);
	assert_int_equal(st->cpu_throttled_ns, 250000000ull);
	assert_true(st->has & TALLY_CG_HAS_MEM);
	assert_int_equal(st->mem_usage, 104857600);
	assert_true(st->has & TALLY_CG_HAS_MEM_STAT);
	assert_int_equal(st->mem_rss, 62914560);
	assert_int_equal(st->mem_cache, 41943040);
	assert_int_equal(st->mem_inactive_file, 20971520);
	assert_int_equal(tally_cg_working_set(st), 104857600 - 20971520);
	assert_int_equal(st->mem_pgmajfault, 12);
	assert_true(st->has & TALLY_CG_HAS_MEM_SWAP);
	assert_int_equal(st->mem_swap, 4096);
	assert_true(st->has & TALLY_CG_HAS_MEM_LIMIT);
	assert_int_equal(st->mem_limit, 268435456);
	assert_true(st->has & TALLY_CG_HAS_IO);
	assert_int_equal(st->io_read_bytes, 1048576 + 4096);
	assert_int_equal(st->io_write_bytes, 2097152 + 8192);
	assert_int_equal(st->n_dev, 2);
}

static void
test_parsers(void **state)
{
	static const char *const keys[] = { "nr_periods", "nr_throttled", "throttled_time" };
	uint64_t v[3] = { 0 }, some = 0, full = 0, x = 0;
	struct tally_cg_stats st = { 0 };

	(void)state;
	assert_int_equal(tally_cg_parse_u64("268435456\n", &x), 0);
	assert_int_equal(x, 268435456);
	assert_int_equal(tally_cg_parse_u64("max\n", &x), 1);
	assert_int_equal(tally_cg_parse_u64("", &x), -EINVAL);
	assert_int_equal(tally_cg_parse_u64("-1\n", &x), -EINVAL);
	assert_int_equal(tally_cg_parse_keyed("nr_periods 7\nnr_throttled 3\nthrottled_time 99\n"
	                                      "nr_bursts 0\n",
	                                      keys, 3, v),
	                 7);
	assert_int_equal(v[1], 3);
	assert_int_equal(v[2], 99);
	/* a key that is a prefix of another is not matched by it */
	assert_int_equal(tally_cg_parse_keyed("nr_periods_x 1\n", keys, 3, v), 0);
	assert_int_equal(
	    tally_cg_parse_blkio("8:0 Read 10\n8:0 Write 20\n8:0 Sync 30\n8:0 Async 0\n"
	                         "8:0 Discard 0\n8:0 Total 30\n253:1 Read 1\n"
	                         "253:1 Write 2\nTotal 33\n",
	                         &st),
	    0);
	assert_int_equal(st.io_read_bytes, 11);
	assert_int_equal(st.io_write_bytes, 22);
	assert_int_equal(st.n_dev, 2);
	assert_int_equal(st.dev[1].major, 253);
	assert_int_equal(st.dev[1].write_bytes, 2);
	memset(&st, 0, sizeof(st));
	assert_int_equal(tally_cg_parse_iostat("8:16 rbytes=1459200 wbytes=314773504 rios=192 "
	                                       "wios=353 dbytes=0 dios=0\n8:0 rbytes=90430464 "
	                                       "wbytes=299008000 rios=8950 wios=1252 "
	                                       "dbytes=50331648 dios=3021\n",
	                                       &st),
	                 0);
	assert_int_equal(st.io_read_bytes, 1459200ull + 90430464ull);
	assert_int_equal(st.io_write_bytes, 314773504ull + 299008000ull);
	assert_int_equal(st.dev[0].minor, 16);
	assert_int_equal(tally_cg_parse_psi("some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n"
	                                    "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
	                                    &some, &full),
	                 0);
	assert_int_equal(
	    tally_cg_parse_psi("some avg10=1.53 avg60=0.87 avg300=0.28 total=2581412\n", &some,
	                       &full),
	    0);
	assert_int_equal(some, 2581412);
	assert_int_equal(tally_cg_parse_psi("garbage\n", &some, &full), -EINVAL);
}

static void
test_hybrid(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	char out[256];

	(void)state;
	discover("hybrid", &m);
	assert_int_equal(m.version, 1);
	assert_true(m.hybrid);
	assert_dir(&m, TALLY_CG_H_CPU, "/cpu");
	assert_dir(&m, TALLY_CG_H_CPUACCT, "/cpuacct");
	assert_dir(&m, TALLY_CG_H_MEMORY, "/memory");
	assert_dir(&m, TALLY_CG_H_V2, "/unified");
	assert_int_equal(tally_cg_read_path(&m, "/docker/" CID, &st), 0);
	assert_docker_stats(&st, false);
	assert_true(st.has & TALLY_CG_HAS_PIDS_LIMIT);
	assert_int_equal(st.pids_current, 7);
	assert_int_equal(st.pids_limit, 100);
	/* pressure comes from the cgroup2 mount, the rest from v1 */
	assert_true(st.has & TALLY_CG_HAS_PSI_CPU);
	assert_int_equal(st.psi_cpu_some_us, 1500000);
	assert_int_equal(st.psi_mem_full_us, 125000);
	assert_int_equal(st.psi_io_some_us, 400000);
	/* no limit set: neither limit is reported */
	assert_int_equal(tally_cg_read_path(&m, "/user.slice", &st), 0);
	assert_false(st.has & TALLY_CG_HAS_MEM_LIMIT);
	assert_false(st.has & TALLY_CG_HAS_PIDS_LIMIT);
	assert_true(st.has & TALLY_CG_HAS_PIDS);
	/* only in cpuacct and memory (and unified): what those hold, nothing else */
	assert_int_equal(tally_cg_read_path(&m, "/system.slice/cron.service", &st), 0);
	assert_true(st.has & TALLY_CG_HAS_CPU);
	assert_true(st.has & TALLY_CG_HAS_MEM);
	assert_false(st.has & TALLY_CG_HAS_THROTTLE); /* unified's cpu.stat has no nr_throttled */
	assert_false(st.has & (TALLY_CG_HAS_IO | TALLY_CG_HAS_PIDS));
	assert_int_equal(tally_cg_read_path(&m, "/nope", &st), -ENOENT);
	/* by pid and by container id */
	assert_int_equal(tally_cg_read_pid(&m, proc_root, 4242, &st), 0);
	assert_docker_stats(&st, false);
	assert_int_equal(tally_cg_read_pid(&m, proc_root, 4243, &st), -ENOENT);
	assert_int_equal(tally_cg_find_container(&m, CID, out, sizeof(out)), 0);
	assert_string_equal(out, "/docker/" CID);
	assert_int_equal(tally_cg_find_container(&m, "abc", out, sizeof(out)), -ENOENT);
	assert_int_equal(tally_cg_find_container(&m, "../x", out, sizeof(out)), -EINVAL);
	memset(&st, 0, sizeof(st));
	assert_int_equal(tally_cg_read_container(&m, CID, &st, out, sizeof(out)), 0);
	assert_docker_stats(&st, false);
	assert_string_equal(out, "/docker/" CID);
	tally_cg_mounts_clear(&m);
}

static void
test_comounted(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;

	(void)state;
	discover("comounted", &m);
	assert_int_equal(m.version, 1);
	assert_false(m.hybrid);
	assert_dir(&m, TALLY_CG_H_CPU, "/cpu,cpuacct");
	assert_dir(&m, TALLY_CG_H_CPUACCT, "/cpu,cpuacct");
	assert_null(m.dir[TALLY_CG_H_V2]);
	assert_int_equal(tally_cg_read_path(&m, "/docker/" CID, &st), 0);
	assert_docker_stats(&st, false);
	assert_false(st.has & TALLY_CG_HAS_PSI_CPU);
	tally_cg_mounts_clear(&m);
}

static void
test_purev2(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	char out[256];

	(void)state;
	discover("purev2", &m);
	assert_int_equal(m.version, 2);
	assert_false(m.hybrid);
	assert_dir(&m, TALLY_CG_H_V2, "");
	assert_null(m.dir[TALLY_CG_H_MEMORY]);
	assert_int_equal(tally_cg_read_path(&m, "/docker/" CID, &st), 0);
	assert_docker_stats(&st, true);
	assert_int_equal(st.pids_current, 7);
	assert_false(st.has & TALLY_CG_HAS_PIDS_LIMIT); /* pids.max is "max" */
	assert_int_equal(st.psi_mem_some_us, 250000);
	assert_int_equal(tally_cg_read_pid(&m, proc_root, 4242, &st), 0);
	assert_docker_stats(&st, true);
	/* the systemd cgroup driver's container scope */
	assert_int_equal(tally_cg_read_container(&m, CID2, &st, out, sizeof(out)), 0);
	assert_string_equal(out, "/system.slice/docker-" CID2 ".scope");
	assert_docker_stats(&st, true);
	tally_cg_mounts_clear(&m);
}

static void
test_amazon(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	char want[PATH_MAX];

	(void)state;
	discover("amazon", &m);
	snprintf(want, sizeof(want), "%s/amazon/cgroup", FIXTURES);
	assert_string_equal(cg_root, want);
	assert_dir(&m, TALLY_CG_H_MEMORY, "/memory");
	assert_null(m.dir[TALLY_CG_H_PIDS]);
	assert_int_equal(tally_cg_read_path(&m, "/docker/" CID, &st), 0);
	assert_docker_stats(&st, false);
	assert_false(st.has & TALLY_CG_HAS_PIDS);
	tally_cg_mounts_clear(&m);
}

static void
test_container(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_procgroups pg;
	char want[PATH_MAX];

	(void)state;
	discover("container", &m); /* no proc/mounts: self/mountinfo */
	snprintf(want, sizeof(want), "%s/container/host/proc", FIXTURES);
	assert_string_equal(proc_root, want);
	assert_dir(&m, TALLY_CG_H_MEMORY, "/memory");
	/* the host's bind mount (under /host/) wins over the agent's own namespaced one */
	assert_string_equal(m.mnt_root[TALLY_CG_H_MEMORY], "/");
	assert_int_equal(tally_cg_proc_read(&m, proc_root, 4242, &pg), 0);
	assert_string_equal(pg.path[TALLY_CG_H_MEMORY], "/docker/" CID);
	assert_null(pg.path[TALLY_CG_H_V2]);
	tally_cg_procgroups_clear(&pg);
	assert_int_equal(tally_cg_read_pid(&m, proc_root, 4242, &st), 0);
	assert_docker_stats(&st, false);
	tally_cg_mounts_clear(&m);
}

static void
test_mountsonly(void **state)
{
	struct tally_cg_mounts m;
	struct tally_cg_stats st;

	(void)state;
	discover("mountsonly", &m);
	/* host paths (/sys/fs/cgroup/memory) re-rooted under /host/sys/fs/cgroup */
	assert_dir(&m, TALLY_CG_H_MEMORY, "/memory");
	assert_dir(&m, TALLY_CG_H_V2, "/unified");
	assert_true(m.hybrid);
	assert_int_equal(tally_cg_read_path(&m, "/docker/" CID, &st), 0);
	assert_docker_stats(&st, false);
	tally_cg_mounts_clear(&m);
}

static void
test_set_select(void **state)
{
	static const char *const inc[] = { "/system.slice/*.service", "/docker/*" };
	static const char *const exc[] = { "/system.slice/cron*" };
	struct tally_cg_select sel = { .include = inc, .n_include = 2 };
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;

	(void)state;
	discover("hybrid", &m);
	s = tally_cg_set_new(&m, 0);
	assert_non_null(s);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 3);
	assert_string_equal(tally_cg_set_path(s, 0), "/docker/" CID);
	assert_string_equal(tally_cg_set_path(s, 1), "/system.slice/cron.service");
	assert_string_equal(tally_cg_set_path(s, 2), "/system.slice/ssh.service");
	assert_int_equal(tally_cg_set_read(s, 0, &st), 0);
	assert_docker_stats(&st, false);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_true(info.n_fds > 0); /* kept open from the first read */
	assert_int_equal(tally_cg_set_read(s, 0, &st), 0);
	assert_docker_stats(&st, false);
	sel.exclude = exc;
	sel.n_exclude = 1;
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 2);
	/* every group, capped */
	sel = (struct tally_cg_select){ .max_cgroups = 3 };
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 3);
	assert_int_equal(info.n_excess, 4); /* /, /docker, /docker/ID, /system.slice, 2 services,
	                                       /user.slice: 7 in all */
	assert_string_equal(tally_cg_set_path(s, 0), "/");
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

/* A copy of a fixture the test may change; removed by teardown_fix, also after a failure. */
static char fix_tmp[32];

static int
teardown_fix(void **state)
{
	char cmd[64];

	(void)state;
	if (fix_tmp[0] && strcmp(fix_tmp, "/tmp/tally-cgfix-XXXXXX") != 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf %s", fix_tmp);
		if (system(cmd) != 0)
			return -1;
	}
	fix_tmp[0] = '\0';
	return 0;
}

/* A copy of the hybrid fixture whose groups the test may remove. */
static void
test_set_vanish(void **state)
{
	static const char *const inc[] = { "/system.slice/*" };
	struct tally_cg_select sel = { .include = inc, .n_include = 1 };
	char *tmp = fix_tmp, cmd[PATH_MAX * 2];
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;
	size_t fds;

	(void)state;
	strcpy(fix_tmp, "/tmp/tally-cgfix-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -r %s/hybrid/. %s/", FIXTURES, tmp);
	assert_int_equal(system(cmd), 0);
	tally_cg_default_roots(tmp, proc_root, sizeof(proc_root), cg_root, sizeof(cg_root));
	assert_int_equal(tally_cg_mounts_discover(&m, proc_root, cg_root), 0);
	s = tally_cg_set_new(&m, 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 2);
	assert_int_equal(tally_cg_set_read(s, 0, &st), 0);
	assert_int_equal(tally_cg_set_read(s, 1, &st), 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	fds = info.n_fds;
	snprintf(cmd, sizeof(cmd), "rm -rf %s/sys/fs/cgroup/*/system.slice/ssh.service", tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 1);
	assert_true(info.n_fds < fds); /* the vanished group's descriptors are closed */
	assert_string_equal(tally_cg_set_path(s, 0), "/system.slice/cron.service");
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

/* Removed between the listing and the read: -ENOENT, quietly. */
static void
test_vanish_before_read(void **state)
{
	static const char *const inc[] = { "/system.slice/*" };
	struct tally_cg_select sel = { .include = inc, .n_include = 1 };
	char *tmp = fix_tmp, cmd[PATH_MAX * 2];
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;

	(void)state;
	strcpy(fix_tmp, "/tmp/tally-cgfix-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(cmd, sizeof(cmd), "cp -r %s/hybrid/. %s/", FIXTURES, tmp);
	assert_int_equal(system(cmd), 0);
	tally_cg_default_roots(tmp, proc_root, sizeof(proc_root), cg_root, sizeof(cg_root));
	assert_int_equal(tally_cg_mounts_discover(&m, proc_root, cg_root), 0);
	s = tally_cg_set_new(&m, 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 2);
	snprintf(cmd, sizeof(cmd), "rm -rf %s/sys/fs/cgroup/*/system.slice/cron.service", tmp);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(tally_cg_set_read(s, 0, &st), -ENOENT);
	assert_int_equal(tally_cg_set_read(s, 1, &st), 0);
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

/*
 * On this host's real cgroupfs (as root): a group removed under its kept-open descriptors
 * reads ENODEV; the read says -ENOENT and the descriptors are closed at once.
 */
static char real_top[64], real_dir[PATH_MAX];

/* Runs also when an assertion failed: the groups the test made go. */
static int
teardown_real(void **state)
{
	(void)state;
	if (real_dir[0])
		rmdir(real_dir);
	if (real_top[0])
		rmdir(real_top);
	return 0;
}

static void
test_real_vanish_enodev(void **state)
{
	static const char *const inc[] = { "/tally-unit-*/*" };
	struct tally_cg_select sel = { .include = inc, .n_include = 1 };
	char *top = real_top, *dir = real_dir;
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;

	(void)state;
	if (geteuid() != 0)
		skip();
	snprintf(top, sizeof(real_top), "/sys/fs/cgroup/memory/tally-unit-%d", (int)getpid());
	if (mkdir(top, 0755) < 0) {
		top[0] = '\0';
		skip();
	}
	snprintf(dir, sizeof(real_dir), "%s/g", top);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(tally_cg_mounts_discover(&m, "/proc", "/sys/fs/cgroup"), 0);
	s = tally_cg_set_new(&m, 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 1);
	assert_int_equal(tally_cg_set_read(s, 0, &st), 0);
	assert_true(st.has & TALLY_CG_HAS_MEM);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_fds, 3); /* memory.usage_in_bytes, .stat, .limit_in_bytes */
	/* removed and made again under the same path (a restarted service): read afresh */
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(tally_cg_set_read(s, 0, &st), 0);
	assert_true(st.has & TALLY_CG_HAS_MEM);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_fds, 3);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(tally_cg_set_read(s, 0, &st), -ENOENT);
	assert_int_equal(rmdir(top), 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_groups, 0);
	assert_int_equal(info.n_fds, 0);
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

/* A bound of 3 descriptors: the rest is read open-per-read, with the same values. */
static void
test_set_fd_bound(void **state)
{
	struct tally_cg_select sel = { 0 };
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;

	(void)state;
	discover("hybrid", &m);
	s = tally_cg_set_new(&m, 3);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	for (size_t i = 0; i < info.n_groups; i++)
		tally_cg_set_read(s, i, &st);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	assert_int_equal(info.n_fds, 3);
	for (size_t i = 0; i < info.n_groups; i++) {
		if (strcmp(tally_cg_set_path(s, i), "/docker/" CID) == 0) {
			assert_int_equal(tally_cg_set_read(s, i, &st), 0);
			assert_docker_stats(&st, false);
		}
	}
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

/* RLIMIT_NOFILE reached by someone else: reads go on, the cache stops growing. */
static void
test_out_of_fds(void **state)
{
	struct tally_cg_select sel = { 0 };
	struct tally_cg_set_info info;
	struct tally_cg_mounts m;
	struct tally_cg_stats st;
	struct tally_cg_set *s;
	struct rlimit saved, low;
	int hog[64], n_hog = 0;

	(void)state;
	discover("hybrid", &m);
	s = tally_cg_set_new(&m, 0);
	assert_int_equal(tally_cg_set_refresh(s, &sel, &info), 0);
	/* the docker group's first files get cached, then the process runs out */
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
	low = saved;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	while (n_hog < 64 && (hog[n_hog] = open("/dev/null", O_RDONLY)) >= 0)
		n_hog++;
	/* free exactly two: one cached, then EMFILE, shed, retried */
	close(hog[--n_hog]);
	close(hog[--n_hog]);
	for (size_t i = 0; i < info.n_groups; i++) {
		if (strcmp(tally_cg_set_path(s, i), "/docker/" CID) == 0) {
			assert_int_equal(tally_cg_set_read(s, i, &st), 0);
			assert_docker_stats(&st, false);
		}
	}
	while (n_hog > 0)
		close(hog[--n_hog]);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
	tally_cg_set_free(s);
	tally_cg_mounts_clear(&m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsers),
		cmocka_unit_test(test_hybrid),
		cmocka_unit_test(test_comounted),
		cmocka_unit_test(test_purev2),
		cmocka_unit_test(test_amazon),
		cmocka_unit_test(test_container),
		cmocka_unit_test(test_mountsonly),
		cmocka_unit_test(test_set_select),
		cmocka_unit_test_teardown(test_set_vanish, teardown_fix),
		cmocka_unit_test(test_set_fd_bound),
		cmocka_unit_test_teardown(test_vanish_before_read, teardown_fix),
		cmocka_unit_test_teardown(test_real_vanish_enodev, teardown_real),
		cmocka_unit_test(test_out_of_fds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
