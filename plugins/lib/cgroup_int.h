/*
 * plugins/lib/cgroup_int.h: what the cgroup reader's files share and nobody else sees: the
 * table of files a group is read from, one group with its (optionally kept-open) descriptors,
 * and the pure parsers. Same threading as cgroup.h: one owner at a time.
 */
#ifndef TALLY_PLUGINS_CGROUP_INT_H
#define TALLY_PLUGINS_CGROUP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cgroup.h"

/* The files one group is read from; CG_FILES[] names each and its hierarchy. */
enum cg_file {
	CG_F_CPUACCT_USAGE = 0,
	CG_F_CPUACCT_STAT,
	CG_F_CPU_STAT,
	CG_F_MEM_STAT,
	CG_F_MEM_USAGE,
	CG_F_MEM_LIMIT,
	CG_F_BLKIO_BYTES,
	CG_F_PIDS_CUR,
	CG_F_PIDS_MAX,
	CG_F_V2_CPU_STAT,
	CG_F_V2_MEM_STAT,
	CG_F_V2_MEM_CUR,
	CG_F_V2_MEM_MAX,
	CG_F_V2_SWAP_CUR,
	CG_F_V2_IO_STAT,
	CG_F_V2_PIDS_CUR,
	CG_F_V2_PIDS_MAX,
	CG_F_V2_CPU_PSI,
	CG_F_V2_MEM_PSI,
	CG_F_V2_IO_PSI,
	CG_NFILES,
};

struct cg_file_desc {
	enum tally_cg_hier hier;
	const char *name;
};
extern const struct cg_file_desc tally_cg_files[CG_NFILES];

/* fd[] values besides an open descriptor. */
#define CG_FD_NONE   (-1) /* not opened yet */
#define CG_FD_ABSENT (-2) /* the file does not exist in this group (not retried) */

/* One group as the reader sees it. */
struct cg_group {
	char *path;                /* relative to each hierarchy's dir: "/" or "/a/b" */
	char *alt[TALLY_CG_NHIER]; /* a per-hierarchy path instead of path, or NULL */
	uint32_t where;            /* bit (1u << hier) for each hierarchy holding the group */
	int fd[CG_NFILES];         /* CG_FD_NONE, CG_FD_ABSENT or kept open */
};

/* The descriptor budget of a set; NULL means open, read and close every time. */
struct cg_fdbudget {
	size_t n_open, max_open;
};

/* A group with no descriptors (fd[] all CG_FD_NONE); path borrowed. */
void tally_cg_group_init(struct cg_group *g, char *path);
/* Closes the group's kept-open descriptors and returns them to the budget (may be NULL). */
void tally_cg_group_close(struct cg_group *g, struct cg_fdbudget *b);

/*
 * Reads every family of g into *st (zeroed first), through kept-open descriptors when b is
 * not NULL and has room. 0, or -ENOENT when the group has vanished.
 */
int tally_cg_group_read(struct cg_group *g, const struct tally_cg_mounts *m, struct cg_fdbudget *b,
                        struct tally_cg_stats *st);

/* Sets g->where from which hierarchies hold a directory for it. */
void tally_cg_group_locate(struct cg_group *g, const struct tally_cg_mounts *m);

/* A listing: selected group paths (in one string arena) and where each exists, sorted. */
struct cg_entry {
	size_t off;       /* of the path in arena */
	const char *path; /* arena + off, once the listing is complete */
	uint32_t where;
};
struct cg_list {
	struct cg_entry *v;
	size_t n, cap;
	char *arena;
	size_t arena_len, arena_cap;
	size_t n_excess; /* matched beyond max_cgroups, dropped */
};

/*
 * Walks every mounted hierarchy and lists the groups sel selects, sorted by path and merged
 * across hierarchies, at most sel->max_cgroups of them. unreadable[h] gets the negative errno
 * of a hierarchy whose root cannot be listed (0 otherwise). 0 or -ENOMEM.
 */
int tally_cg_list(const struct tally_cg_mounts *m, const struct tally_cg_select *sel,
                  struct cg_list *out, int *unreadable);
void tally_cg_list_free(struct cg_list *l);
/* True when sel selects path (include globs, none meaning all; then no exclude glob). */
bool tally_cg_selected(const struct tally_cg_select *sel, const char *path);

/* Parsers of the kernel's file formats; buf is NUL-terminated. */
/* One number, or "max" (returns 1, *v untouched); 0 on a number, -EINVAL otherwise. */
int tally_cg_parse_u64(const char *buf, uint64_t *v);
/*
 * Flat "key value" lines: for each keys[i] found, vals[i] is set and bit i of the result is
 * set. At most 32 keys.
 */
uint32_t tally_cg_parse_keyed(const char *buf, const char *const *keys, size_t n_keys,
                              uint64_t *vals);
/* v1 blkio.throttle.io_service_bytes: "MAJ:MIN Read N" lines summed and per device. */
int tally_cg_parse_blkio(const char *buf, struct tally_cg_stats *st);
/* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N ..." lines. */
int tally_cg_parse_iostat(const char *buf, struct tally_cg_stats *st);
/* PSI "some ... total=N" / "full ... total=N"; *full untouched when there is no full line. */
int tally_cg_parse_psi(const char *buf, uint64_t *some, uint64_t *full);

#endif
