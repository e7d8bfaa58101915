/*
 * cgroup_read: one group's stats, one reading strategy per cgroup version. Each metric family
 * (cpu, throttling, memory, io, pids, pressure) has a v1 reader and a v2 reader; the v1 one is
 * used when the group exists in that v1 controller's hierarchy, else the v2 one when it exists
 * in the cgroup2 mount (so a hybrid host reads memory from v1 and pressure from v2). Files are
 * read through descriptors kept open between runs when a budget allows (pread at offset 0
 * re-reads a cgroup file), else opened, read and closed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_int.h"

#define CG_BUF 8192
/* v1 reports "no limit" as a huge page-aligned number; dd-agent's cut-off. */
#define CG_V1_UNLIMITED (1ull << 60)
#define CPU_ALL         (TALLY_CG_HAS_CPU | TALLY_CG_HAS_CPU_US | TALLY_CG_HAS_THROTTLE)

const struct cg_file_desc tally_cg_files[CG_NFILES] = {
	[CG_F_CPUACCT_USAGE] = { TALLY_CG_H_CPUACCT, "cpuacct.usage" },
	[CG_F_CPUACCT_STAT] = { TALLY_CG_H_CPUACCT, "cpuacct.stat" },
	[CG_F_CPU_STAT] = { TALLY_CG_H_CPU, "cpu.stat" },
	[CG_F_MEM_STAT] = { TALLY_CG_H_MEMORY, "memory.stat" },
	[CG_F_MEM_USAGE] = { TALLY_CG_H_MEMORY, "memory.usage_in_bytes" },
	[CG_F_MEM_LIMIT] = { TALLY_CG_H_MEMORY, "memory.limit_in_bytes" },
	[CG_F_BLKIO_BYTES] = { TALLY_CG_H_BLKIO, "blkio.throttle.io_service_bytes" },
	[CG_F_PIDS_CUR] = { TALLY_CG_H_PIDS, "pids.current" },
	[CG_F_PIDS_MAX] = { TALLY_CG_H_PIDS, "pids.max" },
	[CG_F_V2_CPU_STAT] = { TALLY_CG_H_V2, "cpu.stat" },
	[CG_F_V2_MEM_STAT] = { TALLY_CG_H_V2, "memory.stat" },
	[CG_F_V2_MEM_CUR] = { TALLY_CG_H_V2, "memory.current" },
	[CG_F_V2_MEM_MAX] = { TALLY_CG_H_V2, "memory.max" },
	[CG_F_V2_SWAP_CUR] = { TALLY_CG_H_V2, "memory.swap.current" },
	[CG_F_V2_IO_STAT] = { TALLY_CG_H_V2, "io.stat" },
	[CG_F_V2_PIDS_CUR] = { TALLY_CG_H_V2, "pids.current" },
	[CG_F_V2_PIDS_MAX] = { TALLY_CG_H_V2, "pids.max" },
	[CG_F_V2_CPU_PSI] = { TALLY_CG_H_V2, "cpu.pressure" },
	[CG_F_V2_MEM_PSI] = { TALLY_CG_H_V2, "memory.pressure" },
	[CG_F_V2_IO_PSI] = { TALLY_CG_H_V2, "io.pressure" },
};

/* What one read of a group carries between the family readers. */
struct cg_rd {
	struct cg_group *g;
	const struct tally_cg_mounts *m;
	struct cg_fdbudget *b;
	bool vanished;
	char *buf; /* CG_BUF bytes, not zeroed: 1,000 groups a run */
};

void
tally_cg_group_init(struct cg_group *g, char *path)
{
	memset(g, 0, sizeof(*g));
	g->path = path;
	for (int i = 0; i < CG_NFILES; i++)
		g->fd[i] = CG_FD_NONE;
}

void
tally_cg_group_close(struct cg_group *g, struct cg_fdbudget *b)
{
	for (int i = 0; i < CG_NFILES; i++) {
		if (g->fd[i] >= 0) {
			close(g->fd[i]);
			if (b && b->n_open)
				b->n_open--;
		}
		g->fd[i] = CG_FD_NONE;
	}
}

static const char *
group_path(const struct cg_group *g, enum tally_cg_hier h)
{
	return g->alt[h] ? g->alt[h] : g->path;
}

static int
dir_path(char *out, size_t len, const struct tally_cg_mounts *m, const struct cg_group *g,
         enum tally_cg_hier h, const char *file)
{
	const char *p = group_path(g, h);
	int n;

	if (strcmp(p, "/") == 0)
		p = "";
	n = snprintf(out, len, "%s%s%s%s", m->dir[h], p, file ? "/" : "", file ? file : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

void
tally_cg_group_locate(struct cg_group *g, const struct tally_cg_mounts *m)
{
	char path[PATH_MAX];
	struct stat sb;

	g->where = 0;
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		if (m->dir[h] && dir_path(path, sizeof(path), m, g, h, NULL) == 0 &&
		    stat(path, &sb) == 0 && S_ISDIR(sb.st_mode))
			g->where |= 1u << h;
	}
}

/*
 * Out of descriptors (other instances, the rest of the agent): stop caching more, give back
 * one of this group's kept-open descriptors and try once more, so reads go on per-open.
 */
static int
open_after_shedding(struct cg_rd *rd, const char *path)
{
	rd->b->max_open = rd->b->n_open;
	for (int f = 0; f < CG_NFILES; f++) {
		if (rd->g->fd[f] >= 0) {
			close(rd->g->fd[f]);
			rd->g->fd[f] = CG_FD_NONE;
			rd->b->n_open--;
			rd->b->max_open = rd->b->n_open;
			return open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	errno = EMFILE;
	return -1;
}

/* Reads file f of the group into rd->buf; returns its length or a negative errno. */
static ssize_t
read_file(struct cg_rd *rd, enum cg_file f)
{
	struct cg_group *g = rd->g;
	char path[PATH_MAX];
	ssize_t n;
	int fd = g->fd[f];

	if (fd == CG_FD_ABSENT)
		return -ENOENT;
	if (fd >= 0) {
		n = pread(fd, rd->buf, CG_BUF - 1, 0);
		if (n >= 0)
			goto done;
		/* ENODEV: the group was removed under the open descriptor. */
		rd->vanished |= errno == ENODEV || errno == ENOENT;
		return -errno;
	}
	if (dir_path(path, sizeof(path), rd->m, g, tally_cg_files[f].hier, tally_cg_files[f].name))
		return -ENAMETOOLONG;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == EMFILE || errno == ENFILE) && rd->b)
		fd = open_after_shedding(rd, path);
	if (fd < 0) {
		int err = errno;

		/* Absent in a group that still exists stays absent; a vanished one is skipped. */
		if (err == ENOENT && rd->b)
			g->fd[f] = CG_FD_ABSENT;
		return -err;
	}
	n = read(fd, rd->buf, CG_BUF - 1);
	if (n < 0) {
		int err = errno;

		close(fd);
		rd->vanished |= err == ENODEV;
		return -err;
	}
	if (rd->b && rd->b->n_open < rd->b->max_open) {
		g->fd[f] = fd;
		rd->b->n_open++;
	} else {
		close(fd);
	}
done:
	rd->buf[n] = '\0';
	return n;
}

static bool
read_u64(struct cg_rd *rd, enum cg_file f, uint64_t *v, bool *is_max)
{
	int rc;

	if (read_file(rd, f) < 0)
		return false;
	rc = tally_cg_parse_u64(rd->buf, v);
	if (is_max)
		*is_max = rc == 1;
	return rc >= 0;
}

static void
cpu_v1(struct cg_rd *rd, struct tally_cg_stats *st)
{
	static const char *const keys[] = { "user", "system" };
	uint64_t v[2];
	long hz = sysconf(_SC_CLK_TCK);

	if (read_u64(rd, CG_F_CPUACCT_USAGE, &st->cpu_usage_ns, NULL))
		st->has |= TALLY_CG_HAS_CPU;
	/* cpuacct.stat counts USER_HZ ticks. */
	if (read_file(rd, CG_F_CPUACCT_STAT) >= 0 &&
	    tally_cg_parse_keyed(rd->buf, keys, 2, v) == 3) {
		uint64_t ns_per_tick = 1000000000ull / (uint64_t)(hz > 0 ? hz : 100);

		st->cpu_user_ns = v[0] * ns_per_tick;
		st->cpu_system_ns = v[1] * ns_per_tick;
		st->has |= TALLY_CG_HAS_CPU_US;
	}
}

static void
throttle_v1(struct cg_rd *rd, struct tally_cg_stats *st)
{
	static const char *const keys[] = { "nr_periods", "nr_throttled", "throttled_time" };
	uint64_t v[3];

	if (read_file(rd, CG_F_CPU_STAT) >= 0 && tally_cg_parse_keyed(rd->buf, keys, 3, v) == 7) {
		st->cpu_nr_periods = v[0];
		st->cpu_nr_throttled = v[1];
		st->cpu_throttled_ns = v[2];
		st->has |= TALLY_CG_HAS_THROTTLE;
	}
}

/* v2 cpu.stat holds usage and, with the cpu controller enabled, throttling: both families. */
static void
cpu_v2(struct cg_rd *rd, struct tally_cg_stats *st)
{
	static const char *const keys[] = { "usage_usec", "user_usec",    "system_usec",
		                            "nr_periods", "nr_throttled", "throttled_usec" };
	uint64_t v[6];
	uint32_t got;

	/* A hybrid host's group in both: v1 gave it all, skip the extra read. */
	if ((st->has & CPU_ALL) == CPU_ALL || read_file(rd, CG_F_V2_CPU_STAT) < 0)
		return;
	got = tally_cg_parse_keyed(rd->buf, keys, 6, v);
	if (!(st->has & TALLY_CG_HAS_CPU) && (got & 1)) {
		st->cpu_usage_ns = v[0] * 1000;
		st->has |= TALLY_CG_HAS_CPU;
	}
	if (!(st->has & TALLY_CG_HAS_CPU_US) && (got & 6) == 6) {
		st->cpu_user_ns = v[1] * 1000;
		st->cpu_system_ns = v[2] * 1000;
		st->has |= TALLY_CG_HAS_CPU_US;
	}
	if (!(st->has & TALLY_CG_HAS_THROTTLE) && (got & 0x38) == 0x38) {
		st->cpu_nr_periods = v[3];
		st->cpu_nr_throttled = v[4];
		st->cpu_throttled_ns = v[5] * 1000;
		st->has |= TALLY_CG_HAS_THROTTLE;
	}
}

static void
mem_v1(struct cg_rd *rd, struct tally_cg_stats *st)
{
	/* total_*: this group and its children, like memory.usage_in_bytes. */
	static const char *const keys[] = { "total_rss", "total_cache", "total_swap",
		                            "total_inactive_file", "total_pgmajfault" };
	uint64_t v[5];
	uint32_t got;

	if (read_u64(rd, CG_F_MEM_USAGE, &st->mem_usage, NULL))
		st->has |= TALLY_CG_HAS_MEM;
	if (read_file(rd, CG_F_MEM_STAT) >= 0) {
		got = tally_cg_parse_keyed(rd->buf, keys, 5, v);
		if ((got & 0x1b) == 0x1b) {
			st->mem_rss = v[0];
			st->mem_cache = v[1];
			st->mem_inactive_file = v[3];
			st->mem_pgmajfault = v[4];
			st->has |= TALLY_CG_HAS_MEM_STAT;
		}
		/* total_swap is there only with swap accounting. */
		if (got & 4) {
			st->mem_swap = v[2];
			st->has |= TALLY_CG_HAS_MEM_SWAP;
		}
	}
	if (read_u64(rd, CG_F_MEM_LIMIT, &st->mem_limit, NULL) && st->mem_limit < CG_V1_UNLIMITED)
		st->has |= TALLY_CG_HAS_MEM_LIMIT;
}

static void
mem_v2(struct cg_rd *rd, struct tally_cg_stats *st)
{
	static const char *const keys[] = { "anon", "file", "inactive_file", "pgmajfault" };
	uint64_t v[4];
	bool is_max;

	if (read_u64(rd, CG_F_V2_MEM_CUR, &st->mem_usage, NULL))
		st->has |= TALLY_CG_HAS_MEM;
	else
		return; /* no memory controller in this group: nothing else is there either */
	if (read_file(rd, CG_F_V2_MEM_STAT) >= 0 &&
	    tally_cg_parse_keyed(rd->buf, keys, 4, v) == 0xf) {
		st->mem_rss = v[0];
		st->mem_cache = v[1];
		st->mem_inactive_file = v[2];
		st->mem_pgmajfault = v[3];
		st->has |= TALLY_CG_HAS_MEM_STAT;
	}
	if (read_u64(rd, CG_F_V2_SWAP_CUR, &st->mem_swap, NULL))
		st->has |= TALLY_CG_HAS_MEM_SWAP;
	if (read_u64(rd, CG_F_V2_MEM_MAX, &st->mem_limit, &is_max) && !is_max)
		st->has |= TALLY_CG_HAS_MEM_LIMIT;
}

static void
io_v1(struct cg_rd *rd, struct tally_cg_stats *st)
{
	if (read_file(rd, CG_F_BLKIO_BYTES) >= 0 && tally_cg_parse_blkio(rd->buf, st) == 0)
		st->has |= TALLY_CG_HAS_IO;
}

static void
io_v2(struct cg_rd *rd, struct tally_cg_stats *st)
{
	if (read_file(rd, CG_F_V2_IO_STAT) >= 0 && tally_cg_parse_iostat(rd->buf, st) == 0)
		st->has |= TALLY_CG_HAS_IO;
}

static void
pids_read(struct cg_rd *rd, struct tally_cg_stats *st, enum cg_file cur, enum cg_file max)
{
	bool is_max;

	if (read_u64(rd, cur, &st->pids_current, NULL))
		st->has |= TALLY_CG_HAS_PIDS;
	if (read_u64(rd, max, &st->pids_limit, &is_max) && !is_max)
		st->has |= TALLY_CG_HAS_PIDS_LIMIT;
}

static void
pids_v1(struct cg_rd *rd, struct tally_cg_stats *st)
{
	pids_read(rd, st, CG_F_PIDS_CUR, CG_F_PIDS_MAX);
}

static void
pids_v2(struct cg_rd *rd, struct tally_cg_stats *st)
{
	pids_read(rd, st, CG_F_V2_PIDS_CUR, CG_F_V2_PIDS_MAX);
}

static void
psi_v2(struct cg_rd *rd, struct tally_cg_stats *st)
{
	uint64_t unused = 0;

	if (read_file(rd, CG_F_V2_CPU_PSI) >= 0 &&
	    tally_cg_parse_psi(rd->buf, &st->psi_cpu_some_us, &unused) == 0)
		st->has |= TALLY_CG_HAS_PSI_CPU;
	if (read_file(rd, CG_F_V2_MEM_PSI) >= 0 &&
	    tally_cg_parse_psi(rd->buf, &st->psi_mem_some_us, &st->psi_mem_full_us) == 0)
		st->has |= TALLY_CG_HAS_PSI_MEM;
	if (read_file(rd, CG_F_V2_IO_PSI) >= 0 &&
	    tally_cg_parse_psi(rd->buf, &st->psi_io_some_us, &st->psi_io_full_us) == 0)
		st->has |= TALLY_CG_HAS_PSI_IO;
}

/*
 * The strategy table: for each family, readers in order of preference, each used when the
 * group exists in its hierarchy. A family's v2 reader only fills what v1 left empty.
 */
static const struct cg_strategy {
	enum tally_cg_hier hier;
	void (*read)(struct cg_rd *rd, struct tally_cg_stats *st);
	bool fallback_only; /* skip when an earlier reader of the family ran */
	int family;
} cg_strategies[] = {
	{ TALLY_CG_H_CPUACCT, cpu_v1, false, 0 }, { TALLY_CG_H_CPU, throttle_v1, false, 1 },
	{ TALLY_CG_H_V2, cpu_v2, false, 0 },      { TALLY_CG_H_MEMORY, mem_v1, false, 2 },
	{ TALLY_CG_H_V2, mem_v2, true, 2 },       { TALLY_CG_H_BLKIO, io_v1, false, 3 },
	{ TALLY_CG_H_V2, io_v2, true, 3 },        { TALLY_CG_H_PIDS, pids_v1, false, 4 },
	{ TALLY_CG_H_V2, pids_v2, true, 4 },      { TALLY_CG_H_V2, psi_v2, false, 5 },
};

int
tally_cg_group_read(struct cg_group *g, const struct tally_cg_mounts *m, struct cg_fdbudget *b,
                    struct tally_cg_stats *st)
{
	char buf[CG_BUF];
	struct cg_rd rd = { .g = g, .m = m, .b = b, .buf = buf };
	uint32_t families_done = 0;

	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < sizeof(cg_strategies) / sizeof(cg_strategies[0]); i++) {
		const struct cg_strategy *s = &cg_strategies[i];

		if (!(g->where & (1u << s->hier)) || !m->dir[s->hier])
			continue;
		if (s->fallback_only && (families_done & (1u << s->family)))
			continue;
		s->read(&rd, st);
		families_done |= 1u << s->family;
		if (rd.vanished)
			return -ENOENT;
	}
	/* Nothing readable: removed between listing and reading (or holds none of our files). */
	return st->has ? 0 : -ENOENT;
}

uint64_t
tally_cg_working_set(const struct tally_cg_stats *st)
{
	return st->mem_usage > st->mem_inactive_file ? st->mem_usage - st->mem_inactive_file : 0;
}

int
tally_cg_read_path(const struct tally_cg_mounts *m, const char *path, struct tally_cg_stats *st)
{
	struct cg_group g;
	char *p = (char *)path; /* borrowed; tally_cg_group_read does not write it */

	tally_cg_group_init(&g, p);
	tally_cg_group_locate(&g, m);
	if (!g.where)
		return -ENOENT;
	return tally_cg_group_read(&g, m, NULL, st);
}
