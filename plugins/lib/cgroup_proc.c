/*
 * cgroup_proc: the groups of one process (<procfs_root>/<pid>/cgroup) and of one container
 * id, so the docker check can read a container's cgroup from its init pid or its id.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_int.h"

void
tally_cg_procgroups_clear(struct tally_cg_procgroups *pg)
{
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		free(pg->path[h]);
		pg->path[h] = NULL;
	}
}

/* Bits of the hierarchies a /proc/<pid>/cgroup controller list names ("" is cgroup2). */
static uint32_t
line_hiers(const char *ctrls, size_t len)
{
	static const struct {
		const char *name;
		enum tally_cg_hier h;
	} names[] = {
		{ "cpu", TALLY_CG_H_CPU },       { "cpuacct", TALLY_CG_H_CPUACCT },
		{ "memory", TALLY_CG_H_MEMORY }, { "blkio", TALLY_CG_H_BLKIO },
		{ "pids", TALLY_CG_H_PIDS },
	};
	uint32_t bits = 0;

	if (len == 0)
		return 1u << TALLY_CG_H_V2;
	for (const char *p = ctrls, *end = ctrls + len; p < end;) {
		size_t n = strcspn(p, ",:");

		if (p + n > end)
			n = (size_t)(end - p);
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == n && memcmp(p, names[i].name, n) == 0)
				bits |= 1u << names[i].h;
		}
		p += n + 1;
	}
	return bits;
}

/* path made relative to the mount's root when the mount shows only a subtree. */
static char *
strip_root(const char *path, const char *root)
{
	size_t rl = root ? strlen(root) : 0;

	if (rl > 1 && strncmp(path, root, rl) == 0 && (path[rl] == '/' || !path[rl]))
		return strdup(path[rl] ? path + rl : "/");
	return strdup(path);
}

int
tally_cg_proc_read(const struct tally_cg_mounts *m, const char *procfs_root, int pid,
                   struct tally_cg_procgroups *pg)
{
	char path[PATH_MAX], *line = NULL;
	size_t cap = 0;
	int rc = 0;
	FILE *f;

	memset(pg, 0, sizeof(*pg));
	snprintf(path, sizeof(path), "%s/%d/cgroup", procfs_root, pid);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (rc == 0 && getline(&line, &cap, f) > 0) {
		char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
		uint32_t bits;

		if (!c2)
			continue;
		line[strcspn(line, "\n")] = '\0';
		bits = line_hiers(c1 + 1, (size_t)(c2 - c1 - 1));
		for (int h = 0; h < TALLY_CG_NHIER && rc == 0; h++) {
			if (!(bits & (1u << h)) || pg->path[h])
				continue;
			pg->path[h] = strip_root(c2 + 1, m->mnt_root[h]);
			if (!pg->path[h])
				rc = -ENOMEM;
		}
	}
	free(line);
	fclose(f);
	if (rc)
		tally_cg_procgroups_clear(pg);
	return rc;
}

int
tally_cg_read_pid(const struct tally_cg_mounts *m, const char *procfs_root, int pid,
                  struct tally_cg_stats *st)
{
	struct tally_cg_procgroups pg;
	struct cg_group g;
	char root[] = "/";
	int rc = tally_cg_proc_read(m, procfs_root, pid, &pg);

	if (rc)
		return rc;
	tally_cg_group_init(&g, root);
	for (int h = 0; h < TALLY_CG_NHIER; h++)
		g.alt[h] = pg.path[h];
	tally_cg_group_locate(&g, m);
	/* A controller the process has no line for is not read as the root group. */
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		if (!pg.path[h])
			g.where &= ~(1u << h);
	}
	rc = g.where ? tally_cg_group_read(&g, m, NULL, st) : -ENOENT;
	tally_cg_procgroups_clear(&pg);
	return rc;
}

int
tally_cg_find_container(const struct tally_cg_mounts *m, const char *id, char *out, size_t out_len)
{
	static const struct {
		const char *pre, *suf;
	} fmts[] = { { "/docker/", "" },
		     { "/system.slice/docker-", ".scope" },
		     { "/", "" },
		     { "/lxc/", "" },
		     { "/docker-daemon/docker/", "" } };
	static const enum tally_cg_hier order[] = { TALLY_CG_H_MEMORY, TALLY_CG_H_CPUACCT,
		                                    TALLY_CG_H_V2 };
	char rel[PATH_MAX], full[PATH_MAX];
	struct stat sb;

	if (!id[0] || strchr(id, '/'))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		snprintf(rel, sizeof(rel), "%s%s%s", fmts[i].pre, id, fmts[i].suf);
		for (size_t j = 0; j < sizeof(order) / sizeof(order[0]); j++) {
			const char *dir = m->dir[order[j]];

			if (!dir ||
			    snprintf(full, sizeof(full), "%s%s", dir, rel) >= (int)sizeof(full))
				continue;
			if (stat(full, &sb) == 0 && S_ISDIR(sb.st_mode)) {
				if (snprintf(out, out_len, "%s", rel) >= (int)out_len)
					return -ENAMETOOLONG;
				return 0;
			}
		}
	}
	return -ENOENT;
}

int
tally_cg_read_container(const struct tally_cg_mounts *m, const char *id, struct tally_cg_stats *st,
                        char *path, size_t path_len)
{
	char found[PATH_MAX];
	int rc = tally_cg_find_container(m, id, found, sizeof(found));

	if (rc == 0)
		rc = tally_cg_read_path(m, found, st);
	if (rc == 0 && path && snprintf(path, path_len, "%s", found) >= (int)path_len)
		rc = -ENAMETOOLONG;
	return rc;
}
