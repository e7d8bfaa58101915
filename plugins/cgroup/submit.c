/*
 * submit: the cgroup check's metric names and units. CPU counters are nanoseconds: a rate of
 * ns / 1e7 is percent of one core (Datadog's docker.cpu.* unit); pressure totals are
 * microseconds: a rate of us / 1e4 is percent of wall time stalled. Everything cumulative goes
 * through ops->rate, so the check itself keeps no previous samples.
 */
#include "submit.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct sub {
	const struct tally_check_ops *ops;
	struct tally_check_ctx *ctx;
	const char *tags[3];
	size_t n_tags, dropped;
};

static void
gauge(struct sub *s, const char *name, double v)
{
	if (s->ops->gauge(s->ctx, name, v, s->tags, s->n_tags) < 0)
		s->dropped++;
}

static void
rate(struct sub *s, const char *name, double v)
{
	if (s->ops->rate(s->ctx, name, v, s->tags, s->n_tags) < 0)
		s->dropped++;
}

static void
submit_cpu(struct sub *s, const struct tally_cg_stats *st)
{
	if (st->has & TALLY_CG_HAS_CPU)
		rate(s, "cgroup.cpu.usage", (double)st->cpu_usage_ns / 1e7);
	if (st->has & TALLY_CG_HAS_CPU_US) {
		rate(s, "cgroup.cpu.user", (double)st->cpu_user_ns / 1e7);
		rate(s, "cgroup.cpu.system", (double)st->cpu_system_ns / 1e7);
	}
	if (st->has & TALLY_CG_HAS_THROTTLE) {
		rate(s, "cgroup.cpu.throttled", (double)st->cpu_nr_throttled);
		rate(s, "cgroup.cpu.throttled.time", (double)st->cpu_throttled_ns / 1e7);
	}
	if (st->has & TALLY_CG_HAS_PSI_CPU)
		rate(s, "cgroup.cpu.pressure.some", (double)st->psi_cpu_some_us / 1e4);
}

static void
submit_mem(struct sub *s, const struct tally_cg_stats *st)
{
	if (st->has & TALLY_CG_HAS_MEM)
		gauge(s, "cgroup.memory.usage", (double)st->mem_usage);
	if (st->has & TALLY_CG_HAS_MEM_STAT) {
		gauge(s, "cgroup.memory.rss", (double)st->mem_rss);
		gauge(s, "cgroup.memory.cache", (double)st->mem_cache);
		rate(s, "cgroup.memory.pgmajfault", (double)st->mem_pgmajfault);
		if (st->has & TALLY_CG_HAS_MEM)
			gauge(s, "cgroup.memory.working_set", (double)tally_cg_working_set(st));
	}
	if (st->has & TALLY_CG_HAS_MEM_SWAP)
		gauge(s, "cgroup.memory.swap", (double)st->mem_swap);
	if (st->has & TALLY_CG_HAS_MEM_LIMIT)
		gauge(s, "cgroup.memory.limit", (double)st->mem_limit);
	if (st->has & TALLY_CG_HAS_PSI_MEM) {
		rate(s, "cgroup.memory.pressure.some", (double)st->psi_mem_some_us / 1e4);
		rate(s, "cgroup.memory.pressure.full", (double)st->psi_mem_full_us / 1e4);
	}
}

/* The kernel's name of block device major:minor ("" if unknown), looked up once. */
static const char *
dev_name(struct tally_cgroup_devnames *c, unsigned major, unsigned minor)
{
	char link[64], target[PATH_MAX];
	const char *base;
	ssize_t n;

	for (size_t i = 0; i < c->n; i++) {
		if (c->v[i].major == major && c->v[i].minor == minor)
			return c->v[i].name;
	}
	if (c->n == TALLY_CGROUP_DEVNAMES)
		return "";
	snprintf(link, sizeof(link), "/sys/dev/block/%u:%u", major, minor);
	n = readlink(link, target, sizeof(target) - 1);
	target[n > 0 ? n : 0] = '\0';
	base = strrchr(target, '/');
	c->v[c->n].major = major;
	c->v[c->n].minor = minor;
	base = base ? base + 1 : target;
	/* A name too long for the slot is left unknown rather than cut. */
	if (strlen(base) >= sizeof(c->v[c->n].name))
		base = "";
	memcpy(c->v[c->n].name, base, strlen(base) + 1);
	return c->v[c->n++].name;
}

static void
submit_io(struct sub *s, const struct tally_cg_stats *st, struct tally_cgroup_devnames *devs)
{
	char dev[48], name[64];

	if (st->has & TALLY_CG_HAS_IO) {
		rate(s, "cgroup.io.read_bytes", (double)st->io_read_bytes);
		rate(s, "cgroup.io.write_bytes", (double)st->io_write_bytes);
	}
	if (st->has & TALLY_CG_HAS_PSI_IO) {
		rate(s, "cgroup.io.pressure.some", (double)st->psi_io_some_us / 1e4);
		rate(s, "cgroup.io.pressure.full", (double)st->psi_io_full_us / 1e4);
	}
	if (!devs || !(st->has & TALLY_CG_HAS_IO))
		return;
	s->tags[1] = dev;
	s->tags[2] = name;
	for (size_t i = 0; i < st->n_dev; i++) {
		const char *dn = dev_name(devs, st->dev[i].major, st->dev[i].minor);

		snprintf(dev, sizeof(dev), "device:%u:%u", st->dev[i].major, st->dev[i].minor);
		snprintf(name, sizeof(name), "device_name:%s", dn);
		s->n_tags = dn[0] ? 3 : 2;
		rate(s, "cgroup.io.read_bytes", (double)st->dev[i].read_bytes);
		rate(s, "cgroup.io.write_bytes", (double)st->dev[i].write_bytes);
	}
	s->n_tags = 1;
}

size_t
tally_cgroup_submit(const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
                    const char *path, const struct tally_cg_stats *st,
                    struct tally_cgroup_devnames *devs)
{
	char tag[PATH_MAX + 8];
	struct sub s = { .ops = ops, .ctx = ctx, .tags = { tag }, .n_tags = 1 };

	snprintf(tag, sizeof(tag), "cgroup:%s", path);
	submit_cpu(&s, st);
	submit_mem(&s, st);
	submit_io(&s, st, devs);
	if (st->has & TALLY_CG_HAS_PIDS)
		gauge(&s, "cgroup.pids.current", (double)st->pids_current);
	if (st->has & TALLY_CG_HAS_PIDS_LIMIT)
		gauge(&s, "cgroup.pids.limit", (double)st->pids_limit);
	return s.dropped;
}
