/*
 * bench/network_bench: CPU per network check run over the host and the named namespaces given
 * on the command line (bench/network.sh makes 10), in one process and one run, for:
 *   floor      kept-open descriptors re-read with pread (tally_procnet_read): the least any
 *              reader of these four files can spend;
 *   per-read   open, read, close of net/dev, snmp, snmp6, netstat every run (named namespaces
 *              entered by a fresh helper thread every time, as an open-per-read reader must);
 *   check      the network check's own run (target.c: read, rates, submissions into a stub
 *              sink that only counts), without and with collect_connection_state.
 * CPU is the process's CPU clock (user + system, every thread) over ITER runs.
 *
 * usage: network_bench [-n ITER] NS...
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "netns.h"
#include "procnet.h"
#include "target.h"

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static unsigned long submitted;

static int
stub_gauge(struct tally_check_ctx *ctx, const char *name, double value, const char *const *tags,
           size_t n_tags)
{
	(void)ctx;
	(void)name;
	(void)value;
	(void)tags;
	(void)n_tags;
	submitted++;
	return 0;
}

static void
stub_log(struct tally_check_ctx *ctx, enum tally_check_log_level level, const char *fmt, ...)
{
	va_list ap;

	(void)ctx;
	(void)level;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct tally_check_ops stub_ops = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = sizeof(struct tally_check_ops),
	.gauge = stub_gauge,
	.log = stub_log,
};

static void
die(const char *what, int rc)
{
	fprintf(stderr, "network_bench: %s: %s\n", what, strerror(-rc));
	exit(1);
}

/* floor: every namespace opened once, then ITER passes of pread + parse. */
static double
run_floor(char **names, int n, int iter)
{
	struct tally_netns *ns = calloc((size_t)n + 1, sizeof(*ns));
	struct tally_netdev_set devs = { 0 };
	struct tally_netproto proto;
	double t0;

	for (int i = 0; i <= n; i++) {
		int rc =
		    tally_netns_init(&ns[i], i ? names[i - 1] : NULL, "/proc", "/var/run/netns");

		if (rc == 0)
			rc = tally_netns_read(&ns[i], &devs, &proto); /* opens */
		if (rc < 0)
			die(i ? names[i - 1] : "host", rc);
	}
	t0 = cpu_ms();
	for (int k = 0; k < iter; k++) {
		for (int i = 0; i <= n; i++)
			(void)tally_procnet_read(&ns[i].pn, &devs, &proto);
	}
	t0 = cpu_ms() - t0;
	for (int i = 0; i <= n; i++)
		tally_netns_free(&ns[i]);
	free(ns);
	tally_netdev_set_free(&devs);
	return t0 / iter;
}

/* per-read: open + read + close each pass; named namespaces entered each time. */
static double
run_per_read(char **names, int n, int iter)
{
	struct tally_netdev_set devs = { 0 };
	struct tally_netproto proto;
	char path[4096];
	double t0 = cpu_ms();

	for (int k = 0; k < iter; k++) {
		int rc = tally_procnet_read_dir("/proc/net", &devs, &proto);

		for (int i = 0; rc == 0 && i < n; i++) {
			struct tally_procnet pn;
			int fds[TALLY_PROCNET_NFILES];
			uint64_t dev, ino;

			snprintf(path, sizeof(path), "/var/run/netns/%s", names[i]);
			rc = tally_netns_open_files(path, fds, &dev, &ino);
			if (rc < 0)
				break;
			tally_procnet_init(&pn);
			tally_procnet_adopt(&pn, fds);
			rc = tally_procnet_read(&pn, &devs, &proto);
			tally_procnet_close(&pn);
		}
		if (rc < 0)
			die("per-read", rc);
	}
	t0 = cpu_ms() - t0;
	tally_netdev_set_free(&devs);
	return t0 / iter;
}

/* check: the check's per-namespace run (read, rates, submissions) over every target. */
static double
run_check(char **names, int n, int iter, bool states)
{
	struct net_target *t = calloc((size_t)n + 1, sizeof(*t));
	struct tally_check_strlist lo = { (const char *const[]){ "lo" }, 1 };
	struct net_filter f = { &lo, NULL, states };
	double t0;

	for (int i = 0; i <= n; i++) {
		int rc = net_target_init(&t[i], i ? names[i - 1] : NULL, "/proc", "/var/run/netns");

		if (rc < 0)
			die("target", rc);
		(void)net_target_run(&t[i], &f, &stub_ops, NULL); /* opens, baseline */
	}
	submitted = 0;
	t0 = cpu_ms();
	for (int k = 0; k < iter; k++) {
		for (int i = 0; i <= n; i++)
			(void)net_target_run(&t[i], &f, &stub_ops, NULL);
	}
	t0 = cpu_ms() - t0;
	for (int i = 0; i <= n; i++)
		net_target_free(&t[i]);
	free(t);
	return t0 / iter;
}

int
main(int argc, char **argv)
{
	int iter = 200, opt;
	double floor_ms, per_read_ms, check_ms, states_ms;
	unsigned long per_run;

	while ((opt = getopt(argc, argv, "n:")) != -1) {
		long v = opt == 'n' ? strtol(optarg, NULL, 10) : 0;

		if (v > 0 && v < 1000000)
			iter = (int)v;
	}
	argv += optind;
	argc -= optind;
	/* interleaved order would be fairer to a drifting machine; one pass each is enough */
	floor_ms = run_floor(argv, argc, iter);
	per_read_ms = run_per_read(argv, argc, iter);
	check_ms = run_check(argv, argc, iter, false);
	per_run = submitted / (unsigned long)iter;
	states_ms = run_check(argv, argc, iter, true);
	printf("namespaces: host + %d, runs: %d (CPU ms per run over all namespaces)\n", argc,
	       iter);
	printf("floor (kept-open pread)     %8.3f ms  %6.3f ms/ns  1.00x\n", floor_ms,
	       floor_ms / (argc + 1));
	printf("open-per-read               %8.3f ms  %6.3f ms/ns  %.2fx\n", per_read_ms,
	       per_read_ms / (argc + 1), per_read_ms / floor_ms);
	printf("check run                   %8.3f ms  %6.3f ms/ns  %.2fx  (%lu submissions)\n",
	       check_ms, check_ms / (argc + 1), check_ms / floor_ms, per_run);
	printf("check run + conn. state     %8.3f ms  %6.3f ms/ns  %.2fx\n", states_ms,
	       states_ms / (argc + 1), states_ms / floor_ms);
	return 0;
}
