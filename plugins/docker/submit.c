/*
 * submit.c: one container's sample as the Datadog docker check's metrics. Counters go through
 * ops->rate, so the agent turns them into per-second values (and skips the first run).
 */
#include <stdio.h>

#include "docker.h"

/* ns of CPU per second / 1e7 = percent of one core, the Datadog unit of docker.cpu.* */
#define NS_TO_PCT 1e7

void
docker_submit_ctr(const struct tally_check_ops *ops, struct tally_check_ctx *ctx,
                  const struct docker_ctr *c, int64_t now_s)
{
	const struct tally_cg_stats *g = &c->s.cg;
	const char *const *t = (const char *const *)c->tags.items;
	size_t n = c->tags.n;

	if (g->has & TALLY_CG_HAS_CPU)
		ops->rate(ctx, "docker.cpu.usage", (double)g->cpu_usage_ns / NS_TO_PCT, t, n);
	if (g->has & TALLY_CG_HAS_CPU_US) {
		ops->rate(ctx, "docker.cpu.user", (double)g->cpu_user_ns / NS_TO_PCT, t, n);
		ops->rate(ctx, "docker.cpu.system", (double)g->cpu_system_ns / NS_TO_PCT, t, n);
	}
	if (g->has & TALLY_CG_HAS_THROTTLE)
		ops->rate(ctx, "docker.cpu.throttled", (double)g->cpu_nr_throttled, t, n);
	if (g->has & TALLY_CG_HAS_MEM_STAT) {
		ops->gauge(ctx, "docker.mem.rss", (double)g->mem_rss, t, n);
		ops->gauge(ctx, "docker.mem.cache", (double)g->mem_cache, t, n);
	}
	if (g->has & TALLY_CG_HAS_MEM_SWAP)
		ops->gauge(ctx, "docker.mem.swap", (double)g->mem_swap, t, n);
	if (g->has & TALLY_CG_HAS_MEM)
		ops->gauge(ctx, "docker.mem.working_set", (double)tally_cg_working_set(g), t, n);
	if ((g->has & TALLY_CG_HAS_MEM_LIMIT) && g->mem_limit > 0) {
		ops->gauge(ctx, "docker.mem.limit", (double)g->mem_limit, t, n);
		if (g->has & TALLY_CG_HAS_MEM_STAT)
			ops->gauge(ctx, "docker.mem.in_use",
			           (double)g->mem_rss / (double)g->mem_limit, t, n);
	}
	if (g->has & TALLY_CG_HAS_IO) {
		ops->rate(ctx, "docker.io.read_bytes", (double)g->io_read_bytes, t, n);
		ops->rate(ctx, "docker.io.write_bytes", (double)g->io_write_bytes, t, n);
	}
	if (g->has & TALLY_CG_HAS_PIDS)
		ops->gauge(ctx, "docker.thread.count", (double)g->pids_current, t, n);
	if (g->has & TALLY_CG_HAS_PIDS_LIMIT)
		ops->gauge(ctx, "docker.thread.limit", (double)g->pids_limit, t, n);
	/* configured limits (HostConfig), in the Datadog check's units */
	if (c->lim.cpu_cores > 0)
		ops->gauge(ctx, "docker.cpu.limit", c->lim.cpu_cores * 100.0, t, n);
	if (c->lim.cpu_shares > 0)
		ops->gauge(ctx, "docker.cpu.shares", (double)c->lim.cpu_shares, t, n);
	if (c->lim.mem_soft > 0)
		ops->gauge(ctx, "docker.mem.soft_limit", (double)c->lim.mem_soft, t, n);
	if (c->lim.mem_swap > 0)
		ops->gauge(ctx, "docker.mem.sw_limit", (double)c->lim.mem_swap, t, n);
	if (c->started_s > 0 && now_s >= c->started_s)
		ops->gauge(ctx, "docker.uptime", (double)(now_s - c->started_s), t, n);
	for (size_t i = 0; c->s.has_net && i < c->s.n_if; i++) {
		const char *nt[DOCKER_MAX_TAGS + 2];
		char itag[48], ntag[96];
		size_t k = 0;

		for (; k < n && k < DOCKER_MAX_TAGS; k++)
			nt[k] = t[k];
		snprintf(itag, sizeof(itag), "interface:%s", c->s.ifs[i].name);
		nt[k++] = itag;
		/* Agent 7's tag: the Docker network the interface is on */
		if (c->s.ifs[i].network[0]) {
			snprintf(ntag, sizeof(ntag), "docker_network:%s", c->s.ifs[i].network);
			nt[k++] = ntag;
		}
		ops->rate(ctx, "docker.net.bytes_rcvd", (double)c->s.ifs[i].rx_bytes, nt, k);
		ops->rate(ctx, "docker.net.bytes_sent", (double)c->s.ifs[i].tx_bytes, nt, k);
	}
}
