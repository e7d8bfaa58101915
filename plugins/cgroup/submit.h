/*
 * plugins/cgroup/submit.h: one group's stats as the cgroup check's metrics. Called from the
 * check's run() only (the ops and ctx are that run's).
 */
#ifndef TALLY_PLUGINS_CGROUP_SUBMIT_H
#define TALLY_PLUGINS_CGROUP_SUBMIT_H

#include <stdbool.h>

#include <tally/check.h>

#include "cgroup.h"

/*
 * Submits st for the group at path (tag cgroup:<path>): gauges as they are, counters through
 * ops->rate so the agent turns them into per-second values. With per_device, the io rates are
 * also submitted per device (tag device:<MAJ:MIN>). Returns the number of submissions the
 * agent dropped.
 */
size_t tally_cgroup_submit(const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
                           const char *path, const struct tally_cg_stats *st, bool per_device);

#endif
