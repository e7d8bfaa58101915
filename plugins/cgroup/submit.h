/*
 * plugins/cgroup/submit.h: one group's stats as the cgroup check's metrics. Called from the
 * check's run() only (the ops and ctx are that run's).
 */
#ifndef TALLY_PLUGINS_CGROUP_SUBMIT_H
#define TALLY_PLUGINS_CGROUP_SUBMIT_H

#include <stdbool.h>

#include <tally/check.h>

#include "cgroup.h"

/* Block device names by MAJ:MIN (from /sys/dev/block), kept per instance; zero it to start. */
#define TALLY_CGROUP_DEVNAMES 32
struct tally_cgroup_devnames {
	struct {
		unsigned major, minor;
		char name[40]; /* "" when /sys/dev/block does not know it */
	} v[TALLY_CGROUP_DEVNAMES];
	size_t n;
};

/*
 * Submits st for the group at path (tag cgroup:<path>): gauges as they are, counters through
 * ops->rate so the agent turns them into per-second values. With devs (not NULL), the io rates
 * are also submitted per device (tags device:<MAJ:MIN> and, when known, device_name:<sda>).
 * Returns the number of submissions the agent dropped.
 */
size_t tally_cgroup_submit(const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
                           const char *path, const struct tally_cg_stats *st,
                           struct tally_cgroup_devnames *devs);

#endif
