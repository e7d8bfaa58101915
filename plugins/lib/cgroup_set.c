/*
 * cgroup_set: the selected groups of one check instance and the file descriptors kept open on
 * their files between runs. Re-reading an open cgroup file with pread() costs a fraction of
 * open+read+close, so a run over 1,000 groups stays near that floor. The cache is bounded:
 * it raises RLIMIT_NOFILE's soft limit within the hard limit for itself, closes the
 * descriptors of groups that vanished, and past its bound reads by open-per-read.
 */
#include <sys/resource.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_int.h"

#define CG_DEFAULT_MAX_FDS 16384
/* Descriptors left to the rest of the agent below the soft limit. */
#define CG_FD_RESERVE 256

struct tally_cg_set {
	const struct tally_cg_mounts *m;
	struct cg_group *groups; /* sorted by path */
	size_t n, cap;
	struct cg_fdbudget budget;
	struct cg_list list; /* reused by every refresh */
	size_t last_excess;
};

/* Raises the soft RLIMIT_NOFILE toward want (never past the hard limit); returns the bound. */
static size_t
fd_bound(size_t want)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)want + CG_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 0;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need) {
		struct rlimit up = rl;

		up.rlim_cur =
		    rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur == RLIM_INFINITY)
		return want;
	if (rl.rlim_cur <= CG_FD_RESERVE)
		return 0;
	return rl.rlim_cur - CG_FD_RESERVE < want ? (size_t)(rl.rlim_cur - CG_FD_RESERVE) : want;
}

struct tally_cg_set *
tally_cg_set_new(const struct tally_cg_mounts *m, size_t max_fds)
{
	struct tally_cg_set *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	s->m = m;
	s->budget.max_open = fd_bound(max_fds ? max_fds : CG_DEFAULT_MAX_FDS);
	return s;
}

static void
group_free(struct tally_cg_set *s, struct cg_group *g)
{
	tally_cg_group_close(g, &s->budget);
	free(g->path);
}

void
tally_cg_set_free(struct tally_cg_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		group_free(s, &s->groups[i]);
	free(s->groups);
	tally_cg_list_free(&s->list);
	free(s);
}

/* Merges the fresh listing into the kept groups: both are sorted by path. */
static int
merge(struct tally_cg_set *s)
{
	const struct cg_list *l = &s->list;
	struct cg_group *out = malloc((l->n ? l->n : 1) * sizeof(*out));
	size_t i = 0, j = 0, n = 0;

	if (!out)
		return -ENOMEM;
	while (i < s->n || j < l->n) {
		int c = i == s->n ? 1 : j == l->n ? -1 : strcmp(s->groups[i].path, l->v[j].path);

		if (c < 0) { /* vanished */
			group_free(s, &s->groups[i++]);
			continue;
		}
		if (c == 0) {
			out[n] = s->groups[i++];
			/* It appeared in or left a hierarchy: forget what was opened or absent. */
			if (out[n].where != l->v[j].where)
				tally_cg_group_close(&out[n], &s->budget);
		} else {
			char *p = strdup(l->v[j].path);

			if (!p)
				goto fail;
			tally_cg_group_init(&out[n], p);
		}
		out[n++].where = l->v[j++].where;
	}
	free(s->groups);
	s->groups = out;
	s->n = s->cap = n;
	return 0;
fail:
	/* Keep what was merged so far as the set; the rest of the old groups are closed. */
	for (; i < s->n; i++)
		group_free(s, &s->groups[i]);
	free(s->groups);
	s->groups = out;
	s->n = s->cap = n;
	return -ENOMEM;
}

int
tally_cg_set_refresh(struct tally_cg_set *s, const struct tally_cg_select *sel,
                     struct tally_cg_set_info *info)
{
	int rc = tally_cg_list(s->m, sel, &s->list, info->unreadable);

	if (rc == 0)
		rc = merge(s);
	info->n_groups = s->n;
	info->n_excess = s->list.n_excess;
	info->n_fds = s->budget.n_open;
	return rc;
}

size_t
tally_cg_set_count(const struct tally_cg_set *s)
{
	return s->n;
}

const char *
tally_cg_set_path(const struct tally_cg_set *s, size_t i)
{
	return i < s->n ? s->groups[i].path : NULL;
}

static bool
group_had_fds(const struct cg_group *g)
{
	for (int f = 0; f < CG_NFILES; f++) {
		if (g->fd[f] >= 0)
			return true;
	}
	return false;
}

int
tally_cg_set_read(struct tally_cg_set *s, size_t i, struct tally_cg_stats *st)
{
	int rc;

	if (i >= s->n)
		return -EINVAL;
	rc = tally_cg_group_read(&s->groups[i], s->m, &s->budget, st);
	/*
	 * A vanished group's descriptors are dead: give them back now, not at the next refresh.
	 * The path may already hold a new group (a restarted systemd service): read it afresh
	 * once, so the restart costs no run.
	 */
	if (rc == -ENOENT && group_had_fds(&s->groups[i])) {
		tally_cg_group_close(&s->groups[i], &s->budget);
		rc = tally_cg_group_read(&s->groups[i], s->m, &s->budget, st);
	}
	if (rc == -ENOENT)
		tally_cg_group_close(&s->groups[i], &s->budget);
	return rc;
}
