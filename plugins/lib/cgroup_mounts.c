/*
 * cgroup_mounts: where each cgroup hierarchy can be read. Parses <procfs_root>/mounts (or
 * self/mountinfo), keeps the cgroup and cgroup2 mounts, and re-roots each host mount point
 * under cgroupfs_root, so that a containerised agent given only the host's /proc/mounts reads
 * /sys/fs/cgroup/memory at /host/sys/fs/cgroup/memory.
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_int.h"

static bool
exists(const char *a, const char *b)
{
	char path[PATH_MAX];
	struct stat sb;

	if (snprintf(path, sizeof(path), "%s%s", a, b) >= (int)sizeof(path))
		return false;
	return stat(path, &sb) == 0;
}

void
tally_cg_default_roots(const char *fsroot, char *procfs, size_t procfs_len, char *cgroupfs,
                       size_t cgroupfs_len)
{
	const char *cg = "/sys/fs/cgroup";

	snprintf(procfs, procfs_len, "%s%s", fsroot,
	         exists(fsroot, "/host/proc") ? "/host/proc" : "/proc");
	if (exists(fsroot, "/host/sys/fs/cgroup"))
		cg = "/host/sys/fs/cgroup";
	else if (exists(fsroot, "/cgroup/memory/memory.stat") &&
	         !exists(fsroot, "/sys/fs/cgroup/memory/memory.stat") &&
	         !exists(fsroot, "/sys/fs/cgroup/cgroup.controllers"))
		cg = "/cgroup"; /* old Amazon Linux */
	snprintf(cgroupfs, cgroupfs_len, "%s%s", fsroot, cg);
}

/* Undoes the kernel's octal escapes (\040 for a space) in place. */
static void
unescape(char *s)
{
	char *w = s;

	for (char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] >= '0' && r[1] <= '3' && r[2] >= '0' && r[2] <= '7' &&
		    r[3] >= '0' && r[3] <= '7') {
			*w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
			r += 3;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* One cgroup mount as listed. */
struct cg_mnt {
	char *point, *root, *fstype, *opts;
};

/* Splits a /proc/mounts line "src point type opts 0 0". */
static bool
parse_mounts_line(char *line, struct cg_mnt *mt)
{
	char *save = NULL;

	if (!strtok_r(line, " ", &save))
		return false;
	mt->point = strtok_r(NULL, " ", &save);
	mt->fstype = strtok_r(NULL, " ", &save);
	mt->opts = strtok_r(NULL, " ", &save);
	mt->root = NULL; /* /proc/mounts does not say: the hierarchy's root */
	return mt->opts != NULL;
}

/* Splits a mountinfo line "id parent maj:min root point opts [tags] - type src superopts". */
static bool
parse_mountinfo_line(char *line, struct cg_mnt *mt)
{
	char *save = NULL, *tok;
	int i = 0;

	for (tok = strtok_r(line, " ", &save); tok && i < 5;
	     tok = strtok_r(NULL, " ", &save), i++) {
		if (i == 3)
			mt->root = tok;
		if (i == 4)
			mt->point = tok;
	}
	while (tok && strcmp(tok, "-") != 0)
		tok = strtok_r(NULL, " ", &save);
	if (!tok)
		return false;
	mt->fstype = strtok_r(NULL, " ", &save);
	if (!strtok_r(NULL, " ", &save))
		return false;
	mt->opts = strtok_r(NULL, " \n", &save); /* super options name the controllers */
	return i == 5 && mt->opts != NULL;
}

/* Bit (1u << hier) for every v1 controller we read that opts lists. */
static uint32_t
v1_controllers(const char *opts)
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
	const char *p = opts;

	while (*p) {
		size_t len = strcspn(p, ",\n");

		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == len && memcmp(p, names[i].name, len) == 0)
				bits |= 1u << names[i].h;
		}
		p += len;
		if (*p)
			p++;
	}
	return bits;
}

/*
 * Where the host mount point is read: as is when already under cgroupfs_root (preferred), else
 * <cgroupfs_root> + what follows the last "/sys/fs/cgroup" or a leading "/cgroup", else
 * <cgroupfs_root>/<basename>.
 */
static int
reroot(const char *point, const char *cgroupfs_root, char *out, size_t len, bool *preferred)
{
	size_t rl = strlen(cgroupfs_root);
	const char *rel = NULL, *p = point;
	int n;

	while (rl > 1 && cgroupfs_root[rl - 1] == '/')
		rl--;
	*preferred = strncmp(point, cgroupfs_root, rl) == 0 && (point[rl] == '/' || !point[rl]);
	if (*preferred) {
		n = snprintf(out, len, "%s", point);
		return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
	}
	while ((p = strstr(p, "/sys/fs/cgroup")) != NULL) {
		if (p[14] == '/' || !p[14])
			rel = p + 14;
		p += 14;
	}
	if (!rel && strncmp(point, "/cgroup", 7) == 0 && (point[7] == '/' || !point[7]))
		rel = point + 7;
	if (!rel)
		rel = strrchr(point, '/');
	n = snprintf(out, len, "%.*s%s", (int)rl, cgroupfs_root, rel ? rel : "");
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/*
 * Keeps candidate dir for h when it beats what is there: the higher rank first (2: mounted
 * under cgroupfs_root, 1: mounted under /host/, dd-agent's rule, 0: other), then shorter.
 */
static void
offer(struct tally_cg_mounts *m, int *pref, enum tally_cg_hier h, const char *dir, const char *root,
      int preferred)
{
	if (m->dir[h] &&
	    (pref[h] > preferred || (pref[h] == preferred && strlen(m->dir[h]) <= strlen(dir))))
		return;
	free(m->dir[h]);
	free(m->mnt_root[h]);
	m->dir[h] = strdup(dir);
	m->mnt_root[h] = strdup(root);
	pref[h] = preferred;
}

static void
consider(struct tally_cg_mounts *m, int *pref, struct cg_mnt *mt, const char *cgroupfs_root)
{
	char dir[PATH_MAX];
	bool preferred;
	uint32_t bits;
	struct stat sb;

	if (strcmp(mt->fstype, "cgroup2") == 0)
		bits = 1u << TALLY_CG_H_V2;
	else if (strcmp(mt->fstype, "cgroup") == 0)
		bits = v1_controllers(mt->opts);
	else
		return;
	if (!bits)
		return;
	unescape(mt->point);
	if (mt->root)
		unescape(mt->root);
	if (reroot(mt->point, cgroupfs_root, dir, sizeof(dir), &preferred) < 0)
		return;
	if (stat(dir, &sb) < 0 || !S_ISDIR(sb.st_mode)) {
		if (!m->err[0])
			snprintf(m->err, sizeof(m->err), "%s (mounted at %s): %s", dir, mt->point,
			         strerror(errno ? errno : ENOTDIR));
		return;
	}
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		if (bits & (1u << h))
			offer(m, pref, h, dir, mt->root ? mt->root : "/",
			      preferred ? 2 : strncmp(mt->point, "/host/", 6) == 0);
	}
}

int
tally_cg_mounts_discover(struct tally_cg_mounts *m, const char *procfs_root,
                         const char *cgroupfs_root)
{
	char path[PATH_MAX], *line = NULL;
	int pref[TALLY_CG_NHIER] = { 0 };
	bool info = false;
	size_t cap = 0;
	FILE *f;

	memset(m, 0, sizeof(*m));
	snprintf(path, sizeof(path), "%s/mounts", procfs_root);
	f = fopen(path, "re");
	if (!f) {
		snprintf(path, sizeof(path), "%s/self/mountinfo", procfs_root);
		f = fopen(path, "re");
		info = true;
	}
	if (!f)
		return -ENOENT;
	while (getline(&line, &cap, f) > 0) {
		struct cg_mnt mt = { 0 };

		line[strcspn(line, "\n")] = '\0';
		if (info ? parse_mountinfo_line(line, &mt) : parse_mounts_line(line, &mt))
			consider(m, pref, &mt, cgroupfs_root);
	}
	free(line);
	fclose(f);
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		if (h != TALLY_CG_H_V2 && m->dir[h])
			m->version = 1;
	}
	m->hybrid = m->version == 1 && m->dir[TALLY_CG_H_V2];
	if (!m->version && m->dir[TALLY_CG_H_V2])
		m->version = 2;
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		if (m->dir[h] && !m->mnt_root[h]) {
			tally_cg_mounts_clear(m);
			return -ENOMEM;
		}
	}
	/* Pure v2: every controller lives in the one hierarchy. */
	return m->version ? 0 : -ENODEV;
}

void
tally_cg_mounts_clear(struct tally_cg_mounts *m)
{
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		free(m->dir[h]);
		free(m->mnt_root[h]);
		m->dir[h] = m->mnt_root[h] = NULL;
	}
	m->version = 0;
	m->hybrid = false;
}
