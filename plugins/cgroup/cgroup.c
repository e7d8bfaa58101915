/*
 * cgroup: per-cgroup CPU, memory, I/O, pids and pressure for the groups an instance selects
 * (Docker containers, systemd services, Kubernetes pods). The reading is plugins/lib's cgroup
 * library; this file binds the config, keeps one kept-open set per instance, reports what
 * cannot be read as the cgroup.can_read service check, and logs an over-long selection once.
 */
#include "cgroup.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <tally/check.h>

#include "submit.h"

struct cgroup_state {
	/* bound by the agent */
	const char *procfs_root;
	const char *cgroupfs_root;
	struct tally_check_strlist include;
	struct tally_check_strlist exclude;
	int64_t max_cgroups;
	bool io_per_device;
	int64_t max_open_files;
	/* made by init and run */
	char procfs[PATH_MAX], cgroupfs[PATH_MAX];
	struct tally_cg_mounts mounts;
	bool discovered;
	struct tally_cg_set *set;
	struct tally_cg_select sel;
	bool excess_logged;
	struct tally_cgroup_devnames devnames;
};

static const struct tally_check_conf cgroup_conf[] = {
	{ .key = "procfs_root",
	  .type = TALLY_CONF_STR,
	  .offset = offsetof(struct cgroup_state, procfs_root),
	  .doc = "where the host's /proc is (default /host/proc when it exists, else /proc)" },
	{ .key = "cgroupfs_root",
	  .type = TALLY_CONF_STR,
	  .offset = offsetof(struct cgroup_state, cgroupfs_root),
	  .doc =
	      "where the host's /sys/fs/cgroup is (default /host/sys/fs/cgroup when it exists)" },
	{ .key = "include",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct cgroup_state, include),
	  .doc = "globs over cgroup paths to read, e.g. /docker/*; none: every group" },
	{ .key = "exclude",
	  .type = TALLY_CONF_STRLIST,
	  .offset = offsetof(struct cgroup_state, exclude),
	  .doc = "globs over cgroup paths to skip (applied after include)" },
	{ .key = "max_cgroups",
	  .type = TALLY_CONF_INT,
	  .def = "1000",
	  .min = 1,
	  .max = 1000000,
	  .offset = offsetof(struct cgroup_state, max_cgroups),
	  .doc = "groups read per run; the excess is counted and logged once" },
	{ .key = "io_per_device",
	  .type = TALLY_CONF_BOOL,
	  .def = "false",
	  .offset = offsetof(struct cgroup_state, io_per_device),
	  .doc = "also submit cgroup.io.* per device (tags device:MAJ:MIN, device_name:NAME)" },
	{ .key = "max_open_files",
	  .type = TALLY_CONF_INT,
	  .def = "16384",
	  .min = 0,
	  .max = 1048576,
	  .offset = offsetof(struct cgroup_state, max_open_files),
	  .doc = "cgroup files kept open between runs; past it files are opened per read" },
	{ 0 },
};

/* Finds the mounts; 0, or a negative errno with the reason in err. */
static int
discover(struct cgroup_state *st, char *err, size_t err_len)
{
	int rc = tally_cg_mounts_discover(&st->mounts, st->procfs, st->cgroupfs);

	if (rc == 0) {
		st->discovered = true;
		st->set = tally_cg_set_new(&st->mounts, (size_t)st->max_open_files);
		if (!st->set) {
			tally_cg_mounts_clear(&st->mounts);
			st->discovered = false;
			rc = -ENOMEM;
		}
	}
	if (rc == -ENOENT)
		snprintf(err, err_len, "no %s/mounts nor %s/self/mountinfo", st->procfs,
		         st->procfs);
	else if (rc == -ENODEV)
		snprintf(err, err_len, "%s/mounts lists no cgroup mount under %s%s%s", st->procfs,
		         st->cgroupfs, st->mounts.err[0] ? ": " : "", st->mounts.err);
	else if (rc)
		snprintf(err, err_len, "cgroup discovery: %s", strerror(-rc));
	return rc;
}

static int
cgroup_init(void *state, char *err, size_t err_len)
{
	struct cgroup_state *st = state;
	char procfs[PATH_MAX], cgroupfs[PATH_MAX];

	tally_cg_default_roots("", procfs, sizeof(procfs), cgroupfs, sizeof(cgroupfs));
	snprintf(st->procfs, sizeof(st->procfs), "%s",
	         st->procfs_root && st->procfs_root[0] ? st->procfs_root : procfs);
	snprintf(st->cgroupfs, sizeof(st->cgroupfs), "%s",
	         st->cgroupfs_root && st->cgroupfs_root[0] ? st->cgroupfs_root : cgroupfs);
	st->sel = (struct tally_cg_select){
		.include = st->include.items,
		.n_include = st->include.n,
		.exclude = st->exclude.items,
		.n_exclude = st->exclude.n,
		.max_cgroups = (size_t)st->max_cgroups,
	};
	for (size_t i = 0; i < st->include.n; i++) {
		if (st->include.items[i][0] != '/') {
			snprintf(err, err_len, "include: \"%s\" does not start with /",
			         st->include.items[i]);
			return -EINVAL;
		}
	}
	/* No mounts yet is not fatal: run reports it as cgroup.can_read and retries. */
	discover(st, err, err_len);
	err[0] = '\0';
	return 0;
}

static const char *const hier_names[TALLY_CG_NHIER] = { "cpu",   "cpuacct", "memory",
	                                                "blkio", "pids",    "cgroup2" };

/* The can_read service check: OK, or WARNING naming each hierarchy that cannot be listed. */
static void
report_can_read(struct cgroup_state *st, const struct tally_check_ops *ops,
                struct tally_check_ctx *ctx, const struct tally_cg_set_info *info)
{
	char msg[1024] = "";
	size_t n = 0;

	for (int h = 0; h < TALLY_CG_NHIER && n < sizeof(msg); h++) {
		if (info->unreadable[h])
			n += (size_t)snprintf(msg + n, sizeof(msg) - n, "%s%s %s: %s",
			                      n ? "; " : "", hier_names[h], st->mounts.dir[h],
			                      strerror(-info->unreadable[h]));
	}
	if (n < sizeof(msg) && st->mounts.err[0])
		snprintf(msg + n, sizeof(msg) - n, "%s%s", n ? "; " : "", st->mounts.err);
	ops->service_check(ctx, "cgroup.can_read", msg[0] ? TALLY_CHECK_WARNING : TALLY_CHECK_OK,
	                   NULL, 0, msg);
}

static int
cgroup_run(void *state, const struct tally_check_ops *ops, struct tally_check_ctx *ctx)
{
	struct cgroup_state *st = state;
	struct tally_cg_set_info info;
	struct tally_cg_stats stats;
	size_t dropped = 0, n;
	char err[512];
	int rc;

	if (!st->discovered && discover(st, err, sizeof(err)) < 0) {
		ops->service_check(ctx, "cgroup.can_read", TALLY_CHECK_CRITICAL, NULL, 0, err);
		return 0;
	}
	rc = tally_cg_set_refresh(st->set, &st->sel, &info);
	if (rc < 0) {
		ops->log(ctx, TALLY_CHECK_LOG_ERROR, "listing cgroups: %s", strerror(-rc));
		return rc;
	}
	if (info.n_excess && !st->excess_logged)
		ops->log(ctx, TALLY_CHECK_LOG_WARN,
		         "max_cgroups reached: reading %zu groups, %zu more not read (logged once)",
		         info.n_groups, info.n_excess);
	st->excess_logged = info.n_excess > 0;
	n = tally_cg_set_count(st->set);
	for (size_t i = 0; i < n; i++) {
		/* A group removed since the listing is skipped quietly. */
		if (tally_cg_set_read(st->set, i, &stats) == 0)
			dropped +=
			    tally_cgroup_submit(ops, ctx, tally_cg_set_path(st->set, i), &stats,
			                        st->io_per_device ? &st->devnames : NULL);
	}
	/* How many matching groups max_cgroups leaves unread, 0 when none. */
	ops->gauge(ctx, "cgroup.excess", (double)info.n_excess, NULL, 0);
	report_can_read(st, ops, ctx, &info);
	(void)dropped; /* the agent counts and logs dropped submissions itself */
	return 0;
}

static void
cgroup_destroy(void *state)
{
	struct cgroup_state *st = state;

	tally_cg_set_free(st->set);
	st->set = NULL;
	tally_cg_mounts_clear(&st->mounts);
	st->discovered = false;
}

static const struct tally_check_plugin cgroup_check = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_plugin),
	.name = "cgroup",
	.version = "1.0.0",
	.state_size = sizeof(struct cgroup_state),
	.conf = cgroup_conf,
	.init = cgroup_init,
	.run = cgroup_run,
	.destroy = cgroup_destroy,
};

TALLY_CHECK_DEFINE(cgroup_check)
