/*
 * plugins/lib/cgroup.h: the cgroup reader shared by the cgroup and docker checks.
 *
 * Pure C over two configurable roots (procfs_root, cgroupfs_root), so the same code reads the
 * host, the host from inside a container (/host/proc, /host/sys/fs/cgroup), and fixture trees.
 * Nothing here submits metrics; callers turn a struct tally_cg_stats into submissions.
 *
 * API (stable; only ever added to):
 *   roots      tally_cg_default_roots()      /proc + /sys/fs/cgroup, or /host/... when present
 *   discovery  tally_cg_mounts_discover()    v1 (separate or co-mounted), v2, hybrid; re-rooted
 *              tally_cg_mounts_clear()
 *   one group  tally_cg_read_path()          stats of "/docker/<id>" (relative to the roots)
 *   a process  tally_cg_proc_read()          <procfs_root>/<pid>/cgroup -> tally_cg_procgroups
 *              tally_cg_read_pid()           stats of the groups a pid is in, per controller
 *              tally_cg_find_container()     path of a container id under the usual parents
 *              tally_cg_read_container()     both: stats of a container id
 *   many       tally_cg_set_new()            a kept-open set: list + select + fd cache
 *              tally_cg_set_refresh()        re-list (include/exclude globs, max_cgroups)
 *              tally_cg_set_read()           read group i through kept-open fds
 *              tally_cg_set_free()
 *
 * A container's stats (the docker check), after discovery once per instance:
 *   tally_cg_default_roots("", proc, sizeof(proc), cg, sizeof(cg));    (or configured roots)
 *   tally_cg_mounts_discover(&m, proc, cg);
 *   tally_cg_read_pid(&m, proc, init_pid, &st) or tally_cg_read_container(&m, id, &st, NULL, 0)
 * Units are the kernel's cumulative counters made uniform: CPU in ns (v1 ticks and v2 usec
 * converted), memory and io in bytes, pressure in usec. Build: add $(CGROUP_LIB) to _LIBADD
 * and -I$(top_srcdir)/plugins/lib to _CPPFLAGS (plugins/lib/cgroup.mk).
 *
 * Threads: no globals; every object belongs to one caller (one check instance) at a time.
 * Errors: 0 or a negative errno; a group that vanished reads as -ENOENT.
 */
#ifndef TALLY_PLUGINS_CGROUP_H
#define TALLY_PLUGINS_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Hierarchies the reader uses: the v1 controllers it reads, and the cgroup2 mount. */
enum tally_cg_hier {
	TALLY_CG_H_CPU = 0, /* v1 cpu: cpu.stat (throttling) */
	TALLY_CG_H_CPUACCT, /* v1 cpuacct: cpuacct.usage, cpuacct.stat */
	TALLY_CG_H_MEMORY,  /* v1 memory */
	TALLY_CG_H_BLKIO,   /* v1 blkio */
	TALLY_CG_H_PIDS,    /* v1 pids */
	TALLY_CG_H_V2,      /* the cgroup2 mount (pure v2, or /sys/fs/cgroup/unified on hybrid) */
	TALLY_CG_NHIER,
};

/* Where each hierarchy is readable, after re-rooting under cgroupfs_root. */
struct tally_cg_mounts {
	char *dir[TALLY_CG_NHIER];      /* NULL: not mounted (or not readable: see err) */
	char *mnt_root[TALLY_CG_NHIER]; /* the mount's root inside its hierarchy ("/" usually) */
	int version;                    /* 1: any v1 controller (hybrid too); 2: cgroup2 only */
	bool hybrid;                    /* v1 controllers and a cgroup2 mount */
	char err[256];                  /* why a found hierarchy cannot be read; "" if none */
};

/*
 * Fills procfs (procfs_len bytes) and cgroupfs with the default roots: /host/proc and
 * /host/sys/fs/cgroup when those exist (a containerised agent), else /proc and /sys/fs/cgroup,
 * or /cgroup when only that holds memory/memory.stat (old Amazon Linux). fsroot prefixes every
 * probe ("" in production; a fixture tree in tests) and is also prefixed to the results.
 */
void tally_cg_default_roots(const char *fsroot, char *procfs, size_t procfs_len, char *cgroupfs,
                            size_t cgroupfs_len);

/*
 * Reads <procfs_root>/mounts (or <procfs_root>/self/mountinfo when that is missing) and fills
 * m. A mount at /sys/fs/cgroup/X or /cgroup/X (any prefix ending there) is read at
 * <cgroupfs_root>/X; a mount already under cgroupfs_root is read where it is and preferred
 * (the Docker 1.8 lesson: a container sees its own cgroup mounts too). Among several mounts
 * of one controller the preferred, then the shortest, wins. Returns 0, -ENOENT when no mounts
 * file exists, -ENODEV when it lists no cgroup mount. Free with tally_cg_mounts_clear().
 */
int tally_cg_mounts_discover(struct tally_cg_mounts *m, const char *procfs_root,
                             const char *cgroupfs_root);
void tally_cg_mounts_clear(struct tally_cg_mounts *m);

/* Devices kept per group in tally_cg_stats (the rest is in the totals only). */
#define TALLY_CG_MAX_DEV 16

/* Bits of tally_cg_stats.has: which fields were read. */
enum {
	TALLY_CG_HAS_CPU = 1u << 0,      /* cpu_usage_ns */
	TALLY_CG_HAS_CPU_US = 1u << 1,   /* cpu_user_ns, cpu_system_ns */
	TALLY_CG_HAS_THROTTLE = 1u << 2, /* cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns */
	TALLY_CG_HAS_MEM = 1u << 3,      /* mem_usage */
	TALLY_CG_HAS_MEM_STAT = 1u << 4, /* mem_rss, mem_cache, mem_inactive_file, mem_pgmajfault */
	TALLY_CG_HAS_MEM_SWAP = 1u << 5, /* mem_swap */
	TALLY_CG_HAS_MEM_LIMIT = 1u << 6,  /* mem_limit (only when a limit is set) */
	TALLY_CG_HAS_IO = 1u << 7,         /* io_read_bytes, io_write_bytes, dev[] */
	TALLY_CG_HAS_PIDS = 1u << 8,       /* pids_current */
	TALLY_CG_HAS_PIDS_LIMIT = 1u << 9, /* pids_limit (only when not "max") */
	TALLY_CG_HAS_PSI_CPU = 1u << 10,   /* psi_cpu_some_us */
	TALLY_CG_HAS_PSI_MEM = 1u << 11,   /* psi_mem_some_us, psi_mem_full_us */
	TALLY_CG_HAS_PSI_IO = 1u << 12,    /* psi_io_some_us, psi_io_full_us */
};

struct tally_cg_dev {
	unsigned major, minor;
	uint64_t read_bytes, write_bytes;
};

/* One group's counters, in the kernel's cumulative form (callers rate them). */
struct tally_cg_stats {
	uint32_t has; /* TALLY_CG_HAS_* */
	uint64_t cpu_usage_ns, cpu_user_ns, cpu_system_ns;
	uint64_t cpu_nr_periods, cpu_nr_throttled, cpu_throttled_ns;
	uint64_t mem_usage, mem_rss, mem_cache, mem_swap, mem_inactive_file, mem_limit;
	uint64_t mem_pgmajfault;
	uint64_t io_read_bytes, io_write_bytes;
	size_t n_dev;
	struct tally_cg_dev dev[TALLY_CG_MAX_DEV];
	uint64_t pids_current, pids_limit;
	uint64_t psi_cpu_some_us, psi_mem_some_us, psi_mem_full_us, psi_io_some_us, psi_io_full_us;
};

/* usage minus inactive file (what cAdvisor and docker stats call the working set), >= 0. */
uint64_t tally_cg_working_set(const struct tally_cg_stats *st);

/*
 * Reads group path ("/" or "/a/b", relative to every hierarchy's root) into *st: for each
 * metric family the v1 controller when the group exists there, else the cgroup2 mount. Opens
 * and closes each file. Returns 0 when the group exists in at least one hierarchy, -ENOENT
 * otherwise.
 */
int tally_cg_read_path(const struct tally_cg_mounts *m, const char *path,
                       struct tally_cg_stats *st);

/* The groups of one process, from <procfs_root>/<pid>/cgroup. */
struct tally_cg_procgroups {
	char *path[TALLY_CG_NHIER]; /* per hierarchy, relative to its mount root; NULL: none */
};

/*
 * Parses <procfs_root>/<pid>/cgroup (v1 lines "ID:ctrl[,ctrl]:/path", the v2 line "0::/path")
 * into *pg, with each path made relative to the mount's root (a container's own namespaced
 * mount). Returns 0, -ENOENT when the process is gone. Free with tally_cg_procgroups_clear().
 */
int tally_cg_proc_read(const struct tally_cg_mounts *m, const char *procfs_root, int pid,
                       struct tally_cg_procgroups *pg);
void tally_cg_procgroups_clear(struct tally_cg_procgroups *pg);

/* Reads the stats of the groups pid is in (each controller at that controller's path). */
int tally_cg_read_pid(const struct tally_cg_mounts *m, const char *procfs_root, int pid,
                      struct tally_cg_stats *st);

/*
 * Finds a container's group by its id: tries /docker/<id>, /system.slice/docker-<id>.scope,
 * /<id>, /lxc/<id> and /docker-daemon/docker/<id> in the memory, cpuacct, then v2 hierarchy.
 * Writes the first found into out (out_len bytes). Returns 0, -ENOENT, -ENAMETOOLONG.
 */
int tally_cg_find_container(const struct tally_cg_mounts *m, const char *id, char *out,
                            size_t out_len);

/*
 * tally_cg_find_container() then tally_cg_read_path(): a container's stats by its id. The path
 * found goes to path (path_len bytes; may be NULL). 0, -ENOENT, -EINVAL.
 */
int tally_cg_read_container(const struct tally_cg_mounts *m, const char *id,
                            struct tally_cg_stats *st, char *path, size_t path_len);

/* Selection of a set: globs over group paths (fnmatch, FNM_PATHNAME: '*' stops at '/'). */
struct tally_cg_select {
	const char *const *include; /* none: every group */
	size_t n_include;
	const char *const *exclude;
	size_t n_exclude;
	size_t max_cgroups; /* 0: no limit */
};

/* Opaque: the selected groups of one instance and their kept-open file descriptors. */
struct tally_cg_set;

/*
 * A set over m (borrowed: must outlive the set) keeping at most max_fds descriptors open
 * (0: 16384), raising RLIMIT_NOFILE's soft limit toward the hard limit for them; past the
 * bound files are opened per read. NULL on allocation failure.
 */
struct tally_cg_set *tally_cg_set_new(const struct tally_cg_mounts *m, size_t max_fds);
void tally_cg_set_free(struct tally_cg_set *s);

/* What the last refresh found. */
struct tally_cg_set_info {
	size_t n_groups;                /* selected (at most max_cgroups) */
	size_t n_excess;                /* matched but over max_cgroups, not read */
	size_t n_fds;                   /* descriptors kept open now */
	int unreadable[TALLY_CG_NHIER]; /* negative errno of a hierarchy that cannot be listed */
};

/*
 * Lists every hierarchy's groups, keeps the selected (sorted by path, at most max_cgroups),
 * keeps the descriptors of groups still there and closes those of vanished ones. Borrows sel.
 * Returns 0 or -ENOMEM; an unlistable hierarchy is reported in info, not as an error.
 */
int tally_cg_set_refresh(struct tally_cg_set *s, const struct tally_cg_select *sel,
                         struct tally_cg_set_info *info);

/* The number of selected groups and the path of group i (borrowed until the next refresh). */
size_t tally_cg_set_count(const struct tally_cg_set *s);
const char *tally_cg_set_path(const struct tally_cg_set *s, size_t i);

/* Reads group i into *st through kept-open fds. -ENOENT: it vanished since the refresh. */
int tally_cg_set_read(struct tally_cg_set *s, size_t i, struct tally_cg_stats *st);

#endif
