/*
 * statstab.c: `tally check docker --stats`, the table `docker stats --no-stream` prints, with
 * the CLI's formulas (CPU % = CPU time delta / wall time delta x 100; MEM USAGE = usage minus
 * inactive file; LIMIT = the limit, or the host's memory when none is set) and its number
 * formats (binary units for memory, decimal for NET I/O and BLOCK I/O, 4 significant digits).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

/* the CLI's columns; the id is cut to 12 characters as it shows it */
#define ROW_FMT "%-15.12s %-20s %-9s %-24s %-9s %-22s %-22s "

static void
human(char *out, size_t len, double v, double base, const char *const *units)
{
	int i = 0;

	while (v >= base && units[i + 1]) {
		v /= base;
		i++;
	}
	snprintf(out, len, "%.4g%s", v, units[i]);
}

static void
bytes_bin(char *out, size_t len, double v)
{
	static const char *const u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", NULL };

	human(out, len, v, 1024, u);
}

static void
bytes_dec(char *out, size_t len, double v)
{
	static const char *const u[] = { "B", "kB", "MB", "GB", "TB", "PB", NULL };

	human(out, len, v, 1000, u);
}

/* The host's memory, as the engine caps an unset limit to it. */
static uint64_t
host_mem(const char *procfs)
{
	char path[300], line[256];
	unsigned long long kb = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/meminfo", procfs);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb * 1024;
}

static const struct docker_prev *
find_prev(const struct docker_state *st, const char *id)
{
	for (size_t i = 0; i < st->n_prev; i++)
		if (strcmp(st->prev[i].id, id) == 0)
			return &st->prev[i];
	return NULL;
}

static void
print_row(const struct docker_state *st, const struct docker_ctr *c, double now_s, uint64_t host)
{
	const struct tally_cg_stats *g = &c->s.cg;
	const struct docker_prev *p = find_prev(st, c->id);
	double cpu = 0, used = (double)tally_cg_working_set(g), limit, memp;
	char mu[32], ml[32], rx[32], tx[32], br[32], bw[32];
	char cpus[24], mems[24], mem[72], net[72], blk[72];

	if (p && now_s > p->t_s && g->cpu_usage_ns >= p->cpu_ns)
		cpu = (double)(g->cpu_usage_ns - p->cpu_ns) / ((now_s - p->t_s) * 1e9) * 100.0;
	limit =
	    (g->has & TALLY_CG_HAS_MEM_LIMIT) && g->mem_limit ? (double)g->mem_limit : (double)host;
	if (host && limit > (double)host)
		limit = (double)host;
	memp = limit > 0 ? used / limit * 100.0 : 0;
	bytes_bin(mu, sizeof(mu), used);
	bytes_bin(ml, sizeof(ml), limit);
	bytes_dec(rx, sizeof(rx), (double)docker_sample_rx(&c->s));
	bytes_dec(tx, sizeof(tx), (double)docker_sample_tx(&c->s));
	bytes_dec(br, sizeof(br), (double)g->io_read_bytes);
	bytes_dec(bw, sizeof(bw), (double)g->io_write_bytes);
	snprintf(cpus, sizeof(cpus), "%.2f%%", cpu);
	snprintf(mems, sizeof(mems), "%.2f%%", memp);
	snprintf(mem, sizeof(mem), "%s / %s", mu, ml);
	snprintf(net, sizeof(net), "%s / %s", rx, tx);
	snprintf(blk, sizeof(blk), "%s / %s", br, bw);
	printf(ROW_FMT, c->id, c->name, cpus, mem, mems, net, blk);
	printf("%llu\n", (unsigned long long)g->pids_current);
}

void
docker_stats_table(struct docker_state *st, const struct docker_ctr *cs, size_t n, double now_s)
{
	uint64_t host = host_mem(st->procfs);
	struct docker_prev *np = calloc(n ? n : 1, sizeof(*np));

	if (st->n_prev > 0) {
		printf(ROW_FMT, "CONTAINER ID", "NAME", "CPU %", "MEM USAGE / LIMIT", "MEM %",
		       "NET I/O", "BLOCK I/O");
		printf("PIDS\n");
		for (size_t i = 0; i < n; i++)
			print_row(st, &cs[i], now_s, host);
		fflush(stdout);
	}
	if (!np)
		return;
	for (size_t i = 0; i < n; i++) {
		snprintf(np[i].id, sizeof(np[i].id), "%s", cs[i].id);
		np[i].t_s = now_s;
		np[i].cpu_ns = cs[i].s.cg.cpu_usage_ns;
	}
	free(st->prev);
	st->prev = np;
	/* an empty first sample still marks "one sample taken" */
	st->n_prev = n ? n : 1;
	if (!n)
		np[0].id[0] = '\0';
}
