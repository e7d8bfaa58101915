/*
 * bench/cgroup_bench: what one cgroup check run over N real v1 cgroups costs, against the
 * floor measured in the same process on the same groups (run by hand, as root):
 *
 *   bench/cgroup_bench [N=1000] [PASSES=15] [checks.d/cgroup.so]
 *
 * It makes N empty groups in each v1 hierarchy the check reads (cpu, cpuacct, memory, blkio,
 * pids) under /tally-bench-<pid>, then times, in CPU time of this process and interleaved:
 *   open   open+read+close of the nine files a full v1 run needs, per group;
 *   floor  the same nine files re-read with pread() through descriptors kept open;
 *   check  one run() of the real cgroup.so (loaded with dlopen, its config bound from its own
 *          table, include: "/tally-bench-<pid>/" then "*") with ops that only count submissions.
 * and prints the medians and check/floor. The groups are removed at exit, also on SIGINT.
 */
#include <sys/resource.h>
#include <sys/stat.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <tally/check.h>

#define CG "/sys/fs/cgroup"

static const char *const hiers[] = { "cpu", "cpuacct", "memory", "blkio", "pids" };
static const struct {
	int hier;
	const char *name;
} files[] = {
	{ 1, "cpuacct.usage" },
	{ 1, "cpuacct.stat" },
	{ 0, "cpu.stat" },
	{ 2, "memory.stat" },
	{ 2, "memory.usage_in_bytes" },
	{ 2, "memory.limit_in_bytes" },
	{ 4, "pids.current" },
	{ 4, "pids.max" },
	{ 3, "blkio.throttle.io_service_bytes" },
};
#define NFILES (sizeof(files) / sizeof(files[0]))
#define NHIER  (sizeof(hiers) / sizeof(hiers[0]))

static char top[64];
static int n_groups;

static void
cleanup(void)
{
	char path[PATH_MAX];

	for (size_t h = 0; h < NHIER; h++) {
		for (int i = 0; i < n_groups; i++) {
			snprintf(path, sizeof(path), CG "/%s%s/g%d", hiers[h], top, i);
			rmdir(path);
		}
		snprintf(path, sizeof(path), CG "/%s%s", hiers[h], top);
		rmdir(path);
	}
}

static void
on_signal(int sig)
{
	(void)sig;
	exit(1); /* runs cleanup() */
}

static double
cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void
path_of(char *out, size_t len, int i, size_t f)
{
	snprintf(out, len, CG "/%s%s/g%d/%s", hiers[files[f].hier], top, i, files[f].name);
}

static long sink_bytes;

static void
pass_open(void)
{
	char path[PATH_MAX], buf[8192];

	for (int i = 0; i < n_groups; i++) {
		for (size_t f = 0; f < NFILES; f++) {
			int fd;

			path_of(path, sizeof(path), i, f);
			fd = open(path, O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				sink_bytes += read(fd, buf, sizeof(buf));
				close(fd);
			}
		}
	}
}

static void
pass_floor(const int *fds)
{
	char buf[8192];

	for (int i = 0; i < n_groups * (int)NFILES; i++)
		sink_bytes += pread(fds[i], buf, sizeof(buf), 0);
}

/* Ops that only count: the check's own cost, not the agent's aggregation. */
static long n_sub;
static int
op_metric(struct tally_check_ctx *c, const char *n, double v, const char *const *t, size_t nt)
{
	(void)c, (void)n, (void)v, (void)t, (void)nt;
	n_sub++;
	return 0;
}
static int
op_sc(struct tally_check_ctx *c, const char *n, enum tally_check_status s, const char *const *t,
      size_t nt, const char *m)
{
	(void)c, (void)n, (void)s, (void)t, (void)nt, (void)m;
	return 0;
}
static void
op_log(struct tally_check_ctx *c, enum tally_check_log_level l, const char *fmt, ...)
{
	va_list ap;

	(void)c, (void)l;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static const struct tally_check_ops ops = {
	.abi_version = TALLY_CHECK_ABI_VERSION,
	.struct_size = offsetof(struct tally_check_ops, gauge_at),
	.gauge = op_metric,
	.count = op_metric,
	.rate = op_metric,
	.monotonic_count = op_metric,
	.histogram = op_metric,
	.service_check = op_sc,
	.log = op_log,
};

/* Binds the plugin's config table: defaults, and include set to our groups. */
static void
bind_conf(const struct tally_check_plugin *p, char *state, const char **include)
{
	static struct tally_check_strlist inc;

	inc.items = include;
	inc.n = 1;
	for (const struct tally_check_conf *c = p->conf; c && c->key; c++) {
		char *at = state + c->offset;

		if (strcmp(c->key, "include") == 0) {
			memcpy(at, &inc, sizeof(inc));
		} else if (c->type == TALLY_CONF_INT && c->def) {
			int64_t v = strtoll(c->def, NULL, 10);

			memcpy(at, &v, sizeof(v));
		} else if (c->type == TALLY_CONF_BOOL && c->def) {
			bool v = strcmp(c->def, "true") == 0;

			memcpy(at, &v, sizeof(v));
		}
	}
}

static int
cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int
main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, passes = argc > 2 ? atoi(argv[2]) : 15;
	const char *so = argc > 3 ? argv[3] : "checks.d/cgroup.so";
	double *t_open = calloc((size_t)passes, sizeof(double)), *t_floor, *t_check;
	char path[PATH_MAX], glob[96], err[256];
	const char *include[1] = { glob };
	const struct tally_check_plugin *p;
	tally_check_entry_fn entry;
	struct rlimit rl;
	void *dl, *state;
	int *fds;

	t_floor = calloc((size_t)passes, sizeof(double));
	t_check = calloc((size_t)passes, sizeof(double));
	fds = calloc((size_t)n * NFILES, sizeof(int));
	if (!t_open || !t_floor || !t_check || !fds || n <= 0 || passes <= 0)
		return 2;
	dl = dlopen(so, RTLD_NOW | RTLD_LOCAL);
	if (!dl) {
		fprintf(stderr, "%s\n", dlerror());
		return 2;
	}
	*(void **)&entry = dlsym(dl, TALLY_CHECK_ENTRY_SYMBOL);
	p = entry();
	snprintf(top, sizeof(top), "/tally-bench-%d", (int)getpid());
	snprintf(glob, sizeof(glob), "%s/*", top);
	atexit(cleanup);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	for (size_t h = 0; h < NHIER; h++) {
		snprintf(path, sizeof(path), CG "/%s%s", hiers[h], top);
		if (mkdir(path, 0755) < 0) {
			perror(path);
			return 1;
		}
	}
	for (n_groups = 0; n_groups < n; n_groups++) {
		for (size_t h = 0; h < NHIER; h++) {
			snprintf(path, sizeof(path), CG "/%s%s/g%d", hiers[h], top, n_groups);
			if (mkdir(path, 0755) < 0 && errno != EEXIST) {
				perror(path);
				n_groups++;
				return 1;
			}
		}
	}
	/* The floor's own descriptors: 9 per group, beside the check's. */
	getrlimit(RLIMIT_NOFILE, &rl);
	rl.rlim_cur = rl.rlim_max;
	setrlimit(RLIMIT_NOFILE, &rl);
	for (int i = 0; i < n; i++) {
		for (size_t f = 0; f < NFILES; f++) {
			path_of(path, sizeof(path), i, f);
			fds[i * (int)NFILES + (int)f] = open(path, O_RDONLY | O_CLOEXEC);
		}
	}
	state = calloc(1, p->state_size);
	bind_conf(p, state, include);
	if (p->init(state, err, sizeof(err)) < 0) {
		fprintf(stderr, "init: %s\n", err);
		return 1;
	}
	p->run(state, &ops, NULL); /* warm: opens and keeps the check's descriptors */
	for (int k = 0; k < passes; k++) {
		double t0 = cpu_ms();

		pass_open();
		t_open[k] = cpu_ms() - t0;
		t0 = cpu_ms();
		pass_floor(fds);
		t_floor[k] = cpu_ms() - t0;
		n_sub = 0;
		t0 = cpu_ms();
		p->run(state, &ops, NULL);
		t_check[k] = cpu_ms() - t0;
	}
	qsort(t_open, (size_t)passes, sizeof(double), cmp_d);
	qsort(t_floor, (size_t)passes, sizeof(double), cmp_d);
	qsort(t_check, (size_t)passes, sizeof(double), cmp_d);
	printf("groups %d, passes %d, median CPU ms per pass:\n", n, passes);
	printf("  open+read+close (9 files/group) %8.2f\n", t_open[passes / 2]);
	printf("  floor: kept-open pread          %8.2f\n", t_floor[passes / 2]);
	printf("  check: cgroup.so run()          %8.2f  (%ld submissions)\n", t_check[passes / 2],
	       n_sub);
	printf("  check / floor                   %8.2f\n",
	       t_check[passes / 2] / t_floor[passes / 2]);
	printf("  check / open+read+close         %8.2f\n",
	       t_check[passes / 2] / t_open[passes / 2]);
	p->destroy(state);
	free(state);
	for (int i = 0; i < n * (int)NFILES; i++) {
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(fds);
	free(t_open);
	free(t_floor);
	free(t_check);
	return 0;
}
