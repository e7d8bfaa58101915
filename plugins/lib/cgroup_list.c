/*
 * cgroup_list: which groups exist and are selected. Walks each mounted hierarchy once per
 * refresh (co-mounted controllers share one walk), descends only where an include glob could
 * still match deeper, and skips opening leaf directories (a cgroupfs directory's link count is
 * 2 plus its subgroups), because on 1,000 groups the listing would otherwise cost as much as
 * the reading.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cgroup_int.h"

/* Walk state of one hierarchy. */
struct cg_walk {
	const struct tally_cg_select *sel;
	struct cg_list *out;
	uint32_t bits;
	char path[PATH_MAX];
	int rc;
};

bool
tally_cg_selected(const struct tally_cg_select *sel, const char *path)
{
	bool in = sel->n_include == 0;

	for (size_t i = 0; i < sel->n_include && !in; i++)
		in = fnmatch(sel->include[i], path, FNM_PATHNAME) == 0;
	for (size_t i = 0; i < sel->n_exclude && in; i++)
		in = fnmatch(sel->exclude[i], path, FNM_PATHNAME) != 0;
	return in;
}

/* Number of '/'-separated components of a glob ("/docker/ *" has 2). */
static size_t
glob_depth(const char *g)
{
	size_t n = 0;

	for (; *g; g++) {
		if (*g == '/' && g[1] && g[1] != '/')
			n++;
	}
	return n;
}

/*
 * Whether a group at path (depth components) may have selected descendants: with no include,
 * always; else when some include glob is deeper and its first depth components match path.
 */
static bool
may_descend(const struct tally_cg_select *sel, const char *path, size_t depth)
{
	char prefix[PATH_MAX];

	if (sel->n_include == 0)
		return true;
	for (size_t i = 0; i < sel->n_include; i++) {
		const char *g = sel->include[i], *cut = g;
		size_t d = 0;

		if (glob_depth(g) <= depth)
			continue;
		if (depth == 0)
			return true;
		/* The first depth components of the glob: up to its depth+1'th '/'. */
		for (cut = g + 1; *cut && d < depth; cut++) {
			if (*cut == '/')
				d++;
		}
		if (d == depth)
			cut--;
		if ((size_t)(cut - g) >= sizeof(prefix))
			return true;
		memcpy(prefix, g, (size_t)(cut - g));
		prefix[cut - g] = '\0';
		if (fnmatch(prefix, path, FNM_PATHNAME) == 0)
			return true;
	}
	return false;
}

static int
list_add(struct cg_list *l, const char *path, uint32_t bits)
{
	size_t len = strlen(path) + 1;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 256;
		struct cg_entry *v = realloc(l->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	if (l->arena_len + len > l->arena_cap) {
		size_t cap = l->arena_cap ? l->arena_cap * 2 : 16384;
		char *a;

		while (cap < l->arena_len + len)
			cap *= 2;
		a = realloc(l->arena, cap);
		if (!a)
			return -ENOMEM;
		l->arena = a;
		l->arena_cap = cap;
	}
	memcpy(l->arena + l->arena_len, path, len);
	l->v[l->n++] = (struct cg_entry){ .off = l->arena_len, .where = bits };
	l->arena_len += len;
	return 0;
}

/* cgroupfs fills d_type; a fixture's filesystem may not. */
static bool
is_dir(int dfd, const struct dirent *de)
{
	struct stat sb;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dfd, de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(sb.st_mode);
}

/* Lists the subgroups of the directory dfd (at w->path, depth components); takes dfd. */
static void
walk_dir(struct cg_walk *w, int dfd, size_t depth)
{
	size_t plen = strlen(w->path);
	DIR *d = fdopendir(dfd);
	struct dirent *de;

	if (!d) {
		close(dfd);
		return;
	}
	while (w->rc == 0 && (de = readdir(d)) != NULL) {
		struct stat sb;
		size_t nlen, off;
		int cfd;

		if (de->d_name[0] == '.' || !is_dir(dirfd(d), de))
			continue;
		/* "/" + name at the root, "/a" + "/" + name below it. */
		nlen = strlen(de->d_name);
		if (plen + 2 + nlen > sizeof(w->path))
			continue;
		off = plen == 1 ? 1 : plen + 1;
		w->path[off - 1] = '/';
		memcpy(w->path + off, de->d_name, nlen + 1);
		/* Selected or not: filter() decides once per path, after the hierarchies fold. */
		w->rc = list_add(w->out, w->path, w->bits);
		if (w->rc == 0 && may_descend(w->sel, w->path, depth + 1) &&
		    !(fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		      sb.st_nlink == 2)) {
			cfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
			if (cfd >= 0)
				walk_dir(w, cfd, depth + 1);
		}
		w->path[plen] = '\0';
	}
	w->path[plen] = '\0';
	closedir(d);
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct cg_entry *x = a, *y = b;

	return strcmp(x->path, y->path);
}

/* Sorts by path and merges duplicates (one group seen in several hierarchies). */
static void
sort_merge(struct cg_list *l)
{
	size_t w = 0;

	/* The arena no longer moves: entries can point into it. */
	for (size_t i = 0; i < l->n; i++)
		l->v[i].path = l->arena + l->v[i].off;
	qsort(l->v, l->n, sizeof(*l->v), cmp_entry);
	for (size_t r = 0; r < l->n; r++) {
		if (w && strcmp(l->v[w - 1].path, l->v[r].path) == 0)
			l->v[w - 1].where |= l->v[r].where;
		else
			l->v[w++] = l->v[r];
	}
	l->n = w;
}

/* Keeps the entries sel selects. */
static void
filter(struct cg_list *l, const struct tally_cg_select *sel)
{
	size_t w = 0;

	for (size_t r = 0; r < l->n; r++) {
		if (tally_cg_selected(sel, l->arena + l->v[r].off))
			l->v[w++] = l->v[r];
	}
	l->n = w;
}

/*
 * The hierarchies usually hold the same groups, and kernfs lists a directory in an order that
 * depends only on its names: when hierarchy k listed exactly what the first one did, in the
 * same order, fold it into the first one's entries instead of sorting it in again.
 */
static void
fold_chunk(struct cg_list *l, size_t first_n, size_t start, size_t start_arena)
{
	size_t n = l->n - start;

	if (n != first_n)
		return;
	for (size_t i = 0; i < n; i++) {
		if (strcmp(l->arena + l->v[i].off, l->arena + l->v[start + i].off) != 0)
			return;
	}
	for (size_t i = 0; i < n; i++)
		l->v[i].where |= l->v[start + i].where;
	l->n = start;
	l->arena_len = start_arena;
}

int
tally_cg_list(const struct tally_cg_mounts *m, const struct tally_cg_select *sel,
              struct cg_list *out, int *unreadable)
{
	struct cg_walk w = { .sel = sel, .out = out };
	size_t first_n = SIZE_MAX, start, start_arena;

	out->n = out->arena_len = out->n_excess = 0;
	for (int h = 0; h < TALLY_CG_NHIER; h++) {
		int dfd;
		bool done = false;

		unreadable[h] = 0;
		if (!m->dir[h])
			continue;
		/* Co-mounted controllers (cpu,cpuacct) are one directory: walk it once. */
		w.bits = 0;
		for (int k = 0; k < TALLY_CG_NHIER; k++) {
			if (m->dir[k] && strcmp(m->dir[k], m->dir[h]) == 0) {
				done |= k < h;
				w.bits |= 1u << k;
			}
		}
		if (done)
			continue;
		dfd = open(m->dir[h], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd < 0) {
			unreadable[h] = -errno;
			continue;
		}
		start = out->n;
		start_arena = out->arena_len;
		strcpy(w.path, "/");
		w.rc = list_add(out, "/", w.bits);
		walk_dir(&w, dfd, 0);
		if (w.rc)
			return w.rc;
		if (first_n == SIZE_MAX)
			first_n = out->n;
		else
			fold_chunk(out, first_n, start, start_arena);
	}
	filter(out, sel);
	sort_merge(out);
	if (sel->max_cgroups && out->n > sel->max_cgroups) {
		out->n_excess = out->n - sel->max_cgroups;
		out->n = sel->max_cgroups;
	}
	return 0;
}

void
tally_cg_list_free(struct cg_list *l)
{
	free(l->v);
	free(l->arena);
	memset(l, 0, sizeof(*l));
}
